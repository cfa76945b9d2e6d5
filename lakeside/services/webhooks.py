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

Delivering (``deliver``): the vendor endpoints hand over the raw body and the request's facts; the
checks run in the order the vendors document — token, body size, IP allowlist, signature,
parsing, keywords, the rate limit (20 posts a minute per robot, shared by every dialect) — and a
post is stored only when every check passed. The answer is the vendor's envelope
(domain/dialects/*.answer).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import webhooks as rules
from lakeside.domain.dialects import (
    Answer,
    DialectError,
    Post,
    dingtalk,
    feishu,
    has_unstorable,
    slack,
    wecom,
)
from lakeside.domain.tokens import now_ms, token_hash
from lakeside.errors import Forbidden, Invalid, LakesideError, NotFound
from lakeside.services import audit, bots
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import MANAGERS, Conversations
from lakeside.services.limits import LimitExceeded
from lakeside.services.message_writer import MessageWriter
from lakeside.store import conversations as conversation_store
from lakeside.store import files as file_store
from lakeside.store import webhooks as store

DIALECT_MODULES: dict[str, Any] = {"dingtalk": dingtalk, "slack": slack, "wecom": wecom, "feishu": feishu}
MAX_ALSO_MENTIONED = 20


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


@dataclass
class Delivery:
    """What a vendor endpoint received: the token, the raw body (``None`` when it was over the
    dialect's limit), the caller's address and, for DingTalk, the signature's query parameters."""

    dialect: str
    token: str
    body: bytes | None
    address: str
    content_type: str = ""
    timestamp: str = ""
    sign: str = ""


class Webhooks:
    def __init__(self, ctx: Context, conversations: Conversations, writer: MessageWriter) -> None:
        self.ctx = ctx
        self.conversations = conversations
        self.writer = writer

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

    # -- delivery ---------------------------------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> Answer:
        module = DIALECT_MODULES[delivery.dialect]
        try:
            await self._deliver(delivery)
        except _Refusal as refusal:
            if delivery.dialect == "slack":
                return slack.answer(refusal.reason, refusal.detail, retry_after=refusal.retry_after)
            return module.answer(refusal.reason, refusal.detail)  # type: ignore[no-any-return]
        return module.answer("ok")  # type: ignore[no-any-return]

    async def _deliver(self, delivery: Delivery) -> None:
        dialect = delivery.dialect
        if not delivery.token:
            raise _Refusal("no_token" if dialect == "dingtalk" else "bad_token")
        if len(delivery.token) > 128 or has_unstorable(delivery.token):
            raise _Refusal("bad_token")
        async with self.ctx.db.read() as conn:
            row = await store.by_token(conn, dialect, token_hash(delivery.token))
        if row is None or not row.bot_active:
            raise _Refusal("bad_token")
        if delivery.body is None:
            raise _Refusal("too_large")
        allowlist = orjson.loads(row.ip_allowlist)
        if not rules.address_allowed(delivery.address, allowlist):
            raise _Refusal("ip", delivery.address)
        if row.secret is not None and dialect == "dingtalk":
            failed = rules.check_dingtalk(row.secret, delivery.timestamp, delivery.sign, now_ms())
            if failed:
                raise _Refusal(failed)
        payload = self._parse(delivery)
        if has_unstorable(payload):
            raise _Refusal("invalid_payload", "NUL characters or lone surrogates")
        if row.secret is not None and dialect == "feishu":
            stamp = payload.get("timestamp") if isinstance(payload, dict) else None
            sign = payload.get("sign") if isinstance(payload, dict) else None
            failed = rules.check_feishu(
                row.secret,
                str(stamp) if isinstance(stamp, str | int) else "",
                sign if isinstance(sign, str) else "",
                now_ms(),
            )
            if failed:
                raise _Refusal(failed)
        try:
            post: Post = DIALECT_MODULES[dialect].translate(payload)
        except DialectError as exc:
            raise _Refusal(exc.reason, exc.message) from None
        if not rules.has_keyword(post.words, orjson.loads(row.keywords)):
            raise _Refusal("keywords")
        if post.channel:
            await self._check_channel(row.conversation_id, post.channel)
        await self._post(row, post, delivery.address)

    @staticmethod
    def _parse(delivery: Delivery) -> Any:
        body = delivery.body or b""
        if delivery.dialect == "slack" and "application/x-www-form-urlencoded" in delivery.content_type:
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                raise _Refusal("bad_json") from None
            if "payload" not in form:
                raise _Refusal("bad_json")
            body = form["payload"][0].encode()
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Refusal("bad_json") from None

    async def _check_channel(self, conversation_id: int, channel: str) -> None:
        """A Slack/Mattermost ``channel`` override may name only the robot's own conversation (by
        its title or id, with or without ``#``)."""
        wanted = channel.lstrip("#@").strip().lower()
        async with self.ctx.db.read() as conn:
            conversation = await conversation_store.get_conversation(conn, conversation_id)
        if conversation is None:
            raise _Refusal("bad_token")
        names = {str(conversation_id), (conversation.title or "").strip().lower()}
        if wanted not in names:
            raise _Refusal("channel_not_found")

    async def _post(self, row: Any, post: Post, address: str) -> None:
        bot = bots.Bot(
            user_id=row.bot_user_id,
            kind="webhook",
            username="",
            display_name=row.name,
            avatar_file_id=row.avatar_file_id,
            owner_id=row.created_by,
            organization_id=None,
            description="",
            is_active=True,
            created_at=row.created_at,
        )
        limit = self.ctx.settings.max_message_bytes
        mention_ids, named = await self._mentions(row.conversation_id, post)
        everyone = post.at_all and row.may_mention_all
        client_id = "hook-" + secrets.token_hex(12)
        try:
            if post.kind == "card":
                card = dict(post.card or {})
                missing = [f"@{name}" for name in named if f"@{name}" not in orjson.dumps(card).decode()]
                if missing:
                    card["blocks"] = [
                        *card.get("blocks", []),
                        {"type": "markdown", "text": " ".join(missing)},
                    ]
                draft = bots.card_draft(
                    bot,
                    row.conversation_id,
                    client_id,
                    card,
                    mention_ids=mention_ids,
                    everyone=everyone,
                    max_bytes=limit,
                )
            else:
                text = self._named_in_text(post, named)
                draft = bots.text_draft(
                    bot,
                    row.conversation_id,
                    client_id,
                    text,
                    markdown=post.kind == "markdown",
                    mention_ids=mention_ids,
                    everyone=everyone,
                    max_bytes=limit,
                )
        except Invalid as exc:
            reason = (
                "too_large" if exc.code in ("MESSAGE_TOO_LONG", "MESSAGE_TOO_LARGE") else "invalid_payload"
            )
            raise _Refusal(reason, exc.message) from None
        try:
            await self.ctx.limits.take("webhooks", user_id=row.bot_user_id, address=address)
        except LimitExceeded as exc:
            raise _Refusal("throttled", retry_after=exc.retry_after or 60) from None
        try:
            await bots.post(self.writer, draft)
        except NotFound:
            raise _Refusal("bad_token") from None  # the robot was taken out of the group
        except (Forbidden, LakesideError) as exc:
            raise _Refusal("refused", exc.message) from None
        async with self.ctx.transaction() as uow:
            await store.update_webhook(uow.conn, row.id, {"last_used_at": now_ms()})

    async def _mentions(self, conversation_id: int, post: Post) -> tuple[tuple[int, ...], dict[str, str]]:
        """The members the post @s by mobile (a verified phone number) or user id (a username or
        numeric id): their ids, and {what the post wrote: display name}."""
        mobiles = list(post.at_mobiles[:MAX_ALSO_MENTIONED])
        logins = list(post.at_user_ids[:MAX_ALSO_MENTIONED])
        if not mobiles and not logins:
            return (), {}
        named: dict[str, str] = {}
        ids: list[int] = []
        async with self.ctx.db.read() as conn:
            # DingTalk's and WeCom's mobiles are written without the country code; a phone
            # number stored with +86 is the same number.
            variants = {m: {m, f"+86{m}", f"+{m}"} for m in mobiles}
            wanted = sorted({v for vs in variants.values() for v in vs})
            for person in await store.members_by_phone(conn, conversation_id, wanted):
                for written, forms in variants.items():
                    if person.phone in forms:
                        named[written] = person.display_name
                ids.append(person.id)
            numeric = [int(v) for v in logins if v.isdigit() and len(v) < 19]
            usernames = [v.lower() for v in logins if not v.isdigit()]
            for person in await store.members_by_login(conn, conversation_id, usernames, numeric):
                for written in logins:
                    if written.lower() == person.username or written == str(person.id):
                        named[written] = person.display_name
                ids.append(person.id)
        return tuple(dict.fromkeys(ids)), named

    @staticmethod
    def _named_in_text(post: Post, named: dict[str, str]) -> str:
        """The text with each ``@mobile`` / ``@userid`` the post wrote shown as ``@显示名`` (as
        DingTalk shows it), and those it did not write appended, so every mention is visible."""
        text = post.text
        shown: list[str] = []
        for written, name in named.items():
            if f"@{written}" in text:
                text = text.replace(f"@{written}", f"@{name}")
            if f"@{name}" not in text and name not in shown:
                shown.append(name)
        if shown:
            text = text.rstrip() + "\n" + " ".join(f"@{name}" for name in shown)
        return text


class _Refusal(Exception):
    def __init__(self, reason: str, detail: str = "", *, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after
