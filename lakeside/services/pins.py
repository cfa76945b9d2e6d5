"""Pinned messages (置顶消息): a few messages a conversation keeps at the top of the chat.

In a group the owner and admins pin and unpin; in a direct chat either person does. Every member
sees the list; a pin or an unpin reaches the conversation live (``message_pin.added`` /
``removed``, which name the message: the list is read again, so a recalled message's content is
never carried by an event). A recall unpins the message in the same transaction
(``Messages.do_recall``).
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import MessagePinned, MessageUnpinned
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import MANAGERS, Conversations
from lakeside.services.timeline import render_messages
from lakeside.store import groups as store
from lakeside.store import messages as message_store

MAX_PINS = 10
PINNABLE_KINDS = ("text", "markdown", "image", "file")


class Pins:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    async def list_pins(self, user: AuthUser, conversation_id: int) -> list[dict[str, Any]]:
        """The pinned messages, newest pin first: ``{message, pinned_by, pinned_at}``."""
        async with self.ctx.db.read() as conn:
            await self.conversations.access(conn, user.id, conversation_id)
            rows = await store.list_pins(conn, conversation_id)
            views = await render_messages(conn, rows)
        return [
            {"message": view, "pinned_by": row.pinned_by, "pinned_at": row.pinned_at}
            for row, view in zip(rows, views, strict=True)
        ]

    async def do_pin(self, user: AuthUser, conversation_id: int, message_id: int) -> dict[str, Any]:
        """Pin a message of the conversation (pinning it again changes nothing)."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            message = await self._access_pinning(uow.conn, user.id, conversation_id, message_id, lock=True)
            if message.recalled_at is not None:
                raise Invalid("A recalled message cannot be pinned.", code="MESSAGE_RECALLED")
            if message.kind not in PINNABLE_KINDS:
                raise Invalid("Only text, markdown, images and files can be pinned.", code="NOT_PINNABLE")
            if not await store.is_pinned(uow.conn, conversation_id, message_id):
                if await store.count_pins(uow.conn, conversation_id) >= MAX_PINS:
                    raise Conflict(
                        f"A conversation keeps at most {MAX_PINS} pinned messages; unpin one first.",
                        code="TOO_MANY_PINS",
                        limit=MAX_PINS,
                    )
                await store.add_pin(uow.conn, conversation_id, message_id, user.id, now)
                uow.emit(
                    MessagePinned(message_id=message_id, seq=message.seq, pinned_by=user.id, pinned_at=now),
                    to_conversation(conversation_id),
                )
        pins = await self.list_pins(user, conversation_id)
        return next(pin for pin in pins if pin["message"]["id"] == message_id)

    async def do_unpin(self, user: AuthUser, conversation_id: int, message_id: int) -> None:
        """Unpin a message of the conversation (one that is not pinned stays so)."""
        async with self.ctx.transaction() as uow:
            await self._access_pinning(uow.conn, user.id, conversation_id, message_id, lock=True)
            if await store.remove_pin(uow.conn, conversation_id, message_id):
                uow.emit(MessageUnpinned(message_id=message_id, by=user.id), to_conversation(conversation_id))

    async def _access_pinning(
        self, conn: Any, user_id: int, conversation_id: int, message_id: int, *, lock: bool
    ) -> Any:
        """The message, once the caller may pin in the conversation and the message is in it."""
        conversation, membership = await self.conversations.access(conn, user_id, conversation_id, lock=lock)
        if conversation.kind != "direct" and membership.role not in MANAGERS:
            raise Forbidden("Only the owner and admins may pin messages in a group.", code="NOT_GROUP_ADMIN")
        message = await message_store.get_message(conn, message_id)
        if message is None or message.conversation_id != conversation_id:
            raise NotFound("No such message in this conversation.", code="MESSAGE_NOT_FOUND")
        return message
