"""Announcements (公告): publish, list with unread badges, read, who has not read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath, IdQuery
from lakeside.domain.inputs import Id

router = APIRouter(prefix="/api/v1/orgs/{org_id}", tags=["announcements"], responses=ERRORS)


class AnnouncementIn(Strict):
    title: str = Field(max_length=256)
    body: str = Field(max_length=65536)
    pinned: bool = False
    department_ids: list[Id] = Field(
        default_factory=list, max_length=100, description="Empty: the whole organization."
    )
    as_ding: bool = Field(default=False, description="Also DING everyone it is for.")


class AnnouncementPatch(Strict):
    title: str | None = Field(default=None, max_length=256)
    body: str | None = Field(default=None, max_length=65536)
    pinned: bool | None = None


class AnnouncementOut(BaseModel):
    id: int
    organization_id: int
    author_id: int | None
    title: str
    body: str = Field(description="Markdown, as written.")
    html: str = Field(description="The body rendered from markdown and sanitized (what clients show).")
    pinned: bool
    audience: str = Field(description="all or departments")
    department_ids: list[int]
    ding_id: int | None
    created_at: int
    updated_at: int
    read_at: int | None = Field(description="When you read it; null: unread.")


class AnnouncementPage(BaseModel):
    announcements: list[AnnouncementOut]
    unread: int = Field(description="Unread announcements meant for you (the badge).")


class ReaderOut(BaseModel):
    user_id: int
    name: str
    read_at: int | None = None


class ReadersOut(BaseModel):
    announcement_id: int
    audience_count: int
    read_count: int
    read: list[ReaderOut]
    unread: list[ReaderOut]


@router.post("/announcements", status_code=status.HTTP_201_CREATED, response_model=AnnouncementOut)
async def publish(
    org_id: IdPath, body: AnnouncementIn, user: UserDep, services: ServicesDep
) -> AnnouncementOut:
    """Publish an announcement (admins) to everyone or to departments and all below them."""
    row = await services.enterprise.announcements.do_publish(
        user,
        org_id,
        title=body.title,
        body=body.body,
        pinned=body.pinned,
        department_ids=body.department_ids,
        as_ding=body.as_ding,
    )
    return AnnouncementOut(**row)


@router.get("/announcements", response_model=AnnouncementPage)
async def list_announcements(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    everything: Annotated[
        bool, Query(alias="all", description="Admins: include those meant for others.")
    ] = False,
    before: IdQuery | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AnnouncementPage:
    """Announcements meant for you, pinned first, then newest, with the unread count."""
    rows, unread = await services.enterprise.announcements.list(
        user, org_id, everything=everything, before_id=before, limit=limit
    )
    return AnnouncementPage(announcements=[AnnouncementOut(**row) for row in rows], unread=unread)


@router.get("/announcements/{announcement_id}", response_model=AnnouncementOut)
async def get_announcement(
    org_id: IdPath, announcement_id: IdPath, user: UserDep, services: ServicesDep
) -> AnnouncementOut:
    """One announcement."""
    return AnnouncementOut(**await services.enterprise.announcements.get(user, org_id, announcement_id))


@router.post("/announcements/{announcement_id}/read", response_model=AnnouncementOut)
async def mark_read(
    org_id: IdPath, announcement_id: IdPath, user: UserDep, services: ServicesDep
) -> AnnouncementOut:
    """Mark it read (the first time counts)."""
    return AnnouncementOut(
        **await services.enterprise.announcements.do_mark_read(user, org_id, announcement_id)
    )


@router.get("/announcements/{announcement_id}/readers", response_model=ReadersOut)
async def readers(
    org_id: IdPath, announcement_id: IdPath, user: UserDep, services: ServicesDep
) -> ReadersOut:
    """Read count, who has read and who has not (the author and admins)."""
    return ReadersOut(**await services.enterprise.announcements.readers(user, org_id, announcement_id))


@router.patch("/announcements/{announcement_id}", response_model=AnnouncementOut)
async def update_announcement(
    org_id: IdPath, announcement_id: IdPath, body: AnnouncementPatch, user: UserDep, services: ServicesDep
) -> AnnouncementOut:
    """Edit or (un)pin an announcement (admins)."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return AnnouncementOut(
        **await services.enterprise.announcements.do_update(user, org_id, announcement_id, changes)
    )


@router.delete("/announcements/{announcement_id}", response_model=Ok)
async def delete_announcement(
    org_id: IdPath, announcement_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Delete an announcement (admins)."""
    await services.enterprise.announcements.do_delete(user, org_id, announcement_id)
    return Ok()
