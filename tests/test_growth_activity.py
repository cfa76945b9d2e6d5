"""Activity roll-ups: log-ins, messages and app opens become daily per-user counters, flushed in
batches; "active in the last N days" is answered for any user and date."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.domain.growth import date_of_day, day_of, day_start_ms
from lakeside.services.growth.activity import Activity
from lakeside.store.growth import activity as activity_store
from tests.conftest import PASSWORD, Person, befriend, error_code, register
from tests.live import SERVED, running_server

TZ = "Asia/Shanghai"
DAY = 20454  # 2026-01-01


def at(day: int, hour: int = 12) -> int:
    return day_start_ms(day, TZ) + hour * 3_600_000


async def rows_of(app: FastAPI, user_id: int) -> list[dict[str, int]]:
    activity: Activity = app.state.services.growth.activity
    await activity.flush()
    async with app.state.services.ctx.db.read() as conn:
        rows = await activity_store.user_days(conn, user_id, 0, 10**6)
    return [dict(row._mapping) for row in rows]


def test_days_are_calendar_days_in_the_growth_time_zone() -> None:
    assert date_of_day(DAY).isoformat() == "2026-01-01"
    # 2026-01-01 00:30 in Shanghai is still 2025-12-31 in UTC: it belongs to the Shanghai day.
    assert day_of(day_start_ms(DAY, TZ) + 30 * 60_000, TZ) == DAY
    assert day_of(day_start_ms(DAY, TZ) - 1, TZ) == DAY - 1
    assert day_of(day_start_ms(DAY, "UTC"), "UTC") == DAY


async def test_active_in_the_last_n_days(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Active on days 1, 3 and 10: "the last N days at day T" is (T - N, T]."""
    alice = await register(client, "alice", "Alice")
    activity: Activity = app.state.services.growth.activity
    for day in (1, 3, 10):
        activity.record(alice.id, "open", at=at(DAY + day))
    await activity.flush()
    assert await activity.is_active(alice.id, at(DAY + 9), 7)  # day 3 in (2, 9]
    assert not await activity.is_active(alice.id, at(DAY + 9), 6)  # (3, 9] holds nothing
    assert await activity.is_active(alice.id, at(DAY + 10), 1)
    assert not await activity.is_active(alice.id, at(DAY + 11), 1)
    assert await activity.is_active(alice.id, at(DAY + 16), 7)  # day 10 in (9, 16]
    assert not await activity.is_active(alice.id, at(DAY + 17), 7)
    assert not await activity.is_active(alice.id, at(DAY), 30)  # nothing before day 1


async def test_active_in_last_7_at_day_9_but_not_day_11_without_day_10(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    bob = await register(client, "bob", "Bob")
    activity: Activity = app.state.services.growth.activity
    for day in (1, 3):
        activity.record(bob.id, "login", at=at(DAY + day))
    await activity.flush()
    assert await activity.is_active(bob.id, at(DAY + 9), 7)
    assert not await activity.is_active(bob.id, at(DAY + 11), 7)
    zhang = await register(client, "zhangsan", "张三")
    activity.record(zhang.id, "open", at=at(DAY + 5))
    await activity.flush()
    assert await activity.active_among([bob.id, zhang.id], at(DAY + 9), 7) == {bob.id, zhang.id}
    assert await activity.active_among([bob.id, zhang.id], at(DAY + 11), 7) == {zhang.id}
    assert await activity.count_active(at(DAY + 11), 7) == 1


async def test_counters_add_up_across_flushes_and_keep_first_and_last(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice", "Alice")
    activity: Activity = app.state.services.growth.activity
    activity.record(alice.id, "open", at=at(DAY, 9))
    activity.record(alice.id, "message", at=at(DAY, 10), count=3)
    assert activity.pending >= 1
    await activity.flush()
    assert activity.pending == 0
    activity.record(alice.id, "open", at=at(DAY, 8))
    activity.record(alice.id, "login", at=at(DAY, 20))
    await activity.flush()
    (row,) = [row for row in await rows_of(app, alice.id) if row["day"] == DAY]
    assert (row["logins"], row["messages"], row["opens"]) == (1, 3, 2)
    assert row["first_at"] == at(DAY, 8) and row["last_at"] == at(DAY, 20)
    with pytest.raises(Exception) as caught:
        activity.record(alice.id, "dance")
    assert getattr(caught.value, "code", "") == "BAD_ACTIVITY_KIND"


async def test_one_statement_per_batch_many_users(app: FastAPI, client: httpx.AsyncClient) -> None:
    """A flush of 2,500 (user, day) rows is three upserts of up to 1,000 rows, and is exact."""
    people = [await register(client, f"user{n}", f"User {n}") for n in range(5)]
    activity: Activity = app.state.services.growth.activity
    await activity.flush()
    for day in range(500):
        for person in people:
            activity.record(person.id, "open", at=at(DAY - day))
    assert activity.pending == 2500
    assert await activity.flush() == 2500
    async with app.state.services.ctx.db.read() as conn:
        assert await activity_store.count_active(conn, DAY - 499, DAY) == 5
        assert await activity_store.is_active(conn, people[0].id, DAY - 499, DAY - 499)


async def test_log_ins_messages_and_opens_are_recorded_through_the_api(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice", "Alice")  # registering logs in: a log-in today
    bob = await register(client, "bob", "Bob")
    response = await client.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
    assert response.status_code == 200
    await befriend(alice, bob)
    response = await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})
    conversation_id = response.json()["id"]
    for n in range(3):
        response = await alice.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"body": f"hi {n}", "client_msg_id": f"m{n}"},
        )
        assert response.status_code == 201, response.text
    # A retried send (same client_msg_id) is the same message: it counts once.
    response = await alice.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": "hi 0", "client_msg_id": "m0"}
    )
    assert response.status_code == 200
    assert (await alice.post("/api/v1/me/activity", json={"kind": "open"})).status_code == 200
    response = await alice.post("/api/v1/me/activity", json={"kind": "login"})
    assert response.status_code == 422
    response = await alice.get("/api/v1/me/activity", params={"days": 7})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active_today"] is True
    (today,) = body["days"]
    assert (today["logins"], today["messages"], today["opens"]) == (2, 3, 1)
    # The same numbers once flushed.
    (row,) = await rows_of(app, alice.id)
    assert (row["logins"], row["messages"], row["opens"]) == (2, 3, 1)
    assert (await alice.get("/api/v1/me/activity", params={"days": 0})).status_code == 422


