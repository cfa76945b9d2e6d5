"""Read receipts (已读/未读), as in DingTalk: the sender of a message sees how many have not read
it, live, and may open who has and who has not. Computed from read cursors, so the cost does not
depend on how many messages the conversation holds. Only the sender sees a message's receipts;
a reader's cursor moves are told only to the senders of the messages read (and the reader's own
devices).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.errors import Forbidden, NotFound
from lakeside.services.accounts import AuthUser, public_user
from lakeside.services.context import Context
from lakeside.services.conversations import Conversations
from lakeside.store import messages as message_store
from lakeside.store import receipts as store

LIST_LIMIT = 500


def unread_among(sorted_cursors: list[int], seq: int) -> int:
    """How many of the cursors have not reached ``seq``."""
    return bisect_left(sorted_cursors, seq)


async def unread_counts(conn: AsyncConnection, user_id: int, views: list[dict[str, Any]]) -> None:
    """Set ``unread_count`` on the caller's own messages in ``views`` (None on others): one read
    of the other members' cursors per conversation, then a binary search per message."""
    by_conversation: dict[int, list[int]] = {}
    hidden = await store.receipts_hidden(
        conn, {v["conversation_id"] for v in views if v["sender_id"] == user_id}
    )
    for view in views:
        view["unread_count"] = None
        if view["conversation_id"] in hidden:
            continue  # the organization turned read receipts off
        if view["sender_id"] == user_id and not view["recalled"] and view["kind"] != "system":
            conversation_id = view["conversation_id"]
            if conversation_id not in by_conversation:
                by_conversation[conversation_id] = await store.cursors(conn, conversation_id, user_id)
            view["unread_count"] = unread_among(by_conversation[conversation_id], view["seq"])


class Receipts:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    async def get_receipts(self, user: AuthUser, message_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            message = await message_store.get_message(conn, message_id)
            if message is None:
                raise NotFound("No such message.", code="MESSAGE_NOT_FOUND")
            try:
                await self.conversations.access(conn, user.id, message.conversation_id)
            except NotFound:
                raise NotFound("No such message.", code="MESSAGE_NOT_FOUND") from None
            if message.sender_id != user.id:
                # Like a message that is not there: receipts are the sender's alone.
                raise NotFound("Receipts are visible to the sender only.", code="RECEIPTS_NOT_VISIBLE")
            if await store.receipts_hidden(conn, {message.conversation_id}):
                raise Forbidden("This organization has turned read receipts off.", code="RECEIPTS_DISABLED")
            read, unread = await store.count_read(conn, message.conversation_id, message.seq, user.id)
            have = await store.readers(
                conn, message.conversation_id, message.seq, user.id, have_read=True, limit=LIST_LIMIT
            )
            have_not = await store.readers(
                conn, message.conversation_id, message.seq, user.id, have_read=False, limit=LIST_LIMIT
            )
        return {
            "message_id": message_id,
            "read_count": read,
            "unread_count": unread,
            "read": [public_user(row) for row in have],
            "unread": [public_user(row) for row in have_not],
        }
