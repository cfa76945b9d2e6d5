"""Several nodes on PostgreSQL and Redis behave as one: a message sent through node B reaches a
client on node A; typing and presence cross nodes; killing a node loses nothing, and its clients
resume on the other; Redis going away and coming back loses no event."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lakeside.client import LakesideClient
from lakeside.config import Settings
from tests.conftest import PASSWORD, _truncate_pg, require_redis, service_missing
from tests.live import running_server


@pytest.fixture
async def cluster(pg_url: str | None, tmp_path: Path) -> AsyncIterator[list[Settings]]:
    if pg_url is None:
        service_missing("PostgreSQL")
    redis_url = await require_redis()
    assert pg_url is not None
    await _truncate_pg(pg_url)
    namespace = uuid.uuid4().hex[:8]
    nodes = []
    for name in ("a", "b"):
        data_dir = tmp_path / name
        data_dir.mkdir()
        nodes.append(
            Settings(
                data_dir=data_dir,
                database_url=pg_url,
                bus_url=redis_url,
                bus_namespace=namespace,
                secret_key="test-secret",
                migrate_on_start=False,
                password_hash_time_cost=1,
                password_hash_memory_kib=1024,
            )
        )
    yield nodes


async def pair(url_a: str, url_b: str) -> tuple[LakesideClient, LakesideClient, int]:
    alice = LakesideClient(url_a)
    await alice.register("alice", PASSWORD)
    bob = LakesideClient(url_b)
    await bob.register("bob", PASSWORD)
    request = await alice.request("POST", "/api/v1/friends/requests", json={"user_id": bob.user["id"]})  # type: ignore[index]
    await bob.request("POST", f"/api/v1/friends/requests/{request['id']}/accept")
    conversation = await alice.open_direct(bob.user["id"])  # type: ignore[index]
    return alice, bob, conversation["id"]


async def next_message(sub, timeout: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
    while True:
        event = await sub.next(timeout)
        if event.get("type") == "message" and event.get("op") == "created":
            return event


async def test_message_through_one_node_reaches_a_client_on_the_other(cluster: list[Settings]) -> None:
    async with running_server(cluster[0]) as url_a, running_server(cluster[1]) as url_b:
        alice, bob, conversation_id = await pair(url_a, url_b)
        async with bob.subscribe() as on_b:  # Bob listens on node B ...
            alice_on_a = LakesideClient(url_a, token=alice.token)
            for i in range(20):  # ... Alice sends through node A
                await alice_on_a.send(conversation_id, f"cross {i}")
            got = [(await next_message(on_b))["data"]["seq"] for _ in range(20)]
            assert got == list(range(1, 21))
            await alice_on_a.close()
        for client in (alice, bob):
            await client.close()


async def test_typing_and_presence_cross_nodes(cluster: list[Settings]) -> None:
    async with running_server(cluster[0]) as url_a, running_server(cluster[1]) as url_b:
        alice, bob, conversation_id = await pair(url_a, url_b)
        async with bob.subscribe() as on_b, alice.subscribe() as on_a:
            await on_a.typing(conversation_id)
            while True:
                event = await on_b.next(5)
                if event.get("type") == "typing":
                    assert event["data"]["user_id"] == alice.user["id"]  # type: ignore[index]
                    break
            status = await bob.request("GET", "/api/v1/presence", params={"user_ids": str(alice.user["id"])})  # type: ignore[index]
            assert status[0]["status"] == "online"
        for client in (alice, bob):
            await client.close()


async def test_killing_a_node_loses_nothing_and_clients_resume_elsewhere(cluster: list[Settings]) -> None:
    async with running_server(cluster[1]) as url_b:
        async with running_server(cluster[0]) as url_a:
            alice, bob, conversation_id = await pair(url_b, url_a)  # Bob's client is on node A
            subscription = bob.subscribe()
            async with subscription as on_a:
                await alice.send(conversation_id, "before")
                assert (await next_message(on_a))["data"]["body"] == "before"
                position = on_a.position
        # Node A is gone. Messages keep flowing through B; Bob's client moves to B.
        sent = [await alice.send(conversation_id, f"during {i}") for i in range(5)]
        bob_on_b = LakesideClient(url_b, token=bob.token)
        async with bob_on_b.subscribe(since=position) as on_b:
            got = [(await next_message(on_b))["data"]["id"] for _ in range(5)]
            assert got == [m["id"] for m in sent]
        for client in (alice, bob, bob_on_b):
            await client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_redis_outage_loses_no_event(cluster: list[Settings]) -> None:
    """Point the nodes at a Redis of their own, kill it mid-run, restart it: the hub back-fills
    from the database, so the client sees every message exactly once, in order."""
    port = _free_port()
    start = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    proc = await asyncio.create_subprocess_exec(*start, stdout=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(0.3)
    for node in cluster:
        node.bus_url = f"redis://127.0.0.1:{port}/0"
    try:
        async with running_server(cluster[0]) as url_a, running_server(cluster[1]) as url_b:
            alice, bob, conversation_id = await pair(url_a, url_b)
            async with bob.subscribe() as on_b:
                for i in range(5):
                    await alice.send(conversation_id, f"m{i}")
                proc.kill()
                await proc.wait()
                for i in range(5, 10):
                    await alice.send(conversation_id, f"m{i}")
                proc = await asyncio.create_subprocess_exec(*start, stdout=asyncio.subprocess.DEVNULL)
                for i in range(10, 15):
                    await alice.send(conversation_id, f"m{i}")
                got = [(await next_message(on_b, timeout=10))["data"]["seq"] for _ in range(15)]
                assert got == list(range(1, 16))
                with pytest.raises(asyncio.TimeoutError):
                    await next_message(on_b, timeout=1.5)  # and nothing twice
            for client in (alice, bob):
                await client.close()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