async def test_socket_hello_is_an_open_and_socket_sends_are_messages(settings: Settings) -> None:
    async with running_server(settings) as url:
        app = SERVED[url]
        async with httpx.AsyncClient(base_url=url) as http:
            alice = await register(http, "alice", "Alice")
            bob = await register(http, "bob", "Bob")
            await befriend(alice, bob)
            response = await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})
            conversation_id = response.json()["id"]
        async with connect(url.replace("http", "ws", 1) + "/api/v1/stream") as ws:
            await ws.send(orjson.dumps({"op": "hello", "token": alice.token}).decode())
            await _until(ws, lambda frame: frame.get("op") == "live")
            frame = {"op": "send", "conversation_id": conversation_id, "body": "你好", "client_msg_id": "s1"}
            await ws.send(orjson.dumps(frame).decode())
            ack = await _until(ws, lambda frame: frame.get("type") == "ack")
            assert ack["created"] is True
            await ws.send(orjson.dumps(frame).decode())  # a retry: acknowledged, not counted again
            ack = await _until(ws, lambda frame: frame.get("type") == "ack")
            assert ack["created"] is False
        (row,) = await rows_of(app, alice.id)
    assert (row["logins"], row["messages"], row["opens"]) == (1, 1, 1)


async def _until(ws: ClientConnection, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame = orjson.loads(await ws.recv())
            if match(frame):
                return dict(frame)


async def test_the_buffer_is_flushed_by_the_timer_and_on_shutdown(settings: Settings) -> None:
    settings.activity_flush_seconds = 0.05
    app = build_app(settings)

    async def stored(user_id: int) -> list[tuple[int, int]]:
        async with app.state.services.ctx.db.read() as conn:
            rows = await activity_store.user_days(conn, user_id, 0, 10**6)
        return [(row.logins, row.opens) for row in rows]

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4242))
        async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
            alice = await register(http, "alice", "Alice")
            async with asyncio.timeout(10):  # the timer writes the sign-up's log-in unasked
                while await stored(alice.id) != [(1, 0)]:  # noqa: ASYNC110 - polling the database
                    await asyncio.sleep(0.02)
            activity: Activity = app.state.services.growth.activity
            await activity.stop()  # no more timer: what follows stays buffered until shutdown
            await alice.post("/api/v1/me/activity", json={"kind": "open"})
            assert activity.pending == 1
            assert await stored(alice.id) == [(1, 0)]
    reopened = build_app(settings)
    async with reopened.router.lifespan_context(reopened):
        app = reopened
        assert await stored(alice.id) == [(1, 1)]


async def test_activity_endpoints_need_a_session(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    response = await client.post("/api/v1/me/activity", json={"kind": "open"})
    assert response.status_code == 401 and error_code(response) == "UNAUTHENTICATED"
