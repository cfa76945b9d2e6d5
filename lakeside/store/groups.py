"""Queries of the group tools: pinned messages, the group notice and its acknowledgements, invite
links and join requests, and who manages a group (the audience of what only they receive).

Every function takes the conversation's id and filters on it, so nothing of one group is reached
through another's id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import (
    conversation_members,
    group_invitations,
    group_join_requests,
    group_notice_acks,
    group_notices,
    message_pins,
    messages,
    users,
)

MANAGERS = ("owner", "admin")


async def manager_ids(conn: AsyncConnection, conversation_id: int) -> list[int]:
    """The group's owner and admins."""
    query = select(conversation_members.c.user_id).where(
        conversation_members.c.conversation_id == conversation_id, conversation_members.c.role.in_(MANAGERS)
    )
    return [row.user_id for row in await conn.execute(query)]


# -- pinned messages ------------------------------------------------------------------------------


async def list_pins(conn: AsyncConnection, conversation_id: int) -> list[Row[Any]]:
    """The conversation's pinned messages (whole message rows) with ``pinned_by`` and
    ``pinned_at``, the newest pin first."""
    query = (
        select(messages, message_pins.c.pinned_by, message_pins.c.pinned_at)
        .join(message_pins, message_pins.c.message_id == messages.c.id)
        .where(message_pins.c.conversation_id == conversation_id, messages.c.recalled_at.is_(None))
        .order_by(message_pins.c.pinned_at.desc(), message_pins.c.message_id.desc())
    )
    return list(await conn.execute(query))


async def count_pins(conn: AsyncConnection, conversation_id: int) -> int:
    query = select(func.count()).where(message_pins.c.conversation_id == conversation_id)
    return (await conn.scalar(query)) or 0


async def is_pinned(conn: AsyncConnection, conversation_id: int, message_id: int) -> bool:
    query = select(message_pins.c.message_id).where(
        message_pins.c.conversation_id == conversation_id, message_pins.c.message_id == message_id
    )
    return (await conn.execute(query)).first() is not None


async def add_pin(conn: AsyncConnection, conversation_id: int, message_id: int, by: int, now: int) -> None:
    values = {"conversation_id": conversation_id, "message_id": message_id, "pinned_by": by, "pinned_at": now}
    await conn.execute(insert(message_pins).values(**values))


async def remove_pin(conn: AsyncConnection, conversation_id: int, message_id: int) -> bool:
    result = await conn.execute(
        delete(message_pins).where(
            message_pins.c.conversation_id == conversation_id, message_pins.c.message_id == message_id
        )
    )
    return result.rowcount > 0


# -- the group notice -----------------------------------------------------------------------------


async def get_notice(conn: AsyncConnection, conversation_id: int) -> Row[Any] | None:
    query = select(group_notices).where(group_notices.c.conversation_id == conversation_id)
    return (await conn.execute(query)).first()


async def put_notice(conn: AsyncConnection, conversation_id: int, body: str, by: int, now: int) -> int:
    """Set the notice (a new one, or a new version of the one there); returns its version. The
    caller holds the conversation's lock, so versions never collide."""
    current = await get_notice(conn, conversation_id)
    values = {"body": body, "updated_by": by, "updated_at": now}
    if current is None:
        await conn.execute(insert(group_notices).values(conversation_id=conversation_id, version=1, **values))
        return 1
    version = int(current.version) + 1
    await conn.execute(
        update(group_notices)
        .where(group_notices.c.conversation_id == conversation_id)
        .values(version=version, **values)
    )
    return version


async def delete_notice(conn: AsyncConnection, conversation_id: int) -> bool:
    result = await conn.execute(
        delete(group_notices).where(group_notices.c.conversation_id == conversation_id)
    )
    await conn.execute(
        delete(group_notice_acks).where(group_notice_acks.c.conversation_id == conversation_id)
    )
    return result.rowcount > 0


async def acknowledge(
    conn: AsyncConnection, conversation_id: int, user_id: int, version: int, now: int
) -> None:
    """Record that the member acknowledged ``version`` (replacing an older acknowledgement)."""
    statement = (
        dialect_of(conn)
        .insert(group_notice_acks)
        .values(conversation_id=conversation_id, user_id=user_id, version=version, acked_at=now)
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["conversation_id", "user_id"], set_={"version": version, "acked_at": now}
        )
    )


async def acked_version(conn: AsyncConnection, conversation_id: int, user_id: int) -> int | None:
    query = select(group_notice_acks.c.version).where(
        group_notice_acks.c.conversation_id == conversation_id, group_notice_acks.c.user_id == user_id
    )
    return await conn.scalar(query)


