"""Queries on announcements (公告): who may see one (the whole organization, or the members of
chosen departments and everything below them), and per-reader read rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import (
    announcement_departments,
    announcement_reads,
    announcements,
    department_members,
    departments,
)


def _visible_to(organization_id: int, user_id: int) -> Any:
    """True for announcements the user's departments (or any department above them) are targeted by."""
    target = departments.alias("target")
    seat = departments.alias("seat")
    in_audience = exists(
        select(announcement_departments.c.department_id)
        .join(target, target.c.id == announcement_departments.c.department_id)
        .join(seat, and_(seat.c.organization_id == organization_id, seat.c.path.like(target.c.path + "%")))
        .join(
            department_members,
            and_(department_members.c.department_id == seat.c.id, department_members.c.user_id == user_id),
        )
        .where(announcement_departments.c.announcement_id == announcements.c.id)
    )
    return or_(announcements.c.audience == "all", in_audience)


async def insert_announcement(
    conn: AsyncConnection, values: dict[str, Any], department_ids: list[int]
) -> int:
    result = await conn.execute(insert(announcements).values(**values).returning(announcements.c.id))
    announcement_id = result.scalar_one()
    if department_ids:
        await conn.execute(
            insert(announcement_departments),
            [{"announcement_id": announcement_id, "department_id": d} for d in department_ids],
        )
    return announcement_id


async def get_announcement(
    conn: AsyncConnection, organization_id: int, announcement_id: int
) -> Row[Any] | None:
    query = select(announcements).where(
        announcements.c.organization_id == organization_id, announcements.c.id == announcement_id
    )
    return (await conn.execute(query)).first()


async def is_visible(conn: AsyncConnection, organization_id: int, announcement_id: int, user_id: int) -> bool:
    query = select(announcements.c.id).where(
        announcements.c.organization_id == organization_id,
        announcements.c.id == announcement_id,
        _visible_to(organization_id, user_id),
    )
    return (await conn.execute(query)).first() is not None


async def department_ids(conn: AsyncConnection, announcement_id: int) -> list[int]:
    query = select(announcement_departments.c.department_id).where(
        announcement_departments.c.announcement_id == announcement_id
    )
    return [row.department_id for row in await conn.execute(query)]


async def list_visible(
    conn: AsyncConnection,
    organization_id: int,
    user_id: int,
    *,
    everything: bool,
    before_id: int | None,
    limit: int,
) -> list[Row[Any]]:
    """Pinned first, then newest first; ``everything`` (admins) also lists what targets others."""
    query = (
        select(announcements, announcement_reads.c.read_at)
        .outerjoin(
            announcement_reads,
            and_(
                announcement_reads.c.announcement_id == announcements.c.id,
                announcement_reads.c.user_id == user_id,
            ),
        )
        .where(announcements.c.organization_id == organization_id)
        .order_by(announcements.c.pinned.desc(), announcements.c.id.desc())
        .limit(limit)
    )
    if not everything:
        query = query.where(_visible_to(organization_id, user_id))
    if before_id is not None:
        query = query.where(announcements.c.id < before_id)
    return list(await conn.execute(query))


async def count_unread(conn: AsyncConnection, organization_id: int, user_id: int) -> int:
    read = exists(
        select(announcement_reads.c.user_id).where(
            announcement_reads.c.announcement_id == announcements.c.id,
            announcement_reads.c.user_id == user_id,
        )
    )
    query = select(func.count()).where(
        announcements.c.organization_id == organization_id, _visible_to(organization_id, user_id), ~read
    )
    return (await conn.scalar(query)) or 0


async def mark_read(conn: AsyncConnection, announcement_id: int, user_id: int, now: int) -> bool:
    """Insert the read row unless it exists (a second read keeps the first time); True if new."""
    statement = (
        dialect_of(conn)
        .insert(announcement_reads)
        .values(announcement_id=announcement_id, user_id=user_id, read_at=now)
        .on_conflict_do_nothing()
    )
    result = await conn.execute(statement)
    return bool(result.rowcount)


async def reader_ids(conn: AsyncConnection, announcement_id: int) -> dict[int, int]:
    query = select(announcement_reads.c.user_id, announcement_reads.c.read_at).where(
        announcement_reads.c.announcement_id == announcement_id
    )
    return {row.user_id: row.read_at for row in await conn.execute(query)}


async def update_announcement(conn: AsyncConnection, announcement_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(announcements).where(announcements.c.id == announcement_id).values(**values))


async def delete_announcement(conn: AsyncConnection, organization_id: int, announcement_id: int) -> bool:
    result = await conn.execute(
        delete(announcements).where(
            announcements.c.organization_id == organization_id, announcements.c.id == announcement_id
        )
    )
    return bool(result.rowcount)
