"""Campaigns: define them as data, read the live leaderboard, team standings, your own friends as
the campaign counts them, frozen snapshots, the quota report, and review fraud flags.

Members of the campaign's organization read; its owner and admins (and server admins) manage.
Anyone else gets 404, as for a campaign that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath
from lakeside.domain.campaigns import CampaignSpec
from lakeside.domain.inputs import Text
from lakeside.errors import Invalid
from lakeside.services.growth.campaign_views import quota_csv
from lakeside.services.growth.campaigns import templates

router = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=ERRORS)


class CampaignOut(BaseModel):
    id: int
    organization_id: int
    name: str
    spec: CampaignSpec
    starts_at: int
    ends_at: int = Field(description="The moment of evaluation at the deadline (ms).")
    quota_at: int | None
    status: str = Field(description="scheduled, running, closing (past the deadline, freezing) or ended.")
    ready: bool = Field(description="False while the leaderboard is being (re)built.")
    frozen_at: int | None
    can_manage: bool
    created_at: int
    updated_at: int


class CampaignList(BaseModel):
    campaigns: list[CampaignOut]


class EntryOut(BaseModel):
    rank: int
    user_id: int
    name: str
    username: str
    team_id: int | None
    team: str
    score: int = Field(description="Non-colleague friends active in the window.")
    reached_at: int | None = Field(description="When the newest counted friend became a friend (tie-break).")
    outside_friends: int | None = Field(
        description="Non-colleague friends regardless of activity (live only)."
    )
    prize: str | None = Field(description="The prize tier's key this rank wins, if any.")


class LeaderboardOut(BaseModel):
    campaign_id: int
    status: str
    frozen: bool
    ready: bool
    window_days: int
    evaluated_day: int | None = Field(description="Day number (days since 1970-01-01) the scores are for.")
    total: int
    entries: list[EntryOut]
    me: EntryOut | None = Field(description="The caller's own entry when they take part.")


class TeamOut(BaseModel):
    rank: int
    team_id: int
    name: str
    members: int
    total: int
    score: float = Field(description="The sum or the average of the members' scores.")
    prize: str | None


class TeamsOut(BaseModel):
    campaign_id: int
    aggregate: str | None
    teams: list[TeamOut]


class FriendOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    since: int
    last_active_day: int | None
    counts: bool
    reason: str = Field(
        description="Why not: colleague, blocked, deactivated, flagged, registration, inactive; ''=counts."
    )


class MyFriendsOut(BaseModel):
    campaign_id: int
    window_days: int
    friends: list[FriendOut]


class SnapshotOut(BaseModel):
    campaign_id: int
    kind: str
    evaluated_at: int
    taken_at: int
    inputs_hash: str
    result_hash: str
    ranking: list[EntryOut]
    teams: list[TeamOut]


class VerifyOut(BaseModel):
    inputs_hash: str
    result_hash: str
    from_inputs: bool = Field(description="The stored inputs give the stored result again.")
    rerun_inputs_hash: str
    rerun_result_hash: str
    rerun_matches: bool = Field(description="Evaluating the database again gives the same hashes.")


class QuotaLineOut(BaseModel):
    user_id: int
    name: str
    username: str
    department_id: int | None
    department: str
    count: int
    shortfall: int


class QuotaOut(BaseModel):
    campaign_id: int
    final: bool = Field(description="True once frozen at the quota date; before it, a live preview.")
    quota_at: int | None
    min_outside_users: int
    require_active: bool
    consequence: str
    consequence_en: str
    participants: int
    compliant: int
    below: list[QuotaLineOut]


class FlagOut(BaseModel):
    id: int
    campaign_id: int
    user_id: int
    name: str
    username: str
    rule: str
    params: dict[str, Any]
    reason: str
    reason_zh: str
    related_user_id: int | None
    status: str = Field(
        description="open, confirmed or cleared; open and confirmed keep the friend from counting."
    )
    note: str
    decided_by: int | None
    decided_at: int | None
    created_at: int


class FlagList(BaseModel):
    flags: list[FlagOut]


class DecisionIn(Strict):
    decision: Literal["clear", "confirm", "reopen"]
    note: str = Field(default="", max_length=256)


class ScreenOut(BaseModel):
    new_flags: int


@router.post("/orgs/{org_id}/campaigns", status_code=status.HTTP_201_CREATED, response_model=CampaignOut)
async def create_campaign(org_id: IdPath, body: CampaignSpec, user: UserDep, services: ServicesDep) -> Any:
    """Define a campaign (organization owner/admins, server admins). Departments may be named."""
    return await services.campaigns.do_create(user, org_id, body.model_dump(mode="json"))


class TemplateOut(BaseModel):
    key: str = Field(description="The file's name, e.g. laiwang-2013.")
    spec: CampaignSpec


@router.get("/campaign-templates", response_model=list[TemplateOut])
async def campaign_templates(
    user: UserDep,
    services: ServicesDep,
    start: Annotated[
        Text | None,
        Query(
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            description="Start each on this day, YYYY-MM-DD (default today).",
            examples=["2026-12-01"],
        ),
    ] = None,
) -> Any:
    """The campaigns lakeside ships as examples (the 2013 Laiwang contest), moved to start on
    ``start`` with their lengths kept, ready to edit and create."""
    # An ISO date only: a bare number would otherwise be read as a Unix time.
    try:
        first_day = dt.date.fromisoformat(start) if start else None
    except ValueError:
        raise Invalid(f"start: {start!r} is not a day of the calendar.", code="INVALID_DATE") from None
    first_day = first_day or dt.datetime.now(ZoneInfo(services.ctx.settings.growth_timezone)).date()
    return [{"key": key, "spec": spec} for key, spec in templates(first_day)]


@router.get("/orgs/{org_id}/campaigns", response_model=CampaignList)
async def list_campaigns(org_id: IdPath, user: UserDep, services: ServicesDep) -> Any:
    """The organization's campaigns, newest first (members)."""
    return {"campaigns": await services.campaigns.list_campaigns(user, org_id)}


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
async def get_campaign(campaign_id: IdPath, user: UserDep, services: ServicesDep) -> Any:
    """One campaign with its definition."""
    return await services.campaigns.get(user, campaign_id)


