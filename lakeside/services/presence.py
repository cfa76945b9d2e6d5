"""Presence: who sees whose status, and the last-seen time kept for offline users.

The live status itself (online / away / offline) is held by the gateway hubs, which share it
over the bus; this service answers the questions that need the database.
"""

from __future__ import annotations

import logging

from lakeside.domain.tokens import now_ms
from lakeside.services.context import Context
from lakeside.store import presence as store

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

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
