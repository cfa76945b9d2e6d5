"""Periodic housekeeping: prune the event log past its retention, drop expired sessions, and
apply organizations' retention policies (services/retention.py), delete expired export archives
(services/exports.py), and compact the search index
(the tokens of recalled and deleted messages leave SQLite's FTS5 segments).

Once an hour the worker asks ``services.housekeeping`` (services/housekeeping.py) to prune. Every
node runs it; the deletes are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from lakeside.services.container import Services

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0


async def run_once(services: Services) -> tuple[int, int]:
    """Prune once; returns (events pruned, sessions dropped)."""
    events, sessions = await services.housekeeping.do_prune()
    expired = await services.retention.do_apply()
    if expired:
        log.info("retention: deleted %d messages past their organizations' policies", expired)
    archives = await services.exports.do_expire()
    if archives:
        log.info("exports: deleted %d expired archives", archives)
    await services.housekeeping.do_compact_search()
    if events or sessions:
        log.info("housekeeping: pruned %d events, %d expired sessions", events, sessions)
    return events, sessions


class HousekeepingWorker:
    def __init__(self, services: Services, interval: float = INTERVAL_SECONDS) -> None:
        self.services = services
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="housekeeping")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await run_once(self.services)
            except Exception:
                log.exception("housekeeping failed; trying again next round")
