"""Full-text queries over messages, through each engine's own index on ``message_search``.

Query terms (see ``lakeside.domain.text``) become an FTS5 MATCH expression on SQLite and two
tsqueries (one per token stream) on PostgreSQL (``Dialect.match_search``, in
lakeside.store.dialects). Every token is quoted, so user input can only ever be text to look
for, never query syntax; the expression itself travels as a bind parameter.
Access is part of the query: a message is found only in a conversation the caller is a member of
now, and never once recalled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.text import SearchTerm
from lakeside.store.dialects import Dialect, dialect_of
from lakeside.store.tables import conversation_members, message_search, messages


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
