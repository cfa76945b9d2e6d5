"""Queries of referral codes and registrations: codes, attribution, the invitation tree.

An invitation edge is a ``registrations`` row with an ``inviter_id``; a campaign's tree is the
edges whose ``campaign_id`` is the campaign's. Inviters always registered before the people they
invited, so the edges form a forest (no cycles) and the recursive queries below terminate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import referral_codes as codes
from lakeside.store.tables import registrations as regs
from lakeside.store.tables import users


def _scope(campaign_id: int | None, table: Any = regs) -> Any:
    edge = table.c.inviter_id.is_not(None)
    return edge if campaign_id is None else and_(edge, table.c.campaign_id == campaign_id)


# -- codes ---------------------------------------------------------------------------------------


async def insert_code(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(codes.insert().values(**values).returning(codes.c.id))
    return int(result.scalar_one())


async def list_codes(conn: AsyncConnection, user_id: int) -> list[Any]:
    return list(await conn.execute(select(codes).where(codes.c.user_id == user_id).order_by(codes.c.id)))


async def count_live_codes(conn: AsyncConnection, user_id: int) -> int:
    query = select(func.count()).where(codes.c.user_id == user_id, codes.c.revoked_at.is_(None))
    return int(await conn.scalar(query) or 0)


async def get_code(conn: AsyncConnection, code: str) -> Any:
    return (await conn.execute(select(codes).where(codes.c.code == code))).first()


async def get_code_by_id(conn: AsyncConnection, code_id: int) -> Any:
    return (await conn.execute(select(codes).where(codes.c.id == code_id))).first()


async def revoke_code(conn: AsyncConnection, user_id: int, code_id: int, now: int) -> bool:
    result = await conn.execute(
        update(codes)
        .where(codes.c.id == code_id, codes.c.user_id == user_id, codes.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0


async def claim_code(conn: AsyncConnection, code_id: int) -> bool:
    """Count one use of a live code that has uses left; False when it has none (or is revoked)."""
    result = await conn.execute(
        update(codes)
        .where(
            codes.c.id == code_id,
            codes.c.revoked_at.is_(None),
            (codes.c.max_uses.is_(None)) | (codes.c.uses < codes.c.max_uses),
        )
        .values(uses=codes.c.uses + 1)
    )
    return result.rowcount > 0


# -- registrations -------------------------------------------------------------------------------


async def insert_registration(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(regs.insert().values(**values))


async def get_registration(conn: AsyncConnection, user_id: int) -> Any:
    inviter = users.alias("inviter")
    query = (
        select(
            regs,
            codes.c.code,
            inviter.c.username.label("inviter_username"),
            inviter.c.display_name.label("inviter_display_name"),
        )
        .outerjoin(codes, codes.c.id == regs.c.referral_code_id)
        .outerjoin(inviter, inviter.c.id == regs.c.inviter_id)
        .where(regs.c.user_id == user_id)
    )
    return (await conn.execute(query)).first()


async def count_invited(conn: AsyncConnection, inviter_id: int) -> int:
    return int(await conn.scalar(select(func.count()).where(regs.c.inviter_id == inviter_id)) or 0)


# -- the invitation tree -------------------------------------------------------------------------


async def roots(conn: AsyncConnection, campaign_id: int | None, after: int | None, limit: int) -> list[int]:
    """Inviters in scope who were not themselves invited in scope, by id."""
    invited = select(regs.c.user_id).where(_scope(campaign_id))
    query = (
        select(regs.c.inviter_id)
        .where(_scope(campaign_id), regs.c.inviter_id.not_in(invited))
        .group_by(regs.c.inviter_id)
        .order_by(regs.c.inviter_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(regs.c.inviter_id > after)
    return [int(row[0]) for row in await conn.execute(query)]


async def children(
    conn: AsyncConnection, parent_ids: list[int], campaign_id: int | None, per_parent: int
) -> list[Any]:
    """Up to ``per_parent`` people each of ``parent_ids`` invited, earliest first."""
    if not parent_ids:
        return []
    rank = (
        func.row_number()
        .over(partition_by=regs.c.inviter_id, order_by=(regs.c.created_at, regs.c.user_id))
        .label("rank")
    )
    inner = (
        select(regs.c.inviter_id, regs.c.user_id, regs.c.created_at, regs.c.campaign_id, rank)
        .where(_scope(campaign_id), regs.c.inviter_id.in_(parent_ids))
        .subquery()
    )
    query = (
        select(inner.c.inviter_id, inner.c.user_id, inner.c.created_at, inner.c.campaign_id)
        .where(inner.c.rank <= per_parent)
        .order_by(inner.c.inviter_id, inner.c.rank)
    )
    return list(await conn.execute(query))


async def direct_counts(
    conn: AsyncConnection, user_ids: list[int], campaign_id: int | None
) -> dict[int, int]:
    if not user_ids:
        return {}
    query = (
        select(regs.c.inviter_id, func.count())
        .where(_scope(campaign_id), regs.c.inviter_id.in_(user_ids))
        .group_by(regs.c.inviter_id)
    )
    return {int(inviter): int(count) for inviter, count in await conn.execute(query)}


async def descendant_counts(
    conn: AsyncConnection, user_ids: list[int], campaign_id: int | None
) -> dict[int, int]:
    """How many people are below each of ``user_ids`` in the tree, at any depth."""
    if not user_ids:
        return {}
    seed = select(regs.c.inviter_id.label("root"), regs.c.user_id.label("member")).where(
        _scope(campaign_id), regs.c.inviter_id.in_(user_ids)
    )
    tree = seed.cte("tree", recursive=True)
    step = regs.alias("step")
    tree = tree.union_all(
        select(tree.c.root, step.c.user_id).where(
            step.c.inviter_id == tree.c.member, _scope(campaign_id, step)
        )
    )
    query = select(tree.c.root, func.count()).group_by(tree.c.root)
    return {int(root): int(count) for root, count in await conn.execute(query)}


async def edge_totals(conn: AsyncConnection, campaign_id: int | None) -> tuple[int, int]:
    """(invited people, distinct inviters) in scope."""
    query = select(func.count(), func.count(func.distinct(regs.c.inviter_id))).where(_scope(campaign_id))
    invited, inviters = (await conn.execute(query)).one()
    return int(invited), int(inviters)


async def user_rows(conn: AsyncConnection, user_ids: list[int]) -> dict[int, Any]:
    if not user_ids:
        return {}
    result = await conn.execute(select(users).where(users.c.id.in_(user_ids)))
    return {int(row.id): row for row in result}
