"""Approvals (审批): templates in versions, requests routed through flows, every action recorded.

Templates: an admin designs a form and a flow; any change to either (or to the settings) is a new
immutable version, and a request keeps the version it was made with. Every organization starts
with the built-in templates (domain/approvals/builtin.py) and the roles they name (人事, 财务),
installed on first use.

Requests: the flow is resolved when the request is submitted (and again when it is resubmitted
after a return), from the applicant's department tree as it is then; its steps and their tasks
(one per approver) are rows. An action loads the request's state — holding the request's row on
PostgreSQL, SQLite's writers taking turns anyway — applies one pure transition
(domain/approvals/machine.py) and writes the rows that changed, each with a conditional UPDATE
on its old status: a task moves once, by one actor, and a request ends once.

Who sees a request: its applicant, everyone it has reached as an approver or a copy, and the
organization's admins; to anyone else it does not exist (404). Approvers and copies do not see
the fields marked hidden from approvers.

What people are told: approvers get a work notice (工作通知) card with 同意 / 拒绝 buttons when
their step starts, the applicant one when the request ends or is returned, the people copied one
when they are copied; the texts are Chinese, like the other notices the server writes.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import clock, mentions, text
from lakeside.domain.approvals import builtin, fields, flows, machine
from lakeside.domain.events import to_conversation, to_users
from lakeside.domain.events.approvals import ApprovalTemplateUpdated, ApprovalUpdated
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from lakeside.services import audit, work_notices
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.ding import Dings
from lakeside.services.orgaccess import access_org, is_manager
from lakeside.store import approvals as store
from lakeside.store import directory as directory_store
from lakeside.store import files as file_store
from lakeside.store import organizations as org_store

MAX_PAGE = 100
MAX_EXPORT = 10_000
URGE_INTERVAL_MS = 10 * 60 * 1000
HOUR_MS = 3_600_000
STATUS_NAMES = {
    "pending": "审批中",
    "approved": "已通过",
    "rejected": "已拒绝",
    "returned": "已退回",
    "withdrawn": "已撤销",
}


def _not_found() -> NotFound:
    return NotFound("No such approval.", code="APPROVAL_NOT_FOUND")


def _template_not_found() -> NotFound:
    return NotFound("No such approval template.", code="APPROVAL_TEMPLATE_NOT_FOUND")


def _not_pending(message: str) -> Conflict:
    return Conflict(message, code="APPROVAL_NOT_PENDING")


def _avatar(row: Row[Any] | None) -> str | None:
    return f"/api/v1/files/{row.avatar_file_id}" if row is not None and row.avatar_file_id else None


def template_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "name": row.name,
        "description": row.description,
        "icon": row.icon,
        "group": row.group_name,
        "builtin": row.builtin,
        "enabled": row.enabled,
        "version": row.version,
        "version_id": row.version_id,
        "form": store.loads(row.form),
        "flow": store.loads(row.flow),
        "settings": store.loads(row.settings),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


class _Loaded:
    """A request as an action sees it: its row, its version, the machine's state, and the rows'
    statuses before the action (what the conditional UPDATEs expect)."""

    def __init__(
        self, request: Row[Any], version: Row[Any], steps: list[Row[Any]], tasks: dict[int, list[Row[Any]]]
    ):
        self.request = request
        self.version = version
        self.form = store.loads(version.form)
        self.settings = store.loads(version.settings)
        self.values = store.loads(request.values)
        self.step_rows = {row.id: row for row in steps}
        self.task_rows = {row.id: row for rows in tasks.values() for row in rows}
        self.state = machine.State(
            applicant_id=request.applicant_id,
            status=request.status,
            auto_applicant=bool(self.settings.get("auto_approve_applicant", True)),
            auto_repeat=bool(self.settings.get("auto_approve_repeat", True)),
            steps=[
                machine.Step(
                    id=row.id,
                    name=row.name,
                    mode=row.mode,
                    status=row.status,
                    origin=row.origin,
                    cc=store.loads(row.cc),
                    tasks=[
                        machine.Task(
                            id=task.id,
                            user_id=task.user_id,
                            status=task.status,
                            comment=task.comment,
                            acted_at=task.acted_at,
                        )
                        for task in tasks[row.id]
                    ],
                )
                for row in steps
            ],
        )


class Approvals:
    def __init__(self, ctx: Context, dings: Dings) -> None:
        self.ctx = ctx
        self.dings = dings

    @property
    def zone(self) -> str:
        return self.ctx.settings.work_timezone

    # -- roles ------------------------------------------------------------------------------------

    async def _role_view(self, conn: AsyncConnection, organization_id: int, role: Row[Any]) -> dict[str, Any]:
        member_ids = (await store.role_members(conn, organization_id, [role.id]))[role.id]
        people = await self._people(conn, organization_id, member_ids)
        return {
            "id": role.id,
            "organization_id": role.organization_id,
            "name": role.name,
            "members": [people[uid] for uid in member_ids if uid in people],
            "created_at": role.created_at,
        }

    async def list_roles(self, user: AuthUser, organization_id: int) -> list[dict[str, Any]]:
        await self._ensure_installed(user, organization_id)
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            return [
                await self._role_view(conn, organization_id, r)
                for r in await store.list_roles(conn, organization_id)
            ]

    async def _check_members(
        self, conn: AsyncConnection, organization_id: int, user_ids: list[int]
    ) -> list[int]:
        user_ids = list(dict.fromkeys(user_ids))
        active = await org_store.active_among(conn, organization_id, user_ids)
        missing = [uid for uid in user_ids if uid not in active]
        if missing:
            raise NotFound("No such member.", code="MEMBER_NOT_FOUND", user_id=missing[0])
        return user_ids

    async def do_create_role(
        self, user: AuthUser, organization_id: int, name: str, user_ids: list[int]
    ) -> dict[str, Any]:
        name = _clean_line(name, "name", 32)
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True)
            if await store.role_named(uow.conn, organization_id, name) is not None:
                raise Conflict("A role has that name.", code="ROLE_EXISTS")
            user_ids = await self._check_members(uow.conn, organization_id, user_ids)
            role_id = await store.insert_role(uow.conn, organization_id, name, now_ms())
            await store.set_role_members(uow.conn, organization_id, role_id, user_ids)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="approval_role.create",
                target_type="approval_role",
                target_id=role_id,
                details={"name": name, "user_ids": user_ids},
            )
            role = await store.get_role(uow.conn, organization_id, role_id)
            assert role is not None
            return await self._role_view(uow.conn, organization_id, role)

    async def _access_role(
        self, conn: AsyncConnection, user: AuthUser, organization_id: int, role_id: int
    ) -> Row[Any]:
        await access_org(conn, user.id, organization_id, admin=True)
        role = await store.get_role(conn, organization_id, role_id)
        if role is None:
            raise NotFound("No such role.", code="ROLE_NOT_FOUND")
        return role

    async def do_rename_role(
        self, user: AuthUser, organization_id: int, role_id: int, name: str
    ) -> dict[str, Any]:
        name = _clean_line(name, "name", 32)
        async with self.ctx.transaction() as uow:
            role = await self._access_role(uow.conn, user, organization_id, role_id)
            other = await store.role_named(uow.conn, organization_id, name)
            if other is not None and other.id != role_id:
                raise Conflict("A role has that name.", code="ROLE_EXISTS")
            await store.rename_role(uow.conn, role_id, name)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="approval_role.update",
                target_type="approval_role",
                target_id=role_id,
                details={"name": name, "was": role.name},
            )
            role = await store.get_role(uow.conn, organization_id, role_id)
            assert role is not None
            return await self._role_view(uow.conn, organization_id, role)

    async def do_set_role_members(
        self, user: AuthUser, organization_id: int, role_id: int, user_ids: list[int]
    ) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            role = await self._access_role(uow.conn, user, organization_id, role_id)
            user_ids = await self._check_members(uow.conn, organization_id, user_ids)
            await store.set_role_members(uow.conn, organization_id, role_id, user_ids)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="approval_role.update",
                target_type="approval_role",
                target_id=role_id,
                details={"name": role.name, "user_ids": user_ids},
            )
            return await self._role_view(uow.conn, organization_id, role)

    async def do_delete_role(self, user: AuthUser, organization_id: int, role_id: int) -> None:
        async with self.ctx.transaction() as uow:
            role = await self._access_role(uow.conn, user, organization_id, role_id)
            named = await store.templates_naming_role(uow.conn, organization_id, role_id)
            if named:
                raise Conflict(
                    f"The template {named[0]} names this role.", code="ROLE_IN_USE", template=named[0]
                )
            await store.delete_role(uow.conn, role_id)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="approval_role.delete",
                target_type="approval_role",
                target_id=role_id,
                details={"name": role.name},
            )

    # -- templates --------------------------------------------------------------------------------

    async def _ensure_installed(self, user: AuthUser, organization_id: int) -> None:
        """The built-in templates and their roles, made the first time the organization's approvals
        are looked at (by a member)."""
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            if await store.count_templates(conn, organization_id):
                return
        async with self.ctx.transaction() as uow:
            await self.install_builtins(uow, organization_id, actor_id=None)

    async def install_builtins(
        self, uow: UnitOfWork, organization_id: int, *, actor_id: int | None
    ) -> list[int]:
        """Make the built-in templates (and the 人事 and 财务 roles) unless the organization has
        templates already; the organization's row is held so that two first looks make them once."""
        await org_store.get_organization(uow.conn, organization_id, for_update=True)
        if await store.count_templates(uow.conn, organization_id):
            return []
        now = now_ms()
        role_ids = []
        for name in (builtin.HR_ROLE, builtin.FINANCE_ROLE):
            role = await store.role_named(uow.conn, organization_id, name)
            role_ids.append(
                role.id if role is not None else await store.insert_role(uow.conn, organization_id, name, now)
            )
        made = []
        for spec in builtin.templates(*role_ids):
            made.append(await self._insert_template(uow.conn, organization_id, actor_id, spec, now))
        return made

    async def _insert_template(
        self,
        conn: AsyncConnection,
        organization_id: int,
        actor_id: int | None,
        spec: dict[str, Any],
        now: int,
    ) -> int:
        template_id = await store.insert_template(
            conn,
            {
                "organization_id": organization_id,
                "name": spec["name"],
                "description": spec.get("description", ""),
                "icon": spec.get("icon", ""),
                "group_name": spec.get("group", ""),
                "builtin": spec.get("builtin"),
                "enabled": True,
                "version": 1,
                "created_by": actor_id,
                "created_at": now,
                "updated_at": now,
            },
        )
        version_id = await self._insert_version(conn, organization_id, template_id, 1, spec, actor_id, now)
        await store.update_template(conn, template_id, {"version_id": version_id})
        return template_id

    @staticmethod
    async def _insert_version(
        conn: AsyncConnection,
        organization_id: int,
        template_id: int,
        version: int,
        spec: dict[str, Any],
        actor_id: int | None,
        now: int,
    ) -> int:
        return await store.insert_version(
            conn,
            {
                "template_id": template_id,
                "organization_id": organization_id,
                "version": version,
                "form": store.dumps(spec["form"]),
                "flow": store.dumps(spec["flow"]),
                "settings": store.dumps(spec["settings"]),
                "created_by": actor_id,
                "created_at": now,
            },
        )

    async def _check_definition(
        self, conn: AsyncConnection, organization_id: int, form: dict[str, Any], flow: dict[str, Any]
    ) -> None:
        fields.check_form(form)
        flows.check_flow(flow, form)
        user_ids, role_ids, department_ids = flows.referenced(flow)
        active = await org_store.active_among(conn, organization_id, sorted(user_ids))
        if user_ids - active:
            raise NotFound("No such member.", code="MEMBER_NOT_FOUND", user_id=min(user_ids - active))
        for role_id in sorted(role_ids):
            if await store.get_role(conn, organization_id, role_id) is None:
                raise NotFound("No such role.", code="ROLE_NOT_FOUND", role_id=role_id)
        found = await directory_store.get_departments(conn, organization_id, sorted(department_ids))
        if department_ids - set(found):
            raise NotFound("No such department.", code="DEPARTMENT_NOT_FOUND")

    def _emit_template(self, uow: UnitOfWork, organization: Row[Any], row: Row[Any]) -> None:
        if organization.all_staff_conversation_id:
            uow.emit(
                ApprovalTemplateUpdated(
                    organization_id=row.organization_id,
                    template_id=row.id,
                    name=row.name,
                    enabled=row.enabled,
                    version=row.version,
                ),
                to_conversation(organization.all_staff_conversation_id),
            )

    async def do_create_template(
        self, user: AuthUser, organization_id: int, spec: dict[str, Any]
    ) -> dict[str, Any]:
        spec = {**spec, "name": _clean_line(spec["name"], "name", 64), "builtin": None}
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True)
            await self._check_definition(uow.conn, organization_id, spec["form"], spec["flow"])
            await self.install_builtins(uow, organization_id, actor_id=None)
            template_id = await self._insert_template(uow.conn, organization_id, user.id, spec, now_ms())
            row = await store.get_template(uow.conn, organization_id, template_id)
            assert row is not None
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="approval_template.create",
                target_type="approval_template",
                target_id=template_id,
                details={"name": row.name},
            )
            self._emit_template(uow, organization, row)
            return template_view(row)

    async def do_update_template(
        self, user: AuthUser, organization_id: int, template_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True)
            row = await store.get_template(uow.conn, organization_id, template_id)
            if row is None:
                raise _template_not_found()
            values: dict[str, Any] = {}
            for key, column in (
                ("name", "name"),
                ("description", "description"),
                ("icon", "icon"),
                ("group", "group_name"),
            ):
                if changes.get(key) is not None:
                    values[column] = _clean_line(changes[key], key, 64) if key == "name" else changes[key]
            if changes.get("enabled") is not None:
                values["enabled"] = bool(changes["enabled"])
            if any(changes.get(k) is not None for k in ("form", "flow", "settings")):
                current = template_view(row)
                spec = {
                    k: changes.get(k) if changes.get(k) is not None else current[k]
                    for k in ("form", "flow", "settings")
                }
                await self._check_definition(uow.conn, organization_id, spec["form"], spec["flow"])
                version = row.version + 1
                values["version_id"] = await self._insert_version(
                    uow.conn, organization_id, template_id, version, spec, user.id, now
                )
                values["version"] = version
            if values:
                await store.update_template(uow.conn, template_id, {**values, "updated_at": now})
                row = await store.get_template(uow.conn, organization_id, template_id)
                assert row is not None
                await audit.record(
                    uow,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="approval_template.update",
                    target_type="approval_template",
                    target_id=template_id,
                    details={"name": row.name, "version": row.version, "enabled": row.enabled},
                )
                self._emit_template(uow, organization, row)
            return template_view(row)

    async def list_templates(
        self, user: AuthUser, organization_id: int, *, everything: bool
    ) -> list[dict[str, Any]]:
        await self._ensure_installed(user, organization_id)
        async with self.ctx.db.read() as conn:
            _, me = await access_org(conn, user.id, organization_id)
            if everything and not is_manager(me):
                raise Forbidden("Only admins list disabled templates.", code="NOT_ORG_ADMIN")
            rows = await store.list_templates(conn, organization_id, enabled_only=not everything)
            return [template_view(row) for row in rows]

    async def get_template(self, user: AuthUser, organization_id: int, template_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            _, me = await access_org(conn, user.id, organization_id)
            row = await store.get_template(conn, organization_id, template_id)
            if row is None or (not row.enabled and not is_manager(me)):
                raise _template_not_found()
            return template_view(row)

    # -- resolving a flow -------------------------------------------------------------------------

    async def _directory(
        self, conn: AsyncConnection, organization_id: int, applicant_id: int, flow: dict[str, Any]
    ) -> tuple[flows.Directory, Row[Any] | None]:
        """What resolving ``flow`` for the applicant needs, and the applicant's department (their
        deepest one)."""
        seats = await directory_store.memberships_of(conn, organization_id, [applicant_id])
        department = None
        chain: list[list[int]] = []
        if seats:
            seat = seats[-1]  # ordered by depth: the deepest
            department = await directory_store.get_department(conn, organization_id, seat.department_id)
            if department is not None:
                ids = [int(part) for part in department.path.strip("/").split("/") if part]
                leaders = await directory_store.leaders_of(conn, ids)
                chain = [leaders.get(did, []) for did in reversed(ids)]
        _, role_ids, department_ids = flows.referenced(flow)
        directory = flows.Directory(
            applicant_id=applicant_id,
            leader_chain=chain,
            roles=await store.role_members(conn, organization_id, sorted(role_ids)),
            department_leaders=await directory_store.leaders_of(conn, sorted(department_ids)),
            admins=await org_store.admin_ids(conn, organization_id),
        )
        # Only active members approve: a departed leader is skipped like an empty level.
        everyone = set(directory.admins) | {u for level in chain for u in level}
        everyone |= {u for ids in directory.roles.values() for u in ids}
        everyone |= {u for ids in directory.department_leaders.values() for u in ids}
        active = await org_store.active_among(conn, organization_id, sorted(everyone))
        directory.leader_chain = [[u for u in level if u in active] for level in chain]
        directory.roles = {k: [u for u in v if u in active] for k, v in directory.roles.items()}
        directory.department_leaders = {
            k: [u for u in v if u in active] for k, v in directory.department_leaders.items()
        }
        directory.admins = [u for u in directory.admins if u in active]
        return directory, department

    async def _resolve(
        self,
        conn: AsyncConnection,
        organization_id: int,
        applicant_id: int,
        spec: dict[str, Any],
        values: dict[str, Any],
    ) -> tuple[flows.Resolved, Row[Any] | None]:
        directory, department = await self._directory(conn, organization_id, applicant_id, spec["flow"])
        resolved = flows.resolve(spec["flow"], spec["form"], values, directory)
        # A named person who left the organization is not asked.
        named = sorted(
            {u for s in resolved.steps for u in s.user_ids}
            | {u for s in resolved.steps for u in s.cc}
            | set(resolved.cc)
        )
        active = await org_store.active_among(conn, organization_id, named)
        for step in resolved.steps:
            step.user_ids = [u for u in step.user_ids if u in active] or [u for u in directory.admins[:1]]
            step.cc = [u for u in step.cc if u in active]
        resolved.cc = [u for u in resolved.cc if u in active]
        resolved.steps = [s for s in resolved.steps if s.user_ids]
        return resolved, department

    async def _check_values(
        self,
        conn: AsyncConnection,
        organization_id: int,
        applicant_id: int,
        form: dict[str, Any],
        values: Any,
    ) -> dict[str, Any]:
        people, departments, file_ids = fields.referenced_ids(form, values)
        members = await org_store.active_among(conn, organization_id, sorted(people))
        found = await directory_store.get_departments(conn, organization_id, sorted(departments))
        owned = set()
        for file_id in sorted(file_ids):
            if await file_store.get_owned_attachment(conn, file_id, applicant_id) is not None:
                owned.add(file_id)
        return fields.check_values(
            form, values, member_ids=set(members), department_ids=set(found), file_ids=owned
        )

    async def preview(
        self, user: AuthUser, organization_id: int, template_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            row = await store.get_template(conn, organization_id, template_id)
            if row is None or not row.enabled:
                raise _template_not_found()
            spec = template_view(row)
            errors: dict[str, str] = {}
            try:
                values = await self._check_values(conn, organization_id, user.id, spec["form"], values)
            except fields.FieldError as error:
                errors[error.field] = error.reason
                values = {}
            resolved, _ = await self._resolve(conn, organization_id, user.id, spec, values)
            ids = sorted({u for s in resolved.steps for u in s.user_ids} | set(resolved.cc))
            people = await self._people(conn, organization_id, ids)
        settings = spec["settings"]
        earlier: set[int] = set()
        steps = []
        for step in resolved.steps:
            auto: set[int] = set()
            if settings.get("auto_approve_applicant", True):
                auto.add(user.id)
            if settings.get("auto_approve_repeat", True):
                auto |= earlier
            skipped = (
                any(u in auto for u in step.user_ids)
                if step.mode == "any"
                else all(u in auto for u in step.user_ids)
            )
            steps.append(
                {
                    "name": step.name,
                    "mode": step.mode,
                    "approvers": [people[u] for u in step.user_ids if u in people],
                    "auto_approved": skipped,
                }
            )
            earlier |= set(step.user_ids)
        return {"steps": steps, "cc": [people[u] for u in resolved.cc if u in people], "errors": errors}

    # -- people and views -------------------------------------------------------------------------

    @staticmethod
    async def _people(
        conn: AsyncConnection, organization_id: int, user_ids: Iterable[int]
    ) -> dict[int, dict[str, Any]]:
        members = await org_store.get_members(conn, organization_id, sorted(set(user_ids)))
        return {
            uid: {"user_id": uid, "name": row.name, "avatar_url": _avatar(row)}
            for uid, row in members.items()
        }

    async def _summaries(
        self, conn: AsyncConnection, organization_id: int, rows: list[Row[Any]], viewer_id: int, manager: bool
    ) -> list[dict[str, Any]]:
        versions = await store.get_versions(conn, sorted({r.version_id for r in rows}))
        approvers = await store.pending_approvers(conn, [r.id for r in rows])
        names_needed = {r.applicant_id for r in rows} | {u for ids in approvers.values() for u in ids}
        forms = {vid: store.loads(v.form) for vid, v in versions.items()}
        values_of = {r.id: store.loads(r.values) for r in rows}
        for row in rows:
            for field in forms[row.version_id]["fields"]:
                if field["type"] == "people" and field["key"] in values_of[row.id]:
                    names_needed |= set(values_of[row.id][field["key"]])
        people = await self._people(conn, organization_id, names_needed)
        names = {uid: p["name"] for uid, p in people.items()}
        views = []
        for row in rows:
            form = forms[row.version_id]
            sees_hidden = manager or row.applicant_id == viewer_id
            values = values_of[row.id]
            summary = [
                {"label": f["label"], "text": fields.display(f, values[f["key"]], names)}
                for f in form["fields"]
                if f.get("summary")
                and f["key"] in values
                and (sees_hidden or not f.get("hidden_from_approvers"))
            ]
            views.append(
                {
                    "id": row.id,
                    "serial": row.serial,
                    "organization_id": row.organization_id,
                    "template_id": row.template_id,
                    "template_version": versions[row.version_id].version,
                    "template_name": row.title,
                    "applicant": people.get(row.applicant_id)
                    or {"user_id": row.applicant_id, "name": "", "avatar_url": None},
                    "department_id": row.department_id,
                    "department_name": row.department_name,
                    "status": row.status,
                    "summary": summary,
                    "current_approvers": [people[u] for u in approvers[row.id] if u in people],
                    "created_at": row.created_at,
                    "updated_at": row.updated_at,
                    "finished_at": row.finished_at,
                }
            )
        return views

    async def _detail(
        self, conn: AsyncConnection, organization_id: int, request_id: int, viewer: Row[Any]
    ) -> dict[str, Any]:
        request = await store.get_request(conn, organization_id, request_id)
        assert request is not None
        manager = is_manager(viewer)
        [view] = await self._summaries(conn, organization_id, [request], viewer.user_id, manager)
        version = (await store.get_versions(conn, [request.version_id]))[request.version_id]
        form = store.loads(version.form)
        values = store.loads(request.values)
        sees_hidden = manager or request.applicant_id == viewer.user_id
        steps = await store.steps_of(conn, request.id, request.round)
        tasks = await store.tasks_of(conn, [s.id for s in steps])
        ccs = await store.ccs_of(conn, request.id)
        history = await store.history_of(conn, request.id)
        ids = {t.user_id for ts in tasks.values() for t in ts} | {c.user_id for c in ccs}
        ids |= {h.actor_id for h in history if h.actor_id is not None}
        for field in form["fields"]:
            if field["type"] == "people" and field["key"] in values:
                ids |= set(values[field["key"]])
        people = await self._people(conn, organization_id, ids)
        my_task = next(
            (t for ts in tasks.values() for t in ts if t.user_id == viewer.user_id and t.status == "pending"),
            None,
        )
        pending = request.status == "pending"
        mine = request.applicant_id == viewer.user_id
        visible_values = fields.visible_values(form, values, sees_hidden=sees_hidden)
        visible_form = fields.visible_form(form, sees_hidden=sees_hidden)
        return {
            **view,
            "form": visible_form,
            "values": visible_values,
            "computed": fields.computed(visible_form, visible_values),
            "steps": [
                {
                    "id": step.id,
                    "position": index,
                    "name": step.name,
                    "mode": step.mode,
                    "origin": step.origin,
                    "status": step.status,
                    "tasks": [
                        {
                            "id": t.id,
                            "user_id": t.user_id,
                            "name": people.get(t.user_id, {}).get("name", ""),
                            "avatar_url": people.get(t.user_id, {}).get("avatar_url"),
                            "status": t.status,
                            "comment": t.comment,
                            "acted_at": t.acted_at,
                        }
                        for t in tasks[step.id]
                    ],
                }
                for index, step in enumerate(steps)
            ],
            "cc": [
                {
                    "user_id": c.user_id,
                    "name": people.get(c.user_id, {}).get("name", ""),
                    "read_at": c.read_at,
                }
                for c in ccs
            ],
            "history": [
                {
                    "id": h.id,
                    "action": h.action,
                    "actor_id": h.actor_id,
                    "actor_name": people.get(h.actor_id, {}).get("name") if h.actor_id else None,
                    "step_id": h.step_id,
                    "comment": h.comment,
                    "file_ids": store.loads(h.file_ids),
                    "data": store.loads(h.data),
                    "created_at": h.created_at,
                }
                for h in history
            ],
            "my_task_id": my_task.id if my_task is not None else None,
            "can": {
                "approve": my_task is not None and pending,
                "reject": my_task is not None and pending,
                "return": my_task is not None and pending,
                "transfer": my_task is not None and pending,
                "add_approver": my_task is not None and pending,
                "withdraw": mine and request.status in ("pending", "returned"),
                "resubmit": mine and request.status == "returned",
                "urge": mine and pending,
                "comment": True,
            },
        }

    async def _access(
        self,
        conn: AsyncConnection,
        user_id: int,
        organization_id: int,
        request_id: int,
        *,
        lock: bool = False,
    ) -> tuple[Row[Any], Row[Any], Row[Any]]:
        """The organization, the caller's membership and the request, if the caller may see it."""
        organization, me = await access_org(conn, user_id, organization_id)
        request = await store.get_request(conn, organization_id, request_id, for_update=lock)
        if request is None:
            raise _not_found()
        if (
            request.applicant_id != user_id
            and not is_manager(me)
            and not await store.is_participant(conn, request_id, user_id)
        ):
            raise _not_found()
        return organization, me, request

    async def get(self, user: AuthUser, organization_id: int, request_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            _, me, _ = await self._access(conn, user.id, organization_id, request_id)
            return await self._detail(conn, organization_id, request_id, me)

    async def do_mark_read(self, user: AuthUser, organization_id: int, request_id: int) -> None:
        """A copy is read once its person opens the request."""
        async with self.ctx.transaction() as uow:
            await self._access(uow.conn, user.id, organization_id, request_id)
            await store.mark_cc_read(uow.conn, request_id, user.id, now_ms())

    # -- submitting -------------------------------------------------------------------------------

    async def do_submit(
        self, user: AuthUser, organization_id: int, template_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        await self._ensure_installed(user, organization_id)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            _, me = await access_org(uow.conn, user.id, organization_id)
            row = await store.get_template(uow.conn, organization_id, template_id)
            if row is None or not row.enabled:
                raise _template_not_found()
            spec = template_view(row)
            values = await self._check_values(uow.conn, organization_id, user.id, spec["form"], values)
            resolved, department = await self._resolve(uow.conn, organization_id, user.id, spec, values)
            if not resolved.steps:
                raise Invalid(
                    "Nobody can approve this request (the organization has no admin).", code="NO_APPROVER"
                )
            request_id = await store.insert_request(
                uow.conn,
                {
                    "organization_id": organization_id,
                    "serial": secrets.token_hex(8),
                    "template_id": template_id,
                    "version_id": row.version_id,
                    "applicant_id": user.id,
                    "department_id": department.id if department is not None else None,
                    "department_name": department.name if department is not None else None,
                    "title": row.name,
                    "values": store.dumps(values),
                    "status": "pending",
                    "round": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await store.attach_files(
                uow.conn, organization_id, request_id, fields.files_in(spec["form"], values)
            )
            day = clock.local_date(now, self.zone)
            serial = f"{day:%Y%m%d}{request_id:06d}"
            await store.update_request(uow.conn, request_id, {"serial": serial})
            await store.add_history(
                uow.conn,
                {
                    "request_id": request_id,
                    "organization_id": organization_id,
                    "action": "submit",
                    "actor_id": user.id,
                    "created_at": now,
                },
            )
            await self._start_round(uow, organization_id, request_id, 1, resolved, now)
            return await self._after(uow, organization_id, request_id, me, "submit")

    async def _start_round(
        self,
        uow: UnitOfWork,
        organization_id: int,
        request_id: int,
        round_: int,
        resolved: flows.Resolved,
        now: int,
    ) -> None:
        for position, step in enumerate(resolved.steps):
            step_id = await store.insert_step(
                uow.conn,
                {
                    "request_id": request_id,
                    "organization_id": organization_id,
                    "round": round_,
                    "position": position,
                    "name": step.name,
                    "mode": step.mode,
                    "origin": "flow",
                    "status": machine.WAITING,
                    "cc": store.dumps(step.cc),
                },
            )
            for uid in step.user_ids:
                await store.insert_task(
                    uow.conn,
                    {
                        "request_id": request_id,
                        "step_id": step_id,
                        "organization_id": organization_id,
                        "user_id": uid,
                        "status": machine.WAITING,
                    },
                )
        await store.update_request(uow.conn, request_id, {"round": round_})
        # The flow's own copies (抄送 at the end) wait for the end; kept on the history's submit row.
        loaded = await self._load(uow.conn, organization_id, request_id)
        effects = machine.start(loaded.state, now)
        await self._persist(uow, loaded, effects, now, final_cc=resolved.cc)

    # -- loading and writing the state ------------------------------------------------------------

    async def _load(self, conn: AsyncConnection, organization_id: int, request_id: int) -> _Loaded:
        request = await store.get_request(conn, organization_id, request_id, for_update=True)
        if request is None:
            raise _not_found()
        version = (await store.get_versions(conn, [request.version_id]))[request.version_id]
        steps = await store.steps_of(conn, request.id, request.round)
        tasks = await store.tasks_of(conn, [s.id for s in steps])
        return _Loaded(request, version, steps, tasks)

    async def _persist(
        self,
        uow: UnitOfWork,
        loaded: _Loaded,
        effects: list[machine.Effect],
        now: int,
        *,
        final_cc: list[int] | None = None,
    ) -> None:
        """Write what the transition changed: every moved row only from the status it had."""
        conn = uow.conn
        request = loaded.request
        state = loaded.state
        settings = loaded.settings
        remind_hours = settings.get("remind_after_hours")
        for position, step in enumerate(state.steps):
            if step.id is None:
                step.id = await store.insert_step(
                    conn,
                    {
                        "request_id": request.id,
                        "organization_id": request.organization_id,
                        "round": request.round,
                        "position": position,
                        "name": step.name,
                        "mode": step.mode,
                        "origin": step.origin,
                        "status": step.status,
                        "cc": store.dumps(step.cc),
                        "started_at": now if step.status == machine.PENDING else None,
                        "remind_at": now + remind_hours * HOUR_MS
                        if remind_hours and step.status == machine.PENDING
                        else None,
                    },
                )
            else:
                old = loaded.step_rows[step.id]
                values: dict[str, Any] = {}
                if old.position != position:
                    values["position"] = position
                if old.status != step.status:
                    values["status"] = step.status
                    if step.status == machine.PENDING:
                        values["started_at"] = now
                        values["reminded_at"] = None
                        values["remind_at"] = now + remind_hours * HOUR_MS if remind_hours else None
                    elif step.status != machine.WAITING:
                        values["finished_at"] = now
                if values and not await store.update_step(conn, step.id, old.status, values):
                    raise _not_pending("The request changed meanwhile; try again.")
            for task in step.tasks:
                if task.id is None:
                    task.id = await store.insert_task(
                        conn,
                        {
                            "request_id": request.id,
                            "step_id": step.id,
                            "organization_id": request.organization_id,
                            "user_id": task.user_id,
                            "status": task.status,
                            "comment": task.comment,
                            "acted_at": task.acted_at,
                        },
                    )
                    continue
                old_task = loaded.task_rows[task.id]
                if old_task.status != task.status:
                    moved = await store.update_task(
                        conn,
                        task.id,
                        old_task.status,
                        {"status": task.status, "comment": task.comment, "acted_at": task.acted_at},
                    )
                    if not moved:
                        raise _not_pending("Someone acted on this request first.")
        request_values: dict[str, Any] = {"updated_at": now}
        if state.status != request.status:
            request_values["status"] = state.status
            if state.status in machine.FINAL:
                request_values["finished_at"] = now
        if not await store.update_request(conn, request.id, request_values, status=request.status):
            raise _not_pending("Someone acted on this request first.")
        await self._effects(uow, loaded, effects, now, final_cc or [])

    async def _effects(
        self, uow: UnitOfWork, loaded: _Loaded, effects: list[machine.Effect], now: int, final_cc: list[int]
    ) -> None:
        request = loaded.request
        state = loaded.state
        organization_id = request.organization_id
        for effect in effects:
            step = state.steps[effect.step] if effect.step is not None else None
            if effect.kind == "auto":
                for uid in effect.users:
                    await store.add_history(
                        uow.conn,
                        {
                            "request_id": request.id,
                            "organization_id": organization_id,
                            "action": "auto_approve",
                            "actor_id": uid,
                            "step_id": step.id if step else None,
                            "created_at": now,
                        },
                    )
            elif effect.kind == "started" and step is not None:
                await self._notify_approvers(uow, loaded, step, list(effect.users), now)
            elif effect.kind == "cc":
                await self._copy(uow, loaded, list(effect.users), step.id if step else None, now)
            elif effect.kind == "finished":
                if effect.status == machine.APPROVED:
                    cc = final_cc or await self._final_cc(uow.conn, loaded)
                    await self._copy(uow, loaded, cc, None, now)
                await store.add_history(
                    uow.conn,
                    {
                        "request_id": request.id,
                        "organization_id": organization_id,
                        "action": "finish",
                        "actor_id": None,
                        "data": {"status": effect.status},
                        "created_at": now,
                    },
                )
                if effect.status in (machine.APPROVED, machine.REJECTED):
                    reason = next(
                        (t.comment for s in state.steps for t in s.tasks if t.status == machine.REJECTED), ""
                    )
                    await self._notify_applicant(uow, loaded, effect.status, now, reason=reason)

    async def _final_cc(self, conn: AsyncConnection, loaded: _Loaded) -> list[int]:
        flow = store.loads(loaded.version.flow)
        if not flow.get("cc"):
            return []
        directory, _ = await self._directory(
            conn, loaded.request.organization_id, loaded.request.applicant_id, flow
        )
        form = store.loads(loaded.version.form)
        return flows.resolve(flow, form, loaded.values, directory).cc

    async def _copy(
        self, uow: UnitOfWork, loaded: _Loaded, user_ids: list[int], step_id: int | None, now: int
    ) -> None:
        request = loaded.request
        user_ids = [u for u in dict.fromkeys(user_ids) if u != request.applicant_id]
        if not user_ids:
            return
        await store.add_ccs(uow.conn, request.organization_id, request.id, user_ids, now)
        await store.add_history(
            uow.conn,
            {
                "request_id": request.id,
                "organization_id": request.organization_id,
                "action": "cc",
                "actor_id": None,
                "step_id": step_id,
                "data": {"user_ids": user_ids},
                "created_at": now,
            },
        )
        card = await self._card(
            uow.conn, loaded, f"{await self._name(uow.conn, request)}的{request.title}抄送给你", buttons=False
        )
        await work_notices.notify(
            uow,
            organization_id=request.organization_id,
            user_ids=user_ids,
            card=card,
            key=f"approval:{request.id}:cc",
            now=now,
        )

    async def _name(self, conn: AsyncConnection, request: Row[Any]) -> str:
        member = await org_store.get_member(conn, request.organization_id, request.applicant_id)
        return member.name if member is not None else ""

    async def _card(
        self, conn: AsyncConnection, loaded: _Loaded, title: str, *, buttons: bool, extra: str = ""
    ) -> dict[str, Any]:
        request = loaded.request
        form = loaded.form
        values = loaded.values
        names = {
            uid: p["name"]
            for uid, p in (
                await self._people(conn, request.organization_id, _people_in(form, values))
            ).items()
        }
        shown = [
            f
            for f in form["fields"]
            if f["key"] in values
            and not f.get("hidden_from_approvers")
            and f["type"] not in ("attachment", "image")
        ]
        key_fields = [f for f in shown if f.get("summary")] or shown[:3]
        lines = [f"**{title}**"]
        if extra:
            lines.append(extra)
        card_fields = [
            {
                "title": f["label"],
                "value": fields.display(f, values[f["key"]], names)[:500] or "-",
                "short": False,
            }
            for f in key_fields[:6]
        ]
        blocks: list[dict[str, Any]] = [
            {"type": "markdown", "text": "\n\n".join(lines)},
            {
                "type": "section",
                "title": f"审批编号 {request.serial}",
                "title_url": f"/#/approvals/{request.id}",
                "fields": card_fields,
            },
        ]
        base = f"/api/v1/orgs/{request.organization_id}/approvals/{request.id}"
        row_buttons: list[dict[str, Any]] = []
        if buttons:
            row_buttons += [
                {
                    "title": "同意",
                    "style": "primary",
                    "action": {"path": f"{base}/approve", "body": {"comment": ""}, "done": "已同意"},
                },
                {
                    "title": "拒绝",
                    "style": "danger",
                    "action": {"path": f"{base}/reject", "body": {"reason": "拒绝"}, "done": "已拒绝"},
                },
            ]
        row_buttons.append({"title": "查看详情", "url": f"/#/approvals/{request.id}"})
        blocks.append({"type": "buttons", "layout": "horizontal", "buttons": row_buttons})
        return {"sender_name": "审批", "blocks": blocks}

    async def _notify_approvers(
        self, uow: UnitOfWork, loaded: _Loaded, step: machine.Step, user_ids: list[int], now: int
    ) -> None:
        request = loaded.request
        name = await self._name(uow.conn, request)
        card = await self._card(uow.conn, loaded, f"{name}提交的{request.title}等待你审批", buttons=True)
        await work_notices.notify(
            uow,
            organization_id=request.organization_id,
            user_ids=user_ids,
            card=card,
            key=f"approval:{request.id}:step:{step.id}:{now}",
            now=now,
        )

    async def _notify_applicant(
        self, uow: UnitOfWork, loaded: _Loaded, status: str, now: int, reason: str = ""
    ) -> None:
        request = loaded.request
        words = {"approved": "已通过", "rejected": "已被拒绝", "returned": "已被退回，请修改后重新提交"}[
            status
        ]
        extra = f"原因：{reason}" if reason else ""
        card = await self._card(
            uow.conn, loaded, f"你提交的{request.title}{words}", buttons=False, extra=extra
        )
        await work_notices.notify(
            uow,
            organization_id=request.organization_id,
            user_ids=[request.applicant_id],
            card=card,
            key=f"approval:{request.id}:outcome:{status}:{now}",
            now=now,
        )

    async def _after(
        self, uow: UnitOfWork, organization_id: int, request_id: int, viewer: Row[Any], action: str
    ) -> dict[str, Any]:
        """The request's news to its participants, and the detail for the caller."""
        request = await store.get_request(uow.conn, organization_id, request_id)
        assert request is not None
        participants = await store.participant_ids(uow.conn, request_id) | {request.applicant_id}
        [summary] = await self._summaries(uow.conn, organization_id, [request], request.applicant_id, True)
        # The summary is the applicant's view; approvers must not read hidden fields in it.
        version = (await store.get_versions(uow.conn, [request.version_id]))[request.version_id]
        hidden = {f["label"] for f in store.loads(version.form)["fields"] if f.get("hidden_from_approvers")}
        summary = {**summary, "summary": [s for s in summary["summary"] if s["label"] not in hidden]}
        uow.emit(
            ApprovalUpdated(organization_id=organization_id, approval=summary, action=action),
            to_users(*sorted(participants)),
        )
        return await self._detail(uow.conn, organization_id, request_id, viewer)

    # -- actions ----------------------------------------------------------------------------------

    async def _act(
        self,
        user: AuthUser,
        organization_id: int,
        request_id: int,
        action: str,
        transition: Any,
        *,
        comment: str = "",
        data: dict[str, Any] | None = None,
        file_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            _, me, _ = await self._access(uow.conn, user.id, organization_id, request_id, lock=True)
            loaded = await self._load(uow.conn, organization_id, request_id)
            current = machine.current(loaded.state)
            step_id = loaded.state.steps[current].id if current is not None else None
            try:
                effects = transition(loaded.state, now)
            except machine.NotAllowed as error:
                raise _not_pending(str(error)) from None
            await store.add_history(
                uow.conn,
                {
                    "request_id": request_id,
                    "organization_id": organization_id,
                    "action": action,
                    "actor_id": user.id,
                    "step_id": step_id,
                    "comment": comment,
                    "file_ids": file_ids or [],
                    "data": data or {},
                    "created_at": now,
                },
            )
            await self._persist(uow, loaded, effects, now)
            if action == "return":
                await self._notify_applicant(uow, loaded, "returned", now, reason=comment)
            return await self._after(uow, organization_id, request_id, me, action)

    async def do_approve(
        self, user: AuthUser, organization_id: int, request_id: int, comment: str
    ) -> dict[str, Any]:
        comment = _clean_text(comment, "comment")
        return await self._act(
            user,
            organization_id,
            request_id,
            "approve",
            lambda state, now: machine.approve(state, user.id, now, comment),
            comment=comment,
        )

    async def do_reject(
        self, user: AuthUser, organization_id: int, request_id: int, reason: str
    ) -> dict[str, Any]:
        reason = _clean_text(reason, "reason")
        if not reason:
            raise Invalid("Say why.", code="REASON_REQUIRED")
        return await self._act(
            user,
            organization_id,
            request_id,
            "reject",
            lambda state, now: machine.reject(state, user.id, now, reason),
            comment=reason,
        )

    async def do_return(
        self, user: AuthUser, organization_id: int, request_id: int, comment: str
    ) -> dict[str, Any]:
        comment = _clean_text(comment, "comment")
        return await self._act(
            user,
            organization_id,
            request_id,
            "return",
            lambda state, now: machine.return_(state, user.id, now, comment),
            comment=comment,
        )

    async def do_withdraw(self, user: AuthUser, organization_id: int, request_id: int) -> dict[str, Any]:
        return await self._act(
            user,
            organization_id,
            request_id,
            "withdraw",
            lambda state, now: machine.withdraw(state, user.id, now),
        )

    async def do_transfer(
        self, user: AuthUser, organization_id: int, request_id: int, to: int, comment: str
    ) -> dict[str, Any]:
        comment = _clean_text(comment, "comment")
        async with self.ctx.db.read() as conn:
            _, me, _ = await self._access(conn, user.id, organization_id, request_id)
            await self._check_members(conn, organization_id, [to])
            # An approver who left the organization would hold the request for ever: an admin
            # hands their task on (when the admin has no task of their own at the step).
            holder = user.id
            if is_manager(me):
                waiting = (await store.pending_approvers(conn, [request_id]))[request_id]
                if user.id not in waiting:
                    active = await org_store.active_among(conn, organization_id, waiting)
                    departed = [uid for uid in waiting if uid not in active]
                    holder = departed[0] if departed else user.id
        return await self._act(
            user,
            organization_id,
            request_id,
            "transfer",
            lambda state, now: machine.transfer(state, holder, to, now, comment),
            comment=comment,
            data={"to": to} if holder == user.id else {"to": to, "from": holder},
        )

    async def do_add_approvers(
        self,
        user: AuthUser,
        organization_id: int,
        request_id: int,
        user_ids: list[int],
        position: str,
        mode: str,
        comment: str,
    ) -> dict[str, Any]:
        comment = _clean_text(comment, "comment")
        async with self.ctx.db.read() as conn:
            await self._access(conn, user.id, organization_id, request_id)
            user_ids = await self._check_members(conn, organization_id, user_ids)
        return await self._act(
            user,
            organization_id,
            request_id,
            "add_approver",
            lambda state, now: machine.add_approvers(state, user.id, user_ids, position, mode, now, comment),
            comment=comment,
            data={"user_ids": user_ids, "position": position, "mode": mode},
        )

    async def do_resubmit(
        self, user: AuthUser, organization_id: int, request_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            _, me, request = await self._access(uow.conn, user.id, organization_id, request_id, lock=True)
            if request.applicant_id != user.id or request.status != machine.RETURNED:
                raise _not_pending("Only the applicant resubmits a returned request.")
            version = (await store.get_versions(uow.conn, [request.version_id]))[request.version_id]
            spec = {
                "form": store.loads(version.form),
                "flow": store.loads(version.flow),
                "settings": store.loads(version.settings),
            }
            values = await self._check_values(uow.conn, organization_id, user.id, spec["form"], values)
            resolved, _ = await self._resolve(uow.conn, organization_id, user.id, spec, values)
            if not resolved.steps:
                raise Invalid(
                    "Nobody can approve this request (the organization has no admin).", code="NO_APPROVER"
                )
            await store.attach_files(
                uow.conn, organization_id, request_id, fields.files_in(spec["form"], values)
            )
            if not await store.update_request(
                uow.conn,
                request_id,
                {"values": store.dumps(values), "status": machine.PENDING, "updated_at": now},
                status=machine.RETURNED,
            ):
                raise _not_pending("The request changed meanwhile.")
            await store.add_history(
                uow.conn,
                {
                    "request_id": request_id,
                    "organization_id": organization_id,
                    "action": "resubmit",
                    "actor_id": user.id,
                    "created_at": now,
                },
            )
            await self._start_round(uow, organization_id, request_id, request.round + 1, resolved, now)
            return await self._after(uow, organization_id, request_id, me, "resubmit")

    async def do_comment(
        self, user: AuthUser, organization_id: int, request_id: int, body: str, file_ids: list[str]
    ) -> dict[str, Any]:
        body = _clean_text(body, "body", max_length=4000)
        if not body and not file_ids:
            raise Invalid("Write something or attach a file.", code="EMPTY_COMMENT")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            _, me, request = await self._access(uow.conn, user.id, organization_id, request_id)
            file_ids = list(dict.fromkeys(file_ids))
            for file_id in file_ids:
                if await file_store.get_owned_attachment(uow.conn, file_id, user.id) is None:
                    raise NotFound("No such file.", code="FILE_NOT_FOUND")
            await store.attach_files(uow.conn, organization_id, request_id, dict.fromkeys(file_ids, False))
            # @mentions: of the people the request concerns, and the members named by username.
            found = mentions.find_mentions(body)
            participants = await store.participant_ids(uow.conn, request_id) | {request.applicant_id}
            people_rows = await org_store.get_members(uow.conn, organization_id, sorted(participants))
            people = {uid: (row.username, row.name) for uid, row in people_rows.items()}
            mentioned = mentions.mentioned_ids(body, found.usernames, sorted(participants), people)
            mentioned.discard(user.id)
            await store.add_history(
                uow.conn,
                {
                    "request_id": request_id,
                    "organization_id": organization_id,
                    "action": "comment",
                    "actor_id": user.id,
                    "comment": body,
                    "file_ids": file_ids,
                    "data": {"mentions": sorted(mentioned)},
                    "created_at": now,
                },
            )
            if mentioned:
                loaded = await self._load(uow.conn, organization_id, request_id)
                card = await self._card(
                    uow.conn,
                    loaded,
                    f"{me.name}在{request.title}的评论中提到了你",
                    buttons=False,
                    extra=body[:500],
                )
                await work_notices.notify(
                    uow,
                    organization_id=organization_id,
                    user_ids=sorted(mentioned),
                    card=card,
                    key=f"approval:{request_id}:comment:{now}",
                    now=now,
                )
            await store.update_request(uow.conn, request_id, {"updated_at": now})
            return await self._after(uow, organization_id, request_id, me, "comment")

    async def do_urge(self, user: AuthUser, organization_id: int, request_id: int) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            _, me, request = await self._access(uow.conn, user.id, organization_id, request_id, lock=True)
            if request.applicant_id != user.id:
                raise Forbidden("Only the applicant urges the approvers.", code="NOT_APPLICANT")
            if request.status != machine.PENDING:
                raise _not_pending("The request is not waiting for approval.")
            if request.urged_at is not None and now - request.urged_at < URGE_INTERVAL_MS:
                retry = (request.urged_at + URGE_INTERVAL_MS - now) // 1000 + 1
                raise RateLimited(
                    "You urged them a moment ago.", retry_after=int(retry), code="URGED_RECENTLY"
                )
            approvers = (await store.pending_approvers(uow.conn, [request_id]))[request_id]
            recipients = [u for u in approvers if u != user.id]
            if not recipients:
                raise _not_pending("Nobody else is deciding it now.")
            ding_id = await self.dings.create(
                uow,
                organization_id=organization_id,
                sender_id=user.id,
                recipients=recipients,
                body=f"【催办】{me.name}提交的{request.title}（{request.serial}）等待你审批",
                message_id=None,
                conversation_id=None,
                announcement_id=None,
                send_at=None,
                now=now,
            )
            await store.update_request(uow.conn, request_id, {"urged_at": now})
            await store.add_history(
                uow.conn,
                {
                    "request_id": request_id,
                    "organization_id": organization_id,
                    "action": "urge",
                    "actor_id": user.id,
                    "data": {"user_ids": recipients, "ding_id": ding_id},
                    "created_at": now,
                },
            )
            return await self._after(uow, organization_id, request_id, me, "urge")

    # -- reminders --------------------------------------------------------------------------------

    async def remind_due(self, now: int, limit: int = 100) -> int:
        """Remind the approvers of steps pending past their template's remind_after_hours, once per
        step; the number of steps reminded."""
        async with self.ctx.db.read() as conn:
            due = await store.steps_to_remind(conn, now, limit)
        reminded = 0
        for row in due:
            async with self.ctx.transaction() as uow:
                if not await store.claim_reminder(uow.conn, row.id, now):
                    continue
                loaded = await self._load(uow.conn, row.organization_id, row.request_id)
                if loaded.request.status != machine.PENDING:
                    continue
                step = next((s for s in loaded.state.steps if s.id == row.id), None)
                if step is None:
                    continue
                users = [t.user_id for t in step.tasks if t.status == machine.PENDING]
                if not users:
                    continue
                name = await self._name(uow.conn, loaded.request)
                hours = loaded.settings.get("remind_after_hours")
                card = await self._card(
                    uow.conn,
                    loaded,
                    f"提醒：{name}提交的{loaded.request.title}已等待你审批超过{hours}小时",
                    buttons=True,
                )
                await work_notices.notify(
                    uow,
                    organization_id=row.organization_id,
                    user_ids=users,
                    card=card,
                    key=f"approval:{row.request_id}:remind:{row.id}",
                    now=now,
                )
                await store.add_history(
                    uow.conn,
                    {
                        "request_id": row.request_id,
                        "organization_id": row.organization_id,
                        "action": "remind",
                        "actor_id": None,
                        "step_id": row.id,
                        "data": {"user_ids": users},
                        "created_at": now,
                    },
                )
                reminded += 1
        return reminded

    # -- lists, export, statistics ----------------------------------------------------------------

    async def list(
        self,
        user: AuthUser,
        organization_id: int,
        box: str,
        filters: dict[str, Any],
        *,
        cursor: int | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int | None]:
        limit = max(1, min(limit, MAX_PAGE))
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            rows = await store.list_box(
                conn, organization_id, user.id, box, filters, cursor=cursor, limit=limit + 1
            )
            more = len(rows) > limit
            rows = rows[:limit]
            views = await self._summaries(conn, organization_id, rows, user.id, False)
        return views, (rows[-1].id if more and rows else None)

    async def export_csv(self, user: AuthUser, organization_id: int, filters: dict[str, Any]) -> str:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            template = await store.get_template(conn, organization_id, filters["template_id"])
            if template is None:
                raise _template_not_found()
            rows = await store.list_all(conn, organization_id, filters, MAX_EXPORT)
            versions = await store.get_versions(conn, sorted({r.version_id for r in rows}))
            # Columns: the fields of every version the rows use, current ones first, by key.
            columns: dict[str, dict[str, Any]] = {f["key"]: f for f in store.loads(template.form)["fields"]}
            for version in versions.values():
                for f in store.loads(version.form)["fields"]:
                    columns.setdefault(f["key"], f)
            values_of = {r.id: store.loads(r.values) for r in rows}
            people_ids = {r.applicant_id for r in rows}
            department_ids: set[int] = set()
            for r in rows:
                for f in columns.values():
                    value = values_of[r.id].get(f["key"])
                    if value is not None and f["type"] == "people":
                        people_ids |= set(value)
                    if value is not None and f["type"] == "department":
                        department_ids |= set(value)
            approvers = await store.pending_approvers(conn, [r.id for r in rows])
            people_ids |= {u for ids in approvers.values() for u in ids}
            names = {
                uid: p["name"] for uid, p in (await self._people(conn, organization_id, people_ids)).items()
            }
            departments = {
                d.id: d.name
                for d in (
                    await directory_store.get_departments(conn, organization_id, sorted(department_ids))
                ).values()
            }
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "审批编号",
                "模板",
                "申请人",
                "部门",
                "状态",
                "提交时间",
                "完成时间",
                *[_csv_cell(f["label"]) for f in columns.values()],
                "当前审批人",
            ]
        )
        for r in rows:
            values = values_of[r.id]
            # Every cell, not only the values: names, titles and departments are typed by members too.
            writer.writerow(
                [
                    _csv_cell(str(cell))
                    for cell in (
                        r.serial,
                        r.title,
                        names.get(r.applicant_id, ""),
                        r.department_name or "",
                        STATUS_NAMES.get(r.status, r.status),
                        _local(r.created_at, self.zone),
                        _local(r.finished_at, self.zone) if r.finished_at else "",
                        *[
                            fields.display(f, values[f["key"]], names, departments)
                            if f["key"] in values
                            else ""
                            for f in columns.values()
                        ],
                        "、".join(names.get(u, "") for u in approvers[r.id]),
                    )
                ]
            )
        return "\ufeff" + out.getvalue()

    async def stats(self, user: AuthUser, organization_id: int, filters: dict[str, Any]) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            by_status = await store.counts_by(conn, organization_id, "status", filters)
            by_template = await store.counts_by(conn, organization_id, "template_id", filters)
            average = await store.average_to_finish(conn, organization_id, filters)
            steps = await store.step_stats(conn, organization_id, filters)
            templates = {
                t.id: t.name for t in await store.list_templates(conn, organization_id, enabled_only=False)
            }
        return {
            "total": sum(row.count for row in by_status),
            "by_status": [
                {"key": row.key, "label": STATUS_NAMES.get(row.key, row.key), "count": row.count}
                for row in by_status
            ],
            "by_template": [
                {"key": str(row.key), "label": templates.get(row.key, ""), "count": row.count}
                for row in by_template
            ],
            "average_ms_to_finish": average,
            "per_step": [
                {
                    "template_id": row.template_id,
                    "template_name": templates.get(row.template_id, ""),
                    "step_name": row.name,
                    "decided": row.decided,
                    "average_ms": None if row.average_ms is None else int(row.average_ms),
                }
                for row in steps
            ],
        }


def _people_in(form: dict[str, Any], values: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    for field in form["fields"]:
        if field["type"] == "people" and field["key"] in values:
            found |= set(values[field["key"]])
    return found


def _local(ms: int, zone: str) -> str:
    return clock.local(ms, zone).strftime("%Y-%m-%d %H:%M")


def _csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _clean_line(value: str, field: str, max_length: int) -> str:
    return text.clean_name(value, field=field, max_length=max_length)


def _clean_text(value: str, field: str, *, max_length: int = 2000) -> str:
    if fields.UNSTORABLE.search(value):
        raise Invalid(f"{field} contains a NUL character or a lone surrogate.", code="INVALID_TEXT")
    value = value.strip()
    if len(value) > max_length:
        raise Invalid(f"{field} is too long.", code="TOO_LONG")
    return value
