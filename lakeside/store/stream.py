"""Reading the event log back: what a resuming client missed, in order.

Pages come back as plain rows read by position (``EVENT_COLUMNS`` order), never as mapped
objects: a catch-up reads a hundred thousand of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import conversation_members, events

# The order of an event row's fields in what the readers below return.
EVENT_COLUMNS = (
    events.c.id,
    events.c.type,
    events.c.op,
    events.c.conversation_id,
    events.c.user_id,
    events.c.data,
    events.c.created_at,
)


async def events_for_user(
    conn: AsyncConnection, user_id: int, *, since: int, limit: int, upto: int | None = None
) -> list[Row[Any]]:
    """Events after ``since`` (and up to ``upto``) addressed to the user or to a conversation they
    are a member of.

    Conversation membership is today's: a conversation the user has left no longer streams to
    them (they were told when they left, through an event addressed to them).

    The query reads two index ranges (the user's events; conversation events after ``since``)
    and sorts what matches before the limit applies, so callers bound the range with ``upto``:
    without it each page of a long catch-up would sort everything after it."""
    mine = select(conversation_members.c.conversation_id).where(conversation_members.c.user_id == user_id)
    query = (
        select(*EVENT_COLUMNS)
        .where(
            events.c.id > since,
            or_(
                events.c.user_id == user_id,
                and_(events.c.user_id.is_(None), events.c.conversation_id.in_(mine)),
            ),
        )
        .order_by(events.c.id)
        .limit(limit)
    )
    if upto is not None:
        query = query.where(events.c.id <= upto)
    return (await conn.execute(query)).all()


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
    """The oldest and newest event ids kept (0, 0 when the log is empty)."""
    row = (await conn.execute(select(func.min(events.c.id), func.max(events.c.id)))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def prune_before(conn: AsyncConnection, created_before: int) -> int:
    from sqlalchemy import delete

    result = await conn.execute(delete(events).where(events.c.created_at < created_before))
    return result.rowcount


async def conversation_ids(conn: AsyncConnection, user_id: int) -> set[int]:
    """The conversations whose events stream to this user."""
    query = select(conversation_members.c.conversation_id).where(conversation_members.c.user_id == user_id)
    return {row.conversation_id for row in await conn.execute(query)}
