"""Incoming webhooks (群机器人): robots that post into one group from a URL, in the dialects people
already use (DingTalk's custom robot, Slack's and Mattermost's incoming webhooks, WeCom's group
robot, Feishu's custom bot).

Managing them (``list_webhooks``, ``do_create``, ``do_update``, ``do_revoke``): a group's owner
and admins, and the server's administrators for any group. Each robot is a bot (services/bots.py,
kind ``webhook``) that joins the group as a member and posts as itself with the robot badge; its
token appears once, in the full URL of the create (or regenerate) answer, and is stored as its
SHA-256 only. Revoking ends it at once (the row is marked, the bot leaves the group and is
deactivated): its URL then answers the vendor's bad-token error. Creating, changing and revoking
are written to the audit log.

Posting to a robot's URL is services/webhook_delivery.py.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import webhooks as rules
from lakeside.domain.tokens import now_ms, token_hash
from lakeside.errors import Invalid, NotFound
from lakeside.services import audit, bots
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import MANAGERS, Conversations
from lakeside.store import conversations as conversation_store
from lakeside.store import files as file_store
from lakeside.store import webhooks as store


def _not_found() -> NotFound:
    return NotFound("No such robot.", code="WEBHOOK_NOT_FOUND")


def webhook_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "dialect": row.dialect,
        "name": row.name,
        "avatar_file_id": row.avatar_file_id,
        "bot_user_id": row.bot_user_id,
        "token_prefix": row.token_prefix,
        "keywords": orjson.loads(row.keywords),
        "ip_allowlist": orjson.loads(row.ip_allowlist),
        "signing": row.secret is not None,
        "may_mention_all": row.may_mention_all,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
    }


class Webhooks:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    # -- management -------------------------------------------------------------------------------

    async def _access(
        self, conn: AsyncConnection, user: AuthUser, conversation_id: int, *, lock: bool = False
    ) -> tuple[Any, bool]:
        """The conversation, for someone who may manage its robots, and whether they manage the
        group itself (its owner or an admin; a server admin who is not one does not)."""
        if user.is_admin:
            conversation = await conversation_store.get_conversation(conn, conversation_id, for_update=lock)
            if conversation is None:
                raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
            if conversation.kind == "direct":
                raise Invalid("Only groups have this.", code="NOT_A_GROUP")
            membership = await conversation_store.get_membership(conn, conversation_id, user.id)
            return conversation, membership is not None and membership.role in MANAGERS
        conversation, _ = await self.conversations.access_managed(conn, user.id, conversation_id, lock=lock)
        return conversation, True

    async def _access_hook(self, conn: AsyncConnection, user: AuthUser, webhook_id: int) -> tuple[Any, Any]:
        row = await store.get_webhook(conn, webhook_id)
        if row is None:
            raise _not_found()
        try:
            conversation, _ = await self._access(conn, user, row.conversation_id)
        except NotFound:
            raise _not_found() from None
        return row, conversation

    def url(self, dialect: str, token: str) -> str:
        return self.ctx.settings.public_url.rstrip("/") + rules.url_path(dialect, token)

    async def list_webhooks(self, user: AuthUser, conversation_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await self._access(conn, user, conversation_id)
            return [webhook_view(row) for row in await store.list_webhooks(conn, conversation_id)]

    async def do_create(
        self,
        user: AuthUser,
        conversation_id: int,
        *,
        dialect: str,
        name: str,
        avatar_file_id: str | None = None,
        keywords: list[str] | None = None,
        ip_allowlist: list[str] | None = None,
        signing: bool = False,
        token: str | None = None,
    ) -> dict[str, Any]:
        """A new robot in the group: its view, its full URL and (with signing) its secret, shown
        this once. ``token`` is for the demo's robots only (lakeside/demo/robots.py): a robot's
        token is otherwise random."""
        if dialect not in rules.DIALECTS:
            raise Invalid(f"Unknown dialect {dialect!r}.", code="INVALID_DIALECT")
        words = rules.clean_keywords(keywords or [])
        allowlist = rules.clean_allowlist(ip_allowlist or [])
        self._check_security(dialect, words, signing)
        token = token or rules.new_token()
        secret = rules.new_secret() if signing else None
        now = now_ms()
        async with self.ctx.transaction() as uow:
            conversation, manages = await self._access(uow.conn, user, conversation_id, lock=True)
            bot = await bots.create_bot(
                uow,
                kind="webhook",
                display_name=name,
                owner_id=user.id,
                organization_id=conversation.organization_id,
                avatar_file_id=await self._avatar(uow.conn, user, avatar_file_id),
                description=f"incoming webhook ({dialect})",
            )
            await bots.join(uow, bot, conversation_id, by=user.id)
            webhook_id = await store.insert_webhook(
                uow.conn,
                {
                    "bot_user_id": bot.user_id,
                    "conversation_id": conversation_id,
                    "dialect": dialect,
                    "token_hash": token_hash(token),
                    "token_prefix": token[:8],
                    "keywords": orjson.dumps(words).decode(),
                    "ip_allowlist": orjson.dumps(allowlist).decode(),
                    "secret": secret,
                    "may_mention_all": manages,
                    "created_by": user.id,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await audit.record(
                uow,
                organization_id=conversation.organization_id,
                actor_id=user.id,
                action="webhook.create",
                target_type="webhook",
                target_id=webhook_id,
                details={"conversation_id": conversation_id, "dialect": dialect, "name": bot.display_name},
            )
            row = await store.get_webhook(uow.conn, webhook_id)
        assert row is not None
        return {**webhook_view(row), "url": self.url(dialect, token), "secret": secret}

    @staticmethod
    def _check_security(dialect: str, keywords: list[str], signing: bool) -> None:
        if signing and dialect not in rules.SIGNING_DIALECTS:
            raise Invalid("Only DingTalk and Feishu robots sign their posts.", code="SIGNING_UNSUPPORTED")
        if keywords and dialect not in rules.KEYWORD_DIALECTS:
            raise Invalid("WeCom robots have no keywords.", code="KEYWORDS_UNSUPPORTED")

    async def _avatar(self, conn: AsyncConnection, user: AuthUser, file_id: str | None) -> str | None:
        """An avatar is an image the caller uploaded (or any, for a server admin); it becomes an
        avatar file, which every signed-in user may see, as a person's avatar is."""
        if file_id is None:
            return None
        row = await file_store.get_file(conn, file_id)
        if row is None or (row.owner_id != user.id and not user.is_admin):
            raise NotFound("No such file.", code="FILE_NOT_FOUND")
        if not str(row.content_type).startswith("image/"):
            raise Invalid("An avatar is an image.", code="NOT_AN_IMAGE")
        await store.mark_avatar(conn, file_id)
        return file_id

    async def do_update(
        self,
        user: AuthUser,
        webhook_id: int,
        *,
        name: str | None = None,
        avatar_file_id: str | None = None,
        clear_avatar: bool = False,
        keywords: list[str] | None = None,
        ip_allowlist: list[str] | None = None,
        signing: bool | None = None,
        regenerate_token: bool = False,
        regenerate_secret: bool = False,
    ) -> dict[str, Any]:
        """Rename, change the avatar or the security settings, or regenerate the token or the
        secret (the old one stops working at once). The answer carries ``url`` and ``secret``
        when they are new, this once."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row, conversation = await self._access_hook(uow.conn, user, webhook_id)
            values: dict[str, Any] = {"updated_at": now}
            changed: dict[str, Any] = {}
            words = rules.clean_keywords(keywords) if keywords is not None else orjson.loads(row.keywords)
            will_sign = signing if signing is not None else row.secret is not None
            self._check_security(row.dialect, words, will_sign)
            if keywords is not None:
                values["keywords"] = orjson.dumps(words).decode()
                changed["keywords"] = words
            if ip_allowlist is not None:
                allowlist = rules.clean_allowlist(ip_allowlist)
                values["ip_allowlist"] = orjson.dumps(allowlist).decode()
                changed["ip_allowlist"] = allowlist
            secret: str | None = None
            if will_sign and (row.secret is None or regenerate_secret):
                secret = rules.new_secret()
                values["secret"] = secret
                changed["signing"] = "new secret"
            elif not will_sign and row.secret is not None:
                values["secret"] = None
                changed["signing"] = "off"
            token: str | None = None
            if regenerate_token:
                token = rules.new_token()
                values["token_hash"] = token_hash(token)
                values["token_prefix"] = token[:8]
                changed["token"] = "regenerated"
            bot = await bots.get_bot(uow.conn, row.bot_user_id)
            assert bot is not None
            if name is not None or avatar_file_id is not None or clear_avatar:
                avatar = row.avatar_file_id
                if clear_avatar:
                    avatar = None
                elif avatar_file_id is not None:
                    avatar = await self._avatar(uow.conn, user, avatar_file_id)
                await bots.rename(uow, bot, name if name is not None else bot.display_name, avatar)
                changed["name"] = name if name is not None else bot.display_name
            await store.update_webhook(uow.conn, webhook_id, values)
            await audit.record(
                uow,
                organization_id=conversation.organization_id,
                actor_id=user.id,
                action="webhook.update",
                target_type="webhook",
                target_id=webhook_id,
                details={"conversation_id": row.conversation_id, **changed},
            )
            fresh = await store.get_webhook(uow.conn, webhook_id)
        assert fresh is not None
        view = webhook_view(fresh)
        view["url"] = self.url(fresh.dialect, token) if token else None
        view["secret"] = secret
        return view

    async def do_revoke(self, user: AuthUser, webhook_id: int) -> None:
        """End the robot at once: its URL answers the vendor's bad-token error from now on, and
        the robot leaves the group (what it posted stays, under its name and badge)."""
        async with self.ctx.transaction() as uow:
            row, conversation = await self._access_hook(uow.conn, user, webhook_id)
            now = now_ms()
            await store.update_webhook(uow.conn, webhook_id, {"revoked_at": now, "updated_at": now})
            bot = await bots.get_bot(uow.conn, row.bot_user_id)
            assert bot is not None
            await bots.leave(uow, bot, row.conversation_id, by=user.id)
            await bots.deactivate(uow, bot)
            await audit.record(
                uow,
                organization_id=conversation.organization_id,
                actor_id=user.id,
                action="webhook.revoke",
                target_type="webhook",
                target_id=webhook_id,
                details={"conversation_id": row.conversation_id, "name": row.name},
            )
