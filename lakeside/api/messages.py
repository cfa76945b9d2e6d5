"""Messages: send, history, edit, recall, reactions, read cursor."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Strict
from lakeside.api.views import MAX_ID, IdField, IdPath, MessageOut, MessagePage, ReadOut

router = APIRouter(prefix="/api/v1", tags=["messages"], responses=ERRORS)


class SendIn(Strict):
    client_msg_id: str = Field(
        min_length=1,
        max_length=64,
        description="Chosen by the client, unique per sender. A retry with the same id returns the original.",
    )
    kind: Literal["text", "markdown", "image", "file"] = "text"
    body: str = Field(default="", max_length=65_536, description="Text, markdown, or a caption.")
    reply_to_id: IdField | None = None
    file_id: str | None = Field(default=None, max_length=32)


class EditIn(Strict):
    body: str = Field(max_length=65_536)


class ReadIn(Strict):
    seq: int = Field(ge=0, le=MAX_ID, description="The highest sequence number the caller has seen.")


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    dependencies=[limited("sends")],
    responses={200: {"model": MessageOut, "description": "A retry: the message stored before."}},
)
async def send_message(
    conversation_id: IdPath, body: SendIn, user: UserDep, services: ServicesDep, response: Response
) -> MessageOut:
    """Send a message. The reply comes after the message is committed (201), or, for a retried
    client_msg_id, is the message stored the first time (200)."""
    result = await services.messages.do_send(user, conversation_id, **body.model_dump())
    services.growth.activity.message_sent(user.id, created=result.created)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return MessageOut(**result.message)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    conversation_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    before_seq: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Older than this sequence number")
    ] = None,
    after_seq: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Newer than this sequence number")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """History in ascending sequence order: the newest page by default, older with before_seq,
    newer with after_seq. has_more says whether more lies in that direction."""
    rows, more = await services.messages.list_history(
        user, conversation_id, before_seq=before_seq, after_seq=after_seq, limit=limit
    )
    return MessagePage(messages=[MessageOut(**row) for row in rows], has_more=more)


@router.get("/messages/{message_id}", response_model=MessageOut)
async def get_message(message_id: IdPath, user: UserDep, services: ServicesDep) -> MessageOut:
    """One message of a conversation the caller belongs to."""
    return MessageOut(**await services.messages.get_message(user, message_id))


@router.patch("/messages/{message_id}", response_model=MessageOut)
async def edit_message(message_id: IdPath, body: EditIn, user: UserDep, services: ServicesDep) -> MessageOut:
    """Edit your own text or markdown message within the edit window."""
    return MessageOut(**await services.messages.do_edit(user, message_id, body.body))


@router.post("/messages/{message_id}/recall", response_model=MessageOut)
async def recall_message(message_id: IdPath, user: UserDep, services: ServicesDep) -> MessageOut:
    """撤回: delete the content from the server; everyone sees a tombstone."""
    return MessageOut(**await services.messages.do_recall(user, message_id))


Emoji = Annotated[str, Path(min_length=1, max_length=32)]


@router.put("/messages/{message_id}/reactions/{emoji}", response_model=MessageOut)
async def add_reaction(message_id: IdPath, emoji: Emoji, user: UserDep, services: ServicesDep) -> MessageOut:
    """React with an emoji (or a short name); reacting twice with the same one counts once."""
    return MessageOut(**await services.messages.do_react(user, message_id, emoji, add=True))


@router.delete("/messages/{message_id}/reactions/{emoji}", response_model=MessageOut)
async def remove_reaction(
    message_id: IdPath, emoji: Emoji, user: UserDep, services: ServicesDep
) -> MessageOut:
    """Take back the caller's reaction; taking back one that is not there changes nothing."""
    return MessageOut(**await services.messages.do_react(user, message_id, emoji, add=False))


@router.post("/conversations/{conversation_id}/read", response_model=ReadOut)
async def mark_read(conversation_id: IdPath, body: ReadIn, user: UserDep, services: ServicesDep) -> ReadOut:
    """Move the caller's read cursor forward; unread counts follow from it."""
    return ReadOut(**await services.messages.do_mark_read(user, conversation_id, body.seq))
