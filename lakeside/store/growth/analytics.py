"""Analytics queries: each a GROUP BY over ``activity_daily`` or ``registrations`` for a day range.

Registrations are bucketed into days of the growth time zone with ``(created_at + offset) //
86400000`` over runs of days with one UTC offset (see ``domain.growth.day_segments``), so an
index range scan on ``created_at`` does the work. Rolling active users (WAU, MAU) use one pass:
for each activity row, ``LEAD(day)`` over the user's rows tells where the next row starts, so
each row "covers" the days [day, min(day + W, next)) and no user is counted twice on a day; the
per-day counts are then prefix sums of coverage starts minus ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.growth import DAY_MS
from lakeside.store.tables import activity_daily as ad
from lakeside.store.tables import org_members
from lakeside.store.tables import registrations as regs

Segment = tuple[int, int, int | None, int | None]


def _reg_day(segment: Segment) -> ColumnElement[Any]:
    _, _, offset, day = segment
    if offset is None:
        return literal(day, BigInteger)
    return (regs.c.created_at + literal(offset, BigInteger)) // literal(DAY_MS, BigInteger)


def _in(segment: Segment) -> ColumnElement[bool]:
    lo, hi, _, _ = segment
    return and_(regs.c.created_at >= lo, regs.c.created_at < hi)


async def registrations_per_day(conn: AsyncConnection, segments: list[Segment]) -> dict[int, int]:
    out: dict[int, int] = {}
    for segment in segments:
        day = _reg_day(segment)
        query = select(day.label("day"), func.count()).where(_in(segment))
        result = await conn.execute(query if segment[3] is not None else query.group_by(day))
        for bucket, count in result:
            out[int(bucket)] = out.get(int(bucket), 0) + int(count)
    return out


async def registrations_before(conn: AsyncConnection, ms: int) -> int:
    return int(await conn.scalar(select(func.count()).where(regs.c.created_at < ms)) or 0)


async def registrations_total(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(regs)) or 0)


async def coverage(
    conn: AsyncConnection, first_day: int, last_day: int, windows: tuple[int, ...]
) -> dict[str, dict[int, int]]:
    """Coverage starts ("start": rows per day) and, per window W, ends ("W": rows whose coverage
    stops before that day) for the activity rows in [first_day - max(W) + 1, last_day]."""
    lo = first_day - max(windows) + 1
    following = func.lead(ad.c.day).over(partition_by=ad.c.user_id, order_by=ad.c.day)
    rows = select(ad.c.day, following.label("nxt")).where(ad.c.day >= lo, ad.c.day <= last_day).cte("rows")
    parts = [
        select(literal("start").label("series"), rows.c.day.label("at"), func.count().label("n")).group_by(
            rows.c.day
        )
    ]
    for width in windows:
        end = case(
            (and_(rows.c.nxt.is_not(None), rows.c.nxt < rows.c.day + width), rows.c.nxt),
            else_=rows.c.day + width,
        ).label("at")
        parts.append(select(literal(str(width)).label("series"), end, func.count().label("n")).group_by(end))
    out: dict[str, dict[int, int]] = {"start": {}, **{str(width): {} for width in windows}}
    for series, at, n in await conn.execute(union_all(*parts)):
        out[str(series)][int(at)] = int(n)
    return out


async def active_organizations_per_day(
    conn: AsyncConnection, first_day: int, last_day: int
) -> dict[int, int]:
    """Organizations with at least one (current) member active that day."""
    query = (
        select(ad.c.day, func.count(func.distinct(org_members.c.organization_id)))
        .join(org_members, org_members.c.user_id == ad.c.user_id)
        .where(ad.c.day >= first_day, ad.c.day <= last_day)
        .group_by(ad.c.day)
    )
    return {int(day): int(count) for day, count in await conn.execute(query)}


async def retention(
    conn: AsyncConnection, segments: list[Segment], offsets: tuple[int, ...]
) -> dict[int, list[int]]:
    """Per registration day: [cohort size, active on day+N for each N in ``offsets``]."""
    out: dict[int, list[int]] = {}
    for segment in segments:
        day = _reg_day(segment)
        columns: list[Any] = [day.label("day"), func.count()]
        query_from: Any = regs
        for n in offsets:
            later = ad.alias(f"d{n}")
            query_from = query_from.outerjoin(
                later, and_(later.c.user_id == regs.c.user_id, later.c.day == day + n)
            )
            columns.append(func.count(later.c.user_id))
        query = select(*columns).select_from(query_from).where(_in(segment))
        for bucket, *counts in await conn.execute(query if segment[3] is not None else query.group_by(day)):
            if counts[0]:  # a one-day segment answers one row even when nobody registered
                out[int(bucket)] = [int(count) for count in counts]
    return out
