"""The durable event log: append in the writing transaction, read back by position (stream.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import events

EVENT_LOG_LOCK = 0x1A4E51DE  # the advisory lock's key for appends to the log

# One row to append, in ``dialects.LOG_FIELDS`` order: (type, op, conversation_id, user_id, data,
# audience, created_at); data and audience already encoded (audience None for most events).
LogRow = tuple[str, str, int | None, int | None, bytes, bytes | None, int]


async def append(conn: AsyncConnection, rows: Sequence[LogRow]) -> list[int]:
    """Insert the rows; their new ids, in the order given.

    One multi-row INSERT. The caller holds the log's write lock (``lock``), so
    nobody else takes ids meanwhile and the rows get ascending ids in the order given: sorting
    what RETURNING hands back restores that order without the row-at-a-time statements that an
    ordered RETURNING needs."""
    if not rows:
        return []
    return sorted(await dialect_of(conn).append_events(conn, rows))


async def lock(conn: AsyncConnection) -> None:
    """Serialise appends to the log until this transaction ends: event ids then become visible
    in commit order (see lakeside.store.dialects)."""
    await dialect_of(conn).lock(conn, EVENT_LOG_LOCK)


async def latest_id(conn: AsyncConnection) -> int:
    return (await conn.scalar(select(func.max(events.c.id)))) or 0
