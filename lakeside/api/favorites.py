"""Favourites (收藏): the caller's saved messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import MAX_ID, FileOut, IdField, IdPath
from lakeside.domain.inputs import Text

router = APIRouter(prefix="/api/v1/favorites", tags=["favorites"], responses=ERRORS)


class FavoriteIn(Strict):
    message_id: IdField


class SourceOut(BaseModel):
    kind: str = Field(description="The conversation's kind: direct, group, org_all, department.")
    title: str = Field(description="The group's title, or the other person's name, when saved.")


class SenderOut(BaseModel):
    id: int | None
    name: str = Field(description="The sender's name when saved.")


class FavoriteOut(BaseModel):
    id: int
    message_id: int
    conversation_id: int
    source: SourceOut
    sender: SenderOut
    kind: str
    body: str
    recalled: bool = Field(description="The message was recalled or deleted since: the copy is gone")
    html: str | None
    file: FileOut | None
    sent_at: int
    created_at: int = Field(description="When it was saved.")


class FavoritePage(BaseModel):
    favorites: list[FavoriteOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; null on the last.")


@router.get("", response_model=FavoritePage)
async def list_favorites(
    user: UserDep,
    services: ServicesDep,
    q: Annotated[
        Text | None, Query(max_length=200, description="Words or Chinese text; all must match.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    cursor: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the previous page.")
    ] = None,
) -> FavoritePage:
    """The caller's favourites, newest first; `q` searches their text, file names, senders and sources."""
    views, next_cursor = await services.favorites.list_favorites(user, query=q, before=cursor, limit=limit)
    return FavoritePage(favorites=[FavoriteOut(**v) for v in views], next_cursor=next_cursor)


@router.post("", response_model=FavoriteOut, responses={201: {"model": FavoriteOut}})
async def add_favorite(
    body: FavoriteIn, user: UserDep, services: ServicesDep, response: Response
) -> FavoriteOut:
    """Save a message (text, markdown, image or file) the caller can see: 201, or 200 with the
    favourite made before. A recalled message cannot be saved."""
    view, created = await services.favorites.do_add(user, body.message_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return FavoriteOut(**view)


@router.delete("/{favorite_id}", response_model=Ok)
async def remove_favorite(favorite_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Remove one of the caller's favourites."""
    await services.favorites.do_remove(user, favorite_id)
    return Ok()
