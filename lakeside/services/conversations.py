"""Conversations: direct chats (one per pair) and groups, their members, roles and settings.

A direct chat opens between friends; strangers reach each other through a friend request, and a
block on either side closes the way. A group has one owner, any number of admins, and members up
to a cap. Membership changes leave a system message in the conversation, so that everyone sees
who joined or left in the timeline, as in WeChat and DingTalk.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.config import Settings
from lakeside.domain import mutes, text
from lakeside.domain.events import to_conversation, to_users
from lakeside.domain.events.messaging import (
    ConversationCreated,
    ConversationRemoved,
    ConversationSettingsChanged,
    ConversationUpdated,
    MemberRemoved,
    MemberRoleChanged,
    MembersAdded,
)
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services.accounts import AuthUser, public_user
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.timeline import append_system_message, preview
from lakeside.store import conversations as store
from lakeside.store import files as file_store
from lakeside.store import friends as social
from lakeside.store import organizations as org_store
from lakeside.store import users as user_store
from lakeside.store.engine import UniqueViolation

ROLES = ("owner", "admin", "member")
MANAGERS = ("owner", "admin")
ORG_GROUP_KINDS = ("org_all", "department")  # an organization's groups (services/org_groups.py)


def _not_found() -> NotFound:
    return NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")


def message_windows(
    settings: Settings, organization_id: int | None, recall: int | None, edit: int | None
) -> tuple[int, int]:
    """(recall, edit) windows in seconds of a conversation: WeChat's two minutes to recall in
    social chats; in an organization's conversations DingTalk's 24 hours, or what the
    organization set (``recall`` and ``edit``, None for the server's default)."""
    if not organization_id:
        return settings.recall_window_social_seconds, settings.edit_window_seconds
    return (
        settings.recall_window_org_seconds if recall is None else recall,
        settings.edit_window_seconds if edit is None else edit,
    )


def not_friends(other_id: int) -> Forbidden:
    """Refusal of a direct message (or chat) to someone who is neither a friend nor a colleague."""
    return Forbidden(
        "You can only message friends and colleagues directly; send a friend request first.",
        code="NOT_FRIENDS",
        user_id=other_id,
    )


def mute_view(mute_until: int | None, now: int) -> dict[str, int | None] | None:
    """A member's mute as clients see it: ``{"until": ms or null for until lifted}``, or None."""
    until = mutes.active_until(mute_until, now)
    return None if until is None else {"until": mutes.public_until(until)}


def conversation_summary(row: Row[Any]) -> dict[str, Any]:
    """What every member may know of a conversation, the same for all of them."""
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "avatar_url": f"/api/v1/files/{row.avatar_file_id}" if row.avatar_file_id else None,
        "member_count": row.member_count,
        "member_cap": row.member_cap,
        "last_seq": row.last_seq,
        "last_activity_at": row.last_activity_at,
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


def draft_view(conversation_id: int, body: str | None, updated_at: int | None) -> dict[str, Any] | None:
    """The caller's draft in a conversation (``text`` empty once cleared), or None: never one."""
    if updated_at is None:
        return None
    return {"conversation_id": conversation_id, "text": body or "", "updated_at": updated_at}


class Conversations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- access -----------------------------------------------------------------------------

    async def access(
        self, conn: AsyncConnection, user_id: int, conversation_id: int, *, lock: bool = False
    ) -> tuple[Row[Any], Row[Any]]:
        """The conversation and the caller's membership; 404 for non-members, as for nothing.

        ``lock`` holds the conversation's row until the transaction ends, and reads the
        membership only after that: changes to members, roles and the member count then follow
        one another, so caps, ownership and "members only" hold under concurrency.
        """
        conversation = await store.get_conversation(conn, conversation_id, for_update=lock)
        if conversation is None:
            raise _not_found()
        membership = await store.get_membership(conn, conversation_id, user_id)
        if membership is None:
            raise _not_found()
        return conversation, membership

    async def access_managed(
        self, conn: AsyncConnection, user_id: int, conversation_id: int, *, lock: bool = False
    ) -> tuple[Row[Any], Row[Any]]:
        """``access``, for what only a group's owner and admins do (its notice, mute, invite link):
        404 for non-members, ``NOT_A_GROUP`` for a direct chat, 403 ``NOT_GROUP_ADMIN`` for members."""
        conversation, membership = await self.access(conn, user_id, conversation_id, lock=lock)
        if conversation.kind == "direct":
            raise Invalid("Only groups have this.", code="NOT_A_GROUP")
        if membership.role not in MANAGERS:
            raise Forbidden("Only the owner and admins may do this.", code="NOT_GROUP_ADMIN")
        return conversation, membership

    async def check_can_talk(self, conn: AsyncConnection, user_id: int, other_id: int) -> None:
        """Whether ``user_id`` may open a direct chat with ``other_id`` or add them to a group."""
        if await social.blocked_between(conn, user_id, other_id):
            raise Forbidden("You cannot message this person.", code="BLOCKED", user_id=other_id)
        # Friends, and colleagues (users sharing an organization), as in DingTalk.
        if not await social.are_friends(conn, user_id, other_id) and not await org_store.share_organization(
            conn, user_id, other_id
        ):
            raise not_friends(other_id)

    # -- reading ----------------------------------------------------------------------------

    async def get_conversation(self, user: AuthUser, conversation_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await self.access(conn, user.id, conversation_id)
            views = await self.views_of(conn, user.id, [conversation_id])
        return views[0]

    async def list_conversations(
        self, user: AuthUser, *, limit: int, before: tuple[int, int] | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        async with self.ctx.db.read() as conn:
            rows = await store.list_for_user(conn, user.id, limit=limit + 1, before=before)
            more = len(rows) > limit
            rows = rows[:limit]
            views = await self._render(conn, user.id, rows)
        cursor = f"{rows[-1].last_activity_at}.{rows[-1].id}" if more and rows else None
        return views, cursor

    async def views_of(self, conn: AsyncConnection, user_id: int, ids: list[int]) -> list[dict[str, Any]]:
        """The user's views of these conversations of theirs (as the list shows them), most
        recent activity first."""
        if not ids:
            return []
        rows = await store.list_for_user(conn, user_id, limit=len(ids), before=None, only=ids)
        return await self._render(conn, user_id, rows)

    async def _render(
        self, conn: AsyncConnection, user_id: int, rows: list[Row[Any]]
    ) -> list[dict[str, Any]]:
        peers = await store.direct_peers(conn, [r.id for r in rows if r.kind == "direct"], user_id)
        now = now_ms()
        views = []
        for row in rows:
            view = conversation_summary(row)
            peer = peers.get(row.id)
            recall, edit = message_windows(
                self.ctx.settings,
                row.organization_id,
                row.org_recall_window_seconds,
                row.org_edit_window_seconds,
            )
            view.update(
                role=row.role,
                read_seq=row.read_seq,
                unread=max(0, row.last_seq - row.read_seq),
                pinned=row.pinned,
                muted=row.muted,
                mute_all=row.mute_all,
                my_mute=mute_view(row.mute_until, now),
                join_approval=row.join_approval,
                peer=public_user(peer) if peer is not None else None,
                # In a direct chat: how far the other person has read (read / unread ticks).
                peer_read_seq=peer.read_seq if peer is not None else None,
                last_message=preview(row) if row.last_id is not None else None,
                draft=draft_view(row.id, row.draft_body, row.draft_updated_at),
                # So that a client offers recall and edit only while the server would allow them.
                recall_window_seconds=recall,
                edit_window_seconds=edit,
            )
            views.append(view)
        return views

    async def list_members(
        self, user: AuthUser, conversation_id: int, *, after_user_id: int, limit: int
    ) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await self.access(conn, user.id, conversation_id)
            rows = await store.list_members(conn, conversation_id, after_user_id=after_user_id, limit=limit)
        now = now_ms()
        return [
            {
                "user": public_user(
                    _UserView(
                        row.user_id,
                        row.username,
                        row.display_name,
                        row.avatar_file_id,
                        row.deleted_at,
                        row.bot_kind,
                    )
                ),
                "role": row.role,
                "joined_at": row.joined_at,
                "mute": mute_view(row.mute_until, now),
            }
            for row in rows
        ]

    # -- direct chats -------------------------------------------------------------------------

    async def do_open_direct(self, user: AuthUser, other_id: int) -> tuple[dict[str, Any], bool]:
        """The direct chat with ``other_id``, created on first use. Returns (view, created)."""
        if other_id == user.id:
            raise Invalid("A direct chat needs another person.", code="CANNOT_MESSAGE_SELF")
        try:
            conversation_id, created = await self._open_direct(user, other_id)
        except UniqueViolation:
            # Both sides opened the chat at once and the other commit won (PostgreSQL; SQLite
            # serialises writers): the second attempt finds its conversation.
            conversation_id, created = await self._open_direct(user, other_id)
        async with self.ctx.db.read() as conn:
            view = (await self.views_of(conn, user.id, [conversation_id]))[0]
        return view, created

    async def _open_direct(self, user: AuthUser, other_id: int) -> tuple[int, bool]:
        key = store.direct_key(user.id, other_id)
        async with self.ctx.transaction() as uow:
            other = await user_store.get_user(uow.conn, other_id)
            if other is None or not other.is_active:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
            existing = await store.get_direct(uow.conn, key)
            if existing is not None:
                if await social.blocked_between(uow.conn, user.id, other_id):
                    raise Forbidden("You cannot message this person.", code="BLOCKED", user_id=other_id)
                conversation_id, created = existing.id, False
            else:
                await self.check_can_talk(uow.conn, user.id, other_id)
                now = now_ms()
                conversation_id = await store.insert_conversation(
                    uow.conn,
                    {
                        "kind": "direct",
                        "direct_key": key,
                        "member_cap": 2,
                        "last_activity_at": now,
                        "created_by": user.id,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                await store.add_members(
                    uow.conn, conversation_id, {user.id: "member", other_id: "member"}, joined_seq=0, now=now
                )
                conversation = await store.get_conversation(uow.conn, conversation_id)
                assert conversation is not None
                self._emit_created(uow, conversation, [user.id, other_id])
                created = True
        return conversation_id, created

    @staticmethod
    def _emit_created(uow: UnitOfWork, conversation: Row[Any], member_ids: list[int]) -> None:
        # Its members join the conversation's audience with this event.
        uow.emit(
            ConversationCreated(**conversation_summary(conversation), member_ids=member_ids),
            to_conversation(conversation.id, joining=member_ids),
        )

    # -- groups -------------------------------------------------------------------------------

    async def do_create_group(self, user: AuthUser, title: str, member_ids: list[int]) -> dict[str, Any]:
        title = text.clean_name(title, field="group name")
        others = sorted(set(member_ids) - {user.id})
        cap = self.ctx.settings.group_member_cap
        if len(others) + 1 > cap:
            raise Invalid(f"A group may have at most {cap} members.", code="MEMBER_CAP_REACHED", cap=cap)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await self._check_addable(uow.conn, user.id, others)
            conversation_id = await store.insert_conversation(
                uow.conn,
                {
                    "kind": "group",
                    "title": title,
                    "member_cap": cap,
                    "last_activity_at": now,
                    "created_by": user.id,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            roles = {user.id: "owner", **dict.fromkeys(others, "member")}
            await store.add_members(uow.conn, conversation_id, roles, joined_seq=0, now=now)
            conversation = await store.get_conversation(uow.conn, conversation_id)
            assert conversation is not None
            # The members join the audience first, so the system message reaches them live too.
            self._emit_created(uow, conversation, list(roles))
            await append_system_message(
                uow,
                conversation_id,
                user.id,
                {"action": "group_created", "title": title, "user_ids": others},
                now,
            )
        async with self.ctx.db.read() as conn:
            return (await self.views_of(conn, user.id, [conversation_id]))[0]

    async def _check_addable(self, conn: AsyncConnection, adder_id: int, user_ids: list[int]) -> None:
        active = await store.active_user_ids(conn, user_ids)
        for user_id in user_ids:
            if user_id not in active:  # a deactivated account is nobody to talk to
                raise NotFound("No such user.", code="USER_NOT_FOUND", user_id=user_id)
            await self.check_can_talk(conn, adder_id, user_id)

    async def do_update(
        self, user: AuthUser, conversation_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        async with self.ctx.transaction() as uow:
            conversation, membership = await self.access(uow.conn, user.id, conversation_id, lock=True)
            if conversation.kind != "group":
                raise Invalid("Only groups have a name and an avatar.", code="NOT_A_GROUP")
            if membership.role not in MANAGERS:
                raise Forbidden("Only the owner and admins may change the group.", code="NOT_GROUP_ADMIN")
            if "title" in changes:
                values["title"] = text.clean_name(changes["title"], field="group name")
            if "avatar_file_id" in changes:
                await self._check_avatar(uow.conn, user.id, changes["avatar_file_id"])
                values["avatar_file_id"] = changes["avatar_file_id"]
            if "join_approval" in changes:
                # 入群验证: whether joining through the invite link needs an owner's or admin's yes.
                values["join_approval"] = bool(changes["join_approval"])
            if values:
                now = now_ms()
                await store.update_conversation(uow.conn, conversation_id, {**values, "updated_at": now})
                if "title" in values and values["title"] != conversation.title:
                    await append_system_message(
                        uow,
                        conversation_id,
                        user.id,
                        {"action": "group_renamed", "title": values["title"]},
                        now,
                    )
                updated = await store.get_conversation(uow.conn, conversation_id)
                assert updated is not None
                uow.emit(
                    ConversationUpdated(**conversation_summary(updated)), to_conversation(conversation_id)
                )
        return await self.get_conversation(user, conversation_id)

    @staticmethod
    async def _check_avatar(conn: AsyncConnection, user_id: int, file_id: str) -> None:
        """A group avatar is an image the caller uploaded (someone else's file id is refused
        exactly like one that does not exist)."""
        row = await file_store.get_file(conn, file_id)
        if row is None or row.owner_id != user_id:
            raise NotFound("No such file of yours.", code="FILE_NOT_FOUND")
        if row.width is None:
            raise Invalid("A group avatar is an image.", code="NOT_AN_IMAGE")

    async def do_add_members(
        self, user: AuthUser, conversation_id: int, user_ids: list[int]
    ) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            conversation, _membership = await self.access(uow.conn, user.id, conversation_id, lock=True)
            if conversation.kind != "group":
                raise Invalid("Members can only be added to groups.", code="NOT_A_GROUP")
            already = await store.existing_members(uow.conn, conversation_id, user_ids)
            new = sorted(set(user_ids) - already)
            if not new:
                raise Conflict("They are all members already.", code="ALREADY_MEMBERS")
            if conversation.member_count + len(new) > conversation.member_cap:
                raise Invalid(
                    f"A group may have at most {conversation.member_cap} members.",
                    code="MEMBER_CAP_REACHED",
                    cap=conversation.member_cap,
                )
            await self._check_addable(uow.conn, user.id, new)
            await store.add_members(
                uow.conn,
                conversation_id,
                dict.fromkeys(new, "member"),
                joined_seq=conversation.last_seq,
                now=now,
            )
            # The newcomers join the audience first, so the system message reaches them live too.
            uow.emit(MembersAdded(user_ids=new, by=user.id), to_conversation(conversation_id, joining=new))
            await append_system_message(
                uow, conversation_id, user.id, {"action": "members_added", "user_ids": new}, now
            )
        return await self.get_conversation(user, conversation_id)

    async def do_remove_member(self, user: AuthUser, conversation_id: int, target_id: int) -> None:
        if target_id == user.id:
            await self.do_leave(user, conversation_id)
            return
        async with self.ctx.transaction() as uow:
            conversation, membership = await self.access(uow.conn, user.id, conversation_id, lock=True)
            if conversation.kind != "group":
                raise Invalid("Members can only be removed from groups.", code="NOT_A_GROUP")
            target = await store.get_membership(uow.conn, conversation_id, target_id)
            if target is None:
                raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
            allowed = membership.role == "owner" or (membership.role == "admin" and target.role == "member")
            if not allowed:
                raise Forbidden("You may not remove this member.", code="NOT_GROUP_ADMIN")
            await self._remove(uow, conversation_id, target_id, by=user.id, action="member_removed")

    async def do_leave(self, user: AuthUser, conversation_id: int) -> None:
        async with self.ctx.transaction() as uow:
            conversation, membership = await self.access(uow.conn, user.id, conversation_id, lock=True)
            if conversation.kind in ORG_GROUP_KINDS:
                # Kept in step with the directory (services/org_groups.py): one leaves by leaving.
                raise Invalid(
                    "This group follows the organization's directory: it is left by leaving the "
                    "organization (or, for a department's group, the department).",
                    code="ORG_GROUP_MEMBERSHIP",
                )
            if conversation.kind != "group":
                raise Invalid("A direct chat cannot be left.", code="NOT_A_GROUP")
            if membership.role == "owner" and conversation.member_count > 1:
                raise Conflict("Hand the group to someone else before leaving.", code="OWNER_MUST_TRANSFER")
            await self._remove(uow, conversation_id, user.id, by=user.id, action="member_left")

    async def _remove(
        self, uow: UnitOfWork, conversation_id: int, target_id: int, *, by: int, action: str
    ) -> None:
        now = now_ms()
        await append_system_message(
            uow, conversation_id, by, {"action": action, "user_ids": [target_id]}, now
        )
        # The event goes to the conversation while the target is still in it, and to the target
        # directly, whose later resumes no longer see this conversation's stream.
        uow.emit(
            MemberRemoved(user_id=target_id, by=by), to_conversation(conversation_id, leaving=[target_id])
        )
        uow.emit(ConversationRemoved(conversation_id=conversation_id, by=by), to_users(target_id))
        await store.remove_member(uow.conn, conversation_id, target_id, now)

    async def do_set_role(self, user: AuthUser, conversation_id: int, target_id: int, role: str) -> None:
        if role not in ("admin", "member"):
            raise Invalid("The role is admin or member; ownership is transferred.", code="INVALID_ROLE")
        async with self.ctx.transaction() as uow:
            conversation, membership = await self.access(uow.conn, user.id, conversation_id, lock=True)
            if conversation.kind != "group" or membership.role != "owner":
                raise Forbidden("Only the owner may change roles.", code="NOT_GROUP_OWNER")
            target = await store.get_membership(uow.conn, conversation_id, target_id)
            if target is None:
                raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
            if target.role == "owner":
                raise Invalid("The owner's role changes by transferring ownership.", code="INVALID_ROLE")
            await store.set_role(uow.conn, conversation_id, target_id, role)
            uow.emit(MemberRoleChanged(user_id=target_id, role=role), to_conversation(conversation_id))

    async def do_transfer(self, user: AuthUser, conversation_id: int, target_id: int) -> None:
        async with self.ctx.transaction() as uow:
            conversation, membership = await self.access(uow.conn, user.id, conversation_id, lock=True)
            if conversation.kind != "group" or membership.role != "owner":
                raise Forbidden("Only the owner may transfer the group.", code="NOT_GROUP_OWNER")
            target = await store.get_membership(uow.conn, conversation_id, target_id)
            if target is None or target_id == user.id:
                raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
            await store.set_role(uow.conn, conversation_id, target_id, "owner")
            await store.set_role(uow.conn, conversation_id, user.id, "admin")
            await append_system_message(
                uow, conversation_id, user.id, {"action": "owner_changed", "user_ids": [target_id]}, now_ms()
            )
            for member_id, role in ((target_id, "owner"), (user.id, "admin")):
                uow.emit(MemberRoleChanged(user_id=member_id, role=role), to_conversation(conversation_id))

    async def do_update_my_settings(
        self, user: AuthUser, conversation_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        values = {k: v for k, v in changes.items() if k in ("pinned", "muted")}
        async with self.ctx.transaction() as uow:
            await self.access(uow.conn, user.id, conversation_id)
            if values:
                await store.update_member_settings(uow.conn, conversation_id, user.id, values)
                # Only the user's own devices care about their pin and mute.
                uow.emit(
                    ConversationSettingsChanged(conversation_id=conversation_id, **values), to_users(user.id)
                )
        return await self.get_conversation(user, conversation_id)


class _UserView:
    """Adapter so a joined member row renders like a user row."""

    def __init__(
        self,
        user_id: int,
        username: str,
        display_name: str,
        avatar_file_id: str | None,
        deleted_at: int | None = None,
        bot_kind: str | None = None,
    ) -> None:
        self.id = user_id
        self.username = username
        self.display_name = display_name
        self.avatar_file_id = avatar_file_id
        self.deleted_at = deleted_at  # public_user says `deleted` from it
        self.bot_kind = bot_kind  # and `bot` (a robot's badge) from this
