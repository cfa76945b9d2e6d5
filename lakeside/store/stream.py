"""Reading the event log back: what a resuming client missed, in order.

Pages come back as plain rows read by position (``EVENT_COLUMNS`` order), never as mapped
objects: a catch-up reads a hundred thousand of them. The messages a page names come back the
same way (``messages_by_id``: the table's columns in table order).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.messages import get_messages
from lakeside.store.tables import conversation_members, events, messages

# The order of an event row's fields in what the readers below return.
EVENT_COLUMNS = (
    events.c.id,
    events.c.type,
    events.c.op,
    events.c.conversation_id,
    events.c.user_id,
    events.c.data,
    events.c.created_at,
    events.c.audience,
)


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
    if conn.dialect.name == "sqlite":
        return await driver_rows(
            conn, _EVENTS_FOR_USER, (user_id, since, _NO_END if upto is None else upto, limit)
        )
    mine = select(conversation_members.c.conversation_id).where(conversation_members.c.user_id == user_id)
    own = select(*EVENT_COLUMNS).where(events.c.user_id == user_id, events.c.id > since)
    shared = select(*EVENT_COLUMNS).where(
        events.c.user_id.is_(None), events.c.conversation_id.in_(mine), events.c.id > since
    )
    if upto is not None:
        own = own.where(events.c.id <= upto)
        shared = shared.where(events.c.id <= upto)
    merged = union_all(own, shared).subquery()
    query = select(*merged.c).order_by(merged.c.id).limit(limit)
    return (await conn.execute(query)).all()


_NO_END = 2**63 - 1
_EVENT_FIELDS = ", ".join(column.name for column in EVENT_COLUMNS)
# ?1 user, ?2 after, ?3 up to, ?4 limit: the query above, as driver SQL for SQLite.
_EVENTS_FOR_USER = (
    f"SELECT {_EVENT_FIELDS} FROM ("
    f"SELECT {_EVENT_FIELDS} FROM events WHERE user_id = ?1 AND id > ?2 AND id <= ?3 "
    f"UNION ALL SELECT {_EVENT_FIELDS} FROM events WHERE user_id IS NULL AND id > ?2 AND id <= ?3 "
    "AND conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = ?1)"
    ") ORDER BY id LIMIT ?4"
)
# The messages table's columns in table order.
_MESSAGE_COLUMNS = ", ".join(column.name for column in messages.c)
_MESSAGES_BY_ID = f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT value FROM json_each(?))"


async def messages_by_id(conn: AsyncConnection, message_ids: list[int]) -> list[Any]:
    """The messages with these ids (in no particular order), each a row of the table's columns in
    table order. On SQLite the driver's rows (``mention_all`` reads as 0 / 1), the ids as one
    JSON array: a catch-up page names thousands of messages."""
    if not message_ids:
        return []
    if conn.dialect.name != "sqlite":
        return await get_messages(conn, message_ids)
    return await driver_rows(conn, _MESSAGES_BY_ID, (orjson.dumps(message_ids).decode(),))


async def driver_rows(conn: AsyncConnection, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The rows of driver SQL as the driver's own tuples (SQLite), not SQLAlchemy ``Row``s.

    A catch-up holds a page of rows while it encodes them. The collector promotes ``Row``s
    alive across its young collections to the oldest generation, and enough promotions make it
    walk the whole heap (~100-200 ms in a server: three times in a replay of 60,000 events);
    a tuple of plain values is untracked at its first collection instead, and never promoted."""
    result = await conn.exec_driver_sql(sql, parameters)
    try:
        return result.cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        result.close()


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
