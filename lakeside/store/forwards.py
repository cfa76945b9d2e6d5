"""Queries on merged forwards' transcripts and on voice messages' played state
(``store/tables/forward.py``)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.forwards import record_files
from lakeside.store.dialects import dialect_of
from lakeside.store.messages import id_in
from lakeside.store.tables import merged_record_files, merged_records, voice_plays


async def insert_records(conn: AsyncConnection, records: list[tuple[int, dict[str, Any]]]) -> None:
    """Store the transcripts of merged forwards just written (message id, payload), with the
    files each shows: two statements however many."""
    await conn.execute(
        insert(merged_records),
        [{"message_id": mid, "payload": orjson.dumps(payload).decode()} for mid, payload in records],
    )
    shown = [{"message_id": mid, "file_id": fid} for mid, payload in records for fid in record_files(payload)]
    if shown:
        await conn.execute(insert(merged_record_files), shown)


async def get_record(conn: AsyncConnection, message_id: int) -> dict[str, Any] | None:
    payload = (
        await conn.execute(select(merged_records.c.payload).where(merged_records.c.message_id == message_id))
    ).scalar()
    return None if payload is None else dict(orjson.loads(payload))


async def get_records(conn: AsyncConnection, message_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not message_ids:
        return {}
    rows = await conn.execute(
        select(merged_records.c.message_id, merged_records.c.payload).where(
            id_in(conn, merged_records.c.message_id, message_ids)
        )
    )
    return {row.message_id: orjson.loads(row.payload) for row in rows}


async def delete_record(conn: AsyncConnection, message_id: int) -> list[str]:
    """Delete a record (its message is recalled); the files it showed, to forget."""
    file_ids = list(
        (
            await conn.execute(
                select(merged_record_files.c.file_id).where(merged_record_files.c.message_id == message_id)
            )
        ).scalars()
    )
    await conn.execute(delete(merged_record_files).where(merged_record_files.c.message_id == message_id))
    await conn.execute(delete(merged_records).where(merged_records.c.message_id == message_id))
    return file_ids


async def mark_played(conn: AsyncConnection, message_id: int, user_id: int, now: int) -> bool:
    """Record that ``user_id`` played a voice message; False when they had already."""
    query = (
        dialect_of(conn)
        .insert(voice_plays)
        .values(message_id=message_id, user_id=user_id, played_at=now)
        .on_conflict_do_nothing()
    )
    return (await conn.execute(query)).rowcount > 0


async def played_among(conn: AsyncConnection, user_id: int, message_ids: list[int]) -> set[int]:
    """Which of these voice messages ``user_id`` has played."""
    if not message_ids:
        return set()
    rows = await conn.execute(
        select(voice_plays.c.message_id).where(
            voice_plays.c.user_id == user_id, id_in(conn, voice_plays.c.message_id, message_ids)
        )
    )
    return set(rows.scalars())
