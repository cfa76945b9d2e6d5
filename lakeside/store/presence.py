"""Queries behind presence: who may see a user's status, and when they were last seen."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import conversation_members, conversations, friendships, users


async def presence_audience(conn: AsyncConnection, user_id: int) -> list[int]:
    """Friends and direct-chat partners (and, later, colleagues) see each other's status."""
    friends = select(friendships.c.friend_id.label("uid")).where(friendships.c.user_id == user_id)
    mine = (
        select(conversation_members.c.conversation_id)
        .join(conversations, conversations.c.id == conversation_members.c.conversation_id)
        .where(conversation_members.c.user_id == user_id, conversations.c.kind == "direct")
    )
    peers = select(conversation_members.c.user_id.label("uid")).where(
        conversation_members.c.conversation_id.in_(mine), conversation_members.c.user_id != user_id
    )
    rows = (await conn.execute(friends.union(peers))).all()
    return sorted({uid for (uid,) in rows})


async def last_seen(conn: AsyncConnection, user_ids: list[int]) -> dict[int, int | None]:
    if not user_ids:
        return {}
    rows = await conn.execute(select(users.c.id, users.c.last_seen_at).where(users.c.id.in_(user_ids)))
    return {row.id: row.last_seen_at for row in rows}


async def mark_seen(conn: AsyncConnection, user_id: int, now: int) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(last_seen_at=now))
