"""The to-do reminder worker: at a to-do's reminder time, a work notice to each assignee who has
not done it (services/todos.py ``remind_due``).

The state is the to-do's row (``remind_at``, and ``reminded_at``: the reminder time already sent),
claimed by a conditional UPDATE, so a restarted node misses nothing and two nodes never remind
twice. It runs at the DING worker's interval (``ding_worker_interval_seconds``; 0 turns both off):
reminders are minutes apart, as DING steps are.
"""

from __future__ import annotations

from lakeside.services.container import Services
from lakeside.workers.periodic import PeriodicWorker


class TodoReminderWorker(PeriodicWorker):
    def __init__(self, services: Services, interval: float | None = None) -> None:
        if interval is None:
            interval = services.ctx.settings.ding_worker_interval_seconds
        super().__init__("todo-reminder-worker", interval, services.todos.remind_due)
