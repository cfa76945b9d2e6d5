"""Whole units of work on SQLite without aiosqlite: the one place that drives a coroutine by hand.

aiosqlite runs each cursor operation on its connection's thread, a cross-thread hand-off (and
GIL transfer) for every execute, fetch and close: ~100-200 µs of CPU per statement, and on a
loaded machine a wait for the scheduler each time. The hot paths (the message writer's batches,
catch-up pages, the hub's hole-fill, session look-ups) therefore run as a unit of work — an
``async def fn(conn)`` that awaits nothing but ``conn`` — over a plain ``sqlite3`` connection
wrapped in a ``SyncBridge``, whose every ``await conn.execute(...)`` finishes without
suspending, so the whole coroutine is driven to its end in one call (``drive``).

Reads (``InlineSqlite.read``) run on the event loop's thread: a WAL reader never waits. Writes
(``InlineSqlite.write``) use one dedicated connection, held open, which takes the write lock and
commits (the fsync) on a writer thread; the statements in between run on the loop's thread (see
``write`` for why not all on the thread). The writer never queues behind readers for a pooled
connection.

``Database.run_write`` / ``run_read`` (store.engine) use this on SQLite; on PostgreSQL (asyncpg is
cheap per statement) the same functions run in ordinary transactions.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

T = TypeVar("T")
Work = Callable[[Any], Awaitable[T]]  # an async function of a connection that awaits nothing else

BUSY_TIMEOUT_MS = 30_000


class SyncBridge:
    """What the store's query functions use of an ``AsyncConnection`` (``execute``, ``scalar``,
    ``scalars``, ``exec_driver_sql``, ``dialect``), over a synchronous connection: each call
    runs at once and its coroutine finishes without suspending (see ``drive``)."""

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


def drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (it awaits only a ``SyncBridge``) to its end."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a unit of work given to run_write/run_read awaited something besides its connection")


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


class InlineSqlite:
    """The writer's connection and thread, and the readers' engine, of one SQLite database.
    Errors come out as the driver raised them; ``Database`` translates them."""

    def __init__(self, write_engine: Engine, read_engine: Engine) -> None:
        self.write_engine = write_engine
        self.read_engine = read_engine
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lakeside-sqlite-writer")
        self._lock = asyncio.Lock()
        self._writer: Connection | None = None

    async def write(self, fn: Work[T]) -> T:
        """``await fn(conn)`` in a write transaction that commits when it returns (rolls back if
        it raises), over the dedicated writer connection, held open: the write lock is taken on
        the calling thread without waiting (``BEGIN IMMEDIATE`` with no busy timeout), or, when
        another connection holds it, on the writer thread, which waits; the statements run on
        the calling thread, synchronously; the commit (the fsync) runs on the writer thread.
        As little as possible on the thread: the sqlite3 module drops the GIL around every step
        of every statement, and a thread that must win the GIL back from a busy event loop waits
        up to the switch interval each time — hundreds of times per batch if the statements ran
        there, and, measured in the working-day benchmark, 30-50 ms per batch when the thread
        also checked a pooled connection out and began the transaction."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            conn = self._connection()
            transaction = _begin_now(conn)
            if transaction is None:  # another connection is writing: wait for it off the loop
                transaction = await loop.run_in_executor(self._thread, conn.begin)
            try:
                result = drive(fn(SyncBridge(conn)))
            except BaseException:
                transaction.rollback()  # no fsync in WAL: nothing to wait for
                raise
            raw = conn.connection.driver_connection
            try:
                await loop.run_in_executor(self._thread, raw.commit)  # the fsync
            except sqlite3.Error:
                transaction.rollback()
                raise
            transaction.commit()  # the driver has committed; this ends the Connection's transaction
            return result

    def read(self, fn: Work[T]) -> T:
        """``await fn(conn)`` in a read transaction (one snapshot), at once, on the calling
        thread: a WAL reader never waits for a lock, and a page of reads costs less than the
        hand-offs to a thread would (see ``write`` on the GIL)."""
        with self.read_engine.connect() as conn, conn.begin():
            return drive(fn(SyncBridge(conn)))

    def _connection(self) -> Connection:
        """The writer's connection, held open between units of work (opened again after an error
        made SQLAlchemy invalidate it)."""
        conn = self._writer
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self.write_engine.connect().execution_options(lakeside_write=True)
            self._writer = conn
        return conn

    async def dispose(self) -> None:
        self.read_engine.dispose()
        async with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            # A later unit of work reopens it.
            await asyncio.get_running_loop().run_in_executor(self._thread, self.write_engine.dispose)
