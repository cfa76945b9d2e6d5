"""Mute (禁言): the owner and admins of a group stop everyone (全员禁言) or one member from sending.

Mute-all never silences the owner or the admins. A member is muted for a while (one minute to 30
days) or until lifted; the owner may mute anyone but themself, an admin plain members only (as
with removing). The send path refuses a muted member's messages (and edits) with 403 ``MUTED``,
saying until when (domain/mutes.py); the rule is checked by the message writer for a whole batch
in the query that reads the senders' memberships. Changes reach the group live
(``conversation.mute_all``, ``member.muted``, ``member.unmuted``); a mute that runs out ends by
itself, with no event (clients know ``until``). Turning mute-all on or off leaves a system
message in the timeline.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain import mutes
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import MemberMuted, MemberUnmuted, MuteAllChanged
from lakeside.domain.tokens import now_ms
from lakeside.errors import Forbidden, Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.conversations import Conversations
from lakeside.services.timeline import append_system_message
from lakeside.store import conversations as store


class Mutes:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    async def do_mute_all(self, user: AuthUser, conversation_id: int, enabled: bool) -> dict[str, Any]:
        """Turn 全员禁言 on or off (owner and admins); the conversation as the caller sees it."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            conversation, _ = await self.conversations.access_managed(
                uow.conn, user.id, conversation_id, lock=True
            )
            if bool(conversation.mute_all) != enabled:
                await store.update_conversation(
                    uow.conn, conversation_id, {"mute_all": enabled, "updated_at": now}
                )
                uow.emit(MuteAllChanged(mute_all=enabled, by=user.id), to_conversation(conversation_id))
                action = "mute_all_on" if enabled else "mute_all_off"
                await append_system_message(uow, conversation_id, user.id, {"action": action}, now)
        return await self.conversations.get_conversation(user, conversation_id)

    async def do_mute_member(
        self, user: AuthUser, conversation_id: int, target_id: int, duration_seconds: int | None
    ) -> dict[str, Any]:
        """Mute a member for ``duration_seconds`` (None: until lifted); ``{user_id, until}``."""
        if duration_seconds is not None and not mutes.MIN_SECONDS <= duration_seconds <= mutes.MAX_SECONDS:
            raise Invalid(
                f"A mute lasts {mutes.MIN_SECONDS} seconds to {mutes.MAX_SECONDS // 86_400} days, "
                "or until lifted.",
                code="INVALID_DURATION",
            )
        now = now_ms()
        until = mutes.FOREVER if duration_seconds is None else now + duration_seconds * 1000
        async with self.ctx.transaction() as uow:
            await self._target(uow.conn, user.id, conversation_id, target_id)
            await store.update_member_settings(uow.conn, conversation_id, target_id, {"mute_until": until})
            public = mutes.public_until(until)
            uow.emit(
                MemberMuted(user_id=target_id, until=public, by=user.id), to_conversation(conversation_id)
            )
        return {"user_id": target_id, "until": public}

    async def do_unmute_member(self, user: AuthUser, conversation_id: int, target_id: int) -> None:
        """Lift a member's mute (one not muted stays so, with no event)."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            target = await self._target(uow.conn, user.id, conversation_id, target_id)
            if target.mute_until is not None:
                await store.update_member_settings(uow.conn, conversation_id, target_id, {"mute_until": None})
                if mutes.active_until(target.mute_until, now) is not None:
                    uow.emit(MemberUnmuted(user_id=target_id, by=user.id), to_conversation(conversation_id))

    async def _target(self, conn: Any, user_id: int, conversation_id: int, target_id: int) -> Any:
        """The membership to mute or unmute, once the caller may: the owner anyone but themself,
        an admin plain members."""
        _, membership = await self.conversations.access_managed(conn, user_id, conversation_id, lock=True)
        target = await store.get_membership(conn, conversation_id, target_id)
        if target is None:
            raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
        if target_id == user_id:
            raise Invalid("You cannot mute yourself.", code="CANNOT_MUTE_SELF")
        if target.role == "owner" or (target.role == "admin" and membership.role != "owner"):
            raise Forbidden("You may not mute this member.", code="NOT_GROUP_ADMIN")
        return target
