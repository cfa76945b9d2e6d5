"""Event subscriptions of app bots (services/bot_subscriptions.py) through the delivery queue,
against a real HTTP receiver: the events a bot may see (its conversations from when it joined,
what is addressed to it), signed (lakeside/webhook_signature.py verifies), at least once across
a crash and a restart, in order per subscription, a ping, the delivery log, disabled after
failures in a row, and who may manage them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI

from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.domain.tokens import now_ms
from lakeside.services import bots
from lakeside.services.container import Services
from lakeside.store import outbound as outbound_store
from lakeside.webhook_signature import event_signature, verify_event
from tests.conftest import Person, error_code
from tests.outbound_support import Receiver, running_receiver
from tests.test_group_tools import group, ok


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as state:
        yield state


@pytest.fixture
def private(settings: Settings) -> Settings:
    settings.egress_allow_private = True
    return settings


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


async def app_bot(app: FastAPI, owner: Person, *groups: int, organization_id: int | None = None) -> bots.Bot:
    services = services_of(app)
    async with services.ctx.transaction() as uow:
        bot = await bots.create_bot(
            uow, kind="app", display_name="工单助手", owner_id=owner.id, organization_id=organization_id
        )
        for cid in groups:
            await bots.join(uow, bot, cid, by=owner.id)
    return bot


async def subscribe(owner: Person, bot_id: int, url: str, *types: str) -> dict[str, Any]:
    body = {"url": url, "event_types": list(types) or ["message.created"]}
    return dict(await ok(await owner.post(f"/api/v1/bots/{bot_id}/subscriptions", json=body)))


async def say(person: Person, cid: int, body: str) -> dict[str, Any]:
    payload = {"client_msg_id": uuid.uuid4().hex, "body": body}
    return dict(await ok(await person.post(f"/api/v1/conversations/{cid}/messages", json=payload)))


async def deliveries(owner: Person, bot_id: int, sub_id: int) -> list[dict[str, Any]]:
    return list(await ok(await owner.get(f"/api/v1/bots/{bot_id}/subscriptions/{sub_id}/deliveries")))


async def test_a_subscription_receives_its_bots_events_signed(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    elsewhere = await group(mallory, lisi, title="别的群")
    bot = await app_bot(app, zhangsan, cid)
    sub = await subscribe(zhangsan, bot.user_id, receiver.url("/events"), "message.created", "member.added")
    secret = sub["secret"]
    assert secret.startswith("whsec_") and sub["status"] == "active"
    listed = await ok(await zhangsan.get(f"/api/v1/bots/{bot.user_id}/subscriptions"))
    assert [s["id"] for s in listed] == [sub["id"]] and listed[0]["secret"] is None

    message = await say(lisi, cid, "服务器 3 号报警")
    await say(lisi, elsewhere, "不关机器人的事")  # not the bot's conversation
    await ok(await lisi.patch(f"/api/v1/messages/{message['id']}", json={"body": "服务器 3 号报警!"}))
    services = services_of(app)
    assert await services.outbound.run_once() == ["delivered"]

    (call,) = receiver.requests
    headers, body = call["headers"], call["body"]
    assert verify_event(secret, headers, body)
    assert not verify_event(secret, headers, body + b" ")
    assert not verify_event("whsec_other", headers, body)
    assert not verify_event(secret, headers, body, now=int(headers["x-lakeside-timestamp"]) + 301)
    assert headers["x-lakeside-signature"] == event_signature(secret, headers["x-lakeside-timestamp"], body)
    event = orjson.loads(body)
    assert headers["x-lakeside-event-id"] == event["id"] and event["id"].startswith("evt_")
    assert (event["type"], event["op"], event["bot_id"]) == ("message", "created", bot.user_id)
    assert event["conversation_id"] == cid and event["data"]["id"] == message["id"]
    assert event["data"]["body"] == "服务器 3 号报警!"  # as the message is now
    assert set(event) == {
        "id",
        "type",
        "op",
        "conversation_id",
        "data",
        "created_at",
        "bot_id",
        "subscription_id",
    }

    (entry,) = await deliveries(zhangsan, bot.user_id, sub["id"])
    assert entry["status"] == "delivered" and entry["event_id"] == event["id"]
    assert entry["event_type"] == "message.created" and entry["tries"][0]["http_status"] == 200

    # The bot joining another group: member.added from there on, for that group too.
    async with services.ctx.transaction() as uow:
        await bots.join(uow, bot, elsewhere, by=mallory.id)
    await say(lisi, elsewhere, "现在有机器人了")
    assert await services.outbound.run_once() == ["delivered"] * 3  # the join, its system line, the message
    kinds = [
        (orjson.loads(r["body"])["type"], orjson.loads(r["body"])["conversation_id"])
        for r in receiver.requests[1:]
    ]
    assert kinds == [("member", elsewhere), ("message", elsewhere), ("message", elsewhere)]


async def test_ping_and_the_list_of_event_types(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan = people["zhangsan"]
    bot = await app_bot(app, zhangsan)
    types = await ok(await zhangsan.get("/api/v1/bot-event-types"))
    assert "message.created" in types and "member.added" in types
    sub = await subscribe(zhangsan, bot.user_id, receiver.url(), *types[:3])
    base = f"/api/v1/bots/{bot.user_id}/subscriptions/{sub['id']}"
    answer = await zhangsan.post(f"{base}/ping")
    assert answer.status_code == 202
    ping = answer.json()
    assert await services_of(app).outbound.run_once() == ["delivered"]
    body = receiver.json()
    assert body["type"] == "ping" and body["id"] == ping["event_id"]
    assert verify_event(sub["secret"], receiver.requests[0]["headers"], receiver.requests[0]["body"])
    for bad, code in (
        ({"url": receiver.url(), "event_types": ["message.nope"]}, "UNKNOWN_EVENT_TYPE"),
        ({"url": "ftp://x", "event_types": ["message.created"]}, "INVALID_URL"),
    ):
        answer = await zhangsan.post(f"/api/v1/bots/{bot.user_id}/subscriptions", json=bad)
        assert answer.status_code == 422 and error_code(answer) == code


async def test_at_least_once_across_a_crash_and_a_restart_in_order(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await app_bot(app, zhangsan, cid)
    sub = await subscribe(zhangsan, bot.user_id, receiver.url())
    services = services_of(app)
    for n in range(3):
        await say(lisi, cid, f"第 {n} 条")
    assert await services.outbound.dispatch_all() == 3

    # A node claims the first delivery and dies before it records anything.
    t0 = now_ms()
    async with services.ctx.db.transaction() as conn:
        (claimed,) = await outbound_store.claim_due(conn, t0, 10, t0 + 60_000)  # one per owner: in order
    assert orjson.loads(claimed.body)["data"]["body"] == "第 0 条"
    assert await services.outbound.deliver_due(t0 + 59_999) == []  # still claimed; the next waits its turn

    # Another node (a restart on the same database) delivers it once the claim lapses, then the rest.
    second = build_app(private)
    async with second.router.lifespan_context(second):
        outcomes = await services_of(second).outbound.run_once(t0 + 60_000)
    assert outcomes == ["delivered"] * 3
    bodies = [orjson.loads(r["body"])["data"]["body"] for r in receiver.requests]
    assert bodies == ["第 0 条", "第 1 条", "第 2 条"]
    log = await deliveries(zhangsan, bot.user_id, sub["id"])
    assert [e["attempts"] for e in log] == [1, 1, 2]  # the crashed attempt counts

    # The receiver down: a retry holds the later events back (in order), then all go.
    await receiver.stop()
    await say(lisi, cid, "甲")
    await say(lisi, cid, "乙")
    services.outbound.rand = lambda: 0.5
    t1 = now_ms()
    assert await services.outbound.run_once(t1) == ["retry"]
    assert await services.outbound.run_once(t1 + 5_000) == []
    await receiver.start()
    assert await services.outbound.run_once(t1 + 10_000) == ["delivered", "delivered"]
    assert [orjson.loads(r["body"])["data"]["body"] for r in receiver.requests[3:]] == ["甲", "乙"]


async def test_failures_in_a_row_disable_the_subscription_until_enabled(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    private.bot_subscription_max_failures = 2
    cid = await group(zhangsan, lisi)
    bot = await app_bot(app, zhangsan, cid)
    sub = await subscribe(zhangsan, bot.user_id, receiver.url())
    base = f"/api/v1/bots/{bot.user_id}/subscriptions/{sub['id']}"
    services = services_of(app)
    receiver.answer(400, b"no")
    receiver.answer(200)  # a success in between resets the count
    receiver.answer(410, b"gone")
    receiver.answer(404, b"gone")
    for n in range(5):
        await say(lisi, cid, f"事件 {n}")
    outcomes = await services.outbound.run_once()
    assert outcomes == ["failed", "delivered", "failed", "failed"]
    state = await ok(await zhangsan.get(base))
    assert state["status"] == "disabled" and "2 deliveries in a row failed" in state["disabled_reason"]
    log = await deliveries(zhangsan, bot.user_id, sub["id"])
    assert log[0]["status"] == "failed" and log[0]["last_error"] == "the subscription was disabled"
    await say(lisi, cid, "没人收")
    assert await services.outbound.run_once() == []
    pinged = await zhangsan.post(f"{base}/ping")
    assert pinged.status_code == 422 and error_code(pinged) == "SUBSCRIPTION_NOT_ACTIVE"
    enabled = await ok(await zhangsan.patch(base, json={"active": True}))
    assert enabled["status"] == "active" and enabled["consecutive_failures"] == 0
    await say(lisi, cid, "又能收了")
    assert await services.outbound.run_once() == ["delivered"]


async def test_who_manages_a_bots_subscriptions(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    admin, zhangsan, lisi, mallory = (people[n] for n in ("admin", "zhangsan", "lisi", "mallory"))
    org = await ok(await zhangsan.post("/api/v1/orgs", json={"name": "湖畔科技"}))
    bot = await app_bot(app, lisi, organization_id=org["id"])
    sub = await subscribe(lisi, bot.user_id, receiver.url())
    base = f"/api/v1/bots/{bot.user_id}/subscriptions"
    one = f"{base}/{sub['id']}"
    # The owner, the organization's owner and the server's admin manage; others see nothing.
    for person in (lisi, zhangsan, admin):
        assert (await person.get(one)).status_code == 200
    for call in (
        mallory.get(base),
        mallory.post(base, json={"url": receiver.url(), "event_types": ["message.created"]}),
        mallory.get(one),
        mallory.patch(one, json={"active": False}),
        mallory.delete(one),
        mallory.post(f"{one}/ping"),
        mallory.get(f"{one}/deliveries"),
    ):
        answer = await call
        assert answer.status_code == 404, answer.text
    # Not an app bot (a robot, a person): no subscriptions.
    assert (await lisi.get(f"/api/v1/bots/{lisi.id}/subscriptions")).status_code == 404
    # Another bot's subscription id under this bot: not found.
    other = await app_bot(app, lisi)
    assert (await lisi.get(f"/api/v1/bots/{other.user_id}/subscriptions/{sub['id']}")).status_code == 404
    rotated = await ok(await lisi.patch(one, json={"rotate_secret": True, "active": False}))
    assert rotated["secret"] != sub["secret"] and rotated["status"] == "paused"
    assert (await ok(await lisi.delete(one)))["ok"] is True
    assert (await lisi.get(one)).status_code == 404


async def test_two_nodes_dispatch_and_deliver_each_delivery_once(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await app_bot(app, zhangsan, cid)
    subs = [await subscribe(zhangsan, bot.user_id, receiver.url(f"/s{n}")) for n in range(4)]
    for n in range(3):
        await say(lisi, cid, f"消息 {n}")
    second = build_app(private)
    async with second.router.lifespan_context(second):
        nodes = [services_of(app).outbound, services_of(second).outbound]
        dispatched = await asyncio.gather(*(node.dispatch_all() for node in nodes))
        assert sum(dispatched) == 12  # 3 events x 4 subscriptions, enqueued once between them
        at = now_ms()
        outcomes: list[str] = []
        while True:
            rounds = await asyncio.gather(*(node.deliver_due(at, limit=3) for node in nodes))
            if not any(rounds):
                break
            outcomes += [outcome for batch in rounds for outcome in batch]
    assert outcomes == ["delivered"] * 12
    seen = sorted((r["path"], orjson.loads(r["body"])["id"]) for r in receiver.requests)
    assert len(seen) == len(set(seen)) == 12
    for n, sub in enumerate(subs):
        bodies = [orjson.loads(r["body"])["data"]["body"] for r in receiver.requests if r["path"] == f"/s{n}"]
        assert bodies == ["消息 0", "消息 1", "消息 2"], sub["id"]  # each in order
