"""Queries of the outbound side (store/tables/outbound.py): robots, subscriptions, the delivery
queue and its log, the dispatcher's cursor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import (
    bot_subscriptions,
    conversation_members,
    conversations,
    outbound_attempts,
    outbound_cursors,
    outbound_deliveries,
    robots,
    users,
)

# -- robots ------------------------------------------------------------------------------------


def _robot_query() -> Any:
    return (
        select(
            robots,
            users.c.display_name.label("name"),
            users.c.avatar_file_id,
            users.c.is_active.label("bot_active"),
            conversations.c.title.label("conversation_title"),
            conversations.c.organization_id,
        )
        .join(users, users.c.id == robots.c.bot_user_id)
        .join(conversations, conversations.c.id == robots.c.conversation_id)
    )


async def insert_robot(conn: AsyncConnection, values: dict[str, Any]) -> int:
    return int((await conn.execute(insert(robots).values(**values).returning(robots.c.id))).scalar_one())


async def get_robot(conn: AsyncConnection, robot_id: int) -> Row[Any] | None:
    return (await conn.execute(_robot_query().where(robots.c.id == robot_id))).first()


async def list_robots(conn: AsyncConnection, conversation_id: int) -> list[Row[Any]]:
    query = _robot_query().where(robots.c.conversation_id == conversation_id).order_by(robots.c.id)
    return list(await conn.execute(query))


async def update_robot(conn: AsyncConnection, robot_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(robots).where(robots.c.id == robot_id).values(**values))


async def live_robots_in(conn: AsyncConnection, conversation_ids: Iterable[int]) -> list[Row[Any]]:
    ids = sorted(set(conversation_ids))
    if not ids:
        return []
    query = _robot_query().where(
        robots.c.conversation_id.in_(ids), robots.c.revoked_at.is_(None), users.c.is_active.is_(True)
    )
    return list(await conn.execute(query))


# -- subscriptions -----------------------------------------------------------------------------


async def insert_subscription(conn: AsyncConnection, values: dict[str, Any]) -> int:
    query = insert(bot_subscriptions).values(**values).returning(bot_subscriptions.c.id)
    return int((await conn.execute(query)).scalar_one())


async def get_subscription(conn: AsyncConnection, subscription_id: int) -> Row[Any] | None:
    query = select(bot_subscriptions).where(bot_subscriptions.c.id == subscription_id)
    return (await conn.execute(query)).first()


async def list_subscriptions(conn: AsyncConnection, bot_id: int) -> list[Row[Any]]:
    query = (
        select(bot_subscriptions).where(bot_subscriptions.c.bot_id == bot_id).order_by(bot_subscriptions.c.id)
    )
    return list(await conn.execute(query))


async def update_subscription(conn: AsyncConnection, subscription_id: int, values: dict[str, Any]) -> None:
    await conn.execute(
        update(bot_subscriptions).where(bot_subscriptions.c.id == subscription_id).values(**values)
    )


async def delete_subscription(conn: AsyncConnection, subscription_id: int) -> None:
    await conn.execute(delete(bot_subscriptions).where(bot_subscriptions.c.id == subscription_id))


async def active_subscriptions(conn: AsyncConnection) -> list[Row[Any]]:
    query = (
        select(bot_subscriptions)
        .join(users, users.c.id == bot_subscriptions.c.bot_id)
        .where(bot_subscriptions.c.status == "active", users.c.is_active.is_(True))
        .order_by(bot_subscriptions.c.id)
    )
    return list(await conn.execute(query))


async def memberships(
    conn: AsyncConnection, user_ids: Sequence[int], conversation_ids: Sequence[int]
) -> dict[tuple[int, int], int]:
    """{(conversation, user): joined_event_id} for those of the pairs that are memberships."""
    if not user_ids or not conversation_ids:
        return {}
    m = conversation_members
    query = select(m.c.conversation_id, m.c.user_id, m.c.joined_event_id).where(
        m.c.user_id.in_(sorted(set(user_ids))), m.c.conversation_id.in_(sorted(set(conversation_ids)))
    )
    return {(row[0], row[1]): row[2] for row in await conn.execute(query)}


async def any_live(conn: AsyncConnection) -> bool:
    """Whether any robot or subscription could want an event (the dispatcher skips the log else)."""
    robot = select(robots.c.id).where(robots.c.revoked_at.is_(None)).limit(1)
    sub = select(bot_subscriptions.c.id).where(bot_subscriptions.c.status == "active").limit(1)
    return (await conn.scalar(robot)) is not None or (await conn.scalar(sub)) is not None


async def user_facts(conn: AsyncConnection, user_ids: Iterable[int]) -> dict[int, Row[Any]]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    query = select(users.c.id, users.c.username, users.c.display_name, users.c.bot_kind, users.c.phone).where(
        users.c.id.in_(ids)
    )
    return {row.id: row for row in await conn.execute(query)}


async def roles_in(conn: AsyncConnection, conversation_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    m = conversation_members
    query = select(m.c.user_id, m.c.role).where(m.c.conversation_id == conversation_id, m.c.user_id.in_(ids))
    return {row.user_id: row.role for row in await conn.execute(query)}


async def members_matching(
    conn: AsyncConnection,
    conversation_id: int,
    *,
    usernames: Sequence[str],
    ids: Sequence[int],
    phones: Sequence[str],
) -> list[int]:
    """Members of the conversation named by username, id or phone number (a reply's @s)."""
    m = conversation_members
    conditions = []
    if usernames:
        conditions.append(users.c.username.in_(list(usernames)))
    if ids:
        conditions.append(users.c.id.in_(list(ids)))
    if phones:
        conditions.append(users.c.phone.in_(list(phones)))
    if not conditions:
        return []
    from sqlalchemy import or_

    query = (
        select(users.c.id)
        .join(m, m.c.user_id == users.c.id)
        .where(m.c.conversation_id == conversation_id, or_(*conditions))
        .order_by(users.c.id)
    )
    return [row[0] for row in await conn.execute(query)]


# -- the dispatcher's cursor -------------------------------------------------------------------


async def cursor(conn: AsyncConnection, name: str) -> int:
    query = select(outbound_cursors.c.position).where(outbound_cursors.c.name == name)
    position = await conn.scalar(query)
    if position is None:
        await conn.execute(insert(outbound_cursors).values(name=name, position=0, updated_at=0))
        return 0
    return int(position)


async def cursor_position(conn: AsyncConnection, name: str) -> int:
    query = select(outbound_cursors.c.position).where(outbound_cursors.c.name == name)
    return int((await conn.scalar(query)) or 0)


async def move_cursor(conn: AsyncConnection, name: str, position: int, now: int) -> None:
    await conn.execute(
        update(outbound_cursors)
        .where(outbound_cursors.c.name == name)
        .values(position=position, updated_at=now)
    )


# -- deliveries --------------------------------------------------------------------------------

d = outbound_deliveries


async def insert_deliveries(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    ids = []
    for row in rows:  # few per event; RETURNING one at a time keeps the ids in order
        ids.append(int((await conn.execute(insert(d).values(**row).returning(d.c.id))).scalar_one()))
    return ids


async def claim_due(conn: AsyncConnection, now: int, limit: int, lease_until: int) -> list[Row[Any]]:
    """Take up to ``limit`` deliveries that are due, each the oldest pending one of its owner (so
    an owner's deliveries go out in order), and hold them until ``lease_until``: counted as an
    attempt now, tried again after the lease if this node dies meanwhile. PostgreSQL skips rows
    another node is claiming; SQLite's write transaction is the only writer."""
    heads = select(func.min(d.c.id)).where(d.c.status == "pending").group_by(d.c.owner_kind, d.c.owner_id)
    query = (
        select(d)
        .where(d.c.id.in_(heads), d.c.status == "pending", d.c.next_attempt_at <= now)
        .order_by(d.c.next_attempt_at, d.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(await conn.execute(query))
    if rows:
        await conn.execute(
            update(d)
            .where(d.c.id.in_([row.id for row in rows]))
            .values(attempts=d.c.attempts + 1, next_attempt_at=lease_until, updated_at=now)
        )
    return rows


async def any_due(conn: AsyncConnection, now: int) -> bool:
    query = select(d.c.id).where(d.c.status == "pending", d.c.next_attempt_at <= now).limit(1)
    return (await conn.scalar(query)) is not None


async def get_delivery(conn: AsyncConnection, delivery_id: int) -> Row[Any] | None:
    return (await conn.execute(select(d).where(d.c.id == delivery_id))).first()


async def update_delivery(conn: AsyncConnection, delivery_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(d).where(d.c.id == delivery_id).values(**values))


async def insert_attempt(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(outbound_attempts).values(**values))


async def fail_pending(conn: AsyncConnection, owner_kind: str, owner_id: int, reason: str, now: int) -> int:
    result = await conn.execute(
        update(d)
        .where(d.c.owner_kind == owner_kind, d.c.owner_id == owner_id, d.c.status == "pending")
        .values(status="failed", last_error=reason[:500], finished_at=now, updated_at=now)
    )
    return result.rowcount


async def delete_deliveries(conn: AsyncConnection, owner_kind: str, owner_id: int) -> None:
    ids = select(d.c.id).where(d.c.owner_kind == owner_kind, d.c.owner_id == owner_id)
    await conn.execute(delete(outbound_attempts).where(outbound_attempts.c.delivery_id.in_(ids)))
    await conn.execute(delete(d).where(d.c.owner_kind == owner_kind, d.c.owner_id == owner_id))


async def recent_deliveries(
    conn: AsyncConnection, owner_kind: str, owner_id: int, limit: int
) -> list[Row[Any]]:
    query = (
        select(
            d.c.id,
            d.c.idempotency_key,
            d.c.event_type,
            d.c.status,
            d.c.attempts,
            d.c.next_attempt_at,
            d.c.last_status,
            d.c.last_error,
            d.c.created_at,
            d.c.finished_at,
        )
        .where(d.c.owner_kind == owner_kind, d.c.owner_id == owner_id)
        .order_by(d.c.id.desc())
        .limit(limit)
    )
    return list(await conn.execute(query))


async def attempts_of(conn: AsyncConnection, delivery_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    if not delivery_ids:
        return {}
    a = outbound_attempts
    query = select(a).where(a.c.delivery_id.in_(list(delivery_ids))).order_by(a.c.delivery_id, a.c.attempt)
    out: dict[int, list[Row[Any]]] = {}
    for row in await conn.execute(query):
        out.setdefault(row.delivery_id, []).append(row)
    return out
