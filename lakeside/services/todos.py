"""To-dos (待办): something to do, assigned to one or more people of the organization, with an
optional due time and a reminder.

Anyone in the organization makes one, from scratch, from a message they can see (the to-do keeps a
link to the message and its conversation) or from a DING they sent or received (it keeps the
DING's id, and the DING's receivers are the default assignees). Each assignee marks it done for
themselves; it is done when every assignee is, or when its creator closes it for everyone. Only
the creator edits it, changes its assignees and deletes it (softly: it leaves every list). It is
visible to its creator and its assignees only: to anyone else, as to other organizations and to
people who have left, it does not exist (404).

Assignees hear of a to-do in their 工作通知 (work notices): when it is assigned to them, and at
its reminder time (the reminder worker, ``remind_due``), each one who has not done it yet, with a
"完成" button that marks it done. A reminder time goes out once: the row remembers the time it
sent (``reminded_at``); a new reminder time is due again. There are no comments on to-dos: a
conversation about one happens in chat, where the to-do links to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import clock, text
from lakeside.domain.events import to_users
from lakeside.domain.events.todos import TodoCreated, TodoDeleted, TodoRemoved, TodoUpdated
from lakeside.domain.markdown import render_markdown
from lakeside.domain.tokens import now_ms
from lakeside.errors import Forbidden, Invalid, NotFound
from lakeside.services import work_notices
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.ding import ding_text
from lakeside.services.orgaccess import access_org
from lakeside.store import conversations as conversation_store
from lakeside.store import ding as ding_store
from lakeside.store import messages as message_store
from lakeside.store import organizations as org_store
from lakeside.store import todos as store

PRIORITIES = ("normal", "high", "urgent")
MAX_TITLE = 200
MAX_DESCRIPTION_BYTES = 16 * 1024
MAX_ASSIGNEES = 100
MAX_PAGE = 100
MAX_CANDIDATES = 500
# Due and reminder times: from 2000-01-01 to ten years ahead.
EARLIEST = 946_684_800_000
HORIZON_MS = 10 * 365 * 86_400_000
TODOABLE_KINDS = ("text", "markdown")
REMINDER_BATCH = 100


def _not_found() -> NotFound:
    return NotFound("No such to-do.", code="TODO_NOT_FOUND")


def todo_view(row: Row[Any], assignees: list[Row[Any]], creator_name: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "creator_id": row.creator_id,
        "creator_name": creator_name,
        "title": row.title,
        "description": row.description,
        "html": render_markdown(row.description) if row.description else "",
        "priority": row.priority,
        "due_at": row.due_at,
        "remind_at": row.remind_at,
        "source": row.source,
        "message_id": row.message_id,
        "conversation_id": row.conversation_id,
        "ding_id": row.ding_id,
        "assignees": [{"user_id": a.user_id, "name": a.name or "", "done_at": a.done_at} for a in assignees],
        "done_at": row.done_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def check_title(value: str) -> str:
    return text.clean_name(value, field="title", max_length=MAX_TITLE)


def check_description(value: str) -> str:
    """Markdown, rendered by the server as messages are; empty is allowed."""
    if not value.strip():
        return ""
    try:
        return text.clean_body(value, max_bytes=MAX_DESCRIPTION_BYTES)
    except Invalid as error:
        raise Invalid(
            f"The description: {error.message}", code="INVALID_DESCRIPTION", limit=MAX_DESCRIPTION_BYTES
        ) from None


def check_time(value: int | None, *, field: str, now: int) -> int | None:
    if value is None:
        return None
    if not EARLIEST <= value <= now + HORIZON_MS:
        raise Invalid(f"The {field} is out of range.", code="INVALID_TIME", field=field)
    return value


def check_priority(value: str) -> str:
    if value not in PRIORITIES:
        raise Invalid("The priority is normal, high or urgent.", code="INVALID_PRIORITY")
    return value


class Todos:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- access ---------------------------------------------------------------------------------

    async def _access(
        self, conn: AsyncConnection, user_id: int, organization_id: int, todo_id: int, *, lock: bool = False
    ) -> Row[Any]:
        """The to-do; 404 unless the caller is an active member who made it or is assigned to it."""
        await access_org(conn, user_id, organization_id)
        row = await store.get_todo(conn, organization_id, todo_id, for_update=lock)
        if row is None or not await store.is_involved(conn, row, user_id):
            raise _not_found()
        return row

    async def _views(
        self, conn: AsyncConnection, organization_id: int, rows: list[Row[Any]]
    ) -> list[dict[str, Any]]:
        people = await store.assignees(conn, organization_id, [row.id for row in rows])
        creators = await org_store.get_members(
            conn, organization_id, sorted({row.creator_id for row in rows if row.creator_id is not None})
        )
        return [
            todo_view(
                row,
                people[row.id],
                creators[row.creator_id].name if row.creator_id in creators else "",
            )
            for row in rows
        ]

    async def _view(self, conn: AsyncConnection, organization_id: int, todo_id: int) -> dict[str, Any]:
        row = await store.get_todo(conn, organization_id, todo_id)
        assert row is not None
        return (await self._views(conn, organization_id, [row]))[0]

    async def _check_assignees(
        self, conn: AsyncConnection, organization_id: int, user_ids: list[int]
    ) -> list[int]:
        wanted = list(dict.fromkeys(user_ids))
        if not wanted:
            raise Invalid("Assign the to-do to at least one person.", code="NO_ASSIGNEES")
        if len(wanted) > MAX_ASSIGNEES:
            raise Invalid(f"A to-do has at most {MAX_ASSIGNEES} assignees.", code="TOO_MANY_ASSIGNEES")
        members = await org_store.active_among(conn, organization_id, wanted)
        for user_id in wanted:
            if user_id not in members:
                raise Invalid(
                    "Assignees are members of the organization.", code="ASSIGNEE_NOT_MEMBER", user_id=user_id
                )
        return wanted

    # -- sources: a message, a DING --------------------------------------------------------------

    async def _message_source(self, conn: AsyncConnection, user_id: int, message_id: int) -> Row[Any]:
        """A message the caller can see (a member of its conversation), neither recalled nor secret."""
        message = await message_store.get_message(conn, message_id)
        if (
            message is None
            or await conversation_store.get_membership(conn, message.conversation_id, user_id) is None
        ):
            raise NotFound("No such message.", code="MESSAGE_NOT_FOUND")
        conversation = await conversation_store.get_conversation(conn, message.conversation_id)
        if (
            message.recalled_at is not None
            or message.kind not in TODOABLE_KINDS
            or conversation is None
            or conversation.kind == "secret"
        ):
            raise Invalid("Only a text message that is not recalled can become a to-do.", code="NOT_TODOABLE")
        return message

    async def _ding_source(
        self, conn: AsyncConnection, user_id: int, organization_id: int, ding_id: int
    ) -> tuple[Row[Any], list[int]]:
        """A DING of this organization the caller sent or received; and the receivers the caller
        may know of: all of them for its sender, only themselves for a receiver (who is not shown
        the other receivers of a DING, services/ding.py)."""
        ding = await ding_store.get_ding(conn, organization_id, ding_id)
        if ding is None:
            raise NotFound("No such DING.", code="DING_NOT_FOUND")
        receivers = [r.user_id for r in await ding_store.list_recipients(conn, ding_id)]
        if ding.sender_id == user_id:
            return ding, receivers
        if user_id not in receivers or ding.status != "sent":
            raise NotFound("No such DING.", code="DING_NOT_FOUND")
        return ding, [user_id]

    async def draft(
        self, user: AuthUser, organization_id: int, *, message_id: int | None, ding_id: int | None
    ) -> dict[str, Any]:
        """What the form starts with when a message or a DING becomes a to-do: its text, the
        default assignees and the people to choose from (the conversation's, or the DING's)."""
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            if message_id is not None:
                message = await self._message_source(conn, user.id, message_id)
                people = await store.conversation_colleagues(
                    conn, organization_id, message.conversation_id, MAX_CANDIDATES
                )
                body, defaults = message.body, []
                source = {
                    "source": "message",
                    "message_id": message.id,
                    "conversation_id": message.conversation_id,
                }
            elif ding_id is not None:
                ding, receivers = await self._ding_source(conn, user.id, organization_id, ding_id)
                body, _ = await ding_text(conn, ding)
                members = await org_store.get_members(
                    conn, organization_id, sorted({*receivers, ding.sender_id})
                )
                people = [m for m in members.values() if m.status == "active"]
                defaults = [r for r in receivers if r in members and members[r].status == "active"]
                source = {"source": "ding", "ding_id": ding.id}
            else:
                raise Invalid("Name a message or a DING.", code="NO_SOURCE")
        return {
            **source,
            "title": _title_of(body),
            "description": body,
            "assignee_ids": defaults,
            "candidates": [{"user_id": p.user_id, "name": p.name} for p in people],
        }

    # -- writing ----------------------------------------------------------------------------------

    async def do_create(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        title: str,
        description: str,
        assignee_ids: list[int] | None,
        due_at: int | None,
        remind_at: int | None,
        priority: str,
        message_id: int | None,
        ding_id: int | None,
    ) -> dict[str, Any]:
        now = now_ms()
        title = check_title(title)
        description = check_description(description)
        priority = check_priority(priority)
        due_at = check_time(due_at, field="due_at", now=now)
        remind_at = check_time(remind_at, field="remind_at", now=now)
        if remind_at is not None and remind_at <= now:
            raise Invalid("The reminder time has passed.", code="REMINDER_IN_PAST")
        if message_id is not None and ding_id is not None:
            raise Invalid("A to-do comes from a message or a DING, not both.", code="TWO_SOURCES")
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id)
            values: dict[str, Any] = {"source": "scratch"}
            if message_id is not None:
                message = await self._message_source(uow.conn, user.id, message_id)
                values = {
                    "source": "message",
                    "message_id": message.id,
                    "conversation_id": message.conversation_id,
                }
            elif ding_id is not None:
                _, receivers = await self._ding_source(uow.conn, user.id, organization_id, ding_id)
                values = {"source": "ding", "ding_id": ding_id}
                if not assignee_ids:
                    active = await org_store.active_among(uow.conn, organization_id, receivers)
                    assignee_ids = [r for r in receivers if r in active]
            wanted = await self._check_assignees(uow.conn, organization_id, assignee_ids or [user.id])
            todo_id = await store.insert_todo(
                uow.conn,
                {
                    **values,
                    "organization_id": organization_id,
                    "creator_id": user.id,
                    "title": title,
                    "description": description,
                    "priority": priority,
                    "due_at": due_at,
                    "remind_at": remind_at,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await store.add_assignees(uow.conn, todo_id, wanted, now)
            view = await self._view(uow.conn, organization_id, todo_id)
            uow.emit(TodoCreated(**view), to_users(user.id, *wanted))
            await self._notify_assigned(uow, view, [u for u in wanted if u != user.id], now)
        return view

    async def do_update(
        self, user: AuthUser, organization_id: int, todo_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """The creator edits the to-do; new assignees hear of it, removed ones lose it."""
        now = now_ms()
        values: dict[str, Any] = {}
        if "title" in changes:
            values["title"] = check_title(changes["title"])
        if "description" in changes:
            values["description"] = check_description(changes["description"] or "")
        if "priority" in changes:
            values["priority"] = check_priority(changes["priority"])
        if "due_at" in changes:
            values["due_at"] = check_time(changes["due_at"], field="due_at", now=now)
        if "remind_at" in changes:
            values["remind_at"] = check_time(changes["remind_at"], field="remind_at", now=now)
        async with self.ctx.transaction() as uow:
            row = await self._access(uow.conn, user.id, organization_id, todo_id, lock=True)
            if row.creator_id != user.id:
                raise Forbidden("Only the to-do's creator edits it.", code="NOT_TODO_CREATOR")
            remind_at = values.get("remind_at")
            if remind_at is not None and remind_at != row.remind_at and remind_at <= now:
                raise Invalid("The reminder time has passed.", code="REMINDER_IN_PAST")
            before = [
                a.user_id for a in (await store.assignees(uow.conn, organization_id, [todo_id]))[todo_id]
            ]
            added: list[int] = []
            removed: list[int] = []
            if changes.get("assignee_ids") is not None:
                wanted = await self._check_assignees(uow.conn, organization_id, changes["assignee_ids"])
                added = [u for u in wanted if u not in before]
                removed = [u for u in before if u not in wanted]
                await store.remove_assignees(uow.conn, todo_id, removed)
                await store.add_assignees(uow.conn, todo_id, added, now)
            if not values and not added and not removed:
                return await self._view(uow.conn, organization_id, todo_id)
            await store.update_todo(uow.conn, todo_id, {**values, "updated_at": now})
            await self._settle(uow.conn, organization_id, todo_id, now)
            view = await self._view(uow.conn, organization_id, todo_id)
            uow.emit(TodoUpdated(**view), to_users(user.id, *[a["user_id"] for a in view["assignees"]]))
            if removed:
                uow.emit(TodoRemoved(id=todo_id, organization_id=organization_id), to_users(*removed))
            await self._notify_assigned(uow, view, [u for u in added if u != user.id], now)
        return view

    async def _settle(self, conn: AsyncConnection, organization_id: int, todo_id: int, now: int) -> None:
        """The to-do is done when every assignee is (its done time the last of theirs)."""
        people = (await store.assignees(conn, organization_id, [todo_id]))[todo_id]
        times = [a.done_at for a in people]
        done_at = max(times) if times and all(t is not None for t in times) else None  # type: ignore[type-var]
        await store.update_todo(conn, todo_id, {"done_at": done_at})

    async def do_done(
        self, user: AuthUser, organization_id: int, todo_id: int, *, everyone: bool, done: bool
    ) -> dict[str, Any]:
        """An assignee marks it done (or open again) for themselves; the creator, with
        ``everyone``, for every assignee."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row = await self._access(uow.conn, user.id, organization_id, todo_id, lock=True)
            people = [
                a.user_id for a in (await store.assignees(uow.conn, organization_id, [todo_id]))[todo_id]
            ]
            if everyone:
                if row.creator_id != user.id:
                    raise Forbidden(
                        "Only the to-do's creator closes it for everyone.", code="NOT_TODO_CREATOR"
                    )
                await store.set_done(uow.conn, todo_id, None, now if done else None)
            else:
                if user.id not in people:
                    raise Forbidden(
                        "Only an assignee marks it done for themselves.", code="NOT_TODO_ASSIGNEE"
                    )
                await store.set_done(uow.conn, todo_id, [user.id], now if done else None)
            await self._settle(uow.conn, organization_id, todo_id, now)
            await store.update_todo(uow.conn, todo_id, {"updated_at": now})
            view = await self._view(uow.conn, organization_id, todo_id)
            uow.emit(TodoUpdated(**view), to_users(*{row.creator_id, *people} - {None}))
        return view

    async def do_delete(self, user: AuthUser, organization_id: int, todo_id: int) -> None:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row = await self._access(uow.conn, user.id, organization_id, todo_id, lock=True)
            if row.creator_id != user.id:
                raise Forbidden("Only the to-do's creator deletes it.", code="NOT_TODO_CREATOR")
            people = [
                a.user_id for a in (await store.assignees(uow.conn, organization_id, [todo_id]))[todo_id]
            ]
            await store.update_todo(uow.conn, todo_id, {"deleted_at": now, "updated_at": now})
            uow.emit(TodoDeleted(id=todo_id, organization_id=organization_id), to_users(user.id, *people))

    # -- reading ----------------------------------------------------------------------------------

    async def get(self, user: AuthUser, organization_id: int, todo_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await self._access(conn, user.id, organization_id, todo_id)
            return await self._view(conn, organization_id, todo_id)

    async def list_todos(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        box: str,
        done: bool,
        priority: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int, int]:
        """A page of the caller's to-dos (``assigned`` or ``created``), and the badge: (open,
        overdue) assigned to the caller."""
        now = now_ms()
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            rows = await store.list_todos(
                conn,
                organization_id,
                user.id,
                box=box,
                done=done,
                priority=priority,
                now=now,
                offset=offset,
                limit=max(1, min(limit, MAX_PAGE)),
            )
            views = await self._views(conn, organization_id, rows)
            open_count, overdue = await store.count_open(conn, organization_id, user.id, now)
        return views, open_count, overdue

    async def summary(self, user: AuthUser, organization_id: int) -> tuple[int, int]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            return await store.count_open(conn, organization_id, user.id, now_ms())

    # -- work notices -------------------------------------------------------------------------------

    async def _notify_assigned(
        self, uow: UnitOfWork, view: dict[str, Any], user_ids: list[int], now: int
    ) -> None:
        if user_ids:
            await work_notices.notify(
                uow,
                organization_id=view["organization_id"],
                user_ids=user_ids,
                card=todo_card(
                    view,
                    f"{view['creator_name']} 给你分配了待办",
                    zone=self.ctx.settings.work_timezone,
                    now=now,
                ),
                key=f"todo:{view['id']}:assigned",
                now=now,
            )

    async def remind_due(self, now: int | None = None) -> int:
        """One round of the reminder worker: each to-do whose reminder time has come notifies its
        assignees who have not done it; the number of to-dos reminded."""
        at = now_ms() if now is None else now
        reminded = 0
        async with self.ctx.db.read() as conn:
            due = await store.due_reminders(conn, at, REMINDER_BATCH)
        for item in due:
            async with self.ctx.transaction() as uow:
                if not await store.claim_reminder(uow.conn, item.id, item.remind_at):
                    continue  # another node took it, or it changed since
                view = await self._view(uow.conn, item.organization_id, item.id)
                pending = [a["user_id"] for a in view["assignees"] if a["done_at"] is None]
                await work_notices.notify(
                    uow,
                    organization_id=item.organization_id,
                    user_ids=pending,
                    card=todo_card(view, "待办提醒", zone=self.ctx.settings.work_timezone, now=at),
                    key=f"todo:{item.id}:remind:{item.remind_at}",
                    now=at,
                )
                reminded += 1
        return reminded


PRIORITY_WORDS = {"normal": "普通", "high": "重要", "urgent": "紧急"}


def todo_card(view: dict[str, Any], heading: str, *, zone: str, now: int) -> dict[str, Any]:
    """The work notice of a to-do: what it is, when it is due (on the organization's working clock,
    ``work_timezone``), a 完成 button and a link to it."""
    fields = [{"title": "优先级", "value": PRIORITY_WORDS[view["priority"]], "short": True}]
    if view["due_at"] is not None:
        fields.append({"title": "截止", "value": clock.written(view["due_at"], zone, now=now), "short": True})
    section: dict[str, Any] = {
        "type": "section",
        "pretext": heading,
        "title": view["title"],
        "title_url": f"/#/todos/{view['id']}",
        "fields": fields,
    }
    if view["description"]:
        section["text"] = _clip(view["description"], 1000)
    path = f"/api/v1/orgs/{view['organization_id']}/todos/{view['id']}/done"
    buttons = {
        "type": "buttons",
        "layout": "horizontal",
        "buttons": [
            {"title": "完成", "style": "primary", "action": {"path": path, "body": {}, "done": "已完成"}},
            {"title": "查看", "url": f"/#/todos/{view['id']}"},
        ],
    }
    return {"blocks": [section, buttons]}


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _title_of(body: str) -> str:
    """A title from a message: its first line with something in it, at most MAX_TITLE characters."""
    for line in body.splitlines():
        cleaned = "".join(ch for ch in line if not text.is_invisible(ch)).strip()
        if cleaned:
            return _clip(cleaned, MAX_TITLE)
    return ""
