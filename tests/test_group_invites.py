"""Joining a group by link or QR code: the owner and admins make, replace and revoke the link; whoever
opens it sees the group's name and size and joins, or asks to when the group wants approval; the
owner and admins approve or reject, live both ways; the member cap holds, also when many join at
once; the QR code is the link; and nobody learns of a group through another's ids."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from lakeside.services.group_invites import qr_svg
from tests.conftest import Person, error_code, register
from tests.test_group_tools import events_since, group, kinds, ok, position

NOWHERE = 10**12


async def link(person: Person, conversation_id: int, **body: Any) -> dict[str, Any]:
    response = await person.post(f"/api/v1/conversations/{conversation_id}/invite-link", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def join(person: Person, token: str, **body: Any) -> httpx.Response:
    return await person.post(f"/api/v1/group-invitations/{token}/join", json=body)


async def test_a_link_shows_the_group_and_joins_at_once(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, bob = (people[n] for n in ("zhangsan", "lisi", "wangwu", "bob"))
    cid = await group(zhangsan, lisi, title="周末爬山群")
    assert await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/invite-link")) == {"link": None}
    made = await link(zhangsan, cid)
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,64}", made["token"])
    assert made["url"] == f"http://127.0.0.1:8000/g/{made['token']}"
    assert (await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/invite-link")))["link"] == made
    # Members see nothing of the link; outsiders not even the group.
    assert error_code(await lisi.get(f"/api/v1/conversations/{cid}/invite-link")) == "NOT_GROUP_ADMIN"
    assert error_code(await bob.get(f"/api/v1/conversations/{cid}/invite-link")) == "CONVERSATION_NOT_FOUND"

    preview = await ok(await wangwu.get(f"/api/v1/group-invitations/{made['token']}"))
    assert preview == {
        "conversation_id": cid,
        "title": "周末爬山群",
        "avatar_url": None,
        "member_count": 2,
        "member_cap": preview["member_cap"],
        "join_approval": False,
        "is_member": False,
        "pending_request": None,
    }
    since = await position(lisi)
    joined = await ok(await join(wangwu, made["token"]))  # no friendship needed: the link is the invitation
    assert joined["status"] == "joined" and joined["conversation"]["id"] == cid and joined["request"] is None
    assert joined["conversation"]["member_count"] == 3
    added = [e for e in await events_since(lisi, since) if (e["type"], e["op"]) == ("member", "added")]
    assert [e["data"] for e in added] == [{"user_ids": [wangwu.id], "by": wangwu.id}]
    page = await ok(await wangwu.get(f"/api/v1/conversations/{cid}/messages"))
    assert orjson.loads(page["messages"][-1]["body"]) == {"action": "joined_by_link", "user_ids": [wangwu.id]}
    again = await join(wangwu, made["token"])
    assert again.status_code == 409 and error_code(again) == "ALREADY_MEMBER"
    assert (await ok(await wangwu.get(f"/api/v1/group-invitations/{made['token']}")))["is_member"] is True
    # Logged out: nothing.
    assert (await wangwu.http.get(f"/api/v1/group-invitations/{made['token']}")).status_code == 401


async def test_a_new_link_replaces_the_old_and_links_expire_or_are_revoked(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu, alice = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice"))
    cid = await group(zhangsan, lisi)
    await ok(
        await zhangsan.put(f"/api/v1/conversations/{cid}/members/{lisi.id}/role", json={"role": "admin"})
    )
    old = await link(zhangsan, cid)
    new = await link(lisi, cid, expires_in_hours=24)  # an admin may too
    assert new["token"] != old["token"] and new["expires_at"] - new["created_at"] == 24 * 3_600_000
    response = await wangwu.get(f"/api/v1/group-invitations/{old['token']}")
    assert response.status_code == 422 and error_code(response) == "INVITATION_REVOKED"
    assert error_code(await join(wangwu, old["token"])) == "INVITATION_REVOKED"
    await ok(await lisi.delete(f"/api/v1/conversations/{cid}/invite-link"))
    assert error_code(await join(wangwu, new["token"])) == "INVITATION_REVOKED"
    assert await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/invite-link")) == {"link": None}
    # Unknown tokens (and absurd ones) are not found.
    for token in ("x", "A" * 43, "%00", "../../etc"):
        # (a NUL in the address is refused at the edge: 400)
        assert (await wangwu.get(f"/api/v1/group-invitations/{token}")).status_code in (400, 404, 422), token
    assert error_code(await wangwu.get(f"/api/v1/group-invitations/{'B' * 43}")) == "INVITATION_NOT_FOUND"
    # An expired link.
    from sqlalchemy import update

    from lakeside.store.tables import group_invitations

    third = await link(zhangsan, cid, expires_in_hours=1)
    async with app.state.services.ctx.db.transaction() as conn:
        await conn.execute(
            update(group_invitations).where(group_invitations.c.token == third["token"]).values(expires_at=1)
        )
    assert error_code(await join(alice, third["token"])) == "INVITATION_EXPIRED"
    for hours in (0, 24 * 366, "1"):
        bad = await zhangsan.post(
            f"/api/v1/conversations/{cid}/invite-link", json={"expires_in_hours": hours}
        )
        assert bad.status_code == 422, hours


async def test_only_plain_groups_have_links(people: dict[str, Person]) -> None:
    from tests.test_organizations import create_org

    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await create_org(zhangsan)
    all_staff = org["all_staff_conversation_id"]
    response = await zhangsan.post(f"/api/v1/conversations/{all_staff}/invite-link", json={})
    assert response.status_code == 422 and error_code(response) == "NOT_A_GROUP"
    from tests.conftest import befriend

    await befriend(zhangsan, lisi)
    direct = (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id})))["id"]
    assert (
        error_code(await zhangsan.post(f"/api/v1/conversations/{direct}/invite-link", json={}))
        == "NOT_A_GROUP"
    )
    assert error_code(await zhangsan.post(f"/api/v1/conversations/{NOWHERE}/invite-link", json={})) == (
        "CONVERSATION_NOT_FOUND"
    )


async def test_with_approval_a_join_is_a_request_the_owner_and_admins_decide(
    people: dict[str, Person],
) -> None:
    zhangsan, lisi, wangwu, alice, bob, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob", "mallory")
    )
    cid = await group(zhangsan, lisi, wangwu, title="读书会")
    base = f"/api/v1/conversations/{cid}"
    await ok(await zhangsan.put(f"{base}/members/{lisi.id}/role", json={"role": "admin"}))
    assert error_code(await wangwu.patch(base, json={"join_approval": True})) == "NOT_GROUP_ADMIN"
    view = await ok(await lisi.patch(base, json={"join_approval": True}))
    assert view["join_approval"] is True
    token = (await link(zhangsan, cid))["token"]
    assert (await ok(await alice.get(f"/api/v1/group-invitations/{token}")))["join_approval"] is True

    owner_since, admin_since, member_since = (
        await position(zhangsan),
        await position(lisi),
        await position(wangwu),
    )
    asked = await ok(await join(alice, token, message="我是张三的同事"))
    assert asked["status"] == "pending" and asked["conversation"] is None
    request = asked["request"]
    assert request["user"]["id"] == alice.id and request["message"] == "我是张三的同事"
    assert request["conversation_title"] == "读书会" and request["status"] == "pending"
    assert (await ok(await join(alice, token)))["request"]["id"] == request["id"]  # asking twice: one request
    preview = await ok(await alice.get(f"/api/v1/group-invitations/{token}"))
    assert preview["pending_request"]["id"] == request["id"] and preview["is_member"] is False
    # Not a member yet: the group is still not hers.
    assert error_code(await alice.get(base)) == "CONVERSATION_NOT_FOUND"
    # The owner and admins hear of it live; plain members do not.
    for person, since in ((zhangsan, owner_since), (lisi, admin_since)):
        created = [e for e in await events_since(person, since) if e["type"] == "group_join_request"]
        assert [(e["op"], e["data"]["id"]) for e in created] == [("created", request["id"])]
    assert not [e for e in await events_since(wangwu, member_since) if e["type"] == "group_join_request"]

    listed = await ok(await lisi.get(f"{base}/join-requests"))
    assert [r["id"] for r in listed] == [request["id"]]
    assert error_code(await wangwu.get(f"{base}/join-requests")) == "NOT_GROUP_ADMIN"
    assert error_code(await mallory.get(f"{base}/join-requests")) == "CONVERSATION_NOT_FOUND"
    assert error_code(await wangwu.post(f"{base}/join-requests/{request['id']}/approve")) == "NOT_GROUP_ADMIN"

    alice_since = await position(alice)
    approved = await ok(await lisi.post(f"{base}/join-requests/{request['id']}/approve"))
    assert approved["status"] == "approved" and approved["decided_by"] == lisi.id
    assert (await ok(await alice.get(base)))["id"] == cid  # a member now
    mine = await events_since(alice, alice_since)
    assert ("group_join_request", "decided") in kinds(mine) and ("member", "added") in kinds(mine)
    decided = next(e for e in mine if e["type"] == "group_join_request")
    assert decided["data"]["status"] == "approved" and decided["user_id"] == alice.id
    page = await ok(await alice.get(f"{base}/messages"))
    assert orjson.loads(page["messages"][-1]["body"]) == {
        "action": "joined_by_link",
        "user_ids": [alice.id],
        "approved_by": lisi.id,
    }
    settled = await zhangsan.post(f"{base}/join-requests/{request['id']}/reject")
    assert settled.status_code == 409 and error_code(settled) == "REQUEST_SETTLED"

    # A rejection: the requester hears of it and stays out.
    other = (await ok(await join(bob, token)))["request"]
    bob_since = await position(bob)
    rejected = await ok(await zhangsan.post(f"{base}/join-requests/{other['id']}/reject"))
    assert rejected["status"] == "rejected"
    assert [
        e["data"]["status"] for e in await events_since(bob, bob_since) if e["type"] == "group_join_request"
    ] == ["rejected"]
    assert error_code(await bob.get(base)) == "CONVERSATION_NOT_FOUND"
    assert [
        r["id"] for r in await ok(await zhangsan.get(f"{base}/join-requests", params={"status": "rejected"}))
    ] == [other["id"]]
    # Another group's request through this group's path is not found.
    elsewhere = await group(zhangsan, wangwu, title="别的群")
    assert error_code(
        await zhangsan.post(f"/api/v1/conversations/{elsewhere}/join-requests/{other['id']}/approve")
    ) == ("REQUEST_NOT_FOUND")
    assert error_code(await zhangsan.post(f"{base}/join-requests/{NOWHERE}/approve")) == "REQUEST_NOT_FOUND"


async def test_the_member_cap_holds_when_many_join_at_once(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    from sqlalchemy import update

    from lakeside.store.tables import conversations

    async with app.state.services.ctx.db.transaction() as conn:
        await conn.execute(update(conversations).where(conversations.c.id == cid).values(member_cap=5))
    token = (await link(zhangsan, cid))["token"]
    joiners = [await register(zhangsan.http, f"joiner{i}", f"来者{i}") for i in range(6)]
    answers = await asyncio.gather(*(join(person, token) for person in joiners))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [200, 200, 200, 422, 422, 422], [r.text for r in answers]
    assert {error_code(r) for r in answers if r.status_code == 422} == {"MEMBER_CAP_REACHED"}
    assert (await ok(await zhangsan.get(f"/api/v1/conversations/{cid}")))["member_count"] == 5
    # Approving past the cap is refused too, and the request waits.
    await ok(await zhangsan.patch(f"/api/v1/conversations/{cid}", json={"join_approval": True}))
    late = await register(zhangsan.http, "latecomer", "迟到者")
    request = (await ok(await join(late, token)))["request"]
    full = await zhangsan.post(f"/api/v1/conversations/{cid}/join-requests/{request['id']}/approve")
    assert full.status_code == 422 and error_code(full) == "MEMBER_CAP_REACHED"
    pending = await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/join-requests"))
    assert [r["id"] for r in pending] == [request["id"]]


async def test_the_qr_code_is_the_link_as_an_svg(people: dict[str, Person]) -> None:
    zhangsan, lisi, bob = people["zhangsan"], people["lisi"], people["bob"]
    cid = await group(zhangsan, lisi)
    qr = f"/api/v1/conversations/{cid}/invite-link/qr"
    assert error_code(await zhangsan.get(qr)) == "LINK_NOT_FOUND"
    made = await link(zhangsan, cid)
    assert made["qr_url"] == qr
    response = await zhangsan.get(qr)
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content == qr_svg(made["url"])
    assert (
        response.content.startswith(b"<svg")
        and b"viewBox" in response.content
        and b"<script" not in response.content
    )
    assert error_code(await lisi.get(qr)) == "NOT_GROUP_ADMIN"
    assert error_code(await bob.get(qr)) == "CONVERSATION_NOT_FOUND"


def test_the_qr_code_decodes_to_the_url() -> None:
    """Read the SVG's modules back and decode them with segno's own matrix for the same text: the
    code drawn is the code of the URL (a decoder is not at hand; the matrix comparison is exact)."""
    import segno

    url = "http://127.0.0.1:8000/g/" + "x" * 43
    svg = qr_svg(url).decode()
    expected = segno.make(url, error="m", micro=False)
    reference = [[bool(cell) for cell in row] for row in expected.matrix]
    size = len(reference)
    drawn = [[False] * size for _ in range(size)]
    # segno draws each row's dark runs as "h" moves of one path: rebuild the matrix from it.
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg)
    assert path is not None
    x = y = 0.0
    for command, number in re.findall(r"([Mmh])(-?[\d.]+(?: -?[\d.]+)?)", path.group(1)):
        values = [float(v) for v in number.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            for column in range(int(x), int(x + values[0])):
                drawn[int(y - 4.5)][column - 4] = True
            x += values[0]
    assert drawn == reference


async def test_the_web_route_of_a_link_opens_the_page_at_its_card(client: httpx.AsyncClient) -> None:
    response = await client.get("/g/abc_DEF-123")
    assert response.status_code == 303 and response.headers["location"] == "/#/g/abc_DEF-123"


async def test_asking_twice_at_once_files_one_request(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi)
    await ok(await zhangsan.patch(f"/api/v1/conversations/{cid}", json={"join_approval": True}))
    token = (await link(zhangsan, cid))["token"]
    answers = await asyncio.gather(*(join(wangwu, token) for _ in range(4)))
    assert {r.status_code for r in answers} == {200}, [r.text for r in answers]
    assert len({r.json()["request"]["id"] for r in answers}) == 1
    assert len(await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/join-requests"))) == 1
