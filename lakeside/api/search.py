"""Search: full text over the messages the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS
from lakeside.api.views import MAX_ID, MessageOut

router = APIRouter(prefix="/api/v1", tags=["search"], responses=ERRORS)


class SearchHitOut(BaseModel):
    message: MessageOut
    conversation_id: int
    snippet: str = Field(description="Plain text around the first match, at most 80 characters.")


class SearchPage(BaseModel):
    results: list[SearchHitOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; null on the last.")


@router.get("/search/messages", response_model=SearchPage)
async def search_messages(
    user: UserDep,
    services: ServicesDep,
    q: Annotated[str, Query(description="Words or Chinese text, at most 200 characters; all must match.")],
    conversation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sender_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Sent at or after this time (ms).")
    ] = None,
    before: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Sent before this time (ms).")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the previous page.")
    ] = None,
) -> SearchPage:
    """Messages matching every word of `q` in conversations the caller is a member of, newest
    first. Chinese matches as written (contiguous), Latin words by prefix, case-insensitively."""
    hits, next_cursor = await services.search.search_messages(
        user,
        q,
        conversation_id=conversation_id,
        sender_id=sender_id,
        after=after,
        before=before,
        limit=limit,
        cursor=cursor,
    )
    return SearchPage(results=[SearchHitOut(**hit) for hit in hits], next_cursor=next_cursor)
