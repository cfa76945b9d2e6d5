"""Presence and typing: who sees whose status, the last-seen time kept for offline users, and the
ephemeral channel the nodes share them on.

The live status itself (online / away / offline) is held by the gateway hubs, which share it,
and typing, over the bus's ephemeral channel (``publish``, ``subscribe``): never stored, never
replayed. This service answers the questions that need the database.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson

from lakeside.bus import RESYNC
from lakeside.domain.tokens import now_ms
from lakeside.services.context import Context
from lakeside.store import presence as store

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def publish(self, news: dict[str, Any]) -> None:
        """Tell every node (``{"kind": "typing" | "presence", ...}``); at most once, as ephemeral
        news is."""
        await self.ctx.bus.publish(self.ctx.ephemeral_channel, orjson.dumps(news))

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        """Every node's ephemeral news from now on. Subscribed when this returns."""
        raw = await self.ctx.bus.subscribe(self.ctx.ephemeral_channel)
        return _news(raw)

    async def audience(self, user_id: int) -> list[int]:
        # Every socket that opens or closes asks this: the store's fast read path (on SQLite one
        # synchronous read on the loop's thread instead of hand-offs to aiosqlite's thread).
        return await self.ctx.db.run_read(lambda conn: store.presence_audience(conn, user_id))

    async def may_see(self, viewer_id: int, user_ids: list[int]) -> set[int]:
        """The subset of ``user_ids`` whose presence ``viewer_id`` may see (and themself)."""
        visible = set(await self.ctx.db.run_read(lambda conn: store.presence_audience(conn, viewer_id)))
        return {u for u in user_ids if u in visible or u == viewer_id}

    async def last_seen(self, user_ids: list[int]) -> dict[int, int | None]:
        async with self.ctx.db.read() as conn:
            return await store.last_seen(conn, user_ids)

    async def do_mark_seen(self, user_id: int) -> None:
        """Record when a user's last connection on this node closed."""
        try:
            async with self.ctx.transaction() as uow:
                await store.mark_seen(uow.conn, user_id, now_ms())
        except Exception:  # best effort: a stale last-seen is not worth failing a disconnect
            log.warning("could not record last seen for user %s", user_id, exc_info=True)


async def _news(raw: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    async for message in raw:
        if message == RESYNC:  # nothing to catch up: what was lost was only ephemeral
            continue
        try:
            news = orjson.loads(message)
        except orjson.JSONDecodeError:
            log.warning("presence: unreadable ephemeral message dropped")
            continue
        if isinstance(news, dict):
            yield news
