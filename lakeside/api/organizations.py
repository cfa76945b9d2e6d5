"""Organizations: create, list mine, settings, roles, leaving, removal and deactivation, and
joining — invitation links and codes, invitations by phone or e-mail, join requests.

Everything about one organization lives under ``/api/v1/orgs/{org_id}/``; "switching" between
organizations is the client choosing which id to use. A non-member gets 404 ``ORG_NOT_FOUND``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, Field

from lakeside.api.deps import OptionalUserDep, ServicesDep, UserDep, client_address
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Ok, Strict, UserOut
from lakeside.api.views import IdPath
from lakeside.domain.inputs import Id, Int32, Text

router = APIRouter(prefix="/api/v1", tags=["organizations"], responses=ERRORS)


class OrgIn(Strict):
    name: str = Field(max_length=256, examples=["湖畔科技"])


class OrgSettingsIn(Strict):
    name: str | None = Field(default=None, max_length=256)
    logo_file_id: str | None = Field(
        default=None, max_length=64, description="An image you uploaded; null removes it."
    )
    invite_policy: Literal["admins", "members"] | None = None
    join_approval: bool | None = None
    recall_window_seconds: Int32 | None = Field(default=None, description="Null: the server default.")
    edit_window_seconds: Int32 | None = Field(default=None, description="Null: the server default.")
    members_see_read_receipts: bool | None = None


class OrgOut(BaseModel):
    id: int
    name: str
    logo_url: str | None
    logo_file_id: str | None
    owner_id: int | None
    invite_policy: str
    join_approval: bool
    recall_window_seconds: int | None
    edit_window_seconds: int | None
    members_see_read_receipts: bool
    all_staff_conversation_id: int | None
    member_count: int
    created_at: int
    my_role: str | None


class MyOrgOut(OrgOut):
    pending_dings: int = Field(description="DINGs waiting for your confirmation.")
    unread_announcements: int
    pending_join_requests: int = Field(description="For admins: join requests to decide.")


class RoleIn(Strict):
    role: Literal["admin", "member"]


class TransferIn(Strict):
    user_id: Id


class MemberStateOut(BaseModel):
    user_id: int
    role: str
    status: str


class InvitationIn(Strict):
    kind: Literal["link", "code"] = Field(
        default="link", description="A long link token or an 8-character code."
    )
    expires_in_hours: Int32 | None = Field(default=None, description="Null: never expires.")
    max_uses: Int32 | None = Field(default=None, description="Null: no limit.")


class InvitationOut(BaseModel):
    id: int
    organization_id: int
    kind: str
    code: str
    url: str
    created_by: int | None
    expires_at: int | None
    max_uses: int | None
    use_count: int
    revoked: bool
    created_at: int


class InvitationPreviewOut(BaseModel):
    """What anyone holding the code may see. The last three are for a logged-in caller (who may
    join anyway) and null for a visitor."""

    name: str
    logo_url: str | None
    member_count: int
    inviter_name: str | None = Field(description="The display name of who made the link or code.")
    organization_id: int | None = None
    join_approval: bool | None = None
    expires_at: int | None = None


class JoinIn(Strict):
    message: str = Field(default="", max_length=256, description="Shown to the admins when approval is on.")


class ContactInvitationIn(Strict):
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=256)


class ContactInvitationOut(BaseModel):
    id: int
    organization_id: int
    phone: str | None
    email: str | None
    name: str | None
    invited_by: int | None
    status: str
    user_id: int | None
    created_at: int
    decided_at: int | None
    organization_name: str | None = None
    organization_logo_url: str | None = None


class JoinRequestOut(BaseModel):
    id: int
    organization_id: int
    organization_name: str
    user: UserOut
    message: str
    status: str
    decided_by: int | None
    created_at: int
    decided_at: int | None


class JoinOut(BaseModel):
    status: Literal["joined", "pending", "declined"]
    organization: OrgOut | None
    join_request: JoinRequestOut | None


# -- organizations ----------------------------------------------------------------------------------


@router.post("/orgs", status_code=status.HTTP_201_CREATED, response_model=OrgOut)
async def create_org(body: OrgIn, user: UserDep, services: ServicesDep) -> OrgOut:
    """Create an organization; you are its owner. Its all-staff group is created with it."""
    return OrgOut(**await services.enterprise.organizations.do_create(user, body.name))


@router.get("/orgs", response_model=list[MyOrgOut])
async def list_my_orgs(user: UserDep, services: ServicesDep) -> list[MyOrgOut]:
    """The organizations you belong to, with badges (pending DINGs, unread announcements)."""
    return [MyOrgOut(**row) for row in await services.enterprise.organizations.list_mine(user)]


@router.get("/orgs/{org_id}", response_model=OrgOut)
async def get_org(org_id: IdPath, user: UserDep, services: ServicesDep) -> OrgOut:
    """One organization's profile and settings."""
    return OrgOut(**await services.enterprise.organizations.get(user, org_id))


