"""What SQLite and PostgreSQL do differently, behind one interface.

A query that is the same on both engines is written once, in SQLAlchemy Core, in its area's
module (store/messages.py, store/stream.py...). Where the engines differ, the area's function
asks the dialect of its connection — ``dialect_of(conn).reserve_seqs(...)`` — and each engine's
module (``sqlite.py``, ``postgresql.py``) implements every method of ``Dialect``: the same query
twice, side by side, and nowhere else a branch on the engine. Synapse's ``database_engine`` is the
model: one object per engine that knows its quirks.

The differences are of four kinds: a list as one bound parameter (``json_each`` over a JSON array
on SQLite, ``= ANY(array)`` on PostgreSQL); ``INSERT … ON CONFLICT`` (each engine's own insert
construct) and a few functions (``LEAST``); locks (SQLite's ``BEGIN IMMEDIATE`` makes one writer
at a time, so row locks and named advisory locks exist on PostgreSQL only); and the hot paths'
statements, which on
SQLite go as driver SQL with flat parameters (Core binds every value of every row in Python,
~30 µs per message at the writer's batch sizes) and read rows as the driver's tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from sqlalchemy import ColumnElement, Select, Table
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

# The fields of an event row, in the order the log's readers return them (store.stream).
EVENT_FIELDS = ("id", "type", "op", "conversation_id", "user_id", "data", "created_at", "audience")
# The fields of a row to append (store.events.LogRow).
LOG_FIELDS = ("type", "op", "conversation_id", "user_id", "data", "audience", "created_at")


class SendContext(NamedTuple):
    """What the send path knows of one (conversation, sender) membership, read for a whole batch
    in one query (``Dialect.send_context``)."""

    kind: str  # the conversation's
    role: str  # the sender's
    receipts_hidden: bool  # the conversation's organization turned read receipts off
    mute_all: bool  # 全员禁言 is on (domain/mutes.py)
    mute_until: int | None  # the sender's own mute, if any


class Dialect(Protocol):
    """Everything the store does differently on one engine."""

    name: str

    # -- building blocks ---------------------------------------------------------------------------

    def insert(self, table: Table) -> Any:
        """An INSERT that knows ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""

    def id_in(self, target: Any, ids: Sequence[int]) -> ColumnElement[bool]:
        """``target IN ids`` as ONE bound parameter: an expanding ``IN`` renders a parameter per
        id on every execution, which for the thousand ids of a catch-up page costs milliseconds."""

    def in_param(self, target: Any, name: str, item_type: Any) -> ColumnElement[bool]:
        """``target IN <list>`` where the list is bound at execution as the ONE parameter ``name``
        (its value from ``listed``), for statements built once and reused."""

    def listed(self, values: Sequence[Any]) -> Any:
        """The value of an ``in_param`` parameter."""

    def least(self, *values: Any) -> Any:
        """The smallest of the values (SQL ``LEAST`` or SQLite's scalar ``min``)."""

    def greatest(self, *values: Any) -> Any:
        """The largest of the values."""

    def position(self, text: Any, part: Any) -> Any:
        """Where ``part`` first occurs in ``text``, from 1; 0 when it does not."""

    # -- locks (SQLite: the write transaction is the only writer; nothing more to lock) ----------

    async def lock(self, conn: AsyncConnection, key: int) -> None:
        """Hold the lock named ``key`` until the transaction ends, waiting for it."""

    async def try_lock(self, conn: AsyncConnection, key: int) -> bool:
        """Take the lock named ``key`` until the transaction ends if it is free; whether taken."""

    async def lock_rows(self, conn: AsyncConnection, table: Table, ids: Iterable[int]) -> None:
        """Lock rows of ``table`` by id, in id order (so that two lockers cannot deadlock), until
        the transaction ends. KEY SHARE-compatible (FOR NO KEY UPDATE): inserts whose foreign
        keys point at the rows do not wait."""

    # -- the event log -----------------------------------------------------------------------------

    async def append_events(self, conn: AsyncConnection, rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """Insert log rows (``store.events.LogRow``); their ids, in the order given."""

    async def events_for_user(
        self, conn: AsyncConnection, user_id: int, since: int, upto: int | None, limit: int
    ) -> list[Any]:
        """The user's events in (since, upto], as rows in ``store.stream.EVENT_COLUMNS`` order."""

    async def messages_by_id(self, conn: AsyncConnection, message_ids: list[int]) -> list[Any]:
        """Messages by id, each a row of the table's columns in table order."""

    # -- the send path -----------------------------------------------------------------------------

    async def reserve_seqs(
        self, conn: AsyncConnection, counts: dict[int, int], now: int
    ) -> dict[int, tuple[int, int]]:
        """Reserve ``counts[c]`` sequence numbers in each conversation ``c``: {c: (first, member count)}."""

    async def send_context(
        self, conn: AsyncConnection, pairs: set[tuple[int, int]]
    ) -> dict[tuple[int, int], SendContext]:
        """For the (conversation, sender) pairs that are memberships: their ``SendContext``."""

    async def direct_standing(
        self, conn: AsyncConnection, conversation_ids: set[int]
    ) -> dict[int, tuple[int, int, bool, bool]]:
        """For each direct conversation: (one person, the other, a block stands between them,
        they may talk — friends or colleagues)."""

    async def find_by_client_ids(
        self, conn: AsyncConnection, keys: set[tuple[int, str]]
    ) -> dict[tuple[int, str], Row[Any]]:
        """Messages stored under (sender, client message id)."""

    async def insert_messages(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert message rows (seq assigned); their ids in the same order."""

    async def insert_search_rows(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        """Insert rows of ``message_search`` (the engine's full-text index follows by trigger)."""

    async def advance_read_cursors(self, conn: AsyncConnection, cursors: list[dict[str, int]]) -> None:
        """Move each {cid, uid, seq} read cursor forward to ``seq``."""

    # -- search ------------------------------------------------------------------------------------

    def match_search(self, query: Select[Any], terms: Sequence[Any]) -> tuple[Select[Any], Any]:
        """``query`` (over ``message_search``) narrowed to rows matching every term, and the
        column to order and page by, newest first."""

    async def compact_search(self, conn: AsyncConnection) -> None:
        """Drop what the full-text index still keeps of deleted rows (recalled messages' tokens)."""


def dialect_of(conn: Any) -> Dialect:
    """The dialect of a connection (an ``AsyncConnection`` or the inline ``SyncBridge``)."""
    return DIALECTS[conn.dialect.name]


from lakeside.store.dialects.postgresql import PostgreSQL  # noqa: E402
from lakeside.store.dialects.sqlite import SQLite  # noqa: E402

DIALECTS: dict[str, Dialect] = {"sqlite": SQLite(), "postgresql": PostgreSQL()}
