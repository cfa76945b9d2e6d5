"""Queries on messages, reactions and the search tokens of messages.

Sequence numbers are reserved with one ``UPDATE … SET last_seq = last_seq + n … RETURNING`` per
conversation inside the inserting transaction: the row lock it takes makes concurrent writers to
one conversation queue up, so numbers are gapless and commit in order, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    column,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import (
    blocks,
    conversation_members,
    conversations,
    files,
    message_search,
    messages,
    organizations,
    reactions,
)


def id_in(conn: AsyncConnection, target: Any, ids: list[int]) -> ColumnElement[bool]:
    """``target IN ids`` as ONE bound parameter: a JSON array read by ``json_each`` on SQLite, an
    array with ``= ANY`` on PostgreSQL. An expanding ``IN`` renders a parameter per id on every
    execution, which for the thousand ids of a catch-up page costs milliseconds."""
    return _in_list(conn, target, list(ids), BigInteger)


def _in_list(conn: AsyncConnection, target: Any, values: list[Any], item_type: Any) -> ColumnElement[bool]:
    if conn.dialect.name == "postgresql":
        return target == any_(bindparam(None, values, type_=postgresql.ARRAY(item_type)))
    listed = select(column("value")).select_from(
        func.json_each(bindparam(None, orjson.dumps(values).decode()))
    )
    return target.in_(listed)


def _in_param(dialect: str, target: Any, name: str, item_type: Any) -> ColumnElement[bool]:
    """``target IN <list>`` where the list is bound at execution as the ONE parameter ``name``
    (see ``listed``): for statements built once and reused (``_prebuilt``)."""
    if dialect == "postgresql":
        return target == any_(bindparam(name, type_=postgresql.ARRAY(item_type)))
    return target.in_(select(column("value")).select_from(func.json_each(bindparam(name, type_=String))))


def listed(conn: AsyncConnection, values: list[Any]) -> Any:
    """The value of a list parameter of ``_in_param``: a JSON array on SQLite, a list (array)
    on PostgreSQL."""
    return values if conn.dialect.name == "postgresql" else orjson.dumps(values).decode()


_PREBUILT: dict[tuple[str, str], Any] = {}


def _prebuilt(conn: AsyncConnection, build: Callable[[str], Any]) -> Any:
    """The statement ``build`` makes for this dialect, built once: on the send path building a
    statement and computing its cache key cost more than running it."""
    key = (conn.dialect.name, build.__name__)
    statement = _PREBUILT.get(key)
    if statement is None:
        statement = _PREBUILT[key] = build(conn.dialect.name)
    return statement


async def reserve_seqs(conn: AsyncConnection, conversation_id: int, count: int, now: int) -> int:
    """Reserve ``count`` sequence numbers; returns the first. Bumps the conversation's activity."""
    first, _members = await reserve_seqs_counted(conn, conversation_id, count, now)
    return first


async def reserve_seqs_counted(
    conn: AsyncConnection, conversation_id: int, count: int, now: int
) -> tuple[int, int]:
    """As ``reserve_seqs``, also returning the member count (for "N unread" on new messages)."""
    result = await conn.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(last_seq=conversations.c.last_seq + count, last_activity_at=now, updated_at=now)
        .returning(conversations.c.last_seq, conversations.c.member_count)
    )
    last, member_count = result.one()
    return int(last) - count + 1, int(member_count)


async def reserve_seqs_many(
    conn: AsyncConnection, counts: dict[int, int], now: int
) -> dict[int, tuple[int, int]]:
    """Reserve ``counts[conversation]`` numbers in each conversation: {conversation: (first seq,
    member count)}. One UPDATE for them all on SQLite (one writer at a time, nothing to order);
    on PostgreSQL one per conversation in id order, so that two nodes' batches lock rows in the
    same order and cannot deadlock."""
    if not counts:
        return {}
    if conn.dialect.name != "sqlite":
        return {cid: await reserve_seqs_counted(conn, cid, counts[cid], now) for cid in sorted(counts)}
    # Driver SQL: a Core CASE with a literal per conversation was built and coerced per batch.
    # The increments travel as one JSON object, so the statement's text is the same every time.
    result = await conn.exec_driver_sql(
        "UPDATE conversations SET last_seq = last_seq + (SELECT value FROM json_each(?1) WHERE key = "
        "CAST(conversations.id AS TEXT)), last_activity_at = ?2, updated_at = ?2 "
        "WHERE id IN (SELECT CAST(key AS INTEGER) FROM json_each(?1)) "
        "RETURNING id, last_seq, member_count",
        (orjson.dumps({str(cid): n for cid, n in counts.items()}).decode(), now),
    )
    return {cid: (int(last) - counts[cid] + 1, int(member_count)) for cid, last, member_count in result.all()}


