"""Joining a group by link or QR code (扫码入群), with optional approval (入群验证).

The owner and admins of a group make its invite link: a long unguessable token behind
``{public_url}/g/{token}``; making a new one revokes the old (a leaked link is cut off by making
another), and a link may expire. The QR code is that URL as an SVG, rendered here with ``segno``
(a small, dependency-free QR encoder) so that every client shows the same code without a
JavaScript encoder of its own. Only groups have links: a direct chat has two people, and an
organization's groups follow its directory.

Whoever opens the link (logged in) sees the group's name, avatar and size, and joins at once, or,
when the group asks for approval (``join_approval``, set with ``PATCH /conversations/{id}``),
files a request the owner and admins approve or reject. Requests reach the owner and admins live
(``group_join_request.created``), decisions reach the requester and them
(``group_join_request.decided``); an approval adds the requester as a link join does. The group's
member cap holds under concurrency: joins lock the conversation's row and count again.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy.engine import Row

from lakeside.domain.events import to_conversation, to_users
from lakeside.domain.events.messaging import GroupJoinRequestCreated, GroupJoinRequestDecided, MembersAdded
from lakeside.domain.tokens import new_token, now_ms
from lakeside.errors import Conflict, Invalid, NotFound
from lakeside.services.accounts import AuthUser, public_user
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.conversations import Conversations
from lakeside.services.timeline import append_system_message
from lakeside.store import conversations as conversation_store
from lakeside.store import groups as store
from lakeside.store.engine import UniqueViolation

MAX_LINK_HOURS = 24 * 365
LIST_LIMIT = 200


def _no_invitation() -> NotFound:
    return NotFound("No such invitation.", code="INVITATION_NOT_FOUND")


def request_view(row: Row[Any], title: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "conversation_title": title,
        "user": public_user(_Requester(row)),
        "message": row.message,
        "status": row.status,
        "decided_by": row.decided_by,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }


class _Requester:
    """A request row's user columns, as ``public_user`` reads a user."""

    def __init__(self, row: Row[Any]) -> None:
        self.id = row.user_id
        self.username = row.username
        self.display_name = row.display_name
        self.avatar_file_id = row.avatar_file_id


