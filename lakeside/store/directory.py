"""Queries on the directory: departments (a tree by materialised path), who sits where, member
search on the precomputed search key, and the organization's external contacts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import department_members, departments, external_contacts, org_members, users

# -- departments ----------------------------------------------------------------------------------


async def insert_department(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(departments).values(**values).returning(departments.c.id))
    return result.scalar_one()


async def get_department(conn: AsyncConnection, organization_id: int, department_id: int) -> Row[Any] | None:
    query = select(departments).where(
        departments.c.organization_id == organization_id, departments.c.id == department_id
    )
    return (await conn.execute(query)).first()


async def get_departments(
    conn: AsyncConnection, organization_id: int, department_ids: list[int]
) -> dict[int, Row[Any]]:
    if not department_ids:
        return {}
    query = select(departments).where(
        departments.c.organization_id == organization_id, departments.c.id.in_(department_ids)
    )
    return {row.id: row for row in await conn.execute(query)}


async def list_departments(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(departments)
        .where(departments.c.organization_id == organization_id)
        .order_by(departments.c.depth, departments.c.sort_order, departments.c.id)
    )
    return list(await conn.execute(query))


async def update_department(conn: AsyncConnection, department_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(departments).where(departments.c.id == department_id).values(**values))


async def subtree(conn: AsyncConnection, organization_id: int, path: str) -> list[Row[Any]]:
    """The department with this path and every department below it."""
    query = select(departments).where(
        departments.c.organization_id == organization_id, departments.c.path.like(f"{path}%")
    )
    return list(await conn.execute(query))


async def move_subtree(
    conn: AsyncConnection, organization_id: int, old_path: str, new_path: str, depth_delta: int
) -> None:
    """Re-root every path under ``old_path`` at ``new_path`` in one statement."""
    await conn.execute(
        update(departments)
        .where(departments.c.organization_id == organization_id, departments.c.path.like(f"{old_path}%"))
        .values(
            path=literal(new_path) + func.substr(departments.c.path, len(old_path) + 1),
            depth=departments.c.depth + depth_delta,
        )
    )


async def has_children(conn: AsyncConnection, department_id: int) -> bool:
    query = select(departments.c.id).where(departments.c.parent_id == department_id).limit(1)
    return (await conn.execute(query)).first() is not None


async def delete_department(conn: AsyncConnection, department_id: int) -> None:
    await conn.execute(delete(departments).where(departments.c.id == department_id))


async def sibling_named(
    conn: AsyncConnection, organization_id: int, parent_id: int | None, name: str, exclude_id: int = 0
) -> bool:
    parent = departments.c.parent_id.is_(None) if parent_id is None else departments.c.parent_id == parent_id
    query = select(departments.c.id).where(
        departments.c.organization_id == organization_id,
        parent,
        departments.c.name == name,
        departments.c.id != exclude_id,
    )
    return (await conn.execute(query)).first() is not None


# -- who sits where -------------------------------------------------------------------------------


async def memberships_of(conn: AsyncConnection, organization_id: int, user_ids: list[int]) -> list[Row[Any]]:
    """(user, department, leader, name) for the users' departments in this organization."""
    if not user_ids:
        return []
    query = (
        select(
            department_members.c.user_id,
            department_members.c.department_id,
            department_members.c.is_leader,
            departments.c.name,
            departments.c.conversation_id,
        )
        .join(departments, departments.c.id == department_members.c.department_id)
        .where(
            department_members.c.organization_id == organization_id,
            department_members.c.user_id.in_(user_ids),
        )
        .order_by(departments.c.depth, departments.c.id)
    )
    return list(await conn.execute(query))


async def add_department_member(
    conn: AsyncConnection, organization_id: int, department_id: int, user_id: int, is_leader: bool, now: int
) -> None:
    await conn.execute(
        insert(department_members).values(
            department_id=department_id,
            user_id=user_id,
            organization_id=organization_id,
            is_leader=is_leader,
            joined_at=now,
        )
    )
    await _bump(conn, department_id, 1)


async def set_leader(conn: AsyncConnection, department_id: int, user_id: int, is_leader: bool) -> None:
    await conn.execute(
        update(department_members)
        .where(department_members.c.department_id == department_id, department_members.c.user_id == user_id)
        .values(is_leader=is_leader)
    )


async def remove_department_member(conn: AsyncConnection, department_id: int, user_id: int) -> bool:
    result = await conn.execute(
        delete(department_members).where(
            department_members.c.department_id == department_id, department_members.c.user_id == user_id
        )
    )
    if result.rowcount:
        await _bump(conn, department_id, -result.rowcount)
    return bool(result.rowcount)


async def _bump(conn: AsyncConnection, department_id: int, delta: int) -> None:
    await conn.execute(
        update(departments)
        .where(departments.c.id == department_id)
        .values(member_count=departments.c.member_count + delta)
    )


