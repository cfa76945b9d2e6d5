"""Housekeeping: prune the event log past its retention (``event_retention_days``) and drop
expired sessions, expired proofs of addresses, slash-command invocations no bot may answer any
more and single sign-ons abandoned at the provider, in one transaction, and compact the search
index; the housekeeping worker calls it every hour on every node.

Pruning keeps the log (and so resume) bounded; a client whose position falls off the end is
told RESUME_TOO_OLD and starts fresh. The deletes are idempotent, so nodes need not agree on
who prunes.
"""

from __future__ import annotations

from lakeside.domain.tokens import now_ms
from lakeside.services.context import Context
from lakeside.store import bot_api as bot_store
from lakeside.store import search as search_store
from lakeside.store import sso as sso_store
from lakeside.store import stream
from lakeside.store import users as user_store
from lakeside.store import verification as verification_store

DAY_MS = 86_400_000


class Housekeeping:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def do_prune(self) -> tuple[int, int]:
        """Prune once; returns (events pruned, sessions dropped)."""
        now = now_ms()
        async with self.ctx.db.transaction() as conn:
            events = await stream.prune_before(conn, now - self.ctx.settings.event_retention_days * DAY_MS)
            sessions = await user_store.delete_expired_sessions(conn, now)
            await verification_store.delete_expired(conn, now)
            # Slash-command invocations past the time a bot may answer them (a day, to be generous).
            await bot_store.forget_invocations(conn, now - DAY_MS)
            await sso_store.delete_expired_logins(conn, now)
        return events, sessions

    async def do_compact_search(self) -> None:
        """Merge the full-text index so that the tokens of recalled and deleted messages leave it
        (SQLite's FTS5 keeps them in its segments until a merge; services/scrub.py)."""
        async with self.ctx.db.transaction() as conn:
            await search_store.compact_index(conn)
