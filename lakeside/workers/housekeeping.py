"""Periodic housekeeping: prune the event log past its retention, drop expired sessions, and
apply organizations' retention policies (services/retention.py), delete expired export archives
(services/exports.py), and compact the search index
(the tokens of recalled and deleted messages leave SQLite's FTS5 segments).

Once an hour the worker asks ``services.housekeeping`` (services/housekeeping.py) to prune. Every
node runs it; the deletes are idempotent.
"""

from __future__ import annotations

import logging

from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker

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


class HousekeepingWorker(PeriodicWorker):
    def __init__(self, services: Services, interval: float = INTERVAL_SECONDS) -> None:
        super().__init__("housekeeping", interval, lambda: run_once(services))
