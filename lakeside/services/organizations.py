"""Organizations (tenants): create, settings, roles, ownership, and the life of a membership —
admitting someone (from any way of joining), removing, deactivating and reactivating them.

A departed member loses access at once: every organization endpoint checks for an *active*
membership (``orgaccess.access_org``), and departure takes them out of the all-staff group and
every department group in the same transaction. Their messages stay where they were written.
Organization-wide events travel on the all-staff conversation, whose members are exactly the
organization's active members, so they never reach anyone outside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import text
from lakeside.domain.events import to_users
from lakeside.domain.events.enterprise import (
    OrganizationJoined,
    OrganizationRemoved,
    OrganizationUpdated,
    OrgMemberAdded,
    OrgMemberRemoved,
    OrgMemberRole,
)
from lakeside.domain.pinyin import search_key
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services import audit, org_groups
from lakeside.services.accounts import AuthUser, proved_contacts
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.orgaccess import access_org, emit_to_org, logo_url
from lakeside.store import announcements as announcement_store
from lakeside.store import ding as ding_store
from lakeside.store import directory as directory_store
from lakeside.store import files as file_store
from lakeside.store import organizations as store
from lakeside.store import users as user_store

INVITE_POLICIES = ("admins", "members")
MAX_WINDOW_SECONDS = 7 * 86_400


def organization_view(row: Row[Any], my_role: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "logo_url": logo_url(row.logo_file_id),
        "logo_file_id": row.logo_file_id,
        "owner_id": row.owner_id,
        "invite_policy": row.invite_policy,
        "join_approval": row.join_approval,
        "recall_window_seconds": row.recall_window_seconds,
        "edit_window_seconds": row.edit_window_seconds,
        "members_see_read_receipts": row.members_see_read_receipts,
        "all_staff_conversation_id": row.all_staff_conversation_id,
        "member_count": row.member_count,
        "created_at": row.created_at,
        "my_role": my_role,
    }


def member_key(name: str, username: str, employee_no: str | None) -> str:
    return search_key(name, username, employee_no)


class Organizations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- creating and reading -----------------------------------------------------------------

    async def do_create(self, user: AuthUser, name: str) -> dict[str, Any]:
        name = text.clean_name(name, field="organization name")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            organization_id = await store.insert_organization(
                uow.conn, {"name": name, "owner_id": user.id, "created_at": now, "updated_at": now}
            )
            conversation_id = await org_groups.create_group(
                uow,
                organization_id=organization_id,
                kind="org_all",
                title=name,
                actor_id=user.id,
                member_cap=self.ctx.settings.group_member_cap,
                now=now,
            )
            await store.update_organization(
                uow.conn, organization_id, {"all_staff_conversation_id": conversation_id}
            )
            organization = await store.get_organization(uow.conn, organization_id)
            assert organization is not None
            await self.admit(uow, organization, user.id, role="owner", by=user.id, now=now)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="org.create",
                target_type="organization",
                target_id=organization_id,
                details={"name": name},
            )
        return await self.get(user, organization_id)

    async def get(self, user: AuthUser, organization_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            organization, member = await access_org(conn, user.id, organization_id)
        return organization_view(organization, member.role)

    async def list_mine(self, user: AuthUser) -> list[dict[str, Any]]:
        """The caller's organizations with their badges: DINGs waiting for confirmation, unread
        announcements and (for admins) join requests waiting for a decision."""
        async with self.ctx.db.read() as conn:
            rows = await store.list_for_user(conn, user.id)
            views = []
            for row in rows:
                view = organization_view(row, row.my_role)
                view["pending_dings"] = await ding_store.count_pending(conn, row.id, user.id)
                view["unread_announcements"] = await announcement_store.count_unread(conn, row.id, user.id)
                view["pending_join_requests"] = (
                    await store.count_pending_join_requests(conn, row.id)
                    if row.my_role in ("owner", "admin")
                    else 0
                )
                views.append(view)
        return views

    # -- settings -----------------------------------------------------------------------------

    async def do_update(
        self, user: AuthUser, organization_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        values = self._check_settings(changes)
        async with self.ctx.transaction() as uow:
            organization, member = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            if "logo_file_id" in values and values["logo_file_id"] is not None:
                await self._check_logo(uow.conn, user.id, values["logo_file_id"])
            if values:
                now = now_ms()
                await store.update_organization(uow.conn, organization_id, {**values, "updated_at": now})
                if "name" in values and organization.all_staff_conversation_id:
                    await org_groups.rename(
                        uow, organization.all_staff_conversation_id, values["name"], by=user.id, now=now
                    )
                updated = await store.get_organization(uow.conn, organization_id)
                assert updated is not None
                emit_to_org(
                    uow,
                    updated,
                    OrganizationUpdated(**organization_view(updated), organization_id=updated.id),
                )
                await audit.record(
                    uow,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="org.update",
                    target_type="organization",
                    target_id=organization_id,
                    details={k: {"from": getattr(organization, k), "to": v} for k, v in values.items()},
                )
                organization = updated
        return organization_view(organization, member.role)

    @staticmethod
    def _check_settings(changes: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "name" in changes:
            values["name"] = text.clean_name(changes["name"], field="organization name")
        if "logo_file_id" in changes:
            values["logo_file_id"] = changes["logo_file_id"]
        if "invite_policy" in changes:
            if changes["invite_policy"] not in INVITE_POLICIES:
                raise Invalid("invite_policy is admins or members.", code="INVALID_INVITE_POLICY")
            values["invite_policy"] = changes["invite_policy"]
        for flag in ("join_approval", "members_see_read_receipts"):
            if flag in changes:
                values[flag] = bool(changes[flag])
        for window in ("recall_window_seconds", "edit_window_seconds"):
            if window in changes:
                seconds = changes[window]
                if seconds is not None and not 0 <= seconds <= MAX_WINDOW_SECONDS:
                    raise Invalid(
                        f"{window} is between 0 and {MAX_WINDOW_SECONDS}, or null for the default.",
                        code="INVALID_WINDOW",
                    )
                values[window] = seconds
        return values

    @staticmethod
    async def _check_logo(conn: AsyncConnection, user_id: int, file_id: str) -> None:
        row = await file_store.get_file(conn, file_id)
        if row is None or row.owner_id != user_id:
            raise NotFound("No such file of yours.", code="FILE_NOT_FOUND")
        if row.width is None:
            raise Invalid("A logo is an image.", code="NOT_AN_IMAGE")

    # -- roles and ownership ------------------------------------------------------------------

    async def do_set_role(
        self, user: AuthUser, organization_id: int, target_id: int, role: str
    ) -> dict[str, Any]:
        if role not in ("admin", "member"):
            raise Invalid("The role is admin or member; ownership is transferred.", code="INVALID_ROLE")
        async with self.ctx.transaction() as uow:
            organization, member = await access_org(uow.conn, user.id, organization_id, lock=True)
            if member.role != "owner":
                raise Forbidden("Only the owner appoints admins.", code="NOT_ORG_OWNER")
            target = await self._active_member(uow.conn, organization_id, target_id)
            if target.role == "owner":
                raise Invalid("The owner's role changes by transferring ownership.", code="INVALID_ROLE")
            await self._change_role(uow, organization, target_id, role)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="member.role",
                target_type="user",
                target_id=target_id,
                details={"from": target.role, "to": role},
            )
        return await self.get_member_brief(organization_id, target_id)

    async def do_transfer(self, user: AuthUser, organization_id: int, target_id: int) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            organization, member = await access_org(uow.conn, user.id, organization_id, lock=True)
            if member.role != "owner":
                raise Forbidden("Only the owner may transfer the organization.", code="NOT_ORG_OWNER")
            if target_id == user.id:
                raise Invalid("You own it already.", code="ALREADY_OWNER")
            await self._active_member(uow.conn, organization_id, target_id)
            await store.update_organization(
                uow.conn, organization_id, {"owner_id": target_id, "updated_at": now_ms()}
            )
            await self._change_role(uow, organization, target_id, "owner")
            await self._change_role(uow, organization, user.id, "admin")
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="org.transfer",
                target_type="user",
                target_id=target_id,
                details={"previous_owner_id": user.id},
            )
            organization = await store.get_organization(uow.conn, organization_id)
            assert organization is not None
        return organization_view(organization, "admin")

    async def _change_role(self, uow: UnitOfWork, organization: Row[Any], user_id: int, role: str) -> None:
        await store.update_member(uow.conn, organization.id, user_id, {"role": role, "updated_at": now_ms()})
        if organization.all_staff_conversation_id:
            await org_groups.set_role(
                uow, organization.all_staff_conversation_id, user_id, org_groups.group_role(role)
            )
        emit_to_org(
            uow, organization, OrgMemberRole(organization_id=organization.id, user_id=user_id, role=role)
        )

    async def _active_member(self, conn: AsyncConnection, organization_id: int, user_id: int) -> Row[Any]:
        target = await store.get_member(conn, organization_id, user_id)
        if target is None or target.status != "active":
            raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
        return target

    async def get_member_brief(self, organization_id: int, user_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            row = await store.get_member(conn, organization_id, user_id)
        assert row is not None
        return {"user_id": row.user_id, "role": row.role, "status": row.status}

    # -- leaving, removal, deactivation -------------------------------------------------------

    async def do_leave(self, user: AuthUser, organization_id: int) -> None:
        async with self.ctx.transaction() as uow:
            organization, member = await access_org(uow.conn, user.id, organization_id, lock=True)
            if member.role == "owner":
                raise Conflict("Transfer the organization before leaving it.", code="OWNER_MUST_TRANSFER")
            await self.depart(uow, organization, user.id, by=user.id, keep_row=False)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="member.leave",
                target_type="user",
                target_id=user.id,
                details={"role": member.role},
            )

    async def do_remove(self, user: AuthUser, organization_id: int, target_id: int) -> None:
        async with self.ctx.transaction() as uow:
            organization, member = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            target = await store.get_member(uow.conn, organization_id, target_id)
            if target is None:
                raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
            self._check_may_manage(member, target)
            await self.depart(uow, organization, target_id, by=user.id, keep_row=False)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="member.remove",
                target_type="user",
                target_id=target_id,
                details={"role": target.role, "status": target.status},
            )

    async def do_set_active(
        self, user: AuthUser, organization_id: int, target_id: int, active: bool
    ) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            organization, member = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            target = await store.get_member(uow.conn, organization_id, target_id)
            if target is None:
                raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
            self._check_may_manage(member, target)
            if active and target.status != "active":
                await store.update_member(
                    uow.conn, organization_id, target_id, {"status": "active", "updated_at": now_ms()}
                )
                await self._welcome(uow, organization, target_id, target.role, by=user.id, now=now_ms())
            elif not active and target.status == "active":
                await self.depart(uow, organization, target_id, by=user.id, keep_row=True)
            if active != (target.status == "active"):
                await audit.record(
                    uow,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="member.reactivate" if active else "member.deactivate",
                    target_type="user",
                    target_id=target_id,
                )
        return await self.get_member_brief(organization_id, target_id)

    @staticmethod
    def _check_may_manage(member: Row[Any], target: Row[Any]) -> None:
        if target.user_id == member.user_id:
            raise Invalid("Use leave for yourself.", code="CANNOT_REMOVE_SELF")
        if target.role == "owner" or (target.role == "admin" and member.role != "owner"):
            raise Forbidden("You may not remove or deactivate this member.", code="NOT_ORG_OWNER")

    # -- the life of a membership (inside other services' transactions too) --------------------

    async def admit(
        self, uow: UnitOfWork, organization: Row[Any], user_id: int, *, role: str, by: int, now: int
    ) -> None:
        """Make ``user_id`` an active member: the directory row, the all-staff group, events."""
        existing = await store.get_member(uow.conn, organization.id, user_id)
        if existing is not None:
            if existing.status == "active":
                raise Conflict("Already a member of this organization.", code="ALREADY_MEMBER")
            # Deactivation is an admin's decision; only an admin's reactivation undoes it.
            raise Forbidden(
                "Your membership is deactivated; ask an admin to reactivate it.", code="MEMBER_DEACTIVATED"
            )
        else:
            account = await user_store.get_user(uow.conn, user_id)
            if account is None or not account.is_active:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
            await store.insert_member(
                uow.conn,
                {
                    "organization_id": organization.id,
                    "user_id": user_id,
                    "role": role,
                    "status": "active",
                    "name": account.display_name,
                    "search_key": member_key(account.display_name, account.username, None),
                    "joined_at": now,
                    "updated_at": now,
                },
            )
            await store.close_contact_invitations(
                uow.conn, organization.id, *proved_contacts(account), user_id, now
            )
        await self._welcome(uow, organization, user_id, role, by=by, now=now)

    async def reactivate_in(
        self, uow: UnitOfWork, organization: Row[Any], user_id: int, role: str, *, by: int
    ) -> None:
        """Make a deactivated member active again inside the caller's transaction (an admin's
        decision, or a directory sync for a member whose directory entry is enabled again)."""
        now = now_ms()
        await store.update_member(uow.conn, organization.id, user_id, {"status": "active", "updated_at": now})
        await self._welcome(uow, organization, user_id, role, by=by, now=now)

    async def _welcome(
        self, uow: UnitOfWork, organization: Row[Any], user_id: int, role: str, *, by: int, now: int
    ) -> None:
        await store.bump_member_count(uow.conn, organization.id, 1)
        if organization.all_staff_conversation_id:
            await org_groups.join(
                uow,
                organization.all_staff_conversation_id,
                {user_id: org_groups.group_role(role)},
                by=by,
                now=now,
            )
        refreshed = await store.get_organization(uow.conn, organization.id)
        assert refreshed is not None
        uow.emit(OrganizationJoined(**organization_view(refreshed, role)), to_users(user_id))
        emit_to_org(
            uow, organization, OrgMemberAdded(organization_id=organization.id, user_id=user_id, by=by)
        )

    async def depart(
        self, uow: UnitOfWork, organization: Row[Any], user_id: int, *, by: int, keep_row: bool
    ) -> None:
        """Take an active member out: every organization group, every department, pending DING
        escalations to them; ``keep_row`` deactivates (the profile stays for a reactivation)."""
        now = now_ms()
        emit_to_org(
            uow, organization, OrgMemberRemoved(organization_id=organization.id, user_id=user_id, by=by)
        )
        seats = await directory_store.memberships_of(uow.conn, organization.id, [user_id])
        for seat in seats:
            if seat.conversation_id:
                await org_groups.leave(uow, seat.conversation_id, user_id, by=by, now=now)
            await directory_store.remove_department_member(uow.conn, seat.department_id, user_id)
        if organization.all_staff_conversation_id:
            await org_groups.leave(uow, organization.all_staff_conversation_id, user_id, by=by, now=now)
        await ding_store.stop_escalation_for(uow.conn, organization.id, user_id)
        if keep_row:
            await store.update_member(
                uow.conn, organization.id, user_id, {"status": "deactivated", "updated_at": now}
            )
        else:
            await store.delete_member(uow.conn, organization.id, user_id)
        await store.bump_member_count(uow.conn, organization.id, -1)
        uow.emit(OrganizationRemoved(organization_id=organization.id, by=by), to_users(user_id))
