"""What every service shares: settings, the database, the bus, and the unit of work.

A write is a ``UnitOfWork``: a transaction and the events it emits. ``ctx.transaction()`` opens
one as an ``async with`` block; ``ctx.run_transaction(work)`` runs ``await work(uow)`` as one,
for hot paths whose work awaits nothing but its connection (on SQLite it then runs in one hop
over a plain connection: see lakeside.store.inline). Both end the same way (``_log_events``):
the events are appended to the durable event log inside the transaction, last (so a resuming
client can read them back), and handed to the bus only after the commit (so a rolled-back write
never reaches a socket).

A service emits an event with the audience it chooses: ``uow.emit(MembersAdded(...),
to_conversation(cid, joining=ids))`` (lakeside.domain.events).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.bus.base import Bus
from lakeside.config import Settings
from lakeside.domain.events import Audience, Event
from lakeside.domain.tokens import now_ms
from lakeside.services import events as delivery
from lakeside.services.limits import Limits
from lakeside.store import conversations as conversation_store
from lakeside.store import events as event_store
from lakeside.store.engine import Database

log = logging.getLogger(__name__)

T = TypeVar("T")


class UnitOfWork:
    """One write transaction (``conn``) and the events it will publish once committed."""

    __slots__ = ("conn", "emitted")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.emitted: list[tuple[Event, Audience]] = []

    def emit(self, event: Event, to: Audience) -> None:
        """Queue ``event`` for ``to``: logged with this transaction, published after its commit.
        ``to`` must be of a kind the event's class declares (TypeError otherwise)."""
        if to.kind not in event.audiences:
            raise TypeError(f"{event.type}.{event.op} goes to {sorted(event.audiences)}, not {to.kind}")
        self.emitted.append((event, to))


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
        """A unit of work as a block: commits when the block ends, rolls back if it raises."""
        async with self.db.transaction() as conn:
            uow = UnitOfWork(conn)
            yield uow
            logged = await self._log_events(uow)
        if logged is not None:
            await self.publish(logged)

    async def run_transaction(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """``await work(uow)`` as a unit of work, in one hop where the engine can (``work`` must
        await nothing but ``uow.conn``; see ``Database.run_write``)."""

        async def unit(conn: Any) -> tuple[T, bytes | None]:
            uow = UnitOfWork(conn)
            result = await work(uow)
            return result, await self._log_events(uow)

        result, logged = await self.db.run_write(unit)
        if logged is not None:
            await self.publish(logged)
        return result

    async def _log_events(self, uow: UnitOfWork) -> bytes | None:
        """Append the unit's events to the log, last in its transaction; what to publish after
        the commit (None when there is nothing). The append goes last so that the lock which
        orders appends (PostgreSQL) is held only while nothing else of the transaction can wait
        on other locks. Awaits nothing but the connection."""
        if not uow.emitted:
            return None
        batch = delivery.pending(uow.emitted, now_ms())
        await event_store.lock(uow.conn)
        ids = await event_store.append(uow.conn, batch.rows)
        if batch.joins:
            await conversation_store.mark_joined(uow.conn, batch.joined(ids))
        return delivery.bus_payload(batch, ids)

    async def publish(self, payload: bytes) -> None:
        try:
            await self.bus.publish(self.events_channel, payload)
        except Exception:  # committed already; clients back-fill from the log
            log.exception("publishing committed events failed")
