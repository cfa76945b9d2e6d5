"""Data exports: a user's own data, an organization's (docs/api.md §13, docs/security.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from starlette.responses import FileResponse

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.files import BYTES_RESPONSE, send_download
from lakeside.api.schemas import ERRORS
from lakeside.api.views import IdPath

router = APIRouter(prefix="/api/v1", tags=["privacy"], responses=ERRORS)


class ExportOut(BaseModel):
    id: int
    organization_id: int | None
    status: str  # queued, running, ready, failed, expired
    size: int | None
    error: str
    created_at: int
    started_at: int | None
    finished_at: int | None
    expires_at: int | None
    download_url: str | None


class ExportsOut(BaseModel):
    exports: list[ExportOut]


@router.post("/me/exports", status_code=status.HTTP_202_ACCEPTED, response_model=ExportOut)
async def request_export(user: UserDep, services: ServicesDep) -> ExportOut:
    """Ask for an archive of your data (profile, contacts, your conversations and the messages you
    sent, favourites, your files); built in the background, announced by `export.updated`.
    409 EXPORT_IN_PROGRESS while one is being prepared; 429 RATE_LIMITED past 3 a day."""
    return ExportOut(**await services.exports.do_request(user))


@router.get("/me/exports", response_model=ExportsOut)
async def list_exports(user: UserDep, services: ServicesDep) -> ExportsOut:
    """Your recent exports, newest first: queued, running, ready (with `download_url`), failed, expired."""
    return ExportsOut(exports=[ExportOut(**job) for job in await services.exports.list_jobs(user)])


@router.get("/me/exports/{export_id}/download", response_class=FileResponse, responses=BYTES_RESPONSE)
async def download_export(
    export_id: IdPath, request: Request, user: UserDep, services: ServicesDep
) -> Response:
    """The zip, while it is ready (7 days); 409 EXPORT_NOT_READY before."""
    return send_download(request, await services.exports.get_download(user, export_id))


@router.post("/orgs/{org_id}/exports", status_code=status.HTTP_202_ACCEPTED, response_model=ExportOut)
async def request_org_export(org_id: IdPath, user: UserDep, services: ServicesDep) -> ExportOut:
    """Owner and admins: an archive of the organization (members, departments, its groups'
    messages and files, announcements); audited as `org.export`."""
    return ExportOut(**await services.exports.do_request(user, org_id))


@router.get("/orgs/{org_id}/exports", response_model=ExportsOut)
async def list_org_exports(org_id: IdPath, user: UserDep, services: ServicesDep) -> ExportsOut:
    """The organization's recent exports (owner and admins)."""
    return ExportsOut(exports=[ExportOut(**job) for job in await services.exports.list_jobs(user, org_id)])


@router.get(
    "/orgs/{org_id}/exports/{export_id}/download", response_class=FileResponse, responses=BYTES_RESPONSE
)
async def download_org_export(
    org_id: IdPath, export_id: IdPath, request: Request, user: UserDep, services: ServicesDep
) -> Response:
    """The organization's archive, while it is ready (owner and admins)."""
    return send_download(request, await services.exports.get_download(user, export_id, org_id))
