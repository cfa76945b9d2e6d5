"""Queries on bots (store/tables/bot.py): a bot is its ``users`` row and its ``bots`` row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import bots, users


def _bot_query() -> Any:
    return select(
        bots,
        users.c.username,
        users.c.display_name,
        users.c.avatar_file_id,
        users.c.is_active,
    ).join(users, users.c.id == bots.c.user_id)


async def insert_bot(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(bots).values(**values))


async def get_bot(conn: AsyncConnection, user_id: int) -> Row[Any] | None:
    return (await conn.execute(_bot_query().where(bots.c.user_id == user_id))).first()


async def list_bots(
    conn: AsyncConnection, *, organization_id: int | None = None, owner_id: int | None = None
) -> list[Row[Any]]:
    query = _bot_query().order_by(bots.c.user_id)
    if organization_id is not None:
        query = query.where(bots.c.organization_id == organization_id)
    if owner_id is not None:
        query = query.where(bots.c.owner_id == owner_id)
    return list(await conn.execute(query))
