"""How messages look to clients, and system messages written inside other services' transactions.

A recalled message renders as a tombstone everywhere: no body, no file, no reactions. System
messages carry machine-readable JSON (``{"action": "members_added", "user_ids": [...]}``) that
clients render in the reader's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import cards, forwards
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import MessageCreated
from lakeside.domain.messages import STRUCTURED_KINDS
from lakeside.store import messages as store
from lakeside.store.tables import messages

if TYPE_CHECKING:  # the unit of work's module reads message views through services.events
    from lakeside.services.context import UnitOfWork

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
    # A voice message's or a merged forward's body is the server's JSON: the kind says it all.
    hidden = recalled or row.last_kind in STRUCTURED_KINDS
    body = "" if hidden else (row.last_body or "")
    if row.last_kind == "card" and not recalled:  # a card's words, not its JSON
        body = cards.plain_text(cards.decode(row.last_body or "") or {})
    return {
        "id": row.last_id,
        "sender_id": row.last_sender_id,
        "kind": row.last_kind,
        "body": body[:PREVIEW_CHARS],
        "recalled": recalled,
        "created_at": row.last_created_at,
    }


# The fields of a message row in table order. Rows are read by position on the hot paths: on this
# SQLAlchemy a Row's attribute access costs ~10x its positional access, and a catch-up renders a
# hundred thousand messages.
MESSAGE_FIELDS = tuple(column.name for column in messages.c)
_FIELD_COUNT = len(MESSAGE_FIELDS)


def message_view(
    row: Any,
    *,
    reactions: list[dict[str, Any]] | None = None,
    file: Row[Any] | None = None,
    reply: Row[Any] | None = None,
) -> dict[str, Any]:
    """The view of a message row (a Row, or anything with the message's fields as attributes)."""
    return _view(_fields_of([row])[0], reactions, file, reply)


def new_message_view(
    row: dict[str, Any], *, file: Row[Any] | None = None, reply: Row[Any] | None = None
) -> dict[str, Any]:
    """The view of a message just inserted, from the dict of its column values."""
    return _view(tuple(row.get(name) for name in MESSAGE_FIELDS), None, file, reply)


def _fields_of(rows: list[Any]) -> list[Any]:
    """The rows as sequences in ``MESSAGE_FIELDS`` order: the rows themselves when they are
    whole rows of the messages table (one check for the lot: a result's rows share their
    fields), else read field by field."""
    if not rows:
        return []
    first = rows[0]
    if isinstance(first, Row) and tuple(first._fields) == MESSAGE_FIELDS:
        return rows
    return [tuple(getattr(row, name) for name in MESSAGE_FIELDS) for row in rows]


def _view(
    values: Any,
    reactions: list[dict[str, Any]] | None,
    file: Row[Any] | None,
    reply: Row[Any] | None,
) -> dict[str, Any]:
    (
        message_id,
        conversation_id,
        seq,
        sender_id,
        client_msg_id,
        kind,
        body,
        html,
        reply_to_id,
        mentions,
        mention_all,
        _file_id,
        created_at,
        edited_at,
        recalled_at,
        recalled_by,
    ) = values
    if recalled_at is not None:
        return {
            "id": message_id,
            "conversation_id": conversation_id,
            "seq": seq,
            "sender_id": sender_id,
            "client_msg_id": client_msg_id,
            "kind": kind,
            "body": "",
            "html": None,
            "mentions": [],
            "mention_all": False,
            "reply_to": None,
            "file": None,
            "reactions": [],
            "created_at": created_at,
            "edited_at": edited_at,
            "recalled": True,
            "recalled_at": recalled_at,
            "recalled_by": recalled_by,
            "duration_ms": None,
            "record": None,
            "card": None,
        }
    duration_ms = record = card = None
    if kind in STRUCTURED_KINDS:
        structured = forwards.decode(body) or {}
        body = ""
        if kind == "voice":
            duration_ms = structured.get("duration_ms")
        elif kind == "card":
            card = structured or None
            body = cards.plain_text(structured)
        else:
            record = structured or None
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "seq": seq,
        "sender_id": sender_id,
        "client_msg_id": client_msg_id,
        "kind": kind,
        "body": body,
        "html": html,
        "mentions": orjson.loads(mentions) if mentions else [],
        "mention_all": bool(mention_all),  # driver SQL on SQLite reads the column as 0 / 1
        "reply_to": None if reply_to_id is None else quote_view(reply, reply_to_id),
        "file": None if file is None else file_view(file),
        "reactions": reactions or [],
        "created_at": created_at,
        "edited_at": edited_at,
        "recalled": False,
        "recalled_at": None,
        "recalled_by": recalled_by,
        "duration_ms": duration_ms,
        "record": record,
        "card": card,
    }


def quote_view(reply: Row[Any] | None, reply_to_id: int | None) -> dict[str, Any] | None:
    if reply_to_id is None:
        return None
    if reply is None:
        return {"id": reply_to_id, "seq": None, "sender_id": None, "kind": None, "body": "", "recalled": True}
    recalled = reply.recalled_at is not None
    hidden = recalled or reply.kind in STRUCTURED_KINDS
    return {
        "id": reply.id,
        "seq": reply.seq,
        "sender_id": reply.sender_id,
        "kind": reply.kind,
        "body": "" if hidden else reply.body[:QUOTE_CHARS],
        "recalled": recalled,
    }


async def render_messages(conn: AsyncConnection, rows: list[Any]) -> list[dict[str, Any]]:
    """Message views for rows, with reactions, files and quoted messages: one query for the
    reactions, and one each for files and quoted messages only when some row has them."""
    values = _fields_of(rows)
    parts = await message_parts(conn, values)
    return [render(v, parts) for v in values]


class MessageParts:
    """What the views of a set of messages need besides their own rows: reactions per message,
    attached files and quoted messages (read once for the set by ``message_parts``)."""

    __slots__ = ("files", "reactions", "replies")

    def __init__(
        self,
        reactions: dict[int, list[dict[str, Any]]],
        files: dict[str, Row[Any]],
        replies: dict[int, Row[Any]],
    ) -> None:
        self.reactions = reactions
        self.files = files
        self.replies = replies


async def message_parts(conn: AsyncConnection, values: list[Any]) -> MessageParts:
    """The parts of the messages whose fields (``MESSAGE_FIELDS`` order: tuples, driver rows or
    whole-table rows) are given: one query for reactions, one each for files and quoted
    messages only when some message has them."""
    # Positions in MESSAGE_FIELDS: 0 id, 8 reply_to_id, 11 file_id, 14 recalled_at.
    reactions = await store.reactions_for(conn, [v[0] for v in values if v[14] is None])
    file_ids = [v[11] for v in values if v[11]]
    files = await store.files_for(conn, file_ids) if file_ids else {}
    reply_ids = [v[8] for v in values if v[8]]
    replies = {r.id: r for r in await store.get_messages(conn, reply_ids)} if reply_ids else {}
    return MessageParts(reactions, files, replies)


def render(values: Any, parts: MessageParts) -> dict[str, Any]:
    """The view of one message from its fields (``MESSAGE_FIELDS`` order) and the parts read
    for its set. A view is built only when it is about to be used: a catch-up encodes each one
    at once, so thousands of views are never alive together (nor promoted by the collector)."""
    return _view(
        values,
        parts.reactions.get(values[0]),
        parts.files.get(values[11]) if values[11] else None,
        parts.replies.get(values[8]) if values[8] else None,
    )


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
    uow.emit(MessageCreated(message_id=message_id, seq=seq, message=view), to_conversation(conversation_id))
    return view
