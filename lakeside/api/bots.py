"""API bots (services/bot_accounts.py): bot accounts, their groups, their scoped tokens and their
slash commands, managed by the person who made them or their organization's owner and admins.
See docs/integrations/bots.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import MAX_ID, IdField, IdPath
from lakeside.domain.bot_scopes import MAX_ALLOWLIST, MAX_COMMANDS, SCOPES

router = APIRouter(prefix="/api/v1/bots", tags=["bots"], responses=ERRORS)


class BotOut(BaseModel):
    id: int = Field(description="The bot's user id (it posts and is a member as this user).")
    username: str
    display_name: str
    avatar_url: str | None
    description: str
    organization_id: int | None = Field(description="The organization it belongs to; null: personal.")
    owner_id: int | None = Field(description="Who made it.")
    is_active: bool
    created_at: int


class BotList(BaseModel):
    bots: list[BotOut]


class BotIn(Strict):
    display_name: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=500)
    organization_id: IdField | None = Field(
        default=None, description="Make it the organization's bot (its owner and admins only)."
    )
    avatar_file_id: str | None = Field(
        default=None, max_length=32, description="An image the caller uploaded (POST /api/v1/files)."
    )


class BotPatch(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=500)
    avatar_file_id: str | None = Field(default=None, max_length=32)
    clear_avatar: bool = False


class GroupIn(Strict):
    conversation_id: IdField


class GroupOut(BaseModel):
    id: int
    kind: str
    title: str | None


class GroupList(BaseModel):
    groups: list[GroupOut]


class TokenIn(Strict):
    name: str = Field(default="", max_length=100, description="A label, e.g. where the token is used.")
    scopes: list[str] = Field(
        min_length=1, max_length=len(SCOPES), description="Some of: " + ", ".join(SCOPES) + "."
    )
    conversation_ids: list[IdField] | None = Field(
        default=None,
        max_length=MAX_ALLOWLIST,
        description="The only conversations the token may touch (the bot must be in each); "
        "null: any the bot is in.",
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="null: never expires.")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell it apart.")
    scopes: list[str]
    conversation_ids: list[int] | None
    created_at: int
    expires_at: int | None
    last_used_at: int | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, stored only as a hash.")


class TokenList(BaseModel):
    tokens: list[TokenOut]


class CommandIn(Strict):
    name: str = Field(min_length=1, max_length=33, description="e.g. deploy (or /deploy)")
    description: str = Field(default="", max_length=200)
    usage: str = Field(default="", max_length=100, description="A hint for the arguments, e.g. [env].")


class CommandsIn(Strict):
    commands: list[CommandIn] = Field(max_length=MAX_COMMANDS)


class CommandOut(BaseModel):
    name: str
    description: str
    usage: str


class CommandList(BaseModel):
    commands: list[CommandOut]


class ScopeOut(BaseModel):
    name: str
    description: str


class ScopeList(BaseModel):
    scopes: list[ScopeOut]


@router.get("", response_model=BotList)
async def list_bots(
    user: UserDep,
    services: ServicesDep,
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> BotList:
    """The API bots the caller manages: their own and their organizations' (as owner or admin)."""
    found = await services.bot_accounts.list_bots(user, organization_id)
    return BotList(bots=[BotOut(**bot) for bot in found])


@router.get("/scopes", response_model=ScopeList)
async def list_scopes(user: UserDep) -> ScopeList:
    """What a token may be allowed to do."""
    return ScopeList(scopes=[ScopeOut(name=name, description=text) for name, text in SCOPES.items()])


@router.post("", response_model=BotOut, status_code=status.HTTP_201_CREATED)
async def create_bot(body: BotIn, user: UserDep, services: ServicesDep) -> BotOut:
    """A new API bot: the caller's own, or an organization's (its owner and admins)."""
    bot = await services.bot_accounts.do_create(
        user,
        display_name=body.display_name,
        description=body.description,
        organization_id=body.organization_id,
        avatar_file_id=body.avatar_file_id,
    )
    return BotOut(**bot)


