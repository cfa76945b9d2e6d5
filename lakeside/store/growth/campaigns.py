"""Queries on campaigns: the campaign rows, who takes part and in which team, fraud flags,
snapshots, and the leaderboard worker's cursors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.growth.leaderboard import chunks
from lakeside.store.tables import (
    campaign_cursors,
    campaign_participants,
    campaign_snapshots,
    campaigns,
    department_members,
    departments,
    fraud_flags,
    org_members,
    organizations,
    users,
)

# -- campaigns -----------------------------------------------------------------------------------


async def insert_campaign(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(campaigns).values(**values).returning(campaigns.c.id))
    return int(result.scalar_one())


async def get_campaign(
    conn: AsyncConnection, campaign_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(campaigns).where(campaigns.c.id == campaign_id)
    if for_update:  # SQLite renders no FOR UPDATE: its write transaction holds the database
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def list_campaigns(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    rows = await conn.execute(
        select(campaigns)
        .where(campaigns.c.organization_id == organization_id)
        .order_by(campaigns.c.id.desc())
    )
    return list(rows)


async def live_campaigns(conn: AsyncConnection) -> list[Row[Any]]:
    """Campaigns whose leaderboard still moves (not frozen)."""
    rows = await conn.execute(
        select(campaigns).where(campaigns.c.frozen_at.is_(None)).order_by(campaigns.c.id)
    )
    return list(rows)


async def update_campaign(conn: AsyncConnection, campaign_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(**values))


async def delete_campaign(conn: AsyncConnection, campaign_id: int) -> None:
    await conn.execute(delete(campaigns).where(campaigns.c.id == campaign_id))


# -- participants and teams ----------------------------------------------------------------------


async def resolve_participants(
    conn: AsyncConnection,
    organization_id: int,
    participants: dict[str, Any],
    user_ids: Sequence[int] | None = None,
) -> set[int]:
    """Who takes part now (optionally only among ``user_ids``): active members of the organization,
    narrowed to departments or to a list as the spec says."""
    query = select(org_members.c.user_id).where(
        org_members.c.organization_id == organization_id, org_members.c.status == "active"
    )
    kind = participants["kind"]
    if kind == "users":
        query = query.where(org_members.c.user_id.in_(participants["user_ids"]))
    elif kind == "departments":
        ids = [int(d) for d in participants["departments"]]
        rows = await conn.execute(
            select(departments.c.path).where(
                departments.c.organization_id == organization_id, departments.c.id.in_(ids)
            )
        )
        paths = [row.path for row in rows]
        if not paths:
            return set()
        if participants.get("include_subdepartments", True):
            seat = or_(*[departments.c.path.like(f"{path}%") for path in paths])
        else:
            seat = departments.c.id.in_(ids)
        seated = (
            select(department_members.c.user_id)
            .join(departments, departments.c.id == department_members.c.department_id)
            .where(department_members.c.organization_id == organization_id, seat)
        )
        query = query.where(org_members.c.user_id.in_(seated))
    if user_ids is None:
        return {row.user_id for row in await conn.execute(query)}
    found: set[int] = set()
    for part in chunks(list(user_ids)):
        found.update(row.user_id for row in await conn.execute(query.where(org_members.c.user_id.in_(part))))
    return found


async def teams_of(
    conn: AsyncConnection, organization_id: int, user_ids: Sequence[int], level: str
) -> dict[int, int | None]:
    """Each user's team: their first department seat (lowest id), or its top-level ancestor."""
    out: dict[int, int | None] = dict.fromkeys(user_ids)
    for part in chunks(list(user_ids)):
        rows = await conn.execute(
            select(department_members.c.user_id, departments.c.id, departments.c.path)
            .join(departments, departments.c.id == department_members.c.department_id)
            .where(
                department_members.c.organization_id == organization_id,
                department_members.c.user_id.in_(part),
            )
            .order_by(department_members.c.user_id, departments.c.id)
        )
        for row in rows:
            if out[row.user_id] is None:
                out[row.user_id] = int(row.path.strip("/").split("/")[0]) if level == "top" else row.id
    return out


async def department_ids_by_name(
    conn: AsyncConnection, organization_id: int, names: Sequence[str]
) -> dict[str, int]:
    rows = await conn.execute(
        select(departments.c.id, departments.c.name)
        .where(departments.c.organization_id == organization_id, departments.c.name.in_(list(names)))
        .order_by(departments.c.id)
    )
    out: dict[str, int] = {}
    for row in rows:
        out.setdefault(row.name, row.id)
    return out


