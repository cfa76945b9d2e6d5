"""Periodic housekeeping: prune the event log past its retention and drop expired sessions.

Pruning keeps the log (and so resume) bounded; a client whose position falls off the end is
told RESUME_TOO_OLD and starts fresh. Every node runs this; the deletes are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from lakeside.domain.tokens import now_ms
from lakeside.services.container import Services
from lakeside.store import stream
from lakeside.store import users as user_store

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0


async def run_once(services: Services) -> tuple[int, int]:
    """Prune once; returns (events pruned, sessions dropped)."""
    settings = services.ctx.settings
    now = now_ms()
    async with services.ctx.db.transaction() as conn:
        events = await stream.prune_before(conn, now - settings.event_retention_days * 86_400_000)
        sessions = await user_store.delete_expired_sessions(conn, now)
    if events or sessions:
        log.info("housekeeping: pruned %d events, %d expired sessions", events, sessions)
    return events, sessions


class Housekeeping:
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
