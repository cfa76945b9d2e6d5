"""Retries and resume against a real server: a storm of repeated client message ids (in turn and
at once, over HTTP and the WebSocket, on one socket and on two) stores each message exactly once,
and subscribers whose connections drop at random moments end with the full history.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from lakeside.client import LakesideClient
from lakeside.config import Settings
from tests.conftest import PASSWORD
from tests.live import running_server


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    async with running_server(settings) as url:
        yield url


class SocketSender:
    """One WebSocket used for sends: ``send`` resolves with the ack (or nack) for its frame."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.replace("http://", "ws://", 1) + "/api/v1/stream"
        self.token = token
        self.ws: ClientConnection | None = None
        self.waiting: dict[str, list[asyncio.Future[dict[str, Any]]]] = defaultdict(list)
        self.reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SocketSender:
        self.ws = await connect(self.url, max_size=2**22)
        await self.ws.send(orjson.dumps({"op": "hello", "token": self.token, "since": None}).decode())
        while orjson.loads(await self.ws.recv()).get("type") != "sync":
            pass
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.ws is not None and self.reader is not None
        await self.ws.close()
        with contextlib.suppress(Exception):
            await self.reader

    async def _read(self) -> None:
        assert self.ws is not None
        async for raw in self.ws:
            frame = orjson.loads(raw)
            if frame.get("type") in ("ack", "nack"):
                # Answers for one client id on one socket may come in any order; any waiter will do,
                # since every answer for an id must name the same message anyway.
                self.waiting[frame["client_msg_id"]].pop(0).set_result(frame)

    async def send(self, conversation_id: int, client_msg_id: str, body: str) -> dict[str, Any]:
        assert self.ws is not None
        future = asyncio.get_running_loop().create_future()
        self.waiting[client_msg_id].append(future)
        frame = {
            "op": "send",
            "conversation_id": conversation_id,
            "client_msg_id": client_msg_id,
            "body": body,
        }
        await self.ws.send(orjson.dumps(frame).decode())
        return await asyncio.wait_for(future, 30)


async def make_client(url: str, name: str) -> LakesideClient:
    client = LakesideClient(url)
    await client.register(f"{name}_{uuid.uuid4().hex[:6]}", PASSWORD, display_name=name)
    return client


async def befriend(a: LakesideClient, b: LakesideClient) -> None:
    assert b.user is not None
    request = await a.request("POST", "/api/v1/friends/requests", json={"user_id": b.user["id"]})
    await b.request("POST", f"/api/v1/friends/requests/{request['id']}/accept")


async def cast(url: str, count: int) -> tuple[list[LakesideClient], list[int]]:
    """``count`` people, the first friends with all; two groups of everyone."""
    people = [await make_client(url, f"p{i}") for i in range(count)]
    for other in people[1:]:
        await befriend(people[0], other)
    ids = [p.user["id"] for p in people[1:]]  # type: ignore[index]
    groups = [(await people[0].create_group(f"storm {n}", ids))["id"] for n in range(2)]
    return people, groups


