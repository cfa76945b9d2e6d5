"""Local time for the work apps (approvals, reports, to-dos): the server's ``work_timezone``.

Times are stored as UTC milliseconds everywhere; a person reads them in their browser's zone. What
the server itself writes in words — a work notice's "截止 12月8日 18:00", the day a daily report
covers, the hour a reminder is due — needs one zone, the organization's working clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local(ms: int, zone: str) -> datetime:
    """The moment ``ms`` on the clocks of ``zone``."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(zone))


def local_date(ms: int, zone: str) -> date:
    return local(ms, zone).date()


def day_bounds(day: date, zone: str) -> tuple[int, int]:
    """The first millisecond of ``day`` in ``zone`` and the first of the next day (a DST day has
    23 or 25 hours)."""
    start = datetime.combine(day, time(0), ZoneInfo(zone))
    end = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone))
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def at_local(day: date, hour: int, minute: int, zone: str) -> int:
    """``day`` at ``hour:minute`` in ``zone``, as UTC milliseconds."""
    return int(datetime.combine(day, time(hour, minute), ZoneInfo(zone)).timestamp() * 1000)


def written(ms: int, zone: str, *, now: int) -> str:
    """A time as a work notice writes it: 12月8日 18:00 (with the year when it is not ``now``'s)."""
    moment = local(ms, zone)
    this_year = local(now, zone).year
    prefix = f"{moment.year}年" if moment.year != this_year else ""
    return f"{prefix}{moment.month}月{moment.day}日 {moment.hour:02d}:{moment.minute:02d}"
