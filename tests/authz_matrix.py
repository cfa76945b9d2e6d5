"""The authorization matrix: for every operation of the OpenAPI document, what each role gets.

Roles, relative to organization A of the fixture world (tests/authz_world.py):

- ``owner``, ``admin``, ``member``: A's owner, an admin, a plain member (seated in a department,
  author of the messages and the file in A's all-staff group).
- ``external``: the guest. lakeside has no guest accounts inside an organization; a guest is what
  DingTalk calls an external contact: a registered user who is *connected to a member but not in
  the organization* — here a friend of ``member`` with a direct chat with them. Everything of A is
  closed to them exactly as to a stranger; only what is addressed to them personally (the direct
  chat, their friendship) is theirs.
- ``non_member``: a registered user with no relation to anyone in A.
- ``other_org``: the owner of organization B (an admin elsewhere has no rights in A).
- ``deactivated``: a former colleague whose membership of A an admin deactivated (the row stays
  for a reactivation, every right is gone).
- ``logged_out``: no session.

Outcomes: ``allow`` (2xx); ``404`` / ``403`` / ``401`` (denied, with an error body and none of the
protected data); ``refused:CODE`` (the caller passed the access check and met a business rule,
answered with that error code — e.g. the owner may not leave). Default deny: an operation without
a row fails the test, naming it.

A row may ``prepare`` each call (``World.prep_*``): a fresh target or caller for calls that consume
what they act on (removing a member, leaving, recalling a message, logging out), so the world stays
the same for every other call. Calls run with the denied roles first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALLOW, D401, D403, D404 = "allow", "401", "403", "404"
IN_ORG = ("owner", "admin", "member")
OUTSIDERS = ("external", "non_member", "other_org", "deactivated")


def outcomes(**by_role: str) -> dict[str, str]:
    return by_role


PUBLIC = {role: ALLOW for role in (*IN_ORG, *OUTSIDERS, "logged_out")}
ANY_USER = {**{role: ALLOW for role in (*IN_ORG, *OUTSIDERS)}, "logged_out": D401}
ORG_MEMBER = {**{r: ALLOW for r in IN_ORG}, **{r: D404 for r in OUTSIDERS}, "logged_out": D401}
ORG_ADMIN = {**ORG_MEMBER, "member": D403}
ORG_OWNER = {**ORG_ADMIN, "admin": D403}
# Something that belongs to one member of A (their session, a request addressed to them).
MEMBERS_OWN = {**{r: D404 for r in (*IN_ORG, *OUTSIDERS)}, "member": ALLOW, "logged_out": D401}
NOBODYS = {**{r: D404 for r in (*IN_ORG, *OUTSIDERS)}, "logged_out": D401}
SERVER_ADMIN = {**{r: D403 for r in (*IN_ORG, *OUTSIDERS)}, "logged_out": D401}
# What a group's owner and admins do (pins, the notice, mute, invite links): its members are refused.
GROUP_MANAGER = {**ORG_MEMBER, "member": D403}
# An organization's bot: its owner and admins manage it; to anyone else it does not exist.
BOT_MANAGER = {**ORG_MEMBER, "member": D404}
# A to-do: its creator (the member) and its assignee (the admin); to anyone else it does not exist.
TODO_INVOLVED = {**ORG_MEMBER, "owner": D404}
# What a bot's API token does (reply to a command, post a card): every person is refused.
BOTS_ONLY = {**{r: "refused:BOTS_ONLY" for r in (*IN_ORG, *OUTSIDERS)}, "logged_out": D401}


def everyone_refused(code: str) -> dict[str, str]:
    """Everyone, logged in or not, meets the business rule ``code`` (about their own account)."""
    return {role: f"refused:{code}" for role in (*IN_ORG, *OUTSIDERS, "logged_out")}


def with_(base: dict[str, str], **changes: str) -> dict[str, str]:
    return {**base, **changes}


def refusing(code: str) -> dict[str, str]:
    """Members of A get past the access check and meet a business rule; outsiders get 404."""
    return with_(ORG_MEMBER, **{role: f"refused:{code}" for role in IN_ORG})


Body = dict[str, Any] | Callable[[Any, str, Any], dict[str, Any]] | None


@dataclass(frozen=True)
class Case:
    expect: dict[str, str]
    body: Body = None
    query: dict[str, Any] = field(default_factory=dict)
    prepare: str | None = None  # a World.prep_<name> method, run before each call
    upload: bool = False  # multipart body with an image
    public_data: bool = False  # the answer may name the organization (an invitation's preview)


# A daily report (日志) the member sent to the admin: its author and its receiver read it.
REPORT_READERS = with_(ORG_MEMBER, owner=D404)
REPORT_AUTHOR = with_(ORG_MEMBER, owner=D404, admin=D404)


def report_to_someone(world: Any, role: str, caller: Any) -> dict[str, Any]:
    target = world.people["admin" if role == "member" else "member"]
    return {"template_id": world.ids["report_template_id"], "answers": {"done": "x"}, "user_ids": [target.id]}


def report_template_body(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"template_id": world.ids["report_template_id"]}


def recipient(world: Any, role: str, caller: Any) -> dict[str, Any]:
    target = world.people["admin" if role == "member" else "member"]
    return {"recipient_ids": [target.id], "body": "x"}


def unique_org(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"name": world.unique("公司")}


def unique_department(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"name": world.unique("部门")}


def unique_email(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"email": f"{world.unique('x')}@example.com"}


def self_target(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"user_id": caller.id if caller is not None else 1}


def new_account(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"username": world.unique("new"), "password": "correct horse battery"}


def bystander_login(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"login": world.ids["bystander_username"], "password": "correct horse battery"}


def bystander(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"user_id": world.ids["bystander_id"]}


def bystander_ids(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"user_ids": [world.ids["bystander_id"]]}


# Approvals: the owner decides the member's request; others meet the request's state.
APPROVER_ONLY = with_(ORG_MEMBER, admin="refused:APPROVAL_NOT_PENDING", member="refused:APPROVAL_NOT_PENDING")
APPLICANT_ONLY = with_(ORG_MEMBER, owner="refused:APPROVAL_NOT_PENDING", admin="refused:APPROVAL_NOT_PENDING")


def approval_template(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {
        "name": world.unique("模板"),
        "form": {"fields": [{"key": "what", "type": "text", "label": "事项"}]},
        "flow": {"steps": [{"approvers": [{"kind": "leader", "level": 1}]}]},
    }


def approval_request(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"template_id": world.ids["template_id"], "values": {"title": "申请", "detail": "x"}}


def bystander_in_org(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"user_id": world.people["admin"].id}


def admin_after(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"user_ids": [world.people["admin"].id], "position": "after"}


def unique_role(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"name": world.unique("角色")[:32]}


def campaign_spec(world: Any, role: str, caller: Any) -> dict[str, Any]:
    from tests.campaign_support import spec

    return spec(name=world.unique("大赛"))


def world_message(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"message_id": world.ids["message_id"]}


def forward_world_message(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {
        "client_msg_id": world.unique("fw"),
        "message_ids": [world.ids["message_id"]],
        "conversation_ids": [world.ids["conversation_id"]],
    }


def world_group(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"conversation_id": world.ids["group_id"]}


def new_message(world: Any, role: str, caller: Any) -> dict[str, Any]:
    return {"client_msg_id": world.unique("c"), "body": "hello"}


MATRIX: dict[tuple[str, str], Case] = {
    # -- health and accounts ------------------------------------------------------------------
    ("get", "/healthz"): Case(PUBLIC),
    ("post", "/api/v1/auth/register"): Case(PUBLIC, body=new_account),
    ("post", "/api/v1/auth/login"): Case(PUBLIC, body=bystander_login),
    ("post", "/api/v1/auth/logout"): Case(ANY_USER, prepare="fresh_session"),
    ("get", "/api/v1/auth/sessions"): Case(ANY_USER),
    ("delete", "/api/v1/auth/sessions/{session_id}"): Case(MEMBERS_OWN),
    ("get", "/api/v1/me"): Case(ANY_USER),
    ("patch", "/api/v1/me"): Case(ANY_USER, body={}),
    ("post", "/api/v1/me/password"): Case(
        ANY_USER, body={"current_password": "correct horse battery", "new_password": "correct horse battery"}
    ),
    # Proving one's own address: the world's people have none on file, so each meets that rule.
    ("post", "/api/v1/me/email/verify"): Case(with_(everyone_refused("NO_ADDRESS"), logged_out=D401)),
    ("post", "/api/v1/me/phone/verify"): Case(with_(everyone_refused("NO_ADDRESS"), logged_out=D401)),
    ("post", "/api/v1/me/phone/confirm"): Case(
        with_(everyone_refused("CODE_EXPIRED"), logged_out=D401), body={"code": "000000"}
    ),
    # The e-mailed link's token is the credential: anyone may present one.
    ("post", "/api/v1/auth/verify-email"): Case(everyone_refused("LINK_EXPIRED"), body={"token": "forged"}),
    # Deleting one's account: checked with a wrong password, so that the world stays (the deletion
    # itself: tests/test_privacy.py).
    ("post", "/api/v1/me/deletion"): Case(
        {**{r: "refused:BAD_CREDENTIALS" for r in (*IN_ORG, *OUTSIDERS)}, "logged_out": D401},
        body={"password": "not the password"},
    ),
    # Exports of one's own data: each caller's own; a download only the member's (queued: not ready).
    ("post", "/api/v1/me/exports"): Case(ANY_USER),
    ("get", "/api/v1/me/exports"): Case(ANY_USER),
    ("get", "/api/v1/me/exports/{export_id}/download"): Case(
        with_(MEMBERS_OWN, member="refused:EXPORT_NOT_READY"), prepare="members_export"
    ),
    ("get", "/api/v1/users/lookup"): Case(ANY_USER, query={"q": "wangwu"}),
    ("get", "/api/v1/users/{user_id}"): Case(ANY_USER),
    # -- friends and blocks (each caller's own) -------------------------------------------------
    ("post", "/api/v1/friends/requests"): Case(ANY_USER, body=bystander),
    ("get", "/api/v1/friends/requests"): Case(ANY_USER),
    ("post", "/api/v1/friends/requests/{request_id}/accept"): Case(MEMBERS_OWN, prepare="request_to_member"),
    ("post", "/api/v1/friends/requests/{request_id}/decline"): Case(MEMBERS_OWN, prepare="request_to_member"),
    ("post", "/api/v1/friends/requests/{request_id}/cancel"): Case(MEMBERS_OWN, prepare="request_by_member"),
    ("get", "/api/v1/friends"): Case(ANY_USER),
    # The member's friend is the guest: only they may set a remark on the member.
    ("patch", "/api/v1/friends/{user_id}"): Case(with_(NOBODYS, external=ALLOW), body={"remark": "老王"}),
    ("delete", "/api/v1/friends/{user_id}"): Case(ANY_USER, prepare="friend_of_caller"),
    ("get", "/api/v1/blocks"): Case(ANY_USER),
    ("put", "/api/v1/blocks/{user_id}"): Case(ANY_USER, prepare="bystander_target"),
    ("delete", "/api/v1/blocks/{user_id}"): Case(ANY_USER, prepare="bystander_target"),
    # -- conversations: {conversation_id} is A's all-staff group --------------------------------
    ("get", "/api/v1/conversations"): Case(ANY_USER),
    ("post", "/api/v1/conversations"): Case(ANY_USER, body={"title": "新群", "member_ids": []}),
    ("post", "/api/v1/conversations/direct"): Case(ANY_USER, prepare="friend_to_message"),
    ("get", "/api/v1/conversations/{conversation_id}"): Case(ORG_MEMBER),
    # The all-staff group is named after the organization and follows the directory: nobody
    # renames it, adds, removes or leaves it, or hands it over by hand.
    ("patch", "/api/v1/conversations/{conversation_id}"): Case(
        refusing("NOT_A_GROUP"), body={"title": "全员群"}
    ),
    ("put", "/api/v1/conversations/{conversation_id}/settings"): Case(ORG_MEMBER, body={"pinned": True}),
    # A draft is the caller's own, in a conversation they are in.
    ("get", "/api/v1/conversations/{conversation_id}/draft"): Case(ORG_MEMBER),
    ("put", "/api/v1/conversations/{conversation_id}/draft"): Case(ORG_MEMBER, body={"text": "草稿"}),
    ("get", "/api/v1/conversations/{conversation_id}/members"): Case(ORG_MEMBER),
    ("post", "/api/v1/conversations/{conversation_id}/members"): Case(
        refusing("NOT_A_GROUP"), body=bystander_ids
    ),
    # {user_id} is the member: for them removing themselves is leaving, which for an
    # organization's group is done by leaving the organization.
    ("delete", "/api/v1/conversations/{conversation_id}/members/{user_id}"): Case(
        with_(refusing("NOT_A_GROUP"), member="refused:ORG_GROUP_MEMBERSHIP")
    ),
    ("post", "/api/v1/conversations/{conversation_id}/leave"): Case(refusing("ORG_GROUP_MEMBERSHIP")),
    ("put", "/api/v1/conversations/{conversation_id}/members/{user_id}/role"): Case(
        refusing("NOT_GROUP_OWNER"), body={"role": "member"}
    ),
    ("post", "/api/v1/conversations/{conversation_id}/transfer"): Case(
        refusing("NOT_GROUP_OWNER"), body=self_target
    ),
    ("post", "/api/v1/conversations/{conversation_id}/messages"): Case(ORG_MEMBER, body=new_message),
    ("get", "/api/v1/conversations/{conversation_id}/messages"): Case(ORG_MEMBER),
    ("post", "/api/v1/conversations/{conversation_id}/read"): Case(ORG_MEMBER, body={"seq": 1}),
    # -- messages: {message_id} is the member's message in the all-staff group ------------------
    ("get", "/api/v1/messages/{message_id}"): Case(ORG_MEMBER),
    ("patch", "/api/v1/messages/{message_id}"): Case(
        with_(ORG_MEMBER, owner=D403, admin=D403), body={"body": "机密内容 alpha"}
    ),
    ("post", "/api/v1/messages/{message_id}/recall"): Case(ORG_MEMBER, prepare="fresh_message"),
    # Forwarding (issue 14): the world's message into its own group; the world's merged record and
    # voice message, opened and played by those who see the group.
    ("post", "/api/v1/messages/forward"): Case(ORG_MEMBER, body=forward_world_message),
    ("get", "/api/v1/messages/{message_id}/record"): Case(ORG_MEMBER, prepare="world_record"),
    ("post", "/api/v1/messages/{message_id}/played"): Case(ORG_MEMBER, prepare="world_voice"),
    ("put", "/api/v1/messages/{message_id}/reactions/{emoji}"): Case(ORG_MEMBER),
    ("delete", "/api/v1/messages/{message_id}/reactions/{emoji}"): Case(ORG_MEMBER),
    # Who has read a message is for its sender.
    ("get", "/api/v1/messages/{message_id}/receipts"): Case(with_(ORG_MEMBER, owner=D404, admin=D404)),
    # -- group tools on A's all-staff group, whose owner and admins are A's (issue 14) ------------
    ("get", "/api/v1/conversations/{conversation_id}/pins"): Case(ORG_MEMBER),
    ("put", "/api/v1/conversations/{conversation_id}/pins/{message_id}"): Case(GROUP_MANAGER),
    ("delete", "/api/v1/conversations/{conversation_id}/pins/{message_id}"): Case(GROUP_MANAGER),
    ("get", "/api/v1/conversations/{conversation_id}/notice"): Case(ORG_MEMBER),
    ("put", "/api/v1/conversations/{conversation_id}/notice"): Case(GROUP_MANAGER, body={"body": "通知"}),
    ("delete", "/api/v1/conversations/{conversation_id}/notice"): Case(GROUP_MANAGER),
    ("post", "/api/v1/conversations/{conversation_id}/notice/ack"): Case(
        ORG_MEMBER, prepare="current_notice"
    ),
    ("get", "/api/v1/conversations/{conversation_id}/notice/readers"): Case(
        GROUP_MANAGER, prepare="current_notice"
    ),
    # Off, so that the world's members may still send in the calls after it.
    ("put", "/api/v1/conversations/{conversation_id}/mute-all"): Case(GROUP_MANAGER, body={"enabled": False}),
    ("put", "/api/v1/conversations/{conversation_id}/members/{user_id}/mute"): Case(
        GROUP_MANAGER, body={"duration_seconds": 60}, prepare="fresh_target"
    ),
    ("delete", "/api/v1/conversations/{conversation_id}/members/{user_id}/mute"): Case(
        GROUP_MANAGER, prepare="fresh_target"
    ),
    # Invite links and join requests: of the world's plain group (an all-staff group has none),
    # whose owner is A's owner, whose admin is A's admin and whose member is A's member.
    ("get", "/api/v1/conversations/{conversation_id}/invite-link"): Case(GROUP_MANAGER, prepare="in_group"),
    ("post", "/api/v1/conversations/{conversation_id}/invite-link"): Case(
        GROUP_MANAGER, body={}, prepare="in_group"
    ),
    ("delete", "/api/v1/conversations/{conversation_id}/invite-link"): Case(
        GROUP_MANAGER, prepare="in_group"
    ),
    ("get", "/api/v1/conversations/{conversation_id}/invite-link/qr"): Case(
        GROUP_MANAGER, prepare="in_group_with_link"
    ),
    # Incoming webhooks (robots) of the world's plain group: its owner and admins manage them (server
    # admins too, tests/test_webhooks.py). The vendor endpoints take no session: the robot's token is
    # the credential, whoever calls (each call posts with a live robot's token; every answer is 200).
    ("get", "/api/v1/conversations/{conversation_id}/webhooks"): Case(GROUP_MANAGER, prepare="in_group"),
    ("post", "/api/v1/conversations/{conversation_id}/webhooks"): Case(
        GROUP_MANAGER, body={"dialect": "dingtalk", "name": "机器人"}, prepare="in_group"
    ),
    ("patch", "/api/v1/webhooks/{webhook_id}"): Case(
        GROUP_MANAGER, body={"name": "改名的机器人"}, prepare="group_webhook"
    ),
    ("delete", "/api/v1/webhooks/{webhook_id}"): Case(GROUP_MANAGER, prepare="fresh_group_webhook"),
    ("post", "/robot/send"): Case(PUBLIC, prepare="dingtalk_hook"),
    ("post", "/hooks/{key}"): Case(PUBLIC, prepare="slack_hook"),
    ("post", "/cgi-bin/webhook/send"): Case(PUBLIC, prepare="wecom_hook"),
    ("post", "/open-apis/bot/v2/hook/{token}"): Case(PUBLIC, prepare="feishu_hook"),
    ("get", "/api/v1/conversations/{conversation_id}/join-requests"): Case(GROUP_MANAGER, prepare="in_group"),
    ("post", "/api/v1/conversations/{conversation_id}/join-requests/{request_id}/approve"): Case(
        GROUP_MANAGER, prepare="fresh_group_join_request"
    ),
    ("post", "/api/v1/conversations/{conversation_id}/join-requests/{request_id}/reject"): Case(
        GROUP_MANAGER, prepare="fresh_group_join_request"
    ),
    # Whoever holds a link sees what it joins and joins (the group's people are in already).
    ("get", "/api/v1/group-invitations/{token}"): Case(
        with_(PUBLIC, logged_out=D401), prepare="group_token", public_data=True
    ),
    ("post", "/api/v1/group-invitations/{token}/join"): Case(
        with_(
            PUBLIC,
            owner="refused:ALREADY_MEMBER",
            admin="refused:ALREADY_MEMBER",
            member="refused:ALREADY_MEMBER",
            logged_out=D401,
        ),
        body={},
        prepare="group_joiner",
        public_data=True,
    ),
    # -- favourites: each caller's own; {favorite_id} is the member's --------------------------
    ("get", "/api/v1/favorites"): Case(ANY_USER),
    ("post", "/api/v1/favorites"): Case(ORG_MEMBER, body=world_message),
    ("delete", "/api/v1/favorites/{favorite_id}"): Case(MEMBERS_OWN, prepare="members_favorite"),
    # -- files: {file_id} is attached to a message in the all-staff group ------------------------
    ("post", "/api/v1/files"): Case(ANY_USER, upload=True),
    ("get", "/api/v1/files/{file_id}"): Case(ORG_MEMBER),
    ("get", "/api/v1/files/{file_id}/thumbnail"): Case(ORG_MEMBER),
    ("put", "/api/v1/me/avatar"): Case(ANY_USER, upload=True),
    # -- search, sync, presence: everyone may ask; answers hold only what the caller may see -----
    ("get", "/api/v1/search/messages"): Case(ANY_USER, query={"q": "机密内容"}),
    ("get", "/api/v1/search/conversations"): Case(ANY_USER, query={"q": "湖畔"}),
    ("get", "/api/v1/search/contacts"): Case(ANY_USER, query={"q": "ww"}),
    ("get", "/api/v1/search/files"): Case(ANY_USER, query={"q": "secret file"}),
    ("get", "/api/v1/sync"): Case(ANY_USER, prepare="sync_since_world"),
    ("get", "/api/v1/presence"): Case(ANY_USER, prepare="presence_of_member"),
    # -- organizations ------------------------------------------------------------------------
    ("get", "/api/v1/orgs"): Case(ANY_USER),
    ("post", "/api/v1/orgs"): Case(ANY_USER, body=unique_org),
    ("get", "/api/v1/orgs/{org_id}"): Case(ORG_MEMBER),
    ("patch", "/api/v1/orgs/{org_id}"): Case(ORG_ADMIN, body={"name": "湖畔科技"}),
    ("put", "/api/v1/orgs/{org_id}/members/{user_id}/role"): Case(ORG_OWNER, body={"role": "member"}),
    ("post", "/api/v1/orgs/{org_id}/transfer"): Case(
        with_(ORG_OWNER, owner="refused:ALREADY_OWNER"), body=self_target
    ),
    ("post", "/api/v1/orgs/{org_id}/leave"): Case(
        with_(ORG_MEMBER, owner="refused:OWNER_MUST_TRANSFER"), prepare="fresh_caller"
    ),
    ("delete", "/api/v1/orgs/{org_id}/members/{user_id}"): Case(ORG_ADMIN, prepare="fresh_target"),
    ("get", "/api/v1/orgs/{org_id}/members/{user_id}"): Case(ORG_MEMBER),
    # A member edits their own work phone settings; admins edit anyone's.
    ("patch", "/api/v1/orgs/{org_id}/members/{user_id}"): Case(ORG_MEMBER, body={"hide_phone": False}),
    ("post", "/api/v1/orgs/{org_id}/members/{user_id}/deactivate"): Case(ORG_ADMIN, prepare="fresh_target"),
    ("post", "/api/v1/orgs/{org_id}/members/{user_id}/reactivate"): Case(
        ORG_ADMIN, prepare="fresh_deactivated_target"
    ),
    ("post", "/api/v1/orgs/{org_id}/invitations"): Case(ORG_ADMIN, body={"kind": "code"}),
    ("get", "/api/v1/orgs/{org_id}/invitations"): Case(ORG_ADMIN),
    # A member may revoke only invitations of their own; others' are not found.
    ("delete", "/api/v1/orgs/{org_id}/invitations/{invitation_id}"): Case(
        with_(ORG_ADMIN, member=D404), prepare="fresh_invitation"
    ),
    # Anyone holding a code sees what it joins; that is what a code is for.
    ("get", "/api/v1/org-invitations/{code}"): Case(PUBLIC, public_data=True),
    ("post", "/api/v1/org-invitations/{code}/join"): Case(
        with_(
            PUBLIC,
            owner="refused:ALREADY_MEMBER",
            admin="refused:ALREADY_MEMBER",
            member="refused:ALREADY_MEMBER",
            deactivated="refused:MEMBER_DEACTIVATED",
            logged_out=D401,
        ),
        body={},
        prepare="stand_in_joiner",
        public_data=True,
    ),
    ("post", "/api/v1/orgs/{org_id}/contact-invitations"): Case(ORG_ADMIN, body=unique_email),
    ("get", "/api/v1/orgs/{org_id}/contact-invitations"): Case(ORG_ADMIN),
    ("delete", "/api/v1/orgs/{org_id}/contact-invitations/{invitation_id}"): Case(
        with_(ORG_ADMIN, member=D404), prepare="fresh_contact_invitation"
    ),
    ("get", "/api/v1/me/org-invitations"): Case(ANY_USER),
    ("post", "/api/v1/me/org-invitations/{invitation_id}/accept"): Case(
        NOBODYS, prepare="contact_invitation"
    ),
    ("post", "/api/v1/me/org-invitations/{invitation_id}/decline"): Case(
        NOBODYS, prepare="contact_invitation"
    ),
    ("get", "/api/v1/orgs/{org_id}/join-requests"): Case(ORG_ADMIN),
    ("post", "/api/v1/orgs/{org_id}/join-requests/{request_id}/approve"): Case(
        ORG_ADMIN, prepare="fresh_join_request"
    ),
    ("post", "/api/v1/orgs/{org_id}/join-requests/{request_id}/reject"): Case(
        ORG_ADMIN, prepare="fresh_join_request"
    ),
    ("get", "/api/v1/me/org-join-requests"): Case(ANY_USER),
    ("delete", "/api/v1/me/org-join-requests/{request_id}"): Case(NOBODYS, prepare="fresh_join_request"),
    # -- directory ----------------------------------------------------------------------------
    ("get", "/api/v1/orgs/{org_id}/departments"): Case(ORG_MEMBER),
    ("post", "/api/v1/orgs/{org_id}/departments"): Case(ORG_ADMIN, body=unique_department),
    ("patch", "/api/v1/orgs/{org_id}/departments/{department_id}"): Case(
        ORG_ADMIN, body={"name": "研发中心"}
    ),
    ("delete", "/api/v1/orgs/{org_id}/departments/{department_id}"): Case(
        ORG_ADMIN, prepare="fresh_department"
    ),
    ("get", "/api/v1/orgs/{org_id}/departments/{department_id}/members"): Case(ORG_MEMBER),
    ("put", "/api/v1/orgs/{org_id}/departments/{department_id}/members/{user_id}"): Case(
        ORG_ADMIN, body={"is_leader": False}
    ),
    ("delete", "/api/v1/orgs/{org_id}/departments/{department_id}/members/{user_id}"): Case(
        ORG_ADMIN, prepare="fresh_seated_target"
    ),
    ("get", "/api/v1/orgs/{org_id}/members"): Case(ORG_MEMBER),
    ("put", "/api/v1/orgs/{org_id}/members/{user_id}/departments"): Case(ORG_ADMIN, prepare="department_ids"),
    ("get", "/api/v1/orgs/{org_id}/contacts"): Case(ORG_MEMBER),
    ("post", "/api/v1/orgs/{org_id}/contacts"): Case(ORG_ADMIN, body={"name": "李总"}),
    ("get", "/api/v1/orgs/{org_id}/contacts/{contact_id}"): Case(ORG_MEMBER),
    ("patch", "/api/v1/orgs/{org_id}/contacts/{contact_id}"): Case(ORG_ADMIN, body={"note": "老客户"}),
    ("delete", "/api/v1/orgs/{org_id}/contacts/{contact_id}"): Case(ORG_ADMIN, prepare="fresh_contact"),
    # -- DING: {ding_id} was sent by the admin to the member -----------------------------------
    ("post", "/api/v1/orgs/{org_id}/dings"): Case(ORG_MEMBER, body=recipient),
    ("get", "/api/v1/orgs/{org_id}/dings/pending"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/dings/sent"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/dings/received"): Case(ORG_MEMBER),
    # A DING is seen by its sender and recipients only (others: not found); the recipient may not
    # act as the sender nor the sender as a recipient (403).
    ("get", "/api/v1/orgs/{org_id}/dings/{ding_id}"): Case(with_(ORG_MEMBER, owner=D404)),
    ("delete", "/api/v1/orgs/{org_id}/dings/{ding_id}"): Case(
        with_(ORG_MEMBER, owner=D404, member=D403, admin="refused:DING_ALREADY_SENT")
    ),
    ("post", "/api/v1/orgs/{org_id}/dings/{ding_id}/confirm"): Case(
        with_(ORG_MEMBER, owner=D404, admin=D403)
    ),
    # (The member confirmed just before, in document order.)
    ("post", "/api/v1/orgs/{org_id}/dings/{ding_id}/reding"): Case(
        with_(ORG_MEMBER, owner=D404, member=D403, admin="refused:ALL_CONFIRMED")
    ),
    ("get", "/api/v1/orgs/{org_id}/dings/{ding_id}/attempts"): Case(
        with_(ORG_MEMBER, owner=D404, member=D403)
    ),
    ("get", "/api/v1/orgs/{org_id}/ding-policy"): Case(ORG_ADMIN),
    ("put", "/api/v1/orgs/{org_id}/ding-policy"): Case(ORG_ADMIN, body={"app_after_minutes": 5}),
    # -- announcements ------------------------------------------------------------------------
    ("post", "/api/v1/orgs/{org_id}/announcements"): Case(ORG_ADMIN, body={"title": "通知", "body": "正文"}),
    ("get", "/api/v1/orgs/{org_id}/announcements"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/announcements/{announcement_id}"): Case(ORG_MEMBER),
    ("patch", "/api/v1/orgs/{org_id}/announcements/{announcement_id}"): Case(
        ORG_ADMIN, body={"pinned": False}
    ),
    ("delete", "/api/v1/orgs/{org_id}/announcements/{announcement_id}"): Case(
        ORG_ADMIN, prepare="fresh_announcement"
    ),
    ("post", "/api/v1/orgs/{org_id}/announcements/{announcement_id}/read"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/announcements/{announcement_id}/readers"): Case(ORG_ADMIN),
    # -- approvals (审批): the member's request waits for the owner (the fallback approver) -------
    ("get", "/api/v1/orgs/{org_id}/approval-templates"): Case(ORG_MEMBER),
    ("post", "/api/v1/orgs/{org_id}/approval-templates"): Case(ORG_ADMIN, body=approval_template),
    ("get", "/api/v1/orgs/{org_id}/approval-templates/{template_id}"): Case(ORG_MEMBER),
    ("patch", "/api/v1/orgs/{org_id}/approval-templates/{template_id}"): Case(
        ORG_ADMIN, body={"description": "通用"}
    ),
    ("post", "/api/v1/orgs/{org_id}/approval-templates/{template_id}/preview"): Case(
        ORG_MEMBER, body={"values": {}}
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals"): Case(ORG_MEMBER, body=approval_request),
    ("get", "/api/v1/orgs/{org_id}/approvals"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/approvals/export.csv"): Case(ORG_ADMIN, query={"template_id": 1}),
    ("get", "/api/v1/orgs/{org_id}/approvals/stats"): Case(ORG_ADMIN),
    # The applicant, the approver and an admin see it; outsiders and former members get 404.
    ("get", "/api/v1/orgs/{org_id}/approvals/{approval_id}"): Case(ORG_MEMBER),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/read"): Case(ORG_MEMBER),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/approve"): Case(
        APPROVER_ONLY, body={}, prepare="fresh_approval"
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/reject"): Case(
        APPROVER_ONLY, body={"reason": "不行"}, prepare="fresh_approval"
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/return"): Case(
        APPROVER_ONLY, body={}, prepare="fresh_approval"
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/resubmit"): Case(
        APPLICANT_ONLY, body={"values": {"title": "再次", "detail": "x"}}, prepare="fresh_returned_approval"
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/transfer"): Case(
        APPROVER_ONLY, body=bystander_in_org, prepare="fresh_approval"
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/add-approver"): Case(
        APPROVER_ONLY, body=admin_after, prepare="fresh_approval"
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/comment"): Case(
        ORG_MEMBER, body={"body": "收到"}
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/withdraw"): Case(
        APPLICANT_ONLY, prepare="fresh_approval"
    ),
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/urge"): Case(
        with_(ORG_MEMBER, owner=D403, admin=D403), prepare="fresh_approval"
    ),
    ("get", "/api/v1/orgs/{org_id}/roles"): Case(ORG_MEMBER),
    ("post", "/api/v1/orgs/{org_id}/roles"): Case(ORG_ADMIN, body=unique_role),
    ("patch", "/api/v1/orgs/{org_id}/roles/{role_id}"): Case(ORG_ADMIN, body=unique_role),
    ("put", "/api/v1/orgs/{org_id}/roles/{role_id}/members"): Case(ORG_ADMIN, body={"user_ids": []}),
    ("delete", "/api/v1/orgs/{org_id}/roles/{role_id}"): Case(ORG_ADMIN, prepare="fresh_role"),
    # -- daily reports (日志): the member's report to the admin; the owner is not a receiver ------
    ("get", "/api/v1/orgs/{org_id}/report-templates"): Case(ORG_MEMBER),
    ("post", "/api/v1/orgs/{org_id}/report-templates"): Case(
        ORG_ADMIN,
        body={"name": "周报(销售)", "period": "week", "fields": [{"label": "本周客户", "type": "text"}]},
    ),
    ("get", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}"): Case(ORG_MEMBER),
    ("patch", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}"): Case(
        ORG_ADMIN, body={"name": "日报"}
    ),
    ("get", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}/reminder"): Case(ORG_MEMBER),
    ("put", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}/reminder"): Case(
        ORG_ADMIN, body={"enabled": False, "hour": 18, "weekdays": [1, 2, 3, 4, 5]}
    ),
    ("post", "/api/v1/orgs/{org_id}/reports"): Case(ORG_MEMBER, body=report_to_someone),
    ("get", "/api/v1/orgs/{org_id}/reports"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/reports/team"): Case(refusing("NOT_A_LEADER"), prepare="report_template"),
    ("post", "/api/v1/orgs/{org_id}/reports/team/remind"): Case(
        refusing("NOT_A_LEADER"), body=report_template_body
    ),
    ("get", "/api/v1/orgs/{org_id}/reports/{report_id}"): Case(REPORT_READERS),
    ("patch", "/api/v1/orgs/{org_id}/reports/{report_id}"): Case(
        REPORT_AUTHOR, body={"answers": {"done": "改"}}, prepare="fresh_report_draft"
    ),
    ("delete", "/api/v1/orgs/{org_id}/reports/{report_id}"): Case(
        REPORT_AUTHOR, prepare="fresh_report_draft"
    ),
    ("post", "/api/v1/orgs/{org_id}/reports/{report_id}/send"): Case(
        REPORT_AUTHOR, prepare="fresh_report_draft"
    ),
    ("post", "/api/v1/orgs/{org_id}/reports/{report_id}/read"): Case(REPORT_READERS),
    ("get", "/api/v1/orgs/{org_id}/reports/{report_id}/readers"): Case(with_(REPORT_READERS, admin=D403)),
    ("get", "/api/v1/orgs/{org_id}/reports/{report_id}/comments"): Case(REPORT_READERS),
    ("post", "/api/v1/orgs/{org_id}/reports/{report_id}/comments"): Case(
        REPORT_READERS, body={"body": "收到"}
    ),
    # -- audit log ----------------------------------------------------------------------------
    ("get", "/api/v1/orgs/{org_id}/audit-log"): Case(ORG_ADMIN),
    # -- to-dos: the world's to-do is the member's, assigned to the admin; the owner is neither ---
    ("post", "/api/v1/orgs/{org_id}/todos"): Case(ORG_MEMBER, body={"title": "待办"}),
    ("get", "/api/v1/orgs/{org_id}/todos"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/todos/summary"): Case(ORG_MEMBER),
    ("get", "/api/v1/orgs/{org_id}/todos/draft"): Case(ORG_MEMBER, prepare="todo_of_message"),
    ("get", "/api/v1/orgs/{org_id}/todos/{todo_id}"): Case(TODO_INVOLVED),
    ("patch", "/api/v1/orgs/{org_id}/todos/{todo_id}"): Case(
        with_(TODO_INVOLVED, admin="refused:NOT_TODO_CREATOR"), body={"priority": "high"}
    ),
    ("post", "/api/v1/orgs/{org_id}/todos/{todo_id}/done"): Case(
        with_(TODO_INVOLVED, member="refused:NOT_TODO_ASSIGNEE")
    ),
    ("post", "/api/v1/orgs/{org_id}/todos/{todo_id}/undone"): Case(
        with_(TODO_INVOLVED, member="refused:NOT_TODO_ASSIGNEE")
    ),
    ("delete", "/api/v1/orgs/{org_id}/todos/{todo_id}"): Case(
        with_(TODO_INVOLVED, admin="refused:NOT_TODO_CREATOR"), prepare="fresh_todo"
    ),
    # -- single sign-on (tests/test_sso.py logs in at a real provider; the world configures none) ---
    # The log-in page's buttons: public, and only names and start URLs.
    ("get", "/api/v1/auth/oidc/providers"): Case(PUBLIC, query={"organization_id": 1}),
    ("get", "/api/v1/auth/oidc/{key}/start"): Case(
        everyone_refused("SSO_PROVIDER_NOT_FOUND"), prepare="sso_key"
    ),
    ("get", "/api/v1/auth/oidc/{key}/callback"): Case(
        everyone_refused("SSO_PROVIDER_NOT_FOUND"), prepare="sso_key", query={"state": "x", "code": "y"}
    ),
    ("get", "/api/v1/me/identities"): Case(ANY_USER),
    # Nobody in the world has a linked identity: each caller's own, so 404 for everyone.
    ("delete", "/api/v1/me/identities/{identity_id}"): Case(NOBODYS, prepare="sso_identity"),
    ("get", "/api/v1/orgs/{org_id}/sso/providers"): Case(ORG_ADMIN),
    ("post", "/api/v1/orgs/{org_id}/sso/providers"): Case(
        ORG_ADMIN,
        body={
            "display_name": "SSO",
            "issuer": "https://sso.example.com",
            "client_id": "c",
            "client_secret": "s",
        },
    ),
    ("patch", "/api/v1/orgs/{org_id}/sso/providers/{provider_id}"): Case(
        ORG_ADMIN, body={"enabled": True}, prepare="org_sso_provider"
    ),
    ("delete", "/api/v1/orgs/{org_id}/sso/providers/{provider_id}"): Case(
        ORG_ADMIN, prepare="org_sso_provider"
    ),
    ("get", "/api/v1/orgs/{org_id}/retention"): Case(ORG_ADMIN),
    ("put", "/api/v1/orgs/{org_id}/retention"): Case(ORG_ADMIN, body={"days": None}),
    # The admin's request (called before the owner's) is still queued when the owner asks.
    ("post", "/api/v1/orgs/{org_id}/exports"): Case(with_(ORG_ADMIN, owner="refused:EXPORT_IN_PROGRESS")),
    ("get", "/api/v1/orgs/{org_id}/exports"): Case(ORG_ADMIN),
    ("get", "/api/v1/orgs/{org_id}/exports/{export_id}/download"): Case(
        with_(ORG_ADMIN, owner="refused:EXPORT_NOT_READY", admin="refused:EXPORT_NOT_READY"),
        prepare="org_export",
    ),
    ("get", "/api/v1/orgs/{org_id}/audit-log/export"): Case(ORG_ADMIN),
    # -- LDAP / Active Directory: the owner and admins only ------------------------------------
    ("get", "/api/v1/orgs/{org_id}/ldap"): Case(ORG_ADMIN),
    ("put", "/api/v1/orgs/{org_id}/ldap"): Case(
        ORG_ADMIN,
        body={"url": "ldap://127.0.0.1:1", "base_dn": "dc=example,dc=com", "sync_interval_minutes": 0},
    ),
    ("delete", "/api/v1/orgs/{org_id}/ldap"): Case(ORG_ADMIN, prepare="ldap_directory"),
    ("post", "/api/v1/orgs/{org_id}/ldap/test"): Case(ORG_ADMIN, body={}, prepare="ldap_directory"),
    ("post", "/api/v1/orgs/{org_id}/ldap/sync"): Case(ORG_ADMIN, prepare="ldap_directory"),
    # -- growth: campaigns ({campaign_id} belongs to A), the caller's own codes and activity -------
    ("post", "/api/v1/orgs/{org_id}/campaigns"): Case(ORG_ADMIN, body=campaign_spec),
    ("get", "/api/v1/orgs/{org_id}/campaigns"): Case(ORG_MEMBER),
    ("get", "/api/v1/campaign-templates"): Case(ANY_USER),
    ("get", "/api/v1/campaigns/{campaign_id}"): Case(ORG_MEMBER),
    ("put", "/api/v1/campaigns/{campaign_id}"): Case(ORG_ADMIN, body=campaign_spec),
    ("delete", "/api/v1/campaigns/{campaign_id}"): Case(ORG_ADMIN, prepare="fresh_campaign"),
    ("get", "/api/v1/campaigns/{campaign_id}/leaderboard"): Case(ORG_MEMBER),
    ("get", "/api/v1/campaigns/{campaign_id}/teams"): Case(ORG_MEMBER),
    ("get", "/api/v1/campaigns/{campaign_id}/me/friends"): Case(ORG_MEMBER),
    # No snapshot is frozen before the deadline: members get past the check to SNAPSHOT_NOT_FOUND.
    ("get", "/api/v1/campaigns/{campaign_id}/snapshots/{kind}"): Case(refusing("SNAPSHOT_NOT_FOUND")),
    ("get", "/api/v1/campaigns/{campaign_id}/snapshots/{kind}/verify"): Case(
        with_(refusing("SNAPSHOT_NOT_FOUND"), member=D403)
    ),
    ("get", "/api/v1/campaigns/{campaign_id}/quota"): Case(ORG_ADMIN),
    ("get", "/api/v1/campaigns/{campaign_id}/flags"): Case(ORG_ADMIN),
    ("post", "/api/v1/campaigns/{campaign_id}/flags/{flag_id}"): Case(
        with_(refusing("FLAG_NOT_FOUND"), member=D403), body={"decision": "clear"}
    ),
    ("post", "/api/v1/campaigns/{campaign_id}/screen"): Case(ORG_ADMIN),
    ("post", "/api/v1/me/activity"): Case(ANY_USER, body={"kind": "open"}),
    ("get", "/api/v1/me/activity"): Case(ANY_USER),
    ("get", "/api/v1/me/referral-codes"): Case(ANY_USER),
    ("post", "/api/v1/me/referral-codes"): Case(ANY_USER, body={}),
    ("delete", "/api/v1/me/referral-codes/{code_id}"): Case(MEMBERS_OWN, prepare="members_referral_code"),
    ("get", "/api/v1/me/invitees"): Case(ANY_USER),
    ("get", "/api/v1/me/wallet"): Case(ANY_USER),
    # -- outbound integrations: {robot_id} is in A's all-staff group, whose owner and admins are
    # A's; {bot_id} is an app bot of A made by A's admin (its managers: the admin and A's owner).
    ("get", "/api/v1/conversations/{conversation_id}/robots"): Case(GROUP_MANAGER),
    ("post", "/api/v1/conversations/{conversation_id}/robots"): Case(
        GROUP_MANAGER,
        body={"name": "值班机器人", "callback_url": "https://robot.example.com/h", "keywords": ["x"]},
    ),
    ("get", "/api/v1/robots/{robot_id}"): Case(GROUP_MANAGER),
    ("patch", "/api/v1/robots/{robot_id}"): Case(GROUP_MANAGER, body={"keywords": ["巡检", "报警"]}),
    ("delete", "/api/v1/robots/{robot_id}"): Case(GROUP_MANAGER, prepare="fresh_robot"),
    ("get", "/api/v1/robots/{robot_id}/deliveries"): Case(GROUP_MANAGER),
    # The session webhook is DingTalk's: its token is the credential, and a forged one is told so
    # in DingTalk's envelope (HTTP 200, errcode 300001) whoever asks.
    ("post", "/robot/sendBySession"): Case(
        PUBLIC, query={"session": "forged"}, body={"msgtype": "text", "text": {"content": "x"}}
    ),
    ("get", "/api/v1/bot-event-types"): Case(ANY_USER),
    ("get", "/api/v1/bots/{bot_id}/subscriptions"): Case(BOT_MANAGER),
    ("post", "/api/v1/bots/{bot_id}/subscriptions"): Case(
        BOT_MANAGER, body={"url": "https://bot.example.com/e", "event_types": ["member.added"]}
    ),
    ("get", "/api/v1/bots/{bot_id}/subscriptions/{subscription_id}"): Case(BOT_MANAGER),
    ("patch", "/api/v1/bots/{bot_id}/subscriptions/{subscription_id}"): Case(
        BOT_MANAGER, body={"event_types": ["message.created", "member.added"]}
    ),
    ("delete", "/api/v1/bots/{bot_id}/subscriptions/{subscription_id}"): Case(
        BOT_MANAGER, prepare="fresh_subscription"
    ),
    ("post", "/api/v1/bots/{bot_id}/subscriptions/{subscription_id}/ping"): Case(BOT_MANAGER),
    ("get", "/api/v1/bots/{bot_id}/subscriptions/{subscription_id}/deliveries"): Case(BOT_MANAGER),
    # -- API bots: {bot_id} is A's bot, made by the admin, in the plain group -----------------
    ("get", "/api/v1/bots"): Case(ANY_USER),
    ("post", "/api/v1/bots"): Case(ANY_USER, body={"display_name": "我的机器人"}),
    ("get", "/api/v1/bots/scopes"): Case(ANY_USER),
    ("get", "/api/v1/bots/{bot_id}"): Case(BOT_MANAGER),
    ("patch", "/api/v1/bots/{bot_id}"): Case(BOT_MANAGER, body={"description": "研发中心的机器人"}),
    ("delete", "/api/v1/bots/{bot_id}"): Case(BOT_MANAGER, prepare="fresh_bot"),
    ("get", "/api/v1/bots/{bot_id}/groups"): Case(BOT_MANAGER),
    # Adding it where it is already (the owner owns the group, the admin administers it).
    ("post", "/api/v1/bots/{bot_id}/groups"): Case(BOT_MANAGER, body=world_group),
    ("delete", "/api/v1/bots/{bot_id}/groups/{conversation_id}"): Case(
        BOT_MANAGER, prepare="fresh_bot_in_group"
    ),
    ("get", "/api/v1/bots/{bot_id}/tokens"): Case(BOT_MANAGER),
    ("post", "/api/v1/bots/{bot_id}/tokens"): Case(BOT_MANAGER, body={"scopes": ["messages:read"]}),
    ("delete", "/api/v1/bots/{bot_id}/tokens/{token_id}"): Case(BOT_MANAGER, prepare="fresh_bot_token"),
    ("get", "/api/v1/bots/{bot_id}/commands"): Case(BOT_MANAGER),
    ("put", "/api/v1/bots/{bot_id}/commands"): Case(BOT_MANAGER, body={"commands": [{"name": "deploy"}]}),
    # Slash commands in the plain group (its members: owner, admin, member).
    ("get", "/api/v1/conversations/{conversation_id}/commands"): Case(ORG_MEMBER, prepare="in_group"),
    ("post", "/api/v1/conversations/{conversation_id}/commands"): Case(
        ORG_MEMBER, prepare="in_group", body={"command": "deploy", "args": "prod"}
    ),
    # What only a bot's token does: people, whoever they are, are refused by name.
    ("post", "/api/v1/commands/{invocation_id}/reply"): Case(BOTS_ONLY, body={"text": "好"}),
    ("post", "/api/v1/conversations/{conversation_id}/cards"): Case(
        BOTS_ONLY, body={"client_msg_id": "card", "card": {"blocks": [{"type": "markdown", "text": "x"}]}}
    ),
    # -- server administration: the server's administrator only (none of the roles is) ---------
    ("get", "/api/v1/admin/users/{user_id}"): Case(SERVER_ADMIN),
    ("get", "/api/v1/admin/referrals/tree"): Case(SERVER_ADMIN),
    ("get", "/api/v1/admin/ledger"): Case(SERVER_ADMIN),
    ("post", "/api/v1/admin/ledger/fund"): Case(SERVER_ADMIN, body={"amount_fen": 100}),
    ("get", "/api/v1/admin/analytics/summary"): Case(SERVER_ADMIN),
    ("get", "/api/v1/admin/analytics/daily"): Case(SERVER_ADMIN),
    ("get", "/api/v1/admin/analytics/growth"): Case(SERVER_ADMIN),
    ("get", "/api/v1/admin/analytics/retention"): Case(SERVER_ADMIN),
}
