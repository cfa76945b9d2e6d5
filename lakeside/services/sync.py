"""Catching up: the events a user missed since a stream position, and a fresh start when the
position is older than the log keeps.

Message events are stored as ids and filled in here with the message as it is now, so a message
recalled since shows as its tombstone and its content is never replayed. Events with an
``audience`` (read receipts go only to the senders of the messages read) are filtered per user.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.errors import Conflict
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.timeline import render_messages
from lakeside.store import messages as message_store
from lakeside.store import stream

MAX_PAGE = 1000


def visible_to(event: dict[str, Any], user_id: int) -> bool:
    audience = event["data"].get("audience") if isinstance(event["data"], dict) else None
    return audience is None or user_id in audience


async def hydrate(conn: AsyncConnection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    """Wire events for log rows, with message events carrying the current message."""
    decoded = [
        {
            "id": row.id,
            "type": row.type,
            "op": row.op,
            "conversation_id": row.conversation_id,
            "user_id": row.user_id,
            "data": orjson.loads(row.data),
            "created_at": row.created_at,
        }
        for row in rows
    ]
    wanted = [
        e["data"]["message_id"]
        for e in decoded
        if e["type"] == "message" and e["op"] in ("created", "edited", "recalled")
    ]
    if wanted:
        found = await message_store.get_messages(conn, sorted(set(wanted)))
        views = {view["id"]: view for view in await render_messages(conn, found)}
        for event in decoded:
            if event["type"] == "message" and event["op"] in ("created", "edited", "recalled"):
                view = views.get(event["data"]["message_id"])
                if view is not None:
                    event["data"] = view
    return decoded


class Sync:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def position(self) -> int:
        async with self.ctx.db.read() as conn:
            return (await stream.bounds(conn))[1]

    async def events_since(
        self, user_id: int, since: int, *, limit: int = MAX_PAGE
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """(events, new position, more) for the user after ``since``.

        Raises Conflict RESUME_TOO_OLD when events after ``since`` were already pruned: the client
        must start over from a snapshot (GET /api/v1/sync without ``since``)."""
        limit = max(1, min(limit, MAX_PAGE))
        async with self.ctx.db.read() as conn:
            oldest, newest = await stream.bounds(conn)
            if since < 0 or since > newest:
                since = min(max(since, 0), newest)
            if oldest and since < oldest - 1:
                raise Conflict(
                    "That position is older than the server keeps; start over from a fresh sync.",
                    code="RESUME_TOO_OLD",
                    oldest=oldest,
                )
            rows = await stream.events_for_user(conn, user_id, since=since, limit=limit + 1)
            more = len(rows) > limit
            rows = rows[:limit]
            events = [e for e in await hydrate(conn, rows) if visible_to(e, user_id)]
        # Ids commit in order, so with nothing more for this user everything up to ``newest``
        # has been considered and the position may jump there.
        position = rows[-1].id if more else max(newest, since)
        return events, position, more

    async def snapshot_position(self, user: AuthUser) -> int:
        """Where a fresh client starts streaming after it has loaded its state over HTTP."""
        del user
        return await self.position()

    async def conversation_ids(self, user_id: int) -> set[int]:
        async with self.ctx.db.read() as conn:
            return await stream.conversation_ids(conn, user_id)
