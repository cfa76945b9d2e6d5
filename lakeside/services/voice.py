"""Voice messages' played state: the red dot beside a voice message until its listener plays it.

Sending a voice message is a send like any other (``Messages.check_send`` validates the kind: an
audio upload, 1 to 60 seconds). What is the listener's own is whether they have played it: kept
per listener (``voice_plays``), shown in their history (``played``), and told to their other
devices only (``message.played``), so that nobody learns who listened to what.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import to_users
from lakeside.domain.events.messaging import VoicePlayed
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid
from lakeside.services.accounts import AuthUser
from lakeside.services.messages import Messages
from lakeside.store import forwards as store


class Voice:
    def __init__(self, messages: Messages) -> None:
        self.messages = messages  # the access rule of messages
        self.ctx = messages.ctx

    async def do_mark_played(self, user: AuthUser, message_id: int) -> dict[str, Any]:
        """Mark a voice message played by the caller; playing it again changes nothing."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row, _, _ = await self.messages.access_message(uow.conn, user.id, message_id)
            if row.kind != "voice":
                raise Invalid("Only voice messages are played.", code="NOT_VOICE")
            if row.recalled_at is not None:
                raise Invalid("The message was recalled.", code="MESSAGE_RECALLED")
            if row.sender_id != user.id and await store.mark_played(uow.conn, message_id, user.id, now):
                uow.emit(
                    VoicePlayed(message_id=message_id, conversation_id=row.conversation_id, played_at=now),
                    to_users(user.id),
                )
        return {"message_id": message_id, "played": True}
