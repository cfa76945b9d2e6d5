"""Queries on friendships, friend requests and blocks."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import blocks, friendships


async def are_friends(conn: AsyncConnection, user_id: int, other_id: int) -> bool:
    query = select(friendships.c.user_id).where(
        friendships.c.user_id == user_id, friendships.c.friend_id == other_id
    )
    return (await conn.execute(query)).first() is not None


async def blocked_between(conn: AsyncConnection, user_id: int, other_id: int) -> bool:
    """True when either of the two has blocked the other."""
    query = select(blocks.c.user_id).where(
        or_(
            and_(blocks.c.user_id == user_id, blocks.c.blocked_id == other_id),
            and_(blocks.c.user_id == other_id, blocks.c.blocked_id == user_id),
        )
    )
    return (await conn.execute(query)).first() is not None


async def has_blocked(conn: AsyncConnection, user_id: int, other_id: int) -> bool:
    """True when ``user_id`` has blocked ``other_id``."""
    query = select(blocks.c.user_id).where(blocks.c.user_id == user_id, blocks.c.blocked_id == other_id)
    return (await conn.execute(query)).first() is not None
