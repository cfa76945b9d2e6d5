"""Replay in batch frames (docs/protocol.md, "Connecting"): a client that says ``"batch": true`` in
its hello gets what it missed as ``{"type": "batch", "events": [...]}`` frames — the same events,
in the same order, as one frame per event or ``GET /api/v1/sync`` give them — then ``live``, then
live events one per frame, with nothing lost or repeated at the seam. Recalled content is never
replayed and the access rules are those of every other path.

Pages and batches are made small here so that a few dozen events span several of each."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from lakeside.config import Settings
from lakeside.realtime import gateway
from lakeside.services import sync as sync_service
from tests.conftest import Person, befriend, register
from tests.live import SERVED, running_server
from tests.test_files import image_bytes

PAGE = 7
BATCH = 3


@pytest.fixture
async def server(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    monkeypatch.setattr(sync_service, "SOCKET_PAGE", PAGE)
    monkeypatch.setattr(gateway, "BATCH_EVENTS", BATCH)
    async with running_server(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield url, http


class Replay:
    """One connection's frames: the hello, what came before ``live`` and the ``live`` frame."""

    def __init__(self, hello: dict[str, Any], frames: list[dict[str, Any]], raw: str, live: dict[str, Any]):
        self.hello = hello
        self.frames = frames
        self.raw = raw
        self.live = live

    @property
    def events(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for frame in self.frames:
            out.extend(frame["events"] if frame.get("type") == "batch" else [frame])
        return out


async def _replay(ws: ClientConnection, token: str, since: int, batch: bool | None) -> Replay:
    hello: dict[str, Any] = {"op": "hello", "token": token, "since": since}
    if batch is not None:
        hello["batch"] = batch
    await ws.send(orjson.dumps(hello).decode())
    answer = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    assert answer["type"] == "hello", answer
    frames, raw = [], []
    while True:
        text = await asyncio.wait_for(ws.recv(), 10)
        frame = orjson.loads(text)
        if frame.get("type") == "sync":
            return Replay(answer, frames, "".join(raw), frame)
        frames.append(frame)
        raw.append(str(text))


async def replay(url: str, token: str, since: int, *, batch: bool | None) -> Replay:
    async with connect(_ws_url(url), max_size=2**22) as ws:
        return await _replay(ws, token, since, batch)


def _ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/api/v1/stream"


async def http_events(person: Person, since: int) -> list[dict[str, Any]]:
    events, position = [], since
    while True:
        page = (await person.get("/api/v1/sync", params={"since": position, "limit": 4})).json()
        events += page["events"]
        position = page["position"]
        if not page["has_more"]:
            return events


async def group(owner: Person, members: list[Person]) -> int:
    for member in members:
        await befriend(owner, member)
    response = await owner.post(
        "/api/v1/conversations", json={"title": "补课", "member_ids": [m.id for m in members]}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def send(person: Person, conversation_id: int, body: str, **extra: Any) -> dict[str, Any]:
    response = await person.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_msg_id": uuid.uuid4().hex, "body": body, **extra},
    )
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def position_of(person: Person) -> int:
    return int((await person.get("/api/v1/sync")).json()["position"])


async def test_a_batched_replay_carries_what_single_frames_and_http_sync_carry(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    zhangsan, lisi, wangwu = [await register(http, name, name) for name in ("zhangsan", "lisi", "wangwu")]
    cid = await group(zhangsan, [lisi, wangwu])
    since = await position_of(lisi)
    first = await send(zhangsan, cid, "第一条")
    for i in range(8):
        await send(zhangsan, cid, f"消息 {i}")
    everyone = await send(zhangsan, cid, "@all 明天开会")
    reply = await send(zhangsan, cid, "回复第一条", reply_to_id=first["id"])
    upload = await zhangsan.post(
        "/api/v1/files", files={"file": ("会议.png", image_bytes((20, 10)), "image/png")}
    )
    assert upload.status_code == 201, upload.text
    picture = await send(zhangsan, cid, "", kind="image", file_id=upload.json()["id"])
    secret = await send(zhangsan, cid, "撤回的秘密 zq8x")
    assert (await zhangsan.post(f"/api/v1/messages/{secret['id']}/recall")).status_code == 200
    assert (
        await zhangsan.patch(f"/api/v1/messages/{first['id']}", json={"body": "第一条（改）"})
    ).status_code == 200
    assert (await wangwu.put(f"/api/v1/messages/{reply['id']}/reactions/👍")).status_code == 200
    # Wangwu's receipt goes to the senders he read (zhangsan) and to himself, not to lisi.
    assert (
        await wangwu.post(f"/api/v1/conversations/{cid}/read", json={"seq": picture["seq"]})
    ).status_code == 200

    batched = await replay(url, lisi.token, since, batch=True)
    single = await replay(url, lisi.token, since, batch=None)
    over_http = await http_events(lisi, since)
    by_service, _, more = await SERVED[url].state.services.sync.events_since(lisi.id, since)
    assert not more

    assert batched.hello["batch"] is True and "batch" not in single.hello
    assert batched.frames and all(
        f["type"] == "batch" and 1 <= len(f["events"]) <= BATCH for f in batched.frames
    )
    assert len(batched.frames) > 1
    assert all("id" in f for f in single.frames)
    events = batched.events
    assert events == single.events == over_http == orjson.loads(orjson.dumps(by_service))
    assert [e["id"] for e in events] == sorted({e["id"] for e in events})
    assert batched.live["position"] == single.live["position"] >= events[-1]["id"]

    messages = {e["data"]["id"]: e["data"] for e in events if e["type"] == "message" and "id" in e["data"]}
    created = [e["data"]["id"] for e in events if (e["type"], e["op"]) == ("message", "created")]
    assert created[0] == first["id"] and len(created) == 13
    assert messages[secret["id"]]["recalled"] is True and messages[secret["id"]]["body"] == ""
    assert "zq8x" not in batched.raw and "zq8x" not in single.raw
    assert messages[first["id"]]["body"] == "第一条（改）"
    assert messages[everyone["id"]]["mention_all"] is True and messages[first["id"]]["mention_all"] is False
    assert messages[reply["id"]]["reply_to"]["id"] == first["id"]
    assert messages[reply["id"]]["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [wangwu.id]}]
    assert messages[picture["id"]]["file"]["id"] == upload.json()["id"]
    assert not [e for e in events if e["type"] == "receipt" and e["data"]["user_id"] == wangwu.id]
    # ...which the sender does get: the filter above is not vacuous.
    for_sender = (await replay(url, zhangsan.token, since, batch=True)).events
    assert [e for e in for_sender if e["type"] == "receipt" and e["data"]["user_id"] == wangwu.id]


async def test_a_removed_member_replays_nothing_of_the_conversation(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    zhangsan, lisi, wangwu = [await register(http, name, name) for name in ("zhangsan", "lisi", "wangwu")]
    cid = await group(zhangsan, [lisi, wangwu])
    since = await position_of(lisi)
    for i in range(5):
        await send(zhangsan, cid, f"之前 {i}")
    assert (await zhangsan.delete(f"/api/v1/conversations/{cid}/members/{lisi.id}")).status_code == 200
    for i in range(5):
        await send(zhangsan, cid, f"之后 k7q {i}")

    events = (await replay(url, lisi.token, since, batch=True)).events
    assert not [e for e in events if e["type"] == "message"]
    assert all(e["user_id"] == lisi.id for e in events if e["conversation_id"] == cid)
    assert [e["op"] for e in events if e["type"] == "conversation"] == ["removed"]
    staying = (await replay(url, wangwu.token, since, batch=True)).events
    texts = [e["data"]["body"] for e in staying if e["type"] == "message" and e["data"]["kind"] == "text"]
    assert texts == [f"之前 {i}" for i in range(5)] + [f"之后 k7q {i}" for i in range(5)]


async def test_live_events_follow_a_batched_replay_one_per_frame_none_lost_or_twice(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    zhangsan, lisi = [await register(http, name, name) for name in ("zhangsan", "lisi")]
    cid = await group(zhangsan, [lisi])
    since = await position_of(lisi)
    for i in range(30):
        await send(zhangsan, cid, f"错过 {i}")

    async def more() -> None:  # lands before, during or after the replay: the seam must hold
        for i in range(30):
            await send(zhangsan, cid, f"同时 {i}")

    async with connect(_ws_url(url), max_size=2**22) as ws:
        sender = asyncio.create_task(more())
        replayed = await _replay(ws, lisi.token, since, batch=True)
        seqs = [e["data"]["seq"] for e in replayed.events if e["type"] == "message"]
        after: list[dict[str, Any]] = []
        while len(seqs) < 60:
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            after.append(frame)
            if frame.get("type") == "message":
                seqs.append(frame["data"]["seq"])
        await sender
    assert seqs == list(range(2, 62))  # seq 1 is the group's creation notice, before ``since``
    assert all(f.get("type") != "batch" for f in after)


async def test_a_batch_flag_that_is_not_a_boolean_is_a_protocol_error(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    lisi = await register(http, "lisi", "李四")
    async with connect(_ws_url(url)) as ws:
        await ws.send(orjson.dumps({"op": "hello", "token": lisi.token, "since": 0, "batch": "yes"}).decode())
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4002
