"""Queries over ``activity_daily``: counter upserts, "active in the last N days", active-user sets.

One row per (user, day) the user was active: the table holds *active users x days* rows, e.g.
500,000 daily actives for a year is about 180 million narrow rows (~40 bytes each before
indexes), whatever the number of requests behind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import activity_daily as ad

# Rows per statement: 7 values a row stays well under both drivers' bound-parameter limits.
UPSERT_CHUNK = 1000


async def upsert_counters(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Add counters to (user_id, day) rows, creating them as needed: one statement per chunk of
    ``UPSERT_CHUNK`` rows. Each row: user_id, day, logins, messages, opens, first_at, last_at.
    ``first_at`` keeps the earliest value, ``last_at`` the latest."""
    if not rows:
        return 0
    dialect = dialect_of(conn)
    for start in range(0, len(rows), UPSERT_CHUNK):
        stmt = dialect.insert(ad).values(list(rows[start : start + UPSERT_CHUNK]))
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[ad.c.user_id, ad.c.day],
            set_={
                "logins": ad.c.logins + excluded.logins,
                "messages": ad.c.messages + excluded.messages,
                "opens": ad.c.opens + excluded.opens,
                "first_at": dialect.least(ad.c.first_at, excluded.first_at),
                "last_at": dialect.greatest(ad.c.last_at, excluded.last_at),
            },
        )
        await conn.execute(stmt)
    return len(rows)


def active_users_query(first_day: int, last_day: int) -> Select[Any]:
    """The distinct ids of users active on some day in [first_day, last_day]: embed it as a
    subquery (``user_id IN (...)``) to count active friends, members, participants."""
    return select(ad.c.user_id).where(ad.c.day >= first_day, ad.c.day <= last_day).group_by(ad.c.user_id)


async def is_active(conn: AsyncConnection, user_id: int, first_day: int, last_day: int) -> bool:
    found = await conn.scalar(
        select(ad.c.day).where(ad.c.user_id == user_id, ad.c.day >= first_day, ad.c.day <= last_day).limit(1)
    )
    return found is not None


async def active_among(
    conn: AsyncConnection, user_ids: Iterable[int], first_day: int, last_day: int
) -> set[int]:
    """Which of ``user_ids`` were active on some day in [first_day, last_day]."""
    ids = sorted(set(user_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        result = await conn.execute(
            select(ad.c.user_id)
            .where(ad.c.user_id.in_(chunk), ad.c.day >= first_day, ad.c.day <= last_day)
            .group_by(ad.c.user_id)
        )
        found.update(row[0] for row in result)
    return found


async def count_active(conn: AsyncConnection, first_day: int, last_day: int) -> int:
    subquery = active_users_query(first_day, last_day).subquery()
    return int(await conn.scalar(select(func.count()).select_from(subquery)) or 0)


async def user_days(conn: AsyncConnection, user_id: int, first_day: int, last_day: int) -> list[Any]:
    result = await conn.execute(
        select(ad)
        .where(and_(ad.c.user_id == user_id, ad.c.day >= first_day, ad.c.day <= last_day))
        .order_by(ad.c.day)
    )
    return list(result)


async def last_active_day(conn: AsyncConnection, user_id: int) -> int | None:
    day = await conn.scalar(select(func.max(ad.c.day)).where(ad.c.user_id == user_id))
    return int(day) if day is not None else None
