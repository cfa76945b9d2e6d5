"""Growth analytics for server admins: registrations, DAU/WAU/MAU, growth, retention, active
organizations, over any range of days in the growth time zone (at most ``MAX_SPAN_DAYS``).

Definitions (docs/growth.md says the same):

- registrations on day D: accounts created on D (``registrations.created_at``);
  ``registered_total``: accounts created up to the end of D.
- DAU(D): users with an activity row on D (a log-in, a message sent or an app open that day).
  WAU(D): users active on at least one of the 7 days D-6..D; MAU(D): of the 30 days D-29..D.
- growth between days A and B: (DAU(B) - DAU(A)) / DAU(A) in percent (+500.0 means six times);
  the same over the 7-day average DAU ending on each day, which smooths weekends.
- retention of cohort D (people who registered on D): the share of them active on exactly day
  D+1, D+7 and D+30; null while that day has not ended yet.
- active organizations(D): organizations with at least one current member active on D.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from lakeside.domain.growth import (
    date_of_day,
    day_of,
    day_of_date,
    day_segments,
    day_start_ms,
    growth_percent,
)
from lakeside.domain.spreadsheet import safe_cell
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid
from lakeside.services.context import Context
from lakeside.services.growth.activity import Activity
from lakeside.store.growth import analytics as store

MAX_SPAN_DAYS = 400
LAST_DAY = day_of_date(date(2999, 12, 31))
DEFAULT_SPAN_DAYS = 30
RETENTION_DAYS = (1, 7, 30)
WINDOWS = (7, 30)


class Analytics:
    def __init__(self, ctx: Context, activity: Activity) -> None:
        self.ctx = ctx
        self.tz = ctx.settings.growth_timezone
        self.activity = activity

    def today(self) -> int:
        return day_of(now_ms(), self.tz)

    def span(self, first: date | None, last: date | None) -> tuple[int, int]:
        """The validated day range: by default the 30 days ending today (or ending ``last``)."""
        last_day = day_of_date(last) if last is not None else self.today()
        first_day = day_of_date(first) if first is not None else last_day - DEFAULT_SPAN_DAYS + 1
        if first_day > last_day:
            raise Invalid("'from' must not be after 'to'.", code="BAD_RANGE")
        if last_day - first_day + 1 > MAX_SPAN_DAYS:
            raise Invalid(f"A range spans at most {MAX_SPAN_DAYS} days.", code="RANGE_TOO_LONG")
        if first_day < 0 or last_day > LAST_DAY:
            raise Invalid("Dates run from 1970 to 2999.", code="BAD_RANGE")
        return first_day, last_day

    async def daily(self, first_day: int, last_day: int) -> list[dict[str, Any]]:
        """One row per day: registrations (and the running total), DAU, WAU, MAU, active orgs."""
        segments = day_segments(first_day, last_day, self.tz)
        await self.activity.flush()  # this node's last seconds count too
        async with self.ctx.db.read() as conn:
            registered = await store.registrations_per_day(conn, segments)
            total = await store.registrations_before(conn, day_start_ms(first_day, self.tz))
            cover = await store.coverage(conn, first_day, last_day, WINDOWS)
            orgs = await store.active_organizations_per_day(conn, first_day, last_day)
        starts = cover["start"]
        running = {"start": 0, **{str(width): 0 for width in WINDOWS}}
        for day in range(first_day - max(WINDOWS) + 1, first_day):
            for series in running:
                running[series] += cover[series].get(day, 0)
        rows = []
        for day in range(first_day, last_day + 1):
            for series in running:
                running[series] += cover[series].get(day, 0)
            total += registered.get(day, 0)
            rows.append(
                {
                    "date": date_of_day(day).isoformat(),
                    "registrations": registered.get(day, 0),
                    "registered_total": total,
                    "dau": starts.get(day, 0),
                    "wau": running["start"] - running["7"],
                    "mau": running["start"] - running["30"],
                    "active_organizations": orgs.get(day, 0),
                }
            )
        return rows

    async def growth(self, first_day: int, last_day: int) -> dict[str, Any]:
        """DAU on the first and the last day of the range and how much it grew."""
        rows = await self.daily(max(first_day - 6, 0), last_day)
        by_date = {row["date"]: row for row in rows}

        def avg7(day: int) -> float:
            week = [
                by_date.get(date_of_day(d).isoformat(), {}).get("dau", 0) for d in range(day - 6, day + 1)
            ]
            return round(sum(week) / 7, 1)

        start, end = by_date[date_of_day(first_day).isoformat()], by_date[date_of_day(last_day).isoformat()]
        avg_start, avg_end = avg7(first_day), avg7(last_day)
        in_range = [row for row in rows if row["date"] >= start["date"]]
        return {
            "from": start["date"],
            "to": end["date"],
            "days": last_day - first_day,
            "dau_from": start["dau"],
            "dau_to": end["dau"],
            "dau_growth_percent": growth_percent(start["dau"], end["dau"]),
            "avg7_dau_from": avg_start,
            "avg7_dau_to": avg_end,
            "avg7_growth_percent": (
                round((avg_end - avg_start) * 100.0 / avg_start, 1) if avg_start > 0 else None
            ),
            "registrations": sum(row["registrations"] for row in in_range),
            "registered_total_from": start["registered_total"],
            "registered_total_to": end["registered_total"],
        }

    async def retention(self, first_day: int, last_day: int) -> list[dict[str, Any]]:
        """One row per registration day (cohort) with its size and day-1/7/30 retention."""
        today = self.today()
        await self.activity.flush()
        async with self.ctx.db.read() as conn:
            cohorts = await store.retention(conn, day_segments(first_day, last_day, self.tz), RETENTION_DAYS)
        rows = []
        for day in range(first_day, last_day + 1):
            size, *kept = cohorts.get(day, [0] * (len(RETENTION_DAYS) + 1))
            row: dict[str, Any] = {"date": date_of_day(day).isoformat(), "cohort": size}
            for n, count in zip(RETENTION_DAYS, kept, strict=True):
                measurable = day + n < today
                row[f"day{n}"] = count if measurable else None
                row[f"day{n}_rate"] = round(count / size, 4) if measurable and size else None
            rows.append(row)
        return rows

    async def summary(self) -> dict[str, Any]:
        """Today at a glance (with the numbers as they stand now, today being unfinished)."""
        today = self.today()
        row = (await self.daily(today, today))[0]
        month = await self.growth(today - 30, today)
        return {
            "date": row["date"],
            "registered_total": row["registered_total"],
            "registrations_today": row["registrations"],
            "dau": row["dau"],
            "wau": row["wau"],
            "mau": row["mau"],
            "active_organizations": row["active_organizations"],
            "dau_growth_30d_percent": month["dau_growth_percent"],
            "timezone": self.tz,
        }


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV with a header line; None becomes an empty cell. Cells that a spreadsheet
    would run as a formula are prefixed with an apostrophe."""
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()
