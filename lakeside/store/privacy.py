"""Queries behind account deletion, data exports and retention (services/account_deletion.py,
services/exports.py, services/retention.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import (
    blocks,
    conversation_drafts,
    conversation_members,
    conversations,
    events,
    export_jobs,
    external_identities,
    favorites,
    files,
    friend_requests,
    friendships,
    message_search,
    messages,
    org_members,
    organizations,
    reactions,
    users,
)

# -- account deletion --------------------------------------------------------------------------


async def organizations_of(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = select(org_members.c.organization_id, org_members.c.role, org_members.c.status).where(
        org_members.c.user_id == user_id
    )
    return list((await conn.execute(query)).all())


async def groups_of(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    """The user's memberships of plain groups (not direct chats, not organization groups)."""
    query = (
        select(conversations.c.id, conversation_members.c.role, conversations.c.member_count)
        .join(conversation_members, conversation_members.c.conversation_id == conversations.c.id)
        .where(conversation_members.c.user_id == user_id, conversations.c.kind == "group")
    )
    return list((await conn.execute(query)).all())


async def successor(conn: AsyncConnection, conversation_id: int, leaving: int) -> int | None:
    """Who takes over a group its owner leaves: an admin first, then the longest-standing member."""
    query = (
        select(conversation_members.c.user_id)
        .where(
            conversation_members.c.conversation_id == conversation_id,
            conversation_members.c.user_id != leaving,
        )
        .order_by((conversation_members.c.role == "admin").desc(), conversation_members.c.joined_at)
        .limit(1)
    )
    return await conn.scalar(query)


async def sent_message_ids(conn: AsyncConnection, user_id: int, *, after: int, limit: int) -> list[int]:
    """Ids of the user's messages not yet tombstoned, after ``after``, in id order."""
    query = (
        select(messages.c.id)
        .where(messages.c.sender_id == user_id, messages.c.id > after, messages.c.kind != "system")
        .order_by(messages.c.id)
        .limit(limit)
    )
    return list((await conn.scalars(query)).all())


async def friend_ids(conn: AsyncConnection, user_id: int) -> list[int]:
    return list(
        (await conn.scalars(select(friendships.c.friend_id).where(friendships.c.user_id == user_id))).all()
    )


async def lock_account(conn: AsyncConnection, user_id: int) -> None:
    """Hold the user's row until the deletion commits (PostgreSQL; SQLite has one writer)."""
    await dialect_of(conn).lock_rows(conn, users, [user_id])


async def delete_own_rows(conn: AsyncConnection, user_id: int) -> list[str]:
    """The user's favourites, drafts, reactions, linked sign-in identities, blocks (both ways) and
    friend requests (both ways); the file ids the favourites named."""
    named = await conn.scalars(
        select(favorites.c.file_id).where(favorites.c.user_id == user_id, favorites.c.file_id.is_not(None))
    )
    file_ids = [file_id for file_id in named.all() if file_id]
    await conn.execute(delete(favorites).where(favorites.c.user_id == user_id))
    await conn.execute(delete(conversation_drafts).where(conversation_drafts.c.user_id == user_id))
    await conn.execute(delete(reactions).where(reactions.c.user_id == user_id))
    # Linked sign-in identities (with what the provider said of the person): the person may come
    # back through the provider as someone new.
    await conn.execute(delete(external_identities).where(external_identities.c.user_id == user_id))
    await conn.execute(delete(blocks).where(or_(blocks.c.user_id == user_id, blocks.c.blocked_id == user_id)))
    await conn.execute(
        delete(friend_requests).where(
            or_(friend_requests.c.from_user_id == user_id, friend_requests.c.to_user_id == user_id)
        )
    )
    return file_ids


async def owned_file_ids(conn: AsyncConnection, user_id: int) -> list[str]:
    return list((await conn.scalars(select(files.c.id).where(files.c.owner_id == user_id))).all())


async def delete_events_for(conn: AsyncConnection, user_id: int) -> None:
    """The events addressed to the user alone: their own stream, nobody else's."""
    await conn.execute(delete(events).where(events.c.user_id == user_id))


async def export_job_ids(conn: AsyncConnection, user_id: int) -> list[int]:
    return list((await conn.scalars(select(export_jobs.c.id).where(export_jobs.c.user_id == user_id))).all())


async def delete_export_jobs(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(export_jobs).where(export_jobs.c.user_id == user_id))


# -- retention ---------------------------------------------------------------------------------


async def retention_policies(conn: AsyncConnection) -> list[tuple[int, int]]:
    """(organization, days) for every organization that keeps messages for a limited time."""
    query = select(organizations.c.id, organizations.c.retention_days).where(
        organizations.c.retention_days.is_not(None)
    )
    return [(row[0], row[1]) for row in (await conn.execute(query)).all()]


async def expired_messages(
    conn: AsyncConnection, organization_id: int, before: int, *, limit: int
) -> list[Row[Any]]:
    """(id, conversation_id, seq, file_id) of the organization's messages sent before ``before``."""
    query = (
        select(messages.c.id, messages.c.conversation_id, messages.c.seq, messages.c.file_id)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(conversations.c.organization_id == organization_id, messages.c.created_at < before)
        .order_by(messages.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def delete_messages(conn: AsyncConnection, message_ids: list[int]) -> None:
    await conn.execute(delete(message_search).where(message_search.c.message_id.in_(message_ids)))
    await conn.execute(delete(messages).where(messages.c.id.in_(message_ids)))


async def delete_conversation_events(conn: AsyncConnection, conversation_id: int, before: int) -> int:
    result = await conn.execute(
        delete(events).where(and_(events.c.conversation_id == conversation_id, events.c.created_at < before))
    )
    return int(result.rowcount or 0)


async def catch_up_readers(conn: AsyncConnection, conversation_id: int, seq: int) -> None:
    """Members whose cursor is below ``seq`` have now nothing unread up to it: those messages are
    gone, and ``unread`` (last_seq − read_seq) must count only what can still be read."""
    await conn.execute(
        update(conversation_members)
        .where(
            conversation_members.c.conversation_id == conversation_id, conversation_members.c.read_seq < seq
        )
        .values(read_seq=seq)
    )


async def count(conn: AsyncConnection, table: Any, *conditions: Any) -> int:
    return int(await conn.scalar(select(func.count()).select_from(table).where(*conditions)) or 0)
