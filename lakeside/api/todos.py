"""To-dos (待办): make one (from scratch, a message or a DING), list mine, mark done, edit, delete."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath, IdQuery
from lakeside.domain.inputs import Id, Int64

router = APIRouter(prefix="/api/v1/orgs/{org_id}", tags=["todos"], responses=ERRORS)

Priority = Literal["normal", "high", "urgent"]


class TodoIn(Strict):
    title: str = Field(max_length=1000)
    description: str = Field(default="", max_length=65536, description="Markdown.")
    assignee_ids: list[Id] = Field(
        default_factory=list,
        max_length=200,
        description="Members of the organization. Empty: the DING's receivers for a DING's to-do, "
        "else yourself.",
    )
    due_at: Int64 | None = Field(default=None, description="When it is due (ms); may be in the past.")
    remind_at: Int64 | None = Field(
        default=None,
        description="When assignees are reminded (ms, in the future): e.g. 15 minutes before due.",
    )
    priority: Priority = "normal"
    message_id: Id | None = Field(default=None, description="Made from this message (you must see it).")
    ding_id: Id | None = Field(default=None, description="Made from this DING (you sent or received it).")


class TodoPatch(Strict):
    title: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=65536)
    assignee_ids: list[Id] | None = Field(default=None, max_length=200)
    due_at: Int64 | None = None
    remind_at: Int64 | None = None
    priority: Priority | None = None


class DoneIn(Strict):
    everyone: bool = Field(default=False, description="The creator: for every assignee.")


class AssigneeOut(BaseModel):
    user_id: int
    name: str
    done_at: int | None = Field(description="When they marked it done; null: open for them.")


class TodoOut(BaseModel):
    id: int
    organization_id: int
    creator_id: int | None
    creator_name: str
    title: str
    description: str = Field(description="Markdown, as written.")
    html: str = Field(description="The description rendered and sanitized (what clients show).")
    priority: str = Field(description="normal, high or urgent")
    due_at: int | None
    remind_at: int | None
    source: str = Field(description="scratch, message or ding")
    message_id: int | None
    conversation_id: int | None
    ding_id: int | None
    assignees: list[AssigneeOut]
    done_at: int | None = Field(description="When every assignee was done (or the creator closed it).")
    created_at: int
    updated_at: int


class TodoPage(BaseModel):
    todos: list[TodoOut]
    open: int = Field(description="To-dos assigned to you and not done by you (the badge).")
    overdue: int = Field(description="Of those, how many are past due.")


class TodoSummary(BaseModel):
    open: int
    overdue: int


class CandidateOut(BaseModel):
    user_id: int
    name: str


class TodoDraft(BaseModel):
    source: str
    message_id: int | None = None
    conversation_id: int | None = None
    ding_id: int | None = None
    title: str
    description: str
    assignee_ids: list[int] = Field(description="The default assignees (a DING's receivers).")
    candidates: list[CandidateOut] = Field(description="The conversation's or the DING's people.")


@router.get("/todos/summary", response_model=TodoSummary)
async def todo_summary(org_id: IdPath, user: UserDep, services: ServicesDep) -> TodoSummary:
    """The badge: to-dos assigned to you and open for you, and how many are overdue."""
    open_count, overdue = await services.todos.summary(user, org_id)
    return TodoSummary(open=open_count, overdue=overdue)


@router.get("/todos/draft", response_model=TodoDraft)
async def todo_draft(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    message_id: IdQuery | None = None,
    ding_id: IdQuery | None = None,
) -> TodoDraft:
    """The form's start for a to-do from a message or a DING: text, default assignees, candidates."""
    return TodoDraft(**await services.todos.draft(user, org_id, message_id=message_id, ding_id=ding_id))


@router.post(
    "/todos", status_code=status.HTTP_201_CREATED, response_model=TodoOut, dependencies=[limited("todos")]
)
async def create_todo(org_id: IdPath, body: TodoIn, user: UserDep, services: ServicesDep) -> TodoOut:
    """Make a to-do; its assignees get a work notice."""
    view = await services.todos.do_create(user, org_id, **body.model_dump())
    return TodoOut(**view)


@router.get("/todos", response_model=TodoPage)
async def list_todos(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    box: Annotated[
        Literal["assigned", "created"], Query(description="assigned: to me; created: by me")
    ] = "assigned",
    done: Annotated[bool, Query(description="Done ones (for me, or for everyone in created).")] = False,
    priority: Priority | None = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> TodoPage:
    """My to-dos: open ones overdue first, then by due time; done ones latest first."""
    views, open_count, overdue = await services.todos.list_todos(
        user, org_id, box=box, done=done, priority=priority, offset=offset, limit=limit
    )
    return TodoPage(todos=[TodoOut(**v) for v in views], open=open_count, overdue=overdue)


@router.get("/todos/{todo_id}", response_model=TodoOut)
async def get_todo(org_id: IdPath, todo_id: IdPath, user: UserDep, services: ServicesDep) -> TodoOut:
    """One to-do (its creator and assignees)."""
    return TodoOut(**await services.todos.get(user, org_id, todo_id))


@router.patch("/todos/{todo_id}", response_model=TodoOut, dependencies=[limited("todos")])
async def update_todo(
    org_id: IdPath, todo_id: IdPath, body: TodoPatch, user: UserDep, services: ServicesDep
) -> TodoOut:
    """Edit a to-do (its creator). `due_at`/`remind_at` null clear them; new assignees are notified."""
    changes = body.model_dump(exclude_unset=True)
    for key in ("title", "priority"):
        if changes.get(key, "") is None:
            del changes[key]
    return TodoOut(**await services.todos.do_update(user, org_id, todo_id, changes))


@router.post("/todos/{todo_id}/done", response_model=TodoOut)
async def mark_done(
    org_id: IdPath, todo_id: IdPath, user: UserDep, services: ServicesDep, body: DoneIn | None = None
) -> TodoOut:
    """Done for me (an assignee), or for everyone (`everyone`, the creator)."""
    everyone = body.everyone if body is not None else False
    return TodoOut(**await services.todos.do_done(user, org_id, todo_id, everyone=everyone, done=True))


@router.post("/todos/{todo_id}/undone", response_model=TodoOut)
async def mark_undone(
    org_id: IdPath, todo_id: IdPath, user: UserDep, services: ServicesDep, body: DoneIn | None = None
) -> TodoOut:
    """Open again for me, or for everyone (`everyone`, the creator)."""
    everyone = body.everyone if body is not None else False
    return TodoOut(**await services.todos.do_done(user, org_id, todo_id, everyone=everyone, done=False))


@router.delete("/todos/{todo_id}", response_model=Ok)
async def delete_todo(org_id: IdPath, todo_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Delete a to-do (its creator); it leaves everyone's lists."""
    await services.todos.do_delete(user, org_id, todo_id)
    return Ok()
