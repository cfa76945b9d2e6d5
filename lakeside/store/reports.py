"""Queries on daily reports (日志): templates, reports and who they were sent to, their read
rows, comments, files, and the reminder rules (claimed once per period by a conditional UPDATE,
so that several nodes running the worker remind once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import (
    department_members,
    departments,
    report_comments,
    report_conversations,
    report_files,
    report_receivers,
    report_reminders,
    report_templates,
    reports,
)

# -- templates ------------------------------------------------------------------------------------


async def builtin_keys(conn: AsyncConnection, organization_id: int) -> set[str]:
    query = select(report_templates.c.builtin).where(
        report_templates.c.organization_id == organization_id, report_templates.c.builtin.is_not(None)
    )
    return {row.builtin for row in await conn.execute(query)}


async def insert_builtin(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert a built-in template unless another transaction just did."""
    statement = dialect_of(conn).insert(report_templates).values(**values).on_conflict_do_nothing()
    await conn.execute(statement)


async def insert_template(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(report_templates).values(**values).returning(report_templates.c.id))
    return int(result.scalar_one())


async def get_template(
    conn: AsyncConnection, organization_id: int, template_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(report_templates).where(
        report_templates.c.organization_id == organization_id, report_templates.c.id == template_id
    )
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def list_templates(conn: AsyncConnection, organization_id: int, *, archived: bool) -> list[Row[Any]]:
    query = (
        select(report_templates)
        .where(report_templates.c.organization_id == organization_id)
        .order_by(report_templates.c.builtin.is_(None), report_templates.c.id)
    )
    if not archived:
        query = query.where(report_templates.c.archived.is_(False))
    return list(await conn.execute(query))


async def update_template(conn: AsyncConnection, template_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(report_templates).where(report_templates.c.id == template_id).values(**values))


# -- reports --------------------------------------------------------------------------------------


async def insert_report(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(reports).values(**values).returning(reports.c.id))
    return int(result.scalar_one())


async def get_report(
    conn: AsyncConnection, organization_id: int, report_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(reports).where(reports.c.organization_id == organization_id, reports.c.id == report_id)
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def update_report(conn: AsyncConnection, report_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(reports).where(reports.c.id == report_id).values(**values))


async def delete_report(conn: AsyncConnection, report_id: int) -> None:
    await conn.execute(delete(reports).where(reports.c.id == report_id))


async def add_receivers(conn: AsyncConnection, report_id: int, user_ids: list[int]) -> None:
    if user_ids:
        await conn.execute(
            insert(report_receivers), [{"report_id": report_id, "user_id": u} for u in user_ids]
        )


async def add_conversations(conn: AsyncConnection, report_id: int, conversation_ids: list[int]) -> None:
    if conversation_ids:
        await conn.execute(
            insert(report_conversations),
            [{"report_id": report_id, "conversation_id": c} for c in conversation_ids],
        )


async def set_files(conn: AsyncConnection, report_id: int, file_ids: list[str]) -> None:
    await conn.execute(delete(report_files).where(report_files.c.report_id == report_id))
    if file_ids:
        await conn.execute(insert(report_files), [{"report_id": report_id, "file_id": f} for f in file_ids])


async def receivers(conn: AsyncConnection, report_id: int) -> dict[int, int | None]:
    query = select(report_receivers.c.user_id, report_receivers.c.read_at).where(
        report_receivers.c.report_id == report_id
    )
    return {row.user_id: row.read_at for row in await conn.execute(query)}


async def conversation_ids(conn: AsyncConnection, report_id: int) -> list[int]:
    query = (
        select(report_conversations.c.conversation_id)
        .where(report_conversations.c.report_id == report_id)
        .order_by(report_conversations.c.conversation_id)
    )
    return [row.conversation_id for row in await conn.execute(query)]


async def is_receiver(conn: AsyncConnection, report_id: int, user_id: int) -> bool:
    query = select(report_receivers.c.user_id).where(
        report_receivers.c.report_id == report_id, report_receivers.c.user_id == user_id
    )
    return (await conn.execute(query)).first() is not None


async def mark_read(conn: AsyncConnection, report_id: int, user_id: int, now: int) -> bool:
    """The first read counts; True if this was it."""
    result = await conn.execute(
        update(report_receivers)
        .where(
            report_receivers.c.report_id == report_id,
            report_receivers.c.user_id == user_id,
            report_receivers.c.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return bool(result.rowcount)


def _filters(
    query: Any,
    *,
    template_id: int | None,
    since: str | None,
    until: str | None,
    before_id: int | None,
) -> Any:
    if template_id is not None:
        query = query.where(reports.c.template_id == template_id)
    if since is not None:
        query = query.where(reports.c.period_start >= since)
    if until is not None:
        query = query.where(reports.c.period_start <= until)
    if before_id is not None:
        query = query.where(reports.c.id < before_id)
    return query


async def list_received(
    conn: AsyncConnection,
    organization_id: int,
    user_id: int,
    *,
    template_id: int | None,
    sender_id: int | None,
    since: str | None,
    until: str | None,
    unread: bool,
    before_id: int | None,
    limit: int,
) -> list[Row[Any]]:
    """Reports sent to the user, newest first, with the user's ``read_at``."""
    query = (
        select(reports, report_receivers.c.read_at)
        .join(report_receivers, report_receivers.c.report_id == reports.c.id)
        .where(
            reports.c.organization_id == organization_id,
            report_receivers.c.user_id == user_id,
            reports.c.status == "sent",
        )
        .order_by(reports.c.id.desc())
        .limit(limit)
    )
    query = _filters(query, template_id=template_id, since=since, until=until, before_id=before_id)
    if sender_id is not None:
        query = query.where(reports.c.author_id == sender_id)
    if unread:
        query = query.where(report_receivers.c.read_at.is_(None))
    return list(await conn.execute(query))


async def count_unread(conn: AsyncConnection, organization_id: int, user_id: int) -> int:
    query = (
        select(func.count())
        .select_from(reports.join(report_receivers, report_receivers.c.report_id == reports.c.id))
        .where(
            reports.c.organization_id == organization_id,
            report_receivers.c.user_id == user_id,
            report_receivers.c.read_at.is_(None),
        )
    )
    return int(await conn.scalar(query) or 0)


async def list_by_author(
    conn: AsyncConnection,
    organization_id: int,
    author_id: int,
    *,
    status: str,
    template_id: int | None,
    since: str | None,
    until: str | None,
    before_id: int | None,
    limit: int,
) -> list[Row[Any]]:
    query = (
        select(reports)
        .where(
            reports.c.organization_id == organization_id,
            reports.c.author_id == author_id,
            reports.c.status == status,
        )
        .order_by(reports.c.id.desc())
        .limit(limit)
    )
    query = _filters(query, template_id=template_id, since=since, until=until, before_id=before_id)
    return list(await conn.execute(query))


async def read_counts(conn: AsyncConnection, report_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{report: (receivers, of them read)}."""
    if not report_ids:
        return {}
    query = select(report_receivers.c.report_id, report_receivers.c.read_at).where(
        report_receivers.c.report_id.in_(report_ids)
    )
    counts: dict[int, list[int]] = {}
    for row in await conn.execute(query):
        entry = counts.setdefault(row.report_id, [0, 0])
        entry[0] += 1
        entry[1] += row.read_at is not None
    return {key: (value[0], value[1]) for key, value in counts.items()}


async def submitted(
    conn: AsyncConnection, organization_id: int, template_id: int, period_start: str, user_ids: list[int]
) -> dict[int, int]:
    """{author: their latest sent report} for the template and period, among ``user_ids``."""
    if not user_ids:
        return {}
    query = select(reports.c.author_id, reports.c.id).where(
        reports.c.organization_id == organization_id,
        reports.c.template_id == template_id,
        reports.c.period_start == period_start,
        reports.c.status == "sent",
        reports.c.author_id.in_(user_ids),
    )
    found: dict[int, int] = {}
    for row in await conn.execute(query):
        found[row.author_id] = max(row.id, found.get(row.author_id, 0))
    return found


async def led_department_paths(conn: AsyncConnection, organization_id: int, user_id: int) -> list[str]:
    query = (
        select(departments.c.path)
        .join(department_members, department_members.c.department_id == departments.c.id)
        .where(
            department_members.c.organization_id == organization_id,
            department_members.c.user_id == user_id,
            department_members.c.is_leader,
        )
    )
    return [row.path for row in await conn.execute(query)]


# -- comments -------------------------------------------------------------------------------------


async def insert_comment(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(report_comments).values(**values).returning(report_comments.c.id))
    return int(result.scalar_one())


async def list_comments(conn: AsyncConnection, report_id: int) -> list[Row[Any]]:
    query = (
        select(report_comments).where(report_comments.c.report_id == report_id).order_by(report_comments.c.id)
    )
    return list(await conn.execute(query))


# -- reminder rules -------------------------------------------------------------------------------


async def get_reminder(conn: AsyncConnection, template_id: int) -> Row[Any] | None:
    query = select(report_reminders).where(report_reminders.c.template_id == template_id)
    return (await conn.execute(query)).first()


async def save_reminder(conn: AsyncConnection, values: dict[str, Any]) -> None:
    statement = (
        dialect_of(conn)
        .insert(report_reminders)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[report_reminders.c.template_id],
            set_={k: v for k, v in values.items() if k not in ("template_id", "organization_id")},
        )
    )
    await conn.execute(statement)


async def enabled_reminders(conn: AsyncConnection) -> list[Row[Any]]:
    query = (
        select(report_reminders, report_templates.c.period, report_templates.c.name)
        .join(report_templates, report_templates.c.id == report_reminders.c.template_id)
        .where(report_reminders.c.enabled, report_templates.c.archived.is_(False))
        .order_by(report_reminders.c.template_id)
    )
    return list(await conn.execute(query))


async def claim_reminder(conn: AsyncConnection, template_id: int, period: str) -> bool:
    """Take the reminder of ``period`` for this rule; False if it was taken already."""
    result = await conn.execute(
        update(report_reminders)
        .where(
            report_reminders.c.template_id == template_id,
            or_(report_reminders.c.last_period.is_(None), report_reminders.c.last_period != period),
        )
        .values(last_period=period)
    )
    return bool(result.rowcount)
