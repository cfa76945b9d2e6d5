"""The outbound worker: follows the event log into the delivery queue and sends what is due
(services/outbound.py) — outgoing robots' callbacks and bots' event deliveries.

Everything is in the database (the dispatcher's cursor, the deliveries, their due times and
claims), so a restarted node goes on where it stopped and several nodes may run the loop: one
dispatches at a time, and deliveries are claimed row by row. ``run_once(services, now)`` is one
round; the tests call it with a clock of their choosing instead of waiting.
"""

from __future__ import annotations

from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker


async def run_once(services: Services, now: int | None = None) -> list[str]:
    """Dispatch the log, then attempt every delivery due at ``now``; the attempts' outcomes."""
    return await services.outbound.run_once(now)


class OutboundWorker(PeriodicWorker):
    def __init__(self, services: Services, interval: float | None = None) -> None:
        if interval is None:
            interval = services.ctx.settings.outbound_worker_interval_seconds
        super().__init__("outbound-worker", interval, lambda: run_once(services))
        self.services = services

    async def start(self) -> None:
        if self.interval > 0:
            self.services.outbound.wake = self.wake  # a new delivery runs the next round at once
        await super().start()

    async def stop(self) -> None:
        self.services.outbound.wake = None
        await super().stop()
