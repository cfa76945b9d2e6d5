"""Queries behind data exports (services/exports.py, services/export_archive.py): the job rows,
their claim by one worker, and the pages of data an archive is built from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import (
    announcements,
    conversation_members,
    conversations,
    department_members,
    departments,
    export_jobs,
    favorites,
    files,
    friendships,
    messages,
    org_members,
    organizations,
    users,
)

IN_PROGRESS = ("queued", "running")

# -- jobs --------------------------------------------------------------------------------------


def _scope(user_id: int, organization_id: int | None) -> Any:
    """A user's own exports, or an organization's (whoever of its admins asked)."""
    if organization_id is None:
        return and_(export_jobs.c.user_id == user_id, export_jobs.c.organization_id.is_(None))
    return export_jobs.c.organization_id == organization_id


async def lock_requester(conn: AsyncConnection, user_id: int) -> None:
    """Serialise one user's export requests (PostgreSQL: their row; SQLite's write transaction
    already admits one writer), so that two at once cannot both see none in progress."""
    await dialect_of(conn).lock_rows(conn, users, [user_id])


async def in_progress(conn: AsyncConnection, user_id: int, organization_id: int | None) -> Row[Any] | None:
    query = (
        select(export_jobs)
        .where(_scope(user_id, organization_id), export_jobs.c.status.in_(IN_PROGRESS))
        .order_by(export_jobs.c.id)
        .limit(1)
    )
    return (await conn.execute(query)).first()


async def count_since(conn: AsyncConnection, user_id: int, organization_id: int | None, since: int) -> int:
    query = select(func.count()).where(_scope(user_id, organization_id), export_jobs.c.created_at >= since)
    return int(await conn.scalar(query) or 0)


async def oldest_since(conn: AsyncConnection, user_id: int, organization_id: int | None, since: int) -> int:
    query = select(func.min(export_jobs.c.created_at)).where(
        _scope(user_id, organization_id), export_jobs.c.created_at >= since
    )
    return int(await conn.scalar(query) or since)


async def insert_job(conn: AsyncConnection, user_id: int, organization_id: int | None, now: int) -> int:
    result = await conn.execute(
        insert(export_jobs)
        .values(user_id=user_id, organization_id=organization_id, status="queued", created_at=now)
        .returning(export_jobs.c.id)
    )
    return int(result.scalar_one())


async def get_job(conn: AsyncConnection, job_id: int) -> Row[Any] | None:
    return (await conn.execute(select(export_jobs).where(export_jobs.c.id == job_id))).first()


async def list_jobs(
    conn: AsyncConnection, user_id: int, organization_id: int | None, limit: int
) -> list[Row[Any]]:
    query = (
        select(export_jobs)
        .where(_scope(user_id, organization_id))
        .order_by(export_jobs.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def next_queued(conn: AsyncConnection) -> int | None:
    query = (
        select(export_jobs.c.id).where(export_jobs.c.status == "queued").order_by(export_jobs.c.id).limit(1)
    )
    return await conn.scalar(query)


async def claim(conn: AsyncConnection, job_id: int, now: int) -> bool:
    """queued → running; True for exactly one claimant however many nodes try (the condition on
    the status is checked by the UPDATE itself, under the row's write lock on both engines)."""
    result = await conn.execute(
        update(export_jobs)
        .where(export_jobs.c.id == job_id, export_jobs.c.status == "queued")
        .values(status="running", started_at=now)
    )
    return result.rowcount == 1


async def finish(conn: AsyncConnection, job_id: int, values: dict[str, Any]) -> bool:
    """running → ready or failed; False when the job is gone (its owner deleted the account)."""
    result = await conn.execute(
        update(export_jobs)
        .where(export_jobs.c.id == job_id, export_jobs.c.status == "running")
        .values(**values)
    )
    return result.rowcount == 1


async def stale_running(conn: AsyncConnection, started_before: int) -> list[Row[Any]]:
    query = select(export_jobs).where(
        export_jobs.c.status == "running", export_jobs.c.started_at < started_before
    )
    return list((await conn.execute(query)).all())


async def expired_ready(conn: AsyncConnection, now: int) -> list[Row[Any]]:
    query = select(export_jobs).where(export_jobs.c.status == "ready", export_jobs.c.expires_at <= now)
    return list((await conn.execute(query)).all())


async def set_status(conn: AsyncConnection, job_id: int, old: str, values: dict[str, Any]) -> bool:
    result = await conn.execute(
        update(export_jobs).where(export_jobs.c.id == job_id, export_jobs.c.status == old).values(**values)
    )
    return result.rowcount == 1


async def delete_old_jobs(conn: AsyncConnection, created_before: int) -> None:
    """Rows of finished jobs past any use (the files are long gone)."""
    await conn.execute(
        delete(export_jobs).where(
            export_jobs.c.created_at < created_before, export_jobs.c.status.in_(("failed", "expired"))
        )
    )


# -- a user's data -----------------------------------------------------------------------------


async def user_row(conn: AsyncConnection, user_id: int) -> Row[Any] | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).first()


async def friends_of(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = (
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.deleted_at,
            friendships.c.remark,
            friendships.c.created_at,
        )
        .join(users, users.c.id == friendships.c.friend_id)
        .where(friendships.c.user_id == user_id)
        .order_by(friendships.c.created_at)
    )
    return list((await conn.execute(query)).all())


