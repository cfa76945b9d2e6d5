"""The leaderboard worker: keeps every live campaign's leaderboard current, freezes results at the
quota date and the deadline, and screens for fraud now and then.

State lives in the database (edge state, scores, per-campaign cursors), so a restarted node goes
on where the last one stopped, and several nodes may run it: each unit of work takes a lock (see
services/growth/leaderboard.py). The loop runs units until there is nothing left, then sleeps
``leaderboard_interval_seconds`` or until a campaign change wakes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from lakeside.services.container import Services

log = logging.getLogger(__name__)


class LeaderboardWorker:
    def __init__(self, services: Services, interval: float | None = None) -> None:
        self.services = services
        settings = services.ctx.settings
        self.interval = interval if interval is not None else settings.leaderboard_interval_seconds
        self.screen_every = settings.fraud_screen_interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._screened_at = time.monotonic()  # the first screening one interval after start

    async def start(self) -> None:
        self.services.campaigns.wake = self._wake.set
        self._task = asyncio.create_task(self._loop(), name="leaderboard-worker")

    async def stop(self) -> None:
        self.services.campaigns.wake = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
            try:
                await self.services.leaderboard.run_until_idle()
                if self.screen_every > 0 and time.monotonic() - self._screened_at >= self.screen_every:
                    self._screened_at = time.monotonic()
                    await self.services.fraud.do_screen_live()
            except Exception:
                log.exception("leaderboard worker round failed; trying again next round")
