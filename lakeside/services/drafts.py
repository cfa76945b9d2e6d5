"""Drafts: what a member has typed in a conversation and not sent, kept on the server so that it
follows them to their other devices (WeChat's "[草稿]").

One draft per member and conversation. A client saves the text with the time it was written (its
own clock, in milliseconds) and the last writer wins by that time: a save older than the stored
draft changes nothing and is answered with the stored one, so a device that was offline cannot
overwrite what was written since elsewhere. Clearing is saving empty text (the row stays, so that
a late, older save cannot bring the text back); a client clears the draft when it sends the
message. A time ahead of the server's clock is taken as the server's now, so a device whose clock
runs fast cannot make its draft unbeatable. The user's devices hear of each change
(``DraftUpdated``, to the user only). Only members have drafts in a conversation (404 otherwise,
as for every conversation endpoint), and leaving it drops the draft (the row belongs to the
membership).
"""

from __future__ import annotations

from typing import Any

from lakeside.domain import text
from lakeside.domain.events import to_users
from lakeside.domain.events.messaging import DraftUpdated
from lakeside.domain.tokens import now_ms
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import Conversations, draft_view
from lakeside.store import drafts as store


def draft_out(conversation_id: int, body: str, updated_at: int) -> dict[str, Any]:
    view = draft_view(conversation_id, body, updated_at)
    assert view is not None
    return view


class Drafts:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    async def get_draft(self, user: AuthUser, conversation_id: int) -> dict[str, Any]:
        """The caller's draft; empty text and ``updated_at`` 0 when there has never been one."""
        async with self.ctx.db.read() as conn:
            await self.conversations.access(conn, user.id, conversation_id)
            row = await store.get_draft(conn, user.id, conversation_id)
        return draft_out(conversation_id, row.body if row else "", row.updated_at if row else 0)

    async def do_save(
        self, user: AuthUser, conversation_id: int, body: str, updated_at: int | None
    ) -> dict[str, Any]:
        """Keep the draft if it is newer than the stored one; answer with the draft as stored.
        ``updated_at`` None: written now."""
        body = text.clean_draft(body, max_bytes=self.ctx.settings.max_message_bytes)
        now = now_ms()
        updated_at = now if updated_at is None else min(updated_at, now)
        async with self.ctx.transaction() as uow:
            await self.conversations.access(uow.conn, user.id, conversation_id)
            if await store.save_draft(uow.conn, user.id, conversation_id, body, updated_at):
                uow.emit(
                    DraftUpdated(conversation_id=conversation_id, updated_at=updated_at, text=body),
                    to_users(user.id),
                )
                return draft_out(conversation_id, body, updated_at)
            row = await store.get_draft(uow.conn, user.id, conversation_id)
        assert row is not None  # the save lost to a stored draft
        return draft_out(conversation_id, row.body, row.updated_at)
