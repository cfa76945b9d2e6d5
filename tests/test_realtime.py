"""Real-time delivery through a real server: live events, resume with no gap and no duplicate,
receipts, typing, presence, slow consumers, revoked sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

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


async def test_a_position_older_than_the_log_is_refused_with_a_distinct_code(settings: Settings) -> None:
    settings.event_retention_days = 0
    async with running_server(settings) as url:
        alice = await make_client(url, "alice", "Alice")
        bob = await make_client(url, "bob", "Bob")
        await friends(alice, bob)
        conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
        await alice.send(conversation["id"], "old news")
        from lakeside.workers.housekeeping import run_once

        await asyncio.sleep(0.01)
        pruned, _ = await run_once(_services_of(url))
        assert pruned > 0
        await alice.send(conversation["id"], "new")
        with pytest.raises(Exception) as caught:
            await bob.request("GET", "/api/v1/sync", params={"since": 1})
        assert getattr(caught.value, "code", "") == "RESUME_TOO_OLD"
        subscription = bob.subscribe(since=1)
        subscription._task = asyncio.create_task(subscription._run())
        with pytest.raises(Exception) as caught:
            await subscription.next(timeout=5)
        assert getattr(caught.value, "code", "") == "RESUME_TOO_OLD"
        await subscription.close()
        fresh = await bob.request("GET", "/api/v1/sync")
        assert fresh["events"] == [] and fresh["position"] > 1
        for client in (alice, bob):
            await client.close()


def _services_of(url: str):  # type: ignore[no-untyped-def]
    from tests.live import SERVED

    return SERVED[url].state.services


def _masked_text_frame(text: str) -> bytes:
    """A client-to-server WebSocket text frame (RFC 6455: clients mask their frames)."""
    import os
    import struct

    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    length = len(payload)
    header += bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + struct.pack("!H", length)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_a_slow_consumer_is_disconnected_and_others_are_not_slowed(settings: Settings) -> None:
    import base64
    import os

    import orjson

    settings.ws_queue_max = 8
    async with running_server(settings, send_buffer=8192) as url:
        alice = await make_client(url, "alice", "Alice")
        bob = await make_client(url, "bob", "Bob")
        await friends(alice, bob)
        conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
        host, port = url.removeprefix("http://").split(":")
        # Bob's "client" does the handshake and the hello by hand, then never reads again.
        reader, writer = await asyncio.open_connection(host, int(port), limit=1024)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /api/v1/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            _masked_text_frame(orjson.dumps({"op": "hello", "token": bob.token, "since": None}).decode())
        )
        await writer.drain()
        hub = _services_hub(url)
        for _ in range(200):
            if hub.by_user.get(bob.user["id"]):  # type: ignore[index]
                break
            await asyncio.sleep(0.02)
        stalled = next(iter(hub.by_user[bob.user["id"]]))  # type: ignore[index]
        async with alice.subscribe() as fast:
            big = "长" * 5000
            for i in range(60):
                await alice.send(conversation["id"], f"{i} {big}")
            got = 0
            while got < 60:  # the fast reader gets everything, undisturbed
                event = await fast.next(timeout=10)
                if event.get("type") == "message":
                    got += 1
        assert stalled.closed and stalled.close_code == 4008
        assert not hub.by_user.get(bob.user["id"])  # type: ignore[index]
        writer.close()
        for client in (alice, bob):
            await client.close()


def _services_hub(url: str):  # type: ignore[no-untyped-def]
    from tests.live import SERVED

    return SERVED[url].state.hub


async def test_typing_and_presence_reach_the_partner(server: str) -> None:
    alice = await make_client(server, "alice", "Alice")
    bob = await make_client(server, "bob", "Bob")
    await friends(alice, bob)
    conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
    async with bob.subscribe() as on_bob:
        async with alice.subscribe() as on_alice:
            while True:
                event = await on_bob.next(5)
                if event.get("type") == "presence" and event["data"]["user_id"] == alice.user["id"]:  # type: ignore[index]
                    assert event["data"]["status"] == "online"
                    break
            await on_alice.typing(conversation["id"])
            while True:
                event = await on_bob.next(5)
                if event.get("type") == "typing":
                    assert event["conversation_id"] == conversation["id"]
                    break
        while True:
            event = await on_bob.next(5)
            if event.get("type") == "presence" and event["data"]["status"] == "offline":
                break
        status = await bob.request("GET", "/api/v1/presence", params={"user_ids": str(alice.user["id"])})  # type: ignore[index]
        assert status[0]["status"] == "offline" and status[0]["last_seen_at"] is not None
        stranger = await make_client(server, "mallory", "Mallory")
        hidden = await stranger.request("GET", "/api/v1/presence", params={"user_ids": str(alice.user["id"])})  # type: ignore[index]
        assert hidden[0]["last_seen_at"] is None
        await stranger.close()
    for client in (alice, bob):
        await client.close()


async def test_typing_stops_when_the_input_is_cleared(server: str) -> None:
    """A "stopped" follows a "started" at once (it is not held back by the 2 s limit of starts),
    carries an expiry an older client lets lapse at once, and a stop with no start is dropped."""
    alice = await make_client(server, "alice", "Alice")
    bob = await make_client(server, "bob", "Bob")
    await friends(alice, bob)
    conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]

    async def next_typing(subscription: Any) -> dict[str, Any]:
        while True:
            event = await subscription.next(5)
            if event.get("type") == "typing":
                return dict(event)

    async with bob.subscribe() as on_bob, alice.subscribe() as on_alice:
        await on_alice.typing(conversation["id"], stopped=True)  # nothing started: dropped
        await on_alice.typing(conversation["id"])
        started = await next_typing(on_bob)
        assert started["op"] == "started" and started["data"]["expires_in_ms"] == 6000
        await on_alice.typing(conversation["id"], stopped=True)
        stopped = await next_typing(on_bob)
        assert stopped["op"] == "stopped" and stopped["conversation_id"] == conversation["id"]
        assert stopped["data"] == {"user_id": alice.user["id"], "expires_in_ms": 1}  # type: ignore[index]
        await on_alice.typing(conversation["id"], stopped=True)  # stopped already: dropped
        await on_alice.typing(conversation["id"])  # within 2 s of the last start: dropped
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(next_typing(on_bob), 0.5)
    for client in (alice, bob):
        await client.close()


async def test_a_page_on_another_site_cannot_open_the_stream(server: str) -> None:
    """Cross-site WebSocket hijacking: a browser sends Origin, and a page on another site would
    ride the user's cookies into the socket. The handshake is refused with HTTP 403 (the socket
    is never accepted); the server's own origin, and clients that send none, are let in."""
    import orjson
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    ws_url = server.replace("http://", "ws://") + "/api/v1/stream"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url, origin="https://evil.example"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    for origin in (server, None):
        async with connect(ws_url, origin=origin) as ws:  # type: ignore[arg-type]
            await ws.send('{"op": "hello", "token": "not-a-session", "since": null}')
            reply = orjson.loads(await ws.recv())  # let in: the hello is read and answered
            assert reply["type"] == "error" and reply["code"] == "SESSION_INVALID", reply
