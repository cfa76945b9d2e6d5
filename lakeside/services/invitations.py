"""Joining an organization: invitation links and codes, invitations by phone or e-mail, and join
requests that an admin approves when the organization asks for approval.

Links and codes are the same object: a link carries a long unguessable token, a code eight
characters that are easy to read out. Looking one up and joining with one each spend a unit of
``invitation_previews`` per user and per address, so that codes cannot be found by trying them.
Both may expire and have a use limit, and both are revocable; a use is counted by a conditional
UPDATE, so a limit holds however many join at once.
An invitation by phone or e-mail is shown to the account that holds that phone or e-mail *and
proved it* (services/verification.py: anyone can type any address into a profile, and an
invitation accepted is a membership an admin approved), and acceptance is that account's explicit
act, never automatic. With approval on, joining through a link or code, or accepting a plain member's
invitation, files a join request for the admins; an admin's own invitation admits directly.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import text
from lakeside.domain.events import to_users
from lakeside.domain.events.enterprise import JoinRequestCreated, JoinRequestDecided, OrgInvitationReceived
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services import audit
from lakeside.services.accounts import AuthUser, proved_contacts
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.orgaccess import access_org, is_manager, logo_url
from lakeside.services.organizations import Organizations
from lakeside.store import organizations as store
from lakeside.store import users as user_store
from lakeside.store.engine import UniqueViolation

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
MAX_EXPIRY_HOURS = 24 * 365


def invitation_view(row: Row[Any], public_url: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "kind": row.kind,
        "code": row.code,
        "url": f"{public_url.rstrip('/')}/join/{row.code}",
        "created_by": row.created_by,
        "expires_at": row.expires_at,
        "max_uses": row.max_uses,
        "use_count": row.use_count,
        "revoked": row.revoked_at is not None,
        "created_at": row.created_at,
    }


def contact_invitation_view(row: Row[Any]) -> dict[str, Any]:
    view = {
        "id": row.id,
        "organization_id": row.organization_id,
        "phone": row.phone,
        "email": row.email,
        "name": row.name,
        "invited_by": row.invited_by,
        "status": row.status,
        "user_id": row.user_id,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }
    if hasattr(row, "organization_name"):
        view["organization_name"] = row.organization_name
        view["organization_logo_url"] = logo_url(row.logo_file_id)
    return view


def join_request_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "organization_name": row.organization_name,
        "user": {
            "id": row.user_id,
            "username": row.username,
            "display_name": row.display_name,
            "avatar_url": logo_url(row.avatar_file_id),
        },
        "message": row.message,
        "status": row.status,
        "decided_by": row.decided_by,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }


def _new_code(kind: str) -> str:
    if kind == "link":
        return secrets.token_urlsafe(18)
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _check_invite_right(organization: Row[Any], member: Row[Any]) -> None:
    if organization.invite_policy != "members" and not is_manager(member):
        raise Forbidden("Only admins may invite people to this organization.", code="INVITE_NOT_ALLOWED")


class Invitations:
    def __init__(self, ctx: Context, organizations: Organizations) -> None:
        self.ctx = ctx
        self.organizations = organizations

    # -- links and codes ----------------------------------------------------------------------

    async def do_create(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        kind: str,
        expires_in_hours: int | None,
        max_uses: int | None,
    ) -> dict[str, Any]:
        if kind not in ("link", "code"):
            raise Invalid("kind is link or code.", code="INVALID_KIND")
        if expires_in_hours is not None and not 1 <= expires_in_hours <= MAX_EXPIRY_HOURS:
            raise Invalid(f"expires_in_hours is 1 to {MAX_EXPIRY_HOURS}.", code="INVALID_EXPIRY")
        if max_uses is not None and not 1 <= max_uses <= 100_000:
            raise Invalid("max_uses is 1 to 100000.", code="INVALID_MAX_USES")
        now = now_ms()
        for _ in range(3):  # a code collision is rare; a fresh code settles it
            try:
                async with self.ctx.transaction() as uow:
                    organization, member = await access_org(uow.conn, user.id, organization_id)
                    _check_invite_right(organization, member)
                    invitation_id = await store.insert_invitation(
                        uow.conn,
                        {
                            "organization_id": organization_id,
                            "kind": kind,
                            "code": _new_code(kind),
                            "created_by": user.id,
                            "expires_at": now + expires_in_hours * 3_600_000 if expires_in_hours else None,
                            "max_uses": max_uses,
                            "created_at": now,
                        },
                    )
                    row = await store.get_invitation(uow.conn, organization_id, invitation_id)
                    await audit.record(
                        uow,
                        organization_id=organization_id,
                        actor_id=user.id,
                        action="invitation.create",
                        target_type="invitation",
                        target_id=invitation_id,
                        details={"kind": kind, "expires_in_hours": expires_in_hours, "max_uses": max_uses},
                    )
                assert row is not None
                return invitation_view(row, self.ctx.settings.public_url)
            except UniqueViolation:
                continue
        raise Conflict("Could not find a free code; try again.", code="CODE_COLLISION")

    async def list(self, user: AuthUser, organization_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            organization, member = await access_org(conn, user.id, organization_id)
            _check_invite_right(organization, member)
            rows = await store.list_invitations(conn, organization_id)
        # Members who may invite see their own invitations; admins see everyone's.
        return [
            invitation_view(row, self.ctx.settings.public_url)
            for row in rows
            if is_manager(member) or row.created_by == user.id
        ]

    async def do_revoke(self, user: AuthUser, organization_id: int, invitation_id: int) -> None:
        async with self.ctx.transaction() as uow:
            _, member = await access_org(uow.conn, user.id, organization_id)
            row = await store.get_invitation(uow.conn, organization_id, invitation_id)
            if row is None or not (is_manager(member) or row.created_by == user.id):
                raise NotFound("No such invitation.", code="INVITATION_NOT_FOUND")
            await store.revoke_invitation(uow.conn, organization_id, invitation_id, now_ms())
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="invitation.revoke",
                target_type="invitation",
                target_id=invitation_id,
                details={"kind": row.kind},
            )

    async def preview(self, code: str, user: AuthUser | None, *, address: str = "") -> dict[str, Any]:
        """What a link or code shows before joining, to anyone who holds it, logged in or not:
        the organization's name, logo and size and who invites. That much is what the holder of
        a link is meant to see; a logged-in caller (who may join at once) also gets the id,
        whether admins approve joins, and the expiry. Each look-up spends one of the address's
        ``invitation_previews``, so that codes cannot be guessed by trying them."""
        await self.ctx.limits.take("invitation_previews", user_id=user.id if user else None, address=address)
        async with self.ctx.db.read() as conn:
            invitation = await self._open_invitation(conn, code, now_ms())
            organization = await store.get_organization(conn, invitation.organization_id)
            inviter = None
            if invitation.created_by is not None:
                inviter = await user_store.get_user(conn, invitation.created_by)
        assert organization is not None
        preview: dict[str, Any] = {
            "name": organization.name,
            "logo_url": logo_url(organization.logo_file_id),
            "member_count": organization.member_count,
            "inviter_name": inviter.display_name if inviter is not None else None,
        }
        if user is not None:
            preview.update(
                organization_id=organization.id,
                join_approval=organization.join_approval,
                expires_at=invitation.expires_at,
            )
        return preview

    @staticmethod
    async def _open_invitation(conn: AsyncConnection, code: str, now: int) -> Row[Any]:
        invitation = await store.get_invitation_by_code(conn, code.strip())
        if invitation is None:
            raise NotFound("No such invitation.", code="INVITATION_NOT_FOUND")
        if invitation.revoked_at is not None:
            raise Invalid("This invitation was revoked.", code="INVITATION_REVOKED")
        if invitation.expires_at is not None and invitation.expires_at <= now:
            raise Invalid("This invitation has expired.", code="INVITATION_EXPIRED")
        if invitation.max_uses is not None and invitation.use_count >= invitation.max_uses:
            raise Invalid("This invitation has been used up.", code="INVITATION_USED_UP")
        return invitation

    async def do_join(self, user: AuthUser, code: str, message: str, *, address: str = "") -> dict[str, Any]:
        """Join through a link or code: at once, or as a join request when approval is on."""
        message = text.clean_body(message, max_bytes=256) if message.strip() else ""
        await self.ctx.limits.take("invitation_previews", user_id=user.id, address=address)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            invitation = await self._open_invitation(uow.conn, code, now)
            organization = await store.get_organization(uow.conn, invitation.organization_id, for_update=True)
            assert organization is not None
            await self._check_not_member(uow.conn, organization.id, user.id)
            if organization.join_approval:
                request = await self._file_request(uow, organization, user.id, invitation.id, message, now)
                if not await store.use_invitation(uow.conn, invitation.id, now):
                    raise Invalid("This invitation has been used up.", code="INVITATION_USED_UP")
                return {"status": "pending", "organization": None, "join_request": request}
            if not await store.use_invitation(uow.conn, invitation.id, now):
                raise Invalid("This invitation has been used up.", code="INVITATION_USED_UP")
            await self.organizations.admit(uow, organization, user.id, role="member", by=user.id, now=now)
        return {
            "status": "joined",
            "organization": await self.organizations.get(user, organization.id),
            "join_request": None,
        }

    @staticmethod
    async def _check_not_member(conn: AsyncConnection, organization_id: int, user_id: int) -> None:
        existing = await store.get_member(conn, organization_id, user_id)
        if existing is not None and existing.status == "active":
            raise Conflict("You are a member already.", code="ALREADY_MEMBER")
        if existing is not None:
            raise Forbidden(
                "Your membership is deactivated; ask an admin to reactivate it.", code="MEMBER_DEACTIVATED"
            )

    async def _file_request(
        self,
        uow: UnitOfWork,
        organization: Row[Any],
        user_id: int,
        invitation_id: int | None,
        message: str,
        now: int,
    ) -> dict[str, Any]:
        if await store.pending_join_request(uow.conn, organization.id, user_id) is not None:
            raise Conflict("Your request to join is waiting for an admin.", code="JOIN_REQUEST_PENDING")
        request_id = await store.insert_join_request(
            uow.conn,
            {
                "organization_id": organization.id,
                "user_id": user_id,
                "invitation_id": invitation_id,
                "message": message,
                "status": "pending",
                "created_at": now,
            },
        )
        row = await store.get_join_request(uow.conn, request_id)
        assert row is not None
        view = join_request_view(row)
        admin_ids = await store.admin_ids(uow.conn, organization.id)
        if admin_ids:
            uow.emit(JoinRequestCreated(**view), to_users(*admin_ids))
        return view

    # -- invitations by phone or e-mail -------------------------------------------------------

    async def do_invite_contact(
        self, user: AuthUser, organization_id: int, *, phone: str | None, email: str | None, name: str | None
    ) -> dict[str, Any]:
        phone = text.normalize_phone(phone)
        email = text.normalize_email(email)
        if (phone is None) == (email is None):
            raise Invalid("Give either a phone number or an e-mail address.", code="CONTACT_REQUIRED")
        name = text.clean_name(name, field="name") if name and name.strip() else None
        now = now_ms()
        async with self.ctx.transaction() as uow:
            organization, member = await access_org(uow.conn, user.id, organization_id)
            _check_invite_right(organization, member)
            if await store.pending_contact_invitation(uow.conn, organization_id, phone, email) is not None:
                raise Conflict("That person has a pending invitation already.", code="INVITATION_EXISTS")
            holder = await user_store.get_user_by_contact(uow.conn, phone, email)
            if holder is not None:
                existing = await store.get_member(uow.conn, organization_id, holder.id)
                if existing is not None and existing.status == "active":
                    raise Conflict("That person is a member already.", code="ALREADY_MEMBER")
            invitation_id = await store.insert_contact_invitation(
                uow.conn,
                {
                    "organization_id": organization_id,
                    "phone": phone,
                    "email": email,
                    "name": name,
                    "invited_by": user.id,
                    "status": "pending",
                    "created_at": now,
                },
            )
            rows = await store.contact_invitations_for(uow.conn, phone, email)
            row = next(r for r in rows if r.id == invitation_id)
            view = contact_invitation_view(row)
            if holder is not None:
                uow.emit(OrgInvitationReceived(**view), to_users(holder.id))
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="contact_invitation.create",
                target_type="contact_invitation",
                target_id=invitation_id,
                details={"phone": phone, "email": email, "name": name},
            )
        return view

    async def list_contact_invitations(self, user: AuthUser, organization_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            organization, member = await access_org(conn, user.id, organization_id)
            _check_invite_right(organization, member)
            rows = await store.list_contact_invitations(conn, organization_id)
        return [contact_invitation_view(r) for r in rows if is_manager(member) or r.invited_by == user.id]

    async def do_revoke_contact_invitation(
        self, user: AuthUser, organization_id: int, invitation_id: int
    ) -> None:
        async with self.ctx.transaction() as uow:
            _, member = await access_org(uow.conn, user.id, organization_id)
            row = await store.get_contact_invitation(uow.conn, invitation_id, organization_id)
            if row is None or not (is_manager(member) or row.invited_by == user.id):
                raise NotFound("No such invitation.", code="INVITATION_NOT_FOUND")
            if not await store.decide_contact_invitation(uow.conn, invitation_id, "revoked", None, now_ms()):
                raise Conflict("The invitation is settled already.", code="INVITATION_SETTLED")
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="contact_invitation.revoke",
                target_type="contact_invitation",
                target_id=invitation_id,
                details={"phone": row.phone, "email": row.email},
            )

    async def list_mine(self, user: AuthUser) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            account = await user_store.get_user(conn, user.id)
            assert account is not None
            rows = await store.contact_invitations_for(conn, *proved_contacts(account))
        return [contact_invitation_view(row) for row in rows]

    async def do_answer(self, user: AuthUser, invitation_id: int, *, accept: bool) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            account = await user_store.get_user(uow.conn, user.id)
            row = await store.get_contact_invitation(uow.conn, invitation_id)
            phone, email = proved_contacts(account) if account is not None else (None, None)
            if (
                row is None
                or row.status != "pending"
                or not ((row.phone and row.phone == phone) or (row.email and row.email == email))
            ):
                raise NotFound("No such invitation.", code="INVITATION_NOT_FOUND")
            organization = await store.get_organization(uow.conn, row.organization_id, for_update=True)
            assert organization is not None
            if not accept:
                await store.decide_contact_invitation(uow.conn, invitation_id, "declined", user.id, now)
                return {"status": "declined", "organization": None, "join_request": None}
            await self._check_not_member(uow.conn, organization.id, user.id)
            await store.decide_contact_invitation(uow.conn, invitation_id, "accepted", user.id, now)
            inviter = (
                await store.get_member(uow.conn, organization.id, row.invited_by) if row.invited_by else None
            )
            by_admin = inviter is not None and inviter.status == "active" and is_manager(inviter)
            if organization.join_approval and not by_admin:
                request = await self._file_request(uow, organization, user.id, None, "", now)
                return {"status": "pending", "organization": None, "join_request": request}
            await self.organizations.admit(
                uow, organization, user.id, role="member", by=row.invited_by or user.id, now=now
            )
        return {
            "status": "joined",
            "organization": await self.organizations.get(user, organization.id),
            "join_request": None,
        }

    # -- join requests ------------------------------------------------------------------------

    async def list_requests(
        self, user: AuthUser, organization_id: int, status: str | None
    ) -> list[dict[str, Any]]:
        if status is not None and status not in ("pending", "approved", "rejected", "cancelled"):
            raise Invalid("status is pending, approved, rejected or cancelled.", code="INVALID_STATUS")
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            rows = await store.list_join_requests(conn, organization_id, status)
        return [join_request_view(row) for row in rows]

    async def do_decide(
        self, user: AuthUser, organization_id: int, request_id: int, *, approve: bool
    ) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            row = await store.get_join_request(uow.conn, request_id, organization_id=organization_id)
            if row is None:
                raise NotFound("No such join request.", code="JOIN_REQUEST_NOT_FOUND")
            if row.status != "pending":
                raise Conflict("That request is settled already.", code="JOIN_REQUEST_SETTLED")
            await store.decide_join_request(
                uow.conn, request_id, "approved" if approve else "rejected", user.id, now
            )
            if approve:
                existing = await store.get_member(uow.conn, organization_id, row.user_id)
                if existing is None:
                    await self.organizations.admit(
                        uow, organization, row.user_id, role="member", by=user.id, now=now
                    )
            decided = await store.get_join_request(uow.conn, request_id)
            assert decided is not None
            view = join_request_view(decided)
            uow.emit(JoinRequestDecided(**view), to_users(row.user_id))
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="join_request.approve" if approve else "join_request.reject",
                target_type="user",
                target_id=row.user_id,
                details={"request_id": request_id},
            )
        return view

    async def list_my_requests(self, user: AuthUser) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            rows = await store.list_my_join_requests(conn, user.id)
        return [join_request_view(row) for row in rows]

    async def do_cancel_request(self, user: AuthUser, request_id: int) -> None:
        async with self.ctx.transaction() as uow:
            row = await store.get_join_request(uow.conn, request_id, user_id=user.id)
            if row is None:
                raise NotFound("No such join request.", code="JOIN_REQUEST_NOT_FOUND")
            if not await store.decide_join_request(uow.conn, request_id, "cancelled", None, now_ms()):
                raise Conflict("That request is settled already.", code="JOIN_REQUEST_SETTLED")
