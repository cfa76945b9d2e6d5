"""Queries on merged forwards' transcripts and on voice messages' played state
(``store/tables/forward.py``)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.forwards import record_files
from lakeside.store.dialects import dialect_of
from lakeside.store.messages import id_in
from lakeside.store.tables import forward_sources, merged_record_files, merged_records, messages, voice_plays


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


async def link_sources(conn: AsyncConnection, links: list[tuple[int, int]]) -> None:
    """Record which messages each new copy copies (copy id, source id)."""
    if links:
        await conn.execute(
            insert(forward_sources), [{"copy_id": copy, "source_id": source} for copy, source in links]
        )


async def lock_sources(conn: AsyncConnection, message_ids: list[int]) -> dict[int, bool]:
    """Lock the messages copies are about to copy (in id order, until the transaction ends) and
    say, for each that still exists, whether it is recalled. The scrub locks the same rows before
    it looks for copies (``store/scrub.py``), so a copy is either written before a recall looks
    (and the recall finds it) or finds its source recalled or gone (and is refused)."""
    if not message_ids:
        return {}
    await dialect_of(conn).lock_rows(conn, messages, message_ids)
    rows = await conn.execute(
        select(messages.c.id, messages.c.recalled_at).where(id_in(conn, messages.c.id, message_ids))
    )
    return {row.id: row.recalled_at is not None for row in rows}


async def sources_of(conn: AsyncConnection, message_ids: list[int]) -> dict[int, set[int]]:
    """For each of these messages that is itself a copy, the messages it copies."""
    if not message_ids:
        return {}
    rows = await conn.execute(
        select(forward_sources.c.copy_id, forward_sources.c.source_id).where(
            id_in(conn, forward_sources.c.copy_id, message_ids)
        )
    )
    found: dict[int, set[int]] = {}
    for copy, source in rows:
        found.setdefault(copy, set()).add(source)
    return found


async def copies_of(conn: AsyncConnection, message_ids: list[int]) -> list[Any]:
    """Every message that copies one of these (links are transitive: one look-up finds copies of
    copies): id, conversation id, kind."""
    if not message_ids:
        return []
    copies = select(forward_sources.c.copy_id).where(id_in(conn, forward_sources.c.source_id, message_ids))
    rows = await conn.execute(
        select(messages.c.id, messages.c.conversation_id, messages.c.kind)
        .where(messages.c.id.in_(copies), messages.c.recalled_at.is_(None))
        .order_by(messages.c.id)
    )
    return list(rows.all())


async def replace_record(conn: AsyncConnection, message_id: int, payload: dict[str, Any], body: str) -> None:
    """A record rewritten (an item in it was recalled): its transcript, its card, the files it shows."""
    await conn.execute(
        update(merged_records)
        .where(merged_records.c.message_id == message_id)
        .values(payload=orjson.dumps(payload).decode())
    )
    await conn.execute(update(messages).where(messages.c.id == message_id).values(body=body))
    await conn.execute(delete(merged_record_files).where(merged_record_files.c.message_id == message_id))
    shown = [{"message_id": message_id, "file_id": fid} for fid in record_files(payload)]
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
