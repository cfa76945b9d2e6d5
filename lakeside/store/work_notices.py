"""Queries for work notices (services/work_notices.py): an organization's 工作通知 bot and each
member's notice conversation with it (``conversations.kind = 'notice'``, keyed by
``direct_key = 'notice:<organization>:<user>'``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import bots, conversations, org_members

NOTICE_BOT_KIND = "notice"


def notice_key(organization_id: int, user_id: int) -> str:
    return f"notice:{organization_id}:{user_id}"


async def notice_bot_id(conn: AsyncConnection, organization_id: int) -> int | None:
    query = select(bots.c.user_id).where(
        bots.c.organization_id == organization_id, bots.c.kind == NOTICE_BOT_KIND
    )
    return (await conn.execute(query.order_by(bots.c.user_id).limit(1))).scalar()


async def notice_conversations(
    conn: AsyncConnection, organization_id: int, user_ids: Iterable[int]
) -> dict[int, int]:
    """{user id: conversation id} of the users' notice conversations that exist."""
    keys = {notice_key(organization_id, user_id): user_id for user_id in user_ids}
    if not keys:
        return {}
    query = select(conversations.c.id, conversations.c.direct_key).where(
        conversations.c.direct_key.in_(list(keys))
    )
    return {keys[row.direct_key]: row.id for row in await conn.execute(query)}


async def active_members(conn: AsyncConnection, organization_id: int, user_ids: Iterable[int]) -> set[int]:
    """Those of the users who are active members of the organization now."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return set()
    query = select(org_members.c.user_id).where(
        org_members.c.organization_id == organization_id,
        org_members.c.user_id.in_(wanted),
        org_members.c.status == "active",
    )
    return set((await conn.execute(query)).scalars())
