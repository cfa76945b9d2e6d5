"""Queries on drafts: one row per (member, conversation), last writer wins by ``updated_at``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import conversation_drafts as drafts


async def get_draft(conn: AsyncConnection, user_id: int, conversation_id: int) -> Row[Any] | None:
    query = select(drafts.c.body, drafts.c.updated_at).where(
        drafts.c.user_id == user_id, drafts.c.conversation_id == conversation_id
    )
    return (await conn.execute(query)).first()


async def save_draft(
    conn: AsyncConnection, user_id: int, conversation_id: int, body: str, updated_at: int
) -> bool:
    """Keep ``body`` unless the stored draft is as new or newer; True if it was kept. Two writers
    racing meet in ``ON CONFLICT … DO UPDATE … WHERE`` (the newer wins), never in a violation."""
    insert = dialect_of(conn).insert(drafts)
    statement = insert.values(
        user_id=user_id, conversation_id=conversation_id, body=body, updated_at=updated_at
    ).on_conflict_do_update(
        index_elements=[drafts.c.user_id, drafts.c.conversation_id],
        set_={"body": insert.excluded.body, "updated_at": insert.excluded.updated_at},
        where=drafts.c.updated_at < insert.excluded.updated_at,
    )
    return (await conn.execute(statement)).rowcount > 0
