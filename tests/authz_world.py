"""The fixture world of the authorization matrix: organization A ("湖畔科技") with an owner, an
admin, a member and a deactivated member and one of everything; organization B owned by someone
else; a guest; a stranger. See tests/authz_matrix.py for what each role is.

Everything protected is written with markers (``SECRET_MARKERS``): a refused request must answer
with none of them.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

from tests.conftest import PASSWORD, Person, befriend, register

ORG_NAME = "湖畔科技"
SECRET_MARKERS = (
    ORG_NAME,
    "机密内容",
    "研发中心",
    "周总",
    "内部公告",
    "秘密DING",
    "secret-file.png",
    "全员群",
)
ROLES = ("owner", "admin", "member", "external", "non_member", "other_org", "deactivated", "logged_out")


def ogg() -> bytes:
    """The start of an Ogg/Opus recording: sniffed as audio/ogg."""
    return b"OggS\x00\x02" + b"\x00" * 60 + b"OpusHead" + b"\x00" * 400


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "PNG")
    return buffer.getvalue()


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return dict(response.json())


@dataclass
class World:
    http: httpx.AsyncClient
    people: dict[str, Person] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    serial: int = 0

    def caller(self, role: str) -> Person | None:
        return None if role == "logged_out" else self.people[role]

    def unique(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}_{uuid.uuid4().hex[:4]}"

    # -- fresh objects for calls that consume what they act on --------------------------------

    async def fresh_user(self, name: str = "临时") -> Person:
        return await register(self.http, self.unique("u"), name)

    async def fresh_member(self, role: str = "member") -> Person:
        """A new active member of A (made admin when asked)."""
        person = await self.fresh_user("新同事")
        await ok(await person.post(f"/api/v1/org-invitations/{self.ids['code']}/join", json={}))
        if role == "admin":
            owner = self.people["owner"]
            await ok(
                await owner.put(
                    f"/api/v1/orgs/{self.ids['org_id']}/members/{person.id}/role", json={"role": "admin"}
                )
            )
        return person

    async def fresh_deactivated(self) -> Person:
        person = await self.fresh_member()
        owner = self.people["owner"]
        await ok(await owner.post(f"/api/v1/orgs/{self.ids['org_id']}/members/{person.id}/deactivate"))
        return person

    async def fresh_message(self) -> int:
        member = self.people["member"]
        body = {"client_msg_id": self.unique("m"), "body": "机密内容 to recall"}
        return int(
            (
                await ok(
                    await member.post(
                        f"/api/v1/conversations/{self.ids['conversation_id']}/messages", json=body
                    )
                )
            )["id"]
        )

    async def spare_session(self, person: Person) -> tuple[int, str]:
        response = await ok(
            await self.http.post("/api/v1/auth/login", json={"login": person.username, "password": PASSWORD})
        )
        return int(response["session_id"]), str(response["token"])


async def build_world(http: httpx.AsyncClient) -> World:
    world = World(http)
    names = {
        "owner": ("zhangsan", "张三"),
        "admin": ("lisi", "李四"),
        "member": ("wangwu", "王五"),
        "external": ("alice", "Alice Guest"),
        "non_member": ("bob", "Bob Stranger"),
        "other_org": ("mallory", "Mallory"),
        "deactivated": ("zhaoliu", "赵六"),
    }
    await register(http, "root", "Server admin")  # the first account is the server's administrator
    for role, (username, display) in names.items():
        world.people[role] = await register(http, username, display)
    p = world.people
    owner, admin, member = p["owner"], p["admin"], p["member"]
    ids = world.ids

    org = await ok(await owner.post("/api/v1/orgs", json={"name": ORG_NAME}))
    ids["org_id"] = org_id = org["id"]
    base = f"/api/v1/orgs/{org_id}"
    ids["conversation_id"] = org["all_staff_conversation_id"]
    ids["code"] = (await ok(await owner.post(f"{base}/invitations", json={"kind": "code"})))["code"]
    for role in ("admin", "member", "deactivated"):
        await ok(await p[role].post(f"/api/v1/org-invitations/{ids['code']}/join", json={}))
    await ok(await owner.put(f"{base}/members/{admin.id}/role", json={"role": "admin"}))

    # The guest: a friend of the member with a direct chat, in no organization of the member.
    await befriend(member, p["external"])
    ids["direct_id"] = (
        await ok(await member.post("/api/v1/conversations/direct", json={"user_id": p["external"].id}))
    )["id"]
    # Another organization, run by someone else.
    ids["other_org_id"] = (await ok(await p["other_org"].post("/api/v1/orgs", json={"name": "来往"})))["id"]

    dept = await ok(await admin.post(f"{base}/departments", json={"name": "研发中心"}))
    ids["department_id"] = dept["id"]
    await ok(
        await admin.put(f"{base}/departments/{dept['id']}/members/{member.id}", json={"is_leader": False})
    )
    ids["user_id"] = member.id

    upload = await ok(
        await member.post("/api/v1/files", files={"file": ("secret-file.png", png(), "image/png")})
    )
    ids["file_id"] = upload["id"]
    conversation = f"/api/v1/conversations/{ids['conversation_id']}/messages"
    await ok(
        await member.post(
            conversation, json={"client_msg_id": "f1", "kind": "image", "file_id": upload["id"]}
        )
    )
    message = await ok(
        await member.post(conversation, json={"client_msg_id": "m1", "body": "机密内容 alpha"})
    )
    ids["message_id"] = message["id"]
    await ok(await owner.post(conversation, json={"client_msg_id": "m2", "body": "机密内容 from the owner"}))
    # Issue 14: a merged forward of that message in the same group, and a voice message.
    forwarded = await ok(
        await member.post(
            "/api/v1/messages/forward",
            json={
                "client_msg_id": "fw1",
                "message_ids": [message["id"]],
                "conversation_ids": [ids["conversation_id"]],
                "mode": "merged",
            },
        )
    )
    ids["record_id"] = forwarded["messages"][0]["id"]
    recording = await ok(await member.post("/api/v1/files", files={"file": ("v.ogg", ogg(), "audio/ogg")}))
    voice = {"client_msg_id": "v1", "kind": "voice", "file_id": recording["id"], "duration_ms": 3000}
    ids["voice_id"] = (await ok(await member.post(conversation, json=voice)))["id"]

    ids["contact_id"] = (await ok(await admin.post(f"{base}/contacts", json={"name": "周总"})))["id"]
    ids["invitation_id"] = (await ok(await admin.post(f"{base}/invitations", json={"kind": "link"})))["id"]
    ids["contact_invitation_id"] = (
        await ok(await admin.post(f"{base}/contact-invitations", json={"email": "guest@example.com"}))
    )["id"]
    ding = await ok(
        await admin.post(f"{base}/dings", json={"recipient_ids": [member.id], "body": "秘密DING"})
    )
    ids["ding_id"] = ding["id"]
    notice = await ok(
        await admin.post(f"{base}/announcements", json={"title": "内部公告", "body": "机密内容"})
    )
    ids["announcement_id"] = notice["id"]
    # A daily report from the member to the admin: the owner is a colleague it was not sent to.
    daily = [
        t
        for t in (await ok(await member.get(f"{base}/report-templates")))["templates"]
        if t["builtin"] == "daily"
    ]
    ids["report_template_id"] = daily[0]["id"]
    report = {"template_id": daily[0]["id"], "answers": {"done": "机密进展"}, "user_ids": [admin.id]}
    ids["report_id"] = (await ok(await member.post(f"{base}/reports", json=report)))["id"]

    # Approvals: the member files a general request (研发中心 has no leader: it falls back to an
    # admin, the owner); the templates and roles are the built-in ones.
    templates = (await ok(await member.get(f"{base}/approval-templates")))["templates"]
    ids["template_id"] = next(t["id"] for t in templates if t["builtin"] == "general")
    ids["role_id"] = (await ok(await admin.get(f"{base}/roles")))["roles"][0]["id"]
    ids["approval_id"] = (
        await ok(
            await member.post(
                f"{base}/approvals",
                json={
                    "template_id": ids["template_id"],
                    "values": {"title": "机密内容", "detail": "研发中心"},
                },
            )
        )
    )["id"]
    todo = await ok(
        await member.post(f"{base}/todos", json={"title": "机密内容 待办", "assignee_ids": [admin.id]})
    )
    ids["todo_id"] = todo["id"]

    # The deactivated member was a colleague with a department and saw the messages above.
    await ok(await owner.post(f"{base}/members/{p['deactivated'].id}/deactivate"))

    from tests.campaign_support import spec

    ids["campaign_id"] = (await ok(await admin.post(f"{base}/campaigns", json=spec())))["id"]
    ids["kind"], ids["flag_id"] = "final", 1

    # A plain group of A's people (issue 14's group tools): the owner owns it, the admin is its
    # admin, the member a member; it has an invite link. And a favourite of the member's.
    team = await ok(
        await owner.post(
            "/api/v1/conversations", json={"title": "项目群", "member_ids": [admin.id, member.id]}
        )
    )
    ids["group_id"] = team["id"]
    await ok(
        await owner.put(f"/api/v1/conversations/{team['id']}/members/{admin.id}/role", json={"role": "admin"})
    )
    ids["token"] = (await ok(await owner.post(f"/api/v1/conversations/{team['id']}/invite-link", json={})))[
        "token"
    ]
    ids["favorite_id"] = (
        await ok(await member.post("/api/v1/favorites", json={"message_id": message["id"]}))
    )["id"]

    # An API bot of A (made by the admin), in the plain group, with a command and a token; the
    # member's invocation of its command (tests/test_bot_api.py has the rest).
    bot = await ok(
        await admin.post("/api/v1/bots", json={"display_name": "研发中心机器人", "organization_id": org_id})
    )
    ids["bot_id"] = bot["id"]
    await ok(await admin.post(f"/api/v1/bots/{bot['id']}/groups", json={"conversation_id": team["id"]}))
    await ok(await admin.put(f"/api/v1/bots/{bot['id']}/commands", json={"commands": [{"name": "deploy"}]}))
    scopes = {"scopes": ["messages:write", "events:read"]}
    issued = await ok(await admin.post(f"/api/v1/bots/{bot['id']}/tokens", json=scopes))
    ids["token_id"], ids["bot_token"] = issued["id"], issued["token"]
    ids["invocation_id"] = (
        await ok(
            await member.post(f"/api/v1/conversations/{team['id']}/commands", json={"command": "deploy"})
        )
    )["invocation_id"]

    bystander = await register(http, "bystander", "Bystander")
    ids["bystander_id"], ids["bystander_username"] = bystander.id, bystander.username
    ids["session_id"], _ = await world.spare_session(member)
    ids["emoji"] = "👍"
    ids["position"] = (await ok(await member.get("/api/v1/sync")))["position"]
    return world


class Preparations:
    """``prep_<name>`` for the matrix's ``prepare``: what one call needs, made fresh. Each returns
    overrides: ``values`` (path parameters), ``caller``, ``body``, ``query``."""

    def __init__(self, world: World) -> None:
        self.world = world

    @property
    def base(self) -> str:
        return f"/api/v1/orgs/{self.world.ids['org_id']}"

    async def prep_fresh_session(self, role: str, caller: Person | None) -> dict[str, Any]:
        if caller is None:
            return {}
        _, token = await self.world.spare_session(caller)
        return {"caller": Person(caller.http, token, caller.profile)}

    async def prep_request_to_member(self, role: str, caller: Person | None) -> dict[str, Any]:
        sender = await self.world.fresh_user()
        request = await ok(
            await sender.post("/api/v1/friends/requests", json={"user_id": self.world.people["member"].id})
        )
        return {"values": {"request_id": request["id"]}}

    async def prep_request_by_member(self, role: str, caller: Person | None) -> dict[str, Any]:
        target = await self.world.fresh_user()
        request = await ok(
            await self.world.people["member"].post("/api/v1/friends/requests", json={"user_id": target.id})
        )
        return {"values": {"request_id": request["id"]}}

    async def prep_friend_of_caller(self, role: str, caller: Person | None) -> dict[str, Any]:
        friend = await self.world.fresh_user()
        if caller is not None:
            await befriend(caller, friend)
        return {"values": {"user_id": friend.id}}

    async def prep_bystander_target(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"user_id": self.world.ids["bystander_id"]}}

    async def prep_fresh_message(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"message_id": await self.world.fresh_message()}}

    async def prep_sync_since_world(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"query": {"since": self.world.ids["position"]}}

    async def prep_presence_of_member(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"query": {"user_ids": str(self.world.people["member"].id)}}

    async def prep_fresh_caller(self, role: str, caller: Person | None) -> dict[str, Any]:
        if role in ("admin", "member"):
            return {"caller": await self.world.fresh_member(role)}
        return {}

    async def prep_fresh_target(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"user_id": (await self.world.fresh_member()).id}}

    async def prep_fresh_deactivated_target(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"user_id": (await self.world.fresh_deactivated()).id}}

    async def prep_fresh_seated_target(self, role: str, caller: Person | None) -> dict[str, Any]:
        person = await self.world.fresh_member()
        department_id = self.world.ids["department_id"]
        await ok(
            await self.world.people["owner"].put(
                f"{self.base}/departments/{department_id}/members/{person.id}", json={"is_leader": False}
            )
        )
        return {"values": {"user_id": person.id}}

    async def prep_department_ids(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"body": {"department_ids": [self.world.ids["department_id"]]}}

    async def prep_fresh_invitation(self, role: str, caller: Person | None) -> dict[str, Any]:
        invitation = await ok(
            await self.world.people["owner"].post(f"{self.base}/invitations", json={"kind": "link"})
        )
        return {"values": {"invitation_id": invitation["id"]}}

    async def prep_fresh_contact_invitation(self, role: str, caller: Person | None) -> dict[str, Any]:
        email = f"{self.world.unique('c')}@example.com"
        invitation = await ok(
            await self.world.people["owner"].post(f"{self.base}/contact-invitations", json={"email": email})
        )
        return {"values": {"invitation_id": invitation["id"]}}

    async def prep_contact_invitation(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"invitation_id": self.world.ids["contact_invitation_id"]}}

    async def prep_stand_in_joiner(self, role: str, caller: Person | None) -> dict[str, Any]:
        # Joining is open to whoever holds the code: the outsiders' calls are made by a fresh
        # account standing in for them, so the world's outsiders stay outside.
        if role in ("external", "non_member", "other_org"):
            return {"caller": await self.world.fresh_user()}
        return {}

    async def prep_fresh_join_request(self, role: str, caller: Person | None) -> dict[str, Any]:
        owner = self.world.people["owner"]
        await ok(await owner.patch(self.base, json={"join_approval": True}))
        applicant = await self.world.fresh_user()
        filed = await ok(
            await applicant.post(f"/api/v1/org-invitations/{self.world.ids['code']}/join", json={})
        )
        await ok(await owner.patch(self.base, json={"join_approval": False}))
        return {"values": {"request_id": filed["join_request"]["id"]}}

    async def prep_fresh_department(self, role: str, caller: Person | None) -> dict[str, Any]:
        dept = await ok(
            await self.world.people["owner"].post(
                f"{self.base}/departments", json={"name": self.world.unique("临时部")}
            )
        )
        return {"values": {"department_id": dept["id"]}}

    async def prep_fresh_contact(self, role: str, caller: Person | None) -> dict[str, Any]:
        contact = await ok(
            await self.world.people["owner"].post(f"{self.base}/contacts", json={"name": "临时客户"})
        )
        return {"values": {"contact_id": contact["id"]}}

    async def prep_fresh_announcement(self, role: str, caller: Person | None) -> dict[str, Any]:
        notice = await ok(
            await self.world.people["owner"].post(
                f"{self.base}/announcements", json={"title": "临时", "body": "x"}
            )
        )
        return {"values": {"announcement_id": notice["id"]}}

    async def prep_fresh_approval(self, role: str, caller: Person | None) -> dict[str, Any]:
        """A request of the member's, waiting for the owner."""
        request = await ok(
            await self.world.people["member"].post(
                f"{self.base}/approvals",
                json={
                    "template_id": self.world.ids["template_id"],
                    "values": {"title": "临时", "detail": "x"},
                },
            )
        )
        return {"values": {"approval_id": request["id"]}}

    async def prep_fresh_returned_approval(self, role: str, caller: Person | None) -> dict[str, Any]:
        """A request of the member's that the owner returned."""
        made = await self.prep_fresh_approval(role, caller)
        approval_id = made["values"]["approval_id"]
        await ok(
            await self.world.people["owner"].post(f"{self.base}/approvals/{approval_id}/return", json={})
        )
        return made

    async def prep_fresh_role(self, role: str, caller: Person | None) -> dict[str, Any]:
        made = await ok(
            await self.world.people["owner"].post(
                f"{self.base}/roles", json={"name": self.world.unique("角色")}
            )
        )
        return {"values": {"role_id": made["id"]}}

    async def prep_fresh_report_draft(self, role: str, caller: Person | None) -> dict[str, Any]:
        ids = self.world.ids
        body = {
            "template_id": ids["report_template_id"],
            "answers": {"done": "草稿"},
            "user_ids": [self.world.people["admin"].id],
            "send": False,
        }
        draft = await ok(await self.world.people["member"].post(f"{self.base}/reports", json=body))
        return {"values": {"report_id": draft["id"]}}

    async def prep_report_template(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"query": {"template_id": self.world.ids["report_template_id"]}}

    async def prep_fresh_todo(self, role: str, caller: Person | None) -> dict[str, Any]:
        people = self.world.people
        todo = await ok(
            await people["member"].post(
                f"{self.base}/todos", json={"title": "临时待办", "assignee_ids": [people["admin"].id]}
            )
        )
        return {"values": {"todo_id": todo["id"]}}

    async def prep_todo_of_message(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"query": {"message_id": self.world.ids["message_id"]}}

    async def prep_fresh_campaign(self, role: str, caller: Person | None) -> dict[str, Any]:
        from tests.campaign_support import spec

        campaign = await ok(
            await self.world.people["owner"].post(
                f"{self.base}/campaigns", json=spec(name=self.world.unique("赛"))
            )
        )
        return {"values": {"campaign_id": campaign["id"]}}

    async def prep_members_referral_code(self, role: str, caller: Person | None) -> dict[str, Any]:
        code = await ok(await self.world.people["member"].post("/api/v1/me/referral-codes", json={}))
        return {"values": {"code_id": code["id"]}}

    # -- group tools (issue 14) ------------------------------------------------------------------

    @property
    def group(self) -> str:
        return f"/api/v1/conversations/{self.world.ids['group_id']}"

    async def prep_current_notice(self, role: str, caller: Person | None) -> dict[str, Any]:
        """A notice on A's all-staff group (set by its owner); the body acknowledges its version."""
        cid = self.world.ids["conversation_id"]
        notice = await ok(
            await self.world.people["owner"].put(
                f"/api/v1/conversations/{cid}/notice", json={"body": "请确认"}
            )
        )
        return {"body": {"version": notice["version"]}}

    async def prep_in_group(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"conversation_id": self.world.ids["group_id"]}}

    async def prep_in_group_with_link(self, role: str, caller: Person | None) -> dict[str, Any]:
        await self._group_token()
        return {"values": {"conversation_id": self.world.ids["group_id"]}}

    async def _group_token(self) -> str:
        """The group's live invite link (the matrix's own calls make and revoke links)."""
        owner = self.world.people["owner"]
        link = (await ok(await owner.get(f"{self.group}/invite-link")))["link"]
        if link is None:
            link = await ok(await owner.post(f"{self.group}/invite-link", json={}))
        return str(link["token"])

    async def prep_group_token(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"token": await self._group_token()}}

    async def prep_group_joiner(self, role: str, caller: Person | None) -> dict[str, Any]:
        # As for organizations: outsiders' joins are made by a fresh account standing in for them,
        # so the world's outsiders stay outside the group.
        prepared: dict[str, Any] = {"values": {"token": await self._group_token()}}
        if role in ("external", "non_member", "other_org", "deactivated"):
            prepared["caller"] = await self.world.fresh_user()
        return prepared

    async def prep_fresh_group_join_request(self, role: str, caller: Person | None) -> dict[str, Any]:
        owner = self.world.people["owner"]
        token = await self._group_token()
        await ok(await owner.patch(self.group, json={"join_approval": True}))
        applicant = await self.world.fresh_user()
        filed = await ok(await applicant.post(f"/api/v1/group-invitations/{token}/join", json={}))
        await ok(await owner.patch(self.group, json={"join_approval": False}))
        return {
            "values": {"conversation_id": self.world.ids["group_id"], "request_id": filed["request"]["id"]}
        }

    # Incoming webhooks (robots) of the world's plain group, made by its owner.

    async def _robot(self, dialect: str, *, fresh: bool = False) -> dict[str, Any]:
        key = f"robot_{dialect}"
        if fresh or key not in self.world.ids:
            robot = await ok(
                await self.world.people["owner"].post(
                    f"{self.group}/webhooks", json={"dialect": dialect, "name": f"{dialect} 机器人"}
                )
            )
            if fresh:
                return dict(robot)
            self.world.ids[key] = robot
        return dict(self.world.ids[key])

    async def prep_group_webhook(self, role: str, caller: Person | None) -> dict[str, Any]:
        robot = await self._robot("dingtalk")
        return {"values": {"webhook_id": robot["id"]}}

    async def prep_fresh_group_webhook(self, role: str, caller: Person | None) -> dict[str, Any]:
        robot = await self._robot("dingtalk", fresh=True)
        return {"values": {"webhook_id": robot["id"]}}

    async def _token(self, dialect: str) -> str:
        url = str((await self._robot(dialect))["url"])
        return url.rsplit("=", 1)[1] if "=" in url else url.rstrip("/").rsplit("/", 1)[1]

    async def prep_dingtalk_hook(self, role: str, caller: Person | None) -> dict[str, Any]:
        body = {"msgtype": "text", "text": {"content": f"来自 {role}"}}
        return {"query": {"access_token": await self._token("dingtalk")}, "body": body}

    async def prep_slack_hook(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"key": await self._token("slack")}, "body": {"text": f"from {role}"}}

    async def prep_wecom_hook(self, role: str, caller: Person | None) -> dict[str, Any]:
        body = {"msgtype": "text", "text": {"content": f"来自 {role}"}}
        return {"query": {"key": await self._token("wecom")}, "body": body}

    async def prep_feishu_hook(self, role: str, caller: Person | None) -> dict[str, Any]:
        body = {"msg_type": "text", "content": {"text": f"来自 {role}"}}
        return {"values": {"token": await self._token("feishu")}, "body": body}

    async def _fresh_bot(self) -> int:
        admin = self.world.people["admin"]
        body = {"display_name": self.world.unique("机器人"), "organization_id": self.world.ids["org_id"]}
        return int((await ok(await admin.post("/api/v1/bots", json=body)))["id"])

    async def prep_fresh_bot(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"bot_id": await self._fresh_bot()}}

    async def prep_fresh_bot_in_group(self, role: str, caller: Person | None) -> dict[str, Any]:
        bot_id = await self._fresh_bot()
        group_id = self.world.ids["group_id"]
        admin = self.world.people["admin"]
        await ok(await admin.post(f"/api/v1/bots/{bot_id}/groups", json={"conversation_id": group_id}))
        return {"values": {"bot_id": bot_id, "conversation_id": group_id}}

    async def prep_fresh_bot_token(self, role: str, caller: Person | None) -> dict[str, Any]:
        admin = self.world.people["admin"]
        bot_id = self.world.ids["bot_id"]
        made = await ok(await admin.post(f"/api/v1/bots/{bot_id}/tokens", json={"scopes": ["messages:read"]}))
        return {"values": {"token_id": made["id"]}}

    async def prep_world_record(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"message_id": self.world.ids["record_id"]}}

    async def prep_world_voice(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"message_id": self.world.ids["voice_id"]}}

    async def prep_members_favorite(self, role: str, caller: Person | None) -> dict[str, Any]:
        member = self.world.people["member"]
        message_id = await self.world.fresh_message()
        favorite = await ok(await member.post("/api/v1/favorites", json={"message_id": message_id}))
        return {"values": {"favorite_id": favorite["id"]}}

    async def prep_friend_to_message(self, role: str, caller: Person | None) -> dict[str, Any]:
        friend = await self.world.fresh_user()
        if caller is not None:
            await befriend(caller, friend)
        return {"body": {"user_id": friend.id}}

    async def prep_members_export(self, role: str, caller: Person | None) -> dict[str, Any]:
        """The member's export (queued: the tests' servers run no export worker)."""
        member = self.world.people["member"]
        jobs = (await ok(await member.get("/api/v1/me/exports")))["exports"]
        if not jobs:
            jobs = [(await member.post("/api/v1/me/exports")).json()]
        return {"values": {"export_id": jobs[0]["id"]}}

    async def prep_sso_key(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"key": "nowhere"}}

    async def prep_sso_identity(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"identity_id": 1}}

    async def prep_org_sso_provider(self, role: str, caller: Person | None) -> dict[str, Any]:
        """One of A's sign-in providers (a new one once the last was deleted)."""
        admin = self.world.people["admin"]
        base = f"/api/v1/orgs/{self.world.ids['org_id']}/sso/providers"
        listed = await admin.get(base)
        assert listed.status_code == 200, listed.text
        providers = listed.json()
        if not providers:
            body = {
                "display_name": "SSO",
                "issuer": "https://sso.example.com",
                "client_id": "c",
                "client_secret": "s",
            }
            providers = [await ok(await admin.post(base, json=body))]
        return {"values": {"provider_id": providers[0]["id"]}}

    async def prep_ldap_directory(self, role: str, caller: Person | None) -> dict[str, Any]:
        """A directory set up for A (on a host the server does not allow: tests and syncs answer
        with the directory's error, in a 200)."""
        await ok(
            await self.world.people["owner"].put(
                f"{self.base}/ldap",
                json={
                    "url": "ldap://127.0.0.1:1",
                    "base_dn": "dc=example,dc=com",
                    "sync_interval_minutes": 0,
                },
            )
        )
        return {}

    async def prep_org_export(self, role: str, caller: Person | None) -> dict[str, Any]:
        admin = self.world.people["admin"]
        base = f"/api/v1/orgs/{self.world.ids['org_id']}"
        jobs = (await ok(await admin.get(f"{base}/exports")))["exports"]
        if not jobs:
            jobs = [(await admin.post(f"{base}/exports")).json()]
        return {"values": {"export_id": jobs[0]["id"]}}

    # -- outbound integrations: robots of A's all-staff group, the app bot of A's admin ----------

    async def prep_fresh_robot(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"robot_id": await outbound_robot(self.world)}}

    async def prep_fresh_subscription(self, role: str, caller: Person | None) -> dict[str, Any]:
        return {"values": {"subscription_id": await outbound_subscription(self.world)}}


