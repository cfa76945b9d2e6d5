"""Catching up: the events a user missed since a stream position, and a fresh start when the
position is older than the log keeps.

Message events are stored as ids and filled in here with the message as it is now, so a message
recalled since shows as its tombstone and its content is never replayed. Events with an
``audience`` (read receipts go only to the senders of the messages read) are filtered per user.

A page is one read transaction run in one hop (``Database.run_read``): the log's bounds, the
page of events as plain rows, the messages they name and those messages' reactions — four
statements per page whatever its size (plus one each for attachments and quoted messages when
the page has any). A socket replay takes its events already encoded (``frames_since``): each
event is turned into its frame once, with orjson, straight from the rows.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.errors import Conflict
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.timeline import render_messages
from lakeside.store import messages as message_store
from lakeside.store import stream

MAX_PAGE = 1000
SOCKET_PAGE = 2000  # events per read during a socket replay (paced by the connection's queue)
MESSAGE_OPS = frozenset(("created", "edited", "recalled"))


def visible_to(event: dict[str, Any], user_id: int) -> bool:
    # A list of user ids narrows who sees the event (read receipts); an announcement's
    # "audience" is a word ("all", "departments") and narrows nothing.
    audience = event["data"].get("audience") if isinstance(event["data"], dict) else None
    return not isinstance(audience, list) or user_id in audience


async def hydrate(conn: AsyncConnection, rows: Any) -> list[dict[str, Any]]:
    """Wire events for log rows (in ``stream.EVENT_COLUMNS`` order), with message events
    carrying the current message."""
    decoded: list[dict[str, Any]] = []
    wanted: list[int] = []
    for event_id, type_, op, conversation_id, user_id, data, created_at in rows:
        payload = orjson.loads(data)
        decoded.append(
            {
                "id": event_id,
                "type": type_,
                "op": op,
                "conversation_id": conversation_id,
                "user_id": user_id,
                "data": payload,
                "created_at": created_at,
            }
        )
        if type_ == "message" and op in MESSAGE_OPS:
            wanted.append(payload["message_id"])
    if wanted:
        found = await message_store.get_messages(conn, sorted(set(wanted)))
        views = {view["id"]: view for view in await render_messages(conn, found)}
        for event in decoded:
            if event["type"] == "message" and event["op"] in MESSAGE_OPS:
                view = views.get(event["data"]["message_id"])
                if view is not None:
                    event["data"] = view
    return decoded


async def _page(
    conn: AsyncConnection, user_id: int, since: int, limit: int
) -> tuple[list[dict[str, Any]], int, bool]:
    oldest, newest = await stream.bounds(conn)
    if since < 0 or since > newest:
        since = min(max(since, 0), newest)
    if oldest and since < oldest - 1:
        raise Conflict(
            "That position is older than the server keeps; start over from a fresh sync.",
            code="RESUME_TOO_OLD",
            oldest=oldest,
        )
    # Read in id windows (see stream.events_for_user): the first spans twice a page, and each
    # window that comes back short of a page doubles, so a sparse log costs a few more reads
    # and a dense one a single read that sorts at most two pages' worth.
    rows: list[Any] = []
    low, span = since, limit * 2
    while True:
        high = min(low + span, newest)
        rows.extend(
            await stream.events_for_user(conn, user_id, since=low, upto=high, limit=limit + 1 - len(rows))
        )
        if len(rows) > limit or high >= newest:
            break
        low, span = high, span * 2
    more = len(rows) > limit
    rows = rows[:limit]
    events = [e for e in await hydrate(conn, rows) if visible_to(e, user_id)]
    # Ids commit in order, so with nothing more for this user everything up to ``newest`` has
    # been considered and the position may jump there.
    position = rows[-1][0] if more else max(newest, since)
    return events, position, more


class Sync:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def position(self) -> int:
        async def newest(conn: AsyncConnection) -> int:
            return (await stream.bounds(conn))[1]

        return await self.ctx.db.run_read(newest)

    async def events_since(
        self, user_id: int, since: int, *, limit: int = MAX_PAGE
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """(events, new position, more) for the user after ``since``.

        Raises Conflict RESUME_TOO_OLD when events after ``since`` were already pruned: the client
        must start over from a snapshot (GET /api/v1/sync without ``since``)."""
        limit = max(1, min(limit, MAX_PAGE))
        return await self.ctx.db.run_read(lambda conn: _page(conn, user_id, since, limit))

    async def frames_since(
        self, user_id: int, since: int, *, limit: int = SOCKET_PAGE
    ) -> tuple[list[tuple[int, str]], int, bool]:
        """As ``events_since``, with each event already encoded as its WebSocket frame."""

        async def unit(conn: AsyncConnection) -> tuple[list[tuple[int, str]], int, bool]:
            events, position, more = await _page(conn, user_id, since, max(1, limit))
            dumps = orjson.dumps
            return [(event["id"], dumps(event).decode()) for event in events], position, more

        return await self.ctx.db.run_read(unit)

    async def snapshot_position(self, user: AuthUser) -> int:
        """Where a fresh client starts streaming after it has loaded its state over HTTP."""
        del user
        return await self.position()

    async def conversation_ids(self, user_id: int) -> set[int]:
        return await self.ctx.db.run_read(lambda conn: stream.conversation_ids(conn, user_id))