@router.patch("/orgs/{org_id}", response_model=OrgOut)
async def update_org(org_id: IdPath, body: OrgSettingsIn, user: UserDep, services: ServicesDep) -> OrgOut:
    """Change settings (admins). Send only what changes; null resets a window to the default."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "invite_policy", "join_approval", "members_see_read_receipts"):
        if field in changes and changes[field] is None:
            del changes[field]
    return OrgOut(**await services.enterprise.organizations.do_update(user, org_id, changes))


@router.put("/orgs/{org_id}/members/{user_id}/role", response_model=MemberStateOut)
async def set_org_role(
    org_id: IdPath, user_id: IdPath, body: RoleIn, user: UserDep, services: ServicesDep
) -> MemberStateOut:
    """Appoint or dismiss an admin (the owner only)."""
    return MemberStateOut(
        **await services.enterprise.organizations.do_set_role(user, org_id, user_id, body.role)
    )


@router.post("/orgs/{org_id}/transfer", response_model=OrgOut)
async def transfer_org(org_id: IdPath, body: TransferIn, user: UserDep, services: ServicesDep) -> OrgOut:
    """Hand the organization to another member; you become an admin."""
    return OrgOut(**await services.enterprise.organizations.do_transfer(user, org_id, body.user_id))


@router.post("/orgs/{org_id}/leave", response_model=Ok)
async def leave_org(org_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Leave the organization (the owner transfers it first). You leave its groups too."""
    await services.enterprise.organizations.do_leave(user, org_id)
    return Ok()


