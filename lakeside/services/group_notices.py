"""The group notice (群公告): one notice per group, which every member acknowledges (确认).

The owner and admins set, change or clear it; each change is a new ``version``, and an
acknowledgement counts for the version it names, so a changed notice asks everyone again (the
one who wrote it has read it). A member's client shows the notice at the top of the chat until
they acknowledge it; the owner and admins see who has and who has not. Distinct from an
organization's announcements (services/announcements.py), which reach a whole organization.

Events: ``group_notice.updated`` / ``cleared`` to the group (a system message in the timeline
says who changed it), ``group_notice.acknowledged`` to the owner and admins and the member's own
devices only: nobody else learns who reads what.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain import text
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import GroupNoticeAcknowledged, GroupNoticeCleared, GroupNoticeUpdated
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, NotFound
from lakeside.services.accounts import AuthUser, public_user
from lakeside.services.context import Context
from lakeside.services.conversations import Conversations
from lakeside.services.timeline import append_system_message
from lakeside.store import groups as store

MAX_NOTICE_BYTES = 8192


def _no_notice() -> NotFound:
    return NotFound("This group has no notice.", code="NOTICE_NOT_FOUND")


def notice_view(row: Any) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "body": row.body,
        "version": row.version,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at,
    }


class GroupNotices:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    async def get_notice(self, user: AuthUser, conversation_id: int) -> dict[str, Any] | None:
        """The notice with ``acknowledged``: whether the caller has acknowledged this version (if not,
        the chat shows it); None when the group has none."""
        async with self.ctx.db.read() as conn:
            await self.conversations.access(conn, user.id, conversation_id)
            row = await store.get_notice(conn, conversation_id)
            if row is None:
                return None
            acked = await store.acked_version(conn, conversation_id, user.id)
        view = notice_view(row)
        view["acknowledged"] = acked == row.version
        return view

    async def do_set(self, user: AuthUser, conversation_id: int, body: str) -> dict[str, Any]:
        """Set or change the notice (owner and admins); every member is asked to acknowledge it."""
        body = text.clean_body(body, max_bytes=MAX_NOTICE_BYTES)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await self.conversations.access_managed(uow.conn, user.id, conversation_id, lock=True)
            current = await store.get_notice(uow.conn, conversation_id)
            if current is not None and current.body == body:
                return {**notice_view(current), "acknowledged": True}
            version = await store.put_notice(uow.conn, conversation_id, body, user.id, now)
            await store.acknowledge(uow.conn, conversation_id, user.id, version, now)
            row = await store.get_notice(uow.conn, conversation_id)
            assert row is not None
            uow.emit(GroupNoticeUpdated(**notice_view(row)), to_conversation(conversation_id))
            await append_system_message(
                uow, conversation_id, user.id, {"action": "notice_updated", "version": version}, now
            )
        return {**notice_view(row), "acknowledged": True}

    async def do_clear(self, user: AuthUser, conversation_id: int) -> None:
        """Remove the notice (owner and admins); clearing none changes nothing."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await self.conversations.access_managed(uow.conn, user.id, conversation_id, lock=True)
            if await store.delete_notice(uow.conn, conversation_id):
                uow.emit(
                    GroupNoticeCleared(conversation_id=conversation_id, by=user.id),
                    to_conversation(conversation_id),
                )
                await append_system_message(uow, conversation_id, user.id, {"action": "notice_cleared"}, now)

    async def do_acknowledge(self, user: AuthUser, conversation_id: int, version: int) -> dict[str, Any]:
        """确认: the caller has read ``version`` of the notice. A version that is not the current one
        is refused (409 ``NOTICE_CHANGED``, with the current version): the caller has not read it."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await self.conversations.access(uow.conn, user.id, conversation_id)
            row = await store.get_notice(uow.conn, conversation_id)
            if row is None:
                raise _no_notice()
            if row.version != version:
                raise Conflict(
                    "The notice has changed since; read it again.", code="NOTICE_CHANGED", version=row.version
                )
            if await store.acked_version(uow.conn, conversation_id, user.id) != version:
                await store.acknowledge(uow.conn, conversation_id, user.id, version, now)
                managers = await store.manager_ids(uow.conn, conversation_id)
                uow.emit(
                    GroupNoticeAcknowledged(user_id=user.id, version=version, acked_at=now),
                    to_conversation(conversation_id, only={user.id, *managers}),
                )
        return {**notice_view(row), "acknowledged": True}

    async def list_readers(self, user: AuthUser, conversation_id: int) -> dict[str, Any]:
        """Who has acknowledged the current notice and who has not (owner and admins)."""
        async with self.ctx.db.read() as conn:
            await self.conversations.access_managed(conn, user.id, conversation_id)
            row = await store.get_notice(conn, conversation_id)
            if row is None:
                raise _no_notice()
            members = await store.notice_readers(conn, conversation_id, row.version)
        acknowledged, pending = [], []
        for member in members:
            person = public_user(member)
            if member.acked_at is None:
                pending.append(person)
            else:
                acknowledged.append({"user": person, "acked_at": member.acked_at})
        acknowledged.sort(key=lambda entry: entry["acked_at"])
        return {"version": row.version, "acknowledged": acknowledged, "pending": pending}
