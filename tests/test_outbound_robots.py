"""Outgoing robots (services/robots.py) through the one delivery queue (services/outbound.py),
against a real HTTP receiver on 127.0.0.1: triggered by an @mention or a keyword (never by a
bot), DingTalk's payload and signature, the answer posted back as the robot, later replies on the
session webhook (forged or expired ones refused), retries with backoff while the receiver is
down, final failures, the delivery log, the SSRF guard, who may manage a robot."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from lakeside.config import Settings
from lakeside.domain import outbound as rules
from lakeside.domain.tokens import now_ms
from lakeside.services import bots
from lakeside.services.container import Services
from lakeside.webhook_signature import verify_dingtalk
from tests.conftest import Person, error_code
from tests.outbound_support import Receiver, running_receiver
from tests.test_group_tools import group, ok


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


async def add_robot(owner: Person, cid: int, url: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "天气机器人", "callback_url": url, **fields}
    return dict(await ok(await owner.post(f"/api/v1/conversations/{cid}/robots", json=body)))


async def say(person: Person, cid: int, body: str, mention: list[int] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"client_msg_id": uuid.uuid4().hex, "body": body}
    if mention:
        payload["mention_ids"] = mention
    response = await person.post(f"/api/v1/conversations/{cid}/messages", json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def history(person: Person, cid: int) -> list[dict[str, Any]]:
    page = await ok(await person.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 100}))
    return [m for m in page["messages"] if m["kind"] != "system"]


async def log(person: Person, robot_id: int) -> list[dict[str, Any]]:
    return list(await ok(await person.get(f"/api/v1/robots/{robot_id}/deliveries")))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as state:
        yield state


@pytest.fixture
def private(settings: Settings) -> Settings:
    settings.egress_allow_private = True
    return settings


async def test_a_mention_calls_the_robot_signed_and_its_answer_is_posted_as_the_robot(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi, title="运维群")
    robot = await add_robot(zhangsan, cid, receiver.url("/dingtalk"))
    secret = robot["secret"]
    assert secret.startswith("SEC") and len(secret) > 40
    # The secret is shown once: never again in a listing or a read.
    listed = await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/robots"))
    assert [r["id"] for r in listed] == [robot["id"]] and listed[0]["secret"] is None
    # The robot is a member, shown as a robot.
    profile = await ok(await lisi.get(f"/api/v1/users/{robot['bot_user_id']}"))
    assert profile["bot"] == "robot" and profile["display_name"] == "天气机器人"

    receiver.answer(200, {"msgtype": "text", "text": {"content": "北京 晴 25°C"}})
    message = await say(lisi, cid, "@天气机器人 北京天气", mention=[robot["bot_user_id"]])
    services = services_of(app)
    assert await services.outbound.run_once() == ["delivered"]

    (call,) = receiver.requests
    assert call["method"] == "POST" and call["path"] == "/dingtalk"
    assert verify_dingtalk(secret, call["headers"])
    assert not verify_dingtalk("SEC" + "0" * 64, call["headers"])
    payload = receiver.json()
    assert payload["msgtype"] == "text" and payload["text"]["content"] == "北京天气"
    assert payload["msgId"] == str(message["id"]) and payload["createAt"] == message["created_at"]
    assert payload["conversationType"] == "2" and payload["conversationId"] == str(cid)
    assert payload["conversationTitle"] == "运维群"
    assert payload["senderId"] == str(lisi.id) and payload["senderNick"] == "李四"
    assert payload["senderStaffId"] == "lisi" and payload["isAdmin"] is False
    assert payload["chatbotUserId"] == str(robot["bot_user_id"]) and payload["isInAtList"] is True
    assert payload["atUsers"] == [{"dingtalkId": str(robot["bot_user_id"]), "staffId": profile["username"]}]
    assert payload["sessionWebhook"].startswith(private.public_url)
    assert payload["sessionWebhookExpiredTime"] > now_ms() + 80 * 60_000

    # The answer is in the group, from the robot.
    shown = await history(lisi, cid)
    assert [(m["sender_id"], m["body"]) for m in shown] == [
        (lisi.id, "@天气机器人 北京天气"),
        (robot["bot_user_id"], "北京 晴 25°C"),
    ]
    (entry,) = await log(zhangsan, robot["id"])
    assert entry["status"] == "delivered" and entry["attempts"] == 1
    assert entry["event_id"] == f"msg_{message['id']}"
    assert [(t["attempt"], t["http_status"], t["outcome"]) for t in entry["tries"]] == [(1, 200, "delivered")]


async def test_keywords_trigger_and_bots_never_do(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await add_robot(zhangsan, cid, receiver.url(), on_mention=False, keywords=["发布", "Deploy"])
    other = await add_robot(zhangsan, cid, receiver.url("/other"), name="助手", keywords=["发布"])
    services = services_of(app)
    await say(lisi, cid, "今天不发版")  # neither
    await say(lisi, cid, "@天气机器人 你好", mention=[robot["bot_user_id"]])  # on_mention is off for robot
    assert await services.outbound.run_once() == []
    await say(lisi, cid, "@助手 你好", mention=[other["bot_user_id"]])
    await services.outbound.run_once()
    assert [r["path"] for r in receiver.requests] == ["/other"]
    receiver.requests.clear()

    await say(lisi, cid, "please DEPLOY now")
    await services.outbound.run_once()
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    receiver.requests.clear()

    # A robot's own messages and other bots' never trigger (no loops), keywords or not.
    writer, limit = services.messages.writer, private.max_message_bytes
    async with services.ctx.transaction() as uow:
        hook_bot = await bots.create_bot(uow, kind="webhook", display_name="CI", owner_id=zhangsan.id)
        await bots.join(uow, hook_bot, cid, by=zhangsan.id)
    await bots.post(writer, bots.text_draft(hook_bot, cid, "w1", "发布 完成 deploy", max_bytes=limit))
    async with services.ctx.db.read() as conn:
        me = await bots.get_bot(conn, robot["bot_user_id"])
    assert me is not None
    await bots.post(writer, bots.text_draft(me, cid, "r1", "发布 deploy", max_bytes=limit))
    assert await services.outbound.run_once() == []
    assert receiver.requests == []

    # A robot taken out of the group by hand is not called there any more.
    removed = await zhangsan.delete(f"/api/v1/conversations/{cid}/members/{other['bot_user_id']}")
    assert removed.status_code == 200, removed.text
    await say(lisi, cid, "发布 2.0")
    assert await services.outbound.run_once() == ["delivered"]
    assert [r["path"] for r in receiver.requests] == ["/hook"]


async def test_replies_on_the_session_webhook_and_forged_or_expired_sessions_are_refused(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    robot = await add_robot(zhangsan, cid, receiver.url(), keywords=["查询"])
    receiver.answer(200, b"{}")  # acknowledged, nothing to say yet
    await say(lisi, cid, "查询 订单 42")
    assert await services_of(app).outbound.run_once() == ["delivered"]
    hook = urlsplit(receiver.json()["sessionWebhook"])
    path = f"{hook.path}?{hook.query}"
    http = lisi.http

    later = {
        "msgtype": "markdown",
        "markdown": {"title": "订单", "text": "**订单 42** 已发货 @lisi"},
        "at": {"atUserIds": ["lisi"]},
    }
    answer = await http.post(path, json=later)
    assert answer.status_code == 200 and answer.json() == {"errcode": 0, "errmsg": "ok"}
    shown = await history(lisi, cid)
    assert shown[-1]["sender_id"] == robot["bot_user_id"] and shown[-1]["kind"] == "markdown"
    assert shown[-1]["mentions"] == [lisi.id]
    assert len(await history(lisi, cid)) == 2  # the log's acknowledgement posted nothing

    token = hook.query.split("=", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    secret = private.ensure_secret()
    expired = rules.session_token(secret, robot["id"], cid, now_ms() - 1)
    elsewhere = rules.session_token(secret, robot["id"], cid + 1000, now_ms() + 60_000)
    wrong_key = rules.session_token("not-the-server-secret", robot["id"], cid, now_ms() + 60_000)
    for bad in (forged, expired, elsewhere, wrong_key, "", "x" * 100):
        answer = await http.post("/robot/sendBySession", params={"session": bad}, json=later)
        assert answer.status_code == 200 and answer.json()["errcode"] == 300001, bad
    bad_message = await http.post(path, json={"msgtype": "video"})
    assert bad_message.json()["errcode"] == 40035
    assert len(await history(lisi, cid)) == 2

    # A revoked robot's sessions end with it; it leaves the group.
    assert (await mallory.delete(f"/api/v1/robots/{robot['id']}")).status_code == 404
    assert (await zhangsan.delete(f"/api/v1/robots/{robot['id']}")).status_code == 200
    assert (await http.post(path, json=later)).json()["errcode"] == 300001
    members = await ok(await lisi.get(f"/api/v1/conversations/{cid}/members"))
    assert robot["bot_user_id"] not in [m["user"]["id"] for m in members]


async def test_a_receiver_down_is_retried_with_backoff_and_delivered_when_back(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await add_robot(zhangsan, cid, receiver.url(), keywords=["ping"])
    services = services_of(app)
    services.outbound.rand = lambda: 0.5  # no jitter: the schedule itself
    await receiver.stop()
    await say(lisi, cid, "ping 1")
    t0 = now_ms()
    assert await services.outbound.run_once(t0) == ["retry"]
    (entry,) = await log(zhangsan, robot["id"])
    assert entry["status"] == "pending" and entry["attempts"] == 1
    assert entry["next_attempt_at"] == t0 + 10_000 and "ConnectError" in entry["last_error"]
    assert await services.outbound.run_once(t0 + 9_999) == []  # not due yet
    assert await services.outbound.run_once(t0 + 10_000) == ["retry"]
    (entry,) = await log(zhangsan, robot["id"])
    assert entry["next_attempt_at"] == t0 + 10_000 + 60_000

    # Back, but busy: 503 with Retry-After longer than the backoff is honoured.
    await receiver.start()
    receiver.answer(503, b"busy", retry_after="600")
    t2 = t0 + 70_000
    assert await services.outbound.run_once(t2) == ["retry"]
    (entry,) = await log(zhangsan, robot["id"])
    assert entry["next_attempt_at"] == t2 + 600_000 and entry["last_status"] == 503
    assert await services.outbound.run_once(t2 + 300_000) == []
    assert await services.outbound.run_once(t2 + 600_000) == ["delivered"]
    (entry,) = await log(zhangsan, robot["id"])
    assert entry["status"] == "delivered" and entry["attempts"] == 4
    assert [t["outcome"] for t in entry["tries"]] == ["retry", "retry", "retry", "delivered"]
    assert [t["http_status"] for t in entry["tries"]] == [None, None, 503, 200]
    assert len(receiver.requests) == 2


async def test_final_answers_fail_at_once_and_endless_errors_give_up(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await add_robot(zhangsan, cid, receiver.url(), keywords=["x"])
    services = services_of(app)
    services.outbound.rand = lambda: 0.0
    for status in (410, 400):
        receiver.answer(status, b"gone")
        await say(lisi, cid, f"x {status}")
        assert await services.outbound.run_once() == ["failed"]
    gone, bad = (await log(zhangsan, robot["id"]))[::-1]
    assert (gone["status"], gone["last_status"], gone["attempts"]) == ("failed", 410, 1)
    assert (bad["status"], bad["last_status"]) == ("failed", 400)
    assert await services.outbound.run_once(now_ms() + 10**9) == []  # never again

    # 500 on every attempt: tried MAX_ATTEMPTS times on the schedule, then failed.
    await say(lisi, cid, "x forever")
    at = now_ms()
    outcomes: list[str] = []
    for attempt in range(1, rules.MAX_ATTEMPTS + 1):
        receiver.answer(500, b"oops")
        outcomes += await services.outbound.run_once(at)
        wait = rules.backoff_ms(attempt, 0.0)
        at += wait or 0
    assert outcomes == ["retry"] * (rules.MAX_ATTEMPTS - 1) + ["failed"]
    last = (await log(zhangsan, robot["id"]))[0]
    assert last["status"] == "failed" and "gave up after 8 attempts" in last["last_error"]
    assert len(last["tries"]) == rules.MAX_ATTEMPTS


async def test_the_egress_guard_refuses_private_addresses(
    app: FastAPI, settings: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    url = f"/api/v1/conversations/{cid}/robots"
    body = {"name": "内网机器人", "callback_url": receiver.url(), "keywords": ["x"]}
    refused = await zhangsan.post(url, json=body)  # plain http: https only, off closed networks
    assert refused.status_code == 422 and error_code(refused) == "INVALID_URL"
    https = {**body, "callback_url": f"https://127.0.0.1:{receiver.port}/hook"}
    not_mine = await zhangsan.post(url, json={**https, "avatar_file_id": "someone-elses-file"})
    assert not_mine.status_code == 404 and error_code(not_mine) == "FILE_NOT_FOUND"
    robot = await ok(await zhangsan.post(url, json=https))
    await say(lisi, cid, "x")
    assert await services_of(app).outbound.run_once() == ["failed"]
    (entry,) = await log(zhangsan, robot["id"])
    assert "non-public address" in entry["last_error"] and receiver.requests == []


async def test_who_manages_robots(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    admin, zhangsan, lisi, wangwu, mallory = (
        people[n] for n in ("admin", "zhangsan", "lisi", "wangwu", "mallory")
    )
    cid = await group(zhangsan, lisi, wangwu)
    other = await group(mallory, wangwu, title="别的群")
    await ok(
        await zhangsan.put(f"/api/v1/conversations/{cid}/members/{wangwu.id}/role", json={"role": "admin"})
    )
    robot = await add_robot(zhangsan, cid, receiver.url(), keywords=["x"])
    rid = robot["id"]
    # A group admin manages; a plain member is refused; an outsider (another group's owner) sees nothing.
    renamed = await ok(
        await wangwu.patch(f"/api/v1/robots/{rid}", json={"name": "新名字", "keywords": ["y"]})
    )
    assert renamed["name"] == "新名字" and renamed["keywords"] == ["y"] and renamed["secret"] is None
    assert (await lisi.get(f"/api/v1/robots/{rid}")).status_code == 403
    assert (await lisi.get(f"/api/v1/conversations/{cid}/robots")).status_code == 403
    for call in (
        mallory.get(f"/api/v1/robots/{rid}"),
        mallory.patch(f"/api/v1/robots/{rid}", json={"name": "x"}),
        mallory.delete(f"/api/v1/robots/{rid}"),
        mallory.get(f"/api/v1/robots/{rid}/deliveries"),
        mallory.get(f"/api/v1/conversations/{cid}/robots"),
        mallory.post(
            f"/api/v1/conversations/{cid}/robots", json={"name": "x", "callback_url": receiver.url()}
        ),
    ):
        answer = await call
        assert answer.status_code == 404, answer.text
    # Mallory manages her own group's robots, not zhangsan's by guessing ids there.
    assert (await mallory.get(f"/api/v1/conversations/{other}/robots")).json() == []
    # The server's admin may manage any group's robots.
    rotated = await ok(await admin.patch(f"/api/v1/robots/{rid}", json={"rotate_secret": True}))
    assert rotated["secret"].startswith("SEC") and rotated["secret"] != robot["secret"]
    # Triggers are required; direct chats have no robots.
    no_trigger = await zhangsan.patch(f"/api/v1/robots/{rid}", json={"on_mention": False, "keywords": []})
    assert no_trigger.status_code == 422 and error_code(no_trigger) == "NO_TRIGGER"
    # The audit trail of a plain group has no organization: read it from the store.
    async with services_of(app).ctx.db.read() as conn:
        from sqlalchemy import select

        from lakeside.store.tables import audit_log

        actions = [
            row.action for row in await conn.execute(select(audit_log).where(audit_log.c.target_id == rid))
        ]
    assert actions[:3] == ["robot.create", "robot.update", "robot.update"]
