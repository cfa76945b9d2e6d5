"""API bots: the accounts a program posts and listens as, their scoped tokens and their groups.

An API bot is a bot account of kind ``app`` (services/bots.py): made by a person for themselves,
or for an organization by its owner or an admin. Whoever may manage it (``bots.may_manage``)
renames it, adds it to the groups they manage, and issues its tokens:

- a token is ``lsb_`` and 43 random characters, shown once and stored as its SHA-256;
- it carries scopes (domain/bot_scopes.py: what it may do) and, optionally, an allowlist of
  conversations (the only ones it may touch, even among the bots' groups);
- it may expire; revoking it ends it at once: the session cache forgets it, and its open sockets
  are closed (the ``session.revoked`` event names the token as ``session_id`` = minus its id,
  which is how ``Accounts.authenticate`` caches tokens beside sessions).

Deleting a bot deactivates it (what it posted stays under its name and badge) and revokes its
tokens. A bot is never in a direct chat: it cannot be befriended, so nobody opens one with it.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.bot_scopes import (
    MAX_ALLOWLIST,
    SCOPES,
    SHOWN_PREFIX_LENGTH,
    TOKEN_PREFIX,
)
from lakeside.domain.events import to_users
from lakeside.domain.events.messaging import SessionRevoked
from lakeside.domain.tokens import now_ms, token_hash
from lakeside.errors import Forbidden, Invalid, NotFound
from lakeside.services import bots
from lakeside.services.accounts import Accounts, AuthUser
from lakeside.services.conversations import MANAGERS
from lakeside.services.orgaccess import access_org
from lakeside.store import bot_api as store
from lakeside.store import conversations as conversation_store
from lakeside.store import files as file_store
from lakeside.store import organizations as org_store

DAY_MS = 86_400_000


def bot_not_found() -> NotFound:
    return NotFound("No such bot.", code="BOT_NOT_FOUND")


def bot_view(bot: bots.Bot) -> dict[str, Any]:
    return {
        "id": bot.user_id,
        "username": bot.username,
        "display_name": bot.display_name,
        "avatar_url": f"/api/v1/files/{bot.avatar_file_id}" if bot.avatar_file_id else None,
        "description": bot.description,
        "organization_id": bot.organization_id,
        "owner_id": bot.owner_id,
        "is_active": bot.is_active,
        "created_at": bot.created_at,
    }


def token_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "scopes": sorted(row.scopes.split()),
        "conversation_ids": None if row.conversation_ids is None else orjson.loads(row.conversation_ids),
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
    }


def new_bot_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class BotAccounts:
    def __init__(self, ctx: Any, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts

    # -- access -----------------------------------------------------------------------------------

    async def managed(self, conn: AsyncConnection, user: AuthUser, bot_id: int) -> bots.Bot:
        """The API bot ``bot_id`` when ``user`` may manage it; 404 otherwise, as for nothing."""
        bot = await bots.get_bot(conn, bot_id)
        if bot is None or bot.kind != "app" or not bot.is_active:
            raise bot_not_found()
        if not await bots.may_manage(conn, user, bot):
            raise bot_not_found()
        if bot.organization_id is not None and not user.is_admin:
            # An organization's bot answers to the organization: its maker too only while they
            # own or administer it (one who left, or was made a member, manages it no more).
            member = await org_store.get_member(conn, bot.organization_id, user.id)
            if member is None or member.status != "active" or member.role not in MANAGERS:
                raise bot_not_found()
        return bot

    # -- bots -------------------------------------------------------------------------------------

    async def list_bots(self, user: AuthUser, organization_id: int | None = None) -> list[dict[str, Any]]:
        """The API bots the caller manages: their own, and every bot of the organizations they
        own or administer (only ``organization_id``'s when given)."""
        async with self.ctx.db.read() as conn:
            orgs = [row.id for row in await org_store.list_for_user(conn, user.id) if row.my_role in MANAGERS]
            rows = await store.list_app_bots(conn, owner_id=user.id, organization_ids=orgs)
        found = [bot_view(bots.bot_of(row)) for row in rows]
        if organization_id is not None:
            found = [bot for bot in found if bot["organization_id"] == organization_id]
        return found

    async def get(self, user: AuthUser, bot_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            return bot_view(await self.managed(conn, user, bot_id))

    async def do_create(
        self,
        user: AuthUser,
        *,
        display_name: str,
        description: str,
        organization_id: int | None,
        avatar_file_id: str | None,
    ) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            if organization_id is not None:
                await access_org(uow.conn, user.id, organization_id, admin=True)
            if avatar_file_id is not None:
                await _check_avatar(uow.conn, user.id, avatar_file_id)
            bot = await bots.create_bot(
                uow,
                kind="app",
                display_name=display_name,
                owner_id=user.id,
                organization_id=organization_id,
                avatar_file_id=avatar_file_id,
                description=_description(description),
            )
        return bot_view(bot)

    async def do_update(
        self,
        user: AuthUser,
        bot_id: int,
        *,
        display_name: str | None,
        description: str | None,
        avatar_file_id: str | None,
        clear_avatar: bool,
    ) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            bot = await self.managed(uow.conn, user, bot_id)
            if avatar_file_id is not None:
                await _check_avatar(uow.conn, user.id, avatar_file_id)
            avatar = None if clear_avatar else (avatar_file_id or bot.avatar_file_id)
            if display_name is not None or avatar != bot.avatar_file_id:
                await bots.rename(uow, bot, display_name or bot.display_name, avatar)
            if description is not None:
                await store.set_description(uow.conn, bot.user_id, _description(description))
            changed = await bots.get_bot(uow.conn, bot.user_id)
        self.accounts.sessions.forget_user(bot_id)  # its tokens' cached callers carry the name
        assert changed is not None
        return bot_view(changed)

    async def do_delete(self, user: AuthUser, bot_id: int) -> None:
        """Deactivate the bot and revoke its tokens (its messages stay, under its name)."""
        async with self.ctx.transaction() as uow:
            bot = await self.managed(uow.conn, user, bot_id)
            ids = await store.live_token_ids(uow.conn, bot.user_id)
            now = now_ms()
            for token_id in ids:
                await store.revoke_token(uow.conn, token_id, now)
                uow.emit(SessionRevoked(session_id=-token_id), to_users(bot.user_id))
            await bots.deactivate(uow, bot)
        self.accounts.sessions.forget_user(bot_id)

    # -- groups -----------------------------------------------------------------------------------

    async def list_groups(self, user: AuthUser, bot_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            bot = await self.managed(conn, user, bot_id)
            ids = await store.bot_conversation_ids(conn, bot.user_id)
            out = []
            for conversation_id in ids:
                row = await conversation_store.get_conversation(conn, conversation_id)
                if row is not None:
                    out.append({"id": row.id, "kind": row.kind, "title": row.title})
        return out

    async def do_join(self, user: AuthUser, bot_id: int, conversation_id: int) -> None:
        """Add the bot to a group the caller owns or administers (and may manage the bot)."""
        async with self.ctx.transaction() as uow:
            bot = await self.managed(uow.conn, user, bot_id)
            membership = await conversation_store.get_membership(uow.conn, conversation_id, user.id)
            if membership is None:
                raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
            if membership.role not in MANAGERS:
                raise Forbidden("Only the group's owner and admins add bots.", code="NOT_GROUP_ADMIN")
            await bots.join(uow, bot, conversation_id, by=user.id)

    async def do_leave(self, user: AuthUser, bot_id: int, conversation_id: int) -> None:
        async with self.ctx.transaction() as uow:
            bot = await self.managed(uow.conn, user, bot_id)
            if await conversation_store.get_membership(uow.conn, conversation_id, bot.user_id) is None:
                raise NotFound("The bot is not in this conversation.", code="CONVERSATION_NOT_FOUND")
            await bots.leave(uow, bot, conversation_id, by=user.id)

    # -- tokens -----------------------------------------------------------------------------------

    async def list_tokens(self, user: AuthUser, bot_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            bot = await self.managed(conn, user, bot_id)
            return [token_view(row) for row in await store.list_tokens(conn, bot.user_id)]

    async def do_issue(
        self,
        user: AuthUser,
        bot_id: int,
        *,
        name: str,
        scopes: list[str],
        conversation_ids: list[int] | None,
        expires_in_days: int | None,
    ) -> tuple[str, dict[str, Any]]:
        """A new token for the bot: (the token, shown this once; its view)."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise Invalid(
                "Scopes are one or more of: " + ", ".join(SCOPES) + ".",
                code="INVALID_SCOPES",
                unknown=unknown,
            )
        label = " ".join(name.split())[:100]
        now = now_ms()
        token = new_bot_token()
        async with self.ctx.transaction() as uow:
            bot = await self.managed(uow.conn, user, bot_id)
            allowlist = None
            if conversation_ids is not None:
                allowlist = sorted(set(conversation_ids))
                if len(allowlist) > MAX_ALLOWLIST:
                    raise Invalid(f"At most {MAX_ALLOWLIST} conversations.", code="TOO_MANY_CONVERSATIONS")
                joined = set(await store.bot_conversation_ids(uow.conn, bot.user_id))
                outside = [cid for cid in allowlist if cid not in joined]
                if outside:
                    raise Invalid(
                        "The bot is not a member of every conversation listed.",
                        code="BOT_NOT_A_MEMBER",
                        conversation_ids=outside,
                    )
            token_id = await store.insert_token(
                uow.conn,
                {
                    "bot_id": bot.user_id,
                    "name": label,
                    "prefix": token[:SHOWN_PREFIX_LENGTH],
                    "token_hash": token_hash(token),
                    "scopes": " ".join(sorted(set(scopes))),
                    "conversation_ids": None if allowlist is None else orjson.dumps(allowlist).decode(),
                    "created_by": user.id,
                    "created_at": now,
                    "expires_at": None if expires_in_days is None else now + expires_in_days * DAY_MS,
                },
            )
            row = await store.get_token(uow.conn, bot.user_id, token_id)
        return token, token_view(row)

    async def do_revoke(self, user: AuthUser, bot_id: int, token_id: int) -> None:
        """End the token now: requests with it are refused, its sockets closed (4001)."""
        revoked = False
        try:
            async with self.ctx.transaction() as uow:
                bot = await self.managed(uow.conn, user, bot_id)
                row = await store.get_token(uow.conn, bot.user_id, token_id)
                if row is None or row.revoked_at is not None:
                    raise NotFound("No such token.", code="TOKEN_NOT_FOUND")
                revoked = await store.revoke_token(uow.conn, token_id, now_ms())
                uow.emit(SessionRevoked(session_id=-token_id), to_users(bot.user_id))
        finally:
            if revoked:  # after the commit, as for a session (services/accounts.py)
                self.accounts.sessions.forget_session(-token_id)


async def _check_avatar(conn: AsyncConnection, user_id: int, file_id: str) -> None:
    row = await file_store.get_file(conn, file_id)
    if row is None or row.owner_id != user_id:
        raise NotFound("No such file of yours.", code="FILE_NOT_FOUND")
    if row.width is None:
        raise Invalid("An avatar is an image.", code="NOT_AN_IMAGE")


def _description(text: str) -> str:
    cleaned = " ".join(text.split())
    if len(cleaned) > 500:
        raise Invalid("A description is at most 500 characters.", code="INVALID_DESCRIPTION")
    return cleaned