async def send_context(
    conn: AsyncConnection, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], tuple[str, str, bool]]:
    """For the (conversation, sender) pairs that are current memberships: (conversation kind,
    the sender's role, whether the conversation's organization hides read receipts). One query
    for a whole batch of sends: what ``access`` and ``receipts_hidden`` read per message."""
    if not pairs:
        return {}
    if conn.dialect.name == "sqlite":
        # One index probe per pair: with the two lists as IN, SQLite probes their product.
        rows = await conn.exec_driver_sql(_SEND_CONTEXT_SQLITE, (orjson.dumps(sorted(pairs)).decode(),))
        return {
            (cid, uid): (kind, role, see_receipts is not None and not see_receipts)
            for cid, uid, kind, role, see_receipts in rows.all()
        }
    parameters = {
        "cids": listed(conn, sorted({cid for cid, _ in pairs})),
        "uids": listed(conn, sorted({uid for _, uid in pairs})),
    }
    return {
        (cid, uid): (kind, role, see_receipts is not None and not see_receipts)
        for cid, uid, kind, role, see_receipts in (
            await conn.execute(_prebuilt(conn, _send_context_statement), parameters)
        ).all()
        if (cid, uid) in pairs
    }


# (conversation, user) pairs as a JSON array of two-element arrays, joined to the members' key.
_SEND_CONTEXT_SQLITE = (
    "SELECT m.conversation_id, m.user_id, c.kind, m.role, o.members_see_read_receipts "
    "FROM json_each(?) AS p "
    "JOIN conversation_members AS m "
    "ON m.conversation_id = json_extract(p.value, '$[0]') AND m.user_id = json_extract(p.value, '$[1]') "
    "JOIN conversations AS c ON c.id = m.conversation_id "
    "LEFT JOIN organizations AS o ON o.id = c.organization_id"
)


def _send_context_statement(dialect: str) -> Any:
    return (
        select(
            conversation_members.c.conversation_id,
            conversation_members.c.user_id,
            conversations.c.kind,
            conversation_members.c.role,
            organizations.c.members_see_read_receipts,
        )
        .join(conversations, conversations.c.id == conversation_members.c.conversation_id)
        .outerjoin(organizations, organizations.c.id == conversations.c.organization_id)
        .where(
            _in_param(dialect, conversation_members.c.conversation_id, "cids", BigInteger),
            _in_param(dialect, conversation_members.c.user_id, "uids", BigInteger),
        )
    )


async def blocked_directs(conn: AsyncConnection, conversation_ids: set[int]) -> set[int]:
    """Those of the (direct) conversations between two people of whom one blocked the other."""
    if not conversation_ids:
        return set()
    statement = _prebuilt(conn, _blocked_directs_statement)
    return {cid for (cid,) in await conn.execute(statement, {"cids": listed(conn, sorted(conversation_ids))})}


def _blocked_directs_statement(dialect: str) -> Any:
    peer = conversation_members.alias("peer")
    return (
        select(conversation_members.c.conversation_id)
        .join(
            peer,
            and_(
                peer.c.conversation_id == conversation_members.c.conversation_id,
                peer.c.user_id != conversation_members.c.user_id,
            ),
        )
        .join(
            blocks,
            and_(blocks.c.user_id == conversation_members.c.user_id, blocks.c.blocked_id == peer.c.user_id),
        )
        .where(_in_param(dialect, conversation_members.c.conversation_id, "cids", BigInteger))
    )


