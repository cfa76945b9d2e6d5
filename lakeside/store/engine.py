"""The database handle: engine set-up per dialect, transactions, and driver-error translation.

SQLite and PostgreSQL are both first-class. On SQLite every connection runs in WAL mode with a
busy timeout, and write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that
reads and then writes can fail at once with "database is locked" when another writer got in
between, which the busy timeout does not cover. On PostgreSQL writers that append to the event
log take a transaction-scoped advisory lock just before the append, so event ids become visible
in commit order (a reader never sees id 11 committed while id 10 is still in flight, which would
make a resuming client skip 10).

Whole units of work without aiosqlite (SQLite). aiosqlite runs each cursor operation on its
connection's thread, a cross-thread hand-off (and GIL transfer) for every execute, fetch and
close: ~100-200 µs of CPU per statement, and on a loaded machine a wait for the scheduler each
time. The hot paths (the message writer's batches, catch-up pages, the hub's hole-fill) therefore
go through ``run_write`` / ``run_read``: the unit of work is an ``async def fn(conn)`` that awaits
nothing but ``conn``, run over a plain ``sqlite3`` connection so that each ``await conn.execute``
finishes without suspending. Reads run on the event loop's thread (a WAL reader never waits);
writes use one dedicated connection, which takes the write lock and commits (the fsync) on a
writer thread, the statements in between running on the loop's thread (see ``run_write`` for
why not all on the thread). The writer never queues behind readers for a pooled connection. On
PostgreSQL (asyncpg is cheap per statement) the same function runs in an ordinary transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from lakeside.errors import Conflict, Unavailable

EVENT_LOG_LOCK = 0x1A4E51DE  # advisory lock key for appends to the event log (PostgreSQL)

T = TypeVar("T")
UnitOfWork = Callable[[Any], Awaitable[T]]


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


class SyncBridge:
    """What the store's query functions use of an ``AsyncConnection`` (``execute``, ``scalar``,
    ``scalars``, ``exec_driver_sql``, ``dialect``), over a synchronous connection: each call
    runs at once and its coroutine finishes without suspending (see ``_drive``)."""

    __slots__ = ("dialect", "sync_connection")

    def __init__(self, connection: Connection) -> None:
        self.sync_connection = connection
        self.dialect = connection.dialect

    async def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.execute(statement, parameters, **kwargs)

    async def scalar(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.scalar(statement, parameters, **kwargs)

    async def scalars(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.scalars(statement, parameters, **kwargs)

    async def exec_driver_sql(self, statement: str, parameters: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.exec_driver_sql(statement, parameters, **kwargs)


BUSY_TIMEOUT_MS = 30_000


def _begin_now(conn: Connection) -> Any | None:
    """``BEGIN IMMEDIATE`` without waiting for the write lock: the transaction, or None when
    another connection holds the lock (then the caller waits for it on a thread)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA busy_timeout=0")
    try:
        return conn.begin()
    except OperationalError as exc:
        if "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower():
            return None
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (it awaits only a ``SyncBridge``) to its end."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a unit of work given to run_write/run_read awaited something besides its connection")


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
        self._write_engine: Engine | None = None
        self._read_engine: Engine | None = None
        self._write_thread: ThreadPoolExecutor | None = None
        self._writer_conn: Connection | None = None
        if self.dialect == "sqlite":
            self._configure_sqlite(self.engine.sync_engine, sqlite_synchronous)
            sync_url = make_url(url).set(drivername="sqlite")
            # The writer's connection is used from its thread and the event loop's in turn; run_read
            # units run one at a time on the event loop's thread, so one connection each.
            sync_args: dict[str, Any] = {"timeout": 30, "check_same_thread": False}
            self._write_engine = create_engine(
                sync_url, pool_size=1, max_overflow=0, echo=echo, connect_args=sync_args
            )
            self._read_engine = create_engine(
                sync_url, pool_size=1, max_overflow=0, echo=echo, connect_args=sync_args
            )
            for engine in (self._write_engine, self._read_engine):
                self._configure_sqlite(engine, sqlite_synchronous)
                self._watch_statements(engine)
            self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="lakeside-sqlite-writer")
        self._write_lock = asyncio.Lock()

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

    async def run_write(self, fn: UnitOfWork[T]) -> T:
        """``await fn(conn)`` in a write transaction that commits when it returns (rolls back if
        it raises). ``fn`` must await nothing but ``conn``.

        On SQLite, over the dedicated writer connection, held open: the write lock is taken on
        the calling thread without waiting (``BEGIN IMMEDIATE`` with no busy timeout), or, when
        another connection holds it, on the writer thread, which waits; the statements run on
        the calling thread, synchronously; the commit (the fsync) runs on the writer thread.
        As little as possible on the thread: the sqlite3 module drops the GIL around every step
        of every statement, and a thread that must win the GIL back from a busy event loop waits
        up to the switch interval each time — hundreds of times per batch if the statements ran
        there, and, measured in the working-day benchmark, 30-50 ms per batch when the thread
        also checked a pooled connection out and began the transaction."""
        if self._write_engine is None:
            async with self.transaction() as conn:
                return await fn(conn)
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        async with self._write_lock:
            try:
                conn = self._writer_connection()
                transaction = _begin_now(conn)
                if transaction is None:  # another connection is writing: wait for it off the loop
                    transaction = await loop.run_in_executor(self._write_thread, conn.begin)
                try:
                    result = _drive(fn(SyncBridge(conn)))
                except BaseException:
                    transaction.rollback()  # no fsync in WAL: nothing to wait for
                    raise
                raw = conn.connection.driver_connection
                try:
                    await loop.run_in_executor(self._write_thread, raw.commit)  # the fsync
                except sqlite3.Error:
                    transaction.rollback()
                    raise
                transaction.commit()  # the driver has committed; this ends the Connection's transaction
                return result
            except DBAPIError as exc:
                raise _translate(exc) from exc
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                    raise Unavailable("The database is busy; try again.", code="DATABASE_BUSY") from exc
                raise
            finally:
                if self.on_timing is not None:
                    self.on_timing("write", time.perf_counter() - started)

    def _writer_connection(self) -> Connection:
        """The writer's connection, held open between units of work (opened again after an error
        made SQLAlchemy invalidate it)."""
        conn = self._writer_conn
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                conn.close()
            assert self._write_engine is not None
            conn = self._write_engine.connect().execution_options(lakeside_write=True)
            self._writer_conn = conn
        return conn

    async def run_read(self, fn: UnitOfWork[T]) -> T:
        """``await fn(conn)`` in a read transaction (one snapshot). On SQLite it runs at once on
        the calling thread: a WAL reader never waits for a lock, and a page of reads costs less
        than the hand-offs to a thread would (see ``run_write`` on the GIL)."""
        if self._read_engine is None:
            async with self.read() as conn:
                return await fn(conn)
        started = time.perf_counter()
        try:
            with self._read_engine.connect() as conn, conn.begin():
                return _drive(fn(SyncBridge(conn)))
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
        if self._read_engine is not None:
            self._read_engine.dispose()
        if self._write_engine is not None:
            async with self._write_lock:
                if self._writer_conn is not None:
                    self._writer_conn.close()
                    self._writer_conn = None
                # A later unit of work reopens it.
                await asyncio.get_running_loop().run_in_executor(
                    self._write_thread, self._write_engine.dispose
                )
