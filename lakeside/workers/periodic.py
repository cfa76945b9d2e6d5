"""The loop every worker runs: one round now and then, sooner when something wakes it.

A round is a coroutine of the services (publish due DINGs, build queued exports, sync a directory…)
that keeps its state in the database, so a restarted node goes on where it stopped and several nodes
may run the same worker (each round claims its work with conditional UPDATEs or locks; see the
services). A round that fails is logged and the next one tries again; a worker whose interval is 0
or less does not run at all (a setting turns it off). ``wake`` runs the next round at once: a
service hands it to whoever has news for the worker (a queued export, a changed campaign).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class PeriodicWorker:
    """Runs ``round`` every ``interval`` seconds, or when woken, until stopped."""

    def __init__(
        self,
        name: str,
        interval: float,
        round: Callable[[], Awaitable[Any]],
        *,
        wakes: asyncio.Event | None = None,
    ) -> None:
        self.name = name
        self.interval = interval
        self.round = round
        # An event of the service's own (exports' queue) or one of ours that ``wake`` sets.
        self._wakes = wakes if wakes is not None else asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wakes.set()

    async def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakes.wait(), self.interval)
            self._wakes.clear()
            try:
                await self.round()
            except Exception:
                log.exception("%s: the round failed; trying again next round", self.name)
