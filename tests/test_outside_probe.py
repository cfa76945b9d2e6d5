"""An outside tester's attacks on the rebuilt core (issue 13) — the one send pipeline (the send
route's own handling vs FastAPI's, the socket's send op), typed events with audiences (live and
replay), the storage seam and the send rate limit — on SQLite and PostgreSQL.

Tests named ``test_finding_*`` are what the probe found; each failed before its fix (the membership
race of a connecting socket, a retry reopening a conversation its sender had left, NUL characters
reaching PostgreSQL, catch-up replaying events from before a membership began, a malformed
typing frame killing the socket, close codes 4000/4002 never sent, the sender's "N unread" in
every member's live event). Tests named ``test_holds_*`` are attacks that held, kept as guards.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from lakeside.api import messages as api_messages
from lakeside.api.messages import SendRoute
from lakeside.config import Settings
from lakeside.domain.limits import check_limits
from lakeside.store.tables import messages as messages_table
from tests.conftest import PASSWORD, Person, befriend, register
from tests.live import SERVED, running_server

# -- helpers ----------------------------------------------------------------------------------------


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/api/v1/stream"


async def hello(ws: ClientConnection, token: str, since: int | None) -> list[dict[str, Any]]:
    """Say hello; return every frame up to and including the ``live`` one."""
    await ws.send(orjson.dumps({"op": "hello", "token": token, "since": since}).decode())
    frames = []
    while True:
        frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        frames.append(frame)
        if frame.get("type") == "sync" and frame.get("op") == "live":
            return frames


async def quiet(ws: ClientConnection, seconds: float = 1.0) -> list[dict[str, Any]]:
    """Every frame until the socket has been quiet for ``seconds``."""
    out = []
    try:
        while True:
            out.append(orjson.loads(await asyncio.wait_for(ws.recv(), seconds)))
    except TimeoutError:
        return out


async def replay_all(person: Person, since: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    position, more = since, True
    while more:
        page = (await person.get("/api/v1/sync", params={"since": position, "limit": 1000})).json()
        events.extend(page["events"])
        position, more = page["position"], page["has_more"]
    return events


async def position_of(person: Person) -> int:
    return int((await person.get("/api/v1/sync")).json()["position"])


async def wait_dispatched(app: FastAPI, person: Person) -> None:
    """Until the hub has dispatched everything committed so far."""
    target = await position_of(person)
    for _ in range(500):
        if app.state.hub.watermark >= target:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the hub did not catch up")


async def stored(app: FastAPI, **where: Any) -> int:
    query = select(func.count()).select_from(messages_table)
    for column, value in where.items():
        query = query.where(messages_table.c[column] == value)
    async with app.state.services.ctx.db.read() as conn:
        return int((await conn.execute(query)).scalar_one())


def send_route() -> SendRoute:
    (route,) = [r for r in api_messages.router.routes if isinstance(r, SendRoute)]
    return route


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    async with running_server(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield url, http


async def group_of(owner: Person, *members: Person, title: str = "群") -> int:
    for member in members:
        await befriend(owner, member)
    response = await owner.post(
        "/api/v1/conversations", json={"title": title, "member_ids": [m.id for m in members]}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def text(person: Person, conversation_id: int, body: str, cmid: str | None = None) -> dict[str, Any]:
    response = await person.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_msg_id": cmid or uuid.uuid4().hex, "body": body},
    )
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


# ===================================================================================================
# FINDINGS (fail today)
# ===================================================================================================

# -- F1: the socket's membership snapshot is taken before the connection is registered ---------------
#
# gateway._serve reads the user's conversations (services.sync.conversation_ids) and only then
# registers the connection with the hub. A membership change the hub dispatches in between is
# never applied to the connection: ``leaving`` and ``joining`` only touch registered connections.
# On PostgreSQL the read is a real await; with nothing injected, a removal racing a (re)connect
# leaked the group's next message to the removed member in 1 of 100 attempts here. The hook below
# holds the read open until the change has been dispatched, to make the race deterministic (on
# SQLite the read is synchronous, so the window only opens with the hook; the fix is the same).


def hold_membership_read(app: FastAPI, user_id: int) -> tuple[asyncio.Event, asyncio.Event]:
    services = app.state.services
    real = services.sync.memberships
    read_done, release = asyncio.Event(), asyncio.Event()

    async def slow(uid: int) -> tuple[set[int], int]:
        found = await real(uid)
        if uid == user_id and not release.is_set():
            read_done.set()
            await asyncio.wait_for(release.wait(), 10)
        return found

    services.sync.memberships = slow
    return read_done, release


async def test_finding_a_member_removed_while_their_socket_connects_gets_nothing_more_of_the_group(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    owner, victim = await register(http, "owner", "Owner"), await register(http, "victim", "Victim")
    group = await group_of(owner, victim)
    app = SERVED[url]
    since = await position_of(victim)
    read_done, release = hold_membership_read(app, victim.id)
    async with connect(ws_url(url)) as ws:
        await ws.send(orjson.dumps({"op": "hello", "token": victim.token, "since": since}).decode())
        await asyncio.wait_for(read_done.wait(), 10)  # the socket has read its memberships ...
        response = await owner.delete(f"/api/v1/conversations/{group}/members/{victim.id}")
        assert response.status_code == 200  # ... and the removal commits and is dispatched
        await wait_dispatched(app, owner)
        release.set()
        frames = await quiet(ws, 1.0)
        assert any(f.get("type") == "conversation" and f.get("op") == "removed" for f in frames)
        await text(owner, group, "说给留下的人听", cmid="after-removal")
        frames += await quiet(ws, 1.5)
        # Also: typing in the group is still relayed from the removed member's socket.
    leaked = [f for f in frames if f.get("conversation_id") == group and f.get("type") == "message"]
    assert leaked == [], "a removed member's socket kept receiving the group's messages"


async def test_finding_a_member_added_while_their_socket_connects_gets_the_group_live(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    owner, newcomer, other = (
        await register(http, "owner", "Owner"),
        await register(http, "newcomer", "New"),
        await register(http, "other", "Other"),
    )
    group = await group_of(owner, other)
    await befriend(owner, newcomer)
    app = SERVED[url]
    since = await position_of(newcomer)
    read_done, release = hold_membership_read(app, newcomer.id)
    async with connect(ws_url(url)) as ws:
        await ws.send(orjson.dumps({"op": "hello", "token": newcomer.token, "since": since}).decode())
        await asyncio.wait_for(read_done.wait(), 10)
        response = await owner.post(
            f"/api/v1/conversations/{group}/members", json={"user_ids": [newcomer.id]}
        )
        assert response.status_code == 200, response.text
        await wait_dispatched(app, owner)
        release.set()
        await quiet(ws, 1.0)
        await text(owner, group, "欢迎新人", cmid="welcome")
        frames = await quiet(ws, 1.5)
    live = [f for f in frames if f.get("type") == "message" and f["data"].get("client_msg_id") == "welcome"]
    assert live, "the new member's socket never received the group's messages live (only a reconnect would)"


# -- F2: a retried client_msg_id reopens a conversation the sender was removed from ------------------


async def test_finding_a_retry_does_not_show_a_message_of_a_conversation_the_sender_has_left(
    people: dict[str, Person],
) -> None:
    """Retries find the original "anywhere" (by sender and client_msg_id) and answer with it as it
    is now — even when the sender was removed from its conversation since. GET /messages/{id}
    answers 404, but a send with the same client_msg_id to any other conversation answers 200
    with the message, its reactions (who reacted, after the removal) and its unread count (how
    many of the group have read it since)."""
    alice, bob, lisi = people["alice"], people["bob"], people["lisi"]
    group = await group_of(bob, alice, lisi)
    await befriend(alice, lisi)
    direct = (await alice.post("/api/v1/conversations/direct", json={"user_id": lisi.id})).json()["id"]
    original = await text(alice, group, "在群里说的", cmid="X")
    assert (await bob.delete(f"/api/v1/conversations/{group}/members/{alice.id}")).status_code == 200
    assert (await alice.get(f"/api/v1/messages/{original['id']}")).status_code == 404
    assert (await bob.put(f"/api/v1/messages/{original['id']}/reactions/after-you-left")).status_code == 200
    response = await alice.post(
        f"/api/v1/conversations/{direct}/messages", json={"client_msg_id": "X", "body": "另一条"}
    )
    body = response.json()
    assert not (response.status_code == 200 and body.get("conversation_id") == group), (
        "the removed sender read the group's message as it is now: " + json.dumps(body, ensure_ascii=False)
    )


# -- F3: NUL characters reach PostgreSQL and answer 500 ----------------------------------------------


NUL = "a\x00b"


async def nul_calls(people: dict[str, Person]) -> list[tuple[Person | None, str, str, dict[str, Any]]]:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    direct = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    group = (await alice.post("/api/v1/conversations", json={"title": "g", "member_ids": [bob.id]})).json()[
        "id"
    ]
    org = (await alice.post("/api/v1/orgs", json={"name": "湖畔"})).json()["id"]
    send = f"/api/v1/conversations/{direct}/messages"
    return [
        (alice, "POST", send, {"json": {"client_msg_id": "f1", "kind": "file", "file_id": NUL}}),
        (alice, "POST", send, {"json": {"client_msg_id": "f2", "kind": "image", "file_id": NUL}}),
        (alice, "PATCH", f"/api/v1/conversations/{group}", {"json": {"avatar_file_id": NUL}}),
        (alice, "PATCH", f"/api/v1/orgs/{org}", {"json": {"logo_file_id": NUL}}),
        (alice, "GET", f"/api/v1/orgs/{org}/members", {"params": {"q": NUL}}),
        (None, "POST", "/api/v1/auth/login", {"json": {"login": NUL, "password": PASSWORD}}),
        (alice, "GET", "/api/v1/org-invitations/a%00b", {}),
        (alice, "POST", "/api/v1/org-invitations/a%00b/join", {"json": {}}),
    ]


async def test_finding_nul_characters_are_refused_not_a_server_error(
    app: FastAPI, people: dict[str, Person]
) -> None:
    """On PostgreSQL a string holding U+0000 is refused by the server ("invalid byte sequence for
    encoding UTF8: 0x00"): every input below answers 500 there (4xx on SQLite). The send's
    ``file_id`` is the one the send pipeline owns; the others show the same gap elsewhere —
    two of them (log-in, the invitation code) need no session at all."""
    calls = await nul_calls(people)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.9", 1))
    failures = []
    async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
        for person, method, path, kwargs in calls:
            headers = person.headers if person is not None else {}
            response = await http.request(method, path, headers=headers, **kwargs)
            if response.status_code >= 500:
                failures.append(f"{method} {path} {kwargs} -> {response.status_code}")
    assert failures == []


async def test_finding_a_socket_send_with_a_nul_file_id_is_nacked_as_a_refusal(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    alice, bob = await register(http, "alice", "Alice"), await register(http, "bob", "Bob")
    await befriend(alice, bob)
    direct = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    async with connect(ws_url(url)) as ws:
        await hello(ws, alice.token, None)
        frame = {
            "op": "send",
            "conversation_id": direct,
            "client_msg_id": "nul",
            "kind": "file",
            "file_id": NUL,
        }
        await ws.send(orjson.dumps(frame).decode())
        reply = next(f for f in await quiet(ws, 2) if f.get("type") in ("ack", "nack"))
    assert reply["type"] == "nack"
    assert reply["error"]["code"] != "INTERNAL", reply  # PostgreSQL: INTERNAL; SQLite: FILE_NOT_FOUND


# -- F4: replay follows today's membership backwards: events from before one joined ------------------


async def test_finding_replay_brings_no_events_from_while_the_user_was_out_of_the_group(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    """Removed, then added back: live, the member gets nothing of the group while out. Replayed
    from a position before the removal, the same stream holds the messages and read receipts of
    the time they were out (catch-up filters by today's membership, in both directions)."""
    url, http = server
    owner, member = await register(http, "owner", "Owner"), await register(http, "member", "Member")
    reader = await register(http, "reader", "Reader")
    group = await group_of(owner, member, reader)
    await text(member, group, "我先说一句")
    start = await position_of(member)
    async with connect(ws_url(url)) as ws:
        await hello(ws, member.token, start)
        assert (await owner.delete(f"/api/v1/conversations/{group}/members/{member.id}")).status_code == 200
        await text(owner, group, "趁他不在说的", cmid="while-out")
        assert (
            await reader.post(f"/api/v1/conversations/{group}/read", json={"seq": 1000})
        ).status_code == 200
        response = await owner.post(f"/api/v1/conversations/{group}/members", json={"user_ids": [member.id]})
        assert response.status_code == 200
        await text(owner, group, "欢迎回来", cmid="back")
        live = [f for f in await quiet(ws, 1.5) if "id" in f]
    replayed = await replay_all(member, start)
    live_ids = [e["id"] for e in live]
    only_on_replay = [
        (e["id"], e["type"], e["op"], e["data"].get("client_msg_id"))
        for e in replayed
        if e["id"] not in live_ids
    ]
    assert only_on_replay == [], "replay holds events of the time the member was out of the group"


async def test_finding_replay_brings_no_events_of_an_organization_from_before_one_joined_it(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    boss, staff, newcomer = (
        await register(http, "boss", "Boss"),
        await register(http, "staff", "Staff"),
        await register(http, "newcomer", "New"),
    )
    org = (await boss.post("/api/v1/orgs", json={"name": "B公司"})).json()
    code = (await boss.post(f"/api/v1/orgs/{org['id']}/invitations", json={"kind": "code"})).json()["code"]
    start = await position_of(newcomer)
    async with connect(ws_url(url)) as ws:
        await hello(ws, newcomer.token, start)
        assert (await staff.post(f"/api/v1/org-invitations/{code}/join", json={})).status_code == 200
        await text(boss, org["all_staff_conversation_id"], "内部通知（新人加入前）", cmid="before")
        assert (await newcomer.post(f"/api/v1/org-invitations/{code}/join", json={})).status_code == 200
        live = [f for f in await quiet(ws, 1.5) if "id" in f]
    replayed = await replay_all(newcomer, start)
    live_ids = {e["id"] for e in live}
    only_on_replay = [
        (e["type"], e["op"], e["data"].get("client_msg_id")) for e in replayed if e["id"] not in live_ids
    ]
    assert only_on_replay == [], "replay holds the organization's events from before the user joined it"


# -- F5: a typing frame with an unhashable conversation_id kills the socket --------------------------


async def test_finding_a_typing_frame_with_a_list_id_does_not_kill_the_socket(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    """gateway._read: ``conversation_id in connection.conversations`` with a list raises
    TypeError (unhashable), which escapes the read loop: the socket dies without a close frame."""
    url, http = server
    alice = await register(http, "alice", "Alice")
    async with connect(ws_url(url)) as ws:
        await hello(ws, alice.token, None)
        await ws.send(json.dumps({"op": "typing", "conversation_id": [1]}))
        await ws.send(json.dumps({"op": "ping"}))
        try:
            frames = await quiet(ws, 2)
        except ConnectionClosed as closed:
            pytest.fail(f"the socket died: {closed!r}")
    assert any(f.get("type") == "pong" for f in frames)


# -- F6: the documented close codes 4002 (frame too large) and 4000 (idle) never reach the client ----


async def test_finding_an_oversized_frame_closes_with_4002(server: tuple[str, httpx.AsyncClient]) -> None:
    """``Connection.abort`` schedules the close as a task and the read loop returns at once, so
    the ASGI app has ended before the close frame is sent: the client sees 1006, no 4002."""
    url, http = server
    alice = await register(http, "alice", "Alice")
    async with connect(ws_url(url), max_size=None) as ws:
        await hello(ws, alice.token, None)
        await ws.send(json.dumps({"op": "ping", "pad": "x" * (70 * 1024)}))
        with pytest.raises(ConnectionClosed) as closed:
            await quiet(ws, 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4002, closed.value


async def test_finding_an_idle_socket_closes_with_4000(settings: Settings) -> None:
    settings.ws_idle_timeout_seconds = 1
    async with running_server(settings) as url, httpx.AsyncClient(base_url=url) as http:
        alice = await register(http, "alice", "Alice")
        async with connect(ws_url(url), ping_interval=None) as ws:
            await hello(ws, alice.token, None)
            with pytest.raises(ConnectionClosed) as closed:
                await quiet(ws, 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000, closed.value


# -- F7: a live message event carries the sender's unread count to everyone; its replay does not -----


async def test_finding_a_live_message_event_is_the_frame_its_replay_is(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    """The writer sets ``unread_count`` (the sender's "N unread") on the view it also emits as the
    live payload, so every member receives the sender's count live, while the replay of the same,
    unchanged message has no ``unread_count`` key at all (services/messages.py says live payloads
    carry no count)."""
    url, http = server
    alice, bob = await register(http, "alice", "Alice"), await register(http, "bob", "Bob")
    await befriend(alice, bob)
    direct = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    start = await position_of(bob)
    async with connect(ws_url(url)) as ws:
        await hello(ws, bob.token, start)
        sent = await text(alice, direct, "你好", cmid="one")
        live = [f for f in await quiet(ws, 1.0) if f.get("type") == "message"]
    replayed = [e for e in await replay_all(bob, start) if e["type"] == "message"]
    assert [e["data"]["id"] for e in live] == [e["data"]["id"] for e in replayed] == [sent["id"]]
    assert live[0]["data"] == replayed[0]["data"]


# ===================================================================================================
# ATTACKS THAT HELD
# ===================================================================================================


def hostile_bodies(cid: int, other_message: int, recalled: int) -> list[tuple[str, str, bytes, str]]:
    """(name, path, body, content type): one request each, the same for every way in."""
    path = f"/api/v1/conversations/{cid}/messages"
    out: list[tuple[str, str, bytes, str]] = []

    def add(name: str, body: Any, at: str = path, content_type: str = "application/json") -> None:
        if isinstance(body, str):
            raw = body.encode("utf-8", "surrogatepass")
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = json.dumps(body).encode()
        out.append((name, at, raw, content_type))

    add("escaped lone surrogate in body", '{"client_msg_id":"s1","body":"\\ud800"}')
    add("escaped lone surrogate in id", '{"client_msg_id":"\\udfffx","body":"a"}')
    add("raw surrogate bytes", b'{"client_msg_id":"s2","body":"\xed\xa0\x80"}')
    add("NUL in id", {"client_msg_id": "a\x00b", "body": "x"})
    add("NUL in body", {"client_msg_id": "n2", "body": "x\x00"})
    add("64-char id", {"client_msg_id": "c" * 64, "body": "x"})
    add("64 astral chars", {"client_msg_id": "😀" * 64, "body": "x"})
    add("65-char id", {"client_msg_id": "c" * 65, "body": "x"})
    add("whitespace id", {"client_msg_id": " \t ", "body": "x"})
    add("nbsp id", {"client_msg_id": "\u00a0", "body": "x"})
    add("zero-width id", {"client_msg_id": "\u200b", "body": "x"})
    add("NFD id", {"client_msg_id": "e\u0301", "body": "x"})
    add("NFC id", {"client_msg_id": "\u00e9", "body": "x"})
    add("empty body", {"client_msg_id": "e1", "body": ""})
    add("whitespace body", {"client_msg_id": "e2", "body": " \n "})
    add("bidi body", {"client_msg_id": "e3", "body": "\u202eabc"})
    add("body at 65536", {"client_msg_id": "h1", "body": "x" * 65536})
    add("body 65537", {"client_msg_id": "h2", "body": "x" * 65537})
    for value in (0, -1, 2**63 - 1, 2**63, 2**64, 1.0, True, "1", None):
        add(f"reply_to_id {value!r}", {"client_msg_id": f"r{value!r}", "body": "x", "reply_to_id": value})
    add("reply_to_id 1e3", b'{"client_msg_id":"r1e3","body":"x","reply_to_id":1e3}')
    add("reply_to_id NaN", b'{"client_msg_id":"rnan","body":"x","reply_to_id":NaN}')
    add("reply to another conversation", {"client_msg_id": "ro", "body": "x", "reply_to_id": other_message})
    add("reply to a recalled message", {"client_msg_id": "rr", "body": "x", "reply_to_id": recalled})
    add("id as number", {"client_msg_id": 5, "body": "x"})
    add("id as object", {"client_msg_id": {"a": 1}, "body": "x"})
    add("kind null", {"client_msg_id": "k1", "kind": None, "body": "x"})
    add("kind system", {"client_msg_id": "k2", "kind": "system", "body": "x"})
    add("image without file", {"client_msg_id": "f3", "kind": "image", "body": "cap"})
    add("file without file", {"client_msg_id": "f4", "kind": "file"})
    add("someone's file id", {"client_msg_id": "f5", "kind": "file", "file_id": "zzzz"})
    add("file id 33 chars", {"client_msg_id": "f6", "kind": "file", "file_id": "z" * 33})
    add("text with file", {"client_msg_id": "f7", "body": "x", "file_id": "zzzz"})
    add("unknown field", {"client_msg_id": "u1", "body": "x", "conversation_id": 1})
    add("duplicate keys", b'{"client_msg_id":"d1","body":"x","body":"y"}')
    add("UTF-8 BOM", b'\xef\xbb\xbf{"client_msg_id":"bom","body":"x"}')
    add("not an object", b"[1]")
    add("null", b"null")
    add("deep nesting", b"[" * 5000 + b"]" * 5000)
    add("invalid JSON", b'{"client_msg_id": ')
    add("text/plain", {"client_msg_id": "tp", "body": "x"}, content_type="text/plain")
    add("no content type", {"client_msg_id": "noct", "body": "x"}, content_type="")
    add("APPLICATION/JSON", {"client_msg_id": "upct", "body": "x"}, content_type="APPLICATION/JSON")
    add("+json", {"client_msg_id": "pj", "body": "x"}, content_type="application/vnd.api+json")
    add(
        "json ; charset",
        {"client_msg_id": "sp", "body": "x"},
        content_type="application/json ; charset=utf-8",
    )
    add("json, text", {"client_msg_id": "jt", "body": "x"}, content_type="application/json, text/plain")
    add("form", b"client_msg_id=f&body=x", content_type="application/x-www-form-urlencoded")
    for label in ("0{}", "+{}", "{}.0", " {}", "{}e0", "-{}", "{}_0", "0", str(2**63), str(10**30)):
        spelled = label.format(cid)
        add(
            f"path {label!r}",
            {"client_msg_id": f"p{label}", "body": "x"},
            at=f"/api/v1/conversations/{spelled}/messages",
        )
    return out


async def test_holds_the_send_route_answers_hostile_bodies_as_fastapi_and_a_cookie_session_do(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The same ~75 requests three ways — a Bearer token (the route's own handling), a Bearer
    token with that handling off (FastAPI's), and the web client's cookie session with its CSRF
    header (always FastAPI's) — each against a world of its own built alike. Same status and
    error code every way, never a 5xx, and no message stored by a refused request."""
    outcomes: dict[str, list[tuple[int, str, int]]] = collections.defaultdict(list)
    route = send_route()
    for index, way in enumerate(("bearer, own handling", "bearer, FastAPI", "cookie")):
        alice = await register(client, f"alice{index}", "A")
        bob = await register(client, f"bob{index}", "B")
        carol = await register(client, f"carol{index}", "C")
        await befriend(alice, bob)
        await befriend(carol, bob)
        cid = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
        other = (await carol.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
        other_message = (await text(carol, other, "not yours"))["id"]
        recalled = (await text(alice, cid, "to recall"))["id"]
        assert (await alice.post(f"/api/v1/messages/{recalled}/recall")).status_code == 200
        if way == "cookie":
            login = await client.post(
                "/api/v1/auth/login", json={"login": alice.username, "password": PASSWORD, "use_cookie": True}
            )
            jar = dict(login.cookies)
            auth = {
                "cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
                "x-csrf-token": jar["lakeside_csrf"],
            }
        else:
            auth = dict(alice.headers)
        route.fast = way != "bearer, FastAPI"
        try:
            for name, path, body, content_type in hostile_bodies(cid, other_message, recalled):
                headers = {**auth, **({"content-type": content_type} if content_type else {})}
                before = await stored(app)
                response = await client.post(path, content=body, headers=headers)
                written = await stored(app) - before
                payload = response.json()
                code = payload["error"]["code"] if "error" in payload else "-"
                outcomes[name].append((response.status_code, code, written))
        finally:
            route.fast = True
        app.state.services.ctx.limits.memory._buckets.clear()
    for name, (own, fastapi, cookie) in outcomes.items():
        assert own == fastapi == cookie, name
        assert own[0] < 500, name
        assert own[2] == (1 if own[0] == 201 else 0), name


async def test_holds_socket_send_frames_are_refused_cleanly(server: tuple[str, httpx.AsyncClient]) -> None:
    url, http = server
    alice, bob, mallory = (
        await register(http, "alice", "Alice"),
        await register(http, "bob", "Bob"),
        await register(http, "mallory", "Mallory"),
    )
    await befriend(alice, bob)
    await befriend(mallory, bob)
    cid = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    foreign = (await mallory.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    boss = await register(http, "boss", "Boss")
    tenant_group = (await boss.post("/api/v1/orgs", json={"name": "别家"})).json()[
        "all_staff_conversation_id"
    ]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"conversation_id": foreign, "client_msg_id": "w1", "body": "x"}, "CONVERSATION_NOT_FOUND"),
        ({"conversation_id": tenant_group, "client_msg_id": "w2", "body": "x"}, "CONVERSATION_NOT_FOUND"),
        ({"conversation_id": str(cid), "client_msg_id": "w3", "body": "x"}, "INVALID"),
        ({"conversation_id": float(cid), "client_msg_id": "w4", "body": "x"}, "INVALID"),
        ({"conversation_id": True, "client_msg_id": "w5", "body": "x"}, "INVALID"),
        ({"conversation_id": 0, "client_msg_id": "w6", "body": "x"}, "INVALID"),
        ({"conversation_id": 2**63, "client_msg_id": "w7", "body": "x"}, "INVALID"),
        ({"conversation_id": [cid], "client_msg_id": "w8", "body": "x"}, "INVALID"),
        ({"client_msg_id": "w9", "body": "x"}, "INVALID"),
        ({"conversation_id": cid, "client_msg_id": {"a": 1}, "body": "x"}, "VALIDATION_FAILED"),
        ({"conversation_id": cid, "client_msg_id": "c" * 65, "body": "x"}, "VALIDATION_FAILED"),
        ({"conversation_id": cid, "client_msg_id": " ", "body": "x"}, "INVALID_CLIENT_MSG_ID"),
        ({"conversation_id": cid, "client_msg_id": "w10", "body": ""}, "EMPTY_MESSAGE"),
        ({"conversation_id": cid, "client_msg_id": "w11", "body": "\x07"}, "CONTROL_CHARACTERS"),
        ({"conversation_id": cid, "client_msg_id": "w12", "kind": "image"}, "FILE_REQUIRED"),
        (
            {"conversation_id": cid, "client_msg_id": "w13", "kind": "file", "file_id": "nope"},
            "FILE_NOT_FOUND",
        ),
        (
            {"conversation_id": cid, "client_msg_id": "w14", "body": "x", "reply_to_id": 0},
            "VALIDATION_FAILED",
        ),
        (
            {"conversation_id": cid, "client_msg_id": "w15", "body": "x", "reply_to_id": 10**6},
            "REPLY_NOT_FOUND",
        ),
        (
            {"conversation_id": cid, "client_msg_id": "w16", "body": "x", "reply_to_id": 1.0},
            "VALIDATION_FAILED",
        ),
        ({"conversation_id": cid, "client_msg_id": "w17", "kind": "voice", "body": "x"}, "UNEXPECTED_BODY"),
        ({"conversation_id": cid, "client_msg_id": "w18", "body": "中" * 20000}, "MESSAGE_TOO_LONG"),
    ]
    app = SERVED[url]
    before = await stored(app)
    async with connect(ws_url(url), max_size=None) as ws:
        await hello(ws, alice.token, None)
        for fields, _ in cases:
            await ws.send(orjson.dumps({"op": "send", **fields}).decode())
        for junk in (
            '{"op": ["send"]}',
            '{"op": {"a": 1}}',
            "[1, 2]",
            '"send"',
            "5",
            "null",
            "{}",
            "{not json",
        ):
            await ws.send(junk)
        await ws.send('{"op": "ping"}')
        frames = await quiet(ws, 2)
    replies = {json.dumps(f["client_msg_id"]): f["error"]["code"] for f in frames if f.get("type") == "nack"}
    assert replies == {json.dumps(fields["client_msg_id"]): code for fields, code in cases}
    assert not [f for f in frames if f.get("type") == "ack"]
    # Objects without a known op: UNKNOWN_OP; what is not a JSON object at all: INVALID_FRAME.
    unknown, invalid = "UNKNOWN_OP", "INVALID_FRAME"
    expected = [unknown, unknown, invalid, invalid, invalid, invalid, unknown, invalid]
    assert [f["code"] for f in frames if f.get("type") == "error"] == expected
    assert any(f.get("type") == "pong" for f in frames)  # the socket survived all of it
    assert await stored(app) == before


async def socket_sends(url: str, token: str, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []
    async with connect(ws_url(url), max_size=None) as ws:
        await hello(ws, token, None)
        for frame in frames:
            await ws.send(orjson.dumps(frame).decode())
        while len(replies) < len(frames):
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 60))
            if reply.get("type") in ("ack", "nack"):
                replies.append(reply)
    return replies


async def test_holds_one_client_msg_id_sent_at_once_over_http_and_two_sockets_stores_one_message(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    alice, bob = await register(http, "alice", "Alice"), await register(http, "bob", "Bob")
    await befriend(alice, bob)
    cid = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    command = {"client_msg_id": "once", "body": "只存一次"}
    frames = [{"op": "send", "conversation_id": cid, **command} for _ in range(80)]
    posts = [alice.post(f"/api/v1/conversations/{cid}/messages", json=command) for _ in range(120)]
    first, second, *responses = await asyncio.gather(
        socket_sends(url, alice.token, frames), socket_sends(url, alice.token, frames), *posts
    )
    acks = first + second
    assert {a["type"] for a in acks} == {"ack"}
    assert all(r.status_code in (200, 201) for r in responses)
    ids = {a["message"]["id"] for a in acks} | {r.json()["id"] for r in responses}
    created = sum(a["created"] for a in acks) + sum(r.status_code == 201 for r in responses)
    assert len(ids) == 1 and created == 1
    assert await stored(SERVED[url], client_msg_id="once") == 1


async def test_holds_the_send_limit_under_concurrency_over_both_transports(settings: Settings) -> None:
    settings.rate_limits = check_limits({"sends_per_user": "30/3600", "sends_per_address": "45/3600"})
    async with running_server(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        alice, bob = await register(http, "alice", "Alice"), await register(http, "bob", "Bob")
        carol = await register(http, "carol", "Carol")
        await befriend(alice, bob)
        await befriend(carol, bob)
        cid = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
        cid2 = (await carol.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
        frames = [
            {"op": "send", "conversation_id": cid, "client_msg_id": f"w{i}", "body": "x"} for i in range(30)
        ]
        posts = [text_or_none(alice, cid, f"h{i}") for i in range(30)]
        others = [text_or_none(carol, cid2, f"c{i}") for i in range(30)]
        replies, *responses = await asyncio.gather(socket_sends(url, alice.token, frames), *posts, *others)
        alice_ok = sum(r["type"] == "ack" for r in replies) + sum(r == 201 for r in responses[:30])
        carol_ok = sum(r == 201 for r in responses[30:])
        assert alice_ok <= 30 and carol_ok <= 30  # each user's budget
        assert alice_ok + carol_ok == 45  # the address's budget (one address for both), exactly
        limited = [r for r in replies if r["type"] == "nack"]
        assert all(r["error"]["code"] == "RATE_LIMITED" and r["error"]["retry_after_ms"] > 0 for r in limited)
        app = SERVED[url]
        assert await stored(app, kind="text") == 45


async def text_or_none(person: Person, cid: int, cmid: str) -> int:
    response = await person.post(
        f"/api/v1/conversations/{cid}/messages", json={"client_msg_id": cmid, "body": "x"}
    )
    return response.status_code


async def test_holds_resume_positions_never_bring_another_users_events(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    alice, bob, eve = (
        await register(http, "alice", "Alice"),
        await register(http, "bob", "Bob"),
        await register(http, "eve", "Eve"),
    )
    group = await group_of(alice, bob)
    for i in range(5):
        await text(alice, group, f"秘密 {i}")
    await bob.post(f"/api/v1/conversations/{group}/read", json={"seq": 1000})
    await alice.put(f"/api/v1/conversations/{group}/settings", json={"pinned": True})
    newest = await position_of(alice)
    for since in (0, 1, newest // 2, newest, newest + 1, 2**62, 2**63 - 1):
        page = (await eve.get("/api/v1/sync", params={"since": since, "limit": 1000})).json()
        own = [e for e in page["events"] if e["user_id"] == eve.id]
        assert page["events"] == own, since  # only eve's own events (friend requests...) ever
    for since in (-1, "abc", 1.5, "", "0x10", 2**63, 10**30):  # beyond 64 bits: no position
        response = await eve.get("/api/v1/sync", params={"since": since})
        assert response.status_code == 422, since
    for since in (0, newest, 2**64 - 1):
        async with connect(ws_url(url)) as ws:
            frames = await hello(ws, eve.token, since)
        events = [f for f in frames if "id" in f] + [
            e for f in frames if f.get("type") == "batch" for e in f["events"]
        ]
        assert all(e["user_id"] == eve.id for e in events), since
    for since in (-1, "5", 1.5, True, [1], 2**70):
        async with connect(ws_url(url)) as ws:
            await ws.send(json.dumps({"op": "hello", "token": eve.token, "since": since}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4002, since


async def test_holds_receipts_dings_announcements_and_org_news_reach_only_their_audience(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    url, http = server
    names = ("aowner", "amem1", "amem2", "bowner", "bmem", "outsider")
    people = {name: await register(http, name, name) for name in names}
    a, b = people["aowner"], people["bowner"]
    org_a = (await a.post("/api/v1/orgs", json={"name": "A公司"})).json()
    org_b = (await b.post("/api/v1/orgs", json={"name": "B公司"})).json()
    code_a = (await a.post(f"/api/v1/orgs/{org_a['id']}/invitations", json={"kind": "code"})).json()["code"]
    code_b = (await b.post(f"/api/v1/orgs/{org_b['id']}/invitations", json={"kind": "code"})).json()["code"]
    for name, code in (("amem1", code_a), ("amem2", code_a), ("bmem", code_b)):
        assert (await people[name].post(f"/api/v1/org-invitations/{code}/join", json={})).status_code == 200
    start = await position_of(a)
    sockets = {}
    async with contextlib.AsyncExitStack() as stack:
        for name, person in people.items():
            ws = await stack.enter_async_context(connect(ws_url(url)))
            await hello(ws, person.token, start)
            sockets[name] = ws
        all_a, all_b = org_a["all_staff_conversation_id"], org_b["all_staff_conversation_id"]
        dept = (await a.post(f"/api/v1/orgs/{org_a['id']}/departments", json={"name": "研发"})).json()
        await a.put(
            f"/api/v1/orgs/{org_a['id']}/departments/{dept['id']}/members/{people['amem1'].id}", json={}
        )
        hello_a = await text(a, all_a, "A 全员")
        await text(b, all_b, "B 全员")
        await people["amem2"].post(f"/api/v1/conversations/{all_a}/read", json={"seq": hello_a["seq"]})
        await a.post(f"/api/v1/orgs/{org_a['id']}/announcements", json={"title": "全员", "body": "all"})
        await a.post(
            f"/api/v1/orgs/{org_a['id']}/announcements",
            json={"title": "研发", "body": "dept", "department_ids": [dept["id"]]},
        )
        ding = await a.post(
            f"/api/v1/orgs/{org_a['id']}/dings", json={"recipient_ids": [people["amem1"].id], "body": "DING"}
        )
        assert ding.status_code == 201, ding.text
        refused = await a.post(
            f"/api/v1/orgs/{org_a['id']}/dings", json={"recipient_ids": [people["bmem"].id], "body": "越界"}
        )
        assert refused.status_code >= 400
        live = {name: [f for f in await quiet(ws, 1.5) if "id" in f] for name, ws in sockets.items()}
    kinds = {name: collections.Counter((e["type"], e["op"]) for e in events) for name, events in live.items()}
    receipts = {name: [e["data"]["user_id"] for e in live[name] if e["type"] == "receipt"] for name in names}
    assert receipts == {
        "aowner": [people["amem2"].id],
        "amem1": [],
        "amem2": [people["amem2"].id],
        "bowner": [],
        "bmem": [],
        "outsider": [],
    }
    assert kinds["amem1"][("ding", "created")] == 1 and kinds["aowner"][("ding", "created")] == 1
    assert not any(kinds[n][("ding", "created")] for n in ("amem2", "bowner", "bmem", "outsider"))
    dept_news = {
        n for n in names for e in live[n] if e["type"] == "announcement" and e["data"].get("title") == "研发"
    }
    assert dept_news == {"amem1"}
    for name in ("bowner", "bmem"):  # nothing of A reaches B
        assert all(e["conversation_id"] in (None, all_b) for e in live[name]), name
        assert all(e["data"].get("organization_id") in (None, org_b["id"]) for e in live[name]), name
    for name in ("aowner", "amem1", "amem2"):
        assert all(e["conversation_id"] != all_b for e in live[name]), name
    assert live["outsider"] == []


async def test_holds_a_chunked_body_takes_the_same_way_as_a_whole_one(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    _url, http = server
    alice, bob = await register(http, "alice", "Alice"), await register(http, "bob", "Bob")
    await befriend(alice, bob)
    cid = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]

    def chunks(raw: bytes) -> Any:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(0, len(raw), 3):
                yield raw[i : i + 3]

        return gen()

    headers = {**alice.headers, "content-type": "application/json"}
    url_send = f"/api/v1/conversations/{cid}/messages"
    ok = await http.post(
        url_send,
        content=chunks(b'{"client_msg_id":"ch1","body":"\xe4\xbd\xa0\xe5\xa5\xbd"}'),
        headers=headers,
    )
    assert ok.status_code == 201 and ok.json()["body"] == "你好"
    again = await http.post(
        url_send,
        content=chunks(b'{"client_msg_id":"ch1","body":"\xe4\xbd\xa0\xe5\xa5\xbd"}'),
        headers=headers,
    )
    assert again.status_code == 200 and again.json()["id"] == ok.json()["id"]
    bad = await http.post(url_send, content=chunks(b'{"client_msg_id":"ch2","body":5}'), headers=headers)
    assert bad.status_code == 422
    broken = await http.post(url_send, content=chunks(b'{"client_msg_id":"ch3","bo'), headers=headers)
    assert broken.status_code == 400


async def test_finding_a_send_frame_with_a_lone_surrogate_is_answered_with_a_nack(
    server: tuple[str, httpx.AsyncClient],
) -> None:
    """orjson refuses a lone surrogate escape (``\\ud800``); the frame used to be answered with
    UNKNOWN_OP and the client's pending send never resolved."""
    url, http = server
    alice, bob = await register(http, "alice", "Alice"), await register(http, "bob", "Bob")
    await befriend(alice, bob)
    direct = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    async with connect(ws_url(url)) as ws:
        await hello(ws, alice.token, None)
        frame = '{"op": "send", "conversation_id": CID, "client_msg_id": "s1", "body": "a\\ud800b"}'
        await ws.send(frame.replace("CID", str(direct)))
        reply = next(f for f in await quiet(ws, 2) if f.get("type") in ("ack", "nack", "error"))
    assert reply["type"] == "nack" and reply["client_msg_id"] == "s1", reply
    assert reply["error"]["code"] == "VALIDATION_FAILED", reply
