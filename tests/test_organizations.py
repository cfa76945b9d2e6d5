"""Organizations: create, my organizations, settings, roles and ownership; joining by link, code,
phone or e-mail invitation and join request; removal and deactivation cutting access at once
(history stays); colleagues opening direct chats; the enterprise schema matching its migration."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import update

from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.domain.limits import check_limits
from lakeside.store.tables import metadata, org_invitations
from tests.conftest import Person, befriend, register
from tests.contact_proofs import Proofs

NOWHERE = 10**12


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


async def create_org(owner: Person, name: str = "湖畔科技") -> dict[str, Any]:
    response = await owner.post("/api/v1/orgs", json={"name": name})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def invite_code(admin: Person, org_id: int, **fields: Any) -> str:
    response = await admin.post(f"/api/v1/orgs/{org_id}/invitations", json={"kind": "code", **fields})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


async def join(person: Person, code: str) -> dict[str, Any]:
    response = await person.post(f"/api/v1/org-invitations/{code}/join", json={})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def company(owner: Person, members: list[Person], name: str = "湖畔科技") -> dict[str, Any]:
    """An organization owned by ``owner`` with ``members`` joined through a code."""
    org = await create_org(owner, name)
    code = await invite_code(owner, org["id"])
    for person in members:
        assert (await join(person, code))["status"] == "joined"
    return org


async def conversation_ids(person: Person) -> set[int]:
    response = await person.get("/api/v1/conversations", params={"limit": 200})
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["conversations"]}


# -- creating, settings, roles ----------------------------------------------------------------------


async def test_create_list_and_settings(people: dict[str, Person]) -> None:
    zhangsan, lisi, bob = people["zhangsan"], people["lisi"], people["bob"]
    org = await company(zhangsan, [lisi])
    assert org["my_role"] == "owner" and org["owner_id"] == zhangsan.id
    mine = (await lisi.get("/api/v1/orgs")).json()
    assert [(o["id"], o["my_role"], o["member_count"]) for o in mine] == [(org["id"], "member", 2)]
    assert mine[0]["pending_dings"] == 0 and mine[0]["unread_announcements"] == 0
    assert (await bob.get("/api/v1/orgs")).json() == []

    # The all-staff group exists, is an organization group, and holds both.
    all_staff = org["all_staff_conversation_id"]
    assert all_staff in await conversation_ids(lisi)
    view = (await lisi.get(f"/api/v1/conversations/{all_staff}")).json()
    assert view["kind"] == "org_all" and view["member_count"] == 2

    changes = {
        "join_approval": True,
        "invite_policy": "members",
        "recall_window_seconds": 3600,
        "members_see_read_receipts": False,
        "name": "湖畔科技集团",
    }
    response = await zhangsan.patch(f"/api/v1/orgs/{org['id']}", json=changes)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in changes} == changes
    assert (await lisi.get(f"/api/v1/conversations/{all_staff}")).json()["title"] == "湖畔科技集团"
    response = await zhangsan.patch(f"/api/v1/orgs/{org['id']}", json={"recall_window_seconds": None})
    assert response.json()["recall_window_seconds"] is None

    for body, status, code in [
        ({"recall_window_seconds": -1}, 422, "INVALID_WINDOW"),
        ({"invite_policy": "everyone"}, 422, "VALIDATION_FAILED"),
        ({"name": "  "}, 422, "INVALID_NAME"),
        ({"logo_file_id": "nope"}, 404, "FILE_NOT_FOUND"),
        ({"colour": "red"}, 422, "VALIDATION_FAILED"),
    ]:
        response = await zhangsan.patch(f"/api/v1/orgs/{org['id']}", json=body)
        assert response.status_code == status, (body, response.text)
        if code != "INVALID_NAME":
            assert error_code(response) == code
    response = await lisi.patch(f"/api/v1/orgs/{org['id']}", json={"name": "mine"})
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"
    response = await bob.get(f"/api/v1/orgs/{org['id']}")
    assert response.status_code == 404 and error_code(response) == "ORG_NOT_FOUND"


async def test_several_organizations(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    first = await company(zhangsan, [lisi], "湖畔科技")
    second = await company(lisi, [], "来往")
    mine = (await lisi.get("/api/v1/orgs")).json()
    assert [(o["id"], o["my_role"]) for o in mine] == [(first["id"], "member"), (second["id"], "owner")]


async def test_roles_transfer_and_leave(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    org = await company(zhangsan, [lisi, wangwu, alice])
    base = f"/api/v1/orgs/{org['id']}"
    response = await lisi.put(f"{base}/members/{wangwu.id}/role", json={"role": "admin"})
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_OWNER"
    response = await zhangsan.put(f"{base}/members/{lisi.id}/role", json={"role": "admin"})
    assert response.status_code == 200 and response.json()["role"] == "admin"
    members = (await zhangsan.get(f"/api/v1/conversations/{org['all_staff_conversation_id']}/members")).json()
    assert {m["user"]["id"]: m["role"] for m in members}[lisi.id] == "admin"

    # An admin manages members but not other admins or the owner.
    response = await lisi.post(f"{base}/members/{zhangsan.id}/deactivate")
    assert response.status_code == 403
    response = await zhangsan.put(f"{base}/members/{wangwu.id}/role", json={"role": "admin"})
    response = await lisi.delete(f"{base}/members/{wangwu.id}")
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_OWNER"
    response = await lisi.delete(f"{base}/members/{alice.id}")
    assert response.status_code == 200, response.text

    response = await zhangsan.post(f"{base}/leave")
    assert response.status_code == 409 and error_code(response) == "OWNER_MUST_TRANSFER"
    response = await zhangsan.post(f"{base}/transfer", json={"user_id": NOWHERE})
    assert response.status_code == 404
    response = await zhangsan.post(f"{base}/transfer", json={"user_id": lisi.id})
    assert response.status_code == 200 and response.json()["owner_id"] == lisi.id
    assert (await lisi.get(base)).json()["my_role"] == "owner"
    response = await zhangsan.post(f"{base}/leave")
    assert response.status_code == 200
    assert (await zhangsan.get(base)).status_code == 404
    assert (await lisi.get(base)).json()["member_count"] == 2


# -- joining ----------------------------------------------------------------------------------------


async def test_invitation_limits_expiry_and_revocation(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, bob = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob"))
    org = await create_org(zhangsan)
    base = f"/api/v1/orgs/{org['id']}"
    code = await invite_code(zhangsan, org["id"], max_uses=1)
    assert len(code) == 8
    preview = (await lisi.get(f"/api/v1/org-invitations/{code}")).json()
    assert preview == {
        "organization_id": org["id"],
        "name": "湖畔科技",
        "logo_url": None,
        "member_count": 1,
        "inviter_name": "张三",
        "join_approval": False,
        "expires_at": None,
    }
    assert (await join(lisi, code))["status"] == "joined"
    response = await wangwu.post(f"/api/v1/org-invitations/{code}/join", json={})
    assert response.status_code == 422 and error_code(response) == "INVITATION_USED_UP"
    response = await lisi.post(f"/api/v1/org-invitations/{code}/join", json={})
    assert error_code(response) in ("INVITATION_USED_UP", "ALREADY_MEMBER")

    # Members may not invite unless the organization says so.
    response = await lisi.post(f"{base}/invitations", json={"kind": "link"})
    assert response.status_code == 403 and error_code(response) == "INVITE_NOT_ALLOWED"
    await zhangsan.patch(base, json={"invite_policy": "members"})
    response = await lisi.post(f"{base}/invitations", json={"kind": "link", "expires_in_hours": 24})
    assert response.status_code == 201, response.text
    link = response.json()
    assert link["url"].endswith(f"/join/{link['code']}") and len(link["code"]) > 20
    listed = (await lisi.get(f"{base}/invitations")).json()
    assert [i["id"] for i in listed] == [link["id"]]  # a member sees only their own
    assert len((await zhangsan.get(f"{base}/invitations")).json()) == 2

    services = app.state.services
    async with services.ctx.db.transaction() as conn:
        await conn.execute(
            update(org_invitations).where(org_invitations.c.id == link["id"]).values(expires_at=1)
        )
    response = await wangwu.post(f"/api/v1/org-invitations/{link['code']}/join", json={})
    assert response.status_code == 422 and error_code(response) == "INVITATION_EXPIRED"

    code = await invite_code(zhangsan, org["id"])
    invitation_id = (await zhangsan.get(f"{base}/invitations")).json()[0]["id"]
    assert (await zhangsan.delete(f"{base}/invitations/{invitation_id}")).status_code == 200
    response = await alice.post(f"/api/v1/org-invitations/{code}/join", json={})
    assert response.status_code == 422 and error_code(response) == "INVITATION_REVOKED"
    response = await bob.get("/api/v1/org-invitations/NOSUCHCODE")
    assert response.status_code == 404 and error_code(response) == "INVITATION_NOT_FOUND"
    for body in ({"kind": "qr"}, {"kind": "code", "max_uses": 0}, {"kind": "code", "expires_in_hours": 0}):
        response = await zhangsan.post(f"{base}/invitations", json=body)
        assert response.status_code == 422, body


async def test_the_invitation_preview_is_public_and_says_only_who_invites(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    await zhangsan.patch(
        f"/api/v1/orgs/{org['id']}", json={"invite_policy": "members", "join_approval": True}
    )
    code = await invite_code(lisi, org["id"], max_uses=5, expires_in_hours=24)
    # A newcomer, before registering: the company, its logo and size, and who invites. Nothing more.
    response = await client.get(f"/api/v1/org-invitations/{code}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "湖畔科技",
        "logo_url": None,
        "member_count": 2,
        "inviter_name": "李四",
        "organization_id": None,
        "join_approval": None,
        "expires_at": None,
    }
    # A logged-in caller, who may join at once, also learns the id, approval and expiry; an
    # ended session is served as a visitor, not refused.
    mine = (await zhangsan.get(f"/api/v1/org-invitations/{code}")).json()
    assert (mine["organization_id"], mine["join_approval"]) == (org["id"], True) and mine["expires_at"]
    stale = await client.get(f"/api/v1/org-invitations/{code}", headers={"Authorization": "Bearer nope"})
    assert stale.status_code == 200 and stale.json()["organization_id"] is None
    # Dead codes answer as for a logged-in caller.
    response = await client.get("/api/v1/org-invitations/NOSUCHCODE")
    assert response.status_code == 404 and error_code(response) == "INVITATION_NOT_FOUND"
    invitation_id = (await lisi.get(f"/api/v1/orgs/{org['id']}/invitations")).json()[0]["id"]
    assert (await lisi.delete(f"/api/v1/orgs/{org['id']}/invitations/{invitation_id}")).status_code == 200
    response = await client.get(f"/api/v1/org-invitations/{code}")
    assert response.status_code == 422 and error_code(response) == "INVITATION_REVOKED"
    # Joining still needs an account.
    response = await client.post(f"/api/v1/org-invitations/{code}/join", json={})
    assert response.status_code == 401


async def test_invitation_previews_are_rate_limited_per_address(settings: Settings) -> None:
    settings.rate_limits = check_limits({"invitation_previews_per_address": "3/3600"})
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 4242))
        async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
            owner = await register(http, "zhangsan", "张三")
            code = await invite_code(owner, (await create_org(owner))["id"])
            answers = [
                (await http.get(f"/api/v1/org-invitations/{guess}")).status_code for guess in ("A1", "B2")
            ]
            answers.append((await http.get(f"/api/v1/org-invitations/{code}")).status_code)
            refused = await http.get(f"/api/v1/org-invitations/{code}")
    assert answers == [404, 404, 200]
    assert refused.status_code == 429 and error_code(refused) == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1


async def test_organization_groups_are_left_by_leaving_the_organization(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    response = await lisi.post(f"/api/v1/conversations/{org['all_staff_conversation_id']}/leave")
    assert response.status_code == 422 and error_code(response) == "ORG_GROUP_MEMBERSHIP"
    assert "direct chat" not in response.json()["error"]["message"]
    assert "organization" in response.json()["error"]["message"]
    await befriend(zhangsan, lisi)
    direct = (await lisi.post("/api/v1/conversations/direct", json={"user_id": zhangsan.id})).json()
    response = await lisi.post(f"/api/v1/conversations/{direct['id']}/leave")
    assert response.status_code == 422 and error_code(response) == "NOT_A_GROUP"


async def test_an_unknown_path_under_users_is_not_found(people: dict[str, Person]) -> None:
    lisi = people["lisi"]
    for path in ("/api/v1/users/me", "/api/v1/users/search", "/api/v1/users/1abc", "/api/v1/users/-1"):
        response = await lisi.get(path)
        assert response.status_code == 404 and error_code(response) == "NOT_FOUND", path
    assert (await lisi.get(f"/api/v1/users/{lisi.id}")).json()["username"] == "lisi"
    assert (await lisi.get("/api/v1/users/0")).status_code == 422  # a number, but no id
    assert (await lisi.get("/api/v1/users/lookup", params={"q": "lisi"})).status_code == 200


async def test_join_requests_with_approval(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, bob = people["zhangsan"], people["lisi"], people["wangwu"], people["bob"]
    org = await company(zhangsan, [lisi])
    base = f"/api/v1/orgs/{org['id']}"
    code = await invite_code(zhangsan, org["id"])
    await zhangsan.patch(base, json={"join_approval": True})

    response = await wangwu.post(f"/api/v1/org-invitations/{code}/join", json={"message": "我是王五"})
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["status"] == "pending" and outcome["organization"] is None
    assert outcome["join_request"]["message"] == "我是王五"
    response = await wangwu.post(f"/api/v1/org-invitations/{code}/join", json={})
    assert response.status_code == 409 and error_code(response) == "JOIN_REQUEST_PENDING"
    assert (await wangwu.get(base)).status_code == 404
    assert (await zhangsan.get("/api/v1/orgs")).json()[0]["pending_join_requests"] == 1

    response = await lisi.get(f"{base}/join-requests")
    assert response.status_code == 403
    pending = (await zhangsan.get(f"{base}/join-requests")).json()
    assert [(r["user"]["id"], r["status"]) for r in pending] == [(wangwu.id, "pending")]
    response = await zhangsan.post(f"{base}/join-requests/{pending[0]['id']}/approve")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert (await wangwu.get(base)).json()["my_role"] == "member"
    assert org["all_staff_conversation_id"] in await conversation_ids(wangwu)
    response = await zhangsan.post(f"{base}/join-requests/{pending[0]['id']}/reject")
    assert response.status_code == 409 and error_code(response) == "JOIN_REQUEST_SETTLED"

    outcome = await join(bob, code)
    request_id = outcome["join_request"]["id"]
    assert [r["id"] for r in (await bob.get("/api/v1/me/org-join-requests")).json()] == [request_id]
    response = await zhangsan.post(f"{base}/join-requests/{request_id}/reject")
    assert response.json()["status"] == "rejected"
    assert (await bob.get(base)).status_code == 404
    outcome = await join(bob, code)
    assert (
        await bob.delete(f"/api/v1/me/org-join-requests/{outcome['join_request']['id']}")
    ).status_code == 200
    assert (await zhangsan.get(f"{base}/join-requests")).json() == []
    response = await zhangsan.get(f"{base}/join-requests", params={"status": "whatever"})
    assert response.status_code == 422


async def test_invitations_by_phone_and_email(
    client: httpx.AsyncClient, people: dict[str, Person], proofs: Proofs
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    base = f"/api/v1/orgs/{org['id']}"
    response = await zhangsan.post(
        f"{base}/contact-invitations", json={"email": "Zhao.Liu@Example.com", "name": "赵六"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "zhao.liu@example.com" and response.json()["status"] == "pending"
    response = await zhangsan.post(f"{base}/contact-invitations", json={"email": "zhao.liu@example.com"})
    assert response.status_code == 409 and error_code(response) == "INVITATION_EXISTS"
    for body in ({}, {"email": "x@example.com", "phone": "+8613800000000"}, {"email": "not-an-address"}):
        response = await zhangsan.post(f"{base}/contact-invitations", json=body)
        assert response.status_code == 422, body
    response = await lisi.post(f"{base}/contact-invitations", json={"phone": "+8613800000009"})
    assert response.status_code == 403

    # Whoever registers with that address and proves it sees the invitation and accepts it.
    zhaoliu = await register(client, "zhaoliu", "赵六", email="zhao.liu@example.com")
    assert (await zhaoliu.get("/api/v1/me/org-invitations")).json() == []
    await proofs.prove_email(zhaoliu)
    mine = (await zhaoliu.get("/api/v1/me/org-invitations")).json()
    assert [(i["organization_id"], i["organization_name"]) for i in mine] == [(org["id"], "湖畔科技")]
    assert (await lisi.get("/api/v1/me/org-invitations")).json() == []
    response = await lisi.post(f"/api/v1/me/org-invitations/{mine[0]['id']}/accept")
    assert response.status_code == 404  # not addressed to lisi
    response = await zhaoliu.post(f"/api/v1/me/org-invitations/{mine[0]['id']}/accept")
    assert response.status_code == 200 and response.json()["status"] == "joined"
    assert response.json()["organization"]["member_count"] == 3
    states = {i["email"]: i["status"] for i in (await zhangsan.get(f"{base}/contact-invitations")).json()}
    assert states == {"zhao.liu@example.com": "accepted"}

    # An existing account holding the phone number; declining; revoking.
    sunqi = await register(client, "sunqi", "孙七", phone="+8613800000007")
    await proofs.prove_phone(sunqi)
    response = await zhangsan.post(f"{base}/contact-invitations", json={"phone": "138 0000 0007"})
    assert response.status_code == 409 or response.json()["phone"] == "13800000007"
    response = await zhangsan.post(f"{base}/contact-invitations", json={"phone": "+8613800000007"})
    assert response.status_code == 201
    invitation = (await sunqi.get("/api/v1/me/org-invitations")).json()[0]
    response = await sunqi.post(f"/api/v1/me/org-invitations/{invitation['id']}/decline")
    assert response.json()["status"] == "declined"
    assert (await sunqi.get(base)).status_code == 404
    response = await zhangsan.post(f"{base}/contact-invitations", json={"phone": "+8613800000007"})
    invitation_id = response.json()["id"]
    assert (await zhangsan.delete(f"{base}/contact-invitations/{invitation_id}")).status_code == 200
    assert (await sunqi.get("/api/v1/me/org-invitations")).json() == []
    response = await zhangsan.post(f"{base}/contact-invitations", json={"email": "zhao.liu@example.com"})
    assert response.status_code == 409 and error_code(response) == "ALREADY_MEMBER"


# -- departure ----------------------------------------------------------------------------------------


async def test_removed_member_loses_access_at_once_and_history_stays(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}"
    all_staff = org["all_staff_conversation_id"]
    sent = await wangwu.post(
        f"/api/v1/conversations/{all_staff}/messages",
        json={"client_msg_id": "w1", "kind": "text", "body": "大家好"},
    )
    assert sent.status_code == 201, sent.text

    response = await zhangsan.delete(f"{base}/members/{wangwu.id}")
    assert response.status_code == 200
    for url in (base, f"{base}/members", f"{base}/departments", f"{base}/announcements"):
        response = await wangwu.get(url)
        assert response.status_code == 404 and error_code(response) == "ORG_NOT_FOUND", url
    assert all_staff not in await conversation_ids(wangwu)
    response = await wangwu.post(
        f"/api/v1/conversations/{all_staff}/messages",
        json={"client_msg_id": "w2", "kind": "text", "body": "还在吗"},
    )
    assert response.status_code == 404
    history = (await lisi.get(f"/api/v1/conversations/{all_staff}/messages")).json()["messages"]
    assert "大家好" in [m["body"] for m in history]
    system = [orjson.loads(m["body"]) for m in history if m["kind"] == "system"]
    assert {"action": "member_removed", "user_ids": [wangwu.id]} in system
    assert (await zhangsan.get(base)).json()["member_count"] == 2
    # A removed member may come back through a new invitation.
    assert (await join(wangwu, await invite_code(zhangsan, org["id"])))["status"] == "joined"


async def test_deactivate_and_reactivate(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}"
    response = await lisi.post(f"{base}/members/{wangwu.id}/deactivate")
    assert response.status_code == 403
    response = await zhangsan.post(f"{base}/members/{wangwu.id}/deactivate")
    assert response.json() == {"user_id": wangwu.id, "role": "member", "status": "deactivated"}
    assert (await wangwu.get(base)).status_code == 404
    assert org["all_staff_conversation_id"] not in await conversation_ids(wangwu)
    listed = (await zhangsan.get(f"{base}/members")).json()["members"]
    assert wangwu.id not in [m["user_id"] for m in listed]
    listed = (await zhangsan.get(f"{base}/members", params={"include_deactivated": True})).json()["members"]
    assert {m["user_id"]: m["status"] for m in listed}[wangwu.id] == "deactivated"
    response = await lisi.get(f"{base}/members", params={"include_deactivated": True})
    assert response.status_code == 403
    code = await invite_code(zhangsan, org["id"])
    response = await wangwu.post(f"/api/v1/org-invitations/{code}/join", json={})
    assert response.status_code == 403 and error_code(response) == "MEMBER_DEACTIVATED"
    response = await zhangsan.post(f"{base}/members/{wangwu.id}/reactivate")
    assert response.json()["status"] == "active"
    assert org["all_staff_conversation_id"] in await conversation_ids(wangwu)
    assert (await zhangsan.get(base)).json()["member_count"] == 3


async def test_colleagues_open_direct_chats(people: dict[str, Person]) -> None:
    lisi, wangwu, zhangsan = people["lisi"], people["wangwu"], people["zhangsan"]
    response = await lisi.post("/api/v1/conversations/direct", json={"user_id": wangwu.id})
    assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS"
    await company(zhangsan, [lisi, wangwu])
    response = await lisi.post("/api/v1/conversations/direct", json={"user_id": wangwu.id})
    assert response.status_code in (200, 201), response.text


# -- schema ---------------------------------------------------------------------------------------


async def test_enterprise_schema_matches_the_migration(app: FastAPI) -> None:
    """store/tables/ and migration 0002 describe the same tables (tests build the schema from migrations)."""
    services = app.state.services
    enterprise = {
        "organizations", "org_members", "departments", "department_members", "org_invitations",
        "org_contact_invitations", "org_join_requests", "external_contacts", "ding_policies", "dings",
        "ding_recipients", "ding_attempts", "announcements", "announcement_departments", "announcement_reads",
    }  # fmt: skip

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with services.ctx.db.read() as conn:
        diffs = await conn.run_sync(compare)
    relevant = [
        diff
        for diff in diffs
        if isinstance(diff, tuple)
        and any(name in repr(diff) for name in (*enterprise, "organization_id"))
        # SQLite does not report the name of a column-level constraint; the reference is there.
        and not (diff[0] in ("add_fk", "remove_fk") and "conversations" in repr(diff))
    ]
    assert relevant == []
    columns = {c.name for c in metadata.tables["conversations"].columns}
    assert "organization_id" in columns


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