async def notice_readers(conn: AsyncConnection, conversation_id: int, version: int) -> list[Row[Any]]:
    """Every current member with ``acked_at``: when they acknowledged ``version``, else null."""
    acks = group_notice_acks
    query = (
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.avatar_file_id,
            conversation_members.c.role,
            acks.c.acked_at,
        )
        .select_from(conversation_members)
        .join(users, users.c.id == conversation_members.c.user_id)
        .outerjoin(
            acks,
            and_(
                acks.c.conversation_id == conversation_members.c.conversation_id,
                acks.c.user_id == conversation_members.c.user_id,
                acks.c.version == version,
            ),
        )
        .where(conversation_members.c.conversation_id == conversation_id)
        .order_by(conversation_members.c.user_id)
    )
    return list(await conn.execute(query))


# -- invite links ---------------------------------------------------------------------------------


def _live(now: int) -> Any:
    return and_(
        group_invitations.c.revoked_at.is_(None),
        or_(group_invitations.c.expires_at.is_(None), group_invitations.c.expires_at > now),
    )


async def live_link(conn: AsyncConnection, conversation_id: int, now: int) -> Row[Any] | None:
    query = (
        select(group_invitations)
        .where(group_invitations.c.conversation_id == conversation_id, _live(now))
        .order_by(group_invitations.c.id.desc())
        .limit(1)
    )
    return (await conn.execute(query)).first()


async def insert_link(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(group_invitations).values(**values).returning(group_invitations.c.id))
    return result.scalar_one()


async def revoke_links(conn: AsyncConnection, conversation_id: int, now: int) -> int:
    """Revoke every link of the group that is not revoked yet; how many were."""
    result = await conn.execute(
        update(group_invitations)
        .where(
            group_invitations.c.conversation_id == conversation_id, group_invitations.c.revoked_at.is_(None)
        )
        .values(revoked_at=now)
    )
    return result.rowcount


async def link_by_token(conn: AsyncConnection, token: str) -> Row[Any] | None:
    return (await conn.execute(select(group_invitations).where(group_invitations.c.token == token))).first()


# -- join requests ------------------------------------------------------------------------------


def _request_query() -> Any:
    return select(
        group_join_requests,
        users.c.username,
        users.c.display_name,
        users.c.avatar_file_id,
    ).join(users, users.c.id == group_join_requests.c.user_id)


async def insert_request(conn: AsyncConnection, values: dict[str, Any]) -> int:
    statement = insert(group_join_requests).values(**values).returning(group_join_requests.c.id)
    return (await conn.execute(statement)).scalar_one()


async def get_request(conn: AsyncConnection, conversation_id: int, request_id: int) -> Row[Any] | None:
    query = _request_query().where(
        group_join_requests.c.id == request_id, group_join_requests.c.conversation_id == conversation_id
    )
    return (await conn.execute(query)).first()


async def pending_request(conn: AsyncConnection, conversation_id: int, user_id: int) -> Row[Any] | None:
    query = _request_query().where(
        group_join_requests.c.conversation_id == conversation_id,
        group_join_requests.c.user_id == user_id,
        group_join_requests.c.status == "pending",
    )
    return (await conn.execute(query)).first()


async def list_requests(
    conn: AsyncConnection, conversation_id: int, status: str, limit: int
) -> list[Row[Any]]:
    query = (
        _request_query()
        .where(
            group_join_requests.c.conversation_id == conversation_id, group_join_requests.c.status == status
        )
        .order_by(group_join_requests.c.id.desc())
        .limit(limit)
    )
    return list(await conn.execute(query))


async def decide_request(conn: AsyncConnection, request_id: int, status: str, by: int, now: int) -> bool:
    """Settle a pending request; False when it was settled already (by someone quicker)."""
    result = await conn.execute(
        update(group_join_requests)
        .where(group_join_requests.c.id == request_id, group_join_requests.c.status == "pending")
        .values(status=status, decided_by=by, decided_at=now)
    )
    return result.rowcount > 0


async def close_requests(conn: AsyncConnection, conversation_id: int, user_id: int, by: int, now: int) -> int:
    """Approve whatever the user has pending in the group (they joined some other way)."""
    result = await conn.execute(
        update(group_join_requests)
        .where(
            group_join_requests.c.conversation_id == conversation_id,
            group_join_requests.c.user_id == user_id,
            group_join_requests.c.status == "pending",
        )
        .values(status="approved", decided_by=by, decided_at=now)
    )
    return result.rowcount
