"""Approvals (审批): templates (forms and flows, in versions), requests and their actions, the
lists, CSV export and statistics; and the organization's roles (角色) that flows name.

The form and flow documents are checked in depth by lakeside.domain.approvals (fields.py,
flows.py); the models here bound their sizes and shapes at the edge. The shapes are described in
docs/approvals.md ("API").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath, IdQuery
from lakeside.domain.inputs import Id, Int64

router = APIRouter(prefix="/api/v1/orgs/{org_id}", tags=["approvals"], responses=ERRORS)

FieldType = Literal[
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "daterange",
    "datetimerange",
    "select",
    "multiselect",
    "people",
    "department",
    "attachment",
    "image",
    "table",
]
ApproverKind = Literal["user", "leader", "role", "department_leader"]
Op = Literal[">", ">=", "<", "<=", "==", "!=", "in"]


# -- forms ----------------------------------------------------------------------------------------


class FieldIn(Strict):
    """One field of a form. ``key`` names it in ``values`` (letters, digits, _; unique)."""

    key: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    type: FieldType
    label: str = Field(min_length=1, max_length=64)
    required: bool = False
    hidden_from_approvers: bool = Field(default=False, description="Approvers do not see its value.")
    placeholder: str = Field(default="", max_length=128)
    options: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=100, description="select / multiselect: the choices."
    )
    min: Int64 | None = Field(default=None, description="number / money (fen): the least value.")
    max: Int64 | None = Field(default=None, description="number / money (fen): the greatest value.")
    decimals: int | None = Field(default=None, ge=0, le=6, description="number: digits after the point.")
    max_length: int | None = Field(default=None, ge=1, le=5000, description="text / textarea.")
    multiple: bool | None = Field(default=None, description="people / department: more than one.")
    columns: list[FieldIn] | None = Field(
        default=None, max_length=20, description="table: the fields of a row (no tables inside)."
    )
    total_of: str | None = Field(
        default=None, max_length=32, description="table: the number or money column summed as the total."
    )
    summary: bool = Field(default=False, description="Shown in lists and cards (at most 3 fields).")


class FormIn(Strict):
    fields: list[FieldIn] = Field(min_length=1, max_length=50)


# -- flows ----------------------------------------------------------------------------------------


class ApproverIn(Strict):
    """Who: a named person (``user_id``), the applicant's ``level``-th leader (1 = 直属主管; empty
    levels are skipped; no leader at all falls back to the organization's admins), every member
    of a role, or a department's leaders."""

    kind: ApproverKind
    user_id: Id | None = None
    level: int | None = Field(default=None, ge=1, le=20)
    role_id: Id | None = None
    department_id: Id | None = None


class ConditionIn(Strict):
    """``field`` (a field's key; a table's key means its total; a date range's key its duration)
    compared with ``value``. ``in``: value is a list."""

    field: str = Field(min_length=1, max_length=32)
    op: Op
    value: int | str | list[int | str] | None = None


class StepIn(Strict):
    name: str = Field(default="", max_length=64)
    approvers: list[ApproverIn] = Field(min_length=1, max_length=20)
    mode: Literal["any", "all"] = Field(default="any", description="any: 或签; all: 会签.")
    cc: list[ApproverIn] = Field(default_factory=list, max_length=20, description="抄送 when it ends.")
    when: list[ConditionIn] = Field(
        default_factory=list, max_length=10, description="All must hold for the step to be in the flow."
    )


class FlowIn(Strict):
    steps: list[StepIn] = Field(min_length=1, max_length=20)
    cc: list[ApproverIn] = Field(default_factory=list, max_length=20, description="抄送 at the end.")


class SettingsIn(Strict):
    auto_approve_applicant: bool = Field(default=True, description="Skip a task of the applicant.")
    auto_approve_repeat: bool = Field(
        default=True, description="Skip a task of someone who approved an earlier step."
    )
    remind_after_hours: int | None = Field(
        default=None, ge=1, le=720, description="Remind current approvers after this many hours."
    )


class TemplateIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=512)
    icon: str = Field(default="", max_length=32, description="An icon name the client knows.")
    group: str = Field(default="", max_length=32, description="A heading in the template list.")
    form: FormIn
    flow: FlowIn
    settings: SettingsIn = Field(default_factory=SettingsIn)


class TemplatePatch(Strict):
    """A change to the form, flow or settings makes a new version; requests keep theirs."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=512)
    icon: str | None = Field(default=None, max_length=32)
    group: str | None = Field(default=None, max_length=32)
    form: FormIn | None = None
    flow: FlowIn | None = None
    settings: SettingsIn | None = None
    enabled: bool | None = None


class TemplateOut(BaseModel):
    id: int
    organization_id: int
    name: str
    description: str
    icon: str
    group: str
    builtin: str | None = Field(description="leave, expense, trip, purchase, general, or null.")
    enabled: bool
    version: int = Field(description="The current version's number (1, 2, …).")
    version_id: int
    form: dict[str, Any]
    flow: dict[str, Any]
    settings: dict[str, Any]
    created_at: int
    updated_at: int


class TemplatePage(BaseModel):
    templates: list[TemplateOut]


# -- preview and requests --------------------------------------------------------------------------


class PersonOut(BaseModel):
    user_id: int
    name: str
    avatar_url: str | None = None


class PreviewStepOut(BaseModel):
    name: str
    mode: str
    approvers: list[PersonOut]
    auto_approved: bool = Field(description="Every approver would be skipped by the auto-approval settings.")


class PreviewOut(BaseModel):
    steps: list[PreviewStepOut]
    cc: list[PersonOut]
    errors: dict[str, str] = Field(description="Field key → message, for values not acceptable yet.")


class ValuesIn(Strict):
    values: dict[str, Any] = Field(description="Field key → value (see docs/approvals.md for each type).")


class SubmitIn(Strict):
    template_id: Id
    values: dict[str, Any]


class CommentIn(Strict):
    comment: str = Field(default="", max_length=2000)


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class TransferIn(Strict):
    user_id: Id
    comment: str = Field(default="", max_length=2000)


class AddApproverIn(Strict):
    user_ids: list[Id] = Field(min_length=1, max_length=20)
    position: Literal["before", "after"]
    mode: Literal["any", "all"] = "all"
    comment: str = Field(default="", max_length=2000)


class NoteIn(Strict):
    body: str = Field(default="", max_length=4000, description="@name mentions tell those members.")
    file_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=9
    )


class TaskOut(BaseModel):
    id: int
    user_id: int
    name: str
    avatar_url: str | None = None
    status: str = Field(
        description="waiting, pending, approved, rejected, returned, transferred, auto_approved, cancelled"
    )
    comment: str
    acted_at: int | None


class StepOut(BaseModel):
    id: int
    position: int
    name: str
    mode: str
    origin: str = Field(description="flow, or added (加签).")
    status: str = Field(description="waiting, pending, approved, rejected, returned, cancelled")
    tasks: list[TaskOut]


class CcOut(BaseModel):
    user_id: int
    name: str
    read_at: int | None


class HistoryOut(BaseModel):
    id: int
    action: str = Field(
        description="submit, approve, auto_approve, reject, return, resubmit, transfer, add_approver, "
        "comment, withdraw, urge, remind, cc, finish"
    )
    actor_id: int | None
    actor_name: str | None
    step_id: int | None
    comment: str
    file_ids: list[str]
    data: dict[str, Any]
    created_at: int


class SummaryOut(BaseModel):
    label: str
    text: str


class Abilities(BaseModel):
    approve: bool
    reject: bool
    return_: bool = Field(alias="return", serialization_alias="return")
    transfer: bool
    add_approver: bool
    withdraw: bool
    resubmit: bool
    urge: bool
    comment: bool

    model_config = {"populate_by_name": True}


class RequestOut(BaseModel):
    id: int
    serial: str = Field(description="审批编号, e.g. 202612080001.")
    organization_id: int
    template_id: int
    template_version: int
    template_name: str
    applicant: PersonOut
    department_id: int | None
    department_name: str | None
    status: str = Field(description="pending, approved, rejected, returned, withdrawn")
    summary: list[SummaryOut]
    current_approvers: list[PersonOut]
    created_at: int
    updated_at: int
    finished_at: int | None


class RequestDetailOut(RequestOut):
    form: dict[str, Any] = Field(description="The form of the request's version (hidden fields left out).")
    values: dict[str, Any] = Field(description="Filtered by the fields' visibility to approvers.")
    computed: dict[str, Any] = Field(description="Durations of ranges and totals of tables, by key.")
    steps: list[StepOut]
    cc: list[CcOut]
    history: list[HistoryOut]
    my_task_id: int | None
    can: Abilities


class RequestPage(BaseModel):
    approvals: list[RequestOut]
    next_cursor: int | None = Field(description="Pass as cursor for the next page; null: no more.")


class StatsRow(BaseModel):
    key: str
    label: str
    count: int


class StepStats(BaseModel):
    template_id: int
    template_name: str
    step_name: str
    decided: int
    average_ms: int | None


class StatsOut(BaseModel):
    total: int
    by_status: list[StatsRow]
    by_template: list[StatsRow]
    average_ms_to_finish: int | None = Field(description="Submit → approved, over approved requests.")
    per_step: list[StepStats]


# -- roles ----------------------------------------------------------------------------------------


class RoleIn(Strict):
    name: str = Field(min_length=1, max_length=32)
    user_ids: list[Id] = Field(default_factory=list, max_length=500)


class RolePatch(Strict):
    name: str = Field(min_length=1, max_length=32)


class RoleMembersIn(Strict):
    user_ids: list[Id] = Field(max_length=500)


class RoleOut(BaseModel):
    id: int
    organization_id: int
    name: str
    members: list[PersonOut]
    created_at: int


class RolePage(BaseModel):
    roles: list[RoleOut]


BoxQuery = Annotated[Literal["pending", "handled", "mine", "cc"], Query(description="Which list.")]

FromQuery = Annotated[Int64 | None, Query(alias="from", ge=0, description="Submitted at or after (ms).")]
ToQuery = Annotated[Int64 | None, Query(ge=0, description="Submitted before (ms).")]


def _filters(
    template_id: int | None, status_: str | None, from_: int | None, to: int | None
) -> dict[str, Any]:
    return {"template_id": template_id, "status": status_, "from": from_, "to": to}


# -- templates ------------------------------------------------------------------------------------


@router.get("/approval-templates", response_model=TemplatePage)
async def list_templates(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    everything: Annotated[bool, Query(alias="all", description="Admins: disabled ones too.")] = False,
) -> TemplatePage:
    """The templates members pick from (the built-in ones are made on first use)."""
    rows = await services.approvals.list_templates(user, org_id, everything=everything)
    return TemplatePage(templates=[TemplateOut(**row) for row in rows])


@router.post("/approval-templates", status_code=status.HTTP_201_CREATED, response_model=TemplateOut)
async def create_template(
    org_id: IdPath, body: TemplateIn, user: UserDep, services: ServicesDep
) -> TemplateOut:
    """Create a template: a form and a flow (admins)."""
    return TemplateOut(**await services.approvals.do_create_template(user, org_id, body.model_dump()))


@router.get("/approval-templates/{template_id}", response_model=TemplateOut)
async def get_template(
    org_id: IdPath, template_id: IdPath, user: UserDep, services: ServicesDep
) -> TemplateOut:
    """One template with its current version."""
    return TemplateOut(**await services.approvals.get_template(user, org_id, template_id))


@router.patch("/approval-templates/{template_id}", response_model=TemplateOut)
async def update_template(
    org_id: IdPath, template_id: IdPath, body: TemplatePatch, user: UserDep, services: ServicesDep
) -> TemplateOut:
    """Change a template (admins); a new form, flow or settings makes a new version."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    for key in ("form", "flow", "settings"):
        if getattr(body, key) is not None:
            changes[key] = getattr(body, key).model_dump()
    return TemplateOut(**await services.approvals.do_update_template(user, org_id, template_id, changes))


