"""Queries on friendships, friend requests and blocks.

Friendship is stored once per direction so that each side keeps its own remark name; the writers
here always insert and delete both directions together. Changes to one pair are serialised by
``lock_pair`` (row locks on the two users on PostgreSQL; SQLite has one writer at a time already),
so rules such as "one pending request per pair" and "never friends while blocked" hold under
concurrency without relying on the caller's luck.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.pinyin import search_key
from lakeside.store.tables import blocks, friend_requests, friendships, users
from lakeside.store.users import PUBLIC_COLUMNS

Direction = Literal["incoming", "outgoing"]


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


# -- the pair lock ------------------------------------------------------------------------------


async def lock_pair(conn: AsyncConnection, user_id: int, other_id: int) -> dict[int, Row[Any]]:
    """Lock both users' rows until the transaction ends and return them (public columns and
    ``is_active``) by id; a missing user is simply absent.

    Rows are locked in id order so two transactions on the same pair cannot deadlock. The lock is
    ``FOR NO KEY UPDATE``: it does not block other transactions inserting rows that reference
    these users (messages, sessions), only other social changes to them.
    """
    query = (
        select(*PUBLIC_COLUMNS, users.c.is_active)
        .where(users.c.id.in_([user_id, other_id]))
        .order_by(users.c.id)
        .with_for_update(key_share=True)
    )
    rows: list[Row[Any]] = list(await conn.execute(query))
    return {row.id: row for row in rows}


# -- friend requests ----------------------------------------------------------------------------


async def get_request(conn: AsyncConnection, request_id: int) -> Row[Any] | None:
    return (await conn.execute(select(friend_requests).where(friend_requests.c.id == request_id))).first()


async def get_pending_request(conn: AsyncConnection, from_user_id: int, to_user_id: int) -> Row[Any] | None:
    query = select(friend_requests).where(
        friend_requests.c.from_user_id == from_user_id,
        friend_requests.c.to_user_id == to_user_id,
        friend_requests.c.status == "pending",
    )
    return (await conn.execute(query)).first()


async def insert_request(
    conn: AsyncConnection, from_user_id: int, to_user_id: int, greeting: str, now: int
) -> int:
    query = (
        insert(friend_requests)
        .values(
            from_user_id=from_user_id,
            to_user_id=to_user_id,
            greeting=greeting,
            status="pending",
            created_at=now,
        )
        .returning(friend_requests.c.id)
    )
    return (await conn.execute(query)).scalar_one()


async def decide_request(conn: AsyncConnection, request_id: int, status: str, now: int) -> bool:
    """Move a pending request to ``status``; False when it was no longer pending."""
    query = (
        update(friend_requests)
        .where(friend_requests.c.id == request_id, friend_requests.c.status == "pending")
        .values(status=status, decided_at=now)
    )
    return (await conn.execute(query)).rowcount > 0


async def pending_requests_between(conn: AsyncConnection, user_id: int, other_id: int) -> list[Row[Any]]:
    """Pending requests in either direction between the two, oldest first."""
    query = (
        select(friend_requests)
        .where(
            friend_requests.c.status == "pending",
            or_(
                and_(friend_requests.c.from_user_id == user_id, friend_requests.c.to_user_id == other_id),
                and_(friend_requests.c.from_user_id == other_id, friend_requests.c.to_user_id == user_id),
            ),
        )
        .order_by(friend_requests.c.id)
    )
    return list(await conn.execute(query))


async def list_pending_requests(conn: AsyncConnection, user_id: int, direction: Direction) -> list[Row[Any]]:
    """The user's pending requests, newest first, leaving out those whose other side is
    deactivated (they can never be answered)."""
    mine, theirs = (
        (friend_requests.c.to_user_id, friend_requests.c.from_user_id)
        if direction == "incoming"
        else (friend_requests.c.from_user_id, friend_requests.c.to_user_id)
    )
    query = (
        select(friend_requests)
        .join(users, users.c.id == theirs)
        .where(mine == user_id, friend_requests.c.status == "pending", users.c.is_active.is_(True))
        .order_by(friend_requests.c.created_at.desc(), friend_requests.c.id.desc())
    )
    return list(await conn.execute(query))


# -- friendships --------------------------------------------------------------------------------


def _friend_query(user_id: int) -> Any:
    return (
        select(*PUBLIC_COLUMNS, friendships.c.remark, friendships.c.created_at.label("since"))
        .join(users, users.c.id == friendships.c.friend_id)
        .where(friendships.c.user_id == user_id)
    )


async def get_friend(conn: AsyncConnection, user_id: int, friend_id: int) -> Row[Any] | None:
    """The friend's public columns with ``remark`` and ``since`` as seen by ``user_id``."""
    return (await conn.execute(_friend_query(user_id).where(friendships.c.friend_id == friend_id))).first()


async def list_friends(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    return list(await conn.execute(_friend_query(user_id)))


async def insert_friendship(conn: AsyncConnection, user_id: int, other_id: int, now: int) -> None:
    """Both directions; the caller holds the pair lock and has checked they are not friends."""
    await conn.execute(
        insert(friendships),
        [
            {"user_id": user_id, "friend_id": other_id, "remark": None, "created_at": now},
            {"user_id": other_id, "friend_id": user_id, "remark": None, "created_at": now},
        ],
    )


async def delete_friendship(conn: AsyncConnection, user_id: int, other_id: int) -> int:
    """Both directions; returns the number of rows removed (0 or 2)."""
    query = delete(friendships).where(
        or_(
            and_(friendships.c.user_id == user_id, friendships.c.friend_id == other_id),
            and_(friendships.c.user_id == other_id, friendships.c.friend_id == user_id),
        )
    )
    return (await conn.execute(query)).rowcount


async def set_remark(conn: AsyncConnection, user_id: int, friend_id: int, remark: str | None) -> bool:
    query = (
        update(friendships)
        .where(friendships.c.user_id == user_id, friendships.c.friend_id == friend_id)
        .values(remark=remark, remark_key=search_key(remark) if remark else "")
    )
    return (await conn.execute(query)).rowcount > 0


# -- blocks -------------------------------------------------------------------------------------


def _block_query(user_id: int) -> Any:
    return (
        select(*PUBLIC_COLUMNS, blocks.c.created_at.label("since"))
        .join(users, users.c.id == blocks.c.blocked_id)
        .where(blocks.c.user_id == user_id)
    )


async def get_block(conn: AsyncConnection, user_id: int, blocked_id: int) -> Row[Any] | None:
    return (await conn.execute(_block_query(user_id).where(blocks.c.blocked_id == blocked_id))).first()


async def list_blocks(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = _block_query(user_id).order_by(blocks.c.created_at.desc(), blocks.c.blocked_id.desc())
    return list(await conn.execute(query))


async def insert_block(conn: AsyncConnection, user_id: int, blocked_id: int, now: int) -> None:
    await conn.execute(insert(blocks).values(user_id=user_id, blocked_id=blocked_id, created_at=now))


async def delete_block(conn: AsyncConnection, user_id: int, blocked_id: int) -> bool:
    query = delete(blocks).where(blocks.c.user_id == user_id, blocks.c.blocked_id == blocked_id)
    return (await conn.execute(query)).rowcount > 0
