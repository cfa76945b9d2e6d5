"""Applying one directory snapshot to an organization, inside one transaction (services/ldap_sync.py
reads the directory, claims and records the run; this is what the run changes). See ldap_sync's
docstring for the rules: units become departments, people become members; links by stable id;
only what the directory created or adopted is ever touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from lakeside.domain import ldap as dl
from lakeside.domain import text
from lakeside.domain.events import to_users
from lakeside.domain.events.enterprise import DepartmentDeleted, OrgMemberUpdated
from lakeside.domain.events.messaging import SessionRevoked, UserUpdated
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Invalid
from lakeside.services import audit
from lakeside.services.accounts import public_user
from lakeside.services.context import UnitOfWork
from lakeside.services.directory import Directory
from lakeside.services.orgaccess import emit_to_org
from lakeside.services.organizations import Organizations, member_key
from lakeside.store import directory as directory_store
from lakeside.store import ldap as store
from lakeside.store import organizations as org_store
from lakeside.store import users as user_store
from lakeside.store.engine import UniqueViolation
from lakeside.store.tables import org_members

# An account made by a directory has no lakeside password: this is no argon2 hash, so no password
# ever matches it (Hasher.verify answers False), even if log-in by bind is turned off later.
NO_PASSWORD = "!ldap"
MAX_ERRORS_KEPT = 50


@dataclass
class SyncResult:
    ok: bool = True
    error: dict[str, str] | None = None
    added: int = 0
    updated: int = 0
    moved: int = 0
    deactivated: int = 0
    reactivated: int = 0
    departments_created: int = 0
    departments_updated: int = 0
    departments_deleted: int = 0
    seen: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    error_count: int = 0
    started_at: int = 0
    finished_at: int = 0

    def problem(self, code: str, message: str, dn: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"code": code, "message": message, "dn": dn})

    def changed(self) -> bool:
        return any(
            (self.added, self.updated, self.moved, self.deactivated, self.reactivated,
             self.departments_created, self.departments_updated, self.departments_deleted)
        )  # fmt: skip

    def view(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            "added": self.added,
            "updated": self.updated,
            "moved": self.moved,
            "deactivated": self.deactivated,
            "reactivated": self.reactivated,
            "departments_created": self.departments_created,
            "departments_updated": self.departments_updated,
            "departments_deleted": self.departments_deleted,
            "seen": self.seen,
            "error_count": self.error_count,
            "errors": self.errors,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class Run:
    """One sync's transaction: the organization, who acts, and what it has done so far."""

    def __init__(
        self,
        organizations: Organizations,
        directory: Directory,
        uow: UnitOfWork,
        organization: Row[Any],
        by: int,
        actor_id: int | None,
        result: SyncResult,
    ) -> None:
        self.organizations = organizations
        self.directory = directory
        self.uow = uow
        self.conn = uow.conn
        self.organization = organization
        self.by = by
        self.actor_id = actor_id
        self.result = result
        self.evict: list[int] = []
        self.managed_all: set[int] | None = None  # departments the directory manages

    async def _audit(self, action: str, target_type: str, target_id: int, **details: Any) -> None:
        await audit.record(
            self.uow,
            organization_id=self.organization.id,
            actor_id=self.actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details={**details, "source": "ldap"},
        )

    # -- departments -----------------------------------------------------------------------------

    async def units(self, units: list[dl.Unit]) -> dict[dl.DnKey, int]:
        """Create, rename and move the departments of the units; the department of each unit key."""
        organization_id = self.organization.id
        links = await store.units_of(self.conn, organization_id)
        by_key: dict[dl.DnKey, int] = {}
        for unit in sorted(units, key=lambda u: len(u.key)):
            parent_key = max((k for k in by_key if dl.below(unit.key, k)), key=len, default=None)
            parent_id = by_key[parent_key] if parent_key is not None else None
            link = links.get(unit.stable_id)
            try:
                if link is not None:
                    department = await directory_store.get_department(
                        self.conn, organization_id, link.department_id
                    )
                    assert department is not None  # a deleted department takes its link with it
                    if (department.name, department.parent_id) != (unit.name, parent_id):
                        wanted = {"name": unit.name, "parent_id": parent_id}
                        _, changed = await self.directory.update_in(
                            self.uow, self.organization, department, wanted, by=self.by
                        )
                        if changed:
                            self.result.departments_updated += 1
                            await self._audit("department.update", "department", department.id, **changed)
                    if link.dn != unit.dn:
                        await store.update_unit(self.conn, organization_id, unit.stable_id, unit.dn)
                    department_id = department.id
                else:
                    department_id = await self._new_department(unit, parent_id)
            except (Invalid, Conflict) as exc:
                self.result.problem(exc.code, exc.message, unit.dn)
                continue
            by_key[unit.key] = department_id
        return by_key

    async def _new_department(self, unit: dl.Unit, parent_id: int | None) -> int:
        organization_id = self.organization.id
        name = text.clean_name(unit.name, field="department name")
        adopted = None
        linked = {row.department_id for row in (await store.units_of(self.conn, organization_id)).values()}
        for row in await directory_store.list_departments(self.conn, organization_id):
            if row.parent_id == parent_id and row.name == name and row.id not in linked:
                adopted = row.id
                break
        if adopted is None:
            view = await self.directory.create_in(
                self.uow, self.organization, name=name, parent_id=parent_id, sort_order=0, by=self.by
            )
            adopted = int(view["id"])
            self.result.departments_created += 1
            await self._audit("department.create", "department", adopted, name=name)
        await store.insert_unit(
            self.conn,
            {
                "organization_id": organization_id,
                "stable_id": unit.stable_id,
                "department_id": adopted,
                "dn": unit.dn,
            },
        )
        return adopted

    async def gone_units(self, units: list[dl.Unit]) -> None:
        """Units no longer in the directory: an empty department goes, another stays unlinked."""
        organization_id = self.organization.id
        present = {unit.stable_id for unit in units}
        links = await store.units_of(self.conn, organization_id)
        # Deepest first, so that a gone subtree empties from its leaves up.
        rows = await directory_store.get_departments(
            self.conn, organization_id, [link.department_id for link in links.values()]
        )
        gone = sorted(
            (link for link in links.values() if link.stable_id not in present),
            key=lambda link: -rows[link.department_id].depth if link.department_id in rows else 0,
        )
        for link in gone:
            department = await directory_store.get_department(self.conn, organization_id, link.department_id)
            await store.delete_unit(self.conn, organization_id, link.stable_id)
            if department is None:
                continue
            if department.member_count > 0 or await directory_store.has_children(self.conn, department.id):
                self.result.problem(
                    "DEPARTMENT_KEPT",
                    f"The unit of department {department.name} is gone but the department is not empty; "
                    "it is kept and no longer synced.",
                    link.dn,
                )
                continue
            await directory_store.delete_department(self.conn, department.id)
            emit_to_org(
                self.uow,
                self.organization,
                DepartmentDeleted(id=department.id, organization_id=organization_id),
            )
            self.result.departments_deleted += 1
            await self._audit("department.delete", "department", department.id, name=department.name)

    # -- people ----------------------------------------------------------------------------------

    async def people(
        self, people: list[dl.Person], entries: dict[str, Row[Any]], units: dict[dl.DnKey, int]
    ) -> None:
        seen: set[str] = set()
        for person in people:
            if person.stable_id in seen:
                continue
            seen.add(person.stable_id)
            unit_key = max((k for k in units if dl.below(person.key, k)), key=len, default=None)
            department_id = units[unit_key] if unit_key is not None else None
            try:
                entry = entries.get(person.stable_id)
                if entry is None:
                    await self._add(person, department_id)
                else:
                    await self._update(person, entry, department_id)
            except (Invalid, Conflict) as exc:
                self.result.problem(exc.code, exc.message, person.dn)
        for stable_id, entry in entries.items():
            if stable_id not in seen and entry.state != "gone":
                await self._end(entry, "gone")

    def _profile(self, person: dl.Person) -> dict[str, Any]:
        """The member fields the directory sets (empty mapped values clear them)."""
        mapping_values: dict[str, Any] = {}
        if person.name:
            mapping_values["name"] = text.clean_name(person.name, field="name")
        mapping_values["title"] = person.title
        mapping_values["employee_no"] = person.employee_no
        try:
            mapping_values["work_phone"] = text.normalize_phone(person.phone)
        except Invalid:
            mapping_values["work_phone"] = None
        return mapping_values

    async def _add(self, person: dl.Person, department_id: int | None) -> None:
        if person.disabled:
            return  # a disabled entry seen for the first time: nobody to create
        if not person.username:
            raise Invalid("The entry has no username attribute.", code="NO_USERNAME")
        username = text.normalize_username(person.username)
        name = text.clean_name(person.name or username, field="display name")
        if await user_store.get_ids_by_usernames(self.conn, {username}):
            raise Conflict(
                f"The username {username} belongs to an account the directory did not create; "
                "rename one of them.",
                code="USERNAME_TAKEN",
            )
        email = phone = None
        try:
            email = text.normalize_email(person.email)
            phone = text.normalize_phone(person.phone)
        except Invalid:
            pass
        if email and await user_store.get_user_by_contact(self.conn, None, email) is not None:
            email = None
        if phone and await user_store.get_user_by_contact(self.conn, phone, None) is not None:
            phone = None
        now = now_ms()
        try:
            user_id = await user_store.insert_user(
                self.conn,
                {
                    "username": username,
                    "display_name": name,
                    "email": email,
                    "phone": phone,
                    "password_hash": NO_PASSWORD,
                    "is_admin": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        except UniqueViolation as exc:  # a unique column checked above: only a concurrent sign-up
            raise Conflict(f"The username {username} was just taken.", code="USERNAME_TAKEN") from exc
        await store.insert_entry(
            self.conn,
            {
                "organization_id": self.organization.id,
                "stable_id": person.stable_id,
                "user_id": user_id,
                "dn": person.dn,
                "state": "active",
                "created_at": now,
                "synced_at": now,
            },
        )
        await self.organizations.admit(
            self.uow, self.organization, user_id, role="member", by=self.by, now=now
        )
        await self._set_profile(user_id, person, username, fresh=True)
        await self._seat(user_id, department_id)
        self.result.added += 1
        await self._audit("member.ldap_add", "user", user_id, username=username, dn=person.dn)

    async def _update(self, person: dl.Person, entry: Row[Any], department_id: int | None) -> None:
        user_id = entry.user_id
        account = await user_store.get_user(self.conn, user_id)
        if account is None or account.deleted_at is not None:
            return  # the person deleted their account: the link stays, nothing to sync
        if person.disabled:
            if entry.state != "disabled":
                await self._end(entry, "disabled")
            return
        member = await org_store.get_member(self.conn, self.organization.id, user_id)
        back = entry.state != "active"
        if not back and (member is None or member.status != "active"):
            # An admin removed or deactivated this member by hand: that decision stands until an
            # admin undoes it (the sync brings back only whom the sync itself took out).
            if entry.dn != person.dn:
                await store.update_entry(self.conn, entry.id, {"dn": person.dn, "synced_at": now_ms()})
            return
        if back and not account.is_active:
            await user_store.update_user(self.conn, user_id, {"is_active": True, "updated_at": now_ms()})
        if member is None:
            await self.organizations.admit(
                self.uow, self.organization, user_id, role="member", by=self.by, now=now_ms()
            )
            back = True
        elif member.status != "active":
            await self.organizations.reactivate_in(
                self.uow, self.organization, user_id, member.role, by=self.by
            )
            back = True
        values: dict[str, Any] = {}
        if entry.dn != person.dn:
            values["dn"] = person.dn
        if entry.state != "active":
            values["state"] = "active"
        if values:
            await store.update_entry(self.conn, entry.id, {**values, "synced_at": now_ms()})
        username = account.username
        if person.username:
            try:
                wanted = text.normalize_username(person.username)
            except Invalid:
                wanted = username
            if wanted != username:
                if await user_store.get_ids_by_usernames(self.conn, {wanted}):
                    self.result.problem(
                        "USERNAME_TAKEN",
                        f"The username {wanted} is taken; the account keeps {username}.",
                        person.dn,
                    )
                else:
                    await user_store.update_user(
                        self.conn, user_id, {"username": wanted, "updated_at": now_ms()}
                    )
                    username = wanted
                    renamed = await user_store.get_user(self.conn, user_id)
                    self.uow.emit(UserUpdated(**public_user(renamed)), to_users(user_id))
                    self.evict.append(user_id)  # the cached session carries the username
        changed = await self._set_profile(user_id, person, username, fresh=False)
        if username != account.username:
            changed = True
        moved = await self._seat(user_id, department_id)
        if back:
            self.result.reactivated += 1
            await self._audit("member.reactivate", "user", user_id, dn=person.dn)
        elif moved:
            self.result.moved += 1
            await self._audit(
                "member.departments", "user", user_id, department_ids=sorted(filter(None, [department_id]))
            )
        elif changed:
            self.result.updated += 1

    async def _set_profile(self, user_id: int, person: dl.Person, username: str, *, fresh: bool) -> bool:
        member = await org_store.get_member(self.conn, self.organization.id, user_id)
        assert member is not None
        wanted = self._profile(person)
        number = wanted.get("employee_no")
        if number and number != member.employee_no and await self._employee_no_taken(number, user_id):
            self.result.problem("EMPLOYEE_NO_TAKEN", f"The employee number {number} is taken.", person.dn)
            wanted.pop("employee_no")
        values = {k: v for k, v in wanted.items() if getattr(member, k) != v}
        account = await user_store.get_user(self.conn, user_id)
        assert account is not None
        if "name" in wanted and account.display_name != wanted["name"]:
            await user_store.update_user(
                self.conn, user_id, {"display_name": wanted["name"], "updated_at": now_ms()}
            )
            self.uow.emit(_user_updated(account, wanted["name"], username), to_users(user_id))
            self.evict.append(user_id)  # the cached session carries the display name
        name = values.get("name", member.name)
        key = member_key(name, username, values.get("employee_no", member.employee_no))
        if key != member.search_key:
            values["search_key"] = key
        if not values:
            return False
        await org_store.update_member(
            self.conn, self.organization.id, user_id, {**values, "updated_at": now_ms()}
        )
        emit_to_org(
            self.uow,
            self.organization,
            OrgMemberUpdated(user_id=user_id, organization_id=self.organization.id),
        )
        return not fresh

    async def _employee_no_taken(self, number: str, user_id: int) -> bool:
        query = select(org_members.c.user_id).where(
            org_members.c.organization_id == self.organization.id,
            org_members.c.employee_no == number,
            org_members.c.user_id != user_id,
        )
        return (await self.conn.execute(query)).first() is not None

    async def _seat(self, user_id: int, department_id: int | None) -> bool:
        """Seat the person in the department of their unit, out of other managed departments;
        whether anything changed. Seats in departments the directory does not manage stay."""
        organization_id = self.organization.id
        seats = await directory_store.memberships_of(self.conn, organization_id, [user_id])
        if self.managed_all is None:  # every linked department, after units() linked the new ones
            links = await store.units_of(self.conn, organization_id)
            self.managed_all = {link.department_id for link in links.values()}
        current = {seat.department_id for seat in seats if seat.department_id in self.managed_all}
        wanted = {department_id} if department_id is not None else set()
        if current == wanted:
            return False
        rows = await directory_store.get_departments(self.conn, organization_id, sorted(current | wanted))
        for leaving in current - wanted:
            await self.directory.unseat_in(self.uow, rows[leaving], user_id, by=self.by)
        for entering in wanted - current:
            await self.directory.seat_in(self.uow, rows[entering], user_id, by=self.by)
        emit_to_org(
            self.uow, self.organization, OrgMemberUpdated(user_id=user_id, organization_id=organization_id)
        )
        return True

    async def _end(self, entry: Row[Any], state: str) -> None:
        """The entry is disabled or gone: deactivate the membership and the account it made."""
        user_id = entry.user_id
        await store.update_entry(self.conn, entry.id, {"state": state, "synced_at": now_ms()})
        member = await org_store.get_member(self.conn, self.organization.id, user_id)
        if member is not None and member.status == "active":
            if member.role == "owner":
                self.result.problem(
                    "OWNER_KEPT", "The organization's owner is not deactivated by the directory.", entry.dn
                )
                return
            await self.organizations.depart(self.uow, self.organization, user_id, by=self.by, keep_row=True)
        account = await user_store.get_user(self.conn, user_id)
        if account is not None and account.is_active and account.deleted_at is None:
            await user_store.update_user(self.conn, user_id, {"is_active": False, "updated_at": now_ms()})
            for session_id in await user_store.delete_user_sessions(self.conn, user_id):
                self.uow.emit(SessionRevoked(session_id=session_id), to_users(user_id))
            self.evict.append(user_id)
        self.result.deactivated += 1
        await self._audit("member.deactivate", "user", user_id, reason=state, dn=entry.dn)


def _user_updated(account: Row[Any], name: str, username: str) -> UserUpdated:
    view = public_user(account)
    return UserUpdated(**{**view, "display_name": name, "username": username})
