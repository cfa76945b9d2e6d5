"""The directory: the department tree, who sits where (and who leads), member profiles and
search. The organization's external contacts are in ``contacts.py``.

The tree is stored as materialised paths (``/3/7/``), so a subtree, a move and "is this below
that" are single indexed queries. A person may sit in several departments. Each department has
its group (``org_groups``); putting someone in a department adds them to its group, taking them
out (or moving them) takes them out of it, in the same transaction. Search matches a stored key
(name, full pinyin, initials, username, employee number — see domain/pinyin.py) or the name of a
department the person sits in, with a LIKE inside the organization's rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import text
from lakeside.domain.events.enterprise import (
    DepartmentCreated,
    DepartmentDeleted,
    DepartmentUpdated,
    OrgMemberUpdated,
)
from lakeside.domain.pinyin import DEPARTMENT_KEY, like_pattern, search_key
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services import audit, org_groups
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.orgaccess import access_org, emit_to_org, is_manager, logo_url
from lakeside.services.organizations import member_key
from lakeside.store import directory as store
from lakeside.store import organizations as org_store
from lakeside.store.engine import UniqueViolation

MAX_DEPTH = 15
MAX_PAGE = 200


def department_view(row: Row[Any], leaders: list[int]) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "parent_id": row.parent_id,
        "name": row.name,
        "depth": row.depth,
        "sort_order": row.sort_order,
        "member_count": row.member_count,
        "leader_ids": leaders,
        "conversation_id": row.conversation_id,
    }


def member_view(
    row: Row[Any], seats: list[dict[str, Any]], *, viewer_id: int, viewer_is_admin: bool
) -> dict[str, Any]:
    """A colleague's profile; a hidden work phone shows only to the person and to admins."""
    private = viewer_is_admin or viewer_id == row.user_id
    return {
        "user_id": row.user_id,
        "username": row.username,
        "name": row.name,
        "display_name": row.display_name,
        "avatar_url": logo_url(row.avatar_file_id),
        "role": row.role,
        "status": row.status,
        "title": row.title,
        "employee_no": row.employee_no,
        "work_phone": row.work_phone if (private or not row.hide_phone) else None,
        "hide_phone": row.hide_phone,
        "email": row.email if private else None,
        "departments": seats,
        "joined_at": row.joined_at,
    }


