"""Queries on approvals (审批): roles, templates and versions, requests with their steps, tasks,
copies and history; the lists (pending for me, handled by me, mine, copied to me), the export and
the statistics. Every query names the organization."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import (
    approval_ccs,
    approval_files,
    approval_history,
    approval_requests,
    approval_role_members,
    approval_roles,
    approval_steps,
    approval_tasks,
    approval_template_versions,
    approval_templates,
)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(value: str) -> Any:
    return orjson.loads(value)


# -- roles ----------------------------------------------------------------------------------------


async def insert_role(conn: AsyncConnection, organization_id: int, name: str, now: int) -> int:
    result = await conn.execute(
        insert(approval_roles)
        .values(organization_id=organization_id, name=name, created_at=now)
        .returning(approval_roles.c.id)
    )
    return int(result.scalar_one())


async def get_role(conn: AsyncConnection, organization_id: int, role_id: int) -> Row[Any] | None:
    query = select(approval_roles).where(
        approval_roles.c.organization_id == organization_id, approval_roles.c.id == role_id
    )
    return (await conn.execute(query)).first()


async def role_named(conn: AsyncConnection, organization_id: int, name: str) -> Row[Any] | None:
    query = select(approval_roles).where(
        approval_roles.c.organization_id == organization_id, approval_roles.c.name == name
    )
    return (await conn.execute(query)).first()


async def list_roles(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(approval_roles)
        .where(approval_roles.c.organization_id == organization_id)
        .order_by(approval_roles.c.id)
    )
    return list(await conn.execute(query))


async def role_members(
    conn: AsyncConnection, organization_id: int, role_ids: list[int]
) -> dict[int, list[int]]:
    if not role_ids:
        return {}
    query = (
        select(approval_role_members.c.role_id, approval_role_members.c.user_id)
        .where(
            approval_role_members.c.organization_id == organization_id,
            approval_role_members.c.role_id.in_(role_ids),
        )
        .order_by(approval_role_members.c.user_id)
    )
    found: dict[int, list[int]] = {role_id: [] for role_id in role_ids}
    for row in await conn.execute(query):
        found[row.role_id].append(row.user_id)
    return found


async def set_role_members(
    conn: AsyncConnection, organization_id: int, role_id: int, user_ids: list[int]
) -> None:
    await conn.execute(delete(approval_role_members).where(approval_role_members.c.role_id == role_id))
    if user_ids:
        await conn.execute(
            insert(approval_role_members),
            [{"role_id": role_id, "user_id": uid, "organization_id": organization_id} for uid in user_ids],
        )


async def rename_role(conn: AsyncConnection, role_id: int, name: str) -> None:
    await conn.execute(update(approval_roles).where(approval_roles.c.id == role_id).values(name=name))


async def delete_role(conn: AsyncConnection, role_id: int) -> None:
    await conn.execute(delete(approval_roles).where(approval_roles.c.id == role_id))


# -- templates ------------------------------------------------------------------------------------


def _template_query() -> Any:
    version = approval_template_versions
    return select(
        approval_templates,
        version.c.form,
        version.c.flow,
        version.c.settings,
    ).join(version, version.c.id == approval_templates.c.version_id)


async def insert_template(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(
        insert(approval_templates).values(**values).returning(approval_templates.c.id)
    )
    return int(result.scalar_one())


async def insert_version(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(
        insert(approval_template_versions).values(**values).returning(approval_template_versions.c.id)
    )
    return int(result.scalar_one())


async def update_template(conn: AsyncConnection, template_id: int, values: dict[str, Any]) -> None:
    await conn.execute(
        update(approval_templates).where(approval_templates.c.id == template_id).values(**values)
    )


async def get_template(conn: AsyncConnection, organization_id: int, template_id: int) -> Row[Any] | None:
    query = _template_query().where(
        approval_templates.c.organization_id == organization_id, approval_templates.c.id == template_id
    )
    return (await conn.execute(query)).first()


async def list_templates(
    conn: AsyncConnection, organization_id: int, *, enabled_only: bool
) -> list[Row[Any]]:
    query = (
        _template_query()
        .where(approval_templates.c.organization_id == organization_id)
        .order_by(approval_templates.c.id)
    )
    if enabled_only:
        query = query.where(approval_templates.c.enabled)
    return list(await conn.execute(query))


async def count_templates(conn: AsyncConnection, organization_id: int) -> int:
    query = select(func.count()).where(approval_templates.c.organization_id == organization_id)
    return int(await conn.scalar(query) or 0)


async def get_versions(conn: AsyncConnection, version_ids: list[int]) -> dict[int, Row[Any]]:
    if not version_ids:
        return {}
    query = select(approval_template_versions).where(approval_template_versions.c.id.in_(version_ids))
    return {row.id: row for row in await conn.execute(query)}


async def templates_naming_role(conn: AsyncConnection, organization_id: int, role_id: int) -> list[str]:
    """Names of templates whose current flow names the role."""
    rows = await list_templates(conn, organization_id, enabled_only=False)
    named = []
    for row in rows:
        flow = loads(row.flow)
        approvers = [a for s in flow["steps"] for a in (*s["approvers"], *s.get("cc", []))] + flow.get(
            "cc", []
        )
        if any(a["kind"] == "role" and a.get("role_id") == role_id for a in approvers):
            named.append(row.name)
    return named


# -- requests -------------------------------------------------------------------------------------


async def insert_request(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(approval_requests).values(**values).returning(approval_requests.c.id))
    return int(result.scalar_one())


async def get_request(
    conn: AsyncConnection, organization_id: int, request_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    """``for_update`` holds the request's row (PostgreSQL; SQLite's writers take turns anyway), so
    that actions on one request follow one another."""
    query = select(approval_requests).where(
        approval_requests.c.organization_id == organization_id, approval_requests.c.id == request_id
    )
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def update_request(
    conn: AsyncConnection, request_id: int, values: dict[str, Any], *, status: str | None = None
) -> bool:
    """Update the request; with ``status``, only if it still has that status (True if it did)."""
    statement = update(approval_requests).where(approval_requests.c.id == request_id)
    if status is not None:
        statement = statement.where(approval_requests.c.status == status)
    result = await conn.execute(statement.values(**values))
    return bool(result.rowcount)


async def steps_of(conn: AsyncConnection, request_id: int, round_: int) -> list[Row[Any]]:
    query = (
        select(approval_steps)
        .where(approval_steps.c.request_id == request_id, approval_steps.c.round == round_)
        .order_by(approval_steps.c.position, approval_steps.c.id)
    )
    return list(await conn.execute(query))


async def tasks_of(conn: AsyncConnection, step_ids: list[int]) -> dict[int, list[Row[Any]]]:
    found: dict[int, list[Row[Any]]] = {step_id: [] for step_id in step_ids}
    if not step_ids:
        return found
    query = select(approval_tasks).where(approval_tasks.c.step_id.in_(step_ids)).order_by(approval_tasks.c.id)
    for row in await conn.execute(query):
        found[row.step_id].append(row)
    return found


async def insert_step(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(approval_steps).values(**values).returning(approval_steps.c.id))
    return int(result.scalar_one())


async def update_step(conn: AsyncConnection, step_id: int, old_status: str, values: dict[str, Any]) -> bool:
    result = await conn.execute(
        update(approval_steps)
        .where(approval_steps.c.id == step_id, approval_steps.c.status == old_status)
        .values(**values)
    )
    return bool(result.rowcount)


async def insert_task(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(approval_tasks).values(**values).returning(approval_tasks.c.id))
    return int(result.scalar_one())


async def update_task(conn: AsyncConnection, task_id: int, old_status: str, values: dict[str, Any]) -> bool:
    """The task moves only from ``old_status``: one actor, one transition."""
    result = await conn.execute(
        update(approval_tasks)
        .where(approval_tasks.c.id == task_id, approval_tasks.c.status == old_status)
        .values(**values)
    )
    return bool(result.rowcount)


async def participant_ids(conn: AsyncConnection, request_id: int) -> set[int]:
    """Everyone the request has reached as an approver (a task not merely waiting) or a copy."""
    tasks = select(approval_tasks.c.user_id).where(
        approval_tasks.c.request_id == request_id, approval_tasks.c.status != "waiting"
    )
    ccs = select(approval_ccs.c.user_id).where(approval_ccs.c.request_id == request_id)
    return {row[0] for row in await conn.execute(tasks.union(ccs))}


async def is_participant(conn: AsyncConnection, request_id: int, user_id: int) -> bool:
    task = exists(
        select(approval_tasks.c.id).where(
            approval_tasks.c.request_id == request_id,
            approval_tasks.c.user_id == user_id,
            approval_tasks.c.status != "waiting",
        )
    )
    cc = exists(
        select(approval_ccs.c.user_id).where(
            approval_ccs.c.request_id == request_id, approval_ccs.c.user_id == user_id
        )
    )
    return bool(await conn.scalar(select(or_(task, cc))))


async def add_ccs(
    conn: AsyncConnection, organization_id: int, request_id: int, user_ids: list[int], now: int
) -> None:
    if not user_ids:
        return
    statement = (
        dialect_of(conn)
        .insert(approval_ccs)
        .values(
            [
                {
                    "request_id": request_id,
                    "user_id": uid,
                    "organization_id": organization_id,
                    "created_at": now,
                }
                for uid in user_ids
            ]
        )
        .on_conflict_do_nothing()
    )
    await conn.execute(statement)


async def ccs_of(conn: AsyncConnection, request_id: int) -> list[Row[Any]]:
    query = (
        select(approval_ccs)
        .where(approval_ccs.c.request_id == request_id)
        .order_by(approval_ccs.c.created_at)
    )
    return list(await conn.execute(query))


async def mark_cc_read(conn: AsyncConnection, request_id: int, user_id: int, now: int) -> None:
    await conn.execute(
        update(approval_ccs)
        .where(
            approval_ccs.c.request_id == request_id,
            approval_ccs.c.user_id == user_id,
            approval_ccs.c.read_at.is_(None),
        )
        .values(read_at=now)
    )


async def add_history(conn: AsyncConnection, values: dict[str, Any]) -> int:
    values = {
        **values,
        "file_ids": dumps(values.get("file_ids", [])),
        "data": dumps(values.get("data", {})),
    }
    result = await conn.execute(insert(approval_history).values(**values).returning(approval_history.c.id))
    return int(result.scalar_one())


async def history_of(conn: AsyncConnection, request_id: int) -> list[Row[Any]]:
    query = (
        select(approval_history)
        .where(approval_history.c.request_id == request_id)
        .order_by(approval_history.c.id)
    )
    return list(await conn.execute(query))


async def pending_approvers(conn: AsyncConnection, request_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {rid: [] for rid in request_ids}
    if not request_ids:
        return found
    query = (
        select(approval_tasks.c.request_id, approval_tasks.c.user_id)
        .where(approval_tasks.c.request_id.in_(request_ids), approval_tasks.c.status == "pending")
        .order_by(approval_tasks.c.id)
    )
    for row in await conn.execute(query):
        found[row.request_id].append(row.user_id)
    return found


# -- lists ----------------------------------------------------------------------------------------

HANDLED = ("approved", "rejected", "returned", "transferred")


def _filtered(query: Any, filters: dict[str, Any]) -> Any:
    requests = approval_requests
    if filters.get("template_id") is not None:
        query = query.where(requests.c.template_id == filters["template_id"])
    if filters.get("status") is not None:
        query = query.where(requests.c.status == filters["status"])
    if filters.get("from") is not None:
        query = query.where(requests.c.created_at >= filters["from"])
    if filters.get("to") is not None:
        query = query.where(requests.c.created_at < filters["to"])
    return query


async def list_box(
    conn: AsyncConnection,
    organization_id: int,
    user_id: int,
    box: str,
    filters: dict[str, Any],
    *,
    cursor: int | None,
    limit: int,
) -> list[Row[Any]]:
    requests = approval_requests
    query = select(requests).where(requests.c.organization_id == organization_id)
    tasks = approval_tasks
    if box == "pending":
        query = query.where(
            requests.c.status == "pending",
            exists(
                select(tasks.c.id).where(
                    tasks.c.request_id == requests.c.id,
                    tasks.c.user_id == user_id,
                    tasks.c.status == "pending",
                )
            ),
        )
    elif box == "handled":
        query = query.where(
            exists(
                select(tasks.c.id).where(
                    tasks.c.request_id == requests.c.id,
                    tasks.c.user_id == user_id,
                    tasks.c.status.in_(HANDLED),
                )
            )
        )
    elif box == "mine":
        query = query.where(requests.c.applicant_id == user_id)
    else:
        query = query.where(
            exists(
                select(approval_ccs.c.user_id).where(
                    approval_ccs.c.request_id == requests.c.id, approval_ccs.c.user_id == user_id
                )
            )
        )
    query = _filtered(query, filters)
    if cursor is not None:
        query = query.where(requests.c.id < cursor)
    return list(await conn.execute(query.order_by(requests.c.id.desc()).limit(limit)))


async def list_all(
    conn: AsyncConnection, organization_id: int, filters: dict[str, Any], limit: int
) -> list[Row[Any]]:
    query = select(approval_requests).where(approval_requests.c.organization_id == organization_id)
    query = _filtered(query, filters).order_by(approval_requests.c.id).limit(limit)
    return list(await conn.execute(query))


async def counts_by(
    conn: AsyncConnection, organization_id: int, column: str, filters: dict[str, Any]
) -> list[Row[Any]]:
    col = approval_requests.c[column]
    query = select(col.label("key"), func.count().label("count")).where(
        approval_requests.c.organization_id == organization_id
    )
    query = _filtered(query, filters).group_by(col).order_by(col)
    return list(await conn.execute(query))


async def average_to_finish(
    conn: AsyncConnection, organization_id: int, filters: dict[str, Any]
) -> int | None:
    requests = approval_requests
    query = select(func.avg(requests.c.finished_at - requests.c.created_at)).where(
        requests.c.organization_id == organization_id,
        requests.c.status == "approved",
        requests.c.finished_at.is_not(None),
    )
    value = await conn.scalar(_filtered(query, filters))
    return None if value is None else int(value)


async def step_stats(conn: AsyncConnection, organization_id: int, filters: dict[str, Any]) -> list[Row[Any]]:
    steps, requests = approval_steps, approval_requests
    query = (
        select(
            requests.c.template_id,
            steps.c.name,
            func.count().label("decided"),
            func.avg(steps.c.finished_at - steps.c.started_at).label("average_ms"),
        )
        .join(requests, requests.c.id == steps.c.request_id)
        .where(
            steps.c.organization_id == organization_id,
            steps.c.status.in_(("approved", "rejected", "returned")),
            and_(steps.c.started_at.is_not(None), steps.c.finished_at.is_not(None)),
        )
        .group_by(requests.c.template_id, steps.c.name)
        .order_by(requests.c.template_id, steps.c.name)
    )
    return list(await conn.execute(_filtered(query, filters)))


# -- reminders ------------------------------------------------------------------------------------


async def steps_to_remind(conn: AsyncConnection, now: int, limit: int) -> list[Row[Any]]:
    query = (
        select(approval_steps.c.id, approval_steps.c.request_id, approval_steps.c.organization_id)
        .where(
            approval_steps.c.status == "pending",
            approval_steps.c.remind_at.is_not(None),
            approval_steps.c.remind_at <= now,
            approval_steps.c.reminded_at.is_(None),
        )
        .order_by(approval_steps.c.remind_at)
        .limit(limit)
    )
    return list(await conn.execute(query))


async def claim_reminder(conn: AsyncConnection, step_id: int, now: int) -> bool:
    result = await conn.execute(
        update(approval_steps)
        .where(
            approval_steps.c.id == step_id,
            approval_steps.c.status == "pending",
            approval_steps.c.reminded_at.is_(None),
        )
        .values(reminded_at=now)
    )
    return bool(result.rowcount)


async def attach_files(
    conn: AsyncConnection, organization_id: int, request_id: int, file_ids: dict[str, bool]
) -> None:
    """Record the files a request names ({file id: in a field hidden from approvers}); a file named
    both hidden and not is not hidden."""
    for file_id, hidden in file_ids.items():
        statement = (
            dialect_of(conn)
            .insert(approval_files)
            .values(request_id=request_id, file_id=file_id, organization_id=organization_id, hidden=hidden)
            .on_conflict_do_nothing()
        )
        await conn.execute(statement)
        if not hidden:
            await conn.execute(
                update(approval_files)
                .where(approval_files.c.request_id == request_id, approval_files.c.file_id == file_id)
                .values(hidden=False)
            )