@router.delete("/orgs/{org_id}/members/{user_id}", response_model=Ok)
async def remove_member(org_id: IdPath, user_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Remove a member (admins; only the owner removes admins). Access ends at once; their
    messages stay."""
    await services.enterprise.organizations.do_remove(user, org_id, user_id)
    return Ok()


@router.post("/orgs/{org_id}/members/{user_id}/deactivate", response_model=MemberStateOut)
async def deactivate_member(
    org_id: IdPath, user_id: IdPath, user: UserDep, services: ServicesDep
) -> MemberStateOut:
    """Deactivate a member: like removal, but the profile stays for a later reactivation."""
    return MemberStateOut(
        **await services.enterprise.organizations.do_set_active(user, org_id, user_id, False)
    )


@router.post("/orgs/{org_id}/members/{user_id}/reactivate", response_model=MemberStateOut)
async def reactivate_member(
    org_id: IdPath, user_id: IdPath, user: UserDep, services: ServicesDep
) -> MemberStateOut:
    """Reactivate a deactivated member; they rejoin the all-staff group."""
    return MemberStateOut(
        **await services.enterprise.organizations.do_set_active(user, org_id, user_id, True)
    )


# -- invitation links and codes ---------------------------------------------------------------------


@router.post(
    "/orgs/{org_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationOut,
    dependencies=[limited("invitations")],
)
async def create_invitation(
    org_id: IdPath, body: InvitationIn, user: UserDep, services: ServicesDep
) -> InvitationOut:
    """Create an invitation link or code (admins, or every member if the organization allows)."""
    row = await services.enterprise.invitations.do_create(
        user, org_id, kind=body.kind, expires_in_hours=body.expires_in_hours, max_uses=body.max_uses
    )
    return InvitationOut(**row)


@router.get("/orgs/{org_id}/invitations", response_model=list[InvitationOut])
async def list_invitations(org_id: IdPath, user: UserDep, services: ServicesDep) -> list[InvitationOut]:
    """Invitation links and codes: all of them for admins, your own for members."""
    return [InvitationOut(**row) for row in await services.enterprise.invitations.list(user, org_id)]


@router.delete("/orgs/{org_id}/invitations/{invitation_id}", response_model=Ok)
async def revoke_invitation(
    org_id: IdPath, invitation_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Revoke a link or code; it stops working at once."""
    await services.enterprise.invitations.do_revoke(user, org_id, invitation_id)
    return Ok()


@router.get("/org-invitations/{code}", response_model=InvitationPreviewOut)
async def preview_invitation(
    code: Annotated[Text, Path(max_length=64)],
    user: OptionalUserDep,
    services: ServicesDep,
    request: Request,
) -> InvitationPreviewOut:
    """What an invitation leads to, before joining: public, so that a newcomer sees which company
    invites them before signing up. Rate limited per address (``invitation_previews``)."""
    preview = await services.enterprise.invitations.preview(code, user, address=client_address(request))
    return InvitationPreviewOut(**preview)


@router.post("/org-invitations/{code}/join", response_model=JoinOut)
async def join_by_invitation(
    code: str, body: JoinIn, request: Request, user: UserDep, services: ServicesDep
) -> JoinOut:
    """Join through a link or code: ``joined`` at once, or ``pending`` when admins approve joins.
    Rate limited per user and address, with look-ups (``invitation_previews``)."""
    invitations = services.enterprise.invitations
    return JoinOut(**await invitations.do_join(user, code, body.message, address=client_address(request)))


# -- invitations by phone or e-mail ---------------------------------------------------------------


@router.post(
    "/orgs/{org_id}/contact-invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactInvitationOut,
    dependencies=[limited("invitations")],
)
async def invite_contact(
    org_id: IdPath, body: ContactInvitationIn, user: UserDep, services: ServicesDep
) -> ContactInvitationOut:
    """Invite a phone number or e-mail address. Whoever holds it (now or after registering) sees
    the invitation in ``GET /api/v1/me/org-invitations`` and may accept it."""
    row = await services.enterprise.invitations.do_invite_contact(
        user, org_id, phone=body.phone, email=body.email, name=body.name
    )
    return ContactInvitationOut(**row)


@router.get("/orgs/{org_id}/contact-invitations", response_model=list[ContactInvitationOut])
async def list_contact_invitations(
    org_id: IdPath, user: UserDep, services: ServicesDep
) -> list[ContactInvitationOut]:
    """Invitations by phone or e-mail, with their state."""
    rows = await services.enterprise.invitations.list_contact_invitations(user, org_id)
    return [ContactInvitationOut(**row) for row in rows]


@router.delete("/orgs/{org_id}/contact-invitations/{invitation_id}", response_model=Ok)
async def revoke_contact_invitation(
    org_id: IdPath, invitation_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Withdraw a pending invitation by phone or e-mail."""
    await services.enterprise.invitations.do_revoke_contact_invitation(user, org_id, invitation_id)
    return Ok()


@router.get("/me/org-invitations", response_model=list[ContactInvitationOut])
async def my_org_invitations(user: UserDep, services: ServicesDep) -> list[ContactInvitationOut]:
    """Pending invitations addressed to your phone number or e-mail address."""
    return [ContactInvitationOut(**row) for row in await services.enterprise.invitations.list_mine(user)]


@router.post("/me/org-invitations/{invitation_id}/accept", response_model=JoinOut)
async def accept_org_invitation(invitation_id: IdPath, user: UserDep, services: ServicesDep) -> JoinOut:
    """Accept an invitation addressed to you."""
    return JoinOut(**await services.enterprise.invitations.do_answer(user, invitation_id, accept=True))


@router.post("/me/org-invitations/{invitation_id}/decline", response_model=JoinOut)
async def decline_org_invitation(invitation_id: IdPath, user: UserDep, services: ServicesDep) -> JoinOut:
    """Decline an invitation addressed to you."""
    return JoinOut(**await services.enterprise.invitations.do_answer(user, invitation_id, accept=False))


# -- join requests ----------------------------------------------------------------------------------


@router.get("/orgs/{org_id}/join-requests", response_model=list[JoinRequestOut])
async def list_join_requests(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    status_filter: Annotated[
        Text | None, Query(alias="status", description="pending, approved, rejected, cancelled")
    ] = "pending",
) -> list[JoinRequestOut]:
    """Requests to join (admins), pending ones by default."""
    rows = await services.enterprise.invitations.list_requests(user, org_id, status_filter)
    return [JoinRequestOut(**row) for row in rows]


@router.post("/orgs/{org_id}/join-requests/{request_id}/approve", response_model=JoinRequestOut)
async def approve_join_request(
    org_id: IdPath, request_id: IdPath, user: UserDep, services: ServicesDep
) -> JoinRequestOut:
    """Approve a request: the person joins at once."""
    return JoinRequestOut(
        **await services.enterprise.invitations.do_decide(user, org_id, request_id, approve=True)
    )


@router.post("/orgs/{org_id}/join-requests/{request_id}/reject", response_model=JoinRequestOut)
async def reject_join_request(
    org_id: IdPath, request_id: IdPath, user: UserDep, services: ServicesDep
) -> JoinRequestOut:
    """Turn a request down."""
    return JoinRequestOut(
        **await services.enterprise.invitations.do_decide(user, org_id, request_id, approve=False)
    )


@router.get("/me/org-join-requests", response_model=list[JoinRequestOut])
async def my_join_requests(user: UserDep, services: ServicesDep) -> list[JoinRequestOut]:
    """Your requests to join organizations, newest first."""
    return [JoinRequestOut(**row) for row in await services.enterprise.invitations.list_my_requests(user)]


@router.delete("/me/org-join-requests/{request_id}", response_model=Ok)
async def cancel_join_request(request_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Withdraw your pending request."""
    await services.enterprise.invitations.do_cancel_request(user, request_id)
    return Ok()
