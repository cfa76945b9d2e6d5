"""Growth analytics for server administrators, as JSON or CSV (``?format=csv``).

Dates are calendar days (YYYY-MM-DD) in the growth time zone; ``from`` and ``to`` are inclusive,
at most 400 days apart; by default the 30 days ending today. Definitions: docs/growth.md.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep
from lakeside.api.growth_admin import AdminDep
from lakeside.api.schemas import ERRORS
from lakeside.domain.growth import date_of_day
from lakeside.services.growth.analytics import to_csv

router = APIRouter(prefix="/api/v1/admin/analytics", tags=["analytics"], responses=ERRORS)

From = Annotated[date | None, Query(alias="from", description="First day (YYYY-MM-DD), inclusive")]
To = Annotated[date | None, Query(alias="to", description="Last day (YYYY-MM-DD), inclusive; default today")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: a download with a header line")]
CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV"}}


class DayOut(BaseModel):
    date: str
    registrations: int
    registered_total: int = Field(description="Accounts created up to the end of the day.")
    dau: int = Field(description="Users active that day.")
    wau: int = Field(description="Users active on any of the 7 days ending that day.")
    mau: int = Field(description="Users active on any of the 30 days ending that day.")
    active_organizations: int = Field(description="Organizations with a member active that day.")


class DailyOut(BaseModel):
    timezone: str
    days: list[DayOut]


class GrowthOut(BaseModel):
    timezone: str
    from_: str = Field(alias="from")
    to: str
    days: int
    dau_from: int
    dau_to: int
    dau_growth_percent: float | None = Field(description="+500.0 means six times the DAU; null from 0.")
    avg7_dau_from: float
    avg7_dau_to: float
    avg7_growth_percent: float | None
    registrations: int = Field(description="Sign-ups from `from` to `to`, both included.")
    registered_total_from: int
    registered_total_to: int


class CohortOut(BaseModel):
    date: str = Field(description="The registration day.")
    cohort: int
    day1: int | None = Field(description="Of the cohort, active on the next day; null until it ended.")
    day1_rate: float | None
    day7: int | None
    day7_rate: float | None
    day30: int | None
    day30_rate: float | None


class RetentionOut(BaseModel):
    timezone: str
    cohorts: list[CohortOut]


class SummaryOut(BaseModel):
    date: str
    timezone: str
    registered_total: int
    registrations_today: int
    dau: int
    wau: int
    mau: int
    active_organizations: int
    dau_growth_30d_percent: float | None


def _csv(rows: list[dict[str, Any]], name: str, first: int, last: int) -> Response:
    filename = f"lakeside-{name}-{date_of_day(first).isoformat()}-{date_of_day(last).isoformat()}.csv"
    return Response(
        # A byte-order mark, so that spreadsheet software reads the UTF-8 as UTF-8.
        "\ufeff" + to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/summary", response_model=SummaryOut)
async def summary(admin: AdminDep, services: ServicesDep) -> SummaryOut:
    """Today at a glance: registered users, DAU/WAU/MAU, active organizations, DAU growth over
    the last 30 days."""
    return SummaryOut(**await services.growth.analytics.summary())


@router.get("/daily", response_model=DailyOut, responses=CSV)
async def daily(
    admin: AdminDep, services: ServicesDep, first: From = None, last: To = None, format: Format = "json"
) -> Any:
    """Per day: registrations and the running total, DAU, WAU, MAU, active organizations."""
    analytics = services.growth.analytics
    first_day, last_day = analytics.span(first, last)
    rows = await analytics.daily(first_day, last_day)
    if format == "csv":
        return _csv(rows, "daily", first_day, last_day)
    return DailyOut(timezone=analytics.tz, days=[DayOut(**row) for row in rows])


@router.get("/growth", response_model=GrowthOut, responses=CSV)
async def growth(
    admin: AdminDep, services: ServicesDep, first: From = None, last: To = None, format: Format = "json"
) -> Any:
    """How DAU grew from the first day to the last (the seed's "+500% in a month"), also over
    7-day averages, and the sign-ups in between."""
    analytics = services.growth.analytics
    first_day, last_day = analytics.span(first, last)
    result = await analytics.growth(first_day, last_day)
    if format == "csv":
        return _csv([result], "growth", first_day, last_day)
    return GrowthOut(timezone=analytics.tz, **result)


@router.get("/retention", response_model=RetentionOut, responses=CSV)
async def retention(
    admin: AdminDep, services: ServicesDep, first: From = None, last: To = None, format: Format = "json"
) -> Any:
    """Cohorts by registration day: how many were active again 1, 7 and 30 days later."""
    analytics = services.growth.analytics
    first_day, last_day = analytics.span(first, last)
    rows = await analytics.retention(first_day, last_day)
    if format == "csv":
        return _csv(rows, "retention", first_day, last_day)
    return RetentionOut(timezone=analytics.tz, cohorts=[CohortOut(**row) for row in rows])
