"""The database handle: engine set-up per dialect, transactions, and driver-error translation.

SQLite and PostgreSQL are both first-class. On SQLite every connection runs in WAL mode with a
busy timeout, and write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that
reads and then writes can fail at once with "database is locked" when another writer got in
between, which the busy timeout does not cover. On PostgreSQL writers that append to the event
log take a transaction-scoped advisory lock just before the append, so event ids become visible
in commit order (a reader never sees id 11 committed while id 10 is still in flight, which would
make a resuming client skip 10).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from lakeside.errors import Conflict, Unavailable

EVENT_LOG_LOCK = 0x1A4E51DE  # advisory lock key for appends to the event log (PostgreSQL)


class UniqueViolation(Conflict):
    """A unique constraint refused a row; ``constraint`` names it when the driver says."""

    code = "ALREADY_EXISTS"

    def __init__(self, message: str, constraint: str = "") -> None:
        super().__init__(message, constraint=constraint)
        self.constraint = constraint


def _translate(exc: DBAPIError) -> Exception:
    if isinstance(exc, IntegrityError):
        detail = str(exc.orig)
        cause = getattr(exc.orig, "__cause__", None)
        constraint = getattr(exc.orig, "constraint_name", "") or getattr(cause, "constraint_name", "") or ""
        if not constraint and "UNIQUE constraint failed:" in detail:
            constraint = detail.split("UNIQUE constraint failed:", 1)[1].strip()
        if "unique" in detail.lower() or "duplicate key" in detail.lower():
            return UniqueViolation("That already exists.", constraint)
        return Conflict("The change conflicts with stored data.", code="INTEGRITY_ERROR")
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower():
        return Unavailable("The database is busy; try again.", code="DATABASE_BUSY")
    return exc


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", echo: bool = False) -> None:
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql":
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        else:
            kwargs.update(pool_size=8, max_overflow=8, connect_args={"timeout": 30})
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        # Called with ("read" | "write", seconds) after each transaction when set (lakeside.metrics).
        self.on_timing: Callable[[str, float], None] | None = None
        if self.dialect == "sqlite":
            self._configure_sqlite(sqlite_synchronous)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _configure_sqlite(self, synchronous: str) -> None:
        sync_engine = self.engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Hand transaction control to the "begin" hook below instead of the driver.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            write = conn.get_execution_options().get("lakeside_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; commits when the block ends, rolls back on an exception."""
        started = time.perf_counter()
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(lakeside_write=True)
                async with conn.begin():
                    yield conn
        except DBAPIError as exc:
            raise _translate(exc) from exc
        finally:
            if self.on_timing is not None:
                self.on_timing("write", time.perf_counter() - started)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction: one consistent snapshot for the block."""
        started = time.perf_counter()
        try:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
        except DBAPIError as exc:
            raise _translate(exc) from exc
        finally:
            if self.on_timing is not None:
                self.on_timing("read", time.perf_counter() - started)

    async def lock_event_log(self, conn: AsyncConnection) -> None:
        """Serialise appends to the event log until this transaction ends (PostgreSQL only;
        SQLite has one writer at a time already)."""
        if self.dialect == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOG_LOCK})

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
