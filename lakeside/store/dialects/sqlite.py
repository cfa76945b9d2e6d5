"""The store's queries where SQLite differs (see lakeside.store.dialects).

One writer at a time (``BEGIN IMMEDIATE``, store.engine), so nothing here locks rows. Lists
travel as one JSON array read by ``json_each``. The hot paths' statements are driver SQL with
flat positional parameters, read back as the driver's tuples: a catch-up holds pages of a
thousand rows, and a tuple of plain values is untracked by the garbage collector at its first
collection where a SQLAlchemy ``Row`` would be promoted and walked again and again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.text import SearchTerm
from lakeside.store.dialects import EVENT_FIELDS, LOG_FIELDS, SendContext
from lakeside.store.tables import message_search, messages

NAME = "sqlite"
ROWS_PER_INSERT = 2000  # rows of up to 12 values: under SQLite's 32,766 bound parameters
_NO_END = 2**63 - 1

# -- the event log ---------------------------------------------------------------------------------

_EVENT_FIELDS = ", ".join(EVENT_FIELDS)
_LOG_COLUMNS = ", ".join(LOG_FIELDS)
_LOG_ROW = "(" + ",".join("?" * len(LOG_FIELDS)) + ")"
# ?1 user, ?2 after, ?3 up to, ?4 limit. Two index ranges (the user's own events; conversation
# events after ``since``), each read in id order and merged, so no sort of the whole range. A
# conversation's events count from the membership's start (``joined_event_id``): one primary-key
# probe for each event that passes the membership test.
_EVENTS_FOR_USER = (
    f"SELECT {_EVENT_FIELDS} FROM ("
    f"SELECT {_EVENT_FIELDS} FROM events WHERE user_id = ?1 AND id > ?2 AND id <= ?3 "
    f"UNION ALL SELECT {_EVENT_FIELDS} FROM events WHERE user_id IS NULL AND id > ?2 AND id <= ?3 "
    "AND conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = ?1) "
    "AND id > (SELECT joined_event_id FROM conversation_members "
    "WHERE conversation_id = events.conversation_id AND user_id = ?1)"
    ") ORDER BY id LIMIT ?4"
)
_MESSAGE_TABLE_COLUMNS = ", ".join(c.name for c in messages.c)
_MESSAGES_BY_ID = (
    f"SELECT {_MESSAGE_TABLE_COLUMNS} FROM messages WHERE id IN (SELECT value FROM json_each(?))"
)

# -- the send path ---------------------------------------------------------------------------------

# (conversation, user) pairs as a JSON array of two-element arrays, joined to the members' key:
# one index probe per pair (with two IN lists SQLite probes their product).
_SEND_CONTEXT = (
    "SELECT m.conversation_id, m.user_id, c.kind, m.role, o.members_see_read_receipts, "
    "c.mute_all, m.mute_until "
    "FROM json_each(?) AS p "
    "JOIN conversation_members AS m "
    "ON m.conversation_id = json_extract(p.value, '$[0]') AND m.user_id = json_extract(p.value, '$[1]') "
    "JOIN conversations AS c ON c.id = m.conversation_id "
    "LEFT JOIN organizations AS o ON o.id = c.organization_id"
)
# One row per direct conversation: its two people (the lower id first), whether a block stands
# between them, and whether they may talk: friends, or colleagues (active in one organization).
_DIRECT_STANDING = (
    "SELECT m.conversation_id, m.user_id, peer.user_id, "
    "EXISTS (SELECT 1 FROM blocks AS b WHERE (b.user_id = m.user_id AND b.blocked_id = peer.user_id) "
    "OR (b.user_id = peer.user_id AND b.blocked_id = m.user_id)), "
    "EXISTS (SELECT 1 FROM friendships AS f WHERE f.user_id = m.user_id AND f.friend_id = peer.user_id) "
    "OR EXISTS (SELECT 1 FROM org_members AS mine JOIN org_members AS theirs "
    "ON theirs.organization_id = mine.organization_id "
    "WHERE mine.user_id = m.user_id AND mine.status = 'active' "
    "AND theirs.user_id = peer.user_id AND theirs.status = 'active') "
    "FROM conversation_members AS m "
    "JOIN conversation_members AS peer "
    "ON peer.conversation_id = m.conversation_id AND peer.user_id > m.user_id "
    "WHERE m.conversation_id IN (SELECT value FROM json_each(?))"
)
# The increments travel as one JSON object, so the statement's text is the same every time.
_RESERVE_SEQS = (
    "UPDATE conversations SET last_seq = last_seq + (SELECT value FROM json_each(?1) WHERE key = "
    "CAST(conversations.id AS TEXT)), last_activity_at = ?2, updated_at = ?2 "
    "WHERE id IN (SELECT CAST(key AS INTEGER) FROM json_each(?1)) "
    "RETURNING id, last_seq, member_count"
)
_BY_CLIENT_IDS = text(
    f"SELECT {', '.join(f'm.{c.name}' for c in messages.c)} FROM json_each(:pairs) AS p JOIN messages AS m "
    "ON m.sender_id = json_extract(p.value, '$[0]') AND m.client_msg_id = json_extract(p.value, '$[1]')"
).columns(*messages.c)
MESSAGE_FIELDS = (
    "conversation_id",
    "seq",
    "sender_id",
    "client_msg_id",
    "kind",
    "body",
    "html",
    "reply_to_id",
    "mentions",
    "mention_all",
    "file_id",
    "created_at",
)
_MESSAGE_COLUMNS = ", ".join(MESSAGE_FIELDS)
_MESSAGE_ROW = "(" + ",".join("?" * len(MESSAGE_FIELDS)) + ")"
_SEARCH_FIELDS = ("message_id", "conversation_id", "sender_id", "created_at", "words", "chars")
_SEARCH_ROW = "(" + ",".join("?" * len(_SEARCH_FIELDS)) + ")"
_INSERT_SEARCH = f"INSERT INTO message_search ({', '.join(_SEARCH_FIELDS)}) VALUES {_SEARCH_ROW}"
_ADVANCE_READ = (
    "UPDATE conversation_members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?"
)

# -- search ----------------------------------------------------------------------------------------

# The FTS5 external-content table the migration creates; not part of the metadata on purpose
# (it exists on SQLite only, and its shadow tables are FTS5's business).
message_fts = table("message_fts", column("rowid"))
_FTS_MATCH = literal_column("message_fts").op("MATCH")


def _fts5_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_expression(terms: Sequence[SearchTerm]) -> str:
    """The MATCH expression: phrases and prefixes on ``words``, single characters on ``chars``.
    Every token is quoted, so user input can only ever be text to look for, never syntax."""
    parts = []
    for term in terms:
        if term.kind == "phrase":
            parts.append("words : " + _fts5_string(" ".join(term.tokens)))
        elif term.kind == "prefix":
            parts.append("words : " + _fts5_string(term.tokens[0]) + "*")
        else:
            parts.append("chars : " + _fts5_string(term.tokens[0]))
    return " AND ".join(parts)


async def driver_rows(conn: Any, sql: str, parameters: Any) -> list[tuple[Any, ...]]:
    """The rows of driver SQL as the driver's own tuples, not SQLAlchemy ``Row``s (see the
    module's docstring on the garbage collector)."""
    result = await conn.exec_driver_sql(sql, parameters)
    try:
        return result.cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        result.close()


