"""Queries on incoming webhooks (store/tables/webhook.py) and the members their mentions name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import conversation_members, files, users, webhooks


def _query() -> Any:
    return select(
        webhooks,
        users.c.display_name.label("name"),
        users.c.avatar_file_id,
        users.c.is_active.label("bot_active"),
    ).join(users, users.c.id == webhooks.c.bot_user_id)


async def insert_webhook(conn: AsyncConnection, values: dict[str, Any]) -> int:
    statement = insert(webhooks).values(**values).returning(webhooks.c.id)
    return int((await conn.execute(statement)).scalar_one())


async def get_webhook(conn: AsyncConnection, webhook_id: int) -> Row[Any] | None:
    """A live (not revoked) webhook."""
    query = _query().where(webhooks.c.id == webhook_id, webhooks.c.revoked_at.is_(None))
    return (await conn.execute(query)).first()


async def by_token(conn: AsyncConnection, dialect: str, token_hash: str) -> Row[Any] | None:
    """The live webhook of a dialect holding the token whose hash is ``token_hash``."""
    query = _query().where(
        webhooks.c.token_hash == token_hash,
        webhooks.c.dialect == dialect,
        webhooks.c.revoked_at.is_(None),
    )
    return (await conn.execute(query)).first()


async def list_webhooks(conn: AsyncConnection, conversation_id: int) -> list[Row[Any]]:
    query = (
        _query()
        .where(webhooks.c.conversation_id == conversation_id, webhooks.c.revoked_at.is_(None))
        .order_by(webhooks.c.id)
    )
    return list(await conn.execute(query))


async def update_webhook(conn: AsyncConnection, webhook_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))


async def members_by_phone(conn: AsyncConnection, conversation_id: int, phones: list[str]) -> list[Row[Any]]:
    """Members of the conversation whose *verified* phone number is among ``phones``:
    (id, phone, display_name)."""
    if not phones:
        return []
    query = (
        select(users.c.id, users.c.phone, users.c.username, users.c.display_name)
        .join(conversation_members, conversation_members.c.user_id == users.c.id)
        .where(
            conversation_members.c.conversation_id == conversation_id,
            users.c.phone.in_(sorted(set(phones))),
            users.c.phone_verified_at.is_not(None),
        )
    )
    return list(await conn.execute(query))


async def members_by_login(
    conn: AsyncConnection, conversation_id: int, usernames: list[str], ids: list[int]
) -> list[Row[Any]]:
    """Members of the conversation named by username or numeric id: (id, username, display_name)."""
    clauses = []
    if usernames:
        clauses.append(users.c.username.in_(sorted(set(usernames))))
    if ids:
        clauses.append(users.c.id.in_(sorted(set(ids))))
    if not clauses:
        return []
    query = (
        select(users.c.id, users.c.username, users.c.display_name)
        .join(conversation_members, conversation_members.c.user_id == users.c.id)
        .where(and_(conversation_members.c.conversation_id == conversation_id, or_(*clauses)))
    )
    return list(await conn.execute(query))


async def mark_avatar(conn: AsyncConnection, file_id: str) -> None:
    """A robot's avatar is shown to everyone, as a person's is (files of purpose ``avatar``)."""
    await conn.execute(update(files).where(files.c.id == file_id).values(purpose="avatar"))