async def memberships_of(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = (
        select(
            organizations.c.id,
            organizations.c.name.label("organization"),
            org_members.c.role,
            org_members.c.status,
            org_members.c.name,
            org_members.c.title,
            org_members.c.employee_no,
            org_members.c.work_phone,
            org_members.c.joined_at,
        )
        .join(organizations, organizations.c.id == org_members.c.organization_id)
        .where(org_members.c.user_id == user_id)
        .order_by(organizations.c.id)
    )
    return list((await conn.execute(query)).all())


async def conversations_of(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = (
        select(
            conversations.c.id,
            conversations.c.kind,
            conversations.c.title,
            conversations.c.organization_id,
            conversation_members.c.role,
            conversation_members.c.joined_at,
        )
        .join(conversation_members, conversation_members.c.conversation_id == conversations.c.id)
        .where(conversation_members.c.user_id == user_id)
        .order_by(conversations.c.id)
    )
    return list((await conn.execute(query)).all())


async def direct_partners(
    conn: AsyncConnection, user_id: int, conversation_ids: Sequence[int]
) -> dict[int, str]:
    """The other person's display name in each of the user's direct chats."""
    if not conversation_ids:
        return {}
    query = (
        select(conversation_members.c.conversation_id, users.c.display_name, users.c.deleted_at)
        .join(users, users.c.id == conversation_members.c.user_id)
        .where(
            conversation_members.c.conversation_id.in_(list(conversation_ids)),
            conversation_members.c.user_id != user_id,
        )
    )
    return {
        row.conversation_id: ("" if row.deleted_at else row.display_name)
        for row in (await conn.execute(query)).all()
    }


MESSAGE_COLUMNS = (
    messages.c.id,
    messages.c.conversation_id,
    messages.c.seq,
    messages.c.sender_id,
    messages.c.kind,
    messages.c.body,
    messages.c.reply_to_id,
    messages.c.file_id,
    messages.c.created_at,
    messages.c.edited_at,
)


async def sent_messages(conn: AsyncConnection, user_id: int, *, after: int, limit: int) -> list[Row[Any]]:
    """The user's own messages, not recalled, in id order (system lines are the server's)."""
    query = (
        select(*MESSAGE_COLUMNS)
        .where(
            messages.c.sender_id == user_id,
            messages.c.id > after,
            messages.c.kind != "system",
            messages.c.recalled_at.is_(None),
        )
        .order_by(messages.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def favorites_of(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = select(favorites).where(favorites.c.user_id == user_id).order_by(favorites.c.id)
    return list((await conn.execute(query)).all())


async def files_owned(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = select(files).where(files.c.owner_id == user_id).order_by(files.c.created_at, files.c.id)
    return list((await conn.execute(query)).all())


async def files_by_id(conn: AsyncConnection, file_ids: Sequence[str]) -> list[Row[Any]]:
    if not file_ids:
        return []
    query = select(files).where(files.c.id.in_(list(file_ids))).order_by(files.c.created_at, files.c.id)
    return list((await conn.execute(query)).all())


# -- an organization's data --------------------------------------------------------------------


async def organization_row(conn: AsyncConnection, organization_id: int) -> Row[Any] | None:
    return (await conn.execute(select(organizations).where(organizations.c.id == organization_id))).first()


async def org_members_of(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(
            org_members.c.user_id,
            users.c.username,
            org_members.c.name,
            org_members.c.role,
            org_members.c.status,
            org_members.c.title,
            org_members.c.employee_no,
            org_members.c.work_phone,
            org_members.c.joined_at,
        )
        .join(users, users.c.id == org_members.c.user_id)
        .where(org_members.c.organization_id == organization_id)
        .order_by(org_members.c.joined_at, org_members.c.user_id)
    )
    return list((await conn.execute(query)).all())


async def departments_of(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(departments.c.id, departments.c.parent_id, departments.c.name, departments.c.sort_order)
        .where(departments.c.organization_id == organization_id)
        .order_by(departments.c.path, departments.c.id)
    )
    return list((await conn.execute(query)).all())


async def department_seats(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(
            department_members.c.department_id, department_members.c.user_id, department_members.c.is_leader
        )
        .where(department_members.c.organization_id == organization_id)
        .order_by(department_members.c.department_id, department_members.c.user_id)
    )
    return list((await conn.execute(query)).all())


async def announcements_of(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(
            announcements.c.id,
            announcements.c.author_id,
            announcements.c.title,
            announcements.c.body,
            announcements.c.pinned,
            announcements.c.audience,
            announcements.c.created_at,
            announcements.c.updated_at,
        )
        .where(announcements.c.organization_id == organization_id)
        .order_by(announcements.c.id)
    )
    return list((await conn.execute(query)).all())


async def org_groups(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(conversations.c.id, conversations.c.kind, conversations.c.title, conversations.c.created_at)
        .where(conversations.c.organization_id == organization_id, conversations.c.kind != "direct")
        .order_by(conversations.c.id)
    )
    return list((await conn.execute(query)).all())


async def org_messages(
    conn: AsyncConnection, organization_id: int, *, after: int, limit: int
) -> list[Row[Any]]:
    """The messages of the organization's groups (not recalled), in id order."""
    query = (
        select(*MESSAGE_COLUMNS)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(
            conversations.c.organization_id == organization_id,
            conversations.c.kind != "direct",
            messages.c.id > after,
            messages.c.recalled_at.is_(None),
        )
        .order_by(messages.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())
