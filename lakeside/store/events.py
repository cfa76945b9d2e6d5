"""The durable event log: append in the writing transaction, read back by position."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import events

SQLITE_ROWS_PER_INSERT = 2000


class LoggedEvent(Protocol):
    type: str
    op: str
    data: dict[str, Any]
    conversation_id: int | None
    user_id: int | None
    id: int
    created_at: int


async def append(conn: AsyncConnection, batch: Sequence[LoggedEvent], now: int) -> None:
    """Insert the events and write their new ids and time back onto them, in order."""
    rows = [
        {
            "type": event.type,
            "op": event.op,
            "conversation_id": event.conversation_id,
            "user_id": event.user_id,
            "data": orjson.dumps(event.data),
            "created_at": now,
        }
        for event in batch
    ]
    # One multi-row INSERT. The caller holds the log's write lock (SQLite's single writer; the
    # advisory lock on PostgreSQL), so nobody else takes ids meanwhile and the rows get ascending
    # ids in the order given: sorting what RETURNING hands back restores that order without the
    # row-at-a-time statements that an ordered RETURNING needs.
    if conn.dialect.name == "sqlite":
        # Driver SQL with flat positional parameters (see store.messages.insert_messages), in
        # chunks that stay well under SQLite's 32,766 bound parameters per statement.
        ids = []
        for start in range(0, len(rows), SQLITE_ROWS_PER_INSERT):
            chunk = rows[start : start + SQLITE_ROWS_PER_INSERT]
            result = await conn.exec_driver_sql(
                "INSERT INTO events (type, op, conversation_id, user_id, data, created_at) VALUES "
                + ",".join(["(?,?,?,?,?,?)"] * len(chunk))
                + " RETURNING id",
                tuple(
                    value
                    for r in chunk
                    for value in (r["type"], r["op"], r["conversation_id"], r["user_id"], r["data"], now)
                ),
            )
            ids.extend(event_id for (event_id,) in result.all())
        ids.sort()
    else:
        result = await conn.execute(insert(events).returning(events.c.id), rows)
        ids = sorted(row.id for row in result.all())
    for event, event_id in zip(batch, ids, strict=True):
        event.id = event_id
        event.created_at = now


async def latest_id(conn: AsyncConnection) -> int:
    return (await conn.scalar(select(func.max(events.c.id)))) or 0
