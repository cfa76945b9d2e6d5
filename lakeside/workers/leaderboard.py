"""The leaderboard worker: keeps every live campaign's leaderboard current, freezes results at the
quota date and the deadline, and screens for fraud now and then.

State lives in the database (edge state, scores, per-campaign cursors), so a restarted node goes
on where the last one stopped, and several nodes may run it: each unit of work takes a lock (see
services/growth/leaderboard.py). The loop runs units until there is nothing left, then sleeps
``leaderboard_interval_seconds`` or until a campaign change wakes it.
"""

from __future__ import annotations

import time

from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker


class LeaderboardWorker(PeriodicWorker):
    def __init__(self, services: Services, interval: float | None = None) -> None:
        settings = services.ctx.settings
        if interval is None:
            interval = settings.leaderboard_interval_seconds
        super().__init__("leaderboard-worker", interval, self._round)
        self.services = services
        self.screen_every = settings.fraud_screen_interval_seconds
        self._screened_at = time.monotonic()  # the first screening one interval after start

    async def start(self) -> None:
        self.services.campaigns.wake = self.wake  # a campaign change runs the next round at once
        await super().start()

    async def stop(self) -> None:
        self.services.campaigns.wake = None
        await super().stop()

    async def _round(self) -> None:
        await self.services.leaderboard.run_until_idle()
        if self.screen_every > 0 and time.monotonic() - self._screened_at >= self.screen_every:
            self._screened_at = time.monotonic()
            await self.services.fraud.do_screen_live()
