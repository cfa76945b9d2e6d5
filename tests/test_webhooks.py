"""Incoming webhooks (services/webhooks.py): managing a group's robots, and the DingTalk custom
robot's endpoint posted to with raw HTTP exactly as DingTalk documents it — every message type,
``at`` by mobile, user id and isAtAll, the security settings (keywords, IP allowlist, signing
with good, bad, expired and double-encoded signatures), throttling, oversized and broken bodies,
revoked and regenerated tokens. A refused post stores nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from lakeside.config import Settings
from lakeside.domain.limits import DEFAULT_LIMITS
from lakeside.services.container import Services
from lakeside.store.tables import audit_log
from tests.conftest import Person, error_code
from tests.test_group_tools import group, ok


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    # 20 a minute by default (asserted below); 20 an hour here, so that the 21st post is refused
    # however slowly a loaded machine sends the first twenty.
    settings.rate_limits = {"webhooks_per_user": "20/3600"}
    return settings


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def make_robot(owner: Person, cid: int, **extra: Any) -> dict[str, Any]:
    body = {"dialect": "dingtalk", "name": "构建机器人", **extra}
    response = await owner.post(f"/api/v1/conversations/{cid}/webhooks", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def robot_messages(person: Person, cid: int, bot_id: int) -> list[dict[str, Any]]:
    page = await ok(await person.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 200}))
    return [m for m in page["messages"] if m["sender_id"] == bot_id]


def ding_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def test_a_group_manager_adds_a_robot_whose_url_is_shown_once_and_posts_as_the_robot(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    assert robot["url"].startswith("http://127.0.0.1:8000/robot/send?access_token=")
    token = robot["url"].split("access_token=")[1]
    assert len(token) == 64 and robot["token_prefix"] == token[:8] and robot["secret"] is None
    assert robot["may_mention_all"] is True

    listed = await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/webhooks"))
    assert [w["id"] for w in listed["webhooks"]] == [robot["id"]]
    assert token not in str(listed)  # never shown again

    response = await client.post(
        path_of(robot["url"]), json={"msgtype": "text", "text": {"content": "构建 #42 通过"}}
    )
    assert response.status_code == 200 and response.json() == {"errcode": 0, "errmsg": "ok"}
    mine = await robot_messages(lisi, cid, robot["bot_user_id"])
    assert [(m["kind"], m["body"]) for m in mine] == [("text", "构建 #42 通过")]
    profile = await ok(await lisi.get(f"/api/v1/users/{robot['bot_user_id']}"))
    assert profile["bot"] == "webhook" and profile["display_name"] == "构建机器人"
    members = await ok(await lisi.get(f"/api/v1/conversations/{cid}/members"))
    assert {m["user"]["id"]: m["user"]["bot"] for m in members}[robot["bot_user_id"]] == "webhook"
    listed = await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/webhooks"))
    assert listed["webhooks"][0]["last_used_at"] is not None


async def test_only_group_managers_and_server_admins_manage_robots(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    admin, zhangsan, lisi, mallory = people["admin"], people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    body = {"dialect": "dingtalk", "name": "机器人"}
    refused = await lisi.post(f"/api/v1/conversations/{cid}/webhooks", json=body)
    assert refused.status_code == 403 and error_code(refused) == "NOT_GROUP_ADMIN"
    hidden = await mallory.post(f"/api/v1/conversations/{cid}/webhooks", json=body)
    assert hidden.status_code == 404
    robot = await make_robot(zhangsan, cid)
    assert (await lisi.get(f"/api/v1/conversations/{cid}/webhooks")).status_code == 403
    assert (await mallory.patch(f"/api/v1/webhooks/{robot['id']}", json={"name": "x"})).status_code == 404
    assert (await lisi.delete(f"/api/v1/webhooks/{robot['id']}")).status_code == 403
    # A server admin manages robots of any group, without being a member; their robot may not
    # @所有人, since they do not manage the group itself.
    by_admin = await make_robot(admin, cid, name="运维机器人")
    assert by_admin["may_mention_all"] is False
    renamed = await ok(await admin.patch(f"/api/v1/webhooks/{robot['id']}", json={"name": "发布机器人"}))
    assert renamed["name"] == "发布机器人" and renamed["url"] is None
    # Only DingTalk and Feishu sign; WeCom has no keywords.
    unsupported = await zhangsan.post(
        f"/api/v1/conversations/{cid}/webhooks", json={"dialect": "slack", "name": "x", "signing": True}
    )
    assert error_code(unsupported) == "SIGNING_UNSUPPORTED"
    unsupported = await zhangsan.post(
        f"/api/v1/conversations/{cid}/webhooks", json={"dialect": "wecom", "name": "x", "keywords": ["a"]}
    )
    assert error_code(unsupported) == "KEYWORDS_UNSUPPORTED"
    bad = await zhangsan.post(
        f"/api/v1/conversations/{cid}/webhooks", json={**body, "ip_allowlist": ["not an address"]}
    )
    assert error_code(bad) == "INVALID_ADDRESS"
    nul = await zhangsan.post(f"/api/v1/conversations/{cid}/webhooks", json={**body, "name": "a\u0000b"})
    assert nul.status_code == 422


async def test_every_dingtalk_message_type_is_posted(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    url = path_of(robot["url"])
    payloads = [
        {"msgtype": "text", "text": {"content": "我就是我, 是不一样的烟火"}},
        {
            "msgtype": "markdown",
            "markdown": {"title": "杭州天气", "text": "#### 杭州天气\n> 9度，**西北风**1级"},
        },
        {
            "msgtype": "link",
            "link": {
                "title": "时代的火车向前开",
                "text": "这个即将发布的新版本",
                "messageUrl": "https://www.dingtalk.com/s?x=1",
                "picUrl": "https://img.example.com/a.png",
            },
        },
        {
            "msgtype": "actionCard",
            "actionCard": {
                "title": "乔布斯 20 年前想打造一间苹果咖啡厅",
                "text": "![screenshot](https://img.example.com/b.png) \n #### 乔布斯",
                "btnOrientation": "0",
                "singleTitle": "阅读全文",
                "singleURL": "https://www.dingtalk.com/",
            },
        },
        {
            "msgtype": "actionCard",
            "actionCard": {
                "title": "我 20 年前想打造一间苹果咖啡厅",
                "text": "而它正是 Apple Store 的前身",
                "btnOrientation": "1",
                "btns": [
                    {"title": "内容不错", "actionURL": "https://www.dingtalk.com/a"},
                    {"title": "不感兴趣", "actionURL": "https://www.dingtalk.com/b"},
                ],
            },
        },
        {
            "msgtype": "feedCard",
            "feedCard": {
                "links": [
                    {
                        "title": "时代的火车向前开1",
                        "messageURL": "https://www.dingtalk.com/1",
                        "picURL": "https://img.example.com/1.png",
                    },
                    {
                        "title": "时代的火车向前开2",
                        "messageURL": "https://www.dingtalk.com/2",
                        "picURL": "https://img.example.com/2.png",
                    },
                ]
            },
        },
    ]
    for payload in payloads:
        response = await client.post(url, json=payload)
        assert response.json() == {"errcode": 0, "errmsg": "ok"}, (payload, response.text)
    mine = await robot_messages(lisi, cid, robot["bot_user_id"])
    assert [m["kind"] for m in mine] == ["text", "markdown", "card", "card", "card", "card"]
    assert "<strong>西北风</strong>" in (mine[1]["html"] or "")
    link = mine[2]["card"]["blocks"][0]
    assert link["title_url"] == "https://www.dingtalk.com/s?x=1" and link["image_url"].endswith("a.png")
    single = mine[3]["card"]["blocks"][1]
    assert single["buttons"] == [{"title": "阅读全文", "url": "https://www.dingtalk.com/"}]
    assert mine[4]["card"]["blocks"][1]["layout"] == "horizontal"
    assert [i["title"] for i in mine[5]["card"]["blocks"][0]["items"]] == [
        "时代的火车向前开1",
        "时代的火车向前开2",
    ]


async def test_at_mobiles_user_ids_and_everyone_mention_members_of_the_group(
    client: httpx.AsyncClient, people: dict[str, Person], proofs: Any
) -> None:
    admin, zhangsan, lisi, wangwu, alice = (
        people[n] for n in ("admin", "zhangsan", "lisi", "wangwu", "alice")
    )
    await ok(await lisi.patch("/api/v1/me", json={"phone": "13800001111"}))
    await proofs.prove_phone(lisi)
    await ok(await alice.patch("/api/v1/me", json={"phone": "13900002222"}))  # never verified
    cid = await group(zhangsan, lisi, wangwu, alice)
    robot = await make_robot(zhangsan, cid)
    url = path_of(robot["url"])
    payload = {
        "msgtype": "text",
        "text": {"content": "请 @13800001111 看一下构建"},
        "at": {"atMobiles": ["13800001111", "13900002222", "18600000000"], "atUserIds": ["wangwu"]},
    }
    assert (await client.post(url, json=payload)).json()["errcode"] == 0
    everyone = {
        "msgtype": "markdown",
        "markdown": {"title": "发布", "text": "发布了"},
        "at": {"isAtAll": True},
    }
    assert (await client.post(url, json=everyone)).json()["errcode"] == 0
    by_id = {"msgtype": "text", "text": {"content": "看看"}, "at": {"atUserIds": [str(alice.id)]}}
    assert (await client.post(url, json=by_id)).json()["errcode"] == 0
    first, second, third = await robot_messages(lisi, cid, robot["bot_user_id"])
    # The mobile became the name, as DingTalk shows it; the unverified phone mentions nobody.
    assert first["body"] == "请 @李四 看一下构建\n@王五"
    assert sorted(first["mentions"]) == sorted([lisi.id, wangwu.id])
    assert second["mention_all"] is True
    assert third["mentions"] == [alice.id] and third["body"].endswith("@Alice Chen")
    # A robot made by a server admin who does not manage the group may not notify everyone.
    theirs = await make_robot(admin, cid, name="运维机器人")
    assert (await client.post(path_of(theirs["url"]), json=everyone)).json()["errcode"] == 0
    [posted] = await robot_messages(lisi, cid, theirs["bot_user_id"])
    assert posted["mention_all"] is False


async def test_keywords_and_the_ip_allowlist_refuse_posts_as_dingtalk_does(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid, keywords=["构建", "告警"])
    url = path_of(robot["url"])
    refused = await client.post(url, json={"msgtype": "text", "text": {"content": "hello"}})
    assert refused.status_code == 200
    assert refused.json() == {"errcode": 310000, "errmsg": "keywords not in content"}
    passed = await client.post(
        url, json={"msgtype": "markdown", "markdown": {"title": "告警", "text": "CPU"}}
    )
    assert passed.json()["errcode"] == 0  # the title counts, as in DingTalk

    # The test client calls from 203.0.113.7.
    listed = await make_robot(zhangsan, cid, ip_allowlist=["203.0.113.0/24"])
    assert (
        await client.post(path_of(listed["url"]), json={"msgtype": "text", "text": {"content": "a"}})
    ).json()["errcode"] == 0
    elsewhere = await make_robot(zhangsan, cid, ip_allowlist=["198.51.100.7", "2001:db8::/32"])
    refused = await client.post(path_of(elsewhere["url"]), json={"msgtype": "text", "text": {"content": "a"}})
    assert refused.json() == {"errcode": 310000, "errmsg": "ip 203.0.113.7 not in whitelist"}
    assert await robot_messages(lisi, cid, elsewhere["bot_user_id"]) == []
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 1


async def test_signing_accepts_good_and_double_encoded_signs_and_refuses_bad_and_stale_ones(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid, signing=True)
    secret = robot["secret"]
    assert secret.startswith("SEC") and robot["signing"] is True
    base = path_of(robot["url"])
    body = {"msgtype": "text", "text": {"content": "签名"}}

    async def post(timestamp: str, sign: str) -> dict[str, Any]:
        return dict((await client.post(f"{base}&timestamp={timestamp}&sign={sign}", json=body)).json())

    now = str(round(time.time() * 1000))
    assert await post(now, quote_plus(ding_sign(secret, now))) == {"errcode": 0, "errmsg": "ok"}
    assert (await post(now, quote(quote(ding_sign(secret, now), safe=""), safe="")))["errcode"] == 0
    assert await post(now, quote_plus(ding_sign("SECwrong", now))) == {
        "errcode": 310000,
        "errmsg": "sign not match",
    }
    stale = str(round(time.time() * 1000) - 3601 * 1000)
    assert await post(stale, quote_plus(ding_sign(secret, stale))) == {
        "errcode": 310000,
        "errmsg": "invalid timestamp",
    }
    unsigned = await client.post(base, json=body)
    assert unsigned.json() == {"errcode": 310000, "errmsg": "invalid timestamp"}
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 2

    # Signing off: posts need no signature; on again: a new secret, the old one fails.
    off = await ok(await zhangsan.patch(f"/api/v1/webhooks/{robot['id']}", json={"signing": False}))
    assert off["signing"] is False and off["secret"] is None
    assert (await client.post(base, json=body)).json()["errcode"] == 0
    on = await ok(await zhangsan.patch(f"/api/v1/webhooks/{robot['id']}", json={"signing": True}))
    assert on["secret"].startswith("SEC") and on["secret"] != secret
    now = str(round(time.time() * 1000))
    assert (await post(now, quote_plus(ding_sign(secret, now))))["errmsg"] == "sign not match"
    assert (await post(now, quote_plus(ding_sign(on["secret"], now))))["errcode"] == 0


async def test_the_twenty_first_post_in_a_minute_is_throttled_and_not_stored(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    assert DEFAULT_LIMITS["webhooks_per_user"] == "20/60"  # as DingTalk: 20 messages a minute
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    other = await make_robot(zhangsan, cid, name="另一个机器人")
    url = path_of(robot["url"])
    for n in range(20):
        answer = await client.post(url, json={"msgtype": "text", "text": {"content": f"第 {n} 条"}})
        assert answer.json()["errcode"] == 0, answer.text
    throttled = await client.post(url, json={"msgtype": "text", "text": {"content": "第 21 条"}})
    assert throttled.json() == {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 20
    # Each robot counts against its own limit.
    fine = await client.post(path_of(other["url"]), json={"msgtype": "text", "text": {"content": "我还能发"}})
    assert fine.json()["errcode"] == 0


async def test_broken_oversized_and_unknown_payloads_get_dingtalks_errors_and_store_nothing(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    url = path_of(robot["url"])
    headers = {"Content-Type": "application/json"}
    cases = [
        (b"{not json", 40035),
        (b'{"msgtype": "text", "text": {"content": "a\\u0000b"}}', 40035),
        (b'{"msgtype": "text", "text": {"content": "a\\ud800b"}}', 40035),
        (b'{"msgtype": "image", "image": {}}', 40008),
        (b'{"msgtype": "text", "text": {}}', 40035),
        (
            b'{"msgtype": "link", "link": {"title": "t", "text": "x", "messageUrl": "javascript:alert(1)"}}',
            40035,
        ),
        (b"[]", 40035),
    ]
    for body, errcode in cases:
        answer = await client.post(url, content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["errcode"] == errcode, (body, answer.text)
    huge = {"msgtype": "text", "text": {"content": "长" * 7000}}  # 21,000 bytes of text
    too_large = await client.post(url, json=huge)
    assert too_large.json() == {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
    assert await robot_messages(lisi, cid, robot["bot_user_id"]) == []
    missing = await client.post("/robot/send", json={"msgtype": "text", "text": {"content": "x"}})
    assert missing.json() == {"errcode": 40035, "errmsg": "缺少参数 access_token"}


async def test_revoking_or_regenerating_ends_the_old_url_at_once(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    url = path_of(robot["url"])
    text = {"msgtype": "text", "text": {"content": "x"}}
    fresh = await ok(await zhangsan.patch(f"/api/v1/webhooks/{robot['id']}", json={"regenerate_token": True}))
    assert fresh["url"] != robot["url"]
    assert (await client.post(url, json=text)).json() == {"errcode": 300001, "errmsg": "token is not exist"}
    assert (await client.post(path_of(fresh["url"]), json=text)).json()["errcode"] == 0
    # A DingTalk token is not a WeCom key.
    wecom = await client.post(f"/cgi-bin/webhook/send?key={fresh['url'].split('=')[1]}", json=text)
    assert wecom.json()["errcode"] == 93000

    assert (await zhangsan.delete(f"/api/v1/webhooks/{robot['id']}")).status_code == 200
    assert (await client.post(path_of(fresh["url"]), json=text)).json()["errcode"] == 300001
    assert (await zhangsan.get(f"/api/v1/conversations/{cid}/webhooks")).json() == {"webhooks": []}
    members = await ok(await lisi.get(f"/api/v1/conversations/{cid}/members"))
    assert robot["bot_user_id"] not in [m["user"]["id"] for m in members]
    # What it posted keeps its name and badge.
    gone = await ok(await lisi.get(f"/api/v1/users/{robot['bot_user_id']}"))
    assert (gone["display_name"], gone["bot"]) == ("构建机器人", "webhook")
    assert (await zhangsan.delete(f"/api/v1/webhooks/{robot['id']}")).status_code == 404

    services: Services = app.state.services
    async with services.ctx.db.read() as conn:
        rows = list(
            await conn.execute(
                select(audit_log.c.action, audit_log.c.details)
                .where(audit_log.c.target_type == "webhook", audit_log.c.target_id == robot["id"])
                .order_by(audit_log.c.id)
            )
        )
    assert [row.action for row in rows] == ["webhook.create", "webhook.update", "webhook.revoke"]
    assert all(fresh["url"].split("=")[1] not in row.details for row in rows)  # no token in the log


async def test_a_robots_avatar_is_an_image_its_maker_uploaded_and_everyone_sees_it(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    from tests.test_files import image_bytes, upload

    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    mine = await ok(await upload(zhangsan, image_bytes((64, 64)), "robot.png"))
    theirs = await ok(await upload(mallory, image_bytes((64, 64)), "other.png"))
    refused = await zhangsan.post(
        f"/api/v1/conversations/{cid}/webhooks",
        json={"dialect": "dingtalk", "name": "机器人", "avatar_file_id": theirs["id"]},
    )
    assert refused.status_code == 404 and error_code(refused) == "FILE_NOT_FOUND"
    robot = await make_robot(zhangsan, cid, avatar_file_id=mine["id"])
    profile = await ok(await lisi.get(f"/api/v1/users/{robot['bot_user_id']}"))
    assert profile["avatar_url"] == f"/api/v1/files/{mine['id']}"
    assert (await lisi.get(profile["avatar_url"])).status_code == 200
    cleared = await ok(await zhangsan.patch(f"/api/v1/webhooks/{robot['id']}", json={"clear_avatar": True}))
    assert cleared["avatar_file_id"] is None


def test_every_dialect_answers_throttling_and_refusals_in_its_own_envelope() -> None:
    from lakeside.domain.dialects import dingtalk, feishu, slack, wecom

    def body(answer: Any) -> dict[str, Any]:
        import orjson

        return dict(orjson.loads(answer.body))

    assert body(dingtalk.answer("throttled"))["errcode"] == 130101
    assert body(wecom.answer("throttled"))["errcode"] == 45009
    assert body(feishu.answer("throttled"))["code"] == 11232
    limited = slack.answer("throttled", retry_after=42)
    assert (limited.status, limited.body, limited.headers) == (429, b"rate_limited", {"Retry-After": "42"})
    assert body(wecom.answer("ip", "198.51.100.7"))["errcode"] == 60020
    assert body(feishu.answer("ip"))["code"] == 19022
    assert (slack.answer("ip").status, slack.answer("ip").body) == (403, b"action_prohibited")
    for module in (dingtalk, wecom, feishu):
        assert module.answer("bad_json").status == 200  # the vendors answer HTTP 200 with a code
