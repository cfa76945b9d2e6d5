"""Catching up: the events a user missed since a stream position, and a fresh start when the
position is older than the log keeps.

The events and their encoding are services.events': message events are filled in with the
message as it is now (a message recalled since shows as its tombstone and its content is never
replayed), and an event's audience decides who among a conversation's members sees it (read
receipts go only to the senders of the messages read) — the same rule and the same frames as
live delivery.

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

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.bus import RESYNC
from lakeside.errors import Conflict
from lakeside.services import events as delivery
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.store import stream

log = logging.getLogger(__name__)

MAX_PAGE = 1000
# Events per read during a socket replay (paced by the connection's queue). A page holds the
# event loop for its whole read and encoding (~8 µs an event on SQLite, where reads run on the
# loop's thread): the cost per event is the same from 500 to 4,000, so pages stay short for the
# sake of every other connection on the node.
SOCKET_PAGE = 1000
FILL_PAGE = 1000  # events per read when a node fills a hole the bus left (``routed_after``)


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


async def _routed(raw: AsyncIterator[bytes]) -> AsyncIterator[list[delivery.Routed] | None]:
    async for message in raw:
        if message == RESYNC:
            yield None
            continue
        try:
            events = delivery.from_bus(message)
        except Exception:
            log.exception("sync: unreadable bus message; the log is read instead")
            yield None
            continue
        yield events


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

        frames, position, more = await self.frames_since(user_id, since, limit=limit)
        return [orjson.loads(frame) for _, frame in frames], position, more

    async def frames_since(
        self, user_id: int, since: int, *, limit: int | None = None
    ) -> tuple[list[tuple[int, bytes]], int, bool]:
        """As ``events_since``, with each event already encoded: (id, its JSON frame as bytes).
        Pages of ``SOCKET_PAGE`` events unless ``limit`` says otherwise."""
        size = max(1, SOCKET_PAGE if limit is None else limit)

        async def unit(conn: AsyncConnection) -> tuple[list[tuple[int, bytes]], int, bool]:
            rows, position, more = await _rows_after(conn, user_id, since, size)
            return await delivery.frames_for(conn, rows, user_id), position, more

        return await self.ctx.db.run_read(unit)

    async def snapshot_position(self, user: AuthUser) -> int:
        """Where a fresh client starts streaming after it has loaded its state over HTTP."""
        del user
        return await self.position()

    async def routed_after(self, after: int) -> tuple[list[delivery.Routed], int, bool]:
        """(events, newest, more): every event after ``after`` (at most ``FILL_PAGE``), for every
        audience, read back from the log: how a node fills a hole the bus left. ``newest`` is the
        log's newest id when the page was read; ids up to it that are not in the log never will
        be (they were never committed)."""

        async def page(conn: AsyncConnection) -> tuple[list[delivery.Routed], int, bool]:
            _, newest = await stream.bounds(conn)
            rows = await stream.events_between(conn, after, newest, limit=FILL_PAGE)
            return await delivery.from_log(conn, rows), newest, len(rows) == FILL_PAGE

        return await self.ctx.db.run_read(page)

    async def subscribe(self) -> AsyncIterator[list[delivery.Routed] | None]:
        """Committed events as the bus brings them, one list per bus message, from now on; None
        when the bus may have lost some (it reconnected, or brought what cannot be read): the
        log holds the truth, read it (``routed_after``). Subscribed when this returns."""
        raw = await self.ctx.bus.subscribe(self.ctx.events_channel)
        return _routed(raw)

    async def memberships(self, user_id: int) -> tuple[set[int], int]:
        """(the conversations whose events stream to the user, the log position they are
        current as of), read in one snapshot."""

        async def read(conn: AsyncConnection) -> tuple[set[int], int]:
            _, newest = await stream.bounds(conn)
            return await stream.conversation_ids(conn, user_id), newest

        return await self.ctx.db.run_read(read)
