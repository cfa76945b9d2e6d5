"""Queries behind the scrub (services/scrub.py): every table that holds a copy of a message's
content, emptied for a set of messages in the caller's transaction.

The event log is rewritten in place only for the event types whose stored payload copies content
(the scrub's ``EVENT_SCRUBBERS``); message events keep only ids and need nothing. The scan starts
at the first message's ``message.created`` event, found through the (conversation, id) index by
its exact stored payload, so a recall reads only the log written since its message was sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import dings, events, favorites, message_pins, message_search, messages, reactions

EVENT_PAGE = 500


def _in(conn: AsyncConnection, target: Any, ids: Sequence[int]) -> Any:
    return dialect_of(conn).id_in(target, list(ids))


async def lock_messages(conn: AsyncConnection, message_ids: Sequence[int]) -> None:
    """Lock the rows about to be scrubbed before their copies are looked up: a forward writing a
    copy of one of them (``store/forwards.lock_sources``) then either commits first, and its copy
    is found, or waits and finds its source recalled or gone."""
    await dialect_of(conn).lock_rows(conn, messages, message_ids)


async def message_rows(conn: AsyncConnection, message_ids: Sequence[int]) -> list[Row[Any]]:
    query = select(
        messages.c.id,
        messages.c.conversation_id,
        messages.c.seq,
        messages.c.file_id,
        messages.c.sender_id,
        messages.c.kind,
    ).where(_in(conn, messages.c.id, message_ids))
    return list((await conn.execute(query)).all())


async def tombstone_messages(
    conn: AsyncConnection, message_ids: Sequence[int], *, by: int | None, now: int
) -> None:
    """The rows stay (their sequence numbers keep counts and receipts right); the content goes."""
    recalled_by = messages.c.recalled_by if by is None else func.coalesce(messages.c.recalled_by, by)
    await conn.execute(
        update(messages)
        .where(_in(conn, messages.c.id, message_ids))
        .values(
            body="",
            html=None,
            mentions=None,
            mention_all=False,
            file_id=None,
            recalled_at=func.coalesce(messages.c.recalled_at, now),
            recalled_by=recalled_by,
        )
    )


async def delete_search_rows(conn: AsyncConnection, message_ids: Sequence[int]) -> None:
    await conn.execute(delete(message_search).where(_in(conn, message_search.c.message_id, message_ids)))


async def delete_reactions(conn: AsyncConnection, message_ids: Sequence[int]) -> None:
    await conn.execute(delete(reactions).where(_in(conn, reactions.c.message_id, message_ids)))


async def delete_pins(conn: AsyncConnection, message_ids: Sequence[int]) -> list[tuple[int, int]]:
    """Unpin; the (conversation, message) pairs that were pinned."""
    query = select(message_pins.c.conversation_id, message_pins.c.message_id).where(
        _in(conn, message_pins.c.message_id, message_ids)
    )
    pinned = [(row[0], row[1]) for row in (await conn.execute(query)).all()]
    if pinned:
        await conn.execute(delete(message_pins).where(_in(conn, message_pins.c.message_id, message_ids)))
    return pinned


async def favorites_of(conn: AsyncConnection, message_ids: Sequence[int]) -> list[Row[Any]]:
    query = select(
        favorites.c.id,
        favorites.c.user_id,
        favorites.c.message_id,
        favorites.c.file_id,
        favorites.c.sender_name,
        favorites.c.conversation_title,
    ).where(_in(conn, favorites.c.message_id, message_ids), favorites.c.recalled_at.is_(None))
    return list((await conn.execute(query)).all())


async def scrub_favorite(conn: AsyncConnection, favorite_id: int, words: str, chars: str, now: int) -> None:
    await conn.execute(
        update(favorites)
        .where(favorites.c.id == favorite_id)
        .values(body="", html=None, file_id=None, words=words, chars=chars, recalled_at=now)
    )


async def empty_ding_bodies(conn: AsyncConnection, message_ids: Sequence[int]) -> None:
    """A DING made from a message shows the message as it is now; its own body is empty already,
    emptied again here so that no future change of that rule leaves a copy behind."""
    await conn.execute(update(dings).where(_in(conn, dings.c.message_id, message_ids)).values(body=""))


async def first_message_event(conn: AsyncConnection, rows: Sequence[Row[Any]]) -> int:
    """The lowest id of the messages' ``message.created`` events; the log's first id when one of
    them was pruned (everything kept is then newer than it)."""
    lowest: int | None = None
    for row in rows:
        stored = orjson.dumps({"message_id": row.id, "seq": row.seq})
        found = await conn.scalar(
            select(func.min(events.c.id)).where(
                events.c.conversation_id == row.conversation_id,
                events.c.type == "message",
                events.c.op == "created",
                events.c.data == stored,
            )
        )
        if found is None:
            return int(await conn.scalar(select(func.coalesce(func.min(events.c.id), 0))) or 0)
        lowest = found if lowest is None else min(lowest, found)
    return lowest or 0


async def content_events(
    conn: AsyncConnection, kinds: Sequence[tuple[str, str]], *, after: int, limit: int = EVENT_PAGE
) -> list[Row[Any]]:
    """(id, type, op, data) of the events of these (type, op) after ``after``, in id order."""
    wanted = or_(*(and_(events.c.type == t, events.c.op == o) for t, o in kinds))
    query = (
        select(events.c.id, events.c.type, events.c.op, events.c.data)
        .where(events.c.id > after, wanted)
        .order_by(events.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def rewrite_event(conn: AsyncConnection, event_id: int, data: bytes) -> None:
    await conn.execute(update(events).where(events.c.id == event_id).values(data=data))


async def delete_events_of_user(conn: AsyncConnection, user_id: int) -> int:
    result = await conn.execute(delete(events).where(events.c.user_id == user_id))
    return int(result.rowcount or 0)
