"""An organization's LDAP / Active Directory connection: set up and read by the organization's
owner and admins, tested, synced on demand, and used to check the passwords of the accounts it
created (log-in by bind).

The service account's password is stored to be used and never returned: a read says only whether
one is set, and a change that leaves it out keeps it. Changing the URL or the service account's DN
without giving the password again is refused, so that a stored password is never sent to a server
it was not typed for. Log-in by bind finds the account's entry by its stable id with the service
account (escaped into the filter), then binds as that entry's DN with the typed password; an
entry that is disabled (userAccountControl bit 2) does not log in even with the right password.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.engine import Row

from lakeside.domain import ldap as dl
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from lakeside.services import audit
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.ldap_client import Client, DirectoryError, check_url
from lakeside.services.ldap_sync import LdapSync, connection_of
from lakeside.services.orgaccess import access_org
from lakeside.store import ldap as store

MAX_INTERVAL_MINUTES = 7 * 24 * 60
DEFAULTS: dict[str, Any] = {
    "url": "",
    "start_tls": False,
    "tls_ca_cert": None,
    "bind_dn": "",
    "base_dn": "",
    "user_filter": "(objectClass=inetOrgPerson)",
    "attr_id": "entryUUID",
    "attr_username": "uid",
    "attr_name": "cn",
    "attr_email": "mail",
    "attr_phone": "mobile",
    "attr_title": "title",
    "attr_employee_no": "employeeNumber",
    "sync_interval_minutes": 60,
    "login_enabled": False,
}
FIELDS = (*DEFAULTS, "bind_password")


def directory_view(row: Row[Any] | None) -> dict[str, Any]:
    if row is None:
        return {
            **DEFAULTS,
            "configured": False,
            "bind_password_set": False,
            "tls_ca_cert_set": False,
            "last_sync_at": None,
            "last_sync": None,
            "next_sync_at": None,
            "syncing": False,
            "linked_members": {},
        }
    view = {name: getattr(row, name) for name in DEFAULTS}
    view["tls_ca_cert"] = row.tls_ca_cert
    return {
        **view,
        "configured": True,
        "bind_password_set": bool(row.bind_password),
        "tls_ca_cert_set": bool(row.tls_ca_cert),
        "last_sync_at": row.last_sync_at,
        "last_sync": orjson.loads(row.last_sync_result) if row.last_sync_result else None,
        "next_sync_at": row.next_sync_at,
        "syncing": row.sync_claimed_until is not None and row.sync_claimed_until > now_ms(),
    }


@dataclass(frozen=True)
class LoginCheck:
    """How an account's password is checked: ``None`` from ``login_of`` means lakeside's hash."""

    organization_id: int
    stable_id: str
    dn: str
    directory: Row[Any]


class LdapDirectories:
    def __init__(self, ctx: Context, sync: LdapSync, client: Client) -> None:
        self.ctx = ctx
        self.sync = sync
        self.client = client

    # -- configuration --------------------------------------------------------------------------

    async def get(self, user: AuthUser, organization_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            row = await store.get_directory(conn, organization_id)
            view = directory_view(row)
            view["linked_members"] = await store.count_entries(conn, organization_id)
        return view

    @staticmethod
    def _check(changes: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "url" in changes:
            values["url"] = check_url(changes["url"])
        for name, label in (("bind_dn", "The service account's DN"), ("base_dn", "The base DN")):
            if name in changes:
                bind = name == "bind_dn"
                values[name] = dl.check_dn(changes[name], label, optional=bind, bind_name=bind)
        if "user_filter" in changes:
            values["user_filter"] = dl.check_filter(changes["user_filter"])
        for name in ("attr_id", "attr_username", "attr_name"):
            if name in changes:
                values[name] = dl.check_attribute(changes[name], name)
        for name in ("attr_email", "attr_phone", "attr_title", "attr_employee_no"):
            if name in changes:
                values[name] = dl.check_attribute(changes[name] or "", name, optional=True)
        if "sync_interval_minutes" in changes:
            minutes = changes["sync_interval_minutes"]
            if not 0 <= minutes <= MAX_INTERVAL_MINUTES:
                raise Invalid(
                    f"sync_interval_minutes is 0 (on demand only) to {MAX_INTERVAL_MINUTES}.",
                    code="INVALID_INTERVAL",
                )
            if 0 < minutes < 5:
                raise Invalid("A scheduled sync runs at most every 5 minutes.", code="INVALID_INTERVAL")
            values["sync_interval_minutes"] = minutes
        for flag in ("start_tls", "login_enabled"):
            if flag in changes:
                values[flag] = bool(changes[flag])
        if "tls_ca_cert" in changes:
            pem = (changes["tls_ca_cert"] or "").strip()
            if pem and "-----BEGIN CERTIFICATE-----" not in pem:
                raise Invalid("tls_ca_cert holds PEM certificates.", code="INVALID_CA_CERT")
            values["tls_ca_cert"] = pem or None
        if "bind_password" in changes and changes["bind_password"] is not None:
            values["bind_password"] = changes["bind_password"]
        return values

    async def do_put(self, user: AuthUser, organization_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Create or change the connection (fields left out keep their value, or the default)."""
        values = self._check(changes)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            row = await store.get_directory(uow.conn, organization_id)
            current = directory_view(row)
            merged = {**{k: current[k] for k in DEFAULTS}, **values}
            if not merged["url"] or not merged["base_dn"]:
                raise Invalid("A directory needs its URL and base DN.", code="LDAP_INCOMPLETE")
            moved = row is not None and (merged["url"], merged["bind_dn"]) != (row.url, row.bind_dn)
            if moved and row is not None and row.bind_password and "bind_password" not in values:
                raise Invalid(
                    "Type the service account's password again when changing the URL or the account.",
                    code="LDAP_PASSWORD_REQUIRED",
                )
            if merged["bind_dn"] and not (
                values.get("bind_password") or (row is not None and row.bind_password)
            ):
                raise Invalid("The service account needs its password.", code="LDAP_PASSWORD_REQUIRED")
            stored = {k: v for k, v in merged.items() if k in FIELDS}
            if "bind_password" in values:
                stored["bind_password"] = values["bind_password"]
            interval = merged["sync_interval_minutes"]
            if row is None:
                await store.insert_directory(
                    uow.conn,
                    {
                        **stored,
                        "organization_id": organization_id,
                        # The first scheduled sync waits one interval: time to test and "Sync now".
                        "next_sync_at": now + interval * 60_000 if interval > 0 else None,
                        "created_at": now,
                        "updated_at": now,
                        "updated_by": user.id,
                    },
                )
            else:
                schedule = {}
                if interval != row.sync_interval_minutes:
                    base = row.last_sync_at or now
                    schedule["next_sync_at"] = max(now, base + interval * 60_000) if interval > 0 else None
                await store.update_directory(
                    uow.conn,
                    organization_id,
                    {**stored, **schedule, "updated_at": now, "updated_by": user.id},
                )
            shown = {k: v for k, v in values.items() if k not in ("bind_password", "tls_ca_cert")}
            if "bind_password" in values:
                shown["bind_password"] = "(changed)"
            if "tls_ca_cert" in values:
                shown["tls_ca_cert"] = "(changed)"
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="ldap.update",
                target_type="organization",
                target_id=organization_id,
                details=shown,
            )
        return await self.get(user, organization_id)

    async def do_delete(self, user: AuthUser, organization_id: int) -> None:
        """Forget the connection. The links stay: set it up again and the next sync carries on
        with the same people (and their accounts log in by bind again once it is on)."""
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            if not await store.delete_directory(uow.conn, organization_id):
                raise NotFound("No directory is set up.", code="LDAP_NOT_CONFIGURED")
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="ldap.delete",
                target_type="organization",
                target_id=organization_id,
            )

    async def _configured(self, user: AuthUser, organization_id: int) -> Row[Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            row = await store.get_directory(conn, organization_id)
        if row is None:
            raise NotFound("No directory is set up.", code="LDAP_NOT_CONFIGURED")
        return row

    # -- test and sync --------------------------------------------------------------------------

    async def do_test(self, user: AuthUser, organization_id: int, username: str | None) -> dict[str, Any]:
        """Connect, bind as the service account and search: how many people the filter finds
        (up to 1000) and, given a username, what that person's entry maps to."""
        row = await self._configured(user, organization_id)
        config = connection_of(row)
        mapping = config.mapping
        try:
            if username:
                query = dl.and_filter(config.user_filter, mapping.username, dl.escape(username.strip()))
                people = await self.client.find_people(config, query, limit=2)
            else:
                people = await self.client.find_people(config, config.user_filter, limit=1000)
        except DirectoryError as exc:
            return {
                "ok": False,
                "error": {"code": exc.code, "message": exc.message},
                "found": 0,
                "person": None,
            }
        person = None
        if username and people:
            found = people[0]
            person = {
                "dn": found.dn,
                "stable_id": found.stable_id,
                "username": found.username,
                "name": found.name,
                "email": found.email,
                "phone": found.phone,
                "title": found.title,
                "employee_no": found.employee_no,
                "disabled": found.disabled,
            }
        return {"ok": True, "error": None, "found": len(people), "person": person}

    async def do_sync(self, user: AuthUser, organization_id: int) -> dict[str, Any]:
        """Sync now; the result (also kept as the directory's last result)."""
        await self._configured(user, organization_id)
        if not await self.sync.claim(organization_id):
            raise Conflict("A sync of this directory is running.", code="LDAP_SYNC_RUNNING")
        try:
            return await self.sync.run_claimed(organization_id, actor_id=user.id)
        except asyncio.CancelledError:  # the client went away mid-sync: let the next one run
            await asyncio.shield(self.sync.release(organization_id))
            raise

    # -- log-in by bind -------------------------------------------------------------------------

    async def login_of(self, user_id: int) -> LoginCheck | None:
        """The directory an account logs in through, or None (lakeside's password hash)."""
        async with self.ctx.db.read() as conn:
            row = await store.login_directory(conn, user_id)
        if row is None:
            return None
        return LoginCheck(row.organization_id, row.stable_id, row.dn, row)

    async def check_password(self, check: LoginCheck, password: str) -> bool:
        """Whether ``password`` is the directory's for this entry. Raises Unavailable when the
        directory cannot answer, Forbidden DIRECTORY_ACCOUNT_DISABLED for a disabled entry (only
        once the password is known to be right, so the answer tells a guesser nothing)."""
        config = connection_of(check.directory)
        mapping = config.mapping
        query = dl.and_filter(config.user_filter, mapping.id, dl.id_filter_value(mapping.id, check.stable_id))
        try:
            people = await self.client.find_people(config, query, limit=2)
            if len(people) != 1:
                # Gone from the directory (or out of the filter): no password is right.
                return False
            person = people[0]
            if not await self.client.check_password(config, person.dn, password):
                return False
        except DirectoryError as exc:
            raise Unavailable(
                "The organization's directory cannot be reached; try again later.",
                code="DIRECTORY_UNAVAILABLE",
            ) from exc
        if person.disabled:
            raise Forbidden("This account is disabled in the directory.", code="DIRECTORY_ACCOUNT_DISABLED")
        return True
