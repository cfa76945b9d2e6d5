"""Catch-up over HTTP and presence look-ups.

``GET /api/v1/sync`` is the fallback when the WebSocket says RESUME_TOO_OLD, and the way a new
client learns where to start streaming: without ``since`` it returns the current position, from
which the client loads its state (conversations, history) and then opens the stream.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS
from lakeside.domain.bot_scopes import admits_event
from lakeside.domain.inputs import MAX_ID, Text
from lakeside.errors import Invalid

router = APIRouter(prefix="/api/v1", tags=["sync"], responses=ERRORS)


class EventOut(BaseModel):
    id: int
    type: str
    op: str
    conversation_id: int | None
    user_id: int | None
    data: dict[str, Any]
    created_at: int


class SyncOut(BaseModel):
    events: list[EventOut]
    position: int
    has_more: bool


class PresenceOut(BaseModel):
    user_id: int
    status: str
    last_seen_at: int | None


@router.get("/sync", response_model=SyncOut)
async def sync(
    user: UserDep,
    services: ServicesDep,
    since: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="The last event id the client has")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Any:
    """Events after ``since`` in order, a page at a time (follow ``position`` while ``has_more``).
    Without ``since``: no events, and the position to load state at and stream from. 409
    RESUME_TOO_OLD when ``since`` is older than the server keeps: start over without it."""
    if since is None:
        return SyncOut(events=[], position=await services.sync.position(), has_more=False)
    # The events come encoded, as the socket replays them (``Sync.frames_since``): the body is
    # put together from them as bytes instead of validating and encoding a model per event.
    frames, position, more = await services.sync.frames_since(user.id, since, limit=limit)
    if user.conversations is not None:  # a bot token's allowlist (api/scopes.py)
        frames = [(i, f) for i, f in frames if admits_event(orjson.loads(f), user.conversations)]
    body = b'{"events":[%s],"position":%d,"has_more":%s}' % (
        b",".join(frame for _, frame in frames),
        position,
        b"true" if more else b"false",
    )
    return Response(body, media_type="application/json")


@router.get("/presence", response_model=list[PresenceOut])
async def presence(
    request: Request,
    user: UserDep,
    services: ServicesDep,
    user_ids: Annotated[
        Text, Query(max_length=4000, description="Comma-separated user ids", examples=["2,3,5"])
    ],
) -> list[PresenceOut]:
    """Online / away / offline and last seen, for friends and direct-chat partners only;
    others read as offline with no last-seen time."""
    try:
        ids = [int(part) for part in user_ids.split(",") if part.strip()][:200]
    except ValueError:
        raise Invalid("user_ids is a comma-separated list of integers.", code="VALIDATION_FAILED") from None
    visible = await services.presence.may_see(user.id, ids)
    seen = await services.presence.last_seen(sorted(visible))
    hub = request.app.state.hub
    return [
        PresenceOut(
            user_id=uid,
            status=hub.status(uid) if uid in visible else "offline",
            last_seen_at=seen.get(uid) if uid in visible else None,
        )
        for uid in ids
    ]
