"""Conversations: direct chats, groups (create, rename, avatar, members, roles, leave, transfer, cap),
the caller's own settings, the conversation list (order, paging, previews, unread counts, read
cursors), and the rule that a non-member sees every conversation and message endpoint answer
exactly as for something that does not exist."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import update

from lakeside.config import Settings
from lakeside.store.tables import users
from tests.conftest import Person, befriend, error_code
from tests.test_messages import open_direct, send

NOWHERE = 10**12  # a valid id that names nothing


async def create_group(owner: Person, members: list[Person], title: str = "项目组") -> dict[str, Any]:
    response = await owner.post(
        "/api/v1/conversations", json={"title": title, "member_ids": [p.id for p in members]}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def history(person: Person, conversation_id: int) -> list[dict[str, Any]]:
    response = await person.get(f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200})
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


async def system_events(person: Person, conversation_id: int) -> list[dict[str, Any]]:
    """The system messages' machine-readable bodies, oldest first."""
    return [orjson.loads(m["body"]) for m in await history(person, conversation_id) if m["kind"] == "system"]


async def roles(person: Person, conversation_id: int) -> dict[int, str]:
    response = await person.get(f"/api/v1/conversations/{conversation_id}/members")
    assert response.status_code == 200, response.text
    return {entry["user"]["id"]: entry["role"] for entry in response.json()}


