"""The session cache (lakeside/services/sessions.py): a session is looked up once and then served
from memory for a few seconds, yet whatever ends a session or an account is refused on the very
next request on the node that did it, and on another node as soon as the event reaches it.

The cross-node tests give the receiving node's cache an hour of freshness, so that only the event
can have evicted the session; they wait for the eviction itself, never for a stretch of time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from lakeside.app import build_app
from lakeside.bus import RESYNC
from lakeside.bus.memory import MemoryBus
from lakeside.config import Settings
from lakeside.domain.tokens import now_ms, token_hash
from lakeside.services.accounts import AuthUser
from lakeside.services.sessions import SessionCache
from lakeside.store.tables import sessions
from tests.conftest import PASSWORD, Person, error_code, register, require_redis

HOUR = 3600.0


def session_lookups(app: FastAPI) -> list[str]:
    """Every statement that reads a session by its token hash, from now on."""
    seen: list[str] = []
    app.state.services.ctx.db.on_statement = lambda sql: seen.append(sql) if "token_hash" in sql else None
    return seen


async def log_in_again(http: httpx.AsyncClient, person: Person) -> Person:
    response = await http.post("/api/v1/auth/login", json={"login": person.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Person(http, response.json()["token"], response.json()["user"])


def refused(response: httpx.Response, code: str = "SESSION_INVALID") -> bool:
    return response.status_code == 401 and error_code(response) == code


# -- one node -----------------------------------------------------------------------------------


async def test_a_session_is_read_once_then_served_from_memory(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice", "Alice")
    lookups = session_lookups(app)
    for _ in range(3):
        assert (await alice.get("/api/v1/me")).status_code == 200
    assert len(lookups) == 1
    # The send route's fast path authenticates through the same cache.
    response = await alice.post(
        "/api/v1/conversations/1/messages", json={"client_msg_id": "m1", "body": "hi"}
    )
    assert response.status_code == 404 and len(lookups) == 1


async def test_logging_out_is_refused_on_the_very_next_request(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice", "Alice")
    assert (await alice.get("/api/v1/me")).status_code == 200  # now cached
    assert (await alice.post("/api/v1/auth/logout")).status_code == 200
    assert refused(await alice.get("/api/v1/me"))
    assert refused(await alice.post("/api/v1/conversations/1/messages", json={"client_msg_id": "m"}))


async def test_a_revoked_session_is_refused_on_the_very_next_request(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice", "Alice")
    phone = await log_in_again(client, alice)
    assert (await phone.get("/api/v1/me")).status_code == 200  # now cached
    session_id = next(s["id"] for s in (await phone.get("/api/v1/auth/sessions")).json() if s["current"])
    assert (await alice.delete(f"/api/v1/auth/sessions/{session_id}")).status_code == 200
    assert refused(await phone.get("/api/v1/me"))
    assert refused(await phone.post("/api/v1/conversations/1/messages", json={"client_msg_id": "m"}))
    assert (await alice.get("/api/v1/me")).status_code == 200


async def test_a_deactivated_account_is_refused_on_the_very_next_request(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice", "Alice")
    phone = await log_in_again(client, alice)
    bob = await register(client, "bob", "Bob")
    for person in (alice, phone, bob):
        assert (await person.get("/api/v1/me")).status_code == 200  # now cached
    await app.state.services.accounts.do_deactivate_account(alice.id)
    assert refused(await alice.get("/api/v1/me"))
    assert refused(await phone.post("/api/v1/conversations/1/messages", json={"client_msg_id": "m"}))
    response = await client.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
    assert response.status_code == 403 and error_code(response) == "ACCOUNT_DEACTIVATED"
    assert (await bob.get("/api/v1/me")).status_code == 200


async def test_the_session_is_still_touched_at_most_once_a_minute(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice", "Alice")
    db = app.state.services.ctx.db
    cache = app.state.services.accounts.sessions
    digest = token_hash(alice.token)

    async def last_seen() -> int:
        async with db.read() as conn:
            return int(
                await conn.scalar(select(sessions.c.last_seen_at).where(sessions.c.token_hash == digest))
            )

    async def age() -> int:
        """Move the stored last use two minutes back (behind the cache's back); the new value."""
        value = now_ms() - 120_000
        async with db.transaction() as conn:
            await conn.execute(
                update(sessions).where(sessions.c.token_hash == digest).values(last_seen_at=value)
            )
        return value

    aged = await age()
    assert (await alice.get("/api/v1/me")).status_code == 200  # read from the database: touched
    touched = await last_seen()
    assert touched > aged
    entry = cache.get(digest)
    assert entry is not None and entry.last_seen_at == touched
    aged = await age()
    assert (await alice.get("/api/v1/me")).status_code == 200  # from memory, used within the minute
    assert await last_seen() == aged
    entry.last_seen_at -= 61_000  # as if it had been served from memory for over a minute
    assert (await alice.get("/api/v1/me")).status_code == 200
    assert await last_seen() > aged
    assert entry.last_seen_at == await last_seen()


async def test_an_expired_session_is_refused_even_from_memory(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice", "Alice")
    assert (await alice.get("/api/v1/me")).status_code == 200
    entry = app.state.services.accounts.sessions.get(token_hash(alice.token))
    assert entry is not None
    entry.expires_at = now_ms() - 1  # as if the session had run out while cached
    assert refused(await alice.get("/api/v1/me"))


# -- the cache itself ---------------------------------------------------------------------------


def user(user_id: int, session_id: int) -> AuthUser:
    return AuthUser(user_id, f"u{user_id}", f"U{user_id}", False, session_id)


def following_cache(max_entries: int = 100) -> SessionCache:
    cache = SessionCache(ttl=HOUR, max_entries=max_entries)
    cache.following = True  # as once subscribed to the bus
    return cache


def test_a_look_up_that_raced_an_eviction_is_not_cached() -> None:
    cache = following_cache()
    epoch = cache.epoch  # a look-up begins ...
    cache.forget_session(7)  # ... the session is revoked meanwhile ...
    entry = cache.put("h7", user(1, 7), now_ms() + 60_000, now_ms(), epoch)  # ... and it ends
    assert entry.user.session_id == 7 and cache.get("h7") is None
    cache.put("h7", user(1, 7), now_ms() + 60_000, now_ms(), cache.epoch)
    assert cache.get("h7") is not None


def test_nothing_is_cached_unless_the_bus_is_followed() -> None:
    cache = SessionCache(ttl=HOUR)
    cache.put("h1", user(1, 1), now_ms() + 60_000, now_ms(), cache.epoch)
    assert len(cache) == 0


def test_the_cache_is_bounded_and_evicts_by_session_user_and_bus_event() -> None:
    cache = following_cache(max_entries=3)
    for n in range(1, 5):
        cache.put(f"h{n}", user(n % 2, n), now_ms() + 60_000, now_ms(), cache.epoch)
    assert len(cache) == 3 and cache.get("h1") is None  # the oldest made room
    cache.forget_user(0)  # sessions 2 and 4
    assert [cache.get(f"h{n}") is not None for n in (2, 3, 4)] == [False, True, False]
    revoked = [{"id": 9, "type": "session", "op": "revoked", "user_id": 1, "data": {"session_id": 3}}]
    cache.apply(orjson.dumps(revoked))
    assert len(cache) == 0
    cache.put("h5", user(5, 5), now_ms() + 60_000, now_ms(), cache.epoch)
    message = [{"id": 10, "type": "message", "op": "created", "data": {"body": '"type":"user"'}}]
    cache.apply(orjson.dumps(message))
    assert cache.get("h5") is not None
    cache.apply(orjson.dumps([{"id": 11, "type": "user", "op": "updated", "user_id": 5, "data": {}}]))
    assert cache.get("h5") is None
    cache.put("h6", user(6, 6), now_ms() + 60_000, now_ms(), cache.epoch)
    cache.apply(RESYNC)  # the bus had a gap: any eviction may have been missed
    assert len(cache) == 0


async def test_a_bus_unreachable_at_start_delays_caching_instead_of_failing_the_start() -> None:
    class FlakyBus(MemoryBus):
        failures = 1

        async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("not yet")
            return await super().subscribe(channel)

    bus, cache = FlakyBus(), SessionCache(ttl=HOUR)
    await cache.start(bus, "events")
    try:
        cache.put("h1", user(1, 1), now_ms() + 60_000, now_ms(), cache.epoch)
        assert len(cache) == 0  # not following yet: nothing is cached
        async with asyncio.timeout(10):
            while not cache.following:  # noqa: ASYNC110 - the cache has no event to wait on
                await asyncio.sleep(0.01)
        cache.put("h1", user(1, 1), now_ms() + 60_000, now_ms(), cache.epoch)
        assert cache.get("h1") is not None
        await bus.publish("events", RESYNC)
        async with asyncio.timeout(10):
            while cache.get("h1") is not None:  # noqa: ASYNC110 - the cache has no event to wait on
                await asyncio.sleep(0.01)
    finally:
        await cache.stop()


# -- two nodes ----------------------------------------------------------------------------------


@asynccontextmanager
async def two_nodes(settings: Settings) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two apps on one database and one Redis bus, as two nodes of a deployment."""
    settings.bus_url = await require_redis()
    settings.bus_namespace = f"sc-{uuid.uuid4().hex[:8]}"
    first, second = build_app(settings), build_app(settings)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        for app in (first, second):
            # Subscribed at start, or (if Redis was slow to answer then) soon after.
            cache = app.state.services.accounts.sessions
            async with asyncio.timeout(10):
                while not cache.following:  # noqa: ASYNC110 - the cache has no event to wait on
                    await asyncio.sleep(0.01)
        yield first, second


def http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lakeside.test")


async def evicted(cache: SessionCache, token: str) -> None:
    """Wait for the cache to let go of a session (the event's arrival), for at most 10 s."""
    digest = token_hash(token)
    async with asyncio.timeout(10):
        while cache.get(digest) is not None:  # noqa: ASYNC110 - the cache has no event to wait on
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("ending", ["revoke", "logout", "deactivate"])
async def test_another_node_refuses_an_ended_session_once_the_event_arrives(
    settings: Settings, ending: str
) -> None:
    async with two_nodes(settings) as (node_a, node_b), http(node_a) as one, http(node_b) as two:
        alice = await register(one, "alice", "Alice")
        phone = await log_in_again(one, alice)
        phone_on_b = Person(two, phone.token, phone.profile)
        cache_b = node_b.state.services.accounts.sessions
        cache_b.ttl = HOUR  # only the event can evict it now
        assert (await phone_on_b.get("/api/v1/me")).status_code == 200
        assert cache_b.get(token_hash(phone.token)) is not None

        if ending == "revoke":
            current = [s for s in (await phone.get("/api/v1/auth/sessions")).json() if s["current"]]
            assert (await alice.delete(f"/api/v1/auth/sessions/{current[0]['id']}")).status_code == 200
        elif ending == "logout":
            assert (await phone.post("/api/v1/auth/logout")).status_code == 200
        else:
            await node_a.state.services.accounts.do_deactivate_account(alice.id)

        await evicted(cache_b, phone.token)
        assert refused(await phone_on_b.get("/api/v1/me"))
        assert refused(await phone_on_b.post("/api/v1/conversations/1/messages", json={"client_msg_id": "m"}))
