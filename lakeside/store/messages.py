"""Queries on messages, reactions and the search tokens of messages.

Sequence numbers are reserved with one ``UPDATE … SET last_seq = last_seq + n … RETURNING`` per
conversation inside the inserting transaction: the row lock it takes makes concurrent writers to
one conversation queue up, so numbers are gapless and commit in order, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import (
    conversation_members,
    conversations,
    files,
    message_search,
    messages,
    reactions,
)


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


async def insert_messages(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (each with its seq already assigned); returns their ids in the same order.

    Ids are matched back through (conversation_id, seq), which is unique, so the rows go in as
    one multi-row INSERT instead of the row-at-a-time statements that ordered RETURNING needs."""
    if not rows:
        return []
    result = await conn.execute(
        insert(messages).returning(messages.c.id, messages.c.conversation_id, messages.c.seq), rows
    )
    ids = {(row.conversation_id, row.seq): row.id for row in result.all()}
    return [ids[(row["conversation_id"], row["seq"])] for row in rows]


async def insert_search_rows(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
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
    query = select(messages).where(tuple_(messages.c.sender_id, messages.c.client_msg_id).in_(list(keys)))
    return {(row.sender_id, row.client_msg_id): row for row in await conn.execute(query)}


async def get_message(conn: AsyncConnection, message_id: int) -> Row[Any] | None:
    return (await conn.execute(select(messages).where(messages.c.id == message_id))).first()


async def get_by_seq(conn: AsyncConnection, conversation_id: int, seq: int) -> Row[Any] | None:
    query = select(messages).where(messages.c.conversation_id == conversation_id, messages.c.seq == seq)
    return (await conn.execute(query)).first()


async def get_messages(conn: AsyncConnection, message_ids: list[int]) -> list[Row[Any]]:
    if not message_ids:
        return []
    return list(await conn.execute(select(messages).where(messages.c.id.in_(message_ids))))


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
        return list(await conn.execute(query))
    if before_seq is not None:
        query = query.where(messages.c.seq < before_seq)
    query = query.order_by(messages.c.seq.desc()).limit(limit)
    return list(reversed(list(await conn.execute(query))))


async def reactions_for(conn: AsyncConnection, message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Reactions per message as [{emoji, count, user_ids}], in order of first use."""
    if not message_ids:
        return {}
    query = (
        select(reactions.c.message_id, reactions.c.emoji, reactions.c.user_id)
        .where(reactions.c.message_id.in_(message_ids))
        .order_by(reactions.c.message_id, reactions.c.created_at, reactions.c.user_id)
    )
    grouped: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for row in await conn.execute(query):
        grouped[row.message_id].setdefault(row.emoji, []).append(row.user_id)
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
