"""The DING worker: sends scheduled DINGs and takes escalation steps when they fall due.

All state is in the database (due times on ``dings`` and ``ding_recipients``), so the worker
keeps nothing in memory: a restarted node picks up where the last one stopped, and several
nodes may run it at once (each step is claimed by a conditional UPDATE; see store/ding.py).
``run_due(services, now)`` does one round for a given "now" — tests call it with a clock of
their choosing instead of waiting minutes; the loop just calls it every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakeside.domain.tokens import now_ms
from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker


@dataclass(frozen=True)
class Round:
    published: int  # scheduled DINGs sent
    attempts: list[int]  # e-mail/SMS/voice attempts made (in-app steps are not counted)


async def run_due(services: Services, now: int | None = None) -> Round:
    """One round: publish what is scheduled up to ``now``, then escalate what is due by ``now``."""
    at = now_ms() if now is None else now
    published = await services.enterprise.escalation.publish_due(at)
    attempts = await services.enterprise.escalation.escalate_due(at)
    return Round(published, attempts)


class DingWorker(PeriodicWorker):
    def __init__(self, services: Services, interval: float | None = None) -> None:
        if interval is None:
            interval = services.ctx.settings.ding_worker_interval_seconds
        super().__init__("ding-worker", interval, lambda: run_due(services))