@router.get("/{bot_id}", response_model=BotOut)
async def get_bot(bot_id: IdPath, user: UserDep, services: ServicesDep) -> BotOut:
    return BotOut(**await services.bot_accounts.get(user, bot_id))


@router.patch("/{bot_id}", response_model=BotOut)
async def update_bot(bot_id: IdPath, body: BotPatch, user: UserDep, services: ServicesDep) -> BotOut:
    bot = await services.bot_accounts.do_update(
        user,
        bot_id,
        display_name=body.display_name,
        description=body.description,
        avatar_file_id=body.avatar_file_id,
        clear_avatar=body.clear_avatar,
    )
    return BotOut(**bot)


@router.delete("/{bot_id}", response_model=Ok)
async def delete_bot(bot_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Deactivate the bot and revoke its tokens; what it posted stays, under its name."""
    await services.bot_accounts.do_delete(user, bot_id)
    return Ok()


@router.get("/{bot_id}/groups", response_model=GroupList)
async def list_groups(bot_id: IdPath, user: UserDep, services: ServicesDep) -> GroupList:
    """The conversations the bot is a member of."""
    found = await services.bot_accounts.list_groups(user, bot_id)
    return GroupList(groups=[GroupOut(**group) for group in found])


@router.post("/{bot_id}/groups", response_model=Ok)
async def add_to_group(bot_id: IdPath, body: GroupIn, user: UserDep, services: ServicesDep) -> Ok:
    """Add the bot to a group the caller owns or administers (never to a direct chat)."""
    await services.bot_accounts.do_join(user, bot_id, body.conversation_id)
    return Ok()


@router.delete("/{bot_id}/groups/{conversation_id}", response_model=Ok)
async def remove_from_group(
    bot_id: IdPath, conversation_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    await services.bot_accounts.do_leave(user, bot_id, conversation_id)
    return Ok()


@router.get("/{bot_id}/tokens", response_model=TokenList)
async def list_tokens(bot_id: IdPath, user: UserDep, services: ServicesDep) -> TokenList:
    """The bot's live tokens (never the tokens themselves: their prefixes)."""
    found = await services.bot_accounts.list_tokens(user, bot_id)
    return TokenList(tokens=[TokenOut(**token) for token in found])


@router.post("/{bot_id}/tokens", response_model=NewTokenOut, status_code=status.HTTP_201_CREATED)
async def issue_token(
    bot_id: IdPath, body: TokenIn, user: UserDep, services: ServicesDep, response: Response
) -> NewTokenOut:
    """A new token for the bot, shown this once."""
    token, view = await services.bot_accounts.do_issue(
        user,
        bot_id,
        name=body.name,
        scopes=body.scopes,
        conversation_ids=body.conversation_ids,
        expires_in_days=body.expires_in_days,
    )
    response.headers["Cache-Control"] = "no-store"
    return NewTokenOut(**view, token=token)


@router.delete("/{bot_id}/tokens/{token_id}", response_model=Ok)
async def revoke_token(bot_id: IdPath, token_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """End the token at once: its requests are refused and its sockets closed (4001)."""
    await services.bot_accounts.do_revoke(user, bot_id, token_id)
    return Ok()


@router.get("/{bot_id}/commands", response_model=CommandList)
async def list_commands(bot_id: IdPath, user: UserDep, services: ServicesDep) -> CommandList:
    """The bot's slash commands (its managers, or the bot itself with commands:write)."""
    found = await services.bot_commands.list_commands(user, bot_id)
    return CommandList(commands=[CommandOut(**command) for command in found])


@router.put("/{bot_id}/commands", response_model=CommandList)
async def set_commands(bot_id: IdPath, body: CommandsIn, user: UserDep, services: ServicesDep) -> CommandList:
    """Replace the bot's slash commands (its managers, or the bot itself with commands:write);
    they are offered in every group the bot is in."""
    found = await services.bot_commands.do_set_commands(
        user, bot_id, [command.model_dump() for command in body.commands]
    )
    return CommandList(commands=[CommandOut(**command) for command in found])
