"""Queries on API bots' tokens, slash commands and command invocations (store/tables/bot_api.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import bot_commands, bot_tokens, bots, command_invocations, users
from lakeside.store.tables import conversation_members as members

# -- tokens ---------------------------------------------------------------------------------------

_TOKEN_BY_HASH = select(
    bot_tokens.c.id,
    bot_tokens.c.expires_at,
    bot_tokens.c.last_used_at,
    bot_tokens.c.scopes,
    bot_tokens.c.conversation_ids,
    users.c.id.label("user_id"),
    users.c.username,
    users.c.display_name,
    users.c.is_active,
).join(users, users.c.id == bot_tokens.c.bot_id)


async def token_by_hash(conn: AsyncConnection, token_hash: str) -> Any:
    """A live (not revoked) token with this hash, and its bot's user columns."""
    query = _TOKEN_BY_HASH.where(bot_tokens.c.token_hash == token_hash, bot_tokens.c.revoked_at.is_(None))
    return (await conn.execute(query)).first()


async def insert_token(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(bot_tokens).values(**values).returning(bot_tokens.c.id))
    return int(result.scalar_one())


async def get_token(conn: AsyncConnection, bot_id: int, token_id: int) -> Row[Any] | None:
    query = select(bot_tokens).where(bot_tokens.c.id == token_id, bot_tokens.c.bot_id == bot_id)
    return (await conn.execute(query)).first()


async def list_tokens(conn: AsyncConnection, bot_id: int) -> list[Row[Any]]:
    query = (
        select(bot_tokens)
        .where(bot_tokens.c.bot_id == bot_id, bot_tokens.c.revoked_at.is_(None))
        .order_by(bot_tokens.c.id)
    )
    return list(await conn.execute(query))


async def live_token_ids(conn: AsyncConnection, bot_id: int) -> list[int]:
    query = select(bot_tokens.c.id).where(bot_tokens.c.bot_id == bot_id, bot_tokens.c.revoked_at.is_(None))
    return [row[0] for row in await conn.execute(query)]


async def revoke_token(conn: AsyncConnection, token_id: int, now: int) -> bool:
    result = await conn.execute(
        update(bot_tokens)
        .where(bot_tokens.c.id == token_id, bot_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


async def touch_token(conn: AsyncConnection, token_id: int, now: int) -> None:
    await conn.execute(update(bot_tokens).where(bot_tokens.c.id == token_id).values(last_used_at=now))


# -- bots ------------------------------------------------------------------------------------------


async def list_app_bots(
    conn: AsyncConnection, *, owner_id: int, organization_ids: list[int], everyone: bool = False
) -> list[Row[Any]]:
    """API bots (kind ``app``): ``owner_id``'s personal ones and those of ``organization_ids``
    (every one when ``everyone``: a server admin), active ones only."""
    query = (
        select(bots, users.c.username, users.c.display_name, users.c.avatar_file_id, users.c.is_active)
        .join(users, users.c.id == bots.c.user_id)
        .where(bots.c.kind == "app", users.c.is_active.is_(True))
        .order_by(bots.c.user_id)
    )
    if not everyone:
        mine = (bots.c.owner_id == owner_id) & bots.c.organization_id.is_(None)
        query = query.where(mine | bots.c.organization_id.in_(organization_ids) if organization_ids else mine)
    return list(await conn.execute(query))


async def set_description(conn: AsyncConnection, bot_id: int, description: str) -> None:
    await conn.execute(update(bots).where(bots.c.user_id == bot_id).values(description=description))


async def bot_conversation_ids(conn: AsyncConnection, bot_id: int) -> list[int]:
    query = select(members.c.conversation_id).where(members.c.user_id == bot_id)
    return sorted(row[0] for row in await conn.execute(query))


# -- slash commands --------------------------------------------------------------------------------


async def list_commands(conn: AsyncConnection, bot_id: int) -> list[Row[Any]]:
    query = select(bot_commands).where(bot_commands.c.bot_id == bot_id).order_by(bot_commands.c.name)
    return list(await conn.execute(query))


async def replace_commands(conn: AsyncConnection, bot_id: int, rows: list[dict[str, Any]]) -> None:
    await conn.execute(delete(bot_commands).where(bot_commands.c.bot_id == bot_id))
    if rows:
        await conn.execute(insert(bot_commands), [{**row, "bot_id": bot_id} for row in rows])


async def conversation_commands(conn: AsyncConnection, conversation_id: int) -> list[Row[Any]]:
    """The commands of the active API bots that are members of the conversation."""
    query = (
        select(
            bot_commands.c.bot_id,
            bot_commands.c.name,
            bot_commands.c.description,
            bot_commands.c.usage,
            users.c.display_name.label("bot_name"),
        )
        .join(members, members.c.user_id == bot_commands.c.bot_id)
        .join(users, users.c.id == bot_commands.c.bot_id)
        .where(
            members.c.conversation_id == conversation_id,
            users.c.is_active.is_(True),
            users.c.bot_kind == "app",
        )
        .order_by(bot_commands.c.name, bot_commands.c.bot_id)
    )
    return list(await conn.execute(query))


# -- invocations -----------------------------------------------------------------------------------


async def insert_invocation(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(
        insert(command_invocations).values(**values).returning(command_invocations.c.id)
    )
    return int(result.scalar_one())


async def get_invocation(conn: AsyncConnection, invocation_id: int, *, for_update: bool = False) -> Any:
    query = select(command_invocations).where(command_invocations.c.id == invocation_id)
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def count_reply(conn: AsyncConnection, invocation_id: int) -> None:
    await conn.execute(
        update(command_invocations)
        .where(command_invocations.c.id == invocation_id)
        .values(replies=command_invocations.c.replies + 1)
    )


async def forget_invocations(conn: AsyncConnection, before: int) -> int:
    result = await conn.execute(delete(command_invocations).where(command_invocations.c.created_at < before))
    return int(result.rowcount or 0)