async def conversation(person: Person, conversation_id: int) -> dict[str, Any]:
    response = await person.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def listed(person: Person, **params: Any) -> dict[str, Any]:
    response = await person.get("/api/v1/conversations", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue()


async def upload(person: Person, content: bytes, filename: str) -> str:
    response = await person.post(
        "/api/v1/files", files={"file": (filename, content, "application/octet-stream")}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# -- direct chats ---------------------------------------------------------------------------------


async def test_direct_chat_refusals(people: dict[str, Person]) -> None:
    zhangsan, lisi, bob = people["zhangsan"], people["lisi"], people["bob"]
    for body, status, code in [
        ({"user_id": zhangsan.id}, 422, "CANNOT_MESSAGE_SELF"),
        ({"user_id": NOWHERE}, 404, "USER_NOT_FOUND"),
        ({"user_id": bob.id}, 403, "NOT_FRIENDS"),
        ({"user_id": True}, 422, "VALIDATION_FAILED"),
        ({"user_id": str(lisi.id)}, 422, "VALIDATION_FAILED"),
        ({"user_id": 2**70}, 422, "VALIDATION_FAILED"),
    ]:
        response = await zhangsan.post("/api/v1/conversations/direct", json=body)
        assert response.status_code == status, (body, response.text)
        assert error_code(response) == code
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    assert (await lisi.put(f"/api/v1/blocks/{zhangsan.id}")).status_code == 200
    for a, b in ((zhangsan, lisi), (lisi, zhangsan)):
        response = await a.post("/api/v1/conversations/direct", json={"user_id": b.id})
        assert response.status_code == 403
        assert error_code(response) == "BLOCKED"
    # The history stays readable for both; nothing new was created.
    assert [c["id"] for c in (await listed(zhangsan))["conversations"]] == [cid]


async def test_opening_the_same_direct_chat_at_once_gives_one_conversation(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    responses = await asyncio.gather(
        *(
            a.post("/api/v1/conversations/direct", json={"user_id": b.id})
            for _ in range(3)
            for a, b in ((zhangsan, lisi), (lisi, zhangsan))
        )
    )
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    view = responses[0].json()
    assert view["kind"] == "direct" and view["member_count"] == 2 and view["title"] is None


# -- groups ---------------------------------------------------------------------------------------


async def test_group_is_created_with_friends_only(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, bob, alice, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "bob", "alice", "mallory")
    )
    for friend in (lisi, wangwu, bob, alice):
        await befriend(zhangsan, friend)
    assert (await zhangsan.put(f"/api/v1/blocks/{bob.id}")).status_code == 200
    assert (await alice.put(f"/api/v1/blocks/{zhangsan.id}")).status_code == 200
    for member_ids, status, code, culprit in [
        ([lisi.id, mallory.id], 403, "NOT_FRIENDS", mallory.id),
        ([lisi.id, bob.id], 403, "BLOCKED", bob.id),  # blocked by the creator
        ([alice.id, lisi.id], 403, "BLOCKED", alice.id),  # the creator is blocked
        ([lisi.id, NOWHERE], 404, "USER_NOT_FOUND", NOWHERE),
    ]:
        response = await zhangsan.post(
            "/api/v1/conversations", json={"title": "组", "member_ids": member_ids}
        )
        assert response.status_code == status, response.text
        assert error_code(response) == code
        assert response.json()["error"]["user_id"] == culprit
    for body in (
        {"title": "   ", "member_ids": [lisi.id]},
        {"title": "bad\u0007name", "member_ids": [lisi.id]},
        {"title": "x" * 65, "member_ids": [lisi.id]},
    ):
        response = await zhangsan.post("/api/v1/conversations", json=body)
        assert response.status_code == 422
        assert error_code(response) == "INVALID_NAME"
    for body in (
        {"member_ids": [lisi.id]},
        {"title": 5},
        {"title": "组", "member_ids": [True]},
        {"title": "组", "x": 1},
    ):
        response = await zhangsan.post("/api/v1/conversations", json=body)
        assert response.status_code == 422
        assert error_code(response) == "VALIDATION_FAILED"
    assert (await listed(zhangsan))["conversations"] == []  # no refusal left a half-made group

    group = await create_group(zhangsan, [lisi, wangwu, zhangsan, lisi], title="  钓鱼小组 ")
    assert group["kind"] == "group" and group["title"] == "钓鱼小组"
    assert group["role"] == "owner" and group["member_count"] == 3 and group["created_by"] == zhangsan.id
    assert await roles(zhangsan, group["id"]) == {
        zhangsan.id: "owner",
        lisi.id: "member",
        wangwu.id: "member",
    }
    (created,) = await history(lisi, group["id"])
    assert created["kind"] == "system" and created["seq"] == 1 and created["sender_id"] == zhangsan.id
    assert orjson.loads(created["body"]) == {
        "action": "group_created",
        "title": "钓鱼小组",
        "user_ids": sorted([lisi.id, wangwu.id]),
    }
    seen_by_lisi = await conversation(lisi, group["id"])
    assert seen_by_lisi["role"] == "member" and seen_by_lisi["unread"] == 1
    assert group["unread"] == 0  # the creator's own system message


async def test_rename_and_avatar_by_owner_or_admin_only(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    group = await create_group(zhangsan, [lisi, wangwu])
    gid = group["id"]
    url = f"/api/v1/conversations/{gid}"

    response = await lisi.patch(url, json={"title": "篡位"})
    assert response.status_code == 403
    assert error_code(response) == "NOT_GROUP_ADMIN"
    response = await zhangsan.patch(url, json={"title": "新名字"})
    assert response.status_code == 200 and response.json()["title"] == "新名字"
    assert (await zhangsan.put(f"{url}/members/{lisi.id}/role", json={"role": "admin"})).status_code == 200
    response = await lisi.patch(url, json={"title": "管理员改的"})
    assert response.status_code == 200 and response.json()["title"] == "管理员改的"
    assert (await lisi.patch(url, json={"title": "管理员改的"})).status_code == 200  # unchanged: no message
    response = await lisi.patch(url, json={"title": ""})
    assert response.status_code == 422 and error_code(response) == "INVALID_NAME"
    assert [e["action"] for e in await system_events(wangwu, gid)] == [
        "group_created",
        "group_renamed",
        "group_renamed",
    ]
    assert (await system_events(wangwu, gid))[-1] == {"action": "group_renamed", "title": "管理员改的"}

    image = await upload(lisi, png(), "avatar.png")
    text_file = await upload(lisi, b"just some words", "notes.txt")
    someone_elses = await upload(zhangsan, png(), "mine.png")
    for file_id, status, code in [
        (someone_elses, 404, "FILE_NOT_FOUND"),
        ("0" * 32, 404, "FILE_NOT_FOUND"),
        (text_file, 422, "NOT_AN_IMAGE"),
    ]:
        response = await lisi.patch(url, json={"avatar_file_id": file_id})
        assert response.status_code == status, response.text
        assert error_code(response) == code
    assert (await conversation(wangwu, gid))["avatar_url"] is None
    response = await wangwu.patch(url, json={"avatar_file_id": image})
    assert response.status_code == 403 and error_code(response) == "NOT_GROUP_ADMIN"
    response = await lisi.patch(url, json={"avatar_file_id": image})
    assert response.status_code == 200, response.text
    assert (await conversation(wangwu, gid))["avatar_url"] == f"/api/v1/files/{image}"

    cid = await open_direct(zhangsan, lisi)
    response = await zhangsan.patch(f"/api/v1/conversations/{cid}", json={"title": "私聊"})
    assert response.status_code == 422 and error_code(response) == "NOT_A_GROUP"


async def test_any_member_adds_their_own_friends(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, bob = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob"))
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    await befriend(zhangsan, bob)
    await befriend(lisi, alice)
    gid = (await create_group(zhangsan, [lisi]))["id"]
    url = f"/api/v1/conversations/{gid}/members"
    await send(lisi, gid, "before alice")

    response = await lisi.post(url, json={"user_ids": [bob.id]})  # zhangsan's friend, not lisi's
    assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS"
    response = await lisi.post(url, json={"user_ids": [zhangsan.id, lisi.id]})
    assert response.status_code == 409 and error_code(response) == "ALREADY_MEMBERS"
    for body in ({"user_ids": []}, {"user_ids": ["1"]}, {"user_ids": [0]}, {"user_ids": [2**64]}):
        response = await lisi.post(url, json=body)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"
    response = await lisi.post(url, json={"user_ids": [alice.id, zhangsan.id, alice.id]})
    assert response.status_code == 200, response.text
    assert response.json()["member_count"] == 3
    assert await roles(alice, gid) == {zhangsan.id: "owner", lisi.id: "member", alice.id: "member"}
    assert (await system_events(alice, gid))[-1] == {"action": "members_added", "user_ids": [alice.id]}
    joined = await conversation(alice, gid)
    assert joined["role"] == "member" and joined["unread"] == 1  # the message announcing her
    response = await zhangsan.post(url, json={"user_ids": [wangwu.id, bob.id]})
    assert response.status_code == 200 and response.json()["member_count"] == 5

    cid = await open_direct(zhangsan, lisi)
    response = await zhangsan.post(f"/api/v1/conversations/{cid}/members", json={"user_ids": [wangwu.id]})
    assert response.status_code == 422 and error_code(response) == "NOT_A_GROUP"


class TestMemberCap:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        """Groups of at most three, for this class only."""
        return settings.model_copy(update={"group_member_cap": 3})

    async def test_cap_holds_on_create_and_add(self, people: dict[str, Person]) -> None:
        zhangsan, lisi, wangwu, alice = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice"))
        for friend in (lisi, wangwu, alice):
            await befriend(zhangsan, friend)
        response = await zhangsan.post(
            "/api/v1/conversations", json={"title": "太多", "member_ids": [lisi.id, wangwu.id, alice.id]}
        )
        assert response.status_code == 422 and error_code(response) == "MEMBER_CAP_REACHED"
        assert response.json()["error"]["cap"] == 3
        group = await create_group(zhangsan, [lisi, wangwu])
        assert group["member_cap"] == 3 and group["member_count"] == 3
        url = f"/api/v1/conversations/{group['id']}/members"
        response = await zhangsan.post(url, json={"user_ids": [alice.id]})
        assert response.status_code == 422 and error_code(response) == "MEMBER_CAP_REACHED"
        assert (await zhangsan.delete(f"{url}/{wangwu.id}")).status_code == 200
        assert (await zhangsan.post(url, json={"user_ids": [alice.id]})).json()["member_count"] == 3

    async def test_racing_adds_never_pass_the_cap(self, people: dict[str, Person]) -> None:
        zhangsan, lisi, wangwu, alice = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice"))
        for friend in (lisi, wangwu, alice):
            await befriend(zhangsan, friend)
        gid = (await create_group(zhangsan, []))["id"]
        url = f"/api/v1/conversations/{gid}/members"
        responses = await asyncio.gather(
            *(zhangsan.post(url, json={"user_ids": [p.id]}) for p in (lisi, wangwu, alice))
        )
        assert sorted(r.status_code for r in responses) == [200, 200, 422], [r.text for r in responses]
        assert len(await roles(zhangsan, gid)) == 3
        assert (await conversation(zhangsan, gid))["member_count"] == 3


async def test_remove_member_rules(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice"))
    for friend in (lisi, wangwu, alice):
        await befriend(zhangsan, friend)
    gid = (await create_group(zhangsan, [lisi, wangwu, alice]))["id"]
    url = f"/api/v1/conversations/{gid}"
    assert (await zhangsan.put(f"{url}/members/{lisi.id}/role", json={"role": "admin"})).status_code == 200
    assert (await zhangsan.put(f"{url}/members/{alice.id}/role", json={"role": "admin"})).status_code == 200

    for actor, target, status, code in [
        (wangwu, alice, 403, "NOT_GROUP_ADMIN"),  # a member removes no one
        (lisi, alice, 403, "NOT_GROUP_ADMIN"),  # an admin does not remove an admin
        (lisi, zhangsan, 403, "NOT_GROUP_ADMIN"),  # nor the owner
        (lisi, people["bob"], 404, "MEMBER_NOT_FOUND"),
    ]:
        response = await actor.delete(f"{url}/members/{target.id}")
        assert response.status_code == status, (actor.username, target.username, response.text)
        assert error_code(response) == code
    message_id = (await send(wangwu, gid, "我还在")).json()["id"]
    assert (await lisi.delete(f"{url}/members/{wangwu.id}")).status_code == 200  # admin removes a member
    assert (await zhangsan.delete(f"{url}/members/{alice.id}")).status_code == 200  # owner removes an admin
    assert await roles(zhangsan, gid) == {zhangsan.id: "owner", lisi.id: "admin"}
    assert (await system_events(lisi, gid))[-2:] == [
        {"action": "member_removed", "user_ids": [wangwu.id]},
        {"action": "member_removed", "user_ids": [alice.id]},
    ]
    # Removed means gone at once: the removed member sees nothing, not even their own message.
    await assert_hidden(wangwu, gid, message_id, zhangsan.id)
    assert gid not in [c["id"] for c in (await listed(wangwu))["conversations"]]
    response = await zhangsan.delete(f"{url}/members/{zhangsan.id}")  # removing yourself is leaving
    assert response.status_code == 409 and error_code(response) == "OWNER_MUST_TRANSFER"


async def test_leave_transfer_and_roles(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, bob = (people[n] for n in ("zhangsan", "lisi", "wangwu", "bob"))
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    gid = (await create_group(zhangsan, [lisi, wangwu]))["id"]
    url = f"/api/v1/conversations/{gid}"

    response = await zhangsan.post(f"{url}/leave")
    assert response.status_code == 409 and error_code(response) == "OWNER_MUST_TRANSFER"
    for body in ({"role": "owner"}, {"role": "boss"}, {"role": 1}, {}):
        response = await zhangsan.put(f"{url}/members/{lisi.id}/role", json=body)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"
    response = await zhangsan.put(f"{url}/members/{zhangsan.id}/role", json={"role": "member"})
    assert response.status_code == 422 and error_code(response) == "INVALID_ROLE"
    response = await zhangsan.put(f"{url}/members/{bob.id}/role", json={"role": "admin"})
    assert response.status_code == 404 and error_code(response) == "MEMBER_NOT_FOUND"
    assert (await zhangsan.put(f"{url}/members/{lisi.id}/role", json={"role": "admin"})).status_code == 200
    for actor in (lisi, wangwu):  # admins and members alike: roles are the owner's
        response = await actor.put(f"{url}/members/{wangwu.id}/role", json={"role": "admin"})
        assert response.status_code == 403 and error_code(response) == "NOT_GROUP_OWNER"
        response = await actor.post(f"{url}/transfer", json={"user_id": actor.id})
        assert response.status_code == 403 and error_code(response) == "NOT_GROUP_OWNER"
    for target, code in ((bob.id, "MEMBER_NOT_FOUND"), (zhangsan.id, "MEMBER_NOT_FOUND")):
        response = await zhangsan.post(f"{url}/transfer", json={"user_id": target})
        assert response.status_code == 404 and error_code(response) == code

    assert (await zhangsan.post(f"{url}/transfer", json={"user_id": wangwu.id})).status_code == 200
    assert await roles(lisi, gid) == {zhangsan.id: "admin", lisi.id: "admin", wangwu.id: "owner"}
    assert (await system_events(lisi, gid))[-1] == {"action": "owner_changed", "user_ids": [wangwu.id]}
    response = await zhangsan.put(f"{url}/members/{lisi.id}/role", json={"role": "member"})
    assert response.status_code == 403 and error_code(response) == "NOT_GROUP_OWNER"
    assert (await zhangsan.post(f"{url}/leave")).status_code == 200
    assert (await system_events(lisi, gid))[-1] == {"action": "member_left", "user_ids": [zhangsan.id]}
    assert (await zhangsan.get(url)).status_code == 404
    assert (await lisi.delete(f"{url}/members/{lisi.id}")).status_code == 200  # leaving by DELETE
    assert (await wangwu.post(f"{url}/leave")).status_code == 200  # the last one out needs no heir
    assert (await wangwu.get(url)).status_code == 404

    cid = await open_direct(zhangsan, lisi)
    response = await zhangsan.post(f"/api/v1/conversations/{cid}/leave")
    assert response.status_code == 422 and error_code(response) == "NOT_A_GROUP"


async def test_racing_transfers_leave_one_owner(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    gid = (await create_group(zhangsan, [lisi, wangwu]))["id"]
    responses = await asyncio.gather(
        *(
            zhangsan.post(f"/api/v1/conversations/{gid}/transfer", json={"user_id": p.id})
            for p in (lisi, wangwu)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 403]
    assert sorted((await roles(zhangsan, gid)).values()) == ["admin", "member", "owner"]


async def test_member_list_pages_by_user_id(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    others = [people[n] for n in ("lisi", "wangwu", "alice", "bob", "mallory")]
    for other in others:
        await befriend(zhangsan, other)
    gid = (await create_group(zhangsan, others))["id"]
    url = f"/api/v1/conversations/{gid}/members"
    seen: list[int] = []
    after = 0
    while True:
        page = (await others[0].get(url, params={"after": after, "limit": 2})).json()
        assert len(page) <= 2
        if not page:
            break
        seen.extend(entry["user"]["id"] for entry in page)
        after = page[-1]["user"]["id"]
    assert seen == sorted(p.id for p in [zhangsan, *others])
    everyone = (await others[0].get(url)).json()
    assert [e["user"]["id"] for e in everyone] == seen
    assert {e["user"]["username"]: e["role"] for e in everyone}["zhangsan"] == "owner"
    for params in ({"limit": 0}, {"limit": 1001}, {"after": -1}, {"after": "x"}):
        response = await others[0].get(url, params=params)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"


async def test_pin_and_mute_are_the_callers_own(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    gid = (await create_group(zhangsan, [lisi]))["id"]
    url = f"/api/v1/conversations/{gid}/settings"
    response = await lisi.put(url, json={"pinned": True, "muted": True})
    assert response.status_code == 200
    assert response.json()["pinned"] is True and response.json()["muted"] is True
    theirs = await conversation(zhangsan, gid)
    assert theirs["pinned"] is False and theirs["muted"] is False
    response = await lisi.put(url, json={"muted": False})
    assert response.json()["pinned"] is True and response.json()["muted"] is False
    for body in ({"pinned": "yes"}, {"pinned": 1}, {"starred": True}):
        response = await lisi.put(url, json=body)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"
    assert (await conversation(lisi, gid))["pinned"] is True


# -- the conversation list ------------------------------------------------------------------------


async def test_list_is_ordered_by_activity_and_pages_without_gaps(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    friends = [people[n] for n in ("lisi", "wangwu", "alice", "bob")]
    for friend in friends:
        await befriend(zhangsan, friend)
    ids = [await open_direct(zhangsan, friend) for friend in friends]
    ids.append((await create_group(zhangsan, friends[:2], title="一组"))["id"])
    ids.append((await create_group(zhangsan, friends[2:], title="二组"))["id"])
    for cid in (ids[2], ids[0], ids[5]):
        assert (await send(zhangsan, cid, f"ping {cid}")).status_code == 201

    full = (await listed(zhangsan))["conversations"]
    assert sorted(c["id"] for c in full) == sorted(ids)
    keys = [(c["last_activity_at"], c["id"]) for c in full]
    assert keys == sorted(keys, reverse=True)
    assert full[0]["last_activity_at"] == max(c["last_activity_at"] for c in full)
    # The conversation written to last is at the top (or tied with it to the millisecond).
    latest = next(c for c in full if c["id"] == ids[5])
    assert latest["last_activity_at"] == full[0]["last_activity_at"]

    for limit in (1, 2, 4):
        paged: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            page = await listed(zhangsan, **params)
            assert len(page["conversations"]) <= limit
            paged.extend(c["id"] for c in page["conversations"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == [c["id"] for c in full], limit
    for cursor in ("nonsense", "1.x", "-5.3", f"{2**64}.1", "1.2.3"):
        response = await zhangsan.get("/api/v1/conversations", params={"cursor": cursor})
        assert response.status_code == 422 and error_code(response) == "INVALID_CURSOR", cursor
    assert (await listed(people["mallory"]))["conversations"] == []


async def test_previews_unread_counts_and_read_cursors(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    assert (await conversation(lisi, cid))["last_message"] is None
    for body in ("一", "二", "三"):
        assert (await send(zhangsan, cid, body)).status_code == 201

    mine, theirs = await conversation(zhangsan, cid), await conversation(lisi, cid)
    assert mine["unread"] == 0 and mine["read_seq"] == 3  # your own messages are read
    assert theirs["unread"] == 3 and theirs["read_seq"] == 0
    assert theirs["last_message"] | {"id": 0, "created_at": 0} == {
        "id": 0,
        "sender_id": zhangsan.id,
        "kind": "text",
        "body": "三",
        "recalled": False,
        "created_at": 0,
    }
    assert theirs["peer"]["id"] == zhangsan.id and mine["peer_read_seq"] == 0

    read = f"/api/v1/conversations/{cid}/read"
    assert (await lisi.post(read, json={"seq": 2})).json() == {
        "conversation_id": cid,
        "read_seq": 2,
        "unread": 1,
    }
    assert (await lisi.post(read, json={"seq": 1})).json()["read_seq"] == 2  # never backwards
    assert (await lisi.post(read, json={"seq": 0})).json()["read_seq"] == 2
    assert (await lisi.post(read, json={"seq": 10**9})).json() == {
        "conversation_id": cid,
        "read_seq": 3,
        "unread": 0,
    }
    assert (await conversation(lisi, cid))["unread"] == 0
    assert (await conversation(zhangsan, cid))["peer_read_seq"] == 3

    reply = (await send(lisi, cid, "收到")).json()
    assert (await conversation(zhangsan, cid))["unread"] == 1
    assert (await conversation(lisi, cid))["unread"] == 0
    assert (await lisi.post(f"/api/v1/messages/{reply['id']}/recall")).status_code == 200
    preview = (await conversation(zhangsan, cid))["last_message"]
    assert preview["id"] == reply["id"] and preview["recalled"] is True and preview["body"] == ""
    entry = next(c for c in (await listed(zhangsan))["conversations"] if c["id"] == cid)
    assert entry["last_message"]["recalled"] is True and entry["last_message"]["body"] == ""

    for body in ({"seq": "1"}, {"seq": -1}, {"seq": 1.5}, {}, {"seq": 1, "x": 1}):
        response = await lisi.post(read, json=body)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"


async def test_unread_counts_in_a_busy_group(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    gid = (await create_group(zhangsan, [lisi, wangwu]))["id"]  # seq 1: the system message
    await asyncio.gather(*(send(p, gid, f"{p.username} {i}") for i in range(4) for p in (zhangsan, lisi)))
    # 1 system + 8 messages. Each sender's cursor is at their own newest message.
    views = {p.username: await conversation(p, gid) for p in (zhangsan, lisi, wangwu)}
    assert views["wangwu"]["unread"] == 9 and views["wangwu"]["last_seq"] == 9
    timeline = await history(wangwu, gid)
    for person in (zhangsan, lisi):
        own_last = max(m["seq"] for m in timeline if m["sender_id"] == person.id and m["kind"] == "text")
        assert views[person.username]["read_seq"] == own_last
        assert views[person.username]["unread"] == 9 - own_last


# -- who may see what -----------------------------------------------------------------------------


def endpoints(conversation_id: int, message_id: int, other_id: int) -> list[tuple[str, str, Any]]:
    """Every conversation and message endpoint, with a body that would be valid for a member."""
    c, m = f"/api/v1/conversations/{conversation_id}", f"/api/v1/messages/{message_id}"
    return [
        ("GET", c, None),
        ("PATCH", c, {"title": "hacked"}),
        ("PUT", f"{c}/settings", {"pinned": True}),
        ("GET", f"{c}/members", None),
        ("POST", f"{c}/members", {"user_ids": [other_id]}),
        ("DELETE", f"{c}/members/{other_id}", None),
        ("PUT", f"{c}/members/{other_id}/role", {"role": "admin"}),
        ("POST", f"{c}/transfer", {"user_id": other_id}),
        ("POST", f"{c}/leave", None),
        ("GET", f"{c}/messages", None),
        ("POST", f"{c}/messages", {"client_msg_id": "sneaky-1", "body": "hi"}),
        ("POST", f"{c}/read", {"seq": 1}),
        ("GET", m, None),
        ("PATCH", m, {"body": "changed"}),
        ("POST", f"{m}/recall", None),
        ("PUT", f"{m}/reactions/👍", None),
        ("DELETE", f"{m}/reactions/👍", None),
    ]


async def call(person: Person, method: str, url: str, body: Any) -> httpx.Response:
    return await person.http.request(method, url, headers=person.headers, json=body)


async def assert_hidden(person: Person, conversation_id: int, message_id: int, other_id: int) -> None:
    """Each endpoint answers ``person`` exactly as it does for ids that name nothing."""
    real = endpoints(conversation_id, message_id, other_id)
    fake = endpoints(NOWHERE, NOWHERE, other_id)
    for (method, url, body), (_, nowhere, _) in zip(real, fake, strict=True):
        response = await call(person, method, url, body)
        expected = await call(person, method, nowhere, body)
        assert expected.status_code == 404, (method, nowhere, expected.text)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json() == expected.json(), (method, url)


async def test_non_members_see_nothing_anywhere(people: dict[str, Person]) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    await befriend(zhangsan, lisi)
    await befriend(mallory, zhangsan)  # a friend of a member is still not a member
    gid = (await create_group(zhangsan, [lisi]))["id"]
    cid = await open_direct(zhangsan, lisi)
    for conversation_id in (gid, cid):
        # A client message id per message: the same id in another conversation is a conflict.
        message = (await send(lisi, conversation_id, "秘密", cid=f"secret-{conversation_id}")).json()
        assert (await zhangsan.put(f"/api/v1/messages/{message['id']}/reactions/👍")).status_code == 200
        before = await history(lisi, conversation_id)
        members_before = await roles(lisi, conversation_id)
        await assert_hidden(mallory, conversation_id, message["id"], zhangsan.id)
        assert await history(lisi, conversation_id) == before
        assert await roles(lisi, conversation_id) == members_before
    assert (await listed(mallory))["conversations"] == []
    for url in ("/api/v1/conversations/0", "/api/v1/conversations/-1", f"/api/v1/messages/{2**64}"):
        response = await mallory.get(url)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"


async def test_deactivated_accounts_cannot_be_added(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, alice = people["zhangsan"], people["lisi"], people["alice"]
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, alice)
    gid = (await create_group(zhangsan, [lisi]))["id"]
    async with app.state.services.ctx.db.transaction() as conn:
        await conn.execute(update(users).where(users.c.id == alice.id).values(is_active=False))
    response = await zhangsan.post(f"/api/v1/conversations/{gid}/members", json={"user_ids": [alice.id]})
    assert response.status_code == 404 and error_code(response) == "USER_NOT_FOUND"
    response = await zhangsan.post("/api/v1/conversations", json={"title": "组", "member_ids": [alice.id]})
    assert response.status_code == 404 and error_code(response) == "USER_NOT_FOUND"
    response = await zhangsan.post("/api/v1/conversations/direct", json={"user_id": alice.id})
    assert response.status_code == 404 and error_code(response) == "USER_NOT_FOUND"
