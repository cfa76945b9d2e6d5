"""How messages look to clients, and system messages written inside other services' transactions.

A recalled message renders as a tombstone everywhere: no body, no file, no reactions. System
messages carry machine-readable JSON (``{"action": "members_added", "user_ids": [...]}``) that
clients render in the reader's language.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.services.context import Event, UnitOfWork
from lakeside.store import messages as store

PREVIEW_CHARS = 120
QUOTE_CHARS = 200


def file_view(row: Row[Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "width": row.width,
        "height": row.height,
        "url": f"/api/v1/files/{row.id}",
        "thumbnail_url": f"/api/v1/files/{row.id}/thumbnail" if row.has_thumbnail else None,
    }


def preview(row: Row[Any]) -> dict[str, Any]:
    """The last-message line of a conversation list entry."""
    recalled = row.last_recalled_at is not None
    return {
        "id": row.last_id,
        "sender_id": row.last_sender_id,
        "kind": row.last_kind,
        "body": "" if recalled else (row.last_body or "")[:PREVIEW_CHARS],
        "recalled": recalled,
        "created_at": row.last_created_at,
    }


def message_view(
    row: Row[Any],
    *,
    reactions: list[dict[str, Any]] | None = None,
    file: Row[Any] | None = None,
    reply: Row[Any] | None = None,
) -> dict[str, Any]:
    recalled = row.recalled_at is not None
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "seq": row.seq,
        "sender_id": row.sender_id,
        "client_msg_id": row.client_msg_id,
        "kind": row.kind,
        "body": "" if recalled else row.body,
        "html": None if recalled else row.html,
        "mentions": [] if recalled or not row.mentions else orjson.loads(row.mentions),
        "mention_all": False if recalled else row.mention_all,
        "reply_to": None if recalled else quote_view(reply, row.reply_to_id),
        "file": None if recalled else file_view(file),
        "reactions": [] if recalled else (reactions or []),
        "created_at": row.created_at,
        "edited_at": row.edited_at,
        "recalled": recalled,
        "recalled_at": row.recalled_at,
        "recalled_by": row.recalled_by,
    }


def quote_view(reply: Row[Any] | None, reply_to_id: int | None) -> dict[str, Any] | None:
    if reply_to_id is None:
        return None
    if reply is None:
        return {"id": reply_to_id, "seq": None, "sender_id": None, "kind": None, "body": "", "recalled": True}
    recalled = reply.recalled_at is not None
    return {
        "id": reply.id,
        "seq": reply.seq,
        "sender_id": reply.sender_id,
        "kind": reply.kind,
        "body": "" if recalled else reply.body[:QUOTE_CHARS],
        "recalled": recalled,
    }


async def render_messages(conn: AsyncConnection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    """Message views for rows, with reactions, files and quoted messages in three queries."""
    ids = [row.id for row in rows if row.recalled_at is None]
    reactions = await store.reactions_for(conn, ids)
    files = await store.files_for(conn, [row.file_id for row in rows if row.file_id])
    reply_ids = [row.reply_to_id for row in rows if row.reply_to_id]
    replies = {r.id: r for r in await store.get_messages(conn, reply_ids)}
    return [
        message_view(
            row,
            reactions=reactions.get(row.id),
            file=files.get(row.file_id) if row.file_id else None,
            reply=replies.get(row.reply_to_id) if row.reply_to_id else None,
        )
        for row in rows
    ]


async def append_system_message(
    uow: UnitOfWork, conversation_id: int, actor_id: int, data: dict[str, Any], now: int
) -> dict[str, Any]:
    """Add a system message to a conversation inside the caller's transaction."""
    seq = await store.reserve_seqs(uow.conn, conversation_id, 1, now)
    row = {
        "conversation_id": conversation_id,
        "seq": seq,
        "sender_id": actor_id,
        "client_msg_id": None,
        "kind": "system",
        "body": orjson.dumps(data).decode(),
        "html": None,
        "reply_to_id": None,
        "mentions": None,
        "mention_all": False,
        "file_id": None,
        "created_at": now,
    }
    (message_id,) = await store.insert_messages(uow.conn, [row])
    await store.advance_read_cursors(uow.conn, [{"cid": conversation_id, "uid": actor_id, "seq": seq}])
    stored = await store.get_message(uow.conn, message_id)
    assert stored is not None
    view = message_view(stored)
    uow.emit(
        Event(
            "message",
            "created",
            {"message_id": message_id, "seq": seq},
            conversation_id=conversation_id,
            live=view,
        )
    )
    return view