def optional_name(value: str | None, field: str, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return text.clean_name(value, field=field, max_length=max_length)


class Directory:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- departments --------------------------------------------------------------------------

    async def list_departments(self, user: AuthUser, organization_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            rows = await store.list_departments(conn, organization_id)
            leaders = await store.leaders_of(conn, [row.id for row in rows])
        return [department_view(row, leaders.get(row.id, [])) for row in rows]

    async def _department(self, conn: AsyncConnection, organization_id: int, department_id: int) -> Row[Any]:
        row = await store.get_department(conn, organization_id, department_id)
        if row is None:
            raise NotFound("No such department.", code="DEPARTMENT_NOT_FOUND")
        return row

    async def do_create_department(
        self, user: AuthUser, organization_id: int, *, name: str, parent_id: int | None, sort_order: int
    ) -> dict[str, Any]:
        name = text.clean_name(name, field="department name")
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            view = await self.create_in(
                uow, organization, name=name, parent_id=parent_id, sort_order=sort_order, by=user.id
            )
            await _audit(uow, user, organization_id, "department.create", "department", view["id"], name=name)
        return view

    async def create_in(
        self,
        uow: UnitOfWork,
        organization: Row[Any],
        *,
        name: str,
        parent_id: int | None,
        sort_order: int,
        by: int,
    ) -> dict[str, Any]:
        """Create a department and its group inside the caller's transaction (an admin's request,
        a directory sync); ``name`` is cleaned already. Audit is the caller's."""
        now = now_ms()
        organization_id = organization.id
        parent = await self._department(uow.conn, organization_id, parent_id) if parent_id else None
        depth = parent.depth + 1 if parent is not None else 1
        if depth > MAX_DEPTH:
            raise Invalid(f"Departments nest at most {MAX_DEPTH} levels deep.", code="TOO_DEEP")
        if await store.sibling_named(uow.conn, organization_id, parent_id, name):
            raise Conflict("A department of that name is there already.", code="DEPARTMENT_EXISTS")
        conversation_id = await org_groups.create_group(
            uow,
            organization_id=organization_id,
            kind="department",
            title=name,
            actor_id=by,
            member_cap=self.ctx.settings.group_member_cap,
            now=now,
        )
        department_id = await store.insert_department(
            uow.conn,
            {
                "organization_id": organization_id,
                "parent_id": parent_id,
                "name": name,
                "search_key": search_key(name, limit=DEPARTMENT_KEY),
                "path": "",
                "depth": depth,
                "sort_order": sort_order,
                "conversation_id": conversation_id,
                "created_at": now,
                "updated_at": now,
            },
        )
        path = f"{parent.path if parent is not None else '/'}{department_id}/"
        await store.update_department(uow.conn, department_id, {"path": path})
        row = await self._department(uow.conn, organization_id, department_id)
        view = department_view(row, [])
        emit_to_org(uow, organization, DepartmentCreated(**view))
        return view

    async def do_update_department(
        self, user: AuthUser, organization_id: int, department_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            row = await self._department(uow.conn, organization_id, department_id)
            view, changed = await self.update_in(uow, organization, row, changes, by=user.id)
            if changed:
                await _audit(
                    uow, user, organization_id, "department.update", "department", department_id, **changed
                )
        return view

    async def update_in(
        self, uow: UnitOfWork, organization: Row[Any], row: Row[Any], changes: dict[str, Any], *, by: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Rename, reorder or move a department inside the caller's transaction: its view and what
        changed (for the caller's audit entry)."""
        now = now_ms()
        organization_id = organization.id
        department_id = row.id
        values: dict[str, Any] = {}
        parent_id = changes.get("parent_id", row.parent_id)
        name = text.clean_name(changes["name"], field="department name") if "name" in changes else row.name
        if (name, parent_id) != (row.name, row.parent_id) and await store.sibling_named(
            uow.conn, organization_id, parent_id, name, exclude_id=department_id
        ):
            raise Conflict("A department of that name is there already.", code="DEPARTMENT_EXISTS")
        if name != row.name:
            values.update(name=name, search_key=search_key(name, limit=DEPARTMENT_KEY))
            if row.conversation_id:
                await org_groups.rename(uow, row.conversation_id, name, by=by, now=now)
        if "sort_order" in changes:
            values["sort_order"] = changes["sort_order"]
        if parent_id != row.parent_id:
            await self._move(uow.conn, organization_id, row, parent_id)
            values["parent_id"] = parent_id
        if values:
            await store.update_department(uow.conn, department_id, {**values, "updated_at": now})
        row = await self._department(uow.conn, organization_id, department_id)
        leaders = await store.leaders_of(uow.conn, [department_id])
        view = department_view(row, leaders.get(department_id, []))
        emit_to_org(uow, organization, DepartmentUpdated(**view))
        changed = {k: v for k, v in values.items() if k in ("name", "parent_id", "sort_order")}
        return view, changed

    async def _move(
        self, conn: AsyncConnection, organization_id: int, row: Row[Any], parent_id: int | None
    ) -> None:
        if parent_id is None:
            new_path, new_depth = f"/{row.id}/", 1
        else:
            parent = await self._department(conn, organization_id, parent_id)
            if parent.path.startswith(row.path):
                raise Invalid("A department cannot move below itself.", code="INVALID_MOVE")
            new_path, new_depth = f"{parent.path}{row.id}/", parent.depth + 1
        below = await store.subtree(conn, organization_id, row.path)
        deepest = max(r.depth for r in below)
        if deepest - row.depth + new_depth > MAX_DEPTH:
            raise Invalid(f"Departments nest at most {MAX_DEPTH} levels deep.", code="TOO_DEEP")
        await store.move_subtree(conn, organization_id, row.path, new_path, new_depth - row.depth)

    async def do_delete_department(self, user: AuthUser, organization_id: int, department_id: int) -> None:
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            row = await self._department(uow.conn, organization_id, department_id)
            if row.member_count > 0 or await store.has_children(uow.conn, department_id):
                raise Conflict(
                    "Move its people and sub-departments out before deleting a department.",
                    code="DEPARTMENT_NOT_EMPTY",
                )
            await store.delete_department(uow.conn, department_id)
            await _audit(
                uow, user, organization_id, "department.delete", "department", department_id, name=row.name
            )
            emit_to_org(
                uow, organization, DepartmentDeleted(id=department_id, organization_id=organization_id)
            )

    # -- who sits where -----------------------------------------------------------------------

    async def list_department_members(
        self, user: AuthUser, organization_id: int, department_id: int
    ) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            _, me = await access_org(conn, user.id, organization_id)
            await self._department(conn, organization_id, department_id)
            seated = await store.department_member_ids(conn, department_id)
            rows = await org_store.get_members(conn, organization_id, sorted(seated))
            return await self._render(conn, organization_id, [rows[uid] for uid in sorted(rows)], me)

    async def do_seat(
        self, user: AuthUser, organization_id: int, department_id: int, target_id: int, *, is_leader: bool
    ) -> dict[str, Any]:
        """Put a member in a department (or change whether they lead it)."""
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            department = await self._department(uow.conn, organization_id, department_id)
            await self._active(uow.conn, organization_id, target_id)
            await self._seat(uow, department, target_id, is_leader, by=user.id)
            _emit_member_updated(uow, organization, target_id)
            await _audit(
                uow, user, organization_id, "department.seat", "user", target_id,
                department_id=department_id, department=department.name, is_leader=is_leader,
            )  # fmt: skip
        return await self.get_member(user, organization_id, target_id)

    async def do_unseat(
        self, user: AuthUser, organization_id: int, department_id: int, target_id: int
    ) -> None:
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            department = await self._department(uow.conn, organization_id, department_id)
            if not await self._unseat(uow, department, target_id, by=user.id):
                raise NotFound("That person is not in this department.", code="MEMBER_NOT_FOUND")
            _emit_member_updated(uow, organization, target_id)
            await _audit(
                uow, user, organization_id, "department.unseat", "user", target_id,
                department_id=department_id, department=department.name,
            )  # fmt: skip

    async def do_set_departments(
        self,
        user: AuthUser,
        organization_id: int,
        target_id: int,
        *,
        department_ids: list[int],
        leader_of: list[int],
    ) -> dict[str, Any]:
        """Set every department a member sits in at once (a move is one call): leaves the groups
        of departments left, joins the groups of departments entered."""
        if not set(leader_of) <= set(department_ids):
            raise Invalid("leader_of lists departments the person sits in.", code="INVALID_LEADER")
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            await self._active(uow.conn, organization_id, target_id)
            wanted = await store.get_departments(uow.conn, organization_id, sorted(set(department_ids)))
            missing = set(department_ids) - set(wanted)
            if missing:
                raise NotFound("No such department.", code="DEPARTMENT_NOT_FOUND", department_id=min(missing))
            current = {
                seat.department_id
                for seat in await store.memberships_of(uow.conn, organization_id, [target_id])
            }
            leaving = await store.get_departments(uow.conn, organization_id, sorted(current - set(wanted)))
            for department in leaving.values():
                await self._unseat(uow, department, target_id, by=user.id)
            for department_id, department in wanted.items():
                await self._seat(uow, department, target_id, department_id in leader_of, by=user.id)
            _emit_member_updated(uow, organization, target_id)
            await _audit(
                uow, user, organization_id, "member.departments", "user", target_id,
                department_ids=sorted(wanted), leader_of=sorted(set(leader_of)),
            )  # fmt: skip
        return await self.get_member(user, organization_id, target_id)

    async def seat_in(self, uow: UnitOfWork, department: Row[Any], user_id: int, *, by: int) -> None:
        """Seat a member (not as leader) inside the caller's transaction (a directory sync)."""
        await self._seat(uow, department, user_id, False, by=by)

    async def unseat_in(self, uow: UnitOfWork, department: Row[Any], user_id: int, *, by: int) -> bool:
        return await self._unseat(uow, department, user_id, by=by)

    async def _seat(
        self, uow: UnitOfWork, department: Row[Any], user_id: int, is_leader: bool, *, by: int
    ) -> None:
        seated = await store.department_member_ids(uow.conn, department.id)
        role = "admin" if is_leader else "member"
        if user_id not in seated:
            await store.add_department_member(
                uow.conn, department.organization_id, department.id, user_id, is_leader, now_ms()
            )
            if department.conversation_id:
                await org_groups.join(uow, department.conversation_id, {user_id: role}, by=by, now=now_ms())
        elif seated[user_id] != is_leader:
            await store.set_leader(uow.conn, department.id, user_id, is_leader)
            if department.conversation_id:
                await org_groups.set_role(uow, department.conversation_id, user_id, role)

    async def _unseat(self, uow: UnitOfWork, department: Row[Any], user_id: int, *, by: int) -> bool:
        if not await store.remove_department_member(uow.conn, department.id, user_id):
            return False
        if department.conversation_id:
            await org_groups.leave(uow, department.conversation_id, user_id, by=by, now=now_ms())
        return True

    @staticmethod
    async def _active(conn: AsyncConnection, organization_id: int, user_id: int) -> Row[Any]:
        row = await org_store.get_member(conn, organization_id, user_id)
        if row is None or row.status != "active":
            raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
        return row

    # -- members ------------------------------------------------------------------------------

    async def search_members(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        query: str | None,
        department_id: int | None,
        include_deactivated: bool,
        after_user_id: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int | None]:
        limit = max(1, min(limit, MAX_PAGE))
        pattern = like_pattern(query) if query and query.strip() else None
        async with self.ctx.db.read() as conn:
            _, me = await access_org(conn, user.id, organization_id)
            if include_deactivated and not is_manager(me):
                raise Forbidden("Only admins list deactivated members.", code="NOT_ORG_ADMIN")
            path = (
                (await self._department(conn, organization_id, department_id)).path if department_id else None
            )
            rows = await store.search_members(
                conn,
                organization_id,
                pattern=pattern,
                department_path=path,
                include_inactive=include_deactivated,
                after_user_id=after_user_id,
                limit=limit + 1,
            )
            more = len(rows) > limit
            rows = rows[:limit]
            views = await self._render(conn, organization_id, rows, me)
        return views, (rows[-1].user_id if more and rows else None)

    async def get_member(self, user: AuthUser, organization_id: int, target_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            _, me = await access_org(conn, user.id, organization_id)
            row = await org_store.get_member(conn, organization_id, target_id)
            if row is None or (row.status != "active" and not is_manager(me)):
                raise NotFound("That person is not a member.", code="MEMBER_NOT_FOUND")
            return (await self._render(conn, organization_id, [row], me))[0]

    async def _render(
        self, conn: AsyncConnection, organization_id: int, rows: list[Row[Any]], me: Row[Any]
    ) -> list[dict[str, Any]]:
        seats: dict[int, list[dict[str, Any]]] = {}
        for seat in await store.memberships_of(conn, organization_id, [row.user_id for row in rows]):
            seats.setdefault(seat.user_id, []).append(
                {"id": seat.department_id, "name": seat.name, "is_leader": seat.is_leader}
            )
        admin = is_manager(me)
        return [
            member_view(row, seats.get(row.user_id, []), viewer_id=me.user_id, viewer_is_admin=admin)
            for row in rows
        ]

    async def do_update_member(
        self, user: AuthUser, organization_id: int, target_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Admins edit every field; a member edits their own work phone and whether it is hidden."""
        try:
            await self._update_member(user, organization_id, target_id, changes)
        except UniqueViolation as exc:
            raise Conflict("That employee number is taken.", code="EMPLOYEE_NO_TAKEN") from exc
        return await self.get_member(user, organization_id, target_id)

    async def _update_member(
        self, user: AuthUser, organization_id: int, target_id: int, changes: dict[str, Any]
    ) -> None:
        async with self.ctx.transaction() as uow:
            organization, me = await access_org(uow.conn, user.id, organization_id)
            target = await self._active(uow.conn, organization_id, target_id)
            own_fields = {"work_phone", "hide_phone"}
            if not is_manager(me) and (target_id != user.id or not set(changes) <= own_fields):
                raise Forbidden("Only admins edit this.", code="NOT_ORG_ADMIN")
            values: dict[str, Any] = {}
            if "name" in changes:
                values["name"] = text.clean_name(changes["name"], field="name")
            if "title" in changes:
                values["title"] = optional_name(changes["title"], "title", 64)
            if "employee_no" in changes:
                values["employee_no"] = optional_name(changes["employee_no"], "employee number", 32)
            if "work_phone" in changes:
                values["work_phone"] = text.normalize_phone(changes["work_phone"])
            if "hide_phone" in changes:
                values["hide_phone"] = bool(changes["hide_phone"])
            if values:
                name = values.get("name", target.name)
                number = values.get("employee_no", target.employee_no)
                values["search_key"] = member_key(name, target.username, number)
                values["updated_at"] = now_ms()
                await org_store.update_member(uow.conn, organization_id, target_id, values)
                _emit_member_updated(uow, organization, target_id)
                if target_id != user.id:  # an admin editing someone's profile
                    fields = {k: v for k, v in values.items() if k not in ("search_key", "updated_at")}
                    await _audit(uow, user, organization_id, "member.update", "user", target_id, **fields)


async def _audit(
    uow: UnitOfWork,
    user: AuthUser,
    organization_id: int,
    action: str,
    target_type: str,
    target_id: int,
    **details: Any,
) -> None:
    await audit.record(
        uow,
        organization_id=organization_id,
        actor_id=user.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )


def _emit_member_updated(uow: UnitOfWork, organization: Row[Any], user_id: int) -> None:
    emit_to_org(uow, organization, OrgMemberUpdated(user_id=user_id, organization_id=organization.id))
