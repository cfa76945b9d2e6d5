"""Conversations: direct chats, groups, members, roles, the caller's own settings and drafts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import (
    MAX_ID,
    ConversationOut,
    ConversationPage,
    DraftOut,
    IdField,
    IdPath,
    MemberOut,
)
from lakeside.domain.inputs import Text
from lakeside.domain.messages import MAX_BODY_CHARS
from lakeside.errors import Invalid

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"], responses=ERRORS)


class DirectIn(Strict):
    user_id: IdField


class GroupIn(Strict):
    title: str = Field(max_length=256, examples=["产品组"])
    member_ids: list[IdField] = Field(default_factory=list, max_length=10_000)


class ConversationPatch(Strict):
    title: str | None = Field(default=None, max_length=256)
    avatar_file_id: str | None = Field(default=None, max_length=32)
    join_approval: bool | None = Field(
        default=None, description="入群验证: joining through the invite link files a request to approve."
    )


class MembersIn(Strict):
    user_ids: list[IdField] = Field(min_length=1, max_length=1000)


class RoleIn(Strict):
    role: Literal["admin", "member"]


class TransferIn(Strict):
    user_id: IdField


class MySettingsIn(Strict):
    pinned: bool | None = None
    muted: bool | None = None


class DraftIn(Strict):
    text: str = Field(
        max_length=MAX_BODY_CHARS,
        description="The unsent text; empty clears the draft. At most max_message_bytes in UTF-8.",
    )
    updated_at: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ID,
        description="When it was written (ms since the epoch, the writer's clock); default: now.",
    )


def _parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        at, conversation_id = (int(part) for part in cursor.split(".", 1))
    except ValueError:
        at = conversation_id = -1
    if not (0 <= at <= MAX_ID and 0 <= conversation_id <= MAX_ID):
        raise Invalid("That cursor is not one this server gave out.", code="INVALID_CURSOR")
    return at, conversation_id


@router.get("", response_model=ConversationPage)
async def list_conversations(
    user: UserDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        Text | None, Query(max_length=64, description="next_cursor of the previous page")
    ] = None,
) -> ConversationPage:
    """The caller's conversations, most recent activity first, with unread counts and previews."""
    views, next_cursor = await services.conversations.list_conversations(
        user, limit=limit, before=_parse_cursor(cursor)
    )
    # A bot token restricted to some conversations sees those only (api/scopes.py).
    views = [v for v in views if user.may_touch(v["id"])]
    return ConversationPage(conversations=[ConversationOut(**v) for v in views], next_cursor=next_cursor)


@router.post("/direct", response_model=ConversationOut, responses={201: {"model": ConversationOut}})
async def open_direct(
    body: DirectIn, user: UserDep, services: ServicesDep, response: Response
) -> ConversationOut:
    """The direct chat with a friend: created on first use (201), the same one afterwards (200)."""
    view, created = await services.conversations.do_open_direct(user, body.user_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return ConversationOut(**view)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationOut)
async def create_group(body: GroupIn, user: UserDep, services: ServicesDep) -> ConversationOut:
    """Create a group with friends; the caller owns it."""
    return ConversationOut(**await services.conversations.do_create_group(user, body.title, body.member_ids))


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> ConversationOut:
    """One of the caller's conversations, as in the list."""
    return ConversationOut(**await services.conversations.get_conversation(user, conversation_id))


@router.patch("/{conversation_id}", response_model=ConversationOut)
async def update_conversation(
    conversation_id: IdPath, body: ConversationPatch, user: UserDep, services: ServicesDep
) -> ConversationOut:
    """Rename a group, set its avatar, or whether joining by link needs approval (owner and admins)."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return ConversationOut(**await services.conversations.do_update(user, conversation_id, changes))


@router.put("/{conversation_id}/settings", response_model=ConversationOut)
async def update_my_settings(
    conversation_id: IdPath, body: MySettingsIn, user: UserDep, services: ServicesDep
) -> ConversationOut:
    """Pin or mute the conversation for the caller only."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return ConversationOut(
        **await services.conversations.do_update_my_settings(user, conversation_id, changes)
    )


@router.get("/{conversation_id}/draft", response_model=DraftOut)
async def get_draft(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> DraftOut:
    """Your draft in the conversation (empty text and updated_at 0 if you never saved one)."""
    return DraftOut(**await services.drafts.get_draft(user, conversation_id))


@router.put("/{conversation_id}/draft", response_model=DraftOut, dependencies=[limited("drafts")])
async def save_draft(
    conversation_id: IdPath, body: DraftIn, user: UserDep, services: ServicesDep
) -> DraftOut:
    """Save your draft; the last writer wins by updated_at. The answer is the draft as stored: a
    newer one from another device when this save lost. Your other devices get `draft.updated`."""
    return DraftOut(**await services.drafts.do_save(user, conversation_id, body.text, body.updated_at))


@router.get("/{conversation_id}/members", response_model=list[MemberOut])
async def list_members(
    conversation_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="The last user id of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[MemberOut]:
    """Members by user id, paged."""
    rows = await services.conversations.list_members(user, conversation_id, after_user_id=after, limit=limit)
    return [MemberOut(**row) for row in rows]


@router.post("/{conversation_id}/members", response_model=ConversationOut)
async def add_members(
    conversation_id: IdPath, body: MembersIn, user: UserDep, services: ServicesDep
) -> ConversationOut:
    """Add friends to a group (any member may)."""
    return ConversationOut(
        **await services.conversations.do_add_members(user, conversation_id, body.user_ids)
    )


@router.delete("/{conversation_id}/members/{user_id}", response_model=Ok)
async def remove_member(conversation_id: IdPath, user_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Remove a member (owner: anyone; admin: plain members). Removing yourself is leaving."""
    await services.conversations.do_remove_member(user, conversation_id, user_id)
    return Ok()


@router.post("/{conversation_id}/leave", response_model=Ok)
async def leave(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Leave a group. The owner hands it over first."""
    await services.conversations.do_leave(user, conversation_id)
    return Ok()


@router.put("/{conversation_id}/members/{user_id}/role", response_model=Ok)
async def set_role(
    conversation_id: IdPath, user_id: IdPath, body: RoleIn, user: UserDep, services: ServicesDep
) -> Ok:
    """Make a member an admin or a plain member again (owner only)."""
    await services.conversations.do_set_role(user, conversation_id, user_id, body.role)
    return Ok()


@router.post("/{conversation_id}/transfer", response_model=Ok)
async def transfer(conversation_id: IdPath, body: TransferIn, user: UserDep, services: ServicesDep) -> Ok:
    """Hand the group to another member; the old owner becomes an admin."""
    await services.conversations.do_transfer(user, conversation_id, body.user_id)
    return Ok()
