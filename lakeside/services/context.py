"""What every service shares: settings, the database, the bus, and the unit of work.

A write goes through ``ctx.transaction()``. Services queue events on the unit of work with
``emit``; the events are appended to the durable event log inside the same transaction (so a
resuming client can read them back) and handed to the bus only after the commit (so a rolled-back
write never reaches a socket).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.bus.base import Bus
from lakeside.config import Settings
from lakeside.domain.tokens import now_ms
from lakeside.services.limits import Limits
from lakeside.store import events as event_store
from lakeside.store.engine import Database

log = logging.getLogger(__name__)


@dataclass
class Event:
    """A change clients may need to know about.

    ``conversation_id`` addresses every member of a conversation, ``user_id`` one user; an
    event with neither is not delivered. ``data`` is stored in the log; ``live`` (when given) is
    what goes over the bus instead, e.g. a whole message where the log keeps only its id.
    """

    type: str
    op: str
    data: dict[str, Any]
    conversation_id: int | None = None
    user_id: int | None = None
    live: dict[str, Any] | None = None
    id: int = 0
    created_at: int = 0

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "op": self.op,
            "conversation_id": self.conversation_id,
            "user_id": self.user_id,
            "data": self.live if self.live is not None else self.data,
            "created_at": self.created_at,
        }


@dataclass
class UnitOfWork:
    conn: AsyncConnection
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.events.append(event)


class BoundedHasher:
    """argon2id with a cap on hashes in flight: each costs ~64 MiB and ~100 ms, so a log-in flood
    must queue rather than exhaust memory. Hashing runs in threads, off the event loop."""

    def __init__(self, concurrency: int, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._slots = asyncio.Semaphore(concurrency)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            try:
                return await asyncio.to_thread(self._hasher.verify, password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def bus_namespace(settings: Settings) -> str:
    """Nodes share bus channels exactly when they share a database (unless told otherwise), so
    two deployments, or two test runs, on one Redis never hear each other."""
    if settings.bus_namespace:
        return settings.bus_namespace
    url = make_url(settings.effective_database_url).render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:12]


class Context:
    def __init__(self, settings: Settings, db: Database, bus: Bus) -> None:
        self.settings = settings
        self.db = db
        self.bus = bus
        namespace = bus_namespace(settings)
        self.events_channel = f"lakeside.{namespace}.events"
        # Typing and presence: never stored, never replayed.
        self.ephemeral_channel = f"lakeside.{namespace}.ephemeral"
        self.hasher = BoundedHasher(
            settings.password_hash_concurrency,
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
        )
        self.limits = Limits(settings, namespace)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self.db.transaction() as conn:
            uow = UnitOfWork(conn)
            yield uow
            if uow.events:
                # Appends go last in the transaction: the lock that orders them (PostgreSQL) is
                # then held only while nothing else of this transaction can wait on other locks.
                await self.db.lock_event_log(conn)
                await event_store.append(conn, uow.events, now_ms())
        if uow.events:
            await self.publish(uow.events)

    async def publish(self, events: list[Event]) -> None:
        payload = orjson.dumps([event.wire() for event in events])
        try:
            await self.bus.publish(self.events_channel, payload)
        except Exception:  # committed already; clients back-fill from the log
            log.exception("publishing %d events failed", len(events))
