"""Events of the enterprise products: organizations and their members, the directory, joining,
DING and announcements.

Organization-wide news goes to the organization's all-staff group (``orgaccess.emit_to_org``),
whose members are exactly its active members, and names the organization (``organization_id``);
an organization without an all-staff group emits none of it. The rest goes to the people
concerned.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import Event, declare, shared

ALL_STAFF = "the all-staff group"
SENDER = "the sender"
# An announcement to the whole organization goes on its all-staff group (to each member when
# there is none); one to departments goes to each person in them.
ANNOUNCEMENT_AUDIENCE = "the all-staff group (whole organization) or each person in the targeted departments"

# -- organizations and their members -----------------------------------------------------------


@shared
class Organization(Event):
    """An organization as ``GET /api/v1/orgs/{id}`` returns it (``organization_view``)."""

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


@declare("organization", "joined", to="users", addressed_to="the new member")
class OrganizationJoined(Organization):
    """the organization (as `GET /api/v1/orgs/{id}`), with `my_role`"""


@declare("organization", "removed", to="users", addressed_to="the departed member")
class OrganizationRemoved(Event):
    """`{organization_id, by}`: removed, deactivated or left; every org endpoint now answers 404"""

    organization_id: int
    by: int


@declare("organization", "updated", to="conversation", addressed_to=ALL_STAFF)
class OrganizationUpdated(Organization):
    """the organization's settings (as `GET /api/v1/orgs/{id}`, `my_role` null) and
    `organization_id`"""

    organization_id: int


@shared
class OrgMembership(Event):
    """Someone's membership began or ended, and who did it."""

    organization_id: int
    user_id: int
    by: int


@declare("org_member", "added", to="conversation", addressed_to=ALL_STAFF)
class OrgMemberAdded(OrgMembership):
    """`{organization_id, user_id, by}`"""


@declare("org_member", "removed", to="conversation", addressed_to=ALL_STAFF)
class OrgMemberRemoved(OrgMembership):
    """`{organization_id, user_id, by}`: removed, deactivated or left"""


@declare("org_member", "updated", to="conversation", addressed_to=ALL_STAFF)
class OrgMemberUpdated(Event):
    """`{user_id, organization_id}`: profile or departments changed; refetch the member"""

    user_id: int
    organization_id: int


@declare("org_member", "role", to="conversation", addressed_to=ALL_STAFF)
class OrgMemberRole(Event):
    """`{organization_id, user_id, role}`"""

    organization_id: int
    user_id: int
    role: str


# -- the directory ------------------------------------------------------------------------------


@shared
class Department(Event):
    """A department as ``GET /api/v1/orgs/{id}/departments`` lists it (``department_view``)."""

    id: int
    organization_id: int
    parent_id: int | None
    name: str
    depth: int
    sort_order: int
    member_count: int
    leader_ids: list[int]
    conversation_id: int | None


@declare("department", "created", to="conversation", addressed_to=ALL_STAFF)
class DepartmentCreated(Department):
    """the department (as `GET /api/v1/orgs/{id}/departments` lists it)"""


@declare("department", "updated", to="conversation", addressed_to=ALL_STAFF)
class DepartmentUpdated(Department):
    """the department as it is now: renamed, moved, re-ordered, or its leaders changed"""


@declare("department", "deleted", to="conversation", addressed_to=ALL_STAFF)
class DepartmentDeleted(Event):
    """`{id, organization_id}`"""

    id: int
    organization_id: int


# -- joining ------------------------------------------------------------------------------------


@shared
class JoinRequest(Event):
    """A request to join (``join_request_view``); ``user`` is the requester's public profile."""

    id: int
    organization_id: int
    organization_name: str
    user: dict[str, Any]
    message: str
    status: str
    decided_by: int | None
    created_at: int
    decided_at: int | None


@declare("join_request", "created", to="users", addressed_to="each admin of the organization")
class JoinRequestCreated(JoinRequest):
    """the join request `{id, organization_id, organization_name, user, message, status,
    decided_by, created_at, decided_at}`"""


@declare("join_request", "decided", to="users", addressed_to="the requester")
class JoinRequestDecided(JoinRequest):
    """the join request, `status` approved or rejected"""


@declare(
    "org_invitation",
    "received",
    to="users",
    addressed_to="the account holding the invited phone or e-mail",
)
class OrgInvitationReceived(Event):
    """the invitation by phone or e-mail, with `organization_name` and `organization_logo_url`"""

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
    organization_name: str
    organization_logo_url: str | None


# -- DING ---------------------------------------------------------------------------------------


@shared
class Ding(Event):
    """A DING (``ding_view``): its text as it is now (empty, ``recalled``, once the message it was
    made from is recalled), its state and counts."""

    id: int
    organization_id: int
    sender_id: int | None
    body: str
    recalled: bool
    message_id: int | None
    conversation_id: int | None
    announcement_id: int | None
    status: str
    send_at: int
    sent_at: int | None
    recipient_count: int
    confirmed_count: int
    created_at: int
    confirmed_at: int | None


@declare("ding", "created", to="users", addressed_to="each recipient and the sender")
class DingCreated(Ding):
    """the DING (pin it until confirmed)"""


@declare("ding", "scheduled", to="users", addressed_to=SENDER)
class DingScheduled(Ding):
    """the DING, `status` scheduled: it is sent at `send_at`"""


@declare("ding", "cancelled", to="users", addressed_to=SENDER)
class DingCancelled(Event):
    """`{ding_id}`: the scheduled DING will not be sent"""

    ding_id: int


@declare("ding", "confirmed", to="users", addressed_to="the sender and the confirming recipient")
class DingConfirmed(Event):
    """`{ding_id, user_id, confirmed_at, confirmed_count}`"""

    ding_id: int
    user_id: int
    confirmed_at: int
    confirmed_count: int


@declare("ding", "renotified", to="users", addressed_to="the recipient")
class DingRenotified(Ding):
    """the DING, again: a re-DING or the in-app escalation step"""


@declare("ding", "attempt", to="users", addressed_to=SENDER)
class DingAttempt(Event):
    """one delivery attempt and its outcome `{id, ding_id, user_id, channel, trigger, status,
    detail, created_at, finished_at}`"""

    id: int
    ding_id: int
    user_id: int
    channel: str
    trigger: str
    status: str
    detail: str
    created_at: int
    finished_at: int | None


# -- announcements ------------------------------------------------------------------------------


@shared
class Announcement(Event):
    """An announcement (``announcement_view``); ``read_at`` is null in events."""

    id: int
    organization_id: int
    author_id: int | None
    title: str
    body: str
    html: str
    pinned: bool
    audience: str
    department_ids: list[int]
    ding_id: int | None
    created_at: int
    updated_at: int
    read_at: int | None


@declare("announcement", "published", to=("conversation", "users"), addressed_to=ANNOUNCEMENT_AUDIENCE)
class AnnouncementPublished(Announcement):
    """the announcement"""


@declare("announcement", "updated", to=("conversation", "users"), addressed_to=ANNOUNCEMENT_AUDIENCE)
class AnnouncementUpdated(Announcement):
    """the announcement as it is now"""


@declare("announcement", "deleted", to=("conversation", "users"), addressed_to="as `published`")
class AnnouncementDeleted(Event):
    """`{id, organization_id, audience}`"""

    id: int
    organization_id: int
    audience: str


@declare("announcement", "read", to="users", addressed_to="the reader and the author")
class AnnouncementRead(Event):
    """`{announcement_id, user_id}`"""

    announcement_id: int
    user_id: int
