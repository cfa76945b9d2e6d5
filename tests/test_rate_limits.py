"""Abuse limits: every limited action answers 429 RATE_LIMITED with a Retry-After once its per-user
or per-address budget is spent (the socket's send answers a nack with retry_after_ms), limits
are shared by the nodes of a Redis deployment, and request bodies have a size limit.

Limits are configured small with a long window (an hour), so nothing here depends on timing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from websockets.asyncio.client import connect

from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.domain.limits import DEFAULT_LIMITS, Policy, check_limits
from lakeside.services.limits import RedisCounters
from tests.conftest import PASSWORD, Person, befriend, error_code, register, require_redis
from tests.live import running_server
from tests.test_organizations import company

SMALL = {
    "signup_per_address": "8/3600",
    "friend_requests_per_user": "2/3600",
    "invitations_per_user": "2/3600",
    "sends_per_user": "3/3600",
    "sends_per_address": "5/3600",
    "uploads_per_user": "2/3600",
    "dings_per_user": "2/3600",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.rate_limits = check_limits(SMALL)
    return settings


def http_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 4242))
    return httpx.AsyncClient(transport=transport, base_url="http://lakeside.test")


def assert_limited(response: httpx.Response, code: str = "RATE_LIMITED") -> None:
    assert response.status_code == 429, response.text
    assert error_code(response) == code
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert response.json()["error"]["retry_after"] == int(retry_after)


async def dm(a: Person, b: Person) -> int:
    await befriend(a, b)
    response = await a.post("/api/v1/conversations/direct", json={"user_id": b.id})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


async def send(person: Person, conversation_id: int, body: str) -> httpx.Response:
    return await person.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_msg_id": uuid.uuid4().hex, "kind": "text", "body": body},
    )


async def test_sends_are_limited_per_user_and_per_address(app: FastAPI, client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice", "Alice")
    bob = await register(client, "bob", "Bob")
    conversation = await dm(alice, bob)
    for i in range(3):
        assert (await send(alice, conversation, f"m{i}")).status_code == 201
    limited = await send(alice, conversation, "one too many")
    assert_limited(limited)
    assert int(limited.headers["retry-after"]) == 1200  # 3 an hour: the next unit in 20 minutes
    # The refused message was not stored.
    history = (await alice.get(f"/api/v1/conversations/{conversation}/messages")).json()["messages"]
    assert "one too many" not in [m["body"] for m in history]

    # Per user: alice from another address is still refused.
    async with http_from(app, "198.51.100.20") as elsewhere:
        moved = Person(elsewhere, alice.token, alice.profile)
        assert_limited(await send(moved, conversation, "from the phone"))
        # Bob from that address has his own budget.
        assert (await send(Person(elsewhere, bob.token, bob.profile), conversation, "hi")).status_code == 201

    # Per address: a refused request spends nothing, so 203.0.113.7 has spent alice's three of its
    # five; bob sends two more from it and the third is refused for the address.
    assert (await send(bob, conversation, "b1")).status_code == 201
    assert (await send(bob, conversation, "b2")).status_code == 201
    assert_limited(await send(bob, conversation, "b3"))


async def test_the_socket_send_answers_a_nack_with_retry_after(settings: Settings) -> None:
    async with running_server(settings) as url, httpx.AsyncClient(base_url=url) as http:
        alice = await register(http, "alice", "Alice")
        bob = await register(http, "bob", "Bob")
        conversation = await dm(alice, bob)
        assert (await send(alice, conversation, "over http")).status_code == 201
        ws_url = url.replace("http://", "ws://") + "/api/v1/stream"
        async with connect(ws_url) as ws:
            await ws.send(orjson.dumps({"op": "hello", "token": alice.token, "since": None}).decode())
            replies: dict[str, dict[str, Any]] = {}
            frames = [
                {
                    "op": "send",
                    "conversation_id": conversation,
                    "client_msg_id": f"c{i}",
                    "body": f"ws {i}",
                }
                for i in range(3)
            ]
            # A huge id is refused as invalid, before it reaches the database.
            frames.append({"op": "send", "conversation_id": 2**63, "client_msg_id": "huge", "body": "x"})
            for frame in frames:
                await ws.send(orjson.dumps(frame).decode())
            while len(replies) < len(frames):
                reply = orjson.loads(await ws.recv())
                if reply.get("type") in ("ack", "nack"):
                    replies[reply["client_msg_id"]] = reply
        # One HTTP send and two socket sends fill the budget of three; the third is refused.
        kinds = sorted(replies[f"c{i}"]["type"] for i in range(3))
        assert kinds == ["ack", "ack", "nack"]
        error = next(replies[f"c{i}"] for i in range(3) if replies[f"c{i}"]["type"] == "nack")["error"]
        assert error["code"] == "RATE_LIMITED" and error["message"]
        assert 1_000_000 < error["retry_after_ms"] <= 1_200_000  # about 20 minutes
        assert replies["huge"]["type"] == "nack"
        assert replies["huge"]["error"]["code"] == "INVALID"


async def test_sign_up_is_limited_per_address(app: FastAPI, client: httpx.AsyncClient) -> None:
    for i in range(8):
        await register(client, f"user{i}", f"User {i}")
    response = await client.post(
        "/api/v1/auth/register", json={"username": "user9", "password": PASSWORD, "display_name": "x"}
    )
    assert_limited(response)
    # Nothing was created; another address may still sign up.
    async with http_from(app, "198.51.100.30") as elsewhere:
        await register(elsewhere, "user9", "User 9")


async def test_friend_requests_invitations_uploads_and_dings_are_limited(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, bob, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob", "mallory")
    )
    for other in (lisi, wangwu):
        response = await alice.post("/api/v1/friends/requests", json={"user_id": other.id})
        assert response.status_code == 201, response.text
    assert_limited(await alice.post("/api/v1/friends/requests", json={"user_id": bob.id}))

    org = await company(zhangsan, [lisi, wangwu])  # one invitation code spent
    base = f"/api/v1/orgs/{org['id']}"
    assert (
        await zhangsan.post(f"{base}/contact-invitations", json={"email": "a@example.com"})
    ).status_code == 201
    # Links, codes and invitations by e-mail share one budget.
    assert_limited(await zhangsan.post(f"{base}/invitations", json={"kind": "link"}))
    assert_limited(await zhangsan.post(f"{base}/contact-invitations", json={"email": "b@example.com"}))

    for i in range(2):
        response = await mallory.post("/api/v1/files", files={"file": (f"{i}.txt", b"hello", "text/plain")})
        assert response.status_code == 201, response.text
    assert_limited(await mallory.post("/api/v1/files", files={"file": ("2.txt", b"hello", "text/plain")}))
    assert_limited(await mallory.put("/api/v1/me/avatar", files={"file": ("a.png", b"x", "image/png")}))

    ding = await lisi.post(f"{base}/dings", json={"recipient_ids": [wangwu.id], "body": "开会"})
    assert ding.status_code == 201, ding.text
    assert (
        await lisi.post(f"{base}/dings", json={"recipient_ids": [wangwu.id], "body": "再开"})
    ).status_code == 201
    assert_limited(await lisi.post(f"{base}/dings/{ding.json()['id']}/reding"))
    # Someone else's budget is untouched.
    assert (
        await zhangsan.post(f"{base}/dings", json={"recipient_ids": [lisi.id], "body": "收到"})
    ).status_code == 201


async def test_limits_can_be_switched_off(settings: Settings, client: httpx.AsyncClient) -> None:
    settings.rate_limits_enabled = False
    application = build_app(settings)
    async with (
        application.router.lifespan_context(application),
        http_from(application, "203.0.113.9") as http,
    ):
        alice = await register(http, "alice", "Alice")
        bob = await register(http, "bob", "Bob")
        conversation = await dm(alice, bob)
        for i in range(6):
            assert (await send(alice, conversation, f"m{i}")).status_code == 201


async def test_nodes_on_redis_share_their_counters(settings: Settings) -> None:
    settings.bus_url = await require_redis()
    settings.bus_namespace = f"rl-{uuid.uuid4().hex[:8]}"
    first, second = build_app(settings), build_app(settings)
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        http_from(first, "203.0.113.50") as one,
        http_from(second, "203.0.113.51") as two,
    ):
        alice = await register(one, "alice", "Alice")
        bob, carol, dave = [await register(one, name, name.title()) for name in ("bob", "carol", "dave")]
        on_two = Person(two, alice.token, alice.profile)

        async def ask(person: Person, friend: Person) -> httpx.Response:
            body = {"user_id": friend.id, "greeting": "hi"}
            return await person.post("/api/v1/friends/requests", json=body)

        assert (await ask(alice, bob)).status_code == 201
        assert (await ask(on_two, carol)).status_code == 201
        # Two in all, whichever node took them: the third is refused on both.
        assert_limited(await ask(on_two, dave))
        assert_limited(await ask(alice, dave))

        # Sends are the hot path and are counted by each node on its own (see
        # lakeside/services/limits.py): three on node 1 use up node 1's budget only.
        conversation = await _direct_without_requests(first, alice, bob)
        for body in ("one", "two", "three"):
            assert (await send(alice, conversation, body)).status_code == 201
        assert_limited(await send(alice, conversation, "four"))
        assert (await send(on_two, conversation, "on node 2")).status_code == 201


async def test_a_robots_posts_are_a_sliding_log_in_redis(settings: Settings) -> None:
    """webhooks_per_user is counted exactly (services/limits.py): in Redis a sorted set per robot,
    shared by the nodes, refuses the N+1th within the window and says how long to wait."""
    settings.bus_url = await require_redis()
    counters = RedisCounters(settings.bus_url, f"lakeside.rl-{uuid.uuid4().hex[:8]}.limit.")
    policy = Policy("webhooks_per_user", 3, 60.0)
    try:
        waits = [await counters.spend(policy, "webhooks_per_user:7") for _ in range(3)]
        assert waits == [0.0, 0.0, 0.0]
        refused = await counters.spend(policy, "webhooks_per_user:7")
        assert 0 < refused <= 60
        assert await counters.spend(policy, "webhooks_per_user:7") > 0  # a refusal is not counted as a use
        assert await counters.spend(policy, "webhooks_per_user:8") == 0.0  # another robot
        wait, name = await counters.spend_named(Policy("webhooks_per_user", 5, 60.0), "webhooks_per_user:9")
        assert wait == 0.0
        await counters.refund(name)
        assert await counters._client.zcard(name) == 0
        await counters.reset(policy, "webhooks_per_user:7")
        assert await counters.spend(policy, "webhooks_per_user:7") == 0.0
    finally:
        await counters.close()


async def _direct_without_requests(app: FastAPI, a: Person, b: Person) -> int:
    """A direct chat between two people made friends by the service itself, so that the test's
    friend-request budget is not spent on it."""
    services = app.state.services
    await services.friends.do_make_friends(a.id, b.id)
    response = await a.post("/api/v1/conversations/direct", json={"user_id": b.id})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


async def test_request_bodies_have_a_size_limit(app: FastAPI, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    limit = app.state.services.ctx.settings.max_request_body_bytes
    conversation = await dm(alice, bob)
    url = f"/api/v1/conversations/{conversation}/messages"
    big = orjson.dumps({"client_msg_id": "big", "kind": "text", "body": "x" * (limit + 10)})
    headers = {**alice.headers, "content-type": "application/json"}
    response = await alice.http.post(url, content=big, headers=headers)
    assert response.status_code == 413 and error_code(response) == "TOO_LARGE"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    response = await alice.http.post(url, content=chunks(), headers=headers)
    assert response.status_code == 413 and error_code(response) == "TOO_LARGE"
    # A small body still works, and uploads are limited by max_upload_bytes, not by this.
    assert (await send(alice, conversation, "small")).status_code == 201
    upload = await alice.post("/api/v1/files", files={"file": ("big.txt", b"y" * (limit + 10), "text/plain")})
    assert upload.status_code == 201, upload.text


def test_limit_settings_are_checked() -> None:
    assert check_limits({}) == DEFAULT_LIMITS
    assert check_limits({"sends_per_user": "off"})["sends_per_user"] == "off"
    with pytest.raises(ValueError, match="unknown rate limit"):
        check_limits({"sends_per_planet": "1/1"})
    for bad in ("10", "1/0", "a/b", "0/10"):
        with pytest.raises(ValueError):
            check_limits({"uploads_per_user": bad})
    with pytest.raises(ValidationError):
        Settings(rate_limits={"sends_per_user": "fast"})


async def test_without_redis_each_node_counts_on_its_own(settings: Settings) -> None:
    """A Redis bus that cannot be reached: the limits still hold, counted in the process."""
    from lakeside.services.limits import LimitExceeded, Limits

    settings.bus_url = "redis://127.0.0.1:1/0"  # nothing listens there
    limits = Limits(settings, "down")
    try:
        for _ in range(3):
            await limits.take("sends", user_id=7, address="198.51.100.1")
        with pytest.raises(LimitExceeded) as refused:
            await limits.take("sends", user_id=7, address="198.51.100.1")
        assert refused.value.code == "RATE_LIMITED" and refused.value.retry_after >= 1
    finally:
        await limits.close()
