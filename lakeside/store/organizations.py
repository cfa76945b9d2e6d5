"""Queries on organizations, their members, invitations and join requests.

Every function that reads or changes something inside an organization takes its id and filters
on it, so a row of one organization is never reached through another's id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import (
    org_contact_invitations,
    org_invitations,
    org_join_requests,
    org_members,
    organizations,
    users,
)

# -- organizations --------------------------------------------------------------------------------


async def insert_organization(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(organizations).values(**values).returning(organizations.c.id))
    return result.scalar_one()


async def get_organization(
    conn: AsyncConnection, organization_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    """``for_update`` serialises membership changes of one organization (PostgreSQL; SQLite has one
    writer at a time already)."""
    query = select(organizations).where(organizations.c.id == organization_id)
    if for_update:
        query = query.with_for_update(key_share=True)
    return (await conn.execute(query)).first()


async def update_organization(conn: AsyncConnection, organization_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(organizations).where(organizations.c.id == organization_id).values(**values))


async def bump_member_count(conn: AsyncConnection, organization_id: int, delta: int) -> None:
    await conn.execute(
        update(organizations)
        .where(organizations.c.id == organization_id)
        .values(member_count=organizations.c.member_count + delta)
    )


async def list_for_user(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = (
        select(organizations, org_members.c.role.label("my_role"))
        .join(org_members, org_members.c.organization_id == organizations.c.id)
        .where(org_members.c.user_id == user_id, org_members.c.status == "active")
        .order_by(org_members.c.joined_at, organizations.c.id)
    )
    return list(await conn.execute(query))


async def share_organization(conn: AsyncConnection, user_id: int, other_id: int) -> bool:
    """Whether two users are colleagues: both active members of one organization."""
    mine = org_members.alias("mine")
    theirs = org_members.alias("theirs")
    query = (
        select(mine.c.organization_id)
        .join(theirs, theirs.c.organization_id == mine.c.organization_id)
        .where(
            mine.c.user_id == user_id,
            mine.c.status == "active",
            theirs.c.user_id == other_id,
            theirs.c.status == "active",
        )
        .limit(1)
    )
    return (await conn.execute(query)).first() is not None


async def message_windows(conn: AsyncConnection, organization_id: int) -> tuple[int | None, int | None]:
    """The organization's (recall, edit) windows in seconds; None where it keeps the default."""
    row = (
        await conn.execute(
            select(organizations.c.recall_window_seconds, organizations.c.edit_window_seconds).where(
                organizations.c.id == organization_id
            )
        )
    ).first()
    return (row.recall_window_seconds, row.edit_window_seconds) if row is not None else (None, None)


# -- members --------------------------------------------------------------------------------------


def _member_query() -> Any:
    return select(
        org_members,
        users.c.username,
        users.c.display_name,
        users.c.avatar_file_id,
        users.c.email,
        users.c.phone.label("account_phone"),
    ).join(users, users.c.id == org_members.c.user_id)


async def get_member(conn: AsyncConnection, organization_id: int, user_id: int) -> Row[Any] | None:
    query = _member_query().where(
        org_members.c.organization_id == organization_id, org_members.c.user_id == user_id
    )
    return (await conn.execute(query)).first()


async def get_members(
    conn: AsyncConnection, organization_id: int, user_ids: list[int]
) -> dict[int, Row[Any]]:
    if not user_ids:
        return {}
    query = _member_query().where(
        org_members.c.organization_id == organization_id, org_members.c.user_id.in_(user_ids)
    )
    return {row.user_id: row for row in await conn.execute(query)}


async def insert_member(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(org_members).values(**values))


async def update_member(
    conn: AsyncConnection, organization_id: int, user_id: int, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(org_members)
        .where(org_members.c.organization_id == organization_id, org_members.c.user_id == user_id)
        .values(**values)
    )


async def delete_member(conn: AsyncConnection, organization_id: int, user_id: int) -> None:
    await conn.execute(
        delete(org_members).where(
            org_members.c.organization_id == organization_id, org_members.c.user_id == user_id
        )
    )


async def active_member_ids(conn: AsyncConnection, organization_id: int) -> list[int]:
    query = select(org_members.c.user_id).where(
        org_members.c.organization_id == organization_id, org_members.c.status == "active"
    )
    return [row.user_id for row in await conn.execute(query)]


