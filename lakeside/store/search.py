"""Full-text queries over messages, through each engine's own index on ``message_search``.

Query terms (see ``lakeside.domain.text``) become an FTS5 MATCH expression on SQLite and two
tsqueries (one per token stream) on PostgreSQL. Every token is quoted, so user input can only
ever be text to look for, never query syntax; the expression itself travels as a bind parameter.
Access is part of the query: a message is found only in a conversation the caller is a member of
now, and never once recalled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, select, table
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.text import SearchTerm
from lakeside.store.tables import conversation_members, message_search, messages

# The FTS5 external-content table the migration creates; not part of the metadata on purpose
# (it exists on SQLite only, and its shadow tables are FTS5's business).
message_fts = table("message_fts", column("rowid"))
_FTS_MATCH = literal_column("message_fts").op("MATCH")
# A literal configuration, not a bind parameter: the planner matches the GIN index expressions
# to_tsvector('simple', words|chars) only against the same constant.
_SIMPLE: ColumnElement[str] = literal_column("'simple'")


@dataclass(frozen=True)
class SearchFilters:
    conversation_id: int | None = None
    sender_id: int | None = None
    after: int | None = None  # created_at >= after (ms)
    before: int | None = None  # created_at < before (ms)
    cursor: int | None = None  # message id; only older messages (smaller ids) follow it


def _fts5_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_expression(terms: Sequence[SearchTerm]) -> str:
    """The MATCH expression: phrases and prefixes on ``words``, single characters on ``chars``."""
    parts = []
    for term in terms:
        if term.kind == "phrase":
            parts.append("words : " + _fts5_string(" ".join(term.tokens)))
        elif term.kind == "prefix":
            parts.append("words : " + _fts5_string(term.tokens[0]) + "*")
        else:
            parts.append("chars : " + _fts5_string(term.tokens[0]))
    return " AND ".join(parts)


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsqueries(terms: Sequence[SearchTerm]) -> tuple[str, str]:
    """The tsquery texts for the ``words`` and the ``chars`` stream ('' when a stream has none)."""
    words = []
    chars = []
    for term in terms:
        if term.kind == "phrase":
            words.append("(" + " <-> ".join(_lexeme(token) for token in term.tokens) + ")")
        elif term.kind == "prefix":
            words.append(_lexeme(term.tokens[0]) + ":*")
        else:
            chars.append(_lexeme(term.tokens[0]))
    return " & ".join(words), " & ".join(chars)


def _tsmatch(stream: ColumnElement[Any], query: str) -> ColumnElement[bool]:
    return func.to_tsvector(_SIMPLE, stream).bool_op("@@")(func.to_tsquery(_SIMPLE, query))


def tsvector_conditions(terms: Sequence[SearchTerm]) -> list[ColumnElement[bool]]:
    """PostgreSQL: the conditions on message_search that its two GIN indexes answer."""
    words, chars = tsqueries(terms)
    conditions = []
    if words:
        conditions.append(_tsmatch(message_search.c.words, words))
    if chars:
        conditions.append(_tsmatch(message_search.c.chars, chars))
    return conditions


def search_query(
    dialect: str, user_id: int, terms: Sequence[SearchTerm], filters: SearchFilters, limit: int
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
    if dialect == "sqlite":
        # Ordering and paging on the FTS rowid lets FTS5 hand rows over newest first itself.
        order_key: ColumnElement[Any] = message_fts.c.rowid
        query = query.join(message_fts, message_fts.c.rowid == message_search.c.message_id).where(
            _FTS_MATCH(fts5_expression(terms))
        )
    else:
        order_key = message_search.c.message_id
        query = query.where(*tsvector_conditions(terms))
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
    query = search_query(conn.dialect.name, user_id, terms, filters, limit)
    return list(await conn.execute(query))
