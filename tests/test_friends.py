"""Friends: requests (send, dedup, crossing, accept, decline, cancel), remarks, unfriending, blocks,
the events each side receives, and refusals that leave nothing behind."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import func, select

from lakeside.store import friends as friend_store
from lakeside.store import users as user_store
from lakeside.store.tables import events, friend_requests, friendships
from tests.conftest import Person, befriend, error_code
from tests.test_messages import open_direct, png, timeline, upload
from tests.test_messages import send as send_message
from tests.test_organizations import company

SOCIAL_TYPES = ("friend", "friend_request", "block")


async def social_events(app: FastAPI, person: Person) -> list[tuple[str, str, dict[str, Any]]]:
    """The social events in a user's durable stream, oldest first."""
    async with app.state.services.ctx.db.read() as conn:
        rows = await conn.execute(
            select(events)
            .where(events.c.user_id == person.id, events.c.type.in_(SOCIAL_TYPES))
            .order_by(events.c.id)
        )
        return [(row.type, row.op, orjson.loads(row.data)) for row in rows]


async def count_rows(app: FastAPI) -> tuple[int, int, int]:
    async with app.state.services.ctx.db.read() as conn:
        requests = await conn.scalar(select(func.count()).select_from(friend_requests))
        friends = await conn.scalar(select(func.count()).select_from(friendships))
        logged = await conn.scalar(
            select(func.count()).select_from(events).where(events.c.type.in_(SOCIAL_TYPES))
        )
    return requests or 0, friends or 0, logged or 0


async def send(a: Person, b: Person, greeting: str | None = "hi") -> httpx.Response:
    body: dict[str, Any] = {"user_id": b.id}
    if greeting is not None:
        body["greeting"] = greeting
    return await a.post("/api/v1/friends/requests", json=body)


async def friend_ids(person: Person) -> list[int]:
    response = await person.get("/api/v1/friends")
    assert response.status_code == 200, response.text
    return [entry["user"]["id"] for entry in response.json()]


async def pending(person: Person, direction: str = "incoming") -> list[dict[str, Any]]:
    response = await person.get("/api/v1/friends/requests", params={"direction": direction})
    assert response.status_code == 200, response.text
    return list(response.json())


# -- requests ---------------------------------------------------------------------------------