async def admin_ids(conn: AsyncConnection, organization_id: int) -> list[int]:
    query = select(org_members.c.user_id).where(
        org_members.c.organization_id == organization_id,
        org_members.c.status == "active",
        org_members.c.role.in_(("owner", "admin")),
    )
    return [row.user_id for row in await conn.execute(query)]


async def active_among(conn: AsyncConnection, organization_id: int, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    query = select(org_members.c.user_id).where(
        org_members.c.organization_id == organization_id,
        org_members.c.status == "active",
        org_members.c.user_id.in_(user_ids),
    )
    return {row.user_id for row in await conn.execute(query)}


# -- invitation links and codes -------------------------------------------------------------------


async def insert_invitation(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(org_invitations).values(**values).returning(org_invitations.c.id))
    return result.scalar_one()


async def get_invitation(conn: AsyncConnection, organization_id: int, invitation_id: int) -> Row[Any] | None:
    query = select(org_invitations).where(
        org_invitations.c.organization_id == organization_id, org_invitations.c.id == invitation_id
    )
    return (await conn.execute(query)).first()


async def get_invitation_by_code(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return (await conn.execute(select(org_invitations).where(org_invitations.c.code == code))).first()


async def list_invitations(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(org_invitations)
        .where(org_invitations.c.organization_id == organization_id)
        .order_by(org_invitations.c.id.desc())
    )
    return list(await conn.execute(query))


async def use_invitation(conn: AsyncConnection, invitation_id: int, now: int) -> bool:
    """Count one use if the invitation is still open; the WHERE makes it safe against a race."""
    result = await conn.execute(
        update(org_invitations)
        .where(
            org_invitations.c.id == invitation_id,
            org_invitations.c.revoked_at.is_(None),
            or_(org_invitations.c.expires_at.is_(None), org_invitations.c.expires_at > now),
            or_(
                org_invitations.c.max_uses.is_(None),
                org_invitations.c.use_count < org_invitations.c.max_uses,
            ),
        )
        .values(use_count=org_invitations.c.use_count + 1)
    )
    return result.rowcount == 1


async def revoke_invitation(
    conn: AsyncConnection, organization_id: int, invitation_id: int, now: int
) -> bool:
    result = await conn.execute(
        update(org_invitations)
        .where(
            org_invitations.c.organization_id == organization_id,
            org_invitations.c.id == invitation_id,
            org_invitations.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount == 1


# -- invitations by phone or e-mail ---------------------------------------------------------------


async def insert_contact_invitation(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(
        insert(org_contact_invitations).values(**values).returning(org_contact_invitations.c.id)
    )
    return result.scalar_one()


async def list_contact_invitations(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(org_contact_invitations)
        .where(org_contact_invitations.c.organization_id == organization_id)
        .order_by(org_contact_invitations.c.id.desc())
    )
    return list(await conn.execute(query))


async def get_contact_invitation(
    conn: AsyncConnection, invitation_id: int, organization_id: int | None = None
) -> Row[Any] | None:
    query = select(org_contact_invitations).where(org_contact_invitations.c.id == invitation_id)
    if organization_id is not None:
        query = query.where(org_contact_invitations.c.organization_id == organization_id)
    return (await conn.execute(query)).first()


async def pending_contact_invitation(
    conn: AsyncConnection, organization_id: int, phone: str | None, email: str | None
) -> Row[Any] | None:
    matches = []
    if phone:
        matches.append(org_contact_invitations.c.phone == phone)
    if email:
        matches.append(org_contact_invitations.c.email == email)
    query = select(org_contact_invitations).where(
        org_contact_invitations.c.organization_id == organization_id,
        org_contact_invitations.c.status == "pending",
        or_(*matches),
    )
    return (await conn.execute(query)).first()


async def contact_invitations_for(
    conn: AsyncConnection, phone: str | None, email: str | None
) -> list[Row[Any]]:
    """Pending invitations addressed to this phone or e-mail, with the organization's name."""
    matches = []
    if phone:
        matches.append(org_contact_invitations.c.phone == phone)
    if email:
        matches.append(org_contact_invitations.c.email == email)
    if not matches:
        return []
    query = (
        select(
            org_contact_invitations,
            organizations.c.name.label("organization_name"),
            organizations.c.logo_file_id,
            organizations.c.member_count,
        )
        .join(organizations, organizations.c.id == org_contact_invitations.c.organization_id)
        .where(org_contact_invitations.c.status == "pending", or_(*matches))
        .order_by(org_contact_invitations.c.id)
    )
    return list(await conn.execute(query))


async def decide_contact_invitation(
    conn: AsyncConnection, invitation_id: int, status: str, user_id: int | None, now: int
) -> bool:
    result = await conn.execute(
        update(org_contact_invitations)
        .where(org_contact_invitations.c.id == invitation_id, org_contact_invitations.c.status == "pending")
        .values(status=status, user_id=user_id, decided_at=now)
    )
    return result.rowcount == 1


async def close_contact_invitations(
    conn: AsyncConnection, organization_id: int, phone: str | None, email: str | None, user_id: int, now: int
) -> None:
    """Someone joined by other means: their pending invitations are settled as accepted."""
    matches = []
    if phone:
        matches.append(org_contact_invitations.c.phone == phone)
    if email:
        matches.append(org_contact_invitations.c.email == email)
    if not matches:
        return
    await conn.execute(
        update(org_contact_invitations)
        .where(
            org_contact_invitations.c.organization_id == organization_id,
            org_contact_invitations.c.status == "pending",
            or_(*matches),
        )
        .values(status="accepted", user_id=user_id, decided_at=now)
    )


# -- join requests --------------------------------------------------------------------------------


async def insert_join_request(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(org_join_requests).values(**values).returning(org_join_requests.c.id))
    return result.scalar_one()


def _request_query() -> Any:
    return (
        select(
            org_join_requests,
            users.c.username,
            users.c.display_name,
            users.c.avatar_file_id,
            organizations.c.name.label("organization_name"),
        )
        .join(users, users.c.id == org_join_requests.c.user_id)
        .join(organizations, organizations.c.id == org_join_requests.c.organization_id)
    )


async def get_join_request(
    conn: AsyncConnection, request_id: int, *, organization_id: int | None = None, user_id: int | None = None
) -> Row[Any] | None:
    query = _request_query().where(org_join_requests.c.id == request_id)
    if organization_id is not None:
        query = query.where(org_join_requests.c.organization_id == organization_id)
    if user_id is not None:
        query = query.where(org_join_requests.c.user_id == user_id)
    return (await conn.execute(query)).first()


async def pending_join_request(conn: AsyncConnection, organization_id: int, user_id: int) -> Row[Any] | None:
    query = _request_query().where(
        org_join_requests.c.organization_id == organization_id,
        org_join_requests.c.user_id == user_id,
        org_join_requests.c.status == "pending",
    )
    return (await conn.execute(query)).first()


async def list_join_requests(
    conn: AsyncConnection, organization_id: int, status: str | None
) -> list[Row[Any]]:
    query = (
        _request_query()
        .where(org_join_requests.c.organization_id == organization_id)
        .order_by(org_join_requests.c.id.desc())
        .limit(500)
    )
    if status is not None:
        query = query.where(org_join_requests.c.status == status)
    return list(await conn.execute(query))


async def list_my_join_requests(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = (
        _request_query()
        .where(org_join_requests.c.user_id == user_id)
        .order_by(org_join_requests.c.id.desc())
        .limit(100)
    )
    return list(await conn.execute(query))


async def decide_join_request(
    conn: AsyncConnection, request_id: int, status: str, decided_by: int | None, now: int
) -> bool:
    result = await conn.execute(
        update(org_join_requests)
        .where(org_join_requests.c.id == request_id, org_join_requests.c.status == "pending")
        .values(status=status, decided_by=decided_by, decided_at=now)
    )
    return result.rowcount == 1


async def count_pending_join_requests(conn: AsyncConnection, organization_id: int) -> int:
    query = select(func.count()).where(
        and_(org_join_requests.c.organization_id == organization_id, org_join_requests.c.status == "pending")
    )
    return (await conn.scalar(query)) or 0
