"""Local time for the work apps (domain/clock.py): days and times in the configured zone, DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lakeside.config import Settings
from lakeside.domain import clock


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def test_days_and_times_in_the_zone() -> None:
    # 2026-12-07 16:30 UTC is already the 8th in Shanghai.
    assert clock.local_date(ms(2026, 12, 7, 16, 30), "Asia/Shanghai") == date(2026, 12, 8)
    start, end = clock.day_bounds(date(2026, 12, 8), "Asia/Shanghai")
    assert (start, end) == (ms(2026, 12, 7, 16, 0), ms(2026, 12, 8, 16, 0))
    assert clock.at_local(date(2026, 12, 8), 18, 0, "Asia/Shanghai") == ms(2026, 12, 8, 10, 0)
    # A day when the clocks go forward has 23 hours.
    start, end = clock.day_bounds(date(2026, 3, 29), "Europe/Berlin")
    assert end - start == 23 * 3_600_000


def test_a_time_as_a_notice_writes_it() -> None:
    now = ms(2026, 12, 8, 2, 0)
    assert clock.written(ms(2026, 6, 1, 10, 5), "Asia/Shanghai", now=now) == "6月1日 18:05"
    assert clock.written(ms(2001, 6, 1, 10, 5), "Asia/Shanghai", now=now) == "2001年6月1日 18:05"
    # New Year's Eve in UTC is already the new year in Shanghai.
    assert clock.written(ms(2026, 12, 31, 17, 0), "Asia/Shanghai", now=now) == "2027年1月1日 01:00"


def test_the_setting_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValueError):
        Settings(work_timezone="Mars/Olympus")
    assert Settings(work_timezone="Europe/Berlin").work_timezone == "Europe/Berlin"