async def test_request_and_accept(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    response = await send(alice, bob, "  我是Alice，一起钓鱼吧  ")
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["from_user"] == {
        "id": alice.id,
        "username": "alice",
        "display_name": "Alice Chen",
        "avatar_url": None,
        "deleted": False,
        "bot": None,  # a person, not a robot
    }
    assert request["to_user"]["id"] == bob.id
    assert request["greeting"] == "我是Alice，一起钓鱼吧"
    assert request["status"] == "pending" and request["decided_at"] is None
    assert await pending(bob) == [request]
    assert await pending(alice, "outgoing") == [request]
    assert await pending(alice) == [] and await pending(bob, "outgoing") == []

    response = await bob.post(f"/api/v1/friends/requests/{request['id']}/accept")
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["request"]["id"] == request["id"]
    assert accepted["request"]["status"] == "accepted"
    assert accepted["request"]["decided_at"] >= request["created_at"]
    assert accepted["friend"]["user"]["id"] == alice.id and accepted["friend"]["remark"] is None
    assert await friend_ids(alice) == [bob.id] and await friend_ids(bob) == [alice.id]
    assert await pending(bob) == [] and await pending(alice, "outgoing") == []

    # Each side's stream tells it the whole story, and the friend entry it carries is exactly what
    # GET /friends now answers for that side.
    for person in (alice, bob):
        stream = await social_events(app, person)
        assert [(kind, op) for kind, op, _ in stream] == [
            ("friend_request", "created"),
            ("friend_request", "accepted"),
            ("friend", "added"),
        ]
        assert stream[0][2] == request
        assert stream[1][2] == accepted["request"]
        assert [stream[2][2]] == (await person.get("/api/v1/friends")).json()
    assert await social_events(app, people["mallory"]) == []


async def test_request_without_greeting(people: dict[str, Person]) -> None:
    response = await send(people["lisi"], people["wangwu"], greeting=None)
    assert response.status_code == 201, response.text
    assert response.json()["greeting"] == ""


async def test_request_rules(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob, lisi = people["alice"], people["bob"], people["lisi"]
    response = await send(alice, alice)
    assert response.status_code == 422 and error_code(response) == "CANNOT_FRIEND_SELF"
    response = await alice.post("/api/v1/friends/requests", json={"user_id": 999_999})
    assert response.status_code == 404 and error_code(response) == "USER_NOT_FOUND"

    async with app.state.services.ctx.db.transaction() as conn:
        await user_store.update_user(conn, lisi.id, {"is_active": False})
    response = await send(alice, lisi)
    assert response.status_code == 404 and error_code(response) == "USER_NOT_FOUND"

    await befriend(alice, bob)
    response = await send(alice, bob)
    assert response.status_code == 409 and error_code(response) == "ALREADY_FRIENDS"
    response = await send(bob, alice)
    assert response.status_code == 409 and error_code(response) == "ALREADY_FRIENDS"


async def test_repeated_request_returns_the_pending_one(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    first = await send(alice, bob, "first")
    assert first.status_code == 201
    again = await send(alice, bob, "second")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert len(await pending(bob)) == 1
    assert [op for _, op, _ in await social_events(app, bob)] == ["created"]


async def test_crossing_requests_become_a_friendship(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    first = (await send(alice, bob, "hello")).json()
    response = await send(bob, alice, "hello back")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == first["id"] and body["status"] == "accepted"
    assert body["from_user"]["id"] == alice.id and body["greeting"] == "hello"
    assert await friend_ids(alice) == [bob.id] and await friend_ids(bob) == [alice.id]
    assert await pending(alice) == [] and await pending(bob) == []
    requests, rows, _ = await count_rows(app)
    assert (requests, rows) == (1, 2)
    ops = [(kind, op) for kind, op, _ in await social_events(app, bob)]
    assert ops == [("friend_request", "created"), ("friend_request", "accepted"), ("friend", "added")]


async def test_simultaneous_requests_make_one_friendship(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    responses = await asyncio.gather(send(alice, bob), send(bob, alice), send(alice, bob), send(bob, alice))
    # Whatever the interleaving: one request is created, the rest find it pending, accept it by
    # crossing, or find the two already friends.
    outcomes = [
        (response.status_code, error_code(response) if response.status_code >= 400 else "")
        for response in responses
    ]
    assert set(outcomes) <= {(201, ""), (200, ""), (409, "ALREADY_FRIENDS")}, outcomes
    assert outcomes.count((201, "")) == 1, outcomes
    assert await friend_ids(alice) == [bob.id] and await friend_ids(bob) == [alice.id]
    assert await pending(alice) == [] and await pending(bob) == []
    requests, rows, _ = await count_rows(app)
    assert (requests, rows) == (1, 2)


async def test_only_the_right_side_may_answer(people: dict[str, Person]) -> None:
    alice, bob, mallory = people["alice"], people["bob"], people["mallory"]
    request_id = (await send(alice, bob)).json()["id"]
    missing = await bob.post("/api/v1/friends/requests/987654/accept")
    assert missing.status_code == 404 and error_code(missing) == "REQUEST_NOT_FOUND"
    refusals = [
        (mallory, "accept"),
        (mallory, "decline"),
        (mallory, "cancel"),
        (alice, "accept"),  # the sender cannot accept their own request
        (alice, "decline"),
        (bob, "cancel"),  # the recipient cannot cancel it
    ]
    for person, action in refusals:
        response = await person.post(f"/api/v1/friends/requests/{request_id}/{action}")
        assert response.status_code == 404, (person.username, action)
        # Indistinguishable from a request that does not exist.
        assert response.json() == missing.json()
    assert await pending(mallory) == [] and await pending(mallory, "outgoing") == []
    assert [request["id"] for request in await pending(bob)] == [request_id]


async def test_decline_and_cancel(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob, lisi = people["alice"], people["bob"], people["lisi"]
    first = (await send(alice, bob)).json()
    response = await bob.post(f"/api/v1/friends/requests/{first['id']}/decline")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "declined" and response.json()["decided_at"] is not None
    for action, person in (("accept", bob), ("decline", bob), ("cancel", alice)):
        response = await person.post(f"/api/v1/friends/requests/{first['id']}/{action}")
        assert response.status_code == 409, action
        assert error_code(response) == "REQUEST_NOT_PENDING"
    assert await friend_ids(bob) == [] and await pending(bob) == []

    # A declined request does not stop a new one.
    second = await send(alice, bob)
    assert second.status_code == 201 and second.json()["id"] != first["id"]

    third = (await send(lisi, bob)).json()
    response = await lisi.post(f"/api/v1/friends/requests/{third['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert [request["id"] for request in await pending(bob)] == [second.json()["id"]]

    bob_ops = [op for _, op, _ in await social_events(app, bob)]
    assert bob_ops == ["created", "declined", "created", "created", "cancelled"]
    assert [op for _, op, _ in await social_events(app, lisi)] == ["created", "cancelled"]
    alice_ops = [op for _, op, _ in await social_events(app, alice)]
    assert alice_ops == ["created", "declined", "created"]


async def test_requests_list_direction_is_checked(people: dict[str, Person]) -> None:
    response = await people["alice"].get("/api/v1/friends/requests", params={"direction": "sideways"})
    assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"


async def test_requests_from_deactivated_users_are_hidden(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    request_id = (await send(alice, bob)).json()["id"]
    async with app.state.services.ctx.db.transaction() as conn:
        await user_store.update_user(conn, alice.id, {"is_active": False})
    assert await pending(bob) == []
    response = await bob.post(f"/api/v1/friends/requests/{request_id}/accept")
    assert response.status_code == 404 and error_code(response) == "USER_NOT_FOUND"
    assert await friend_ids(bob) == []


# -- friends and remarks ------------------------------------------------------------------------


async def test_remark_is_seen_only_by_its_owner(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    response = await alice.patch(f"/api/v1/friends/{bob.id}", json={"remark": "  钓鱼搭子 "})
    assert response.status_code == 200, response.text
    entry = response.json()
    assert entry["remark"] == "钓鱼搭子" and entry["user"]["id"] == bob.id
    assert (await alice.get("/api/v1/friends")).json() == [entry]
    assert [e["remark"] for e in (await bob.get("/api/v1/friends")).json()] == [None]

    updates = [
        data for kind, op, data in await social_events(app, alice) if (kind, op) == ("friend", "updated")
    ]
    assert updates == [entry]
    assert all(op != "updated" for _, op, _ in await social_events(app, bob))

    for cleared in (None, "   "):
        response = await alice.patch(f"/api/v1/friends/{bob.id}", json={"remark": cleared})
        assert response.status_code == 200 and response.json()["remark"] is None


async def test_remark_rules(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob, mallory = people["alice"], people["bob"], people["mallory"]
    await befriend(alice, bob)
    response = await alice.patch(f"/api/v1/friends/{mallory.id}", json={"remark": "x"})
    assert response.status_code == 404 and error_code(response) == "FRIEND_NOT_FOUND"
    cases: list[tuple[Any, str]] = [
        ({"remark": "bad\x07"}, "INVALID_NAME"),
        ({"remark": "x" * 65}, "INVALID_NAME"),
        ({"remark": 5}, "VALIDATION_FAILED"),
        ({}, "VALIDATION_FAILED"),
        ({"remark": "ok", "colour": "red"}, "VALIDATION_FAILED"),
    ]
    for body, code in cases:
        response = await alice.patch(f"/api/v1/friends/{bob.id}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == code
    assert [e["remark"] for e in (await alice.get("/api/v1/friends")).json()] == [None]


async def test_friend_list_is_sorted_by_remark_or_name(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    for username in ("admin", "lisi", "wangwu", "bob", "alice"):
        await befriend(people[username], zhangsan)
    response = await zhangsan.patch(f"/api/v1/friends/{people['wangwu'].id}", json={"remark": "amy"})
    assert response.status_code == 200
    entries = (await zhangsan.get("/api/v1/friends")).json()
    shown = [entry["remark"] or entry["user"]["display_name"] for entry in entries]
    # Case-folded, a remark standing in for the name ("amy" is 王五); CJK names come after Latin
    # ones, in code point order until pinyin ordering arrives with the directory feature.
    assert shown == ["Alice Chen", "amy", "Bob Li", "李四", "管理员"]


async def test_unfriend(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    await bob.patch(f"/api/v1/friends/{alice.id}", json={"remark": "A"})
    response = await alice.delete(f"/api/v1/friends/{bob.id}")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert await friend_ids(alice) == [] and await friend_ids(bob) == []
    response = await bob.delete(f"/api/v1/friends/{alice.id}")
    assert response.status_code == 404 and error_code(response) == "FRIEND_NOT_FOUND"

    removed = {
        person.username: [data for kind, op, data in await social_events(app, person) if op == "removed"]
        for person in (alice, bob)
    }
    assert [entry["user"]["id"] for entry in removed["alice"]] == [bob.id]
    # Each side is told with its own entry, remark included; nobody sees the other's remark.
    assert removed["bob"][0]["user"]["id"] == alice.id and removed["bob"][0]["remark"] == "A"
    assert removed["alice"][0]["remark"] is None
    assert (await send(bob, alice)).status_code == 201


# -- blocks -------------------------------------------------------------------------------------


async def test_block_ends_friendship_and_stops_requests(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    response = await alice.put(f"/api/v1/blocks/{bob.id}")
    assert response.status_code == 200, response.text
    entry = response.json()
    assert entry["user"]["id"] == bob.id and entry["since"] > 0
    assert await friend_ids(alice) == [] and await friend_ids(bob) == []
    assert (await alice.get("/api/v1/blocks")).json() == [entry]
    assert (await bob.get("/api/v1/blocks")).json() == []

    response = await send(bob, alice)
    assert response.status_code == 403 and error_code(response) == "BLOCKED"
    response = await send(alice, bob)
    assert response.status_code == 409 and error_code(response) == "YOU_BLOCKED_THEM"
    assert await pending(alice) == [] and await pending(bob) == []

    # Blocking again changes nothing and says nothing.
    before = await count_rows(app)
    again = await alice.put(f"/api/v1/blocks/{bob.id}")
    assert again.status_code == 200 and again.json() == entry
    assert await count_rows(app) == before

    alice_ops = [(kind, op) for kind, op, _ in await social_events(app, alice)][-2:]
    assert alice_ops == [("friend", "removed"), ("block", "added")]
    bob_stream = await social_events(app, bob)
    assert all(kind != "block" for kind, _, _ in bob_stream)
    assert (bob_stream[-1][0], bob_stream[-1][1]) == ("friend", "removed")

    async with app.state.services.ctx.db.read() as conn:
        assert await friend_store.has_blocked(conn, alice.id, bob.id)
        assert not await friend_store.has_blocked(conn, bob.id, alice.id)
        assert await friend_store.blocked_between(conn, bob.id, alice.id)
        assert not await friend_store.are_friends(conn, alice.id, bob.id)


async def test_unblock(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    entry = (await alice.put(f"/api/v1/blocks/{bob.id}")).json()
    response = await alice.delete(f"/api/v1/blocks/{bob.id}")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert (await alice.get("/api/v1/blocks")).json() == []
    response = await alice.delete(f"/api/v1/blocks/{bob.id}")
    assert response.status_code == 404 and error_code(response) == "BLOCK_NOT_FOUND"
    # The friendship the block ended is not restored, but a new request is possible again.
    assert await friend_ids(alice) == []
    assert (await send(bob, alice)).status_code == 201
    block_events = [(op, data) for kind, op, data in await social_events(app, alice) if kind == "block"]
    assert block_events == [("added", entry), ("removed", entry)]
    assert all(kind != "block" for kind, _, _ in await social_events(app, bob))


async def test_block_settles_pending_requests_both_ways(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob, mallory = people["alice"], people["bob"], people["mallory"]
    theirs = (await send(mallory, alice)).json()
    mine = (await send(alice, bob)).json()
    assert (await alice.put(f"/api/v1/blocks/{mallory.id}")).status_code == 200
    assert (await alice.put(f"/api/v1/blocks/{bob.id}")).status_code == 200
    assert await pending(alice) == [] and await pending(alice, "outgoing") == []
    assert await pending(bob) == [] and await pending(mallory, "outgoing") == []
    # The blocked person's request reads as an ordinary decline; the blocker's own as withdrawn.
    mallory_stream = await social_events(app, mallory)
    assert [(kind, op) for kind, op, _ in mallory_stream] == [
        ("friend_request", "created"),
        ("friend_request", "declined"),
    ]
    assert mallory_stream[1][2]["id"] == theirs["id"]
    bob_stream = await social_events(app, bob)
    assert [(op, data["id"]) for _, op, data in bob_stream] == [
        ("created", mine["id"]),
        ("cancelled", mine["id"]),
    ]


async def test_block_rules(people: dict[str, Person]) -> None:
    alice = people["alice"]
    response = await alice.put(f"/api/v1/blocks/{alice.id}")
    assert response.status_code == 422 and error_code(response) == "CANNOT_BLOCK_SELF"
    response = await alice.put("/api/v1/blocks/424242")
    assert response.status_code == 404 and error_code(response) == "USER_NOT_FOUND"
    assert (await alice.get("/api/v1/blocks")).json() == []


# -- the seeder's helper ------------------------------------------------------------------------


async def test_make_friends_is_idempotent(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    friends = app.state.services.friends
    request_id = (await send(lisi, zhangsan)).json()["id"]
    await friends.do_make_friends(zhangsan.id, lisi.id)
    await friends.do_make_friends(lisi.id, zhangsan.id)
    assert await friend_ids(zhangsan) == [lisi.id] and await friend_ids(lisi) == [zhangsan.id]
    assert await pending(zhangsan) == []
    response = await zhangsan.post(f"/api/v1/friends/requests/{request_id}/accept")
    assert response.status_code == 409 and error_code(response) == "REQUEST_NOT_PENDING"
    added = [op for kind, op, _ in await social_events(app, zhangsan) if kind == "friend"]
    assert added == ["added"]

    await wangwu.put(f"/api/v1/blocks/{lisi.id}")
    try:
        await friends.do_make_friends(lisi.id, wangwu.id)
    except Exception as exc:
        assert getattr(exc, "code", "") == "BLOCKED"
    else:
        raise AssertionError("friends despite a block")
    assert await friend_ids(wangwu) == []


# -- bad input ----------------------------------------------------------------------------------


async def test_bad_input_is_refused_cleanly_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    alice, bob = people["alice"], people["bob"]
    before = await count_rows(app)
    bodies: list[tuple[Any, str]] = [
        ({"user_id": bob.id, "extra": 1}, "VALIDATION_FAILED"),
        ({"user_id": str(bob.id)}, "VALIDATION_FAILED"),
        ({"user_id": True}, "VALIDATION_FAILED"),
        ({"user_id": 1.5}, "VALIDATION_FAILED"),
        ({"user_id": 0}, "VALIDATION_FAILED"),
        ({"user_id": 2**70}, "VALIDATION_FAILED"),
        ({"greeting": "hi"}, "VALIDATION_FAILED"),
        ({"user_id": bob.id, "greeting": 7}, "VALIDATION_FAILED"),
        ({"user_id": bob.id, "greeting": "x" * 257}, "VALIDATION_FAILED"),
        ({"user_id": bob.id, "greeting": "hi\x00there"}, "VALIDATION_FAILED"),
        ({"user_id": bob.id, "greeting": "hi\nthere"}, "INVALID_NAME"),
        ({"user_id": bob.id, "greeting": "evil\u202etxt"}, "INVALID_NAME"),
        ([bob.id], "VALIDATION_FAILED"),
    ]
    for body, code in bodies:
        response = await alice.post("/api/v1/friends/requests", json=body)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == code, body
    response = await client.post(
        "/api/v1/friends/requests",
        content=b'{"user_id": ',
        headers={**alice.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400 and error_code(response) == "INVALID_JSON"
    for path in ("abc", "0", str(2**70)):
        for method, url in (
            ("POST", f"/api/v1/friends/requests/{path}/accept"),
            ("DELETE", f"/api/v1/friends/{path}"),
            ("PUT", f"/api/v1/blocks/{path}"),
        ):
            response = await client.request(method, url, headers=alice.headers)
            assert response.status_code == 422, (method, url, response.text)
            assert error_code(response) == "VALIDATION_FAILED"
    response = await client.post("/api/v1/friends/requests", json={"user_id": bob.id})
    assert response.status_code == 401 and error_code(response) == "UNAUTHENTICATED"
    for url in ("/api/v1/friends", "/api/v1/blocks", "/api/v1/friends/requests"):
        response = await client.get(url)
        assert response.status_code == 401, url
    assert await count_rows(app) == before
    assert await pending(bob) == [] and await pending(alice, "outgoing") == []


async def test_after_unfriending_a_direct_chat_keeps_its_history_but_takes_no_new_messages(
    app: FastAPI, people: dict[str, Person]
) -> None:
    alice, bob, mallory = people["alice"], people["bob"], people["mallory"]
    await befriend(alice, bob)
    cid = await open_direct(alice, bob)
    first = await send_message(alice, cid, "还是朋友", cid="f-1")
    assert first.status_code == 201
    assert (await alice.delete(f"/api/v1/friends/{bob.id}")).status_code == 200

    # Neither side may write, nor edit, nor reply or attach; the refusal names the other person.
    for person, other, cid_ in ((alice, bob, "f-2"), (bob, alice, "f-3")):
        response = await send_message(person, cid, "还在吗", cid=cid_)
        assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS", response.text
        assert response.json()["error"]["user_id"] == other.id
    response = await send_message(alice, cid, "回复", cid="f-4", reply_to_id=first.json()["id"])
    assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS"
    image = await upload(alice, png(), "a.png")
    response = await send_message(alice, cid, "", cid="f-5", kind="image", file_id=image)
    assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS"
    response = await alice.patch(f"/api/v1/messages/{first.json()['id']}", json={"body": "改一下"})
    assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS"
    # The history stays, and the chat still opens (to read it); a new one with a stranger does not.
    assert [m["body"] for m in await timeline(bob, cid)] == ["还是朋友"]
    reopened = await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})
    assert reopened.status_code == 200 and reopened.json()["id"] == cid
    response = await alice.post("/api/v1/conversations/direct", json={"user_id": mallory.id})
    assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS"

    # Colleagues may talk without being friends (the same rule as for opening a chat) ...
    org = await company(alice, [bob])
    assert (await send_message(bob, cid, "同事之间", cid="f-6")).status_code == 201
    # ... until one of them leaves the organization.
    assert (await bob.post(f"/api/v1/orgs/{org['id']}/leave")).status_code == 200
    response = await send_message(bob, cid, "走了", cid="f-7")
    assert response.status_code == 403 and error_code(response) == "NOT_FRIENDS"
    # Friends again: the chat is writable again.
    await befriend(bob, alice)
    assert (await send_message(bob, cid, "又是朋友了", cid="f-8")).status_code == 201
