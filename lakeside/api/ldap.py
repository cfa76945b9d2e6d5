"""An organization's LDAP / Active Directory connection: set up, test, sync now, last result.
Owners and admins only (members 403, everyone else 404 as for any organization endpoint)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath
from lakeside.domain.inputs import Int32

router = APIRouter(prefix="/api/v1/orgs/{org_id}/ldap", tags=["ldap"], responses=ERRORS)


class LdapIn(Strict):
    """Fields left out keep their value (or, on the first set-up, the default shown by GET)."""

    url: str | None = Field(default=None, max_length=512, examples=["ldaps://dc1.corp.example:636"])
    start_tls: bool | None = Field(default=None, description="Upgrade an ldap:// connection with StartTLS.")
    tls_ca_cert: str | None = Field(
        default=None, max_length=65536, description="PEM certificates to trust; empty: the system's."
    )
    bind_dn: str | None = Field(
        default=None, max_length=1024, description="The service account; empty: anonymous."
    )
    bind_password: str | None = Field(
        default=None, max_length=1024, description="Write-only: never returned. Left out: kept."
    )
    base_dn: str | None = Field(default=None, max_length=1024, examples=["ou=People,dc=corp,dc=example"])
    user_filter: str | None = Field(default=None, max_length=1024, examples=["(objectClass=inetOrgPerson)"])
    attr_id: str | None = Field(
        default=None, max_length=64, description="The stable id: entryUUID (OpenLDAP), objectGUID (AD)."
    )
    attr_username: str | None = Field(default=None, max_length=64, examples=["uid", "sAMAccountName"])
    attr_name: str | None = Field(default=None, max_length=64, examples=["cn", "displayName"])
    attr_email: str | None = Field(default=None, max_length=64, description="Empty: not mapped.")
    attr_phone: str | None = Field(default=None, max_length=64, examples=["mobile", "telephoneNumber"])
    attr_title: str | None = Field(default=None, max_length=64)
    attr_employee_no: str | None = Field(default=None, max_length=64)
    sync_interval_minutes: Int32 | None = Field(default=None, description="0: sync on demand only.")
    login_enabled: bool | None = Field(
        default=None, description="Accounts the directory created log in with their directory password."
    )


class SyncProblem(BaseModel):
    code: str
    message: str
    dn: str


class SyncError(BaseModel):
    code: str
    message: str


class SyncResultOut(BaseModel):
    ok: bool
    error: SyncError | None = Field(description="Why nothing was synced (the directory's answer).")
    added: int
    updated: int
    moved: int
    deactivated: int
    reactivated: int
    departments_created: int
    departments_updated: int
    departments_deleted: int
    seen: int = Field(description="People the directory returned.")
    error_count: int = Field(description="Entries or units that could not be synced.")
    errors: list[SyncProblem] = Field(description="The first of them.")
    started_at: int
    finished_at: int


class LdapOut(BaseModel):
    configured: bool
    url: str
    start_tls: bool
    tls_ca_cert: str | None
    tls_ca_cert_set: bool
    bind_dn: str
    bind_password_set: bool = Field(description="The password itself is never returned.")
    base_dn: str
    user_filter: str
    attr_id: str
    attr_username: str
    attr_name: str
    attr_email: str
    attr_phone: str
    attr_title: str
    attr_employee_no: str
    sync_interval_minutes: int
    login_enabled: bool
    last_sync_at: int | None
    last_sync: SyncResultOut | None
    next_sync_at: int | None
    syncing: bool
    linked_members: dict[str, int] = Field(description="Accounts the directory created, by state.")


class LdapTestIn(Strict):
    username: str | None = Field(
        default=None,
        max_length=256,
        description="Also look this person up and show what their entry maps to.",
    )


class LdapPerson(BaseModel):
    dn: str
    stable_id: str
    username: str | None
    name: str | None
    email: str | None
    phone: str | None
    title: str | None
    employee_no: str | None
    disabled: bool


class LdapTestOut(BaseModel):
    ok: bool
    error: SyncError | None
    found: int = Field(description="People the filter finds (at most 1000 counted).")
    person: LdapPerson | None


@router.get("", response_model=LdapOut)
async def get_ldap(org_id: IdPath, user: UserDep, services: ServicesDep) -> Any:
    """The directory connection (``configured: false`` and the defaults when there is none)."""
    return await services.ldap.get(user, org_id)


@router.put("", response_model=LdapOut)
async def put_ldap(org_id: IdPath, body: LdapIn, user: UserDep, services: ServicesDep) -> Any:
    """Set up or change the connection."""
    changes = {
        k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "tls_ca_cert"
    }
    return await services.ldap.do_put(user, org_id, changes)


@router.delete("", response_model=Ok)
async def delete_ldap(org_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Forget the connection (members and links stay; set it up again to carry on)."""
    await services.ldap.do_delete(user, org_id)
    return Ok()


@router.post("/test", response_model=LdapTestOut)
async def test_ldap(org_id: IdPath, body: LdapTestIn, user: UserDep, services: ServicesDep) -> Any:
    """Connect, bind as the service account and search; the directory's errors are in the answer."""
    return await services.ldap.do_test(user, org_id, body.username)


@router.post("/sync", response_model=SyncResultOut, responses={409: {"description": "LDAP_SYNC_RUNNING"}})
async def sync_ldap(org_id: IdPath, user: UserDep, services: ServicesDep) -> Any:
    """Sync now and answer the result (also kept as the last result)."""
    return await services.ldap.do_sync(user, org_id)
