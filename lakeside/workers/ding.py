"""The DING worker: sends scheduled DINGs and takes escalation steps when they fall due.

All state is in the database (due times on ``dings`` and ``ding_recipients``), so the worker
keeps nothing in memory: a restarted node picks up where the last one stopped, and several
nodes may run it at once (each step is claimed by a conditional UPDATE; see store/ding.py).
``run_due(services, now)`` does one round for a given "now" — tests call it with a clock of
their choosing instead of waiting minutes; the loop just calls it every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from lakeside.domain.tokens import now_ms
from lakeside.services.container import Services

log = logging.getLogger(__name__)


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


class DingWorker:
    def __init__(self, services: Services, interval: float | None = None) -> None:
        self.services = services
        self.interval = (
            interval if interval is not None else services.ctx.settings.ding_worker_interval_seconds
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="ding-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await run_due(self.services)
            except Exception:
                log.exception("DING worker round failed; trying again next round")
