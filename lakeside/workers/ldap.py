"""The LDAP sync worker: runs each organization's scheduled directory sync when it is due
(services/ldap_sync.py).

Every node may run this loop: a sync is claimed in the database (a conditional UPDATE), so two
nodes never run the same organization's at once. ``ldap_worker_interval_seconds`` is how often a
node looks; each directory's own ``sync_interval_minutes`` says when it is due. An admin's "sync
now" runs in the request instead (the same claim keeps it from overlapping a scheduled run).
"""

from __future__ import annotations

from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker


class LdapSyncWorker(PeriodicWorker):
    def __init__(self, services: Services) -> None:
        interval = services.ctx.settings.ldap_worker_interval_seconds
        super().__init__("ldap-sync-worker", interval, services.ldap_sync.run_due)
