"""The outbound worker: follows the event log into the delivery queue and sends what is due
(services/outbound.py) — outgoing robots' callbacks and bots' event deliveries.

Everything is in the database (the dispatcher's cursor, the deliveries, their due times and
claims), so a restarted node goes on where it stopped and several nodes may run the loop: one
dispatches at a time, and deliveries are claimed row by row. ``run_once(services, now)`` is one
round; the tests call it with a clock of their choosing instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from lakeside.services.container import Services

log = logging.getLogger(__name__)


async def run_once(services: Services, now: int | None = None) -> list[str]:
    """Dispatch the log, then attempt every delivery due at ``now``; the attempts' outcomes."""
    return await services.outbound.run_once(now)


class OutboundWorker:
    def __init__(self, services: Services, interval: float | None = None) -> None:
        self.services = services
        settings = services.ctx.settings
        self.interval = interval if interval is not None else settings.outbound_worker_interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval > 0:
            self.services.outbound.wake = self._wake.set
            self._task = asyncio.create_task(self._loop(), name="outbound-worker")

    async def stop(self) -> None:
        self.services.outbound.wake = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await run_once(self.services)
            except Exception:
                log.exception("outbound worker round failed; trying again next round")
