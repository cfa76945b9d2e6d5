"""Retention policies: an organization keeps the messages of its conversations for N days (its
admins choose N, at least ``MIN_DAYS``, or keep everything), and the retention worker deletes what
is older.

A message past the policy goes the way of a recall, then further: the scrub empties every copy
(services/scrub.py: search rows, favourites, DING texts, stored event payloads, pins, reactions),
then the row itself is deleted and its attachment leaves the disk; the conversation's events
older than the cut-off are deleted from the log. Read cursors below the newest deleted message
move up to it, so ``unread`` (last_seq − read_seq) counts only what can still be read; sequence
numbers are never reused.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid
from lakeside.services import audit
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.files import Files
from lakeside.services.orgaccess import access_org
from lakeside.services.scrub import scrub_messages
from lakeside.store import organizations as org_store
from lakeside.store import privacy as store

MIN_DAYS = 30
MAX_DAYS = 36_500
DAY_MS = 86_400_000
BATCH = 500


class Retention:
    def __init__(self, ctx: Context, files: Files) -> None:
        self.ctx = ctx
        self.files = files

    async def get_policy(self, user: AuthUser, organization_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            organization, _ = await access_org(conn, user.id, organization_id, admin=True)
        return {"days": organization.retention_days, "minimum_days": MIN_DAYS}

    async def do_set_policy(self, user: AuthUser, organization_id: int, days: int | None) -> dict[str, Any]:
        """Set (or with None, end) the organization's retention; admins only, audited."""
        if days is not None and not MIN_DAYS <= days <= MAX_DAYS:
            raise Invalid(
                f"Messages are kept at least {MIN_DAYS} days (or for ever).",
                code="RETENTION_TOO_SHORT" if days < MIN_DAYS else "RETENTION_TOO_LONG",
                minimum_days=MIN_DAYS,
            )
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            if organization.retention_days != days:
                await org_store.update_organization(
                    uow.conn, organization_id, {"retention_days": days, "updated_at": now_ms()}
                )
                await audit.record(
                    uow,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="org.retention",
                    target_type="organization",
                    target_id=organization_id,
                    details={"retention_days": [organization.retention_days, days]},
                )
        return {"days": days, "minimum_days": MIN_DAYS}

    async def do_apply(self, now: int | None = None) -> int:
        """Delete what every policy says is too old; how many messages. Idempotent: every node's
        worker may run it."""
        now = now_ms() if now is None else now
        async with self.ctx.db.read() as conn:
            policies = await store.retention_policies(conn)
        deleted = 0
        for organization_id, days in policies:
            deleted += await self._apply(organization_id, now - days * DAY_MS)
        return deleted

    async def _apply(self, organization_id: int, before: int) -> int:
        deleted = 0
        while True:
            async with self.ctx.transaction() as uow:
                rows = await store.expired_messages(uow.conn, organization_id, before, limit=BATCH)
                if not rows:
                    break
                ids = [row.id for row in rows]
                scrubbed = await scrub_messages(uow, ids, by=None, now=now_ms())
                await store.delete_messages(uow.conn, ids)
                newest: dict[int, int] = {}
                for row in rows:
                    newest[row.conversation_id] = max(newest.get(row.conversation_id, 0), row.seq)
                for conversation_id, seq in newest.items():
                    await store.catch_up_readers(uow.conn, conversation_id, seq)
                    await store.delete_conversation_events(uow.conn, conversation_id, before)
            for file_id in sorted(scrubbed.files):
                await self.files.do_forget(file_id)
            deleted += len(ids)
        return deleted
