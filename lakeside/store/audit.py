"""Queries on the audit log: append a row, read an organization's rows newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import audit_log, users


async def insert_entry(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(audit_log).values(**values).returning(audit_log.c.id))
    return int(result.scalar_one())


async def list_entries(
    conn: AsyncConnection,
    organization_id: int,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    since: int | None = None,
    until: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Row[Any]]:
    """Newest first. ``action`` is one action (``member.role``) or a family (``member``)."""
    actor = users.alias("actor")
    target = users.alias("target_user")
    query = (
        select(
            audit_log,
            actor.c.username.label("actor_username"),
            actor.c.display_name.label("actor_name"),
            target.c.display_name.label("target_user_name"),
        )
        .select_from(
            audit_log.outerjoin(actor, actor.c.id == audit_log.c.actor_id).outerjoin(
                target, (audit_log.c.target_type == "user") & (target.c.id == audit_log.c.target_id)
            )
        )
        .where(audit_log.c.organization_id == organization_id)
    )
    if action:
        if "." in action:
            query = query.where(audit_log.c.action == action)
        else:
            query = query.where(audit_log.c.action.startswith(f"{action}.", autoescape=True))
    if actor_id is not None:
        query = query.where(audit_log.c.actor_id == actor_id)
    if since is not None:
        query = query.where(audit_log.c.created_at >= since)
    if until is not None:
        query = query.where(audit_log.c.created_at < until)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    query = query.order_by(audit_log.c.id.desc()).limit(limit)
    return list((await conn.execute(query)).all())
