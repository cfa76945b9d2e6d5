"""The report-reminder worker: at each rule's hour (in the rule's time zone), members who have
not written their 日报/周报/月报 for the period get a work notice. Each rule's period is claimed
by a conditional UPDATE (store/reports.py), so a restarted node or a second node reminds no one
twice. ``run_due(services, now)`` does one round for a given "now" (tests pass their own clock)."""

from __future__ import annotations

from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker


async def run_due(services: Services, now: int | None = None) -> int:
    return await services.reports.reminders.remind_due(now)


class ReportReminderWorker(PeriodicWorker):
    def __init__(self, services: Services, interval: float = 60.0) -> None:
        super().__init__("report-reminder-worker", interval, lambda: run_due(services))
