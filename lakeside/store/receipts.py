"""Queries behind read receipts. Everything is derived from read cursors
(conversation_members.read_seq), never from per-message, per-reader rows: a member has read a
message when their cursor has reached its sequence number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import conversation_members as members
from lakeside.store.tables import messages, users


async def cursors(conn: AsyncConnection, conversation_id: int, exclude_user_id: int) -> list[int]:
    """Every other member's read cursor, ascending: one indexed read, whatever the history size."""
    query = (
        select(members.c.read_seq)
        .where(members.c.conversation_id == conversation_id, members.c.user_id != exclude_user_id)
        .order_by(members.c.read_seq)
    )
    return [row.read_seq for row in await conn.execute(query)]


async def count_read(
    conn: AsyncConnection, conversation_id: int, seq: int, exclude_user_id: int
) -> tuple[int, int]:
    """(read, unread) among the members other than ``exclude_user_id`` for message ``seq``."""
    read = func.sum(case((members.c.read_seq >= seq, 1), else_=0))
    query = select(func.count(), read).where(
        members.c.conversation_id == conversation_id, members.c.user_id != exclude_user_id
    )
    total, read_count = (await conn.execute(query)).one()
    return int(read_count or 0), int(total) - int(read_count or 0)


async def readers(
    conn: AsyncConnection,
    conversation_id: int,
    seq: int,
    exclude_user_id: int,
    *,
    have_read: bool,
    limit: int,
) -> list[Row[Any]]:
    condition = members.c.read_seq >= seq if have_read else members.c.read_seq < seq
    query = (
        select(users.c.id, users.c.username, users.c.display_name, users.c.avatar_file_id)
        .join(members, members.c.user_id == users.c.id)
        .where(members.c.conversation_id == conversation_id, members.c.user_id != exclude_user_id, condition)
        .order_by(users.c.id)
        .limit(limit)
    )
    return list(await conn.execute(query))


async def senders_between(
    conn: AsyncConnection, conversation_id: int, after_seq: int, upto_seq: int
) -> list[int]:
    """Who sent the messages a reader just read: the people whose "N unread" changes."""
    query = (
        select(messages.c.sender_id)
        .where(
            messages.c.conversation_id == conversation_id,
            messages.c.seq > after_seq,
            messages.c.seq <= upto_seq,
            messages.c.sender_id.is_not(None),
        )
        .distinct()
    )
    return [row.sender_id for row in await conn.execute(query)]


async def receipts_hidden(conn: AsyncConnection, conversation_ids: set[int]) -> set[int]:
    """Those of the conversations whose organization turned read receipts off."""
    from lakeside.store.tables import conversations, organizations

    if not conversation_ids:
        return set()
    query = (
        select(conversations.c.id)
        .join(organizations, organizations.c.id == conversations.c.organization_id)
        .where(conversations.c.id.in_(conversation_ids), organizations.c.members_see_read_receipts.is_(False))
    )
    return {row.id for row in await conn.execute(query)}