async def department_names(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in chunks(list(ids)):
        rows = await conn.execute(
            select(departments.c.id, departments.c.name).where(departments.c.id.in_(part))
        )
        out.update({row.id: row.name for row in rows})
    return out


async def participant_ids(conn: AsyncConnection, campaign_id: int) -> list[int]:
    rows = await conn.execute(
        select(campaign_participants.c.user_id)
        .where(campaign_participants.c.campaign_id == campaign_id)
        .order_by(campaign_participants.c.user_id)
    )
    return [row.user_id for row in rows]


async def participants_among(conn: AsyncConnection, campaign_id: int, user_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(list(user_ids)):
        rows = await conn.execute(
            select(campaign_participants.c.user_id).where(
                campaign_participants.c.campaign_id == campaign_id, campaign_participants.c.user_id.in_(part)
            )
        )
        found.update(row.user_id for row in rows)
    return found


async def add_participants(
    conn: AsyncConnection, campaign_id: int, teams: dict[int, int | None], now: int
) -> None:
    rows = [
        {"campaign_id": campaign_id, "user_id": uid, "team_id": team, "updated_at": now}
        for uid, team in teams.items()
    ]
    for part in chunks(rows, 5000):
        await conn.execute(insert(campaign_participants), list(part))


async def remove_participants(conn: AsyncConnection, campaign_id: int, user_ids: Sequence[int]) -> None:
    for part in chunks(list(user_ids)):
        await conn.execute(
            delete(campaign_participants).where(
                campaign_participants.c.campaign_id == campaign_id, campaign_participants.c.user_id.in_(part)
            )
        )


async def set_team(conn: AsyncConnection, campaign_id: int, user_id: int, team_id: int | None) -> None:
    await conn.execute(
        update(campaign_participants)
        .where(campaign_participants.c.campaign_id == campaign_id, campaign_participants.c.user_id == user_id)
        .values(team_id=team_id)
    )


async def standings(conn: AsyncConnection, campaign_id: int) -> list[Row[Any]]:
    """Every participant's live score with their name in the organization."""
    campaign = campaigns.alias("c")
    rows = await conn.execute(
        select(
            campaign_participants.c.user_id,
            campaign_participants.c.team_id,
            campaign_participants.c.score,
            campaign_participants.c.reached_at,
            campaign_participants.c.outside_friends,
            campaign_participants.c.updated_at,
            func.coalesce(org_members.c.name, users.c.display_name).label("name"),
            users.c.username,
        )
        .select_from(
            campaign_participants.join(users, users.c.id == campaign_participants.c.user_id)
            .join(campaign, campaign.c.id == campaign_participants.c.campaign_id)
            .outerjoin(
                org_members,
                and_(
                    org_members.c.organization_id == campaign.c.organization_id,
                    org_members.c.user_id == campaign_participants.c.user_id,
                ),
            )
        )
        .where(campaign_participants.c.campaign_id == campaign_id)
    )
    return list(rows)


async def organization_of(conn: AsyncConnection, organization_id: int) -> Row[Any] | None:
    return (await conn.execute(select(organizations).where(organizations.c.id == organization_id))).first()


async def names_of(
    conn: AsyncConnection, organization_id: int, user_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """(name in the organization or display name, username) per user."""
    out: dict[int, tuple[str, str]] = {}
    for part in chunks(list(user_ids)):
        rows = await conn.execute(
            select(
                users.c.id,
                users.c.username,
                func.coalesce(org_members.c.name, users.c.display_name).label("name"),
            )
            .select_from(
                users.outerjoin(
                    org_members,
                    and_(
                        org_members.c.user_id == users.c.id, org_members.c.organization_id == organization_id
                    ),
                )
            )
            .where(users.c.id.in_(part))
        )
        out.update({row.id: (row.name, row.username) for row in rows})
    return out


# -- fraud flags ---------------------------------------------------------------------------------


async def existing_flags(conn: AsyncConnection, campaign_id: int) -> set[tuple[int, str]]:
    rows = await conn.execute(
        select(fraud_flags.c.user_id, fraud_flags.c.rule).where(fraud_flags.c.campaign_id == campaign_id)
    )
    return {(row.user_id, row.rule) for row in rows}


async def insert_flags(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows, 2000):
        await conn.execute(insert(fraud_flags), list(part))


async def list_flags(conn: AsyncConnection, campaign_id: int, status: str | None) -> list[Row[Any]]:
    query = select(fraud_flags).where(fraud_flags.c.campaign_id == campaign_id)
    if status:
        query = query.where(fraud_flags.c.status == status)
    return list(await conn.execute(query.order_by(fraud_flags.c.id)))


async def get_flag(conn: AsyncConnection, campaign_id: int, flag_id: int) -> Row[Any] | None:
    query = select(fraud_flags).where(fraud_flags.c.id == flag_id, fraud_flags.c.campaign_id == campaign_id)
    return (await conn.execute(query)).first()


async def decide_flag(conn: AsyncConnection, flag_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(fraud_flags).where(fraud_flags.c.id == flag_id).values(**values))


# -- snapshots -----------------------------------------------------------------------------------


async def get_snapshot(conn: AsyncConnection, campaign_id: int, kind: str) -> Row[Any] | None:
    query = select(campaign_snapshots).where(
        campaign_snapshots.c.campaign_id == campaign_id, campaign_snapshots.c.kind == kind
    )
    return (await conn.execute(query)).first()


async def insert_snapshot(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(campaign_snapshots).values(**values))


# -- cursors -------------------------------------------------------------------------------------


async def get_cursor(conn: AsyncConnection, name: str) -> int | None:
    return await conn.scalar(select(campaign_cursors.c.position).where(campaign_cursors.c.name == name))


async def set_cursor(conn: AsyncConnection, name: str, position: int, now: int) -> None:
    done = await conn.execute(
        update(campaign_cursors)
        .where(campaign_cursors.c.name == name)
        .values(position=position, updated_at=now)
    )
    if done.rowcount == 0:
        await conn.execute(insert(campaign_cursors).values(name=name, position=position, updated_at=now))
