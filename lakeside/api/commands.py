"""Slash commands in conversations (services/bot_commands.py) and what a bot posts besides plain
messages: replies to invocations and cards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep, client_address
from lakeside.api.schemas import ERRORS, Strict
from lakeside.api.views import IdField, IdPath, MessageOut
from lakeside.domain.messages import MAX_BODY_CHARS

router = APIRouter(prefix="/api/v1", tags=["commands"], responses=ERRORS)


class OfferedCommand(BaseModel):
    name: str
    description: str
    usage: str
    bot_id: int
    bot_name: str


class OfferedList(BaseModel):
    commands: list[OfferedCommand]


class InvokeIn(Strict):
    command: str = Field(min_length=1, max_length=33, description="The command's name, with or without /.")
    args: str = Field(default="", max_length=2000, description="What follows the command.")
    bot_id: IdField | None = Field(
        default=None, description="Which bot, when several in the conversation offer the command."
    )


class BotRef(BaseModel):
    id: int
    display_name: str


class InvocationOut(BaseModel):
    invocation_id: int
    command: str
    args: str
    bot: BotRef
    created_at: int


class ReplyIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    markdown: bool = False
    ephemeral: bool = Field(
        default=False, description="Only the invoker sees it (a command.replied event); never stored."
    )
    client_msg_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Idempotency key of the posted message."
    )


class ReplyOut(BaseModel):
    ephemeral: bool
    message: MessageOut | None


class CardIn(Strict):
    client_msg_id: str = Field(min_length=1, max_length=64)
    card: dict[str, Any] = Field(
        description="A card: {sender_name?, blocks: [...]} (docs/integrations/bots.md)."
    )


@router.get("/conversations/{conversation_id}/commands", response_model=OfferedList)
async def offered_commands(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> OfferedList:
    """The slash commands the bots of this conversation offer (the composer's / picker)."""
    found = await services.bot_commands.conversation_commands(user, conversation_id)
    return OfferedList(commands=[OfferedCommand(**command) for command in found])


@router.post(
    "/conversations/{conversation_id}/commands",
    response_model=InvocationOut,
    status_code=status.HTTP_201_CREATED,
)
async def invoke_command(
    conversation_id: IdPath, body: InvokeIn, user: UserDep, services: ServicesDep, request: Request
) -> InvocationOut:
    """Invoke a bot's command: delivered to the bot alone (command.invoked), not posted to the
    conversation. 404 COMMAND_NOT_FOUND when no bot here offers it."""
    out = await services.bot_commands.do_invoke(
        user, conversation_id, body.command, body.args, bot_id=body.bot_id, address=client_address(request)
    )
    return InvocationOut(**out)


@router.post("/commands/{invocation_id}/reply", response_model=ReplyOut)
async def reply_to_command(
    invocation_id: IdPath, body: ReplyIn, user: UserDep, services: ServicesDep
) -> ReplyOut:
    """The bot answers an invocation of its command (within 30 minutes, at most 5 times): in the
    conversation, or to the invoker alone (ephemeral)."""
    out = await services.bot_commands.do_reply(
        user,
        invocation_id,
        text=body.text,
        markdown=body.markdown,
        ephemeral=body.ephemeral,
        client_msg_id=body.client_msg_id,
    )
    message = out["message"]
    return ReplyOut(ephemeral=out["ephemeral"], message=None if message is None else MessageOut(**message))


@router.post(
    "/conversations/{conversation_id}/cards",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": MessageOut, "description": "A retry: the card stored before."}},
)
async def post_card(
    conversation_id: IdPath, body: CardIn, user: UserDep, services: ServicesDep, response: Response
) -> MessageOut:
    """A card message, posted by a bot (a bot token with messages:write)."""
    message, created = await services.bot_commands.do_post_card(
        user, conversation_id, body.client_msg_id, body.card
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return MessageOut(**message)