async def department_member_ids(conn: AsyncConnection, department_id: int) -> dict[int, bool]:
    query = select(department_members.c.user_id, department_members.c.is_leader).where(
        department_members.c.department_id == department_id
    )
    return {row.user_id: row.is_leader for row in await conn.execute(query)}


async def leaders_of(conn: AsyncConnection, department_ids: list[int]) -> dict[int, list[int]]:
    if not department_ids:
        return {}
    query = (
        select(department_members.c.department_id, department_members.c.user_id)
        .where(department_members.c.department_id.in_(department_ids), department_members.c.is_leader)
        .order_by(department_members.c.user_id)
    )
    found: dict[int, list[int]] = {}
    for row in await conn.execute(query):
        found.setdefault(row.department_id, []).append(row.user_id)
    return found


# -- member search --------------------------------------------------------------------------------


def member_list_query(organization_id: int) -> Any:
    return select(
        org_members,
        users.c.username,
        users.c.display_name,
        users.c.avatar_file_id,
        users.c.email,
        users.c.phone.label("account_phone"),
    ).join(users, users.c.id == org_members.c.user_id)


async def search_members(
    conn: AsyncConnection,
    organization_id: int,
    *,
    pattern: str | None,
    department_path: str | None,
    include_inactive: bool,
    after_user_id: int,
    limit: int,
) -> list[Row[Any]]:
    """Members by key (name, pinyin, initials, username, employee number) or by the name of a
    department they sit in; optionally only inside one department's subtree. The LIKE runs on
    the stored key within the organization's rows, never in Python."""
    query = (
        member_list_query(organization_id)
        .where(org_members.c.organization_id == organization_id, org_members.c.user_id > after_user_id)
        .order_by(org_members.c.user_id)
        .limit(limit)
    )
    if not include_inactive:
        query = query.where(org_members.c.status == "active")
    if pattern is not None:
        in_department = (
            select(department_members.c.user_id)
            .join(departments, departments.c.id == department_members.c.department_id)
            .where(
                department_members.c.organization_id == organization_id,
                departments.c.search_key.like(pattern, escape="\\"),
            )
        )
        query = query.where(
            or_(org_members.c.search_key.like(pattern, escape="\\"), org_members.c.user_id.in_(in_department))
        )
    if department_path is not None:
        query = query.where(
            exists(
                select(department_members.c.user_id)
                .join(departments, departments.c.id == department_members.c.department_id)
                .where(
                    department_members.c.user_id == org_members.c.user_id,
                    department_members.c.organization_id == organization_id,
                    departments.c.path.like(f"{department_path}%"),
                )
            )
        )
    return list(await conn.execute(query))


async def subtree_member_ids(conn: AsyncConnection, organization_id: int, paths: list[str]) -> set[int]:
    """Active members sitting anywhere under the given department paths."""
    if not paths:
        return set()
    query = (
        select(department_members.c.user_id)
        .join(departments, departments.c.id == department_members.c.department_id)
        .join(
            org_members,
            (org_members.c.organization_id == organization_id)
            & (org_members.c.user_id == department_members.c.user_id),
        )
        .where(
            department_members.c.organization_id == organization_id,
            org_members.c.status == "active",
            or_(*[departments.c.path.like(f"{path}%") for path in paths]),
        )
    )
    return {row.user_id for row in await conn.execute(query)}


# -- external contacts ----------------------------------------------------------------------------


async def insert_contact(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(external_contacts).values(**values).returning(external_contacts.c.id))
    return result.scalar_one()


async def get_contact(conn: AsyncConnection, organization_id: int, contact_id: int) -> Row[Any] | None:
    query = select(external_contacts).where(
        external_contacts.c.organization_id == organization_id, external_contacts.c.id == contact_id
    )
    return (await conn.execute(query)).first()


async def update_contact(conn: AsyncConnection, contact_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(external_contacts).where(external_contacts.c.id == contact_id).values(**values))


async def delete_contact(conn: AsyncConnection, organization_id: int, contact_id: int) -> bool:
    result = await conn.execute(
        delete(external_contacts).where(
            external_contacts.c.organization_id == organization_id, external_contacts.c.id == contact_id
        )
    )
    return bool(result.rowcount)


async def list_contacts(
    conn: AsyncConnection,
    organization_id: int,
    *,
    pattern: str | None,
    tag: str | None,
    after_id: int,
    limit: int,
) -> list[Row[Any]]:
    query = (
        select(external_contacts)
        .where(external_contacts.c.organization_id == organization_id, external_contacts.c.id > after_id)
        .order_by(external_contacts.c.id)
        .limit(limit)
    )
    if pattern is not None:
        query = query.where(external_contacts.c.search_key.like(pattern, escape="\\"))
    if tag is not None:
        escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(external_contacts.c.tags.like(f"%|{escaped}|%", escape="\\"))
    return list(await conn.execute(query))
