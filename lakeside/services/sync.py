"""Catching up: the events a user missed since a stream position, and a fresh start when the
position is older than the log keeps.

Message events are stored as ids and filled in here with the message as it is now, so a message
recalled since shows as its tombstone and its content is never replayed. Events with an
``audience`` (read receipts go only to the senders of the messages read) are filtered per user.

A page is one read transaction run in one hop (``Database.run_read``): the log's bounds, the
page of events as plain rows, the messages they name and those messages' reactions — four
statements per page whatever its size (plus one each for attachments and quoted messages when
the page has any).

The socket replay and ``GET /api/v1/sync`` take their events already encoded (``frames_since``):
each event becomes its JSON frame (bytes) at once, with orjson, straight from the rows, and its
message view is built just before and dropped just after. Nothing of a page but its rows and
the finished bytes is alive at a time, so a catch-up of a hundred thousand events does not make
the garbage collector walk the whole heap again and again (views kept for a whole page were
promoted to the oldest generation and paid for in full collections).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.errors import Conflict
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.timeline import message_parts, render
from lakeside.store import stream

MAX_PAGE = 1000
# Events per read during a socket replay (paced by the connection's queue). A page holds the
# event loop for its whole read and encoding (~8 µs an event on SQLite, where reads run on the
# loop's thread): the cost per event is the same from 500 to 4,000, so pages stay short for the
# sake of every other connection on the node.
SOCKET_PAGE = 1000
MESSAGE_OPS = frozenset(("created", "edited", "recalled"))


def visible_to(event: dict[str, Any], user_id: int) -> bool:
    # A list of user ids narrows who sees the event (read receipts); an announcement's
    # "audience" is a word ("all", "departments") and narrows nothing.
    audience = event["data"].get("audience") if isinstance(event["data"], dict) else None
    return not isinstance(audience, list) or user_id in audience


async def _messages_of(conn: AsyncConnection, payloads: list[Any], rows: Any) -> tuple[dict[int, Any], Any]:
    """The current rows of the messages that the page's message events name, by id, and the
    parts their views need."""
    wanted = {
        payload["message_id"]
        for payload, row in zip(payloads, rows, strict=True)
        if row[1] == "message" and row[2] in MESSAGE_OPS
    }
    found = await stream.messages_by_id(conn, sorted(wanted)) if wanted else []
    return {values[0]: values for values in found}, await message_parts(conn, found)


async def hydrate(conn: AsyncConnection, rows: Any) -> list[dict[str, Any]]:
    """Wire events for log rows (in ``stream.EVENT_COLUMNS`` order), with message events
    carrying the current message."""
    return [event for _, event in await _wire_events(conn, rows)]


async def encode(conn: AsyncConnection, rows: Any, user_id: int) -> list[tuple[int, bytes]]:
    """(id, frame) for the log rows the user may see, each frame the event's JSON as ``hydrate``
    would give it, encoded at once (see the module's docstring)."""
    dumps = orjson.dumps
    frames: list[tuple[int, bytes]] = []
    append = frames.append
    for message, event in await _wire_events(conn, rows):
        payload = event["data"]
        if not message and isinstance(payload, dict):
            audience = payload.get("audience")
            if isinstance(audience, list) and user_id not in audience:
                continue
        append((event["id"], dumps(event)))
    return frames


async def _wire_events(conn: AsyncConnection, rows: Any) -> Iterator[tuple[bool, dict[str, Any]]]:
    """(whether it is a message event, the wire event) for the rows, one at a time (so that an
    encoder keeps none of them alive), after reading the messages they name in one go."""
    loads = orjson.loads
    payloads = [loads(row[5]) for row in rows]
    found, parts = await _messages_of(conn, payloads, rows)
    return _each_event(rows, payloads, found, parts)


def _each_event(
    rows: Any, payloads: list[Any], found: dict[int, Any], parts: Any
) -> Iterator[tuple[bool, dict[str, Any]]]:
    for (event_id, type_, op, conversation_id, user_id, _data, created_at), payload in zip(
        rows, payloads, strict=True
    ):
        message = type_ == "message" and op in MESSAGE_OPS
        if message:
            values = found.get(payload["message_id"])
            if values is not None:
                payload = render(values, parts)
        yield (
            message,
            {
                "id": event_id,
                "type": type_,
                "op": op,
                "conversation_id": conversation_id,
                "user_id": user_id,
                "data": payload,
                "created_at": created_at,
            },
        )


async def _rows_after(
    conn: AsyncConnection, user_id: int, since: int, limit: int
) -> tuple[list[Any], int, bool]:
    """(rows, new position, more): the log rows of the user's events after ``since``, at most
    ``limit``. Raises Conflict RESUME_TOO_OLD when events after ``since`` were pruned."""
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
    # and a dense one a single read of at most two pages' worth.
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
    # Ids commit in order, so with nothing more for this user everything up to ``newest`` has
    # been considered and the position may jump there.
    position = rows[-1][0] if more else max(newest, since)
    return rows, position, more


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

        async def unit(conn: AsyncConnection) -> tuple[list[dict[str, Any]], int, bool]:
            rows, position, more = await _rows_after(conn, user_id, since, limit)
            return [e for e in await hydrate(conn, rows) if visible_to(e, user_id)], position, more

        return await self.ctx.db.run_read(unit)

    async def frames_since(
        self, user_id: int, since: int, *, limit: int | None = None
    ) -> tuple[list[tuple[int, bytes]], int, bool]:
        """As ``events_since``, with each event already encoded: (id, its JSON frame as bytes).
        Pages of ``SOCKET_PAGE`` events unless ``limit`` says otherwise."""
        size = max(1, SOCKET_PAGE if limit is None else limit)

        async def unit(conn: AsyncConnection) -> tuple[list[tuple[int, bytes]], int, bool]:
            rows, position, more = await _rows_after(conn, user_id, since, size)
            return await encode(conn, rows, user_id), position, more

        return await self.ctx.db.run_read(unit)

    async def snapshot_position(self, user: AuthUser) -> int:
        """Where a fresh client starts streaming after it has loaded its state over HTTP."""
        del user
        return await self.position()

    async def conversation_ids(self, user_id: int) -> set[int]:
        return await self.ctx.db.run_read(lambda conn: stream.conversation_ids(conn, user_id))
