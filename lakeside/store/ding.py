"""Queries on DINGs, their recipients, escalation due times, delivery attempts and policies.

Escalation is driven by ``ding_recipients.next_step``/``next_due_at``. A worker claims a step
with a conditional UPDATE that only matches while the row still names that step and due time:
of two nodes that both saw the row due, exactly one UPDATE matches, so no step is sent twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import ding_attempts, ding_policies, ding_recipients, dings, org_members

# -- DINGs ----------------------------------------------------------------------------------------


async def insert_ding(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(dings).values(**values).returning(dings.c.id))
    return result.scalar_one()


async def insert_recipients(
    conn: AsyncConnection, ding_id: int, organization_id: int, user_ids: list[int]
) -> None:
    await conn.execute(
        insert(ding_recipients),
        [
            {"ding_id": ding_id, "user_id": user_id, "organization_id": organization_id}
            for user_id in user_ids
        ],
    )


async def get_ding(conn: AsyncConnection, organization_id: int, ding_id: int) -> Row[Any] | None:
    query = select(dings).where(dings.c.organization_id == organization_id, dings.c.id == ding_id)
    return (await conn.execute(query)).first()


async def get_ding_by_id(conn: AsyncConnection, ding_id: int) -> Row[Any] | None:
    return (await conn.execute(select(dings).where(dings.c.id == ding_id))).first()


async def get_recipient(conn: AsyncConnection, ding_id: int, user_id: int) -> Row[Any] | None:
    query = select(ding_recipients).where(
        ding_recipients.c.ding_id == ding_id, ding_recipients.c.user_id == user_id
    )
    return (await conn.execute(query)).first()


async def list_recipients(conn: AsyncConnection, ding_id: int) -> list[Row[Any]]:
    query = (
        select(ding_recipients, org_members.c.name)
        .outerjoin(
            org_members,
            and_(
                org_members.c.organization_id == ding_recipients.c.organization_id,
                org_members.c.user_id == ding_recipients.c.user_id,
            ),
        )
        .where(ding_recipients.c.ding_id == ding_id)
        .order_by(ding_recipients.c.user_id)
    )
    return list(await conn.execute(query))


async def list_sent(
    conn: AsyncConnection, organization_id: int, sender_id: int, before_id: int | None, limit: int
) -> list[Row[Any]]:
    query = (
        select(dings)
        .where(dings.c.organization_id == organization_id, dings.c.sender_id == sender_id)
        .order_by(dings.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(dings.c.id < before_id)
    return list(await conn.execute(query))


async def list_received(
    conn: AsyncConnection, organization_id: int, user_id: int, before_id: int | None, limit: int
) -> list[Row[Any]]:
    """DINGs sent to the user (confirmed or not; scheduled ones are not sent yet), newest first."""
    query = (
        select(dings, ding_recipients.c.confirmed_at)
        .join(ding_recipients, ding_recipients.c.ding_id == dings.c.id)
        .where(
            ding_recipients.c.user_id == user_id,
            ding_recipients.c.organization_id == organization_id,
            dings.c.status == "sent",
        )
        .order_by(dings.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(dings.c.id < before_id)
    return list(await conn.execute(query))


def _pending_query(organization_id: int, user_id: int) -> Any:
    return (
        select(dings, ding_recipients.c.confirmed_at)
        .join(ding_recipients, ding_recipients.c.ding_id == dings.c.id)
        .where(
            ding_recipients.c.user_id == user_id,
            ding_recipients.c.organization_id == organization_id,
            ding_recipients.c.confirmed_at.is_(None),
            dings.c.status == "sent",
        )
    )


async def list_pending(conn: AsyncConnection, organization_id: int, user_id: int) -> list[Row[Any]]:
    query = (
        _pending_query(organization_id, user_id)
        .order_by(dings.c.sent_at.desc(), dings.c.id.desc())
        .limit(200)
    )
    return list(await conn.execute(query))


async def count_pending(conn: AsyncConnection, organization_id: int, user_id: int) -> int:
    query = select(func.count()).select_from(_pending_query(organization_id, user_id).subquery())
    return (await conn.scalar(query)) or 0


async def confirm(conn: AsyncConnection, ding_id: int, user_id: int, now: int) -> bool:
    result = await conn.execute(
        update(ding_recipients)
        .where(
            ding_recipients.c.ding_id == ding_id,
            ding_recipients.c.user_id == user_id,
            ding_recipients.c.confirmed_at.is_(None),
        )
        .values(confirmed_at=now, next_step=None, next_due_at=None)
    )
    if result.rowcount != 1:
        return False
    await conn.execute(
        update(dings).where(dings.c.id == ding_id).values(confirmed_count=dings.c.confirmed_count + 1)
    )
    return True


async def claim_reding(conn: AsyncConnection, ding_id: int, now: int, gap_ms: int) -> bool:
    """Record a manual re-DING unless one happened less than ``gap_ms`` ago (race-safe)."""
    result = await conn.execute(
        update(dings)
        .where(
            dings.c.id == ding_id,
            or_(dings.c.last_reding_at.is_(None), dings.c.last_reding_at <= now - gap_ms),
        )
        .values(last_reding_at=now)
    )
    return result.rowcount == 1


async def unconfirmed_ids(conn: AsyncConnection, ding_id: int) -> list[int]:
    query = select(ding_recipients.c.user_id).where(
        ding_recipients.c.ding_id == ding_id, ding_recipients.c.confirmed_at.is_(None)
    )
    return [row.user_id for row in await conn.execute(query)]


async def cancel_scheduled(conn: AsyncConnection, ding_id: int) -> bool:
    result = await conn.execute(
        update(dings).where(dings.c.id == ding_id, dings.c.status == "scheduled").values(status="cancelled")
    )
    return result.rowcount == 1


# -- attempts -------------------------------------------------------------------------------------


async def insert_attempt(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(ding_attempts).values(**values).returning(ding_attempts.c.id))
    return result.scalar_one()


async def finish_attempt(conn: AsyncConnection, attempt_id: int, status: str, detail: str, now: int) -> None:
    await conn.execute(
        update(ding_attempts)
        .where(ding_attempts.c.id == attempt_id)
        .values(status=status, detail=detail[:512], finished_at=now)
    )


async def get_attempt(conn: AsyncConnection, attempt_id: int) -> Row[Any] | None:
    return (await conn.execute(select(ding_attempts).where(ding_attempts.c.id == attempt_id))).first()


async def list_attempts(conn: AsyncConnection, ding_id: int) -> list[Row[Any]]:
    query = select(ding_attempts).where(ding_attempts.c.ding_id == ding_id).order_by(ding_attempts.c.id)
    return list(await conn.execute(query))


# -- the escalation schedule ----------------------------------------------------------------------


async def due_scheduled(conn: AsyncConnection, now: int, limit: int) -> list[int]:
    query = (
        select(dings.c.id)
        .where(dings.c.status == "scheduled", dings.c.send_at <= now)
        .order_by(dings.c.send_at)
        .limit(limit)
    )
    return [row.id for row in await conn.execute(query)]


async def claim_scheduled(conn: AsyncConnection, ding_id: int, now: int) -> bool:
    result = await conn.execute(
        update(dings)
        .where(dings.c.id == ding_id, dings.c.status == "scheduled")
        .values(status="sent", sent_at=now)
    )
    return result.rowcount == 1


async def schedule_first_step(
    conn: AsyncConnection, ding_id: int, step: str | None, due_at: int | None
) -> None:
    await conn.execute(
        update(ding_recipients)
        .where(ding_recipients.c.ding_id == ding_id, ding_recipients.c.confirmed_at.is_(None))
        .values(next_step=step, next_due_at=due_at)
    )


async def due_steps(conn: AsyncConnection, now: int, limit: int) -> list[Row[Any]]:
    query = (
        select(ding_recipients)
        .where(
            ding_recipients.c.next_due_at.is_not(None),
            ding_recipients.c.next_due_at <= now,
            ding_recipients.c.confirmed_at.is_(None),
        )
        .order_by(ding_recipients.c.next_due_at)
        .limit(limit)
    )
    return list(await conn.execute(query))


async def claim_step(
    conn: AsyncConnection,
    row: Row[Any],
    next_step: str | None,
    next_due_at: int | None,
) -> bool:
    """Move a recipient past the step ``row`` names; True for exactly one claimant."""
    result = await conn.execute(
        update(ding_recipients)
        .where(
            ding_recipients.c.ding_id == row.ding_id,
            ding_recipients.c.user_id == row.user_id,
            ding_recipients.c.next_step == row.next_step,
            ding_recipients.c.next_due_at == row.next_due_at,
            ding_recipients.c.confirmed_at.is_(None),
        )
        .values(next_step=next_step, next_due_at=next_due_at)
    )
    return result.rowcount == 1


async def stop_escalation_for(conn: AsyncConnection, organization_id: int, user_id: int) -> None:
    await conn.execute(
        update(ding_recipients)
        .where(
            ding_recipients.c.organization_id == organization_id,
            ding_recipients.c.user_id == user_id,
            ding_recipients.c.confirmed_at.is_(None),
        )
        .values(next_step=None, next_due_at=None)
    )


# -- policies -------------------------------------------------------------------------------------


async def get_policy(conn: AsyncConnection, organization_id: int) -> Row[Any] | None:
    query = select(ding_policies).where(ding_policies.c.organization_id == organization_id)
    return (await conn.execute(query)).first()


async def save_policy(conn: AsyncConnection, organization_id: int, values: dict[str, Any]) -> None:
    changed = await conn.execute(
        update(ding_policies).where(ding_policies.c.organization_id == organization_id).values(**values)
    )
    if changed.rowcount == 0:
        await conn.execute(insert(ding_policies).values(organization_id=organization_id, **values))