async def history(client: LakesideClient, conversation_id: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await client.history(conversation_id, after_seq=after, limit=200)
        messages.extend(page["messages"])
        if not page["has_more"]:
            return messages
        after = messages[-1]["seq"]


PATTERNS = ("once", "http_then_http", "http_race_3", "http_and_socket_race", "socket_twice", "two_sockets")


async def test_retry_storm_stores_each_message_once(server: str) -> None:
    rng = random.Random(8)
    people, groups = await cast(server, 3)
    sockets = [[SocketSender(server, p.token or "") for _ in range(2)] for p in people]
    async with contextlib.AsyncExitStack() as stack:
        for pair in sockets:
            for sock in pair:
                await stack.enter_async_context(sock)
        answers: dict[tuple[int, str], list[tuple[str, dict[str, Any], bool]]] = defaultdict(list)
        plan = Counter[str]()

        async def http(who: int, conversation_id: int, cid: str, body: str) -> None:
            person = people[who]
            response = await person._http.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                json={"client_msg_id": cid, "body": body},
                headers={"Authorization": f"Bearer {person.token}"},
            )
            assert response.status_code in (200, 201), response.text
            answers[(who, cid)].append(("http", response.json(), response.status_code == 201))

        async def socket(who: int, which: int, conversation_id: int, cid: str, body: str) -> None:
            frame = await sockets[who][which].send(conversation_id, cid, body)
            assert frame["type"] == "ack", frame
            answers[(who, cid)].append(("socket", frame["message"], frame["created"]))

        async def one(index: int) -> None:
            who = rng.randrange(len(people))
            conversation_id = rng.choice(groups)
            cid = f"storm-{index}"
            body = f"风暴 {index}"
            pattern = rng.choice(PATTERNS) if rng.random() < 0.6 else "once"
            plan[pattern] += 1
            await asyncio.sleep(rng.random() * 0.05)
            if pattern == "once":
                await http(who, conversation_id, cid, body)
            elif pattern == "http_then_http":
                await http(who, conversation_id, cid, body)
                await http(who, conversation_id, cid, body)
            elif pattern == "http_race_3":
                await asyncio.gather(*(http(who, conversation_id, cid, body) for _ in range(3)))
            elif pattern == "http_and_socket_race":
                await asyncio.gather(
                    http(who, conversation_id, cid, body), socket(who, 0, conversation_id, cid, body)
                )
            elif pattern == "socket_twice":
                await asyncio.gather(*(socket(who, 0, conversation_id, cid, body) for _ in range(2)))
            else:
                await asyncio.gather(*(socket(who, i, conversation_id, cid, body) for i in range(2)))

        await asyncio.gather(*(one(i) for i in range(100)))

    assert plan["once"] < 100 and len(plan) == len(PATTERNS), plan
    stored: dict[tuple[int, str], dict[str, Any]] = {}
    for conversation_id in groups:
        messages = await history(people[0], conversation_id)
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        for message in messages:
            if message["kind"] != "system":
                key = (message["sender_id"], message["client_msg_id"])
                assert key not in stored, f"stored twice: {key}"
                stored[key] = message
    ids = {p.user["id"]: i for i, p in enumerate(people)}  # type: ignore[index]
    assert {(ids[s], c) for s, c in stored} == set(answers)
    for (who, cid), replies in answers.items():
        message = stored[(people[who].user["id"], cid)]  # type: ignore[index]
        assert {reply["id"] for _, reply, _ in replies} == {message["id"]}, (cid, replies)
        assert all(reply["seq"] == message["seq"] for _, reply, _ in replies)
        # Exactly one of the answers says it created the message; the others are retries.
        assert sum(created for _, _, created in replies) == 1, (cid, replies)
    for person in people:
        await person.close()


async def test_subscribers_dropping_at_random_end_with_the_full_history(server: str) -> None:
    rng = random.Random(11)
    people, groups = await cast(server, 4)
    received: dict[int, list[dict[str, Any]]] = defaultdict(list)
    subscriptions = []
    async with contextlib.AsyncExitStack() as stack:
        for index, person in enumerate(people[1:], start=1):
            subscription = await stack.enter_async_context(person.subscribe())
            subscriptions.append(subscription)

            async def collect(index: int = index, subscription: Any = subscription) -> None:
                async for event in subscription:
                    if event.get("type") == "message" and event.get("op") in ("created", "recalled"):
                        received[index].append(event)

            stack.push_async_callback(_cancel, asyncio.create_task(collect()))

        async def dropper() -> None:
            while True:
                await asyncio.sleep(rng.uniform(0.05, 0.3))
                await rng.choice(subscriptions).drop()

        # What the subscribers are owed: everything after the state they started from.
        start = {
            conversation_id: len(await history(people[0], conversation_id)) for conversation_id in groups
        }
        drops = asyncio.create_task(dropper())

        async def sender(person: LakesideClient, numbers: range, rng: random.Random) -> None:
            for i in numbers:
                cid, body = f"resume-{i}", f"消息 {i}"
                sent = await person.send(rng.choice(groups), body, client_msg_id=cid)
                if rng.random() < 0.2:  # a retry after a "lost" answer: the same message comes back
                    again = await person.send(sent["conversation_id"], body, client_msg_id=cid)
                    assert again["id"] == sent["id"]
                if rng.random() < 0.05:
                    await person.request("POST", f"/api/v1/messages/{sent['id']}/recall")

        await asyncio.gather(
            *(
                sender(person, range(n * 16, n * 16 + 16), random.Random(rng.random()))
                for n, person in enumerate(people)
            )
        )
        drops.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drops
        expected_ids = {
            conversation_id: [m["id"] for m in await history(people[0], conversation_id)][
                start[conversation_id] :
            ]
            for conversation_id in groups
        }
        total = sum(len(ids) for ids in expected_ids.values())
        for _ in range(400):
            created = [sum(1 for e in received[i] if e["op"] == "created") for i in range(1, len(people))]
            if all(n >= total for n in created):
                break
            await asyncio.sleep(0.05)
    assert sum(s.reconnects for s in subscriptions) >= 5
    for index in range(1, len(people)):
        events = received[index]
        ids = [e["id"] for e in events]
        assert ids == sorted(set(ids)), f"subscriber {index}: an event twice or out of order"
        for conversation_id, expected in expected_ids.items():
            got = [
                e["data"]["id"]
                for e in events
                if e["op"] == "created" and e["conversation_id"] == conversation_id
            ]
            assert got == expected, f"subscriber {index} misses or repeats messages in {conversation_id}"
    for person in people:
        await person.close()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
