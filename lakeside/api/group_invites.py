"""Joining a group by link or QR code: the invite link (owner and admins), its QR code, join
requests; and, for whoever holds a link (logged in), what it joins and joining."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict, UserOut
from lakeside.api.views import ConversationOut, IdPath
from lakeside.domain.inputs import Text
from lakeside.services.group_invites import MAX_LINK_HOURS

router = APIRouter(prefix="/api/v1", tags=["groups"], responses=ERRORS)

BASE = "/conversations/{conversation_id}"
TokenPath = Annotated[Text, Path(min_length=1, max_length=64, description="The token of the invite link.")]


# -- invite links and join requests ---------------------------------------------------------------


class InviteLinkIn(Strict):
    expires_in_hours: int | None = Field(default=None, ge=1, le=MAX_LINK_HOURS)


class InviteLinkOut(BaseModel):
    token: str
    url: str = Field(description="The link to share; its QR code is at `qr_url`.")
    qr_url: str
    created_by: int | None
    created_at: int
    expires_at: int | None


class InviteLinkEnvelope(BaseModel):
    link: InviteLinkOut | None


class GroupJoinRequestOut(BaseModel):
    id: int
    conversation_id: int
    conversation_title: str | None
    user: UserOut
    message: str
    status: str
    decided_by: int | None
    created_at: int
    decided_at: int | None


class GroupInvitationOut(BaseModel):
    conversation_id: int
    title: str | None
    avatar_url: str | None
    member_count: int
    member_cap: int
    join_approval: bool
    is_member: bool
    pending_request: GroupJoinRequestOut | None


class GroupJoinIn(Strict):
    message: str = Field(
        default="", max_length=256, description="For the owner and admins, when they approve."
    )


class GroupJoinOut(BaseModel):
    status: Literal["joined", "pending"]
    conversation: ConversationOut | None = None
    request: GroupJoinRequestOut | None = None


QR_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {"image/svg+xml": {}}, "description": "The invite link as a QR code."}
}


@router.get(f"{BASE}/invite-link", response_model=InviteLinkEnvelope)
async def get_invite_link(
    conversation_id: IdPath, user: UserDep, services: ServicesDep
) -> InviteLinkEnvelope:
    """The group's live invite link, if any (owner and admins)."""
    link = await services.group_invites.get_link(user, conversation_id)
    return InviteLinkEnvelope(link=None if link is None else InviteLinkOut(**link))


@router.post(f"{BASE}/invite-link", status_code=status.HTTP_201_CREATED, response_model=InviteLinkOut)
async def create_invite_link(
    conversation_id: IdPath, body: InviteLinkIn, user: UserDep, services: ServicesDep
) -> InviteLinkOut:
    """A new invite link (owner and admins); the previous one stops working."""
    return InviteLinkOut(
        **await services.group_invites.do_create_link(user, conversation_id, body.expires_in_hours)
    )


@router.delete(f"{BASE}/invite-link", response_model=Ok)
async def revoke_invite_link(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Revoke the group's invite link (owner and admins)."""
    await services.group_invites.do_revoke_link(user, conversation_id)
    return Ok()


@router.get(f"{BASE}/invite-link/qr", response_class=Response, responses=QR_RESPONSE)
async def invite_link_qr(conversation_id: IdPath, user: UserDep, services: ServicesDep) -> Response:
    """The live invite link as a QR code, an SVG image (owner and admins)."""
    svg = await services.group_invites.link_qr_svg(user, conversation_id)
    headers = {
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get(f"{BASE}/join-requests", response_model=list[GroupJoinRequestOut])
async def list_join_requests(
    conversation_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    status: Annotated[Literal["pending", "approved", "rejected"], Query()] = "pending",
) -> list[GroupJoinRequestOut]:
    """Requests to join through the invite link, newest first (owner and admins)."""
    rows = await services.group_invites.list_requests(user, conversation_id, status)
    return [GroupJoinRequestOut(**row) for row in rows]


@router.post(f"{BASE}/join-requests/{{request_id}}/approve", response_model=GroupJoinRequestOut)
async def approve_join_request(
    conversation_id: IdPath, request_id: IdPath, user: UserDep, services: ServicesDep
) -> GroupJoinRequestOut:
    """Approve a request: the requester joins (within the group's member cap)."""
    return GroupJoinRequestOut(
        **await services.group_invites.do_decide(user, conversation_id, request_id, True)
    )


@router.post(f"{BASE}/join-requests/{{request_id}}/reject", response_model=GroupJoinRequestOut)
async def reject_join_request(
    conversation_id: IdPath, request_id: IdPath, user: UserDep, services: ServicesDep
) -> GroupJoinRequestOut:
    """Reject a request."""
    return GroupJoinRequestOut(
        **await services.group_invites.do_decide(user, conversation_id, request_id, False)
    )


@router.get("/group-invitations/{token}", response_model=GroupInvitationOut)
async def preview_group_invitation(
    token: TokenPath, user: UserDep, services: ServicesDep
) -> GroupInvitationOut:
    """What an invite link joins: the group's name and size, whether it asks for approval."""
    return GroupInvitationOut(**await services.group_invites.preview(user, token))


@router.post("/group-invitations/{token}/join", response_model=GroupJoinOut)
async def join_group(
    token: TokenPath, body: GroupJoinIn, user: UserDep, services: ServicesDep
) -> GroupJoinOut:
    """Join through an invite link, or ask to when the group wants approval."""
    return GroupJoinOut(**await services.group_invites.do_join(user, token, body.message))
