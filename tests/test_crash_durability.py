"""Crash durability: a real ``lakeside serve`` process is SIGKILLed while many clients send, then
restarted on the same data; every acknowledged message must be there exactly once, in order.

For each backend (SQLite with ``synchronous`` FULL and NORMAL, PostgreSQL on a throwaway
database) and each seed, a cycle runs: start the server on the data the previous cycle left,
let HTTP senders (one request at a time each) and WebSocket senders (several sends in flight per
socket) send with unique client message ids while recording every acknowledgement, SIGKILL the
server at a moment the seed picks, restart it, and check the conversations through the API:

- sequence numbers are exactly 1..N in every conversation (gapless, no duplicates);
- every acknowledged message is present once, with the id, seq and body it was acknowledged with;
- an HTTP sender's acknowledged messages are in the order it sent them (it waited for each);
- an unacknowledged send is present at most once; retried after the restart with the same
  client id, it is stored exactly once (answered with the original if it had committed);
- nothing is stored that no client sent;
- the event log replays every message exactly once, in sequence order per conversation.

A SIGKILL is a process crash: the operating system keeps what was written, so SQLite's NORMAL
(which may lose the last transactions only on power loss) must pass as well as FULL.
Seeds come from ``LAKESIDE_CRASH_SEEDS`` (default ``1,2,3``). The figures are printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import socket
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.conftest import BACKENDS, PASSWORD, PG_DSN, report_figures, service_missing

SEEDS = [int(s) for s in os.environ.get("LAKESIDE_CRASH_SEEDS", "1,2,3").split(",") if s.strip()]
# A guard against a server that never comes up, not a measure of start-up time: under a loaded
# machine (a CI run beside other work, load average 12 on two cores) a restart after a kill took
# longer than 30 s to answer /healthz.
START_TIMEOUT = 90.0
HTTP_SENDERS = 12
WS_SENDERS = 4
WS_IN_FLIGHT = 6
USERS = 4
MAX_RUN_SECONDS = 1.5  # the kill comes between 0.2 s and this after the first acknowledgement

FIGURES: dict[str, dict[str, int]] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(extra: dict[str, str]) -> dict[str, str]:
    """The test's environment without any LAKESIDE_* setting, plus cheap hashing and ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAKESIDE_")}
    env.update(LAKESIDE_PASSWORD_HASH_TIME_COST="1", LAKESIDE_PASSWORD_HASH_MEMORY_KIB="1024")
    env.update(extra)
    return env


class ServerProcess:
    """``python -m lakeside.cli serve`` on a free port, started and killed on demand."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    async def start(self) -> None:
        assert self.process is None
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "lakeside.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                stdout=log,
                stderr=log,
                env=self.env,
            )
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as http:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"the server exited at start:\n{self.log.read_text()[-3000:]}")
                try:
                    response = await http.get("/healthz")
                    if response.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"the server did not start:\n{self.log.read_text()[-3000:]}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, as when the process crashes or is OOM-killed."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            self.process = None

    async def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                await self.kill()
            self.process = None


@dataclass
class World:
    """The users (with tokens) and the conversations, with the users in each."""

    url: str
    users: list[dict[str, Any]]
    conversations: dict[int, list[int]]  # conversation id -> indexes into users

    def auth(self, index: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.users[index]['token']}"}

    def member_of(self, index: int) -> list[int]:
        return [cid for cid, members in self.conversations.items() if index in members]


Key = tuple[int, str]  # (sender id, client message id)


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged."""

    attempted: dict[Key, tuple[int, str]] = field(default_factory=dict)  # -> (conversation, body)
    acked: dict[Key, dict[str, Any]] = field(default_factory=dict)
    sequences: list[list[Key]] = field(default_factory=list)  # per sequential sender, acks in order
    retried_committed: int = 0  # unacknowledged at the crash, found committed by the retry
    retried_new: int = 0  # unacknowledged at the crash, not committed: stored by the retry

    def attempt(self, key: Key, conversation_id: int, body: str) -> None:
        assert key not in self.attempted
        self.attempted[key] = (conversation_id, body)

    def ack(self, key: Key, message: dict[str, Any]) -> None:
        previous = self.acked.get(key)
        assert previous is None or previous["id"] == message["id"], (key, previous, message)
        self.acked[key] = message


