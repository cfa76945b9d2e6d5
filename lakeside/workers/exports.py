"""The export worker: builds queued data-export archives (services/exports.py).

Jobs are rows in the database, claimed by one worker each (queued → running by a conditional
UPDATE), so every node may run this loop and none builds the same archive twice. A request made
on this node wakes its worker at once; requests made on other nodes are found by polling every
``export_worker_interval_seconds``. ``run_queued(services)`` builds everything queued now — the
tests call it instead of waiting for the loop.
"""

from __future__ import annotations

from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker


async def run_queued(services: Services) -> list[int]:
    """Build every queued export, one at a time (a build is disk- and database-bound: one per node
    keeps it from crowding out the chat); the ids built."""
    built: list[int] = []
    while (job_id := await services.exports.do_build_next()) is not None:
        built.append(job_id)
    return built


class ExportWorker(PeriodicWorker):
    def __init__(self, services: Services) -> None:
        interval = services.ctx.settings.export_worker_interval_seconds
        super().__init__(
            "export-worker", interval, lambda: run_queued(services), wakes=services.exports.queued
        )
