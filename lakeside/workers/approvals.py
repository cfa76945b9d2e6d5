"""The approvals worker: reminds the approvers of steps that have waited longer than their
template's ``remind_after_hours`` (once per step), with a work notice.

The due time is on the step's row (``remind_at``) and a reminder is claimed by a conditional
UPDATE (``reminded_at``), so a restarted node goes on where it stopped and several nodes may run it.
``run_due(services, now)`` does one round for a given "now" (tests pass their clock).
"""

from __future__ import annotations

from lakeside.domain.tokens import now_ms
from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker

INTERVAL_SECONDS = 60.0


async def run_due(services: Services, now: int | None = None) -> int:
    """One round: the number of steps whose approvers were reminded."""
    return await services.approvals.remind_due(now_ms() if now is None else now)


class ApprovalWorker(PeriodicWorker):
    def __init__(self, services: Services, interval: float = INTERVAL_SECONDS) -> None:
        super().__init__("approval-worker", interval, lambda: run_due(services))