async def register(http: httpx.AsyncClient, username: str) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD, "display_name": username}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return {"id": body["user"]["id"], "token": body["token"], "username": username}


async def build_world(url: str, users: int = USERS) -> World:
    """Registers ``users`` people, makes the first friends with everyone, and opens a group of
    all, a group of the first three and a direct chat between the first two."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        people = [await register(http, f"u{i}_{uuid.uuid4().hex[:6]}") for i in range(users)]
        world = World(url, people, {})
        for other in range(1, users):
            response = await http.post(
                "/api/v1/friends/requests", json={"user_id": people[other]["id"]}, headers=world.auth(0)
            )
            assert response.status_code == 201, response.text
            response = await http.post(
                f"/api/v1/friends/requests/{response.json()['id']}/accept", headers=world.auth(other)
            )
            assert response.status_code == 200, response.text
        groups = [list(range(users)), list(range(min(users, 3)))]
        for number, members in enumerate(groups):
            response = await http.post(
                "/api/v1/conversations",
                json={"title": f"group {number}", "member_ids": [people[i]["id"] for i in members[1:]]},
                headers=world.auth(0),
            )
            assert response.status_code == 201, response.text
            world.conversations[response.json()["id"]] = members
        response = await http.post(
            "/api/v1/conversations/direct", json={"user_id": people[1]["id"]}, headers=world.auth(0)
        )
        assert response.status_code == 201, response.text
        world.conversations[response.json()["id"]] = [0, 1]
    return world


async def http_sender(world: World, ledger: Ledger, rng: random.Random, index: int, tag: str) -> None:
    """Sends one message at a time until the server goes away."""
    user = index % len(world.users)
    sender_id = world.users[user]["id"]
    choices = world.member_of(user)
    order: list[Key] = []
    ledger.sequences.append(order)
    async with httpx.AsyncClient(base_url=world.url, headers=world.auth(user), timeout=10) as http:
        for number in itertools.count():
            conversation_id = rng.choice(choices)
            client_msg_id = f"{tag}-h{index}-{number}"
            body = f"{client_msg_id} 消息 {rng.random():.6f}"
            key = (sender_id, client_msg_id)
            ledger.attempt(key, conversation_id, body)
            try:
                response = await http.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={"client_msg_id": client_msg_id, "body": body},
                )
            except httpx.TransportError:
                return
            assert response.status_code == 201, response.text
            ledger.ack(key, response.json())
            order.append(key)


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://", 1) + "/api/v1/stream"


async def ws_sender(world: World, ledger: Ledger, rng: random.Random, index: int, tag: str) -> None:
    """Keeps up to WS_IN_FLIGHT sends outstanding on one socket until the server goes away."""
    user = index % len(world.users)
    sender_id = world.users[user]["id"]
    choices = world.member_of(user)
    room = asyncio.Semaphore(WS_IN_FLIGHT)
    try:
        async with connect(ws_url(world.url), open_timeout=5, max_size=2**22) as ws:
            token = world.users[user]["token"]
            await ws.send(orjson.dumps({"op": "hello", "token": token, "since": None}).decode())
            while orjson.loads(await ws.recv()).get("type") != "sync":
                pass

            async def read_acks() -> None:
                async for raw in ws:
                    frame = orjson.loads(raw)
                    if frame.get("type") == "ack":
                        ledger.ack((sender_id, frame["client_msg_id"]), frame["message"])
                        room.release()
                    elif frame.get("type") == "nack":
                        raise AssertionError(f"send refused: {frame}")

            reader = asyncio.create_task(read_acks())
            try:
                for number in itertools.count():
                    while not reader.done():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(room.acquire(), 0.2)
                            break
                    if reader.done():
                        break
                    conversation_id = rng.choice(choices)
                    client_msg_id = f"{tag}-w{index}-{number}"
                    body = f"{client_msg_id} socket {rng.random():.6f}"
                    ledger.attempt((sender_id, client_msg_id), conversation_id, body)
                    frame = {
                        "op": "send",
                        "conversation_id": conversation_id,
                        "client_msg_id": client_msg_id,
                        "body": body,
                    }
                    await ws.send(orjson.dumps(frame).decode())
            finally:
                with contextlib.suppress(ConnectionClosed, OSError, asyncio.CancelledError):
                    await reader
    except (ConnectionClosed, OSError, InvalidHandshake, TimeoutError):
        return


async def send_until_killed(
    server: ServerProcess, world: World, ledger: Ledger, rng: random.Random, tag: str
) -> float:
    """Runs the senders, SIGKILLs the server at a moment drawn from ``rng``; returns that moment."""
    tasks = [
        asyncio.create_task(http_sender(world, ledger, random.Random(rng.random()), i, tag))
        for i in range(HTTP_SENDERS)
    ] + [
        asyncio.create_task(ws_sender(world, ledger, random.Random(rng.random()), i, tag))
        for i in range(WS_SENDERS)
    ]
    # The clock starts at the first acknowledgement, so the kill always lands in full traffic.
    acked = len(ledger.acked)
    for _ in range(200):
        if len(ledger.acked) > acked or all(task.done() for task in tasks):
            break
        await asyncio.sleep(0.05)
    moment = rng.uniform(0.2, MAX_RUN_SECONDS)
    await asyncio.sleep(moment)
    await server.kill()
    done, pending = await asyncio.wait(tasks, timeout=30)
    assert not pending, "senders did not notice the server had gone"
    for task in done:
        task.result()  # a refused send or a 5xx fails the run
    return moment


async def full_history(http: httpx.AsyncClient, conversation_id: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    after = 0
    while True:
        response = await http.get(
            f"/api/v1/conversations/{conversation_id}/messages", params={"after_seq": after, "limit": 200}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        messages.extend(page["messages"])
        if not page["has_more"]:
            return messages
        after = messages[-1]["seq"]


async def all_events(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    position = 0
    while True:
        response = await http.get("/api/v1/sync", params={"since": position, "limit": 1000})
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["events"])
        position = page["position"]
        if not page["has_more"]:
            return events


@dataclass
class Check:
    stored: dict[Key, dict[str, Any]]
    lost: list[Key]
    duplicated: list[Key]


async def check_store(world: World, ledger: Ledger) -> Check:
    """Reads everything back through the API and checks the promises in the module docstring."""
    stored: dict[Key, dict[str, Any]] = {}
    duplicated: list[Key] = []
    async with httpx.AsyncClient(base_url=world.url, headers=world.auth(0), timeout=30) as http:
        ids_by_conversation: dict[int, list[int]] = {}
        for conversation_id in world.conversations:
            messages = await full_history(http, conversation_id)
            seqs = [m["seq"] for m in messages]
            assert seqs == list(range(1, len(seqs) + 1)), f"conversation {conversation_id}: seqs {seqs}"
            ids_by_conversation[conversation_id] = [m["id"] for m in messages]
            for message in messages:
                if message["kind"] == "system":
                    continue
                key = (message["sender_id"], message["client_msg_id"])
                if key in stored:
                    duplicated.append(key)
                stored[key] = message
        events = await all_events(http)
    lost = [key for key in ledger.acked if key not in stored]
    assert not lost and not duplicated, f"lost {len(lost)}: {lost[:5]}; duplicated {len(duplicated)}"
    phantom = [key for key in stored if key not in ledger.attempted]
    assert not phantom, f"stored but never sent: {phantom[:5]}"
    for key, message in stored.items():
        conversation_id, body = ledger.attempted[key]
        assert (message["conversation_id"], message["body"]) == (conversation_id, body), key
    for key, ack in ledger.acked.items():
        found = stored[key]
        assert (found["id"], found["seq"], found["conversation_id"]) == (
            ack["id"],
            ack["seq"],
            ack["conversation_id"],
        ), f"{key} was acknowledged as {ack['id']}/{ack['seq']}, stored as {found['id']}/{found['seq']}"
    for order in ledger.sequences:
        by_conversation: dict[int, list[int]] = defaultdict(list)
        for key in order:
            by_conversation[stored[key]["conversation_id"]].append(stored[key]["seq"])
        for conversation_id, seqs in by_conversation.items():
            assert seqs == sorted(seqs), f"a sender's messages out of order in {conversation_id}: {seqs}"
    # The event log: one "created" event per stored message, in sequence order per conversation.
    created = [e for e in events if e["type"] == "message" and e["op"] == "created"]
    assert [e["id"] for e in events] == sorted({e["id"] for e in events}), "event ids repeat or go back"
    counts = Counter(e["data"]["id"] for e in created)
    assert all(n == 1 for n in counts.values()), "a message has more than one created event"
    for conversation_id, ids in ids_by_conversation.items():
        replayed = [e["data"]["id"] for e in created if e["conversation_id"] == conversation_id]
        assert replayed == ids, f"conversation {conversation_id}: the log does not replay its history"
    return Check(stored, lost, duplicated)


async def retry_unacknowledged(world: World, ledger: Ledger, before: Check) -> None:
    """What a client does after a crash: resend everything unanswered with the same client ids."""
    index_of = {user["id"]: i for i, user in enumerate(world.users)}
    async with httpx.AsyncClient(base_url=world.url, timeout=30) as http:
        for key, (conversation_id, body) in list(ledger.attempted.items()):
            if key in ledger.acked:
                continue
            sender_id, client_msg_id = key
            response = await http.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                json={"client_msg_id": client_msg_id, "body": body},
                headers=world.auth(index_of[sender_id]),
            )
            message = response.json()
            if key in before.stored:
                assert response.status_code == 200, response.text  # committed, never answered
                assert message["id"] == before.stored[key]["id"]
                ledger.retried_committed += 1
            else:
                assert response.status_code == 201, response.text
                ledger.retried_new += 1
            ledger.ack(key, message)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """(name, environment) for a server on a database nobody else uses."""
    name: str = request.param
    if name == "sqlite":
        yield name, {}
        return
    database = f"lakeside_crash_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_DSN, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        service_missing("PostgreSQL at " + PG_DSN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield name, {"LAKESIDE_DATABASE_URL": f"{base}/{database}"}
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def cycles(name: str) -> list[tuple[int, str | None]]:
    """(seed, SQLite synchronous mode) per kill. On SQLite every seed runs under FULL and under
    NORMAL, one after the other on the same data (each restart switches the mode)."""
    if name == "sqlite":
        return [(seed, mode) for seed in SEEDS for mode in ("FULL", "NORMAL")]
    return [(seed, None) for seed in SEEDS]


def mode_env(mode: str | None) -> dict[str, str]:
    return {"LAKESIDE_SQLITE_SYNCHRONOUS": mode} if mode else {}


@pytest.mark.slow
async def test_acknowledged_messages_survive_sigkill(
    backend: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    name, extra = backend
    server = ServerProcess(tmp_path / "data", server_env(extra))
    ledger = Ledger()
    figures = Counter[str]()
    plan = cycles(name)
    try:
        server.env.update(mode_env(plan[0][1]))
        await server.start()
        world = await build_world(server.url)
        for number, (seed, mode) in enumerate(plan):
            rng = random.Random(f"{name}/{seed}/{mode}")
            acked_before, attempted_before = len(ledger.acked), len(ledger.attempted)
            moment = await send_until_killed(server, world, ledger, rng, f"s{seed}{mode or ''}")
            acked = len(ledger.acked) - acked_before
            assert acked > 0, f"seed {seed} {mode}: nothing was acknowledged in {moment:.2f} s"
            # Restart on the same data, already in the next cycle's mode: a crash in FULL is then
            # also recovered by a NORMAL server and the other way round.
            server.env.update(mode_env(plan[min(number + 1, len(plan) - 1)][1]))
            await server.start()
            before = await check_store(world, ledger)
            await retry_unacknowledged(world, ledger, before)
            after = await check_store(world, ledger)
            assert set(after.stored) == set(ledger.attempted)
            figures["kills"] += 1
            if mode:
                figures[f"kills_{mode}"] += 1
            figures["acknowledged"] += acked
            figures["in_flight_at_kill"] += len(ledger.attempted) - attempted_before - acked
            figures["lost"] += len(before.lost)
            figures["duplicated"] += len(before.duplicated) + len(after.duplicated)
        figures["committed_unanswered"] = ledger.retried_committed
        figures["stored_by_retry"] = ledger.retried_new
        figures["messages_checked"] = len(ledger.attempted)
    finally:
        await server.stop()
    FIGURES[name] = {"seeds": len(SEEDS), **figures}
    report_figures(f"crash durability [{name}] " + ", ".join(f"{k}: {v}" for k, v in FIGURES[name].items()))
