"""The export worker: builds queued data-export archives (services/exports.py).

Jobs are rows in the database, claimed by one worker each (queued → running by a conditional
UPDATE), so every node may run this loop and none builds the same archive twice. A request made
on this node wakes its worker at once; requests made on other nodes are found by polling every
``export_worker_interval_seconds``. ``run_queued(services)`` builds everything queued now — the
tests call it instead of waiting for the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from lakeside.services.container import Services

log = logging.getLogger(__name__)


async def run_queued(services: Services) -> list[int]:
    """Build every queued export, one at a time (a build is disk- and database-bound: one per node
    keeps it from crowding out the chat); the ids built."""
    built: list[int] = []
    while (job_id := await services.exports.do_build_next()) is not None:
        built.append(job_id)
    return built


class ExportWorker:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.interval = services.ctx.settings.export_worker_interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.create_task(self._loop(), name="export-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        queued = self.services.exports.queued
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queued.wait(), self.interval)
            queued.clear()
            try:
                await run_queued(self.services)
            except Exception:
                log.exception("export worker round failed; trying again next round")
