"""Full-text queries over messages, through each engine's own index on ``message_search``.

Query terms (see ``lakeside.domain.text``) become an FTS5 MATCH expression on SQLite and two
tsqueries (one per token stream) on PostgreSQL (``Dialect.match_search``, in
lakeside.store.dialects). Every token is quoted, so user input can only ever be text to look
for, never query syntax; the expression itself travels as a bind parameter.
Access is part of the query: a message is found only in a conversation the caller is a member of
now, and never once recalled.

The search view's other sections are here too: conversations and contacts by name, full pinyin
or initials (the search keys of domain/pinyin.py, matched with LIKE inside the caller's own
memberships, friendships and organizations), and files by name (their name's tokens, matched
as the full-text index would, inside the caller's conversations).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.text import SearchTerm
from lakeside.store.dialects import Dialect, dialect_of
from lakeside.store.tables import (
    conversation_members,
    conversations,
    files,
    friendships,
    message_search,
    messages,
    org_members,
    organizations,
    users,
)


@dataclass(frozen=True)
class SearchFilters:
    conversation_id: int | None = None
    sender_id: int | None = None
    after: int | None = None  # created_at >= after (ms)
    before: int | None = None  # created_at < before (ms)
    cursor: int | None = None  # message id; only older messages (smaller ids) follow it


def search_query(
    dialect: Dialect, user_id: int, terms: Sequence[SearchTerm], filters: SearchFilters, limit: int
) -> Select[Any]:
    """Matching messages the user may see, newest first (by id), at most ``limit``."""
    query = (
        select(messages)
        .select_from(message_search)
        .join(messages, messages.c.id == message_search.c.message_id)
        .join(
            conversation_members,
            and_(
                conversation_members.c.conversation_id == message_search.c.conversation_id,
                conversation_members.c.user_id == user_id,
            ),
        )
        .where(messages.c.recalled_at.is_(None))
    )
    query, order_key = dialect.match_search(query, terms)
    if filters.conversation_id is not None:
        query = query.where(message_search.c.conversation_id == filters.conversation_id)
    if filters.sender_id is not None:
        query = query.where(message_search.c.sender_id == filters.sender_id)
    if filters.after is not None:
        query = query.where(message_search.c.created_at >= filters.after)
    if filters.before is not None:
        query = query.where(message_search.c.created_at < filters.before)
    if filters.cursor is not None:
        query = query.where(order_key < filters.cursor)
    return query.order_by(order_key.desc()).limit(limit)


async def search_messages(
    conn: AsyncConnection, user_id: int, terms: Sequence[SearchTerm], filters: SearchFilters, limit: int
) -> list[Row[Any]]:
    """Message rows matching every term, in conversations ``user_id`` belongs to, newest first."""
    if not terms:
        return []
    query = search_query(dialect_of(conn), user_id, terms, filters, limit)
    return list(await conn.execute(query))


# -- token streams matched with LIKE, for small sets (one user's favourites, one name per file) ------


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def token_conditions(words: Any, chars: Any, terms: Sequence[SearchTerm]) -> list[ColumnElement[bool]]:
    """Conditions that hold where the token streams ``words`` and ``chars`` (as
    ``domain.text.index_tokens`` writes them: tokens joined by single spaces) match every term
    exactly as the full-text index would: a phrase's tokens side by side, a prefix at the start
    of a word, a character among the characters. The same SQL on both engines; it reads every row
    it is given, so it is for sets that another condition keeps small."""
    padded_words = literal(" ") + words + literal(" ")
    conditions = []
    for term in terms:
        if term.kind == "phrase":
            needle = " " + " ".join(term.tokens) + " "
            conditions.append(padded_words.like(f"%{_like_escaped(needle)}%", escape="\\"))
        elif term.kind == "prefix":
            conditions.append(padded_words.like(f"% {_like_escaped(term.tokens[0])}%", escape="\\"))
        else:
            padded_chars = literal(" ") + chars + literal(" ")
            conditions.append(padded_chars.like(f"% {_like_escaped(term.tokens[0])} %", escape="\\"))
    return conditions


# -- conversations, contacts and files: what the search view shows above messages ------------------


def _match_rank(conn: AsyncConnection, pattern: str, *keys: Any) -> Any:
    """Where the name query (a ``like_pattern``, ``%term%``) first stands in the best of ``keys``:
    a key holds the name and its main reading first and a name's rare readings last
    (domain/pinyin.py), so ordering by it lists the person meant before one whose rare reading
    happens to match (``shan`` finds 单小山 before 邓晓明, 邓 read ``shan``)."""
    term = re.sub(r"\\(.)", r"\1", pattern[1:-1])
    dialect = dialect_of(conn)
    far = literal(1_000_000)
    found = [func.coalesce(func.nullif(dialect.position(key, literal(term)), 0), far) for key in keys]
    return dialect.least(*found) if len(found) > 1 else found[0]


async def conversations_by_name(conn: AsyncConnection, user_id: int, pattern: str, limit: int) -> list[int]:
    """Ids of the user's conversations whose title, or (in a direct chat) whose other person's
    name, username or the user's remark for them, matches the LIKE ``pattern`` on its search key
    (name, full pinyin, initials), most recent activity first. The user's memberships bound it."""
    mine = conversation_members.alias("mine")
    peer = conversation_members.alias("peer")
    query = (
        select(conversations.c.id)
        .select_from(mine)
        .join(conversations, conversations.c.id == mine.c.conversation_id)
        .outerjoin(
            peer,
            and_(
                conversations.c.kind == "direct",
                peer.c.conversation_id == conversations.c.id,
                peer.c.user_id != user_id,
            ),
        )
        .outerjoin(users, users.c.id == peer.c.user_id)
        .outerjoin(
            friendships, and_(friendships.c.user_id == user_id, friendships.c.friend_id == peer.c.user_id)
        )
        .where(
            mine.c.user_id == user_id,
            or_(
                conversations.c.search_key.like(pattern, escape="\\"),
                users.c.search_key.like(pattern, escape="\\"),
                users.c.username.like(pattern, escape="\\"),
                friendships.c.remark_key.like(pattern, escape="\\"),
            ),
        )
        .order_by(conversations.c.last_activity_at.desc(), conversations.c.id.desc())
        .limit(limit)
    )
    return [row.id for row in await conn.execute(query)]


