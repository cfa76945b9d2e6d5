"""The database handle: engine set-up per dialect, transactions, and driver-error translation.

SQLite and PostgreSQL are both first-class. On SQLite every connection runs in WAL mode with a
busy timeout, and write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that
reads and then writes can fail at once with "database is locked" when another writer got in
between, which the busy timeout does not cover. What else differs between the engines is in
lakeside.store.dialects.

Two ways into a transaction, for one purpose each: ``transaction()`` / ``read()`` are ``async
with`` blocks over the async engine, for anything; ``run_write(fn)`` / ``run_read(fn)`` run a
unit of work that awaits nothing but its connection, in one hop on SQLite (store.inline) and as
an ordinary transaction on PostgreSQL — the hot paths. Services reach writes through their
``Context`` (services.context), which adds the events.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from lakeside.errors import Conflict, Invalid, Unavailable
from lakeside.store.inline import BUSY_TIMEOUT_MS, InlineSqlite, Work

T = TypeVar("T")


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
    if isinstance(exc, DataError) and "invalid byte sequence" in str(exc.orig):
        # A NUL (PostgreSQL's text cannot hold one) that got past the parse: still the caller's.
        return unstorable_text()
    return exc


@asynccontextmanager
async def savepoint(conn: AsyncConnection) -> AsyncIterator[None]:
    """A nested transaction inside ``conn``'s: a unique constraint that refuses a row arrives as
    UniqueViolation and rolls back only this part, so the outer transaction can go on."""
    try:
        async with conn.begin_nested():
            yield
    except DBAPIError as exc:
        raise _translate(exc) from exc


def unstorable_text() -> Invalid:
    return Invalid("The text contains a NUL character or a lone surrogate.", code="INVALID_CHARACTERS")


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", echo: bool = False) -> None:
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        # hide_parameters: bound values (message bodies, token hashes) never enter error text or logs.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.dialect == "postgresql":
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        else:
            kwargs.update(pool_size=8, max_overflow=8, connect_args={"timeout": 30})
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        # Called with ("read" | "write", seconds) after each transaction when set (lakeside.metrics).
        self.on_timing: Callable[[str, float], None] | None = None
        # Called with each SQL statement sent to the driver when set (tests pin query counts).
        self.on_statement: Callable[[str], None] | None = None
        self._watch_statements(self.engine.sync_engine)
        # SQLite: synchronous engines for run_write (one connection, one thread) and run_read.
        self._inline: InlineSqlite | None = None
        if self.dialect == "sqlite":
            self._configure_sqlite(self.engine.sync_engine, sqlite_synchronous)
            sync_url = make_url(url).set(drivername="sqlite")
            # The writer's connection is used from its thread and the event loop's in turn; run_read
            # units run one at a time on the event loop's thread, so one connection each.
            sync_args: dict[str, Any] = {"timeout": 30, "check_same_thread": False}
            engines = [
                create_engine(sync_url, pool_size=1, max_overflow=0, echo=echo, connect_args=sync_args)
                for _ in ("write", "read")
            ]
            for engine in engines:
                self._configure_sqlite(engine, sqlite_synchronous)
                self._watch_statements(engine)
            self._inline = InlineSqlite(*engines)

    def _watch_statements(self, engine: Engine) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if self.on_statement is not None:
                self.on_statement(statement)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @staticmethod
    def _configure_sqlite(sync_engine: Engine, synchronous: str) -> None:
        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Hand transaction control to the "begin" hook below instead of the driver.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
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
        except UnicodeEncodeError as exc:  # a lone surrogate the driver cannot encode
            raise unstorable_text() from exc
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
        except UnicodeEncodeError as exc:  # a lone surrogate the driver cannot encode
            raise unstorable_text() from exc
        finally:
            if self.on_timing is not None:
                self.on_timing("read", time.perf_counter() - started)

    async def run_write(self, fn: Work[T]) -> T:
        """``await fn(conn)`` in a write transaction that commits when it returns (rolls back if
        it raises). ``fn`` must await nothing but ``conn``: on SQLite it runs in one hop over the
        dedicated writer connection (``InlineSqlite.write``)."""
        if self._inline is None:
            async with self.transaction() as conn:
                return await fn(conn)
        started = time.perf_counter()
        try:
            return await self._inline.write(fn)
        except DBAPIError as exc:
            raise _translate(exc) from exc
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise Unavailable("The database is busy; try again.", code="DATABASE_BUSY") from exc
            raise
        finally:
            if self.on_timing is not None:
                self.on_timing("write", time.perf_counter() - started)

    async def run_read(self, fn: Work[T]) -> T:
        """``await fn(conn)`` in a read transaction (one snapshot); on SQLite at once, on the
        calling thread (``InlineSqlite.read``)."""
        if self._inline is None:
            async with self.read() as conn:
                return await fn(conn)
        started = time.perf_counter()
        try:
            return self._inline.read(fn)
        except DBAPIError as exc:
            raise _translate(exc) from exc
        finally:
            if self.on_timing is not None:
                self.on_timing("read", time.perf_counter() - started)

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._inline is not None:
            await self._inline.dispose()