async def insert_messages(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (each with its seq already assigned); returns their ids in the same order.

    Ids are matched back through (conversation_id, seq), which is unique, so the rows go in as
    one multi-row INSERT instead of the row-at-a-time statements that ordered RETURNING needs."""
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        # Driver SQL with flat positional parameters: a Core multi-row insert processes each
        # bound value of each row in Python (~30 µs per message at the writer's batch sizes).
        ids = {}
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]  # 24,000 parameters: under SQLite's 32,766
            result = await conn.exec_driver_sql(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES {','.join([_MESSAGE_ROW] * len(chunk))} "
                "RETURNING id, conversation_id, seq",
                tuple(value for row in chunk for value in _message_values(row)),
            )
            ids.update(((cid, seq), mid) for mid, cid, seq in result.all())
    else:
        result = await conn.execute(
            insert(messages).returning(messages.c.id, messages.c.conversation_id, messages.c.seq), rows
        )
        ids = {(row.conversation_id, row.seq): row.id for row in result.all()}
    return [ids[(row["conversation_id"], row["seq"])] for row in rows]


_MESSAGE_FIELDS = (
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
_MESSAGE_COLUMNS = ", ".join(_MESSAGE_FIELDS)
_MESSAGE_ROW = "(" + ",".join("?" * len(_MESSAGE_FIELDS)) + ")"


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


_SEARCH_FIELDS = ("message_id", "conversation_id", "sender_id", "created_at", "words", "chars")


async def insert_search_rows(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql(
            "INSERT INTO message_search (message_id, conversation_id, sender_id, created_at, words, chars) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [tuple(r[key] for key in _SEARCH_FIELDS) for r in rows],
        )
    else:
        await conn.execute(insert(message_search), rows)


async def replace_search_row(conn: AsyncConnection, message_id: int, words: str, chars: str) -> None:
    await conn.execute(
        update(message_search)
        .where(message_search.c.message_id == message_id)
        .values(words=words, chars=chars)
    )


async def delete_search_row(conn: AsyncConnection, message_id: int) -> None:
    await conn.execute(delete(message_search).where(message_search.c.message_id == message_id))


async def advance_read_cursors(conn: AsyncConnection, cursors: list[dict[str, int]]) -> None:
    """Senders have read their own messages: move each (conversation, user) cursor to ``seq``."""
    if not cursors:
        return
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql(
            "UPDATE conversation_members SET read_seq = ? "
            "WHERE conversation_id = ? AND user_id = ? AND read_seq < ?",
            [(c["seq"], c["cid"], c["uid"], c["seq"]) for c in cursors],
        )
        return
    await conn.execute(
        update(conversation_members)
        .where(
            conversation_members.c.conversation_id == bindparam("cid"),
            conversation_members.c.user_id == bindparam("uid"),
            conversation_members.c.read_seq < bindparam("seq"),
        )
        .values(read_seq=bindparam("seq")),
        cursors,
    )


async def find_by_client_ids(
    conn: AsyncConnection, keys: set[tuple[int, str]]
) -> dict[tuple[int, str], Row[Any]]:
    """Messages already stored under (sender, client message id): what makes a retry idempotent."""
    if not keys:
        return {}
    if conn.dialect.name == "sqlite":
        # One probe of the (sender, client id) key per pair, as in send_context.
        statement = _prebuilt(conn, _by_client_ids_sqlite)
        rows = (await conn.execute(statement, {"pairs": orjson.dumps(sorted(keys)).decode()})).all()
        return {(row.sender_id, row.client_msg_id): row for row in rows}
    parameters = {
        "senders": listed(conn, sorted({sender for sender, _ in keys})),
        "client_ids": listed(conn, sorted({client_id for _, client_id in keys})),
    }
    rows = (await conn.execute(_prebuilt(conn, _by_client_ids_statement), parameters)).all()
    found = {(row.sender_id, row.client_msg_id): row for row in rows}
    return {key: row for key, row in found.items() if key in keys}


def _by_client_ids_sqlite(_dialect: str) -> Any:
    columns = ", ".join(f"m.{column.name}" for column in messages.c)
    return text(
        f"SELECT {columns} FROM json_each(:pairs) AS p JOIN messages AS m "
        "ON m.sender_id = json_extract(p.value, '$[0]') AND m.client_msg_id = json_extract(p.value, '$[1]')"
    ).columns(*messages.c)


def _by_client_ids_statement(dialect: str) -> Any:
    return select(messages).where(
        _in_param(dialect, messages.c.sender_id, "senders", BigInteger),
        _in_param(dialect, messages.c.client_msg_id, "client_ids", String),
    )


async def get_message(conn: AsyncConnection, message_id: int) -> Row[Any] | None:
    return (await conn.execute(select(messages).where(messages.c.id == message_id))).first()


async def get_by_seq(conn: AsyncConnection, conversation_id: int, seq: int) -> Row[Any] | None:
    query = select(messages).where(messages.c.conversation_id == conversation_id, messages.c.seq == seq)
    return (await conn.execute(query)).first()


async def get_messages(conn: AsyncConnection, message_ids: list[int]) -> list[Row[Any]]:
    if not message_ids:
        return []
    return (await conn.execute(select(messages).where(id_in(conn, messages.c.id, message_ids)))).all()


async def page(
    conn: AsyncConnection,
    conversation_id: int,
    *,
    before_seq: int | None,
    after_seq: int | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to ``limit`` messages in ascending seq: the newest before ``before_seq``, or the oldest
    after ``after_seq``, or the newest of all."""
    query = select(messages).where(messages.c.conversation_id == conversation_id)
    if after_seq is not None:
        query = query.where(messages.c.seq > after_seq).order_by(messages.c.seq).limit(limit)
        return (await conn.execute(query)).all()
    if before_seq is not None:
        query = query.where(messages.c.seq < before_seq)
    query = query.order_by(messages.c.seq.desc()).limit(limit)
    return list(reversed((await conn.execute(query)).all()))


async def reactions_for(conn: AsyncConnection, message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Reactions per message as [{emoji, count, user_ids}], in order of first use."""
    if not message_ids:
        return {}
    query = (
        select(reactions.c.message_id, reactions.c.emoji, reactions.c.user_id)
        .where(id_in(conn, reactions.c.message_id, message_ids))
        .order_by(reactions.c.message_id, reactions.c.created_at, reactions.c.user_id)
    )
    grouped: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for message_id, emoji, user_id in (await conn.execute(query)).all():
        grouped[message_id].setdefault(emoji, []).append(user_id)
    return {
        message_id: [{"emoji": e, "count": len(ids), "user_ids": ids} for e, ids in by_emoji.items()]
        for message_id, by_emoji in grouped.items()
    }


async def files_for(conn: AsyncConnection, file_ids: list[str]) -> dict[str, Row[Any]]:
    if not file_ids:
        return {}
    return {row.id: row for row in await conn.execute(select(files).where(files.c.id.in_(file_ids)))}


async def add_reaction(conn: AsyncConnection, message_id: int, user_id: int, emoji: str, now: int) -> bool:
    """Add one user's reaction; False when it was there already. Racing adds of the same reaction
    meet in ``ON CONFLICT DO NOTHING`` rather than in a unique violation."""
    insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    query = (
        insert_(reactions)
        .values(message_id=message_id, user_id=user_id, emoji=emoji, created_at=now)
        .on_conflict_do_nothing()
    )
    return (await conn.execute(query)).rowcount > 0


async def remove_reaction(conn: AsyncConnection, message_id: int, user_id: int, emoji: str) -> bool:
    result = await conn.execute(
        delete(reactions).where(
            reactions.c.message_id == message_id, reactions.c.user_id == user_id, reactions.c.emoji == emoji
        )
    )
    return result.rowcount > 0


async def update_message(conn: AsyncConnection, message_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(messages).where(messages.c.id == message_id).values(**values))


async def delete_reactions(conn: AsyncConnection, message_id: int) -> None:
    await conn.execute(delete(reactions).where(reactions.c.message_id == message_id))


async def file_reference_count(conn: AsyncConnection, file_id: str) -> int:
    rows = await conn.execute(select(messages.c.id).where(messages.c.file_id == file_id).limit(2))
    return len(rows.all())
