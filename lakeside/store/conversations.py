"""Queries on conversations and their members."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.pinyin import search_key
from lakeside.store.dialects import dialect_of
from lakeside.store.tables import conversation_drafts as drafts
from lakeside.store.tables import conversation_members as members
from lakeside.store.tables import conversations, messages, organizations, users


def direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


def _with_key(values: dict[str, Any]) -> dict[str, Any]:
    """The values with the title's search key beside the title, wherever a title is written."""
    if "title" in values:
        return {**values, "search_key": search_key(values["title"]) if values["title"] else ""}
    return values


async def insert_conversation(conn: AsyncConnection, values: dict[str, Any]) -> int:
    statement = insert(conversations).values(**_with_key(values)).returning(conversations.c.id)
    return (await conn.execute(statement)).scalar_one()


async def get_conversation(
    conn: AsyncConnection, conversation_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    """The conversation's row; ``for_update`` locks it until the transaction ends (PostgreSQL;
    SQLite has one writer at a time already), which serialises changes to its membership. The
    lock is ``FOR NO KEY UPDATE``, the one the sequence-reserving UPDATE takes too."""
    query = select(conversations).where(conversations.c.id == conversation_id)
    if for_update:
        query = query.with_for_update(key_share=True)
    return (await conn.execute(query)).first()


async def lock_conversations(conn: AsyncConnection, conversation_ids: Iterable[int]) -> None:
    """Lock several conversations' rows in id order (so that two lockers cannot deadlock) until
    the transaction ends, as ``get_conversation(for_update=True)`` locks one (SQLite: nothing to
    lock, the transaction is the only writer)."""
    await dialect_of(conn).lock_rows(conn, conversations, conversation_ids)


async def mark_joined(conn: AsyncConnection, joined: list[tuple[int, int, int]]) -> None:
    """Record, for each (conversation, user, position), the last log position before the
    membership began (see the ``joined_event_id`` column)."""
    await conn.execute(
        update(members)
        .where(members.c.conversation_id == bindparam("cid"), members.c.user_id == bindparam("uid"))
        .values(joined_event_id=bindparam("position")),
        [{"cid": cid, "uid": uid, "position": position} for cid, uid, position in joined],
    )


async def get_direct(conn: AsyncConnection, key: str) -> Row[Any] | None:
    return (await conn.execute(select(conversations).where(conversations.c.direct_key == key))).first()


async def get_membership(conn: AsyncConnection, conversation_id: int, user_id: int) -> Row[Any] | None:
    query = select(members).where(members.c.conversation_id == conversation_id, members.c.user_id == user_id)
    return (await conn.execute(query)).first()


async def member_ids(conn: AsyncConnection, conversation_id: int) -> list[int]:
    rows = await conn.execute(select(members.c.user_id).where(members.c.conversation_id == conversation_id))
    return [row.user_id for row in rows]


async def existing_members(conn: AsyncConnection, conversation_id: int, user_ids: Iterable[int]) -> set[int]:
    ids = list(user_ids)
    if not ids:
        return set()
    query = select(members.c.user_id).where(
        members.c.conversation_id == conversation_id, members.c.user_id.in_(ids)
    )
    return {row.user_id for row in await conn.execute(query)}


async def memberships_among(conn: AsyncConnection, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of the (conversation, user) pairs are current memberships: one query for a batch."""
    if not pairs:
        return set()
    query = select(members.c.conversation_id, members.c.user_id).where(
        tuple_(members.c.conversation_id, members.c.user_id).in_(list(pairs))
    )
    return {(row.conversation_id, row.user_id) for row in await conn.execute(query)}


async def active_user_ids(conn: AsyncConnection, user_ids: Iterable[int]) -> set[int]:
    """Which of the ids belong to existing, active accounts."""
    ids = list(user_ids)
    if not ids:
        return set()
    query = select(users.c.id).where(users.c.id.in_(ids), users.c.is_active.is_(True))
    return {row.id for row in await conn.execute(query)}


async def add_members(
    conn: AsyncConnection, conversation_id: int, user_roles: dict[int, str], *, joined_seq: int, now: int
) -> None:
    if not user_roles:
        return
    rows = [
        {
            "conversation_id": conversation_id,
            "user_id": user_id,
            "role": role,
            "read_seq": joined_seq,
            "joined_seq": joined_seq,
            "joined_at": now,
        }
        for user_id, role in user_roles.items()
    ]
    await conn.execute(insert(members), rows)
    await conn.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(member_count=conversations.c.member_count + len(rows), updated_at=now)
    )


async def remove_member(conn: AsyncConnection, conversation_id: int, user_id: int, now: int) -> None:
    result = await conn.execute(
        delete(members).where(members.c.conversation_id == conversation_id, members.c.user_id == user_id)
    )
    if result.rowcount:
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(member_count=conversations.c.member_count - result.rowcount, updated_at=now)
        )


async def set_role(conn: AsyncConnection, conversation_id: int, user_id: int, role: str) -> None:
    await conn.execute(
        update(members)
        .where(members.c.conversation_id == conversation_id, members.c.user_id == user_id)
        .values(role=role)
    )


async def update_member_settings(
    conn: AsyncConnection, conversation_id: int, user_id: int, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(members)
        .where(members.c.conversation_id == conversation_id, members.c.user_id == user_id)
        .values(**values)
    )


async def update_conversation(conn: AsyncConnection, conversation_id: int, values: dict[str, Any]) -> None:
    statement = update(conversations).where(conversations.c.id == conversation_id)
    await conn.execute(statement.values(**_with_key(values)))


async def advance_read(conn: AsyncConnection, conversation_id: int, user_id: int, seq: int) -> int:
    """Move a read cursor forward (never back); returns the cursor now stored."""
    await conn.execute(
        update(members)
        .where(
            members.c.conversation_id == conversation_id,
            members.c.user_id == user_id,
            members.c.read_seq < seq,
        )
        .values(read_seq=seq)
    )
    row = await get_membership(conn, conversation_id, user_id)
    return row.read_seq if row is not None else 0


async def list_for_user(
    conn: AsyncConnection,
    user_id: int,
    *,
    limit: int,
    before: tuple[int, int] | None,
    only: list[int] | None = None,
) -> list[Row[Any]]:
    """The user's conversations, most recent activity first, with the newest message (if any)
    found through the (conversation_id, seq) unique index rather than a scan, the user's draft
    (if any) through its primary key, and for an organization's conversation the organization's
    message windows."""
    last = messages.alias("last")
    query = (
        select(
            conversations,
            members.c.role,
            members.c.read_seq,
            members.c.pinned,
            members.c.muted,
            members.c.mute_until,
            last.c.id.label("last_id"),
            last.c.sender_id.label("last_sender_id"),
            last.c.kind.label("last_kind"),
            last.c.body.label("last_body"),
            last.c.created_at.label("last_created_at"),
            last.c.recalled_at.label("last_recalled_at"),
            drafts.c.body.label("draft_body"),
            drafts.c.updated_at.label("draft_updated_at"),
            organizations.c.recall_window_seconds.label("org_recall_window_seconds"),
            organizations.c.edit_window_seconds.label("org_edit_window_seconds"),
        )
        .join(members, members.c.conversation_id == conversations.c.id)
        .outerjoin(organizations, organizations.c.id == conversations.c.organization_id)
        .outerjoin(
            last, and_(last.c.conversation_id == conversations.c.id, last.c.seq == conversations.c.last_seq)
        )
        .outerjoin(drafts, and_(drafts.c.user_id == user_id, drafts.c.conversation_id == conversations.c.id))
        .where(members.c.user_id == user_id)
        .order_by(conversations.c.last_activity_at.desc(), conversations.c.id.desc())
        .limit(limit)
    )
    if only is not None:
        query = query.where(conversations.c.id.in_(only))
    if before is not None:
        at, conversation_id = before
        query = query.where(
            or_(
                conversations.c.last_activity_at < at,
                and_(conversations.c.last_activity_at == at, conversations.c.id < conversation_id),
            )
        )
    return list(await conn.execute(query))


async def direct_peers(
    conn: AsyncConnection, conversation_ids: list[int], user_id: int
) -> dict[int, Row[Any]]:
    """For direct conversations: the other member's public row, keyed by conversation."""
    if not conversation_ids:
        return {}
    query = (
        select(
            members.c.conversation_id,
            members.c.read_seq,
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.avatar_file_id,
            users.c.deleted_at,
        )
        .join(users, users.c.id == members.c.user_id)
        .where(members.c.conversation_id.in_(conversation_ids), members.c.user_id != user_id)
    )
    rows: list[Row[Any]] = list(await conn.execute(query))
    return {row.conversation_id: row for row in rows}


async def list_members(
    conn: AsyncConnection, conversation_id: int, *, after_user_id: int, limit: int
) -> list[Row[Any]]:
    query = (
        select(
            members.c.user_id,
            members.c.role,
            members.c.joined_at,
            members.c.read_seq,
            members.c.mute_until,
            users.c.username,
            users.c.display_name,
            users.c.avatar_file_id,
            users.c.deleted_at,
            users.c.bot_kind,
        )
        .join(users, users.c.id == members.c.user_id)
        .where(members.c.conversation_id == conversation_id, members.c.user_id > after_user_id)
        .order_by(members.c.user_id)
        .limit(limit)
    )
    return list(await conn.execute(query))


async def count_role(conn: AsyncConnection, conversation_id: int, role: str) -> int:
    query = select(func.count()).where(members.c.conversation_id == conversation_id, members.c.role == role)
    return (await conn.scalar(query)) or 0