async def outbound_robot(world: World) -> int:
    """An outgoing robot in A's all-staff group, added by A's owner (no worker calls it)."""
    body = {"name": "巡检机器人", "callback_url": "https://robot.example.com/hook", "keywords": ["巡检"]}
    url = f"/api/v1/conversations/{world.ids['conversation_id']}/robots"
    return int((await ok(await world.people["owner"].post(url, json=body)))["id"])


async def outbound_subscription(world: World) -> int:
    body = {"url": "https://bot.example.com/events", "event_types": ["message.created"]}
    url = f"/api/v1/bots/{world.ids['bot_id']}/subscriptions"
    return int((await ok(await world.people["admin"].post(url, json=body)))["id"])


async def outbound_world(services: Any, world: World) -> None:
    """A's robot, and an app bot of A made by A's admin with one subscription: its managers are
    A's admin (who made it) and owner; A's member is not."""
    from lakeside.services import bots

    if "bot_id" not in world.ids:  # the API bot of A's admin, made with the world, serves as well
        async with services.ctx.transaction() as uow:
            bot = await bots.create_bot(
                uow,
                kind="app",
                display_name="工单机器人",
                owner_id=world.people["admin"].id,
                organization_id=world.ids["org_id"],
            )
        world.ids["bot_id"] = bot.user_id
    world.ids["robot_id"] = await outbound_robot(world)
    world.ids["subscription_id"] = await outbound_subscription(world)
