"""Reading the event log back: what a resuming client missed, in order.

Pages come back as plain rows read by position (``EVENT_COLUMNS`` order), never as mapped
objects: a catch-up reads a hundred thousand of them. The messages a page names come back the
same way (``messages_by_id``: the table's columns in table order).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import EVENT_FIELDS, dialect_of
from lakeside.store.tables import conversation_members, events

# The order of an event row's fields in what the readers below return.
EVENT_COLUMNS = tuple(events.c[name] for name in EVENT_FIELDS)


async def events_for_user(
    conn: AsyncConnection, user_id: int, *, since: int, limit: int, upto: int | None = None
) -> list[Any]:
    """Events after ``since`` (and up to ``upto``) addressed to the user or to a conversation they
    are a member of, as rows in ``EVENT_COLUMNS`` order.

    Conversation membership is today's: a conversation the user has left no longer streams to
    them (they were told when they left, through an event addressed to them).

    Two index ranges (the user's own events; conversation events after ``since``), each read in
    id order and merged (``UNION ALL``), so no sort of the whole range before the limit. The
    conversation range still reads every conversation's events in the range to find the user's,
    so callers bound it with ``upto``: without it each page of a long catch-up would read
    everything after it."""
    return await dialect_of(conn).events_for_user(conn, user_id, since, upto, limit)


async def messages_by_id(conn: AsyncConnection, message_ids: list[int]) -> list[Any]:
    """The messages with these ids (in no particular order), each a row of the table's columns in
    table order (on SQLite the driver's rows: ``mention_all`` reads as 0 / 1)."""
    return await dialect_of(conn).messages_by_id(conn, message_ids) if message_ids else []


async def events_between(conn: AsyncConnection, after: int, upto: int, *, limit: int) -> list[Row[Any]]:
    """Every event in (after, upto]: how a node fills a hole left by the bus."""
    query = (
        select(*EVENT_COLUMNS)
        .where(events.c.id > after, events.c.id <= upto)
        .order_by(events.c.id)
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def bounds(conn: AsyncConnection) -> tuple[int, int]:
    """The oldest and newest event ids kept (0, 0 when the log is empty).

    Two scalar subqueries, not ``SELECT min(id), max(id)``: SQLite answers a lone ``min`` or
    ``max`` from the end of the index, but both in one select scan the whole table (read per
    catch-up page and by the hub's poll every second)."""
    oldest = select(func.min(events.c.id)).scalar_subquery()
    newest = select(func.max(events.c.id)).scalar_subquery()
    row = (await conn.execute(select(oldest, newest))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def prune_before(conn: AsyncConnection, created_before: int) -> int:
    from sqlalchemy import delete

    result = await conn.execute(delete(events).where(events.c.created_at < created_before))
    return result.rowcount


async def conversation_ids(conn: AsyncConnection, user_id: int) -> set[int]:
    """The conversations whose events stream to this user."""
    query = select(conversation_members.c.conversation_id).where(conversation_members.c.user_id == user_id)
    return {row.conversation_id for row in await conn.execute(query)}