class GroupInvites:
    def __init__(self, ctx: Context, conversations: Conversations) -> None:
        self.ctx = ctx
        self.conversations = conversations

    def _url(self, token: str) -> str:
        return f"{self.ctx.settings.public_url.rstrip('/')}/g/{token}"

    def link_view(self, row: Row[Any]) -> dict[str, Any]:
        return {
            "token": row.token,
            "url": self._url(row.token),
            "qr_url": f"/api/v1/conversations/{row.conversation_id}/invite-link/qr",
            "created_by": row.created_by,
            "created_at": row.created_at,
            "expires_at": row.expires_at,
        }

    async def _managed_group(
        self, conn: Any, user_id: int, conversation_id: int, *, lock: bool = False
    ) -> Row[Any]:
        conversation, _ = await self.conversations.access_managed(conn, user_id, conversation_id, lock=lock)
        if conversation.kind != "group":
            raise Invalid(
                "An organization's groups follow its directory: they have no invite link.", code="NOT_A_GROUP"
            )
        return conversation

    # -- the link (owner and admins) --------------------------------------------------------------

    async def get_link(self, user: AuthUser, conversation_id: int) -> dict[str, Any] | None:
        """The group's live invite link, or None."""
        async with self.ctx.db.read() as conn:
            await self._managed_group(conn, user.id, conversation_id)
            row = await store.live_link(conn, conversation_id, now_ms())
        return None if row is None else self.link_view(row)

    async def do_create_link(
        self, user: AuthUser, conversation_id: int, expires_in_hours: int | None
    ) -> dict[str, Any]:
        """A new invite link; the group's previous link stops working."""
        if expires_in_hours is not None and not 1 <= expires_in_hours <= MAX_LINK_HOURS:
            raise Invalid(f"A link lasts 1 to {MAX_LINK_HOURS} hours.", code="INVALID_EXPIRY")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await self._managed_group(uow.conn, user.id, conversation_id, lock=True)
            await store.revoke_links(uow.conn, conversation_id, now)
            values = {
                "conversation_id": conversation_id,
                "token": new_token(),
                "created_by": user.id,
                "expires_at": None if expires_in_hours is None else now + expires_in_hours * 3_600_000,
                "created_at": now,
            }
            await store.insert_link(uow.conn, values)
            row = await store.live_link(uow.conn, conversation_id, now)
            assert row is not None
        return self.link_view(row)

    async def do_revoke_link(self, user: AuthUser, conversation_id: int) -> None:
        async with self.ctx.transaction() as uow:
            await self._managed_group(uow.conn, user.id, conversation_id, lock=True)
            await store.revoke_links(uow.conn, conversation_id, now_ms())

    async def link_qr_svg(self, user: AuthUser, conversation_id: int) -> bytes:
        """The live link as a QR code (SVG); 404 ``LINK_NOT_FOUND`` when there is none."""
        link = await self.get_link(user, conversation_id)
        if link is None:
            raise NotFound("This group has no invite link; make one first.", code="LINK_NOT_FOUND")
        return qr_svg(link["url"])

    # -- whoever holds the link -----------------------------------------------------------------

    async def _live_group(self, conn: Any, token: str, *, lock: bool = False) -> tuple[Row[Any], Row[Any]]:
        """The link and its group, or why not (revoked, expired, unknown)."""
        link = await store.link_by_token(conn, token) if 8 <= len(token) <= 64 else None
        if link is None:
            raise _no_invitation()
        if link.revoked_at is not None:
            raise Invalid("This invite link was revoked.", code="INVITATION_REVOKED")
        if link.expires_at is not None and link.expires_at <= now_ms():
            raise Invalid("This invite link has expired.", code="INVITATION_EXPIRED")
        conversation = await conversation_store.get_conversation(conn, link.conversation_id, for_update=lock)
        if conversation is None:
            raise _no_invitation()
        return link, conversation

    async def preview(self, user: AuthUser, token: str) -> dict[str, Any]:
        """What the link joins: the group's name, avatar and size, whether it asks for approval,
        and the caller's standing (a member already; a request waiting)."""
        async with self.ctx.db.read() as conn:
            _, conversation = await self._live_group(conn, token)
            member = await conversation_store.get_membership(conn, conversation.id, user.id)
            pending = await store.pending_request(conn, conversation.id, user.id)
        return {
            "conversation_id": conversation.id,
            "title": conversation.title,
            "avatar_url": f"/api/v1/files/{conversation.avatar_file_id}"
            if conversation.avatar_file_id
            else None,
            "member_count": conversation.member_count,
            "member_cap": conversation.member_cap,
            "join_approval": conversation.join_approval,
            "is_member": member is not None,
            "pending_request": None if pending is None else request_view(pending, conversation.title),
        }

    async def do_join(self, user: AuthUser, token: str, message: str) -> dict[str, Any]:
        """Join through the link: ``{status: "joined", conversation}`` at once, or
        ``{status: "pending", request}`` when the group asks for approval (asking again answers
        the waiting request)."""
        message = " ".join(message.split())[:256]
        try:
            return await self._join(user, token, message)
        except UniqueViolation:
            # Asked twice at once and the other request was filed first: answer with it.
            return await self._join(user, token, message)

    async def _join(self, user: AuthUser, token: str, message: str) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            link, conversation = await self._live_group(uow.conn, token, lock=True)
            if await conversation_store.get_membership(uow.conn, conversation.id, user.id) is not None:
                raise Conflict(
                    "You are a member already.", code="ALREADY_MEMBER", conversation_id=conversation.id
                )
            if conversation.join_approval:
                request = await store.pending_request(uow.conn, conversation.id, user.id)
                if request is None:
                    values = {
                        "conversation_id": conversation.id,
                        "user_id": user.id,
                        "invitation_id": link.id,
                        "message": message,
                        "status": "pending",
                        "created_at": now,
                    }
                    request_id = await store.insert_request(uow.conn, values)
                    request = await store.get_request(uow.conn, conversation.id, request_id)
                    assert request is not None
                    view = request_view(request, conversation.title)
                    managers = await store.manager_ids(uow.conn, conversation.id)
                    uow.emit(GroupJoinRequestCreated(**view), to_conversation(conversation.id, only=managers))
                return {"status": "pending", "request": request_view(request, conversation.title)}
            await self._admit(uow, conversation, user.id, by=user.id, now=now)
        return {
            "status": "joined",
            "conversation": await self.conversations.get_conversation(user, conversation.id),
        }

    async def _admit(
        self, uow: UnitOfWork, conversation: Row[Any], user_id: int, *, by: int, now: int
    ) -> None:
        """Add a member who came through the link (the caller holds the conversation's lock)."""
        if conversation.member_count + 1 > conversation.member_cap:
            raise Invalid(
                f"The group is full: at most {conversation.member_cap} members.",
                code="MEMBER_CAP_REACHED",
                cap=conversation.member_cap,
            )
        await conversation_store.add_members(
            uow.conn, conversation.id, {user_id: "member"}, joined_seq=conversation.last_seq, now=now
        )
        # The newcomer joins the audience first, so the system message reaches them live too.
        uow.emit(MembersAdded(user_ids=[user_id], by=by), to_conversation(conversation.id, joining=[user_id]))
        data: dict[str, Any] = {"action": "joined_by_link", "user_ids": [user_id]}
        if by != user_id:
            data["approved_by"] = by
        await append_system_message(uow, conversation.id, user_id, data, now)

    # -- requests (owner and admins) ------------------------------------------------------------

    async def list_requests(self, user: AuthUser, conversation_id: int, status: str) -> list[dict[str, Any]]:
        """The group's join requests with ``status``, newest first."""
        async with self.ctx.db.read() as conn:
            conversation = await self._managed_group(conn, user.id, conversation_id)
            rows = await store.list_requests(conn, conversation_id, status, LIST_LIMIT)
        return [request_view(row, conversation.title) for row in rows]

    async def do_decide(
        self, user: AuthUser, conversation_id: int, request_id: int, approve: bool
    ) -> dict[str, Any]:
        """Approve (the requester joins, within the member cap) or reject a pending request."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            conversation = await self._managed_group(uow.conn, user.id, conversation_id, lock=True)
            request = await store.get_request(uow.conn, conversation_id, request_id)
            if request is None:
                raise NotFound("No such join request.", code="REQUEST_NOT_FOUND")
            if request.status != "pending":
                raise Conflict(
                    "This request is settled already.", code="REQUEST_SETTLED", status=request.status
                )
            member = await conversation_store.get_membership(uow.conn, conversation_id, request.user_id)
            if approve and member is None:
                if not await conversation_store.active_user_ids(uow.conn, [request.user_id]):
                    raise NotFound("The requester's account is closed.", code="USER_NOT_FOUND")
                await self._admit(uow, conversation, request.user_id, by=user.id, now=now)
            await store.decide_request(
                uow.conn, request_id, "approved" if approve else "rejected", user.id, now
            )
            decided = await store.get_request(uow.conn, conversation_id, request_id)
            assert decided is not None
            view = request_view(decided, conversation.title)
            managers = await store.manager_ids(uow.conn, conversation_id)
            uow.emit(GroupJoinRequestDecided(**view), to_users(request.user_id))
            uow.emit(GroupJoinRequestDecided(**view), to_conversation(conversation_id, only=managers))
        return view


def qr_svg(url: str) -> bytes:
    """``url`` as a QR code: an SVG with a white quiet zone that scales to any size (a viewBox,
    no fixed width), error correction M (a phone reads it from a screen photographed askew)."""
    import segno  # a QR code is drawn rarely: the encoder loads on the first one

    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", border=4, dark="#000", light="#fff", xmldecl=False, omitsize=True, nl=False
    )
    return out.getvalue()
