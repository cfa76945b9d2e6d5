"""What one account's sockets may hold on the server, on a real server with real sockets.

- A reader that never reads, fed large frames, is closed with 4008 once its queue holds
  ``ws_queue_max_bytes`` of frames, long before ``ws_queue_max`` frames (the frame bound alone let
  4,096 frames of 119 KB, about 480 MB, pile up); it resumes from its position.
- An account holds at most ``ws_max_connections_per_user`` sockets on a node: one more gets an
  ``error`` frame ``TOO_MANY_CONNECTIONS`` and close code 4010; the open ones are untouched.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import Any

import orjson
from websockets.asyncio.client import connect

from lakeside.client import LakesideClient
from lakeside.config import Settings
from tests.conftest import PASSWORD
from tests.live import SERVED, running_server


def masked_text_frame(text: str) -> bytes:
    """A client-to-server WebSocket text frame (RFC 6455: clients mask their frames)."""
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    header = bytes([0x81]) + (
        bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + struct.pack("!H", length)
    )
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def stalled_reader(url: str, token: str) -> asyncio.StreamWriter:
    """A socket that does the handshake and the hello by hand, then never reads again."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=1024)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /api/v1/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    writer.write(masked_text_frame(orjson.dumps({"op": "hello", "token": token, "since": None}).decode()))
    await writer.drain()
    return writer


async def people(url: str) -> tuple[LakesideClient, LakesideClient, dict[str, Any]]:
    alice, bob = LakesideClient(url), LakesideClient(url)
    await alice.register("alice", PASSWORD)
    await bob.register("bob", PASSWORD)
    assert alice.user and bob.user
    request = await alice.request("POST", "/api/v1/friends/requests", json={"user_id": bob.user["id"]})
    await bob.request("POST", f"/api/v1/friends/requests/{request['id']}/accept")
    return alice, bob, await alice.open_direct(bob.user["id"])


async def test_a_reader_that_never_reads_is_closed_at_its_byte_budget(settings: Settings) -> None:
    budget = 256 * 1024
    settings = settings.model_copy(update={"ws_queue_max_bytes": budget, "rate_limits_enabled": False})
    async with running_server(settings, send_buffer=8192) as url:
        alice, bob, conversation = await people(url)
        assert bob.token and bob.user
        writer = await stalled_reader(url, bob.token)
        hub = SERVED[url].state.hub
        for _ in range(500):
            if hub.by_user.get(bob.user["id"]):
                break
            await asyncio.sleep(0.02)
        stalled = next(iter(hub.by_user[bob.user["id"]]))
        most = 0
        big = "x" * 15_000  # a 16 KiB message: its event frame is about as large
        sent = 0
        while not stalled.closed and sent < 400:  # 400 frames are 6 MiB; the frame bound is 4,096
            await alice.send(conversation["id"], f"{sent} {big}")
            sent += 1
            most = max(most, stalled.queued_bytes)
        assert stalled.closed and stalled.close_code == 4008, (sent, stalled.queued_bytes)
        assert most <= budget
        assert sent < 4096
        assert not hub.by_user.get(bob.user["id"])
        writer.close()
        # Bob comes back and resumes from his position: nothing is lost.
        async with bob.subscribe(since=0) as resumed:
            seen = 0
            while seen < sent:
                event = await resumed.next(timeout=10)
                seen += event.get("type") == "message" and event.get("op") == "created"
        for client in (alice, bob):
            await client.close()


async def test_one_socket_too_many_is_refused_with_4010(settings: Settings) -> None:
    settings = settings.model_copy(update={"ws_max_connections_per_user": 3})
    async with running_server(settings) as url:
        client = LakesideClient(url)
        await client.register("tabs", PASSWORD)
        stream = url.replace("http://", "ws://") + "/api/v1/stream"
        hello = orjson.dumps({"op": "hello", "token": client.token, "since": None}).decode()
        sockets = []
        for _ in range(3):
            ws = await connect(stream)
            await ws.send(hello)
            while orjson.loads(await ws.recv())["type"] != "sync":
                pass
            sockets.append(ws)
        extra = await connect(stream)
        await extra.send(hello)
        refusal = orjson.loads(await asyncio.wait_for(extra.recv(), 10))
        assert (refusal["type"], refusal["code"]) == ("error", "TOO_MANY_CONNECTIONS")
        await asyncio.wait_for(extra.wait_closed(), 10)
        assert extra.close_code == 4010
        for ws in sockets:  # the open ones still serve
            await ws.send(orjson.dumps({"op": "ping"}).decode())
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
        await sockets[0].close()
        for _ in range(200):  # once one closes, a new one is welcome
            if len(SERVED[url].state.hub.by_user.get(client.user["id"], ())) < 3:  # type: ignore[index]
                break
            await asyncio.sleep(0.02)
        again = await connect(stream)
        await again.send(hello)
        assert orjson.loads(await asyncio.wait_for(again.recv(), 10))["type"] == "hello"
        for ws in (*sockets[1:], again):
            await ws.close()
        await client.close()
