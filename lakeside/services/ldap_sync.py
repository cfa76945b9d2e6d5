"""The directory sync: an organization's LDAP / Active Directory people and organizational units
become its members and departments.

One run reads the whole directory (people the user filter selects, and every organizational unit
below the base DN) outside any transaction, then applies the difference in one transaction that
holds the organization's row, through the same services as an admin's hands (``Directory``,
``Organizations``), so events, the all-staff and department groups and the audit log stay right:

* each organizational unit is a department, below the department of its nearest enclosing unit;
  a renamed or moved unit renames or moves its department (linked by the unit's stable id); a
  department of the same name at the same place, made by hand before the first sync, is adopted;
  a unit that is gone takes its department with it when it is empty, else the department stays
  (no longer linked) and the result says so;
* each person is a member, seated in the department of their nearest enclosing unit; a new entry
  gets a new account (its username from the mapped attribute; a username taken by another account
  is an error for that entry, never a link to that account), linked by the entry's stable id; a
  moved or renamed entry keeps its account and is moved; a disabled entry (userAccountControl bit 2)
  or one that left the filter's results is deactivated in the organization and its account is
  deactivated (its sessions end); one that comes back is reactivated;
* members that the directory did not create are never touched, nor departments it did not
  create or adopt, nor seats in such departments.

A run that finds nobody while the organization has active directory members changes nothing and
reports EMPTY_RESULT: a mistyped base DN or filter must not deactivate the company. A second run
without changes in the directory changes nothing. Runs of one organization never overlap (a
claim in the database, ``store.ldap.claim``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.engine import Row

from lakeside.domain import ldap as dl
from lakeside.domain.tokens import now_ms
from lakeside.errors import LakesideError
from lakeside.services import audit
from lakeside.services.context import Context
from lakeside.services.directory import Directory
from lakeside.services.ldap_apply import Run, SyncResult
from lakeside.services.ldap_client import Client, Connection, DirectoryError, Snapshot
from lakeside.services.organizations import Organizations
from lakeside.store import ldap as store
from lakeside.store import organizations as org_store

log = logging.getLogger(__name__)

CLAIM_MS = 30 * 60_000


def connection_of(row: Row[Any]) -> Connection:
    return Connection(
        url=row.url,
        start_tls=row.start_tls,
        tls_ca_cert=row.tls_ca_cert,
        bind_dn=row.bind_dn,
        bind_password=row.bind_password,
        base_dn=row.base_dn,
        user_filter=row.user_filter,
        mapping=dl.Mapping(
            id=row.attr_id,
            username=row.attr_username,
            name=row.attr_name,
            email=row.attr_email,
            phone=row.attr_phone,
            title=row.attr_title,
            employee_no=row.attr_employee_no,
        ),
    )


class LdapSync:
    def __init__(
        self,
        ctx: Context,
        organizations: Organizations,
        directory: Directory,
        client: Client,
        forget_user: Callable[[int], None],
    ) -> None:
        self.ctx = ctx
        self.organizations = organizations
        self.directory = directory
        self.client = client
        self.forget_user = forget_user  # drops an account's cached sessions (Accounts.sessions)

    # -- running --------------------------------------------------------------------------------

    async def run_due(self) -> list[int]:
        """Run every scheduled sync that is due now (the worker's round); the organizations run."""
        now = now_ms()
        async with self.ctx.db.read() as conn:
            candidates = await store.due(conn, now)
        done = []
        for organization_id in candidates:
            if await self.claim(organization_id):
                await self.run_claimed(organization_id, actor_id=None)
                done.append(organization_id)
        return done

    async def claim(self, organization_id: int) -> bool:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            return await store.claim(uow.conn, organization_id, now, now + CLAIM_MS)

    async def release(self, organization_id: int) -> None:
        async with self.ctx.transaction() as uow:
            await store.update_directory(uow.conn, organization_id, {"sync_claimed_until": None})

    async def run_claimed(self, organization_id: int, *, actor_id: int | None) -> dict[str, Any]:
        """Sync a claimed directory, record the result and release the claim; the result."""
        result = SyncResult(started_at=now_ms())
        try:
            async with self.ctx.db.read() as conn:
                row = await store.get_directory(conn, organization_id)
            if row is None:
                return result.view()
            try:
                snapshot = await self.client.read_directory(connection_of(row))
            except DirectoryError as exc:
                result.ok = False
                result.error = {"code": exc.code, "message": exc.message}
            else:
                await self._apply(organization_id, snapshot, result, actor_id)
        except Exception as exc:
            log.exception("LDAP sync of organization %s failed", organization_id)
            result = SyncResult(started_at=result.started_at, ok=False)
            message = (
                exc.message if isinstance(exc, LakesideError) else "An unexpected error stopped the sync."
            )
            result.error = {"code": "SYNC_FAILED", "message": message}
        result.finished_at = now_ms()
        await self._finish(organization_id, result, actor_id)
        return result.view()

    async def _finish(self, organization_id: int, result: SyncResult, actor_id: int | None) -> None:
        async with self.ctx.transaction() as uow:
            row = await store.get_directory(uow.conn, organization_id)
            if row is None:
                return
            interval = row.sync_interval_minutes
            await store.update_directory(
                uow.conn,
                organization_id,
                {
                    "last_sync_at": result.finished_at,
                    "last_sync_result": orjson.dumps(result.view()).decode(),
                    "next_sync_at": result.finished_at + interval * 60_000 if interval > 0 else None,
                    "sync_claimed_until": None,
                },
            )
            counts = {
                k: v for k, v in result.view().items() if isinstance(v, int) and not isinstance(v, bool)
            }
            counts.pop("started_at", None)
            counts.pop("finished_at", None)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=actor_id,
                action="ldap.sync",
                target_type="organization",
                target_id=organization_id,
                details={
                    "ok": result.ok,
                    **({"error": result.error["code"]} if result.error else {}),
                    **counts,
                },
            )

    # -- applying a snapshot ----------------------------------------------------------------------

    async def _apply(
        self, organization_id: int, snapshot: Snapshot, result: SyncResult, actor_id: int | None
    ) -> None:
        result.seen = len(snapshot.people)
        for dn in snapshot.without_id:
            result.problem("NO_STABLE_ID", "The entry has no value of the stable id attribute.", dn)
        evict: list[int] = []
        async with self.ctx.transaction() as uow:
            organization = await org_store.get_organization(uow.conn, organization_id, for_update=True)
            if organization is None:
                return
            by = actor_id or organization.owner_id
            entries = await store.entries_of(uow.conn, organization_id)
            if not snapshot.people and any(entry.state == "active" for entry in entries.values()):
                result.ok = False
                result.error = {
                    "code": "EMPTY_RESULT",
                    "message": "The directory returned nobody; nothing was changed (check the base DN and "
                    "the user filter).",
                }
                return
            run = Run(self.organizations, self.directory, uow, organization, by, actor_id, result)
            units = await run.units(snapshot.units)
            await run.people(snapshot.people, entries, units)
            await run.gone_units(snapshot.units)
            evict = run.evict
        for user_id in evict:  # after the commit: evicted earlier, a concurrent look-up could re-cache it
            self.forget_user(user_id)
