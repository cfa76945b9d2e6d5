"""Search: messages, and the search view's other sections — conversations, contacts, files.

A message query is tokenised as the index is (``lakeside.domain.text``), so Chinese without word
spaces, full-width letters and any case find what was written. Results come only from
conversations the caller belongs to now (leaving a group takes its messages out of the caller's
results), never from recalled messages, newest first, paged by message id.

Conversations and contacts are found by name as the directory finds people: the query anywhere
in a search key of name, full pinyin and initials (domain/pinyin.py), so ``zs``, ``zhangsan`` and
``张三`` all find 张三. Conversations are the caller's own; contacts are their friends and the
active colleagues of the organizations they are active in. Files are found by name, tokenised as
messages are, among the files sent in the caller's conversations (and not recalled). Access is part
of every query, never a filter after it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from lakeside.domain import text
from lakeside.domain.pinyin import like_pattern
from lakeside.domain.text import SearchTerm
from lakeside.errors import Invalid, NotFound
from lakeside.services.accounts import AuthUser, public_user
from lakeside.services.context import Context
from lakeside.services.conversations import Conversations
from lakeside.services.timeline import file_view, render_messages
from lakeside.store import conversations as conversation_store
from lakeside.store import search as store

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
MAX_NAME_HITS = 50  # conversations or contacts found by name: the best few, not pages
SNIPPET_CHARS = 80
SNIPPET_LEAD = 20  # characters of context kept before the match
ELLIPSIS = "…"


def _indexable(term: SearchTerm) -> bool:
    """Whether the engines' tokenisers keep anything of the term. A few characters in the CJK
    blocks are punctuation (e.g. the katakana middle dot ・): FTS5 would match nothing for them
    and PostgreSQL would ignore them, so they are dropped here and both engines agree."""
    return any(unicodedata.category(char)[0] in "LN" for token in term.tokens for char in token)


def check_query(query: str) -> list[SearchTerm]:
    """The terms of a query, every one of which a hit must match."""
    if len(query) > MAX_QUERY_CHARS:
        raise Invalid(
            f"A search query may have at most {MAX_QUERY_CHARS} characters.",
            code="QUERY_TOO_LONG",
            limit=MAX_QUERY_CHARS,
        )
    terms = list(dict.fromkeys(term for term in text.query_terms(query) if _indexable(term)))
    if not terms:
        raise Invalid("The query has no words or characters to look for.", code="EMPTY_QUERY")
    return terms


def _fold(body: str) -> tuple[str, list[int]]:
    """The body folded as the tokeniser folds text (NFKC, lower case), and for each folded
    character the index of the body character it came from."""
    if body.isascii():
        return body.lower(), list(range(len(body)))
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(body):
        piece = unicodedata.normalize("NFKC", char).lower()
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


def _find(folded: str, term: SearchTerm) -> int:
    if term.kind == "char":
        return folded.find(term.tokens[0])
    if term.kind == "phrase":
        return folded.find(term.tokens[0] + "".join(token[-1] for token in term.tokens[1:]))
    # A prefix matches at the start of a word: after a non-word character or a CJK one.
    word = term.tokens[0]
    position = folded.find(word)
    while position > 0 and folded[position - 1].isalnum() and not text.is_cjk(folded[position - 1]):
        position = folded.find(word, position + 1)
    return position


def snippet(body: str, terms: list[SearchTerm]) -> str:
    """At most SNIPPET_CHARS of the body on one line, around the first match of any term."""
    flat = " ".join(body.split())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    folded, origin = _fold(flat)
    found = [position for term in terms if (position := _find(folded, term)) >= 0]
    start = origin[min(found)] if found else 0
    begin = max(0, min(start - SNIPPET_LEAD, len(flat) - SNIPPET_CHARS))
    lead = ELLIPSIS if begin > 0 else ""
    end = begin + SNIPPET_CHARS - len(lead)
    tail = ""
    if end < len(flat):
        end -= len(ELLIPSIS)
        tail = ELLIPSIS
    return lead + flat[begin:end] + tail


class Search:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    async def search_messages(
        self,
        user: AuthUser,
        query: str,
        *,
        conversation_id: int | None = None,
        sender_id: int | None = None,
        after: int | None = None,
        before: int | None = None,
        limit: int = 20,
        cursor: int | None = None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Hits ``{message, conversation_id, snippet}`` newest first, and the cursor for the next
        page (None on the last). Filtering by a conversation the caller is not in is a 404."""
        terms = check_query(query)
        limit = max(1, min(limit, MAX_LIMIT))
        filters = store.SearchFilters(
            conversation_id=conversation_id, sender_id=sender_id, after=after, before=before, cursor=cursor
        )
        async with self.ctx.db.read() as conn:
            if conversation_id is not None:
                membership = await conversation_store.get_membership(conn, conversation_id, user.id)
                if membership is None:
                    raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
            rows = await store.search_messages(conn, user.id, terms, filters, limit + 1)
            more = len(rows) > limit
            rows = rows[:limit]
            views = await render_messages(conn, rows)
        hits = [
            {
                "message": view,
                "conversation_id": view["conversation_id"],
                "snippet": snippet(view["body"], terms),
            }
            for view in views
        ]
        return hits, (rows[-1].id if more else None)

    # -- the search view's other sections --------------------------------------------------------

    async def search_conversations(
        self, user: AuthUser, query: str, *, limit: int = 20
    ) -> list[dict[str, Any]]:
        """The caller's conversations found by name: a group by its title, a direct chat by the
        other person's name, username or the caller's remark for them — as written, in full
        pinyin or by initials (``cpz`` finds 产品组, ``zhangsan`` the chat with 张三)."""
        pattern = name_pattern(query)
        limit = max(1, min(limit, MAX_NAME_HITS))
        async with self.ctx.db.read() as conn:
            ids = await store.conversations_by_name(conn, user.id, pattern, limit)
            return await self.conversations.views_of(conn, user.id, ids)

    async def search_contacts(self, user: AuthUser, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Friends (by name, username or remark) and colleagues (by their directory key: name,
        pinyin, initials, username, employee number), each person once, friends first:
        ``{user, remark, is_friend, organizations: [{id, name, member_name, title}]}``."""
        pattern = name_pattern(query)
        limit = max(1, min(limit, MAX_NAME_HITS))
        async with self.ctx.db.read() as conn:
            friends = await store.friends_by_name(conn, user.id, pattern, limit)
            colleagues = await store.colleagues_by_name(conn, user.id, pattern, limit * 4)
        found: dict[int, dict[str, Any]] = {}
        for row in friends:
            found[row.id] = {
                "user": public_user(row),
                "remark": row.remark,
                "is_friend": True,
                "organizations": [],
            }
        for row in colleagues:
            hit = found.setdefault(
                row.id, {"user": public_user(row), "remark": None, "is_friend": False, "organizations": []}
            )
            hit["organizations"].append(
                {
                    "id": row.organization_id,
                    "name": row.organization_name,
                    "member_name": row.name,
                    "title": row.title,
                }
            )
        return list(found.values())[:limit]

    async def search_files(
        self, user: AuthUser, query: str, *, limit: int = 20, cursor: int | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Files sent in the conversations the caller is in now, found by name (Chinese as
        message search finds it: ``报告`` finds ``季度报告.pdf``), newest first:
        ``{file, message_id, conversation_id, seq, sender_id, sent_at}``."""
        terms = check_query(query)
        limit = max(1, min(limit, MAX_LIMIT))
        async with self.ctx.db.read() as conn:
            rows = await store.files_by_name(conn, user.id, terms, before=cursor, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        hits = [
            {
                "file": file_view(row),
                "message_id": row.message_id,
                "conversation_id": row.conversation_id,
                "seq": row.seq,
                "sender_id": row.sender_id,
                "sent_at": row.sent_at,
            }
            for row in rows
        ]
        return hits, (rows[-1].message_id if more else None)


def name_pattern(query: str) -> str:
    """The LIKE pattern for a name query (anywhere in a search key); 422 when there is nothing."""
    if len(query) > MAX_QUERY_CHARS:
        raise Invalid(
            f"A search query may have at most {MAX_QUERY_CHARS} characters.",
            code="QUERY_TOO_LONG",
            limit=MAX_QUERY_CHARS,
        )
    # Control characters, lone surrogates and the like are nothing to look for (and PostgreSQL
    # refuses NUL in text): only printable characters are kept.
    folded = "".join(char for char in unicodedata.normalize("NFKC", query) if char.isprintable())
    if not any(char.isalnum() for char in folded):
        raise Invalid("The query has no words or characters to look for.", code="EMPTY_QUERY")
    return like_pattern(folded)
