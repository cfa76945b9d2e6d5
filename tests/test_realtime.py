"""Real-time delivery through a real server: live events, resume with no gap and no duplicate,
receipts, typing, presence, slow consumers, revoked sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from lakeside.client import LakesideClient
from lakeside.config import Settings
from tests.conftest import PASSWORD
from tests.live import running_server


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    async with running_server(settings) as url:
        yield url


async def make_client(url: str, username: str, name: str) -> LakesideClient:
    client = LakesideClient(url)
    await client.register(username, PASSWORD, display_name=name)
    return client


async def friends(a: LakesideClient, b: LakesideClient) -> None:
    assert a.user and b.user
    request = await a.request("POST", "/api/v1/friends/requests", json={"user_id": b.user["id"]})
    await b.request("POST", f"/api/v1/friends/requests/{request['id']}/accept")


async def next_of(sub, type_: str, op: str, timeout: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
    while True:
        event = await sub.next(timeout)
        if event.get("type") == type_ and event.get("op") == op:
            return event


async def test_message_arrives_live_and_resume_fills_the_gap(server: str) -> None:
    alice = await make_client(server, "alice", "Alice")
    bob = await make_client(server, "bob", "鲍勃")
    await friends(alice, bob)
    conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
    async with bob.subscribe() as events:
        sent = await alice.send(conversation["id"], "你好 Bob")
        event = await next_of(events, "message", "created")
        assert event["data"]["id"] == sent["id"]
        assert event["data"]["body"] == "你好 Bob"
        position = events.position
    # Bob is away; three messages and an edit happen; he comes back from his position.
    missed = [await alice.send(conversation["id"], f"missed {i}") for i in range(3)]
    await alice.request("PATCH", f"/api/v1/messages/{missed[0]['id']}", json={"body": "missed 0 (edited)"})
    async with bob.subscribe(since=position) as events:
        got = [await next_of(events, "message", "created") for _ in range(3)]
        assert [e["data"]["id"] for e in got] == [m["id"] for m in missed]
        edited = await next_of(events, "message", "edited")
        assert edited["data"]["body"] == "missed 0 (edited)"
        live = await alice.send(conversation["id"], "after resume")
        event = await next_of(events, "message", "created")
        assert event["data"]["id"] == live["id"]
        with pytest.raises(asyncio.TimeoutError):
            await events.next(timeout=0.3)  # nothing twice
    for client in (alice, bob):
        await client.close()


async def test_dropped_connection_resumes_without_gap_or_duplicate(server: str) -> None:
    alice = await make_client(server, "alice", "Alice")
    bob = await make_client(server, "bob", "Bob")
    await friends(alice, bob)
    conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
    received: list[int] = []
    async with bob.subscribe() as events:

        async def collect() -> None:
            async for event in events:
                if event.get("type") == "message" and event.get("op") == "created":
                    received.append(event["data"]["seq"])

        collector = asyncio.create_task(collect())
        for i in range(60):
            await alice.send(conversation["id"], f"m{i}")
            if i % 15 == 7:
                await events.drop()
        for _ in range(200):
            if len(received) >= 60:
                break
            await asyncio.sleep(0.05)
        collector.cancel()
        assert events.reconnects >= 1
    assert received == list(range(1, 61))
    for client in (alice, bob):
        await client.close()


async def test_events_stay_inside_the_conversation(server: str) -> None:
    alice = await make_client(server, "alice", "Alice")
    bob = await make_client(server, "bob", "Bob")
    mallory = await make_client(server, "mallory", "Mallory")
    await friends(alice, bob)
    conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
    async with mallory.subscribe() as spy:
        await alice.send(conversation["id"], "secret")
        with pytest.raises(asyncio.TimeoutError):
            while True:
                event = await spy.next(timeout=0.5)
                assert event.get("conversation_id") != conversation["id"], event
    for client in (alice, bob, mallory):
        await client.close()


async def test_revoking_a_session_closes_its_socket(server: str) -> None:
    alice = await make_client(server, "alice", "Alice")
    async with alice.subscribe() as events:
        sessions = await alice.request("GET", "/api/v1/auth/sessions")
        await alice.request("DELETE", f"/api/v1/auth/sessions/{sessions[0]['id']}")
        with pytest.raises(Exception) as caught:
            while True:
                await events.next(timeout=5)
        assert "SESSION_INVALID" in str(caught.value) or "401" in str(caught.value)
    await alice.close()


async def test_http_sync_pages_through_missed_events(server: str) -> None:
    alice = await make_client(server, "alice", "Alice")
    bob = await make_client(server, "bob", "Bob")
    await friends(alice, bob)
    conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
    start = (await bob.request("GET", "/api/v1/sync"))["position"]
    for i in range(7):
        await alice.send(conversation["id"], f"n{i}")
    seen: list[int] = []
    position = start
    while True:
        page = await bob.request("GET", "/api/v1/sync", params={"since": position, "limit": 3})
        seen += [e["data"]["seq"] for e in page["events"] if e["type"] == "message"]
        position = page["position"]
        if not page["has_more"]:
            break
    assert seen == list(range(1, 8))
    for client in (alice, bob):
        await client.close()
