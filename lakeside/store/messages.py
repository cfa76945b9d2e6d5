"""Queries on messages, reactions and the search tokens of messages.

Sequence numbers are reserved with ``UPDATE … SET last_seq = last_seq + n … RETURNING`` inside
the inserting transaction: the row lock it takes makes concurrent writers to one conversation
queue up, so numbers are gapless and commit in order, on SQLite and PostgreSQL. The send path's
statements differ by engine and live in lakeside.store.dialects; the functions here name them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import SendContext, dialect_of
from lakeside.store.tables import files, message_search, messages, reactions


def id_in(conn: AsyncConnection, target: Any, ids: list[int]) -> ColumnElement[bool]:
    """``target IN ids`` as ONE bound parameter (``Dialect.id_in``)."""
    return dialect_of(conn).id_in(target, ids)


async def reserve_seqs(conn: AsyncConnection, conversation_id: int, count: int, now: int) -> int:
    """Reserve ``count`` sequence numbers; returns the first. Bumps the conversation's activity."""
    first, _members = (await reserve_seqs_many(conn, {conversation_id: count}, now))[conversation_id]
    return first


async def reserve_seqs_many(
    conn: AsyncConnection, counts: dict[int, int], now: int
) -> dict[int, tuple[int, int]]:
    """Reserve ``counts[conversation]`` numbers in each conversation: {conversation: (first seq,
    member count)} — the member count for "N unread" on new messages."""
    return await dialect_of(conn).reserve_seqs(conn, counts, now) if counts else {}


async def send_context(
    conn: AsyncConnection, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], SendContext]:
    """For the (conversation, sender) pairs that are current memberships: the conversation's kind,
    the sender's role, whether the conversation's organization hides read receipts, and whether
    the sender is muted (mute-all, their own mute). One query for a whole batch of sends: what
    ``access`` and ``receipts_hidden`` read per message."""
    return await dialect_of(conn).send_context(conn, pairs) if pairs else {}


async def direct_standing(
    conn: AsyncConnection, conversation_ids: set[int]
) -> dict[int, tuple[int, int, bool, bool]]:
    """For each of the direct conversations: (the one person, the other, whether one blocked the
    other, whether they may talk — friends, or colleagues in an organization). One query for a
    whole batch: what ``Conversations.check_can_talk`` asks of one pair."""
    return await dialect_of(conn).direct_standing(conn, conversation_ids) if conversation_ids else {}


async def insert_messages(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (each with its seq already assigned); returns their ids in the same order.

    Ids are matched back through (conversation_id, seq), which is unique, so the rows go in as
    one multi-row INSERT instead of the row-at-a-time statements that ordered RETURNING needs."""
    return await dialect_of(conn).insert_messages(conn, rows) if rows else []


async def insert_search_rows(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await dialect_of(conn).insert_search_rows(conn, rows)


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
    if cursors:
        await dialect_of(conn).advance_read_cursors(conn, cursors)


async def find_by_client_ids(
    conn: AsyncConnection, keys: set[tuple[int, str]]
) -> dict[tuple[int, str], Row[Any]]:
    """Messages already stored under (sender, client message id): what makes a retry idempotent."""
    return await dialect_of(conn).find_by_client_ids(conn, keys) if keys else {}


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
    query = (
        dialect_of(conn)
        .insert(reactions)
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
