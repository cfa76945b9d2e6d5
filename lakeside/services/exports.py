"""Data exports (PIPL's right to a copy): a user asks for an archive of their own data, an
organization's owner or admin for the organization's; the export worker builds it off the
request path (services/export_archive.py says what is inside), the requester's devices hear
``export.updated``, and the archive can be downloaded until it expires.

Rules, each enforced here:

- One export in progress (queued or running) per user for their own data, and per
  organization: a second request answers 409 ``EXPORT_IN_PROGRESS`` naming the job. Requests are
  serialised per requester (their user row on PostgreSQL; SQLite has one writer), so two at once
  make one job.
- At most ``export_daily_limit`` requests (3) in 24 hours per user, and per organization:
  429 ``RATE_LIMITED`` with ``retry_after``.
- A job is claimed by one worker (a conditional UPDATE, queued → running, that one claimant
  wins), so several nodes never build the same archive. A build is written to
  ``data_dir/exports/<requester>/<job>.zip.part`` and renamed when complete.
- A ready archive can be downloaded for ``export_ttl_days`` (7); then housekeeping deletes the
  file and the job says ``expired``. A job left running for an hour (its node died) fails.
- An organization's export is audited (``org.export``); any of its owner and admins may list
  and download it. Deleting an account deletes its exports, the files with them.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Row

from lakeside.domain.events import to_users
from lakeside.domain.events.messaging import ExportUpdated
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, NotFound, RateLimited, Unauthorized
from lakeside.services import audit
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.export_archive import ArchiveBuilder, ArchiveTooLarge, ArchiveWriter
from lakeside.services.files import Download
from lakeside.services.orgaccess import access_org
from lakeside.store import exports as store

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
STALE_MS = 3_600_000  # a build still running after an hour has lost its node
KEEP_ROWS_MS = 30 * DAY_MS  # failed and expired jobs stay listed this long
LISTED = 20


def _download_url(row: Row[Any]) -> str | None:
    if row.status != "ready":
        return None
    if row.organization_id is None:
        return f"/api/v1/me/exports/{row.id}/download"
    return f"/api/v1/orgs/{row.organization_id}/exports/{row.id}/download"


def job_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "status": row.status,
        "size": row.size,
        "error": row.error,
        "created_at": row.created_at,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "expires_at": row.expires_at,
        "download_url": _download_url(row),
    }


class Exports:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.queued = asyncio.Event()  # wakes this node's worker when a request is made here

    @property
    def directory(self) -> Path:
        return self.ctx.settings.data_dir / "exports"

    def _path(self, user_id: int, job_id: int) -> Path:
        return self.directory / str(user_id) / f"{job_id}.zip"

    # -- requests ----------------------------------------------------------------------------

    async def do_request(self, user: AuthUser, organization_id: int | None = None) -> dict[str, Any]:
        """Queue an export of the caller's data, or (owner and admins) of an organization's."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            if organization_id is not None:
                await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            await store.lock_requester(uow.conn, user.id)
            requester = await store.user_row(uow.conn, user.id)
            if requester is None or requester.deleted_at is not None:
                # Authenticated just before the account was deleted: nothing to export, and an
                # archive built now would outlive the account's (services/account_deletion.py).
                raise Unauthorized("Log in first.", code="UNAUTHENTICATED")
            running = await store.in_progress(uow.conn, user.id, organization_id)
            if running is not None:
                raise Conflict(
                    "An export is already being prepared.", code="EXPORT_IN_PROGRESS", export_id=running.id
                )
            since = now - DAY_MS
            if await store.count_since(uow.conn, user.id, organization_id, since) >= self._daily_limit:
                oldest = await store.oldest_since(uow.conn, user.id, organization_id, since)
                raise RateLimited(
                    f"At most {self._daily_limit} exports a day.",
                    retry_after=max(1, (oldest + DAY_MS - now) // 1000),
                    code="RATE_LIMITED",
                )
            job_id = await store.insert_job(uow.conn, user.id, organization_id, now)
            if organization_id is not None:
                await audit.record(
                    uow,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="org.export",
                    target_type="export",
                    target_id=job_id,
                )
            row = await store.get_job(uow.conn, job_id)
        self.queued.set()
        assert row is not None
        return job_view(row)

    @property
    def _daily_limit(self) -> int:
        return self.ctx.settings.export_daily_limit

    async def list_jobs(self, user: AuthUser, organization_id: int | None = None) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            if organization_id is not None:
                await access_org(conn, user.id, organization_id, admin=True)
            rows = await store.list_jobs(conn, user.id, organization_id, LISTED)
        return [job_view(row) for row in rows]

    async def get_download(self, user: AuthUser, job_id: int, organization_id: int | None = None) -> Download:
        async with self.ctx.db.read() as conn:
            if organization_id is not None:
                await access_org(conn, user.id, organization_id, admin=True)
            row = await store.get_job(conn, job_id)
        mine = row is not None and (
            row.organization_id == organization_id
            if organization_id is not None
            else row.organization_id is None and row.user_id == user.id
        )
        if row is None or not mine:
            raise NotFound("No such export.", code="EXPORT_NOT_FOUND")
        if row.status != "ready":
            raise Conflict("The export is not ready.", code="EXPORT_NOT_READY", status=row.status)
        path = self._path(row.user_id, row.id)
        if not await asyncio.to_thread(path.is_file):
            raise NotFound("No such export.", code="EXPORT_NOT_FOUND")
        stamp = datetime.fromtimestamp(row.created_at / 1000, UTC).strftime("%Y%m%d")
        scope = f"org{row.organization_id}" if row.organization_id else f"user{row.user_id}"
        return Download(
            path=path,
            content_type="application/zip",
            filename=f"lakeside-export-{scope}-{stamp}-{row.id}.zip",
            inline=False,
            etag=f'"export-{row.id}-{row.size}"',
        )

    # -- the worker's side -------------------------------------------------------------------

    async def do_build_next(self) -> int | None:
        """Claim the oldest queued job and build it; its id, or None when nothing was queued."""
        while True:
            async with self.ctx.db.read() as conn:
                job_id = await store.next_queued(conn)
            if job_id is None:
                return None
            if await self.do_build(job_id):
                return job_id
            # another node took it between the look and the claim: look again

    async def do_build(self, job_id: int) -> bool:
        """Claim the job and build it; False when it was not queued (another worker has it)."""
        async with self.ctx.transaction() as uow:
            if not await store.claim(uow.conn, job_id, now_ms()):
                return False
            row = await store.get_job(uow.conn, job_id)
            assert row is not None
            self._notify(uow, row)
        await self._build(row)
        return True

    async def _build(self, row: Row[Any]) -> None:
        final = self._path(row.user_id, row.id)
        part = final.with_name(final.name + ".part")
        await asyncio.to_thread(part.parent.mkdir, parents=True, exist_ok=True)
        when = datetime.fromtimestamp(now_ms() / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        error = ""
        try:
            writer = await asyncio.to_thread(ArchiveWriter, part, self.ctx.settings.export_max_bytes)
            try:
                builder = ArchiveBuilder(self.ctx, writer)
                if row.organization_id is None:
                    await builder.user(row.user_id, when)
                else:
                    await builder.organization(row.organization_id, when)
            finally:
                await asyncio.to_thread(writer.close)
            size = (await asyncio.to_thread(part.stat)).st_size
            await asyncio.to_thread(part.replace, final)
        except ArchiveTooLarge:
            error = "EXPORT_TOO_LARGE"
        except Exception:
            log.exception("export %s failed", row.id)
            error = "EXPORT_FAILED"
        now = now_ms()
        if error:
            await asyncio.to_thread(part.unlink, missing_ok=True)
            values: dict[str, Any] = {"status": "failed", "error": error, "finished_at": now}
        else:
            expires = now + self.ctx.settings.export_ttl_days * DAY_MS
            values = {"status": "ready", "size": size, "finished_at": now, "expires_at": expires}
        async with self.ctx.transaction() as uow:
            finished = await store.finish(uow.conn, row.id, values)
            done = await store.get_job(uow.conn, row.id)
            if finished and done is not None:
                self._notify(uow, done)
        if not finished:  # the account was deleted while its archive was being built
            await asyncio.to_thread(final.unlink, missing_ok=True)

    def _notify(self, uow: UnitOfWork, row: Row[Any]) -> None:
        # The requester's own devices only: an organization's other admins see it when they list.
        uow.emit(ExportUpdated(**job_view(row)), to_users(row.user_id))

    async def do_expire(self, now: int | None = None) -> int:
        """Housekeeping: delete archives past their time (the job says ``expired``), fail builds
        whose node died, forget old finished jobs; how many archives were deleted."""
        now = now_ms() if now is None else now
        async with self.ctx.db.read() as conn:
            expired = await store.expired_ready(conn, now)
            stale = await store.stale_running(conn, now - STALE_MS)
        for row in expired:
            async with self.ctx.transaction() as uow:
                changed = await store.set_status(uow.conn, row.id, "ready", {"status": "expired"})
            if changed:
                await asyncio.to_thread(self._path(row.user_id, row.id).unlink, missing_ok=True)
        for row in stale:
            async with self.ctx.transaction() as uow:
                values = {"status": "failed", "error": "EXPORT_INTERRUPTED", "finished_at": now}
                if await store.set_status(uow.conn, row.id, "running", values):
                    done = await store.get_job(uow.conn, row.id)
                    if done is not None:
                        self._notify(uow, done)
            path = self._path(row.user_id, row.id)
            await asyncio.to_thread(path.with_name(path.name + ".part").unlink, missing_ok=True)
        async with self.ctx.transaction() as uow:
            await store.delete_old_jobs(uow.conn, now - KEEP_ROWS_MS)
        return len(expired)

    async def forget_user(self, user_id: int) -> None:
        """Delete every archive the user asked for (their account was deleted; the rows went
        with it). A build in flight finds its row gone and deletes its own file."""
        await asyncio.to_thread(shutil.rmtree, self.directory / str(user_id), ignore_errors=True)