@router.post("/approval-templates/{template_id}/preview", response_model=PreviewOut)
async def preview(
    org_id: IdPath, template_id: IdPath, body: ValuesIn, user: UserDep, services: ServicesDep
) -> PreviewOut:
    """Who would approve a request with these values, for you (shown before submitting)."""
    return PreviewOut(**await services.approvals.preview(user, org_id, template_id, body.values))


# -- requests -------------------------------------------------------------------------------------


@router.post(
    "/approvals",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestDetailOut,
    dependencies=[limited("approvals")],
)
async def submit(org_id: IdPath, body: SubmitIn, user: UserDep, services: ServicesDep) -> RequestDetailOut:
    """Submit a request with a template's form filled in."""
    return RequestDetailOut(**await services.approvals.do_submit(user, org_id, body.template_id, body.values))


@router.get("/approvals", response_model=RequestPage)
async def list_approvals(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    box: BoxQuery = "pending",
    template_id: IdQuery | None = None,
    status_: Annotated[
        Literal["pending", "approved", "rejected", "returned", "withdrawn"] | None,
        Query(alias="status", description="A status."),
    ] = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    cursor: IdQuery | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> RequestPage:
    """Pending for me, handled by me, my requests or copied to me; newest first."""
    rows, next_cursor = await services.approvals.list(
        user, org_id, box, _filters(template_id, status_, from_, to), cursor=cursor, limit=limit
    )
    return RequestPage(approvals=[RequestOut(**row) for row in rows], next_cursor=next_cursor)


@router.get("/approvals/export.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_csv(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    template_id: IdQuery,
    status_: Annotated[
        Literal["pending", "approved", "rejected", "returned", "withdrawn"] | None,
        Query(alias="status", description="A status."),
    ] = None,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> Response:
    """One template's requests as CSV (admins): a row per request, a column per field."""
    body = await services.approvals.export_csv(user, org_id, _filters(template_id, status_, from_, to))
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="approvals-{template_id}.csv"'},
    )


@router.get("/approvals/stats", response_model=StatsOut)
async def stats(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    template_id: IdQuery | None = None,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> StatsOut:
    """Counts by status and template, the average time to approve, per step (admins)."""
    return StatsOut(**await services.approvals.stats(user, org_id, _filters(template_id, None, from_, to)))


@router.get("/approvals/{approval_id}", response_model=RequestDetailOut)
async def get_approval(
    org_id: IdPath, approval_id: IdPath, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """One request: its values, steps, copies and history."""
    return RequestDetailOut(**await services.approvals.get(user, org_id, approval_id))


@router.post("/approvals/{approval_id}/read", response_model=Ok)
async def mark_read(org_id: IdPath, approval_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Mark a copy (抄送) read."""
    await services.approvals.do_mark_read(user, org_id, approval_id)
    return Ok()


@router.post("/approvals/{approval_id}/approve", response_model=RequestDetailOut)
async def approve(
    org_id: IdPath, approval_id: IdPath, body: CommentIn, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """Approve (a current approver)."""
    return RequestDetailOut(**await services.approvals.do_approve(user, org_id, approval_id, body.comment))


@router.post("/approvals/{approval_id}/reject", response_model=RequestDetailOut)
async def reject(
    org_id: IdPath, approval_id: IdPath, body: RejectIn, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """Reject, with a reason (a current approver): the request ends."""
    return RequestDetailOut(**await services.approvals.do_reject(user, org_id, approval_id, body.reason))


@router.post("/approvals/{approval_id}/return", response_model=RequestDetailOut)
async def return_(
    org_id: IdPath, approval_id: IdPath, body: CommentIn, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """Send back to the applicant for changes (a current approver)."""
    return RequestDetailOut(**await services.approvals.do_return(user, org_id, approval_id, body.comment))


@router.post(
    "/approvals/{approval_id}/resubmit", response_model=RequestDetailOut, dependencies=[limited("approvals")]
)
async def resubmit(
    org_id: IdPath, approval_id: IdPath, body: ValuesIn, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """Resubmit a returned request with changed values (the applicant); the flow starts again."""
    return RequestDetailOut(**await services.approvals.do_resubmit(user, org_id, approval_id, body.values))


@router.post(
    "/approvals/{approval_id}/transfer", response_model=RequestDetailOut, dependencies=[limited("approvals")]
)
async def transfer(
    org_id: IdPath, approval_id: IdPath, body: TransferIn, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """Pass your task to another member (a current approver)."""
    return RequestDetailOut(
        **await services.approvals.do_transfer(user, org_id, approval_id, body.user_id, body.comment)
    )


@router.post(
    "/approvals/{approval_id}/add-approver",
    response_model=RequestDetailOut,
    dependencies=[limited("approvals")],
)
async def add_approver(
    org_id: IdPath, approval_id: IdPath, body: AddApproverIn, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """加签: add approvers before or after your step (a current approver)."""
    return RequestDetailOut(
        **await services.approvals.do_add_approvers(
            user, org_id, approval_id, body.user_ids, body.position, body.mode, body.comment
        )
    )


@router.post(
    "/approvals/{approval_id}/comment", response_model=RequestDetailOut, dependencies=[limited("approvals")]
)
async def comment(
    org_id: IdPath, approval_id: IdPath, body: NoteIn, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """Comment, with @mentions and files (anyone who sees the request)."""
    return RequestDetailOut(
        **await services.approvals.do_comment(user, org_id, approval_id, body.body, body.file_ids)
    )


@router.post("/approvals/{approval_id}/withdraw", response_model=RequestDetailOut)
async def withdraw(
    org_id: IdPath, approval_id: IdPath, user: UserDep, services: ServicesDep
) -> RequestDetailOut:
    """Withdraw your request before it ends (the applicant)."""
    return RequestDetailOut(**await services.approvals.do_withdraw(user, org_id, approval_id))


@router.post("/approvals/{approval_id}/urge", response_model=RequestDetailOut)
async def urge(org_id: IdPath, approval_id: IdPath, user: UserDep, services: ServicesDep) -> RequestDetailOut:
    """催办: DING the current approvers (the applicant; once per 10 minutes)."""
    return RequestDetailOut(**await services.approvals.do_urge(user, org_id, approval_id))


# -- roles ----------------------------------------------------------------------------------------


@router.get("/roles", response_model=RolePage)
async def list_roles(org_id: IdPath, user: UserDep, services: ServicesDep) -> RolePage:
    """The organization's roles (人事, 财务…) and their members."""
    return RolePage(roles=[RoleOut(**row) for row in await services.approvals.list_roles(user, org_id)])


@router.post("/roles", status_code=status.HTTP_201_CREATED, response_model=RoleOut)
async def create_role(org_id: IdPath, body: RoleIn, user: UserDep, services: ServicesDep) -> RoleOut:
    """Create a role (admins)."""
    return RoleOut(**await services.approvals.do_create_role(user, org_id, body.name, body.user_ids))


@router.patch("/roles/{role_id}", response_model=RoleOut)
async def rename_role(
    org_id: IdPath, role_id: IdPath, body: RolePatch, user: UserDep, services: ServicesDep
) -> RoleOut:
    """Rename a role (admins)."""
    return RoleOut(**await services.approvals.do_rename_role(user, org_id, role_id, body.name))


@router.put("/roles/{role_id}/members", response_model=RoleOut)
async def set_role_members(
    org_id: IdPath, role_id: IdPath, body: RoleMembersIn, user: UserDep, services: ServicesDep
) -> RoleOut:
    """Set a role's members (admins)."""
    return RoleOut(**await services.approvals.do_set_role_members(user, org_id, role_id, body.user_ids))


@router.delete("/roles/{role_id}", response_model=Ok)
async def delete_role(org_id: IdPath, role_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Delete a role no template names (admins)."""
    await services.approvals.do_delete_role(user, org_id, role_id)
    return Ok()
