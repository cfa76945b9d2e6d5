"""Daily reports (日志): templates and reminder rules (admins), writing, drafts and sending, the
received / sent / draft lists, reading (read status), comments, and a leader's team status."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath, IdQuery
from lakeside.domain.inputs import Id, Int32, Text

router = APIRouter(prefix="/api/v1/orgs/{org_id}", tags=["reports"], responses=ERRORS)

DateStr = Annotated[str, Field(min_length=10, max_length=10, description="YYYY-MM-DD")]
DateQuery = Annotated[Text | None, Query(min_length=10, max_length=10, description="YYYY-MM-DD")]
FieldType = Literal["text", "textarea", "number", "date", "attachment", "image"]
Answer = str | float | int | list[str] | None


class FieldIn(Strict):
    key: str | None = Field(default=None, max_length=32, description="a-z, 0-9, _; made up when absent")
    label: str = Field(max_length=128)
    type: FieldType
    required: bool = False


class FieldOut(BaseModel):
    key: str
    label: str
    type: str
    required: bool


class TemplateIn(Strict):
    name: str = Field(max_length=128)
    period: Literal["day", "week", "month"] = "day"
    fields: list[FieldIn] = Field(max_length=30)


class TemplatePatch(Strict):
    name: str | None = Field(default=None, max_length=128)
    fields: list[FieldIn] | None = Field(default=None, max_length=30)
    archived: bool | None = None


class TemplateOut(BaseModel):
    id: int
    organization_id: int
    builtin: str | None = Field(
        description="daily, weekly, monthly for 日报/周报/月报; null for an admin's own"
    )
    name: str
    period: str = Field(description="day, week or month")
    version: int = Field(description="Moves when the name or fields change; reports keep their copy.")
    fields: list[FieldOut]
    archived: bool
    created_at: int
    updated_at: int


class TemplateList(BaseModel):
    templates: list[TemplateOut]


class ReminderIn(Strict):
    enabled: bool
    hour: Int32 = Field(ge=0, le=23)
    minute: Int32 = Field(default=0, ge=0, le=59)
    weekdays: list[Int32] = Field(default_factory=list, max_length=7, description="1 (Mon) … 7 (Sun)")
    timezone: str | None = Field(
        default=None, max_length=64, description="Default: the server's work_timezone"
    )


class ReminderOut(BaseModel):
    template_id: int
    enabled: bool
    hour: int
    minute: int
    weekdays: list[int]
    timezone: str
    last_period: str | None = Field(description="The period last reminded (once per person per period)")


class ReportIn(Strict):
    template_id: Id
    date: DateStr | None = Field(default=None, description="A day of the period; default today")
    answers: dict[Annotated[str, Field(max_length=32)], Answer] = Field(default_factory=dict, max_length=30)
    user_ids: list[Id] = Field(default_factory=list, max_length=200)
    conversation_ids: list[Id] = Field(default_factory=list, max_length=20)
    send: bool = Field(default=True, description="False: keep it as a draft")


class ReportPatch(Strict):
    date: DateStr | None = None
    answers: dict[Annotated[str, Field(max_length=32)], Answer] | None = Field(default=None, max_length=30)
    user_ids: list[Id] | None = Field(default=None, max_length=200)
    conversation_ids: list[Id] | None = Field(default=None, max_length=20)


class ReportOut(BaseModel):
    id: int
    organization_id: int
    template_id: int
    template_version: int
    template_name: str
    period: str
    date: str = Field(description="The period's first day: the day, its week's Monday, its month's 1st")
    author_id: int
    status: str = Field(description="draft or sent; a sent report cannot be changed")
    fields: list[FieldOut] = Field(description="The fields as they were when it was written")
    answers: dict[str, Any]
    user_ids: list[int] = Field(description="The people it is (to be) sent to")
    conversation_ids: list[int] = Field(description="The groups it is (to be) sent to")
    created_at: int
    updated_at: int
    sent_at: int | None
    read_at: int | None = Field(description="When you read it (receivers); null: unread")
    receiver_count: int
    read_count: int = Field(
        description="How many receivers have read it: the author's alone (0 for receivers)"
    )


class ReportPage(BaseModel):
    reports: list[ReportOut]
    unread: int = Field(description="Reports sent to you that you have not read")


class ReceiverOut(BaseModel):
    user_id: int
    name: str
    read_at: int | None


class ReadersOut(BaseModel):
    report_id: int
    receiver_count: int
    read_count: int
    receivers: list[ReceiverOut]


class CommentIn(Strict):
    body: str = Field(max_length=8000)
    mention_ids: list[Id] = Field(default_factory=list, max_length=50)


class CommentOut(BaseModel):
    id: int
    report_id: int
    author_id: int | None
    body: str
    mention_ids: list[int]
    created_at: int


class CommentList(BaseModel):
    comments: list[CommentOut]


class TeamMember(BaseModel):
    user_id: int
    name: str
    report_id: int | None


class TeamStatus(BaseModel):
    template_id: int
    period: str
    date: str
    submitted: list[TeamMember]
    missing: list[TeamMember]


class RemindIn(Strict):
    template_id: Id
    date: DateStr | None = None
    user_ids: list[Id] | None = Field(default=None, max_length=500, description="Default: all who have not")


class Reminded(BaseModel):
    user_ids: list[int]


@router.get("/report-templates", response_model=TemplateList)
async def list_templates(
    org_id: IdPath, user: UserDep, services: ServicesDep, archived: bool = False
) -> TemplateList:
    """The organization's report templates (日报, 周报, 月报 and admins' own); admins may ask
    for archived ones."""
    rows = await services.reports.list_templates(user, org_id, archived=archived)
    return TemplateList(templates=[TemplateOut(**row) for row in rows])


@router.post("/report-templates", status_code=status.HTTP_201_CREATED, response_model=TemplateOut)
async def create_template(
    org_id: IdPath, body: TemplateIn, user: UserDep, services: ServicesDep
) -> TemplateOut:
    """Make a custom template from typed fields (admins)."""
    fields = [field.model_dump() for field in body.fields]
    row = await services.reports.do_create_template(
        user, org_id, name=body.name, period=body.period, fields=fields
    )
    return TemplateOut(**row)


@router.get("/report-templates/{report_template_id}", response_model=TemplateOut)
async def get_template(
    org_id: IdPath, report_template_id: IdPath, user: UserDep, services: ServicesDep
) -> TemplateOut:
    """One template, its current version."""
    return TemplateOut(**await services.reports.get_template(user, org_id, report_template_id))


@router.patch("/report-templates/{report_template_id}", response_model=TemplateOut)
async def update_template(
    org_id: IdPath, report_template_id: IdPath, body: TemplatePatch, user: UserDep, services: ServicesDep
) -> TemplateOut:
    """Rename, change the fields (a new version) or archive a template (admins)."""
    changes = body.model_dump(exclude_unset=True)
    return TemplateOut(**await services.reports.do_update_template(user, org_id, report_template_id, changes))


@router.get("/report-templates/{report_template_id}/reminder", response_model=ReminderOut)
async def get_reminder(
    org_id: IdPath, report_template_id: IdPath, user: UserDep, services: ServicesDep
) -> ReminderOut:
    """The template's reminder rule (a disabled default when none is set)."""
    return ReminderOut(**await services.reports.reminders.get_reminder(user, org_id, report_template_id))