async def friends_by_name(conn: AsyncConnection, user_id: int, pattern: str, limit: int) -> list[Row[Any]]:
    """The user's friends (active accounts) whose name, username or remark matches ``pattern``."""
    query = (
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.avatar_file_id,
            friendships.c.remark,
        )
        .select_from(friendships)
        .join(users, users.c.id == friendships.c.friend_id)
        .where(
            friendships.c.user_id == user_id,
            users.c.is_active.is_(True),
            or_(
                users.c.search_key.like(pattern, escape="\\"),
                users.c.username.like(pattern, escape="\\"),
                friendships.c.remark_key.like(pattern, escape="\\"),
            ),
        )
        .order_by(
            _match_rank(conn, pattern, users.c.search_key, users.c.username, friendships.c.remark_key),
            users.c.id,
        )
        .limit(limit)
    )
    return list(await conn.execute(query))


async def colleagues_by_name(conn: AsyncConnection, user_id: int, pattern: str, limit: int) -> list[Row[Any]]:
    """Active members of the organizations the user is an active member of, matched on their
    directory key (name in the organization, pinyin, initials, username, employee number), with
    the organization's name; the user themself left out."""
    me = org_members.alias("me")
    query = (
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.avatar_file_id,
            org_members.c.organization_id,
            org_members.c.name,
            org_members.c.title,
            organizations.c.name.label("organization_name"),
        )
        .select_from(me)
        .join(org_members, org_members.c.organization_id == me.c.organization_id)
        .join(organizations, organizations.c.id == org_members.c.organization_id)
        .join(users, users.c.id == org_members.c.user_id)
        .where(
            me.c.user_id == user_id,
            me.c.status == "active",
            org_members.c.status == "active",
            org_members.c.user_id != user_id,
            users.c.is_active.is_(True),
            org_members.c.search_key.like(pattern, escape="\\"),
        )
        .order_by(
            _match_rank(conn, pattern, org_members.c.search_key),
            org_members.c.user_id,
            org_members.c.organization_id,
        )
        .limit(limit)
    )
    return list(await conn.execute(query))


async def files_by_name(
    conn: AsyncConnection, user_id: int, terms: Sequence[SearchTerm], *, before: int | None, limit: int
) -> list[Row[Any]]:
    """Files sent (in messages not recalled) in the conversations the user is in now, whose name
    matches every term, newest message first, with message ids below ``before``. Read through the
    caller's memberships and each conversation's file messages (``ix_messages_conversation_id_id_files``)."""
    query = (
        select(
            files,
            messages.c.id.label("message_id"),
            messages.c.conversation_id,
            messages.c.seq,
            messages.c.sender_id,
            messages.c.created_at.label("sent_at"),
        )
        .select_from(conversation_members)
        .join(messages, messages.c.conversation_id == conversation_members.c.conversation_id)
        .join(files, files.c.id == messages.c.file_id)
        .where(
            conversation_members.c.user_id == user_id,
            messages.c.file_id.is_not(None),
            messages.c.recalled_at.is_(None),
            *token_conditions(files.c.name_words, files.c.name_chars, terms),
        )
        .order_by(messages.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(messages.c.id < before)
    return list(await conn.execute(query))


async def compact_index(conn: AsyncConnection) -> None:
    """Let the engine's full-text index forget deleted rows (``Dialect.compact_search``)."""
    await dialect_of(conn).compact_search(conn)
