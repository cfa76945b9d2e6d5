"""The LDAP sync worker: runs each organization's scheduled directory sync when it is due
(services/ldap_sync.py).

Every node may run this loop: a sync is claimed in the database (a conditional UPDATE), so two
nodes never run the same organization's at once. ``ldap_worker_interval_seconds`` is how often a
node looks; each directory's own ``sync_interval_minutes`` says when it is due. An admin's "sync
now" runs in the request instead (the same claim keeps it from overlapping a scheduled run).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from lakeside.services.container import Services

log = logging.getLogger(__name__)


class LdapSyncWorker:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.interval = services.ctx.settings.ldap_worker_interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.create_task(self._loop(), name="ldap-sync-worker")

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
                await self.services.ldap_sync.run_due()
            except Exception:
                log.exception("LDAP sync round failed; trying again next round")
