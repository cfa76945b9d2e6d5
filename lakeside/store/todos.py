"""Queries on to-dos (待办): one to-do with its assignees, the lists of one person ("assigned to
me", "created by me"), the open count, and the reminders that fall due."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import conversation_members, org_members, todo_assignees, todos


async def insert_todo(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(todos).values(**values).returning(todos.c.id))
    return int(result.scalar_one())


async def get_todo(
    conn: AsyncConnection, organization_id: int, todo_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    """A to-do that is not deleted; ``for_update`` holds its row so that done marks and edits of
    one to-do follow one another."""
    query = select(todos).where(
        todos.c.organization_id == organization_id, todos.c.id == todo_id, todos.c.deleted_at.is_(None)
    )
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def update_todo(conn: AsyncConnection, todo_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(todos).where(todos.c.id == todo_id).values(**values))


async def assignees(
    conn: AsyncConnection, organization_id: int, todo_ids: list[int]
) -> dict[int, list[Row[Any]]]:
    """Each to-do's assignees with their name in the organization, in the order they were added."""
    if not todo_ids:
        return {}
    query = (
        select(todo_assignees, org_members.c.name, org_members.c.status)
        .outerjoin(
            org_members,
            and_(
                org_members.c.organization_id == organization_id,
                org_members.c.user_id == todo_assignees.c.user_id,
            ),
        )
        .where(todo_assignees.c.todo_id.in_(todo_ids))
        .order_by(todo_assignees.c.todo_id, todo_assignees.c.assigned_at, todo_assignees.c.user_id)
    )
    out: dict[int, list[Row[Any]]] = {todo_id: [] for todo_id in todo_ids}
    for row in await conn.execute(query):
        out[row.todo_id].append(row)
    return out


async def add_assignees(conn: AsyncConnection, todo_id: int, user_ids: list[int], now: int) -> None:
    if user_ids:
        await conn.execute(
            insert(todo_assignees), [{"todo_id": todo_id, "user_id": u, "assigned_at": now} for u in user_ids]
        )


async def remove_assignees(conn: AsyncConnection, todo_id: int, user_ids: list[int]) -> None:
    if user_ids:
        await conn.execute(
            delete(todo_assignees).where(
                todo_assignees.c.todo_id == todo_id, todo_assignees.c.user_id.in_(user_ids)
            )
        )


async def set_done(
    conn: AsyncConnection, todo_id: int, user_ids: list[int] | None, done_at: int | None
) -> None:
    """Mark assignees done (``done_at``) or open again (None); ``user_ids`` None: every assignee.
    A done mark keeps its first time."""
    statement = update(todo_assignees).where(todo_assignees.c.todo_id == todo_id)
    if user_ids is not None:
        statement = statement.where(todo_assignees.c.user_id.in_(user_ids))
    if done_at is not None:
        statement = statement.where(todo_assignees.c.done_at.is_(None))
    await conn.execute(statement.values(done_at=done_at))


async def list_todos(
    conn: AsyncConnection,
    organization_id: int,
    user_id: int,
    *,
    box: str,
    done: bool,
    priority: str | None,
    now: int,
    offset: int,
    limit: int,
) -> list[Row[Any]]:
    """``assigned``: the to-dos assigned to the user, open or done *for them*; ``created``: those
    they made, open or done for everyone. Open ones: overdue first, then by due time (none last),
    then newest; done ones: most recently done first."""
    mine = todo_assignees.alias("mine")
    query = select(todos, mine.c.done_at.label("my_done_at")).where(
        todos.c.organization_id == organization_id, todos.c.deleted_at.is_(None)
    )
    if box == "assigned":
        query = query.join(mine, and_(mine.c.todo_id == todos.c.id, mine.c.user_id == user_id))
        done_at = mine.c.done_at
    else:
        query = query.outerjoin(mine, and_(mine.c.todo_id == todos.c.id, mine.c.user_id == user_id)).where(
            todos.c.creator_id == user_id
        )
        done_at = todos.c.done_at
    if priority is not None:
        query = query.where(todos.c.priority == priority)
    if done:
        query = query.where(done_at.is_not(None)).order_by(done_at.desc(), todos.c.id.desc())
    else:
        overdue = case((and_(todos.c.due_at.is_not(None), todos.c.due_at < now), 0), else_=1)
        no_due = case((todos.c.due_at.is_(None), 1), else_=0)
        query = query.where(done_at.is_(None)).order_by(overdue, no_due, todos.c.due_at, todos.c.id.desc())
    return list(await conn.execute(query.offset(offset).limit(limit)))


async def count_open(conn: AsyncConnection, organization_id: int, user_id: int, now: int) -> tuple[int, int]:
    """(open, overdue) to-dos assigned to the user and not done by them: the badge."""
    query = (
        select(
            func.count(),
            func.coalesce(
                func.sum(case((and_(todos.c.due_at.is_not(None), todos.c.due_at < now), 1), else_=0)), 0
            ),
        )
        .select_from(todos)
        .join(todo_assignees, todo_assignees.c.todo_id == todos.c.id)
        .where(
            todos.c.organization_id == organization_id,
            todos.c.deleted_at.is_(None),
            todo_assignees.c.user_id == user_id,
            todo_assignees.c.done_at.is_(None),
        )
    )
    row = (await conn.execute(query)).one()
    return int(row[0]), int(row[1])


async def due_reminders(conn: AsyncConnection, now: int, limit: int) -> list[Row[Any]]:
    """Open, undeleted to-dos whose reminder time has come and whose notices for that time have
    not gone out."""
    query = (
        select(todos.c.id, todos.c.organization_id, todos.c.remind_at)
        .where(
            todos.c.remind_at.is_not(None),
            todos.c.remind_at <= now,
            or_(todos.c.reminded_at.is_(None), todos.c.reminded_at != todos.c.remind_at),
            todos.c.done_at.is_(None),
            todos.c.deleted_at.is_(None),
        )
        .order_by(todos.c.remind_at, todos.c.id)
        .limit(limit)
    )
    return list(await conn.execute(query))


async def claim_reminder(conn: AsyncConnection, todo_id: int, remind_at: int) -> bool:
    """Take the reminder of ``remind_at`` for this round: one node, once (a conditional UPDATE)."""
    result = await conn.execute(
        update(todos)
        .where(
            todos.c.id == todo_id,
            todos.c.remind_at == remind_at,
            or_(todos.c.reminded_at.is_(None), todos.c.reminded_at != remind_at),
        )
        .values(reminded_at=remind_at)
    )
    return bool(result.rowcount)


async def is_involved(conn: AsyncConnection, todo: Row[Any], user_id: int) -> bool:
    if todo.creator_id == user_id:
        return True
    query = select(todo_assignees.c.user_id).where(
        todo_assignees.c.todo_id == todo.id, todo_assignees.c.user_id == user_id
    )
    return (await conn.execute(query)).first() is not None


async def conversation_colleagues(
    conn: AsyncConnection, organization_id: int, conversation_id: int, limit: int
) -> list[Row[Any]]:
    """The conversation's people who are active members of the organization (a to-do's
    candidates), by name."""
    query = (
        select(org_members.c.user_id, org_members.c.name)
        .join(conversation_members, conversation_members.c.user_id == org_members.c.user_id)
        .where(
            conversation_members.c.conversation_id == conversation_id,
            org_members.c.organization_id == organization_id,
            org_members.c.status == "active",
        )
        .order_by(org_members.c.user_id)
        .limit(limit)
    )
    return list(await conn.execute(query))
