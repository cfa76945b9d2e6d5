"""Posting to an incoming webhook's URL (the robots of services/webhooks.py).

The vendor endpoints (api/hooks.py) hand over the raw body and the request's facts; the checks run
in the order the vendors document — token, body size, IP allowlist, signature, parsing, keywords,
the rate limit (20 posts a minute per robot, shared by every dialect) — and a post is stored only
when every check passed, through the one send pipeline, as the robot. The answer is the vendor's
envelope (domain/dialects/*.answer): a refusal never raises past here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

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
from lakeside.services import bots
from lakeside.services.context import Context
from lakeside.services.limits import LimitExceeded
from lakeside.services.message_writer import MessageWriter
from lakeside.store import conversations as conversation_store
from lakeside.store import webhooks as store

DIALECT_MODULES: dict[str, Any] = {"dingtalk": dingtalk, "slack": slack, "wecom": wecom, "feishu": feishu}
MAX_ALSO_MENTIONED = 20


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


class WebhookDelivery:
    def __init__(self, ctx: Context, writer: MessageWriter) -> None:
        self.ctx = ctx
        self.writer = writer

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
