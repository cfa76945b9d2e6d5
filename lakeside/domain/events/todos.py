"""Events of to-dos (待办): every change of a to-do goes to the people it involves — its creator and
its assignees — and to nobody else (the to-do is invisible to the rest of the organization)."""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import Event, declare, shared

INVOLVED = "the to-do's creator and assignees"


@shared
class Todo(Event):
    """A to-do as ``GET /api/v1/orgs/{id}/todos/{todo_id}`` returns it (``todo_view``)."""

    id: int
    organization_id: int
    creator_id: int | None
    creator_name: str
    title: str
    description: str
    html: str
    priority: str
    due_at: int | None
    remind_at: int | None
    source: str
    message_id: int | None
    conversation_id: int | None
    ding_id: int | None
    assignees: list[dict[str, Any]]
    done_at: int | None
    created_at: int
    updated_at: int


@declare("todo", "created", to="users", addressed_to=INVOLVED)
class TodoCreated(Todo):
    """the to-do"""


@declare("todo", "updated", to="users", addressed_to=INVOLVED)
class TodoUpdated(Todo):
    """the to-do as it is now: edited, assignees changed, someone marked it done or undone"""


@declare("todo", "removed", to="users", addressed_to="the assignees taken off it")
class TodoRemoved(Event):
    """`{id, organization_id}`: the to-do is no longer assigned to you (and no longer visible)"""

    id: int
    organization_id: int


@declare("todo", "deleted", to="users", addressed_to=INVOLVED)
class TodoDeleted(Event):
    """`{id, organization_id}`: the creator deleted it"""

    id: int
    organization_id: int
