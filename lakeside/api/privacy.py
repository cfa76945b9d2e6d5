"""Privacy: deleting one's account, and organizations' retention policies (docs/security.md)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep, clear_session_cookies
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath

router = APIRouter(prefix="/api/v1", tags=["privacy"], responses=ERRORS)


class DeletionIn(Strict):
    password: str = Field(max_length=256, description="The account's password, entered again.")


class RetentionIn(Strict):
    days: int | None = Field(
        ge=1, le=36_500, description="Delete messages older than this many days (at least 30); null: keep."
    )


class RetentionOut(BaseModel):
    days: int | None
    minimum_days: int


@router.post("/me/deletion", response_model=Ok)
async def delete_account(body: DeletionIn, user: UserDep, services: ServicesDep, response: Response) -> Ok:
    """Delete the caller's account (注销账号): every session ends, the profile is anonymised and
    everything the account sent is deleted (docs/security.md). 403 BAD_CREDENTIALS for a wrong
    password; 409 ORG_OWNER_MUST_TRANSFER while the caller owns an organization."""
    await services.account_deletion.do_delete(user, body.password)
    clear_session_cookies(response)
    return Ok()


@router.get("/orgs/{org_id}/retention", response_model=RetentionOut)
async def get_retention(org_id: IdPath, user: UserDep, services: ServicesDep) -> RetentionOut:
    """The organization's retention policy (owner and admins)."""
    return RetentionOut(**await services.retention.get_policy(user, org_id))


@router.put("/orgs/{org_id}/retention", response_model=RetentionOut)
async def set_retention(
    org_id: IdPath, body: RetentionIn, user: UserDep, services: ServicesDep
) -> RetentionOut:
    """Keep the organization's messages for ``days`` (at least 30; 422 RETENTION_TOO_SHORT), or
    for ever (null). Messages older than that are deleted within the hour, with their files."""
    return RetentionOut(**await services.retention.do_set_policy(user, org_id, body.days))
