"""Growth-engine arithmetic, free of I/O: calendar days in the growth time zone, percentages,
referral codes.

A *day* is an integer: the number of days from 1970-01-01 to the local date in the configured
time zone (``growth_timezone``, Asia/Shanghai by default). Day 0 is 1970-01-01, day 20454 is
2026-01-01. Days are what ``activity_daily.day`` stores and what analytics groups by.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = date(1970, 1, 1)
DAY_MS = 86_400_000

# Codes avoid look-alikes (0/O, 1/I/L) so they survive being read aloud or retyped from a poster.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def day_of(ms: int, tz: str) -> int:
    """The day (in ``tz``) that the instant ``ms`` falls on."""
    local = datetime.fromtimestamp(ms / 1000, tz=zone(tz)).date()
    return (local - EPOCH).days


def day_of_date(value: date) -> int:
    return (value - EPOCH).days


def date_of_day(day: int) -> date:
    return EPOCH + timedelta(days=day)


def day_start_ms(day: int, tz: str) -> int:
    """The first millisecond of ``day`` in ``tz`` (a day may be 23 or 25 hours long under DST)."""
    local = datetime.combine(date_of_day(day), time(0), tzinfo=zone(tz))
    return int(local.astimezone(UTC).timestamp() * 1000)


def day_bounds(days: range, tz: str) -> list[tuple[int, int, int]]:
    """(day, first ms, first ms of the next day) for each day in ``days``."""
    return [(day, day_start_ms(day, tz), day_start_ms(day + 1, tz)) for day in days]


def growth_percent(before: int, after: int) -> float | None:
    """How much ``after`` grew over ``before`` in percent (50 -> 300 is +500.0); None from zero."""
    if before <= 0:
        return None
    return round((after - before) * 100.0 / before, 1)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value: str) -> str:
    """Codes are matched case-insensitively and without the blanks people type around them."""
    return "".join(value.split()).upper()


def _offset_ms(day: int, tz: str) -> int:
    local = datetime.combine(date_of_day(day), time(0), tzinfo=zone(tz))
    offset = local.utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def day_segments(first_day: int, last_day: int, tz: str) -> list[tuple[int, int, int | None, int | None]]:
    """Split [first_day, last_day] into runs of days with one UTC offset, so that SQL can bucket a
    millisecond column by day with ``(ms + offset) // DAY_MS`` over each run.

    Each item is (first ms, end ms (exclusive), offset ms, None) for a run, or (first ms, end ms,
    None, day) for a day whose offset changes inside it (a DST switch), counted as a whole.
    In a zone without DST (Asia/Shanghai) the whole range is one run.
    """
    segments: list[tuple[int, int, int | None, int | None]] = []
    run_start: int | None = None
    for day in range(first_day, last_day + 2):
        steady = day <= last_day and _offset_ms(day, tz) == _offset_ms(day + 1, tz)
        if run_start is not None and (not steady or _offset_ms(day, tz) != _offset_ms(run_start, tz)):
            segments.append(
                (day_start_ms(run_start, tz), day_start_ms(day, tz), _offset_ms(run_start, tz), None)
            )
            run_start = None
        if day > last_day:
            break
        if steady:
            run_start = day if run_start is None else run_start
        else:
            segments.append((day_start_ms(day, tz), day_start_ms(day + 1, tz), None, day))
    return segments