@router.put("/campaigns/{campaign_id}", response_model=CampaignOut)
async def update_campaign(
    campaign_id: IdPath, body: CampaignSpec, user: UserDep, services: ServicesDep
) -> Any:
    """Replace the definition (managers; not once ended). The leaderboard is rebuilt."""
    return await services.campaigns.do_update(user, campaign_id, body.model_dump(mode="json"))


@router.delete("/campaigns/{campaign_id}", response_model=Ok)
async def delete_campaign(campaign_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Delete a campaign with its leaderboard, snapshots and flags (managers)."""
    await services.campaigns.do_delete(user, campaign_id)
    return Ok()


@router.get("/campaigns/{campaign_id}/leaderboard", response_model=LeaderboardOut)
async def leaderboard(
    campaign_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """The ranking (live; the frozen one once ended), a page of it, and your own entry."""
    return await services.campaigns.leaderboard(user, campaign_id, limit=limit, offset=offset)


@router.get("/campaigns/{campaign_id}/teams", response_model=TeamsOut)
async def teams(campaign_id: IdPath, user: UserDep, services: ServicesDep) -> Any:
    """Team standings by department, with team prizes."""
    return await services.campaigns.teams(user, campaign_id)


@router.get("/campaigns/{campaign_id}/me/friends", response_model=MyFriendsOut)
async def my_friends(campaign_id: IdPath, user: UserDep, services: ServicesDep) -> Any:
    """Your friends as this campaign sees them: which count, and why the others do not."""
    return await services.campaigns.my_friends(user, campaign_id)


@router.get("/campaigns/{campaign_id}/snapshots/{kind}", response_model=SnapshotOut)
async def snapshot(
    campaign_id: IdPath, kind: Literal["final", "quota"], user: UserDep, services: ServicesDep
) -> Any:
    """The result frozen at the deadline (final) or at the quota date (quota)."""
    return await services.campaigns.snapshot(user, campaign_id, kind)


@router.get("/campaigns/{campaign_id}/snapshots/{kind}/verify", response_model=VerifyOut)
async def verify_snapshot(
    campaign_id: IdPath, kind: Literal["final", "quota"], user: UserDep, services: ServicesDep
) -> Any:
    """Recompute the snapshot from its stored inputs and from the database, and compare (managers)."""
    return await services.campaigns.verify_snapshot(user, campaign_id, kind)


@router.get(
    "/campaigns/{campaign_id}/quota",
    response_model=QuotaOut,
    responses={200: {"content": {"text/csv": {}}}},
)
async def quota_report(
    campaign_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Who is below the quota, with their count, department and shortfall (managers); CSV too."""
    report = await services.campaigns.quota_report(user, campaign_id)
    if format == "csv":
        headers = {"content-disposition": f'attachment; filename="campaign-{campaign_id}-quota.csv"'}
        return Response(quota_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    return report


@router.get("/campaigns/{campaign_id}/flags", response_model=FlagList)
async def list_flags(
    campaign_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    status_: Annotated[Literal["open", "confirmed", "cleared"] | None, Query(alias="status")] = None,
) -> Any:
    """Fraud flags with their reasons (managers)."""
    return {"flags": await services.fraud.list_flags(user, campaign_id, status_)}


@router.post("/campaigns/{campaign_id}/flags/{flag_id}", response_model=FlagOut)
async def decide_flag(
    campaign_id: IdPath, flag_id: IdPath, body: DecisionIn, user: UserDep, services: ServicesDep
) -> Any:
    """Clear a flag (the friend counts again), confirm it, or reopen it (managers)."""
    return await services.fraud.do_decide(user, campaign_id, flag_id, body.decision, body.note)


@router.post("/campaigns/{campaign_id}/screen", response_model=ScreenOut)
async def screen(campaign_id: IdPath, user: UserDep, services: ServicesDep) -> Any:
    """Screen the campaign's friends for fraud now (managers); returns how many flags are new."""
    return {"new_flags": await services.fraud.do_screen(user, campaign_id)}
