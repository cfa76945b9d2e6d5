"""Malformed WebSocket frames, on a real server: each is answered with a documented error frame
or closed with a documented code (docs/protocol.md), never a traceback or a bare drop (1006)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from lakeside.client import LakesideClient
from lakeside.config import Settings
from tests.conftest import PASSWORD
from tests.live import running_server


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    async with running_server(settings) as url:
        client = LakesideClient(url)
        await client.register("framer", PASSWORD)
        assert client.token
        yield url.replace("http://", "ws://") + "/api/v1/stream", client.token
        await client.close()


async def answers(ws: ClientConnection) -> list[dict[str, Any]]:
    """The frames the server sent in answer before a ping's pong (the socket answers in order)."""
    await ws.send(orjson.dumps({"op": "ping"}).decode())
    got: list[dict[str, Any]] = []
    while (frame := orjson.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] != "pong":
        got.append(frame)
    return [f for f in got if f.get("type") not in ("hello", "sync")]


async def live(url: str, token: str) -> ClientConnection:
    ws = await connect(url, max_size=2**22)
    await ws.send(orjson.dumps({"op": "hello", "token": token, "since": None}).decode())
    while orjson.loads(await ws.recv()).get("type") != "sync":
        pass
    return ws


ERROR_FRAMES = [
    ("not json", "{nope", "INVALID_FRAME"),
    ("not an object", "[1, 2]", "INVALID_FRAME"),
    ("unknown op", {"op": "dance"}, "UNKNOWN_OP"),
    ("op a list", {"op": [1]}, "UNKNOWN_OP"),
    ("typing in a list", {"op": "typing", "conversation_id": [1]}, "INVALID"),
    ("typing a string", {"op": "typing", "conversation_id": "1"}, "INVALID"),
    ("typing stopped, an object", {"op": "typing", "conversation_id": {"a": 1}, "stopped": True}, "INVALID"),
    ("presence busy", {"op": "presence", "status": "busy"}, "INVALID"),
    ("presence a list", {"op": "presence", "status": ["away"]}, "INVALID"),
]


@pytest.mark.parametrize(
    ("frame", "code"), [(f, c) for _, f, c in ERROR_FRAMES], ids=[n for n, _, _ in ERROR_FRAMES]
)
async def test_a_malformed_frame_gets_an_error_frame_and_the_socket_stays(
    server: tuple[str, str], frame: Any, code: str
) -> None:
    url, token = server
    ws = await live(url, token)
    await ws.send(frame if isinstance(frame, str) else orjson.dumps(frame).decode())
    got = await answers(ws)  # the pong also shows the socket is still open and serving
    assert [(f["type"], f["code"]) for f in got] == [("error", code)], got
    await ws.close()


SENDS = [
    {"op": "send", "conversation_id": [1], "client_msg_id": "a", "body": "x"},
    {"op": "send", "conversation_id": 2**64, "client_msg_id": "b", "body": "x"},
    {"op": "send", "conversation_id": True, "client_msg_id": "c", "body": "x"},
]


@pytest.mark.parametrize("frame", SENDS, ids=["list", "beyond 64 bits", "boolean"])
async def test_a_send_to_a_malformed_conversation_is_nacked(server: tuple[str, str], frame: Any) -> None:
    url, token = server
    ws = await live(url, token)
    await ws.send(json.dumps(frame))  # (the standard encoder: orjson refuses 2**64)
    # A send is answered when its service call ends, maybe after a later ping's pong.
    while (reply := orjson.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] != "nack":
        assert reply["type"] in ("hello", "sync", "pong"), reply
    assert (reply["client_msg_id"], reply["error"]["code"]) == (frame["client_msg_id"], "INVALID")
    await ws.close()


CLOSING = [
    ("binary", b"\x00\x01\x02"),
    ("65 KiB of ASCII", orjson.dumps({"op": "ping", "pad": "x" * 66_000}).decode()),
    ("70 KB of Chinese (24,000 characters)", orjson.dumps({"op": "ping", "pad": "长" * 24_000}).decode()),
]


@pytest.mark.parametrize("stage", ["hello", "live"])
@pytest.mark.parametrize("frame", [f for _, f in CLOSING], ids=[n for n, _ in CLOSING])
async def test_a_frame_outside_the_protocol_closes_with_4002(
    server: tuple[str, str], frame: str | bytes, stage: str
) -> None:
    url, token = server
    ws = await live(url, token) if stage == "live" else await connect(url, max_size=2**22)
    await ws.send(frame)
    with contextlib.suppress(ConnectionClosed):
        while True:  # whatever came before the close (nothing is expected)
            await asyncio.wait_for(ws.recv(), 10)
    await asyncio.wait_for(ws.wait_closed(), 10)
    assert ws.close_code == 4002, (ws.close_code, ws.close_reason)