class SQLite:
    name = NAME

    def insert(self, table: Any) -> Any:
        return sqlite.insert(table)

    def id_in(self, target: Any, ids: Sequence[int]) -> ColumnElement[bool]:
        listed = select(column("value")).select_from(
            func.json_each(bindparam(None, orjson.dumps(list(ids)).decode()))
        )
        return target.in_(listed)

    def in_param(self, target: Any, name: str, item_type: Any) -> ColumnElement[bool]:
        del item_type  # JSON knows its values' types
        return target.in_(select(column("value")).select_from(func.json_each(bindparam(name, type_=String))))

    def listed(self, values: Sequence[Any]) -> Any:
        return orjson.dumps(list(values)).decode()

    def least(self, *values: Any) -> Any:
        return func.min(*values)  # with two or more arguments, SQLite's min is the scalar one

    def greatest(self, *values: Any) -> Any:
        return func.max(*values)

    def position(self, text: Any, part: Any) -> Any:
        return func.instr(text, part)

    # The transaction is the only writer (``BEGIN IMMEDIATE``): every lock is held already.

    async def lock(self, conn: AsyncConnection, key: int) -> None:
        pass

    async def try_lock(self, conn: AsyncConnection, key: int) -> bool:
        return True

    async def lock_rows(self, conn: AsyncConnection, table: Any, ids: Iterable[int]) -> None:
        pass

    async def append_events(self, conn: AsyncConnection, rows: Sequence[tuple[Any, ...]]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start : start + ROWS_PER_INSERT]
            result = await conn.exec_driver_sql(
                f"INSERT INTO events ({_LOG_COLUMNS}) VALUES "
                + ",".join([_LOG_ROW] * len(chunk))
                + " RETURNING id",
                tuple(value for row in chunk for value in row),
            )
            ids.extend(event_id for (event_id,) in result.all())
        return ids

    async def events_for_user(
        self, conn: AsyncConnection, user_id: int, since: int, upto: int | None, limit: int
    ) -> list[Any]:
        return await driver_rows(
            conn, _EVENTS_FOR_USER, (user_id, since, _NO_END if upto is None else upto, limit)
        )

    async def messages_by_id(self, conn: AsyncConnection, message_ids: list[int]) -> list[Any]:
        """The driver's rows (``mention_all`` reads as 0 / 1), the ids as one JSON array."""
        return await driver_rows(conn, _MESSAGES_BY_ID, (orjson.dumps(message_ids).decode(),))

    async def reserve_seqs(
        self, conn: AsyncConnection, counts: dict[int, int], now: int
    ) -> dict[int, tuple[int, int]]:
        """One UPDATE for every conversation (one writer at a time: nothing to order)."""
        result = await conn.exec_driver_sql(
            _RESERVE_SEQS, (orjson.dumps({str(cid): n for cid, n in counts.items()}).decode(), now)
        )
        return {cid: (int(last) - counts[cid] + 1, int(members)) for cid, last, members in result.all()}

    async def send_context(
        self, conn: AsyncConnection, pairs: set[tuple[int, int]]
    ) -> dict[tuple[int, int], SendContext]:
        rows = await conn.exec_driver_sql(_SEND_CONTEXT, (orjson.dumps(sorted(pairs)).decode(),))
        return {
            (cid, uid): SendContext(
                kind, role, see_receipts is not None and not see_receipts, bool(mute_all), mute_until
            )
            for cid, uid, kind, role, see_receipts, mute_all, mute_until in rows.all()
        }

    async def direct_standing(
        self, conn: AsyncConnection, conversation_ids: set[int]
    ) -> dict[int, tuple[int, int, bool, bool]]:
        rows = await conn.exec_driver_sql(
            _DIRECT_STANDING, (orjson.dumps(sorted(conversation_ids)).decode(),)
        )
        return {cid: (a, b, bool(blocked), bool(talk)) for cid, a, b, blocked, talk in rows.all()}

    async def find_by_client_ids(
        self, conn: AsyncConnection, keys: set[tuple[int, str]]
    ) -> dict[tuple[int, str], Row[Any]]:
        """One probe of the (sender, client id) key per pair, as in ``send_context``."""
        rows = (await conn.execute(_BY_CLIENT_IDS, {"pairs": orjson.dumps(sorted(keys)).decode()})).all()
        return {(row.sender_id, row.client_msg_id): row for row in rows}

    async def insert_messages(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
        ids = {}
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start : start + ROWS_PER_INSERT]
            result = await conn.exec_driver_sql(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES {','.join([_MESSAGE_ROW] * len(chunk))} "
                "RETURNING id, conversation_id, seq",
                tuple(value for row in chunk for value in _message_values(row)),
            )
            ids.update(((cid, seq), mid) for mid, cid, seq in result.all())
        return [ids[(row["conversation_id"], row["seq"])] for row in rows]

    async def insert_search_rows(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        await conn.exec_driver_sql(_INSERT_SEARCH, [tuple(r[key] for key in _SEARCH_FIELDS) for r in rows])

    async def advance_read_cursors(self, conn: AsyncConnection, cursors: list[dict[str, int]]) -> None:
        await conn.exec_driver_sql(_ADVANCE_READ, [(c["seq"], c["cid"], c["uid"], c["seq"]) for c in cursors])

    async def compact_search(self, conn: AsyncConnection) -> None:
        """FTS5 deletes by appending delete markers: the tokens of a deleted row stay in the index's
        segments until they are merged. ``optimize`` merges them all into one, dropping them."""
        await conn.execute(text("INSERT INTO message_fts(message_fts) VALUES ('optimize')"))

    def match_search(self, query: Select[Any], terms: Sequence[SearchTerm]) -> tuple[Select[Any], Any]:
        """FTS5 over the external-content table; ordering and paging on its rowid lets FTS5 hand
        rows over newest first itself."""
        matched = query.join(message_fts, message_fts.c.rowid == message_search.c.message_id).where(
            _FTS_MATCH(fts5_expression(terms))
        )
        return matched, message_fts.c.rowid


def _message_values(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["conversation_id"],
        row["seq"],
        row["sender_id"],
        row["client_msg_id"],
        row["kind"],
        row["body"],
        row["html"],
        row["reply_to_id"],
        row["mentions"],
        1 if row["mention_all"] else 0,
        row["file_id"],
        row["created_at"],
    )
