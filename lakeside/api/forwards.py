"""Forwarding (转发) messages and reading a merged record; voice messages' played state."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep, client_address
from lakeside.api.schemas import ERRORS
from lakeside.api.views import FileOut, IdPath, MessageOut, RecordSourceOut
from lakeside.domain.forwards import ForwardMessages

router = APIRouter(prefix="/api/v1", tags=["messages"], responses=ERRORS)


class ForwardOut(BaseModel):
    messages: list[MessageOut] = Field(description="The messages written, target by target, in order.")


class RecordItemOut(BaseModel):
    sender_name: str = Field(description="The sender's name when forwarded.")
    sent_at: int
    kind: str
    body: str
    html: str | None
    file: FileOut | None
    duration_ms: int | None
    record: RecordOut | None = Field(description="A record forwarded inside this one.")


class RecordOut(BaseModel):
    source: RecordSourceOut
    items: list[RecordItemOut]


class TranscriptOut(RecordOut):
    message_id: int


class PlayedOut(BaseModel):
    message_id: int
    played: bool


@router.post(
    "/messages/forward",
    response_model=ForwardOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ForwardOut, "description": "A retry: the messages stored before."}},
)
async def forward_messages(
    body: ForwardMessages, user: UserDep, services: ServicesDep, request: Request, response: Response
) -> ForwardOut:
    """转发: messages of one conversation to up to nine, one by one (separate) or as one
    chat record (merged), optionally followed by a comment."""
    messages, created = await services.forwards.do_forward(user, body, address=client_address(request))
    if not created:
        response.status_code = status.HTTP_200_OK
    return ForwardOut(messages=[MessageOut(**m) for m in messages])


@router.get("/messages/{message_id}/record", response_model=TranscriptOut)
async def get_record(message_id: IdPath, user: UserDep, services: ServicesDep) -> TranscriptOut:
    """A merged forward's transcript, read-only: the messages as they were when forwarded."""
    return TranscriptOut(**await services.forwards.get_record(user, message_id))


@router.post("/messages/{message_id}/played", response_model=PlayedOut)
async def mark_played(message_id: IdPath, user: UserDep, services: ServicesDep) -> PlayedOut:
    """You played a voice message: its red dot clears on your devices."""
    return PlayedOut(**await services.voice.do_mark_played(user, message_id))
