"""The audit log of an organization's admin actions, for its owner and admins; CSV export too."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS
from lakeside.api.views import MAX_ID, IdPath
from lakeside.domain.inputs import Text

router = APIRouter(prefix="/api/v1/orgs/{org_id}", tags=["audit"], responses=ERRORS)

ActionQuery = Annotated[
    Text | None,
    Query(max_length=64, description="One action (`member.role`) or a family (`member`)."),
]
ActorQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only entries by this user.")]
SinceQuery = Annotated[int | None, Query(ge=0, le=MAX_ID, description="From this time (ms, inclusive).")]
UntilQuery = Annotated[int | None, Query(ge=0, le=MAX_ID, description="Before this time (ms, exclusive).")]


class ActorOut(BaseModel):
    id: int
    username: str
    display_name: str


class AuditEntryOut(BaseModel):
    id: int
    organization_id: int
    action: str = Field(examples=["member.role"])
    actor: ActorOut | None = Field(description="Who did it; null for an account deleted since.")
    target_type: str | None = Field(examples=["user"])
    target_id: int | None
    target_name: str | None = Field(description="The target user's display name, when it is a user.")
    details: dict[str, Any]
    address: str = Field(description="The client address the action came from.")
    created_at: int


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for older entries; null at the end.")


@router.get("/audit-log", response_model=AuditPage)
async def list_audit_log(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    action: ActionQuery = None,
    actor_id: ActorQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    cursor: Annotated[Text | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Admin actions in the organization, newest first (owner and admins only)."""
    entries, next_cursor = await services.enterprise.audit.list(
        user,
        org_id,
        action=action,
        actor_id=actor_id,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return AuditPage(entries=[AuditEntryOut(**e) for e in entries], next_cursor=next_cursor)


@router.get(
    "/audit-log/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The entries as CSV (UTF-8)."}},
)
async def export_audit_log(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    action: ActionQuery = None,
    actor_id: ActorQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> Response:
    """Every matching entry as CSV, newest first (owner and admins only)."""
    body = await services.enterprise.audit.export_csv(
        user, org_id, action=action, actor_id=actor_id, since=since, until=until
    )
    headers = {"content-disposition": f'attachment; filename="audit-log-{org_id}.csv"'}
    # A byte-order mark so that spreadsheet programs read Chinese names as UTF-8.
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8", headers=headers)
