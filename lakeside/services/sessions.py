"""A short-lived, per-process cache of authenticated sessions.

Every API request authenticates, and the look-up (a join of the session and its user) cost more
than the rest of a send together. A session seen in the last ``SESSION_CACHE_SECONDS`` is
therefore answered from memory: token hash -> the caller, the session's expiry and last use.

What keeps it correct:

- **Revocation on this node is immediate.** Whatever ends or changes a session or its user
  through ``Accounts`` (log-out, revoking a session, deactivating an account, a profile change,
  a password change) evicts the entries concerned as soon as its transaction has committed, so
  the very next request goes to the database.
- **No stale entry from a race.** A look-up that started before an eviction does not enter its
  (possibly older) answer: every eviction advances ``epoch``, and a miss caches its row only if
  the epoch is still the one it read before asking the database.
- **Other nodes** evict when the committed event reaches them over the bus (``session.revoked``
  by session, ``user.updated`` by user); after a gap in the bus (Redis reconnecting: ``RESYNC``)
  the whole cache is dropped, since an eviction may have been missed. ``SESSION_CACHE_SECONDS``
  bounds what is left: a change made behind the server's back (a direct database edit) or an
  event lost without a reconnect is seen within that time.
- **Expiry** is checked on every request against the cached ``expires_at``; the session "touch"
  (``last_seen_at``, sliding expiry, at most once a minute) works on the cached values.
- **Bounded**: at most ``max_entries``; each insertion drops the oldest entry when it is stale
  or the cache is full.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from lakeside.bus import RESYNC
from lakeside.domain.events import event_class
from lakeside.domain.events.messaging import SessionRevoked, UserUpdated

log = logging.getLogger(__name__)

SESSION_CACHE_SECONDS = 5.0
SESSION_CACHE_ENTRIES = 50_000
# A bus payload is decoded only when one of its events may concern sessions (orjson writes an
# event's "type" right after its "id"; inside a JSON string these quotes would be escaped).
_RELEVANT = tuple(f'"type":"{cls.type}"'.encode() for cls in (SessionRevoked, UserUpdated))


class CachedSession:
    """One authenticated session: the caller (an ``AuthUser``), the session's ``expires_at`` and
    ``last_seen_at`` (ms, as stored, moved on by touches), and until when (monotonic) it holds."""

    __slots__ = ("expires_at", "fresh_until", "last_seen_at", "user")

    def __init__(self, user: Any, expires_at: int, last_seen_at: int, fresh_until: float) -> None:
        self.user = user
        self.expires_at = expires_at
        self.last_seen_at = last_seen_at
        self.fresh_until = fresh_until


class SessionCache:
    def __init__(self, ttl: float = SESSION_CACHE_SECONDS, max_entries: int = SESSION_CACHE_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.epoch = 0
        self._entries: dict[str, CachedSession] = {}  # token hash -> entry, oldest insertion first
        self._by_session: dict[int, str] = {}  # session id -> token hash
        self._by_user: dict[int, set[int]] = {}  # user id -> session ids
        self.following = False  # subscribed to the events channel: entries may be cached
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> CachedSession | None:
        entry = self._entries.get(digest)
        if entry is not None and entry.fresh_until < time.monotonic():
            self._drop(digest, entry)
            return None
        return entry

    def put(self, digest: str, user: Any, expires_at: int, last_seen_at: int, epoch: int) -> CachedSession:
        """Cache what a look-up found, unless something was evicted since it began (``epoch`` is
        the value read before the look-up); the entry is returned either way."""
        now = time.monotonic()
        entry = CachedSession(user, expires_at, last_seen_at, now + self.ttl)
        if epoch != self.epoch or not self.following:
            return entry
        old = self._entries.pop(digest, None)
        if old is not None:
            self._unindex(old)
        # Entries are in insertion order, so the first is the stalest: drop it when it is stale or
        # the cache is full (one per insertion keeps the cache to about the last seconds' sessions).
        if self._entries:
            oldest = next(iter(self._entries))
            first = self._entries[oldest]
            if first.fresh_until < now or len(self._entries) >= self.max_entries:
                self._drop(oldest, first)
        self._entries[digest] = entry
        self._by_session[user.session_id] = digest
        self._by_user.setdefault(user.id, set()).add(user.session_id)
        return entry

    # -- eviction -------------------------------------------------------------------------------

    def forget_session(self, session_id: int) -> None:
        self.epoch += 1
        digest = self._by_session.get(session_id)
        if digest is not None:
            entry = self._entries.get(digest)
            if entry is not None:
                self._drop(digest, entry)

    def forget_user(self, user_id: int) -> None:
        self.epoch += 1
        for session_id in list(self._by_user.get(user_id, ())):
            self.forget_session(session_id)

    def clear(self) -> None:
        self.epoch += 1
        self._entries.clear()
        self._by_session.clear()
        self._by_user.clear()

    def _drop(self, digest: str, entry: CachedSession) -> None:
        del self._entries[digest]
        self._unindex(entry)

    def _unindex(self, entry: CachedSession) -> None:
        session_id, user_id = entry.user.session_id, entry.user.id
        self._by_session.pop(session_id, None)
        sessions = self._by_user.get(user_id)
        if sessions is not None:
            sessions.discard(session_id)
            if not sessions:
                del self._by_user[user_id]

    # -- other nodes ----------------------------------------------------------------------------

    def apply(self, payload: bytes) -> None:
        """Evict what one bus payload (a list of committed events) says has changed."""
        if payload == RESYNC:
            self.clear()
            return
        if not any(marker in payload for marker in _RELEVANT):
            return
        for event in orjson.loads(payload):
            declared = event_class(event["type"], event["op"])
            if declared is SessionRevoked:
                self.forget_session(event["data"]["session_id"])
            elif declared is UserUpdated:
                self.forget_user(event["user_id"])

    async def start(self, bus: Any, channel: str) -> None:
        """Follow the events channel; returns once subscribed, or, if the bus cannot be reached
        now, keeps trying in the background. Until subscribed (and after ``stop``) nothing is
        cached, since evictions from other nodes would go unheard."""
        stream: AsyncIterator[bytes] | None = None
        try:
            stream = await bus.subscribe(channel)
        except Exception:
            log.warning(
                "session cache: subscribing to the bus failed; caching once it succeeds", exc_info=True
            )
        self.following = stream is not None
        self._task = asyncio.create_task(self._follow(bus, channel, stream), name="session-cache")

    async def stop(self) -> None:
        self.following = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.clear()

    async def _follow(self, bus: Any, channel: str, stream: AsyncIterator[bytes] | None) -> None:
        while True:
            if stream is not None:
                try:
                    async for payload in stream:
                        try:
                            self.apply(payload)
                        except Exception:
                            log.exception("session cache: unreadable bus payload; dropping every entry")
                            self.clear()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("session cache: following the bus failed; subscribing again")
                # Evictions may be missed from here on: nothing cached survives, and nothing is
                # cached until a new subscription is in place.
                self.following = False
                self.clear()
            await asyncio.sleep(1.0)
            try:
                stream = await bus.subscribe(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                stream = None
                continue
            self.clear()
            self.following = True
