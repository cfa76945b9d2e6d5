"""Group tools: pinned messages, the group notice, mute. Everything here answers 404 to
non-members, as the conversation itself does."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict, UserOut
from lakeside.api.views import ConversationOut, IdPath, MessageOut
from lakeside.domain.mutes import MAX_SECONDS, MIN_SECONDS

router = APIRouter(prefix="/api/v1", tags=["groups"], responses=ERRORS)

BASE = "/conversations/{conversation_id}"


# -- pinned messages ------------------------------------------------------------------------------


class PinOut(BaseModel):
    message: MessageOut
    pinned_by: int | None
    pinned_at: int


@router.get(f"{BASE}/pins", response_model=list[PinOut])
async def list_pins(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> list[PinOut]:
    """The conversation's pinned messages (置顶消息), newest pin first."""
    return [PinOut(**pin) for pin in await services.pins.list_pins(user, conversation_id)]


@router.put(f"{BASE}/pins/{{message_id}}", response_model=PinOut)
async def pin_message(
    conversation_id: IdPath, message_id: IdPath, user: UserDep, services: ServicesDep
) -> PinOut:
    """Pin a message (a group's owner and admins; either person of a direct chat); at most 10."""
    return PinOut(**await services.pins.do_pin(user, conversation_id, message_id))


@router.delete(f"{BASE}/pins/{{message_id}}", response_model=Ok)
async def unpin_message(
    conversation_id: IdPath, message_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Unpin a message (who may pin may unpin)."""
    await services.pins.do_unpin(user, conversation_id, message_id)
    return Ok()


# -- the group notice -----------------------------------------------------------------------------


class NoticeIn(Strict):
    body: str = Field(max_length=8192, examples=["本周五下午三点开会，请准时参加。"])


class AckIn(Strict):
    version: int = Field(ge=1, le=2**31 - 1, description="The version of the notice the caller has read.")


class NoticeOut(BaseModel):
    conversation_id: int
    body: str
    version: int
    updated_by: int | None
    updated_at: int
    acknowledged: bool = Field(description="Whether the caller has acknowledged this version.")


class NoticeEnvelope(BaseModel):
    notice: NoticeOut | None


class AckedOut(BaseModel):
    user: UserOut
    acked_at: int


class NoticeReadersOut(BaseModel):
    version: int
    acknowledged: list[AckedOut]
    pending: list[UserOut]


@router.get(f"{BASE}/notice", response_model=NoticeEnvelope)
async def get_notice(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> NoticeEnvelope:
    """The group notice (群公告), if any, and whether the caller has acknowledged it."""
    notice = await services.group_notices.get_notice(user, conversation_id)
    return NoticeEnvelope(notice=None if notice is None else NoticeOut(**notice))


@router.put(f"{BASE}/notice", response_model=NoticeOut)
async def set_notice(
    conversation_id: IdPath, body: NoticeIn, user: UserDep, services: ServicesDep
) -> NoticeOut:
    """Set or change the notice (owner and admins): every member is asked to acknowledge it."""
    return NoticeOut(**await services.group_notices.do_set(user, conversation_id, body.body))


@router.delete(f"{BASE}/notice", response_model=Ok)
async def clear_notice(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Remove the notice (owner and admins)."""
    await services.group_notices.do_clear(user, conversation_id)
    return Ok()


@router.post(f"{BASE}/notice/ack", response_model=NoticeOut)
async def acknowledge_notice(
    conversation_id: IdPath, body: AckIn, user: UserDep, services: ServicesDep
) -> NoticeOut:
    """确认: the caller has read this version of the notice (409 `NOTICE_CHANGED` if it changed)."""
    return NoticeOut(**await services.group_notices.do_acknowledge(user, conversation_id, body.version))


@router.get(f"{BASE}/notice/readers", response_model=NoticeReadersOut)
async def notice_readers(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> NoticeReadersOut:
    """Who has acknowledged the current notice and who has not (owner and admins)."""
    return NoticeReadersOut(**await services.group_notices.list_readers(user, conversation_id))


# -- mute -----------------------------------------------------------------------------------------


class MuteAllIn(Strict):
    enabled: bool


class MemberMuteIn(Strict):
    duration_seconds: int | None = Field(
        ge=MIN_SECONDS, le=MAX_SECONDS, description="How long (60 s to 30 days); null: until lifted."
    )


class MemberMuteOut(BaseModel):
    user_id: int
    until: int | None = Field(description="When the mute ends (ms); null: until lifted.")


@router.put(f"{BASE}/mute-all", response_model=ConversationOut)
async def set_mute_all(
    conversation_id: IdPath, body: MuteAllIn, user: UserDep, services: ServicesDep
) -> ConversationOut:
    """全员禁言 on or off (owner and admins, who may still send)."""
    return ConversationOut(**await services.mutes.do_mute_all(user, conversation_id, body.enabled))


@router.put(f"{BASE}/members/{{user_id}}/mute", response_model=MemberMuteOut)
async def mute_member(
    conversation_id: IdPath, user_id: IdPath, body: MemberMuteIn, user: UserDep, services: ServicesDep
) -> MemberMuteOut:
    """Mute a member for a while or until lifted (the owner: anyone; admins: plain members)."""
    return MemberMuteOut(
        **await services.mutes.do_mute_member(user, conversation_id, user_id, body.duration_seconds)
    )


@router.delete(f"{BASE}/members/{{user_id}}/mute", response_model=Ok)
async def unmute_member(conversation_id: IdPath, user_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Lift a member's mute."""
    await services.mutes.do_unmute_member(user, conversation_id, user_id)
    return Ok()
