"""Personal invitation codes and links, attribution of sign-ups, rewards, the invitation tree."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from lakeside.config import Settings
from tests.campaign_support import (
    active,
    board,
    company,
    create_campaign,
    forget_activity,
    scores,
    settle,
    spec,
)
from tests.conftest import Person, error_code, register


async def my_code(person: Person) -> dict[str, Any]:
    response = await person.get("/api/v1/me/referral-codes")
    assert response.status_code == 200, response.text
    live = [code for code in response.json() if code["revoked_at"] is None and code["campaign_id"] is None]
    return dict(live[0])


async def attribution(admin: Person, user_id: int) -> dict[str, Any]:
    response = await admin.get(f"/api/v1/admin/users/{user_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_personal_code_and_link_on_demand(people: dict[str, Person], settings: Settings) -> None:
    alice = people["alice"]
    code = await my_code(alice)
    assert len(code["code"]) == 8 and code["code"].isupper()
    assert code["link"] == f"{settings.public_url}/#/register?invite={code['code']}"
    assert code["uses"] == 0 and code["max_uses"] is None
    # Asking again gives the same code, not another one.
    assert (await my_code(alice))["id"] == code["id"]
    response = await alice.post("/api/v1/me/referral-codes", json={"max_uses": 2})
    assert response.status_code == 201, response.text
    limited = response.json()
    assert limited["max_uses"] == 2 and limited["code"] != code["code"]
    codes = (await alice.get("/api/v1/me/referral-codes")).json()
    assert [c["id"] for c in codes] == [code["id"], limited["id"]]
    # Revoking: one's own only.
    response = await people["bob"].delete(f"/api/v1/me/referral-codes/{limited['id']}")
    assert response.status_code == 404 and error_code(response) == "CODE_NOT_FOUND"
    response = await alice.delete(f"/api/v1/me/referral-codes/{limited['id']}")
    assert response.status_code == 200 and response.json()["revoked_at"] is not None
    # Revoking the personal code makes a new one appear on the next request.
    await alice.delete(f"/api/v1/me/referral-codes/{code['id']}")
    assert (await my_code(alice))["id"] not in (code["id"], limited["id"])
    # Campaign codes need the campaign service to vouch for them.
    response = await alice.post("/api/v1/me/referral-codes", json={"campaign_id": 99})
    assert response.status_code == 422 and error_code(response) == "CAMPAIGN_NOT_FOUND"


async def test_signing_up_with_a_code_records_the_inviter(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    admin, alice = people["admin"], people["alice"]
    code = await my_code(alice)
    # Typed in lower case with blanks, as people do.
    typed = " " + code["code"][:4].lower() + " " + code["code"][4:] + " "
    carol = await register(client, "carol", "Carol", invitation_code=typed, device_id="ios-7f3a")
    seen = await attribution(admin, carol.id)
    assert seen["attribution"]["inviter"] == {
        "id": alice.id,
        "username": "alice",
        "display_name": "Alice Chen",
        "avatar_url": None,
    }
    assert seen["attribution"]["code"] == code["code"]
    assert seen["attribution"]["campaign_id"] is None
    assert seen["attribution"]["ip"] == "203.0.113.7" and seen["attribution"]["device"] == "ios-7f3a"
    assert seen["invitation_code"] == typed.strip()
    assert seen["last_active_date"] is not None and seen["wallet_balance_fen"] == 0
    assert (await attribution(admin, alice.id))["attribution"]["invited_count"] == 1
    assert (await my_code(alice))["uses"] == 1
    invitees = (await alice.get("/api/v1/me/invitees")).json()
    assert invitees["invited_count"] == 1 and [p["user"]["username"] for p in invitees["people"]] == ["carol"]
    # Everyone's sign-up is recorded, invited or not.
    plain = await attribution(admin, people["bob"].id)
    assert plain["attribution"]["inviter"] is None and plain["attribution"]["registered_at"] is not None
    # Only server administrators see this.
    response = await alice.get(f"/api/v1/admin/users/{carol.id}")
    assert response.status_code == 403 and error_code(response) == "ADMIN_ONLY"
    response = await admin.get("/api/v1/admin/users/999999")
    assert response.status_code == 404


async def test_unknown_revoked_and_used_up_codes_attribute_nothing(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    admin, alice = people["admin"], people["alice"]
    # Any other text is kept as before, without an inviter.
    dave = await register(client, "dave", "Dave", invitation_code="from-the-poster")
    seen = await attribution(admin, dave.id)
    assert seen["invitation_code"] == "from-the-poster" and seen["attribution"]["inviter"] is None
    once = (await alice.post("/api/v1/me/referral-codes", json={"max_uses": 1})).json()
    erin = await register(client, "erin", "Erin", invitation_code=once["code"])
    frank = await register(client, "frank", "Frank", invitation_code=once["code"])
    assert (await attribution(admin, erin.id))["attribution"]["inviter"]["id"] == alice.id
    assert (await attribution(admin, frank.id))["attribution"]["inviter"] is None
    revoked = (await alice.post("/api/v1/me/referral-codes", json={})).json()
    await alice.delete(f"/api/v1/me/referral-codes/{revoked['id']}")
    grace = await register(client, "grace", "Grace", invitation_code=revoked["code"])
    assert (await attribution(admin, grace.id))["attribution"]["inviter"] is None


async def test_sign_up_rewards_come_from_the_default_budget(
    client: httpx.AsyncClient, people: dict[str, Person], settings: Settings
) -> None:
    admin, alice = people["admin"], people["alice"]
    settings.referral_reward_fen = 888
    settings.referral_inviter_reward_fen = 200
    code = (await my_code(alice))["code"]
    # An empty budget pays nothing, and the sign-up still works.
    poor = await register(client, "poor", "Poor", invitation_code=code)
    assert (await poor.get("/api/v1/me/wallet")).json()["balance_fen"] == 0
    response = await admin.post("/api/v1/admin/ledger/fund", json={"amount_fen": 1500, "note": "红包"})
    assert response.status_code == 200, response.text
    lucky = await register(client, "lucky", "Lucky", invitation_code=code)
    wallet = (await lucky.get("/api/v1/me/wallet")).json()
    assert wallet["balance_fen"] == 888
    (entry,) = wallet["entries"]
    assert entry["amount_fen"] == 888 and entry["kind"] == "referral_reward"
    assert entry["counterparty"] == {"kind": "budget", "campaign_id": None, "user_id": None}
    assert (await alice.get("/api/v1/me/wallet")).json()["balance_fen"] == 200
    # 1500 - 888 - 200 = 412 left: the next invitee's 888 cannot be paid, the inviter's 200 can.
    third = await register(client, "third", "Third", invitation_code=code)
    assert (await third.get("/api/v1/me/wallet")).json()["balance_fen"] == 0
    assert (await alice.get("/api/v1/me/wallet")).json()["balance_fen"] == 400
    totals = (await admin.get("/api/v1/admin/ledger")).json()
    assert totals["issued_fen"] == 1500 and totals["budgets_fen"] == 212 and totals["wallets_fen"] == 1288
    assert totals["balanced"] is True
    # Without a referral code, no reward.
    plain = await register(client, "plain", "Plain")
    assert (await plain.get("/api/v1/me/wallet")).json()["balance_fen"] == 0


async def test_listeners_hear_of_each_committed_sign_up(app: FastAPI, client: httpx.AsyncClient) -> None:
    heard: list[Any] = []

    async def listener(registered: Any) -> None:
        heard.append(registered)

    async def broken(registered: Any) -> None:
        raise RuntimeError("a campaign bug must not undo a sign-up")

    referrals = app.state.services.growth.referrals
    referrals.on_registered.extend([broken, listener])
    alice = await register(client, "alice", "Alice")
    code = (await my_code(alice))["code"]
    bob = await register(client, "bob", "Bob", invitation_code=code, device_id="web-1")
    assert [(r.user_id, r.inviter_id, r.device) for r in heard] == [
        (alice.id, None, ""),
        (bob.id, alice.id, "web-1"),
    ]


async def test_the_invitation_tree_nests_counts_and_pages(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await register(client, "admin", "管理员")
    alice = await register(client, "alice", "Alice")
    zhang = await register(client, "zhangsan", "张三")

    async def invited_by(person: Person, name: str, campaign: int | None = None) -> Person:
        if campaign is None:
            code = (await my_code(person))["code"]
        else:
            code = (await app.state.services.growth.referrals.create_code(person.id, campaign_id=campaign))[
                "code"
            ]
        return await register(client, name, name.title(), invitation_code=code)

    async def allow(user_id: int, campaign_id: int) -> None:
        return None

    app.state.services.growth.referrals.campaign_check = allow
    b = await invited_by(alice, "bbb")
    c = await invited_by(alice, "ccc", campaign=7)
    d = await invited_by(b, "ddd")
    e = await invited_by(d, "eee", campaign=7)
    f = await invited_by(zhang, "fff")
    response = await admin.get("/api/v1/admin/referrals/tree", params={"depth": 3})
    assert response.status_code == 200, response.text
    tree = response.json()
    assert tree["total_invited"] == 5 and tree["total_inviters"] == 4
    assert [root["user"]["id"] for root in tree["roots"]] == [alice.id, zhang.id]
    top = tree["roots"][0]
    assert top["invited"] == 2 and top["descendants"] == 4
    assert [child["user"]["id"] for child in top["children"]] == [b.id, c.id]
    assert [grand["user"]["id"] for grand in top["children"][0]["children"]] == [d.id]
    assert top["children"][0]["children"][0]["children"][0]["user"]["id"] == e.id
    assert tree["roots"][1]["children"][0]["user"]["id"] == f.id
    # Depth 1 cuts the nesting but keeps the counts.
    shallow = (await admin.get("/api/v1/admin/referrals/tree", params={"depth": 1, "children": 1})).json()
    top = shallow["roots"][0]
    assert len(top["children"]) == 1 and top["invited"] == 2 and top["children"][0]["children"] == []
    # Paging roots.
    page = (await admin.get("/api/v1/admin/referrals/tree", params={"limit": 1})).json()
    assert [root["user"]["id"] for root in page["roots"]] == [alice.id] and page["next_after"] == alice.id
    rest = (await admin.get("/api/v1/admin/referrals/tree", params={"limit": 1, "after": alice.id})).json()
    assert [root["user"]["id"] for root in rest["roots"]] == [zhang.id] and rest["next_after"] is None
    # One campaign's tree: only its sign-ups (alice -> ccc, ddd -> eee).
    campaign = (await admin.get("/api/v1/admin/referrals/tree", params={"campaign_id": 7})).json()
    assert [root["user"]["id"] for root in campaign["roots"]] == [alice.id, d.id]
    assert campaign["total_invited"] == 2
    # A subtree.
    sub = (await admin.get("/api/v1/admin/referrals/tree", params={"root_id": b.id, "depth": 5})).json()
    assert sub["roots"][0]["descendants"] == 2
    assert (await alice.get("/api/v1/admin/referrals/tree")).status_code == 403
    response = await admin.get("/api/v1/admin/referrals/tree", params={"depth": 9})
    assert response.status_code == 422


async def test_signing_up_with_a_friends_code_makes_them_friends(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    alice, bob = people["alice"], people["bob"]
    code = (await my_code(alice))["code"]
    carol = await register(client, "carol", "Carol", invitation_code=code.lower())
    for person, other in ((alice, carol), (carol, alice)):
        listed = (await person.get("/api/v1/friends")).json()
        assert [f["user"]["id"] for f in listed] == [other.id], listed
        # Each side was told, as when a request is accepted.
        changes = (await person.get("/api/v1/sync", params={"since": 0, "limit": 500})).json()["events"]
        added = [e for e in changes if (e["type"], e["op"]) == ("friend", "added")]
        assert [e["data"]["user"]["id"] for e in added] == [other.id]
    # They can talk at once.
    response = await carol.post("/api/v1/conversations/direct", json={"user_id": alice.id})
    assert response.status_code == 201, response.text

    # An organization's invitation code makes nobody a friend (it is no referral code).
    org = (await bob.post("/api/v1/orgs", json={"name": "湖畔科技"})).json()
    org_code = (await bob.post(f"/api/v1/orgs/{org['id']}/invitations", json={"kind": "code"})).json()["code"]
    dave = await register(client, "dave", "Dave", invitation_code=org_code)
    assert (await dave.get("/api/v1/friends")).json() == []
    assert (await bob.get("/api/v1/friends")).json() == []


async def test_a_friends_code_counts_on_the_inviters_campaign_once_the_friend_is_active(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org_id = await company(zhangsan, [lisi])
    campaign_id = await create_campaign(zhangsan, org_id, spec())
    await settle(app)
    assert scores(await board(lisi, campaign_id)).get("lisi", 0) == 0
    code = (await my_code(lisi))["code"]
    newcomer = await register(client, "xinren", "新人", invitation_code=code)
    # Friends, but not yet counted: the campaign counts friends active in the last days.
    await forget_activity(app, newcomer)
    await settle(app)
    assert scores(await board(lisi, campaign_id)).get("lisi", 0) == 0
    await active(app, newcomer)
    await settle(app)
    assert scores(await board(lisi, campaign_id))["lisi"] == 1
    assert (await lisi.get(f"/api/v1/campaigns/{campaign_id}/me/friends")).status_code == 200