@router.put("/report-templates/{report_template_id}/reminder", response_model=ReminderOut)
async def set_reminder(
    org_id: IdPath, report_template_id: IdPath, body: ReminderIn, user: UserDep, services: ServicesDep
) -> ReminderOut:
    """Set the reminder rule (admins): at hh:mm on the weekdays, in the zone, members who have not
    written for the period get a work notice (monthly: on the month's last day)."""
    row = await services.reports.reminders.do_set_reminder(
        user,
        org_id,
        report_template_id,
        enabled=body.enabled,
        hour=body.hour,
        minute=body.minute,
        weekdays=body.weekdays,
        timezone=body.timezone,
    )
    return ReminderOut(**row)


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    dependencies=[limited("reports")],
)
async def write_report(org_id: IdPath, body: ReportIn, user: UserDep, services: ServicesDep) -> ReportOut:
    """Write a report and send it to people and/or groups (or keep it as a draft)."""
    row = await services.reports.do_write(
        user,
        org_id,
        template_id=body.template_id,
        day=body.date,
        answers=body.answers,
        user_ids=body.user_ids,
        conversation_ids=body.conversation_ids,
        send=body.send,
    )
    return ReportOut(**row)


@router.get("/reports", response_model=ReportPage)
async def list_reports(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    box: Literal["received", "sent", "drafts"] = "received",
    template_id: IdQuery | None = None,
    sender_id: IdQuery | None = None,
    since: DateQuery = None,
    until: DateQuery = None,
    unread: bool = False,
    before: IdQuery | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ReportPage:
    """Reports sent to you (``received``, filter by template, sender, dates, unread), the ones you
    sent, or your drafts; newest first."""
    rows, count = await services.reports.list_reports(
        user,
        org_id,
        box=box,
        template_id=template_id,
        sender_id=sender_id,
        since=since,
        until=until,
        unread=unread,
        before_id=before,
        limit=limit,
    )
    return ReportPage(reports=[ReportOut(**row) for row in rows], unread=count)


@router.get("/reports/team", response_model=TeamStatus)
async def team_status(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    template_id: IdQuery,
    date: DateQuery = None,
) -> TeamStatus:
    """For department leaders: who in the team (their departments and all below) has and has not
    sent a report of the template for the day / week / month."""
    return TeamStatus(**await services.reports.team_status(user, org_id, template_id=template_id, day=date))


@router.post("/reports/team/remind", response_model=Reminded)
async def remind_team(org_id: IdPath, body: RemindIn, user: UserDep, services: ServicesDep) -> Reminded:
    """Remind those of your team who have not written (a work notice each; once per period)."""
    ids = await services.reports.do_remind_team(
        user, org_id, template_id=body.template_id, day=body.date, user_ids=body.user_ids
    )
    return Reminded(user_ids=ids)


@router.get("/reports/{report_id}", response_model=ReportOut)
async def get_report(org_id: IdPath, report_id: IdPath, user: UserDep, services: ServicesDep) -> ReportOut:
    """One report (its author and its receivers)."""
    return ReportOut(**await services.reports.get(user, org_id, report_id))


@router.patch("/reports/{report_id}", response_model=ReportOut)
async def update_draft(
    org_id: IdPath, report_id: IdPath, body: ReportPatch, user: UserDep, services: ServicesDep
) -> ReportOut:
    """Change a draft (a sent report cannot be changed: 409 REPORT_ALREADY_SENT)."""
    changes = body.model_dump(exclude_unset=True)
    return ReportOut(**await services.reports.do_update_draft(user, org_id, report_id, changes))


@router.delete("/reports/{report_id}", response_model=Ok)
async def delete_draft(org_id: IdPath, report_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Delete a draft (a sent report cannot be withdrawn)."""
    await services.reports.do_delete_draft(user, org_id, report_id)
    return Ok()


@router.post("/reports/{report_id}/send", response_model=ReportOut, dependencies=[limited("reports")])
async def send_draft(org_id: IdPath, report_id: IdPath, user: UserDep, services: ServicesDep) -> ReportOut:
    """Send a draft to the people and groups it names."""
    return ReportOut(**await services.reports.do_send(user, org_id, report_id))


@router.post("/reports/{report_id}/read", response_model=ReportOut)
async def mark_read(org_id: IdPath, report_id: IdPath, user: UserDep, services: ServicesDep) -> ReportOut:
    """Mark it read (receivers; the first time counts, the author is told)."""
    return ReportOut(**await services.reports.do_mark_read(user, org_id, report_id))


@router.get("/reports/{report_id}/readers", response_model=ReadersOut)
async def readers(org_id: IdPath, report_id: IdPath, user: UserDep, services: ServicesDep) -> ReadersOut:
    """Who it was sent to and who has read it (the author)."""
    return ReadersOut(**await services.reports.readers(user, org_id, report_id))


@router.get("/reports/{report_id}/comments", response_model=CommentList)
async def list_comments(
    org_id: IdPath, report_id: IdPath, user: UserDep, services: ServicesDep
) -> CommentList:
    """The report's comments, oldest first."""
    rows = await services.reports.comments(user, org_id, report_id)
    return CommentList(comments=[CommentOut(**row) for row in rows])


@router.post(
    "/reports/{report_id}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentOut,
    dependencies=[limited("reports")],
)
async def comment(
    org_id: IdPath, report_id: IdPath, body: CommentIn, user: UserDep, services: ServicesDep
) -> CommentOut:
    """Comment on a sent report; ``mention_ids`` (people who can read it) get a work notice, as
    does the author."""
    row = await services.reports.do_comment(
        user, org_id, report_id, body=body.body, mention_ids=body.mention_ids
    )
    return CommentOut(**row)
