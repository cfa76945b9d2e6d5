"""Activity: log-ins, messages sent and app opens, kept as daily per-user counters.

Recording is a dictionary update in memory (no I/O, safe to call on every request); a background
task flushes the buffer every ``activity_flush_seconds`` as counter upserts, one statement per
batch of up to 1,000 (user, day) rows, and ``stop()`` flushes what is left. Several nodes each
keep their own buffer; the upserts add up. A process that dies loses at most one interval of
counters: a roll-up for statistics, not a ledger.

"Active on day D" means a row (user, D) exists. "Active within the last N days at time T" means a
row exists with day in (day(T) - N, day(T)]: N = 1 is "today", N = 7 the week ending today.
Queries also look at this node's unflushed buffer, so a user who just logged in is active at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from lakeside.domain.growth import day_of
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid
from lakeside.services.context import Context
from lakeside.store.growth import activity as store

log = logging.getLogger(__name__)

Kind = Literal["login", "message", "open"]
KINDS: tuple[str, ...] = ("login", "message", "open")
# A buffer this large is flushed at once instead of waiting for the timer.
BUFFER_MAX = 50_000
MAX_DAYS = 400


@dataclass
class _Counters:
    logins: int
    messages: int
    opens: int
    first_at: int
    last_at: int


class Activity:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tz = ctx.settings.growth_timezone
        self.interval = ctx.settings.activity_flush_seconds
        self._buffer: dict[tuple[int, int], _Counters] = {}
        self._flush_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- recording --------------------------------------------------------------------------

    def record(self, user_id: int, kind: Kind | str, *, at: int | None = None, count: int = 1) -> None:
        """Count ``count`` events of ``kind`` for the user at ``at`` (now by default)."""
        if count <= 0:
            return
        if kind not in KINDS:
            raise Invalid(f"Activity kind is one of {', '.join(KINDS)}.", code="BAD_ACTIVITY_KIND")
        at = now_ms() if at is None else at
        key = (user_id, day_of(at, self.tz))
        entry = self._buffer.get(key)
        if entry is None:
            entry = self._buffer[key] = _Counters(0, 0, 0, at, at)
        else:
            entry.first_at = min(entry.first_at, at)
            entry.last_at = max(entry.last_at, at)
        if kind == "login":
            entry.logins += count
        elif kind == "message":
            entry.messages += count
        else:
            entry.opens += count
        if len(self._buffer) >= BUFFER_MAX:
            self._wake.set()

    def message_sent(self, user_id: int, *, created: bool = True) -> None:
        """A message was sent; a retried send (``created`` false) counts once, the first time."""
        if created:
            self.record(user_id, "message")

    @property
    def pending(self) -> int:
        """(user, day) rows waiting for the next flush on this node."""
        return len(self._buffer)

    # -- flushing ---------------------------------------------------------------------------

    async def flush(self) -> int:
        """Write the buffer now; returns the number of (user, day) rows upserted. On a database
        error the counters go back into the buffer for the next attempt."""
        async with self._flush_lock:
            batch, self._buffer = self._buffer, {}
            if not batch:
                return 0
            rows = [
                {
                    "user_id": user_id,
                    "day": day,
                    "logins": c.logins,
                    "messages": c.messages,
                    "opens": c.opens,
                    "first_at": c.first_at,
                    "last_at": c.last_at,
                }
                for (user_id, day), c in sorted(batch.items())
            ]
            try:
                async with self.ctx.transaction() as uow:
                    await store.upsert_counters(uow.conn, rows)
            except BaseException:  # a failure or a cancellation: keep the counters for the next try
                self._merge_back(batch)
                raise
            return len(rows)

    def _merge_back(self, batch: dict[tuple[int, int], _Counters]) -> None:
        for key, old in batch.items():
            new = self._buffer.get(key)
            if new is None:
                self._buffer[key] = old
                continue
            new.logins += old.logins
            new.messages += old.messages
            new.opens += old.opens
            new.first_at = min(new.first_at, old.first_at)
            new.last_at = max(new.last_at, old.last_at)

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="activity-flush")

    async def stop(self) -> None:
        """End the timer (letting a flush in progress finish), then flush what is left."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            await self._task
            self._task = None
        try:
            await self.flush()
        except Exception:
            log.exception("flushing %d activity rows at shutdown failed; they are lost", self.pending)

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self.flush()
            except Exception:
                log.exception("flushing activity failed; keeping %d rows for the next round", self.pending)

    # -- questions --------------------------------------------------------------------------

    def window(self, at: int | None, days: int) -> tuple[int, int]:
        """The inclusive day range of "the last ``days`` days" at time ``at``."""
        if not 1 <= days <= MAX_DAYS:
            raise Invalid(f"days is from 1 to {MAX_DAYS}.", code="BAD_DAYS")
        last = day_of(now_ms() if at is None else at, self.tz)
        return last - days + 1, last

    def _buffered(self, user_ids: Iterable[int], first: int, last: int) -> set[int]:
        wanted = set(user_ids)
        return {user_id for (user_id, day) in self._buffer if user_id in wanted and first <= day <= last}

    async def is_active(self, user_id: int, at: int | None = None, days: int = 1) -> bool:
        """Was the user active within the ``days`` days ending on the day of ``at`` (now)?"""
        first, last = self.window(at, days)
        if self._buffered([user_id], first, last):
            return True
        async with self.ctx.db.read() as conn:
            return await store.is_active(conn, user_id, first, last)

    async def active_among(self, user_ids: Iterable[int], at: int | None = None, days: int = 1) -> set[int]:
        """The subset of ``user_ids`` active within the ``days`` days ending on the day of ``at``."""
        ids = set(user_ids)
        first, last = self.window(at, days)
        found = self._buffered(ids, first, last)
        async with self.ctx.db.read() as conn:
            found |= await store.active_among(conn, ids - found, first, last)
        return found

    async def last_active_day(self, user_id: int) -> int | None:
        """The user's most recent active day, this node's buffer included; None if never."""
        async with self.ctx.db.read() as conn:
            stored = await store.last_active_day(conn, user_id)
        days = [day for (buffered_user, day) in self._buffer if buffered_user == user_id]
        if stored is not None:
            days.append(stored)
        return max(days) if days else None

    async def user_days(self, user_id: int, first: int, last: int) -> list[dict[str, int]]:
        """The user's counters per active day in [first, last], this node's buffer included."""
        async with self.ctx.db.read() as conn:
            rows = await store.user_days(conn, user_id, first, last)
        days = {
            row.day: {"day": row.day, "logins": row.logins, "messages": row.messages, "opens": row.opens}
            for row in rows
        }
        for (buffered_user, day), c in self._buffer.items():
            if buffered_user == user_id and first <= day <= last:
                entry = days.setdefault(day, {"day": day, "logins": 0, "messages": 0, "opens": 0})
                entry["logins"] += c.logins
                entry["messages"] += c.messages
                entry["opens"] += c.opens
        return [days[day] for day in sorted(days)]

    async def count_active(self, at: int | None = None, days: int = 1) -> int:
        """How many users were active within the window (flushed rows only: call ``flush`` first
        when this node's last seconds matter)."""
        first, last = self.window(at, days)
        async with self.ctx.db.read() as conn:
            return await store.count_active(conn, first, last)
