"""The durable event log: append in the writing transaction, read back by position (stream.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import events

SQLITE_ROWS_PER_INSERT = 2000

# One row to append: (type, op, conversation_id, user_id, data, audience, created_at); data and
# audience already encoded (audience None for most events).
LogRow = tuple[str, str, int | None, int | None, bytes, bytes | None, int]
_COLUMNS = ("type", "op", "conversation_id", "user_id", "data", "audience", "created_at")


async def append(conn: AsyncConnection, rows: Sequence[LogRow]) -> list[int]:
    """Insert the rows; their new ids, in the order given.

    One multi-row INSERT. The caller holds the log's write lock (SQLite's single writer; the
    advisory lock on PostgreSQL, ``Database.lock_event_log``), so nobody else takes ids meanwhile
    and the rows get ascending ids in the order given: sorting what RETURNING hands back restores
    that order without the row-at-a-time statements that an ordered RETURNING needs."""
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        # Driver SQL with flat positional parameters (see store.messages.insert_messages), in
        # chunks that stay well under SQLite's 32,766 bound parameters per statement.
        ids = []
        for start in range(0, len(rows), SQLITE_ROWS_PER_INSERT):
            chunk = rows[start : start + SQLITE_ROWS_PER_INSERT]
            result = await conn.exec_driver_sql(
                f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES "
                + ",".join(["(?,?,?,?,?,?,?)"] * len(chunk))
                + " RETURNING id",
                tuple(value for row in chunk for value in row),
            )
            ids.extend(event_id for (event_id,) in result.all())
    else:
        result = await conn.execute(
            insert(events).returning(events.c.id), [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
        )
        ids = [row.id for row in result.all()]
    ids.sort()
    return ids


async def latest_id(conn: AsyncConnection) -> int:
    return (await conn.scalar(select(func.max(events.c.id)))) or 0
