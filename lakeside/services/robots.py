"""Outgoing robots (DingTalk's 企业内部机器人 in outgoing mode): a robot in a group is called back
when a message @mentions it or contains one of its keywords, and what it answers is posted into
the group as the robot.

A group's owner or admin (or a server admin) adds one with a name, the robot's callback URL, its
triggers (@mention, keywords) and gets its AppSecret once. The robot is a bot of kind ``robot``
(services/bots.py) that joins the group as a member, so people @ it like anyone and its replies
go through the one send pipeline.

When a person's message in the group triggers it, the dispatcher (services/outbound.py) enqueues
DingTalk's outgoing payload (``callback_payload``: msgtype, text.content, msgId, createAt,
conversationType, conversationId, conversationTitle, senderId, senderNick, senderStaffId,
chatbotUserId, atUsers, isAdmin, isInAtList, sessionWebhook, sessionWebhookExpiredTime), and the
queue POSTs it with DingTalk's ``timestamp`` and ``sign`` headers, retrying as for every
delivery. A bot's message never triggers a robot (no loops between robots, nor a robot with
itself). The callback's answer, when it is a DingTalk message (domain/dialects/dingtalk.py), is
posted back as the robot; later replies go to the ``sessionWebhook``: a URL of this server,
signed, bound to the robot and the conversation, good for ``robot_session_minutes``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import orjson
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import outbound as rules
from lakeside.domain.dialects import DialectError, Post, dingtalk
from lakeside.domain.tokens import now_ms
from lakeside.errors import Forbidden, Invalid, LakesideError, NotFound
from lakeside.services import audit, bots, egress
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import MANAGERS
from lakeside.services.message_writer import MessageWriter
from lakeside.services.outbound import ROBOT, Outbound, delivery_row
from lakeside.store import conversations as conversation_store
from lakeside.store import events as event_store
from lakeside.store import files as file_store
from lakeside.store import messages as message_store
from lakeside.store import outbound as store

SESSION_PATH = "/robot/sendBySession"
TRIGGER_KINDS = ("text", "markdown")

# DingTalk's answers on the session webhook (its own envelope, HTTP 200).
OK = (0, "ok")
SESSION_INVALID = (300001, "session webhook is invalid or expired")
BAD_MESSAGE = (40035, "invalid message")
NOT_POSTED = (400013, "the message could not be posted")


def _not_found() -> NotFound:
    return NotFound("No such robot.", code="ROBOT_NOT_FOUND")


def robot_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "bot_user_id": row.bot_user_id,
        "name": row.name,
        "avatar_file_id": row.avatar_file_id,
        "callback_url": row.callback_url,
        "on_mention": bool(row.on_mention),
        "keywords": orjson.loads(row.keywords),
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "revoked_at": row.revoked_at,
    }


def new_secret() -> str:
    return "SEC" + secrets.token_hex(32)


class Robots:
    def __init__(self, ctx: Context, outbound: Outbound, writer: MessageWriter) -> None:
        self.ctx = ctx
        self.outbound = outbound
        self.writer = writer
        outbound.sources.append(self.deliveries_for)
        outbound.on_robot_reply = self.reply_from_callback

    # -- who may manage ------------------------------------------------------------------------

    async def _managed_group(self, conn: AsyncConnection, user: AuthUser, conversation_id: int) -> Row[Any]:
        """The group, once ``user`` may manage its robots: its owner and admins, server admins.
        Others: 404 when not a member, 403 ``NOT_GROUP_ADMIN`` when a plain member."""
        conversation = await conversation_store.get_conversation(conn, conversation_id)
        if conversation is None:
            raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
        if not user.is_admin:
            membership = await conversation_store.get_membership(conn, conversation_id, user.id)
            if membership is None:
                raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
            if membership.role not in MANAGERS:
                raise Forbidden(
                    "Only the group's owner and admins manage its robots.", code="NOT_GROUP_ADMIN"
                )
        if conversation.kind not in bots.GROUP_KINDS:
            raise Invalid("Robots live in groups, not in direct chats.", code="NOT_A_GROUP")
        return conversation

    async def _managed_robot(self, conn: AsyncConnection, user: AuthUser, robot_id: int) -> Row[Any]:
        robot = await store.get_robot(conn, robot_id)
        if robot is None:
            raise _not_found()
        try:
            await self._managed_group(conn, user, robot.conversation_id)
        except NotFound:
            raise _not_found() from None
        return robot

    @staticmethod
    async def _check_avatar(conn: AsyncConnection, user_id: int, file_id: str) -> None:
        """A robot's avatar is an image its maker uploaded (another's file is as one that is not)."""
        row = await file_store.get_file(conn, file_id)
        if row is None or row.owner_id != user_id:
            raise NotFound("No such file of yours.", code="FILE_NOT_FOUND")
        if row.width is None:
            raise Invalid("A robot's avatar is an image.", code="NOT_AN_IMAGE")

    def _check_url(self, url: str) -> str:
        url = egress.check_url(url)
        if not url.startswith("https://") and not self.ctx.settings.egress_allow_private:
            raise Invalid("The callback URL must use https://.", code="INVALID_URL")
        return url

    # -- management ----------------------------------------------------------------------------

    async def list_robots(self, user: AuthUser, conversation_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await self._managed_group(conn, user, conversation_id)
            return [robot_view(row) for row in await store.list_robots(conn, conversation_id)]

    async def get_robot(self, user: AuthUser, robot_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            return robot_view(await self._managed_robot(conn, user, robot_id))

    async def do_create(
        self,
        user: AuthUser,
        conversation_id: int,
        *,
        name: str,
        callback_url: str,
        on_mention: bool,
        keywords: list[str],
        avatar_file_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a robot to the group; the view, with its ``secret`` (shown this once)."""
        url = self._check_url(callback_url)
        words = rules.clean_keywords(keywords)
        if not on_mention and not words:
            raise Invalid("Choose @mention or at least one keyword.", code="NO_TRIGGER")
        secret = new_secret()
        now = now_ms()
        async with self.ctx.transaction() as uow:
            conversation = await self._managed_group(uow.conn, user, conversation_id)
            if avatar_file_id is not None:
                await self._check_avatar(uow.conn, user.id, avatar_file_id)
            since = await event_store.latest_id(uow.conn)
            bot = await bots.create_bot(
                uow,
                kind="robot",
                display_name=name,
                owner_id=user.id,
                organization_id=conversation.organization_id,
                avatar_file_id=avatar_file_id,
            )
            await bots.join(uow, bot, conversation_id, by=user.id)
            robot_id = await store.insert_robot(
                uow.conn,
                {
                    "conversation_id": conversation_id,
                    "bot_user_id": bot.user_id,
                    "callback_url": url,
                    "secret": secret,
                    "on_mention": on_mention,
                    "keywords": orjson.dumps(words).decode(),
                    "created_by": user.id,
                    "since_event_id": since,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await audit.record(
                uow,
                organization_id=conversation.organization_id,
                actor_id=user.id,
                action="robot.create",
                target_type="robot",
                target_id=robot_id,
                details={"conversation_id": conversation_id, "name": bot.display_name, "url": url},
            )
            row = await store.get_robot(uow.conn, robot_id)
        assert row is not None
        return {**robot_view(row), "secret": secret}

    async def do_update(
        self,
        user: AuthUser,
        robot_id: int,
        *,
        name: str | None = None,
        callback_url: str | None = None,
        on_mention: bool | None = None,
        keywords: list[str] | None = None,
        rotate_secret: bool = False,
    ) -> dict[str, Any]:
        """Change a robot; with ``rotate_secret`` a new AppSecret, returned this once."""
        url = self._check_url(callback_url) if callback_url is not None else None
        async with self.ctx.transaction() as uow:
            robot = await self._managed_robot(uow.conn, user, robot_id)
            if robot.revoked_at is not None:
                raise Invalid("The robot was revoked.", code="ROBOT_REVOKED")
            values: dict[str, Any] = {"updated_at": now_ms()}
            changed: dict[str, Any] = {}
            if url is not None:
                values["callback_url"] = changed["url"] = url
            if on_mention is not None:
                values["on_mention"] = changed["on_mention"] = on_mention
            if keywords is not None:
                values["keywords"] = orjson.dumps(rules.clean_keywords(keywords)).decode()
                changed["keywords"] = orjson.loads(values["keywords"])
            final_mention = on_mention if on_mention is not None else bool(robot.on_mention)
            final_words = orjson.loads(values.get("keywords", robot.keywords))
            if not final_mention and not final_words:
                raise Invalid("Choose @mention or at least one keyword.", code="NO_TRIGGER")
            secret = None
            if rotate_secret:
                secret = values["secret"] = new_secret()
                changed["secret"] = "rotated"
            if name is not None:
                bot = await bots.get_bot(uow.conn, robot.bot_user_id)
                assert bot is not None
                await bots.rename(uow, bot, name, robot.avatar_file_id)
                changed["name"] = name
            await store.update_robot(uow.conn, robot_id, values)
            await audit.record(
                uow,
                organization_id=robot.organization_id,
                actor_id=user.id,
                action="robot.update",
                target_type="robot",
                target_id=robot_id,
                details=changed,
            )
            row = await store.get_robot(uow.conn, robot_id)
        assert row is not None
        view = robot_view(row)
        if secret is not None:
            view["secret"] = secret
        return view

    async def do_revoke(self, user: AuthUser, robot_id: int) -> None:
        """The robot leaves the group and is called back no more; what it posted stays."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            robot = await self._managed_robot(uow.conn, user, robot_id)
            if robot.revoked_at is not None:
                return
            await store.update_robot(uow.conn, robot_id, {"revoked_at": now, "updated_at": now})
            bot = await bots.get_bot(uow.conn, robot.bot_user_id)
            assert bot is not None
            await bots.leave(uow, bot, robot.conversation_id, by=user.id)
            await bots.deactivate(uow, bot)
            await store.fail_pending(uow.conn, ROBOT, robot_id, "the robot was revoked", now)
            await audit.record(
                uow,
                organization_id=robot.organization_id,
                actor_id=user.id,
                action="robot.revoke",
                target_type="robot",
                target_id=robot_id,
                details={"conversation_id": robot.conversation_id, "name": robot.name},
            )

    async def delivery_log(self, user: AuthUser, robot_id: int, limit: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await self._managed_robot(conn, user, robot_id)
        return await self.outbound.delivery_log(ROBOT, robot_id, limit)

    # -- triggering (the dispatcher's source) -------------------------------------------------

    async def deliveries_for(
        self, conn: Any, rows: list[Row[Any]], now: int
    ) -> list[tuple[int, dict[str, Any]]]:
        created = [row for row in rows if row[1] == "message" and row[2] == "created" and row[3] is not None]
        if not created:
            return []
        robots_by_group: dict[int, list[Row[Any]]] = {}
        live = await store.live_robots_in(conn, {row[3] for row in created})
        members = await store.memberships(
            conn, [r.bot_user_id for r in live], [r.conversation_id for r in live]
        )
        for robot in live:  # a robot someone removed from the group is not called there
            if (robot.conversation_id, robot.bot_user_id) in members:
                robots_by_group.setdefault(robot.conversation_id, []).append(robot)
        if not robots_by_group:
            return []
        wanted = {orjson.loads(row[5])["message_id"]: row[0] for row in created if row[3] in robots_by_group}
        messages = await message_store.get_messages(conn, sorted(wanted))
        senders = await store.user_facts(conn, {m.sender_id for m in messages if m.sender_id is not None})
        out: list[tuple[int, dict[str, Any]]] = []
        for message in sorted(messages, key=lambda m: m.id):
            sender = senders.get(message.sender_id) if message.sender_id is not None else None
            if sender is None or sender.bot_kind is not None:  # a bot never triggers a robot
                continue
            if message.kind not in TRIGGER_KINDS or message.recalled_at is not None:
                continue
            mentions = orjson.loads(message.mentions) if message.mentions else []
            for robot in robots_by_group.get(message.conversation_id, []):
                if wanted[message.id] <= robot.since_event_id:
                    continue
                mentioned = robot.bot_user_id in mentions
                if not (
                    (robot.on_mention and mentioned)
                    or rules.keyword_hit(message.body, orjson.loads(robot.keywords))
                ):
                    continue
                body = await self.callback_payload(conn, robot, message, sender, mentions, now)
                out.append(
                    (
                        wanted[message.id],
                        delivery_row(
                            owner_kind=ROBOT,
                            owner_id=robot.id,
                            key=f"msg_{message.id}",
                            event_type="message.created",
                            url=robot.callback_url,
                            body=body,
                            now=now,
                        ),
                    )
                )
        return out

    def session_webhook(self, robot_id: int, conversation_id: int, now: int) -> tuple[str, int]:
        expires = now + int(self.ctx.settings.robot_session_minutes * 60_000)
        token = rules.session_token(self.ctx.settings.ensure_secret(), robot_id, conversation_id, expires)
        return f"{self.ctx.settings.public_url.rstrip('/')}{SESSION_PATH}?session={token}", expires

    async def callback_payload(
        self, conn: Any, robot: Row[Any], message: Row[Any], sender: Row[Any], mentions: list[int], now: int
    ) -> bytes:
        """DingTalk's outgoing-robot payload for a message that triggered ``robot``."""
        people = await store.user_facts(conn, mentions)
        roles = await store.roles_in(conn, message.conversation_id, [sender.id])
        content = message.body
        for name in (robot.name,):
            content = re.sub(r"[@＠]" + re.escape(name), "", content)
        webhook, expires = self.session_webhook(robot.id, message.conversation_id, now)
        payload = {
            "msgtype": "text",
            "text": {"content": content.strip()},
            "msgId": str(message.id),
            "createAt": message.created_at,
            "conversationType": "2",
            "conversationId": str(message.conversation_id),
            "conversationTitle": robot.conversation_title or "",
            "senderId": str(sender.id),
            "senderNick": sender.display_name,
            "senderStaffId": sender.username,
            "chatbotUserId": str(robot.bot_user_id),
            "robotCode": str(robot.id),
            "atUsers": [
                {"dingtalkId": str(uid), "staffId": people[uid].username} for uid in mentions if uid in people
            ],
            "isAdmin": roles.get(sender.id) in MANAGERS,
            "isInAtList": robot.bot_user_id in mentions,
            "sessionWebhook": webhook,
            "sessionWebhookExpiredTime": expires,
        }
        return orjson.dumps(payload)

    # -- replies -------------------------------------------------------------------------------

    async def reply_from_callback(self, robot: Row[Any], delivery: Row[Any], body: bytes) -> str:
        """Post the callback's answer, when it is a DingTalk message; a note for the delivery log."""
        if not body.strip():
            return ""
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return "the answer is not JSON: nothing posted"
        if not isinstance(payload, dict) or "msgtype" not in payload:
            return ""  # an acknowledgement without a message
        _, problem = await self.post_reply(
            robot, robot.conversation_id, payload, f"robot-reply-{delivery.id}"
        )
        return f"reply not posted: {problem}" if problem else ""

    async def post_reply(
        self, robot: Row[Any], conversation_id: int, payload: Any, client_msg_id: str
    ) -> tuple[int | None, str | None]:
        """Post a DingTalk message as the robot: (message id, None), or (None, what went wrong)."""
        try:
            post = dingtalk.translate(payload)
        except DialectError as exc:
            return None, exc.message
        async with self.ctx.db.read() as conn:
            bot = await bots.get_bot(conn, robot.bot_user_id)
            mention_ids = await self._mentioned(conn, conversation_id, post)
        if bot is None or not bot.is_active:
            return None, "the robot was revoked"
        limit = self.ctx.settings.max_message_bytes
        try:
            if post.kind == "card":
                draft = bots.card_draft(
                    bot,
                    conversation_id,
                    client_msg_id,
                    post.card or {},
                    mention_ids=mention_ids,
                    everyone=post.at_all,
                    max_bytes=limit,
                )
            else:
                draft = bots.text_draft(
                    bot,
                    conversation_id,
                    client_msg_id,
                    post.text,
                    markdown=post.kind == "markdown",
                    mention_ids=mention_ids,
                    everyone=post.at_all,
                    max_bytes=limit,
                )
            result = await bots.post(self.writer, draft)
        except LakesideError as exc:
            return None, exc.message
        return int(result.message["id"]), None

    @staticmethod
    async def _mentioned(conn: AsyncConnection, conversation_id: int, post: Post) -> tuple[int, ...]:
        usernames = [v for v in post.at_user_ids if not v.isdigit()]
        ids = [int(v) for v in post.at_user_ids if v.isdigit() and len(v) < 19]
        found = await store.members_matching(
            conn, conversation_id, usernames=usernames, ids=ids, phones=list(post.at_mobiles)
        )
        return tuple(found)

    async def send_by_session(self, token: str, payload: Any) -> tuple[int, str]:
        """The session webhook: post a DingTalk message as the robot the token names, in its
        conversation, while the token is good. DingTalk's (errcode, errmsg)."""
        read = rules.read_session_token(self.ctx.settings.ensure_secret(), token)
        if read is None:
            return SESSION_INVALID
        robot_id, conversation_id, expires_at = read
        if expires_at < now_ms():
            return SESSION_INVALID
        async with self.ctx.db.read() as conn:
            robot = await store.get_robot(conn, robot_id)
        if robot is None or robot.revoked_at is not None or robot.conversation_id != conversation_id:
            return SESSION_INVALID
        message_id, problem = await self.post_reply(
            robot, conversation_id, payload, f"robot-session-{secrets.token_hex(8)}"
        )
        if problem is not None:
            return BAD_MESSAGE[0], problem
        del message_id
        return OK
