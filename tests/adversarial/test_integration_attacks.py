"""An outside attacker's check of the integrations (issue 16): incoming webhooks in four dialects,
outgoing robots and the egress guard, bot tokens and their allowlists, slash commands, cards.
Each test is a case that found something (fixed with it) or holds a boundary an attacker pushed on;
every one runs on SQLite and PostgreSQL through the real app."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from fastapi import FastAPI

from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.domain.limits import Policy
from lakeside.domain.webhooks import feishu_sign
from lakeside.services import limits as limits_module
from lakeside.services.egress import address_allowed
from tests.conftest import Person, register, require_redis
from tests.outbound_support import Receiver, running_receiver
from tests.test_bot_api import bot_in
from tests.test_group_tools import group, ok
from tests.test_outbound_robots import add_robot, services_of
from tests.test_outbound_robots import say as outbound_say
from tests.test_rate_limits import http_from
from tests.test_webhooks import ding_sign, make_robot, path_of, robot_messages


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    settings.rate_limits = {"webhooks_per_user": "20/3600"}
    return settings


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as state:
        yield state


@pytest.fixture
def private(settings: Settings) -> Settings:
    settings.egress_allow_private = True
    return settings


TEXT = {"msgtype": "text", "text": {"content": "攻击者的消息"}}


def no_5xx(response: httpx.Response, what: Any) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text)


# --- Incoming webhooks: the vendor endpoints ------------------------------------------------------


async def test_forty_concurrent_posts_to_one_robot_store_at_most_twenty(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    url = path_of(robot["url"])
    answers = await asyncio.gather(
        *(client.post(url, json={"msgtype": "text", "text": {"content": f"#{n}"}}) for n in range(40))
    )
    codes = [a.json()["errcode"] for a in answers]
    assert codes.count(0) == 20 and codes.count(130101) == 20, codes
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 20


async def test_regenerating_the_token_while_posting_leaves_the_old_token_dead(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    url = path_of(robot["url"])
    posts = [client.post(url, json=TEXT) for _ in range(8)]
    regen = zhangsan.patch(f"/api/v1/webhooks/{robot['id']}", json={"regenerate_token": True})
    *answers, fresh = await asyncio.gather(*posts, regen)
    assert all(a.json()["errcode"] in (0, 300001) for a in answers)
    assert (await client.post(url, json=TEXT)).json()["errcode"] == 300001
    fresh_url = path_of((await ok(fresh))["url"])
    assert (await client.post(fresh_url, json=TEXT)).json()["errcode"] == 0


BAD_QUERY_VALUES = ["%00", "a%00b", "%ED%A0%80", "%FF%FE", "x" * 5000, "-1", "9223372036854775808", "1e308"]


async def test_vendor_query_strings_with_nul_surrogates_and_huge_values_never_fail(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    signed = await make_robot(zhangsan, cid, signing=True)
    token = path_of(signed["url"]).split("access_token=")[1]
    for value in BAD_QUERY_VALUES:
        for url in (
            f"/robot/send?access_token={value}",
            f"/robot/send?access_token={token}&timestamp={value}&sign=abc",
            f"/robot/send?access_token={token}&timestamp={round(time.time() * 1000)}&sign={value}",
            f"/cgi-bin/webhook/send?key={value}",
            f"/hooks/{value}",
            f"/open-apis/bot/v2/hook/{value}",
            f"/robot/sendBySession?session={value}",
        ):
            no_5xx(await client.post(url, json=TEXT), url)
    assert await robot_messages(lisi, cid, signed["bot_user_id"]) == []


async def test_dingtalk_signatures_replayed_future_or_of_another_robot_are_refused(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    mine = await make_robot(zhangsan, cid, signing=True)
    other = await make_robot(zhangsan, cid, name="别的", signing=True)
    base = path_of(mine["url"])
    now = round(time.time() * 1000)

    async def post(stamp: Any, sign: str) -> int:
        answer = await client.post(f"{base}&timestamp={stamp}&sign={quote_plus(sign)}", json=TEXT)
        return int(answer.json()["errcode"])

    assert await post(now - 3_700_000, ding_sign(mine["secret"], str(now - 3_700_000))) == 310000
    assert await post(now + 3_700_000, ding_sign(mine["secret"], str(now + 3_700_000))) == 310000
    assert await post(now, ding_sign(other["secret"], str(now))) == 310000
    # The same signature for another form of the same instant (leading zeros, a float) is not it.
    assert await post(f"0{now}", ding_sign(mine["secret"], str(now))) == 310000
    assert await post(f"{now}.0", ding_sign(mine["secret"], str(now))) == 310000
    assert await robot_messages(lisi, cid, mine["bot_user_id"]) == []


NASTY_BODIES: list[tuple[bytes, str]] = [
    (b"", "application/json"),
    (b"\xff\xfe\xfd", "application/json"),
    (b'{"msgtype": "text", "text": {"content": "\xed\xa0\x80"}}', "application/json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
    (b'{"msgtype": "text", "text": {"content": 18446744073709551616}}', "application/json"),
    (b'{"msgtype": "text", "text": {"content": 1.5e308}}', "application/json"),
    (b'{"msgtype": "text", "text": {"content": ["a"]}}', "application/json"),
    (b'{"msgtype": 7}', "application/json"),
    (b'{"msgtype": "text", "text": {"content": "x"}}', "text/plain"),
    (b'{"msgtype": "text", "text": {"content": "x"}}', "application/x-www-form-urlencoded"),
    (b"payload=%FF%FE", "application/x-www-form-urlencoded"),
    (b"payload=%7B%22text%22%3A%22a%00b%22%7D", "application/x-www-form-urlencoded"),
    (b"payload=%7B&payload=%7D", "application/x-www-form-urlencoded"),
    (b"payload=" + b"%5B" * 3000, "application/x-www-form-urlencoded"),
    (b"\xff=\xfe", "application/x-www-form-urlencoded"),
    (b'{"text": "x"}', "multipart/form-data; boundary=zz"),
]


async def test_malformed_bodies_in_every_dialect_never_fail_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    urls = []
    for dialect in ("dingtalk", "slack", "wecom", "feishu"):
        robot = await make_robot(zhangsan, cid, dialect=dialect, name=dialect)
        urls.append((path_of(robot["url"]), robot["bot_user_id"]))
    for url, _ in urls:
        for body, kind in NASTY_BODIES:
            answer = await client.post(url, content=body, headers={"Content-Type": kind})
            no_5xx(answer, (url, body[:40], kind))
    for _, bot_id in urls:
        for message in await robot_messages(lisi, cid, bot_id):
            assert message["body"] == "x", message  # only the well-formed JSON sent as another type


async def test_a_gzip_bomb_is_not_inflated(client: httpx.AsyncClient, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid, dialect="slack", name="slack")
    bomb = gzip.compress(b'{"text": "' + b"A" * 50_000_000 + b'"}')
    answer = await client.post(
        path_of(robot["url"]),
        content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    no_5xx(answer, "gzip")
    assert answer.status_code != 200
    assert await robot_messages(lisi, cid, robot["bot_user_id"]) == []


DANGEROUS_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,x",
    "vbscript:x",
    "java\tscript:alert(1)",
    "dingtalk://dingtalkclient/page/link?url=javascript%3Aalert(1)",
]


def dialect_payloads(url: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "dingtalk",
            {"msgtype": "link", "link": {"title": "t", "text": "x", "messageUrl": url, "picUrl": url}},
        ),
        (
            "dingtalk",
            {
                "msgtype": "actionCard",
                "actionCard": {"title": "t", "text": "x", "singleTitle": "go", "singleURL": url},
            },
        ),
        (
            "dingtalk",
            {
                "msgtype": "actionCard",
                "actionCard": {"title": "t", "text": "x", "btns": [{"title": "a", "actionURL": url}]},
            },
        ),
        (
            "dingtalk",
            {
                "msgtype": "feedCard",
                "feedCard": {"links": [{"title": "t", "messageURL": url, "picURL": "https://e.com/a.png"}]},
            },
        ),
        ("dingtalk", {"msgtype": "markdown", "markdown": {"title": "t", "text": f"[x]({url}) ![i]({url})"}}),
        ("slack", {"text": f"<{url}|click>"}),
        ("slack", {"attachments": [{"title": "t", "title_link": url, "image_url": url, "author_link": url}]}),
        ("slack", {"blocks": [{"type": "image", "image_url": url, "alt_text": "x"}]}),
        ("wecom", {"msgtype": "news", "news": {"articles": [{"title": "t", "url": url, "picurl": url}]}}),
        ("wecom", {"msgtype": "markdown", "markdown": {"content": f"[x]({url})"}}),
        (
            "feishu",
            {
                "msg_type": "post",
                "content": {
                    "post": {
                        "zh_cn": {
                            "title": "t",
                            "content": [
                                [{"tag": "a", "text": "x", "href": url}, {"tag": "img", "image_key": url}]
                            ],
                        }
                    }
                },
            },
        ),
        (
            "feishu",
            {
                "msg_type": "interactive",
                "card": {
                    "elements": [
                        {
                            "tag": "action",
                            "actions": [
                                {"tag": "button", "text": {"tag": "plain_text", "content": "x"}, "url": url}
                            ],
                        }
                    ]
                },
            },
        ),
    ]


async def test_no_dialect_stores_a_script_or_data_url(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    urls = {}
    for dialect in ("dingtalk", "slack", "wecom", "feishu"):
        robot = await make_robot(zhangsan, cid, dialect=dialect, name=dialect)
        urls[dialect] = path_of(robot["url"])
    for bad in DANGEROUS_URLS:
        for dialect, payload in dialect_payloads(bad):
            no_5xx(await client.post(urls[dialect], json=payload), (dialect, payload))
    page = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 200}))
    # The words may show as text; no link, image or button may point anywhere but http(s).
    for message in page["messages"]:
        html = " ".join([message.get("html") or "", json.dumps(message.get("card"))])
        assert not re.search(r"(href|src)=\\?[\"'](?!https?:)", html, re.I), message
        for key, value in re.findall(
            r'"(url|href|image_url|link|src)": "([^"]*)"', json.dumps(message["card"])
        ):
            assert value.lower().startswith(("https://", "http://")), (key, value)


async def test_mentions_of_people_outside_the_group_notify_nobody(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    wecom = await make_robot(zhangsan, cid, dialect="wecom", name="wecom")
    slack = await make_robot(zhangsan, cid, dialect="slack", name="slack")
    feishu = await make_robot(zhangsan, cid, dialect="feishu", name="feishu")
    outsider = str(wangwu.profile["id"])
    await client.post(
        path_of(robot["url"]),
        json={"msgtype": "text", "text": {"content": "hi"}, "at": {"atUserIds": ["wangwu", outsider]}},
    )
    await client.post(
        path_of(wecom["url"]),
        json={"msgtype": "text", "text": {"content": "hi", "mentioned_list": ["wangwu", outsider]}},
    )
    await client.post(
        path_of(wecom["url"]), json={"msgtype": "markdown", "markdown": {"content": "<@wangwu>"}}
    )
    await client.post(path_of(slack["url"]), json={"text": f"<@{outsider}> <@wangwu>"})
    await client.post(
        path_of(feishu["url"]),
        json={
            "msg_type": "text",
            "content": {"text": f'<at user_id="{outsider}">w</at> <at user_id="wangwu">w</at>'},
        },
    )
    page = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 200}))
    for message in page["messages"]:
        assert wangwu.profile["id"] not in (message.get("mention_ids") or []), message


async def test_another_groups_webhooks_and_robots_are_not_found(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    mine = await group(zhangsan, lisi)
    theirs = await group(wangwu, lisi)
    hook = await make_robot(zhangsan, mine)
    for method, url, body in (
        ("PATCH", f"/api/v1/webhooks/{hook['id']}", {"regenerate_token": True}),
        ("PATCH", f"/api/v1/webhooks/{hook['id']}", {"name": "x"}),
        ("DELETE", f"/api/v1/webhooks/{hook['id']}", None),
        ("GET", f"/api/v1/conversations/{mine}/webhooks", None),
        ("POST", f"/api/v1/conversations/{mine}/webhooks", {"dialect": "slack", "name": "x"}),
        ("GET", f"/api/v1/robots/{hook['id']}", None),
        ("GET", f"/api/v1/conversations/{mine}/robots", None),
    ):
        answer = await wangwu.http.request(method, url, json=body, headers=wangwu.headers)
        assert answer.status_code in (403, 404), (method, url, answer.text)
    # wangwu's own group does not reach zhangsan's robot either.
    patched = await wangwu.patch(f"/api/v1/webhooks/{hook['id']}", json={"name": "x"})
    assert patched.status_code == 404
    assert theirs


# --- The egress guard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "10.0.0.1",
        "100.64.0.1",
        "0.0.0.0",
        "fe80::1",
        "fc00::1",
        "64:ff9b::7f00:1",
        # 6to4 (2002::/16) embeds an IPv4 address: 2002:7f00:1:: is 127.0.0.1, 2002:a9fe:a9fe:: is the
        # cloud metadata address — a host with a 6to4 route reaches them.
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::1",
        "2002:a00:1::1",
    ],
)
def test_the_egress_guard_refuses_every_form_of_a_private_address(literal: str) -> None:
    assert not address_allowed(ipaddress.ip_address(literal))


def test_the_egress_guard_still_allows_public_addresses() -> None:
    assert address_allowed(ipaddress.ip_address("8.8.8.8"))
    assert address_allowed(ipaddress.ip_address("2002:808:808::1"))  # 6to4 of a public address
    assert address_allowed(ipaddress.ip_address("2606:4700::1111"))


# --- Bot tokens ----------------------------------------------------------------------------------


async def test_an_allowlisted_bot_token_reaches_no_other_conversation_by_any_route(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    a = await group(zhangsan, lisi)
    b = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, a, b, conversation_ids=[a])
    for method, url, body in (
        ("GET", f"/api/v1/conversations/{b}", None),
        ("GET", f"/api/v1/conversations/{b}/messages", None),
        ("GET", f"/api/v1/conversations/{b}/members", None),
        ("POST", f"/api/v1/conversations/{b}/messages", {"client_msg_id": "x1", "body": "hi"}),
        (
            "POST",
            f"/api/v1/conversations/{b}/cards",
            {"client_msg_id": "x2", "card": {"blocks": [{"type": "markdown", "text": "hi"}]}},
        ),
        ("GET", f"/api/v1/conversations/{b}/commands", None),
    ):
        answer = await client.request(method, url, json=body, headers=bot.headers)
        assert answer.status_code in (403, 404), (method, url, answer.status_code, answer.text)
    listed = await ok(await bot.get("/api/v1/conversations"))
    ids = [c["id"] for c in (listed["conversations"] if isinstance(listed, dict) else listed)]
    assert b not in ids


async def test_bot_tokens_are_refused_on_people_only_routes(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    a = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, a)
    for method, url, body in (
        ("POST", "/api/v1/me/password", {"current_password": "x", "new_password": "y" * 12}),
        ("PATCH", "/api/v1/me", {"display_name": "owned"}),
        ("GET", "/api/v1/me/identities", None),
        ("GET", "/api/v1/friends", None),
        ("POST", "/api/v1/bots", {"display_name": "child"}),
        ("POST", f"/api/v1/bots/{bot.id}/tokens", {"scopes": ["messages:write"]}),
        ("POST", f"/api/v1/conversations/{a}/webhooks", {"dialect": "slack", "name": "x"}),
        ("POST", f"/api/v1/conversations/{a}/robots", {"name": "x", "callback_url": "https://e.com/"}),
        ("GET", "/api/v1/admin/users", None),
        ("POST", "/api/v1/orgs", {"name": "evil"}),
    ):
        answer = await client.request(method, url, json=body, headers=bot.headers)
        assert answer.status_code in (401, 403, 404, 405), (method, url, answer.status_code, answer.text)


async def test_a_revoked_token_is_refused_at_once(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    a = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, a)
    tokens = await ok(await zhangsan.get(f"/api/v1/bots/{bot.id}/tokens"))
    token_id = (tokens["tokens"] if isinstance(tokens, dict) else tokens)[0]["id"]
    assert (await bot.get("/api/v1/me")).status_code == 200
    await ok(await zhangsan.delete(f"/api/v1/bots/{bot.id}/tokens/{token_id}"))
    assert (await bot.get("/api/v1/me")).status_code == 401
    bot2 = await bot_in(zhangsan, client, a)
    await ok(await zhangsan.delete(f"/api/v1/bots/{bot2.id}"))
    assert (await bot2.get("/api/v1/me")).status_code == 401


# --- Management API boundary values ---------------------------------------------------------------

BAD_VALUES: list[Any] = ["", "a\u0000b", "\ud800", "x" * 100_000, -1, 2**63, 1.5, [], {}, None, True]


async def test_management_fields_with_boundary_values_never_fail_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    hook = await make_robot(zhangsan, cid)
    bot = await ok(await zhangsan.post("/api/v1/bots", json={"display_name": "b"}))
    targets: list[tuple[str, str, dict[str, Any], list[str]]] = [
        (
            "POST",
            f"/api/v1/conversations/{cid}/webhooks",
            {"dialect": "dingtalk", "name": "n"},
            ["dialect", "name", "keywords", "ip_allowlist", "signing", "avatar_file_id"],
        ),
        (
            "PATCH",
            f"/api/v1/webhooks/{hook['id']}",
            {},
            ["name", "keywords", "ip_allowlist", "signing", "regenerate_token", "clear_avatar"],
        ),
        (
            "POST",
            f"/api/v1/conversations/{cid}/robots",
            {"name": "n", "callback_url": "https://e.com/x"},
            ["name", "callback_url", "keywords", "secret", "avatar_file_id"],
        ),
        (
            "POST",
            "/api/v1/bots",
            {"display_name": "n"},
            ["display_name", "description", "organization_id", "avatar_file_id"],
        ),
        (
            "POST",
            f"/api/v1/bots/{bot['id']}/tokens",
            {"scopes": ["messages:read"]},
            ["name", "scopes", "conversation_ids", "expires_in_days"],
        ),
        (
            "POST",
            f"/api/v1/bots/{bot['id']}/subscriptions",
            {"url": "https://e.com/x", "event_types": ["message.created"]},
            ["url", "event_types", "secret", "conversation_ids"],
        ),
    ]
    for method, url, base, fields in targets:
        for field in fields:
            for value in BAD_VALUES + [[v] for v in BAD_VALUES[:4]]:
                answer = await client.request(
                    method,
                    url,
                    content=json.dumps({**base, field: value}),
                    headers={**zhangsan.headers, "Content-Type": "application/json"},
                )
                no_5xx(answer, (method, url, field, str(value)[:40]))
    for query in ("%00", "%ED%A0%80", "9223372036854775808", "-1", "1.5"):
        for url in (
            f"/api/v1/webhooks/{query}",
            f"/api/v1/robots/{query}",
            f"/api/v1/bots/{query}",
            f"/api/v1/bots?organization_id={query}",
            f"/api/v1/conversations/{query}/webhooks",
            f"/api/v1/robots/{hook['id']}/deliveries?limit={query}",
        ):
            no_5xx(await zhangsan.get(url), url)


async def test_another_orgs_bots_and_subscriptions_are_not_found(people: dict[str, Person]) -> None:
    zhangsan, wangwu = people["zhangsan"], people["wangwu"]
    bot = await ok(await zhangsan.post("/api/v1/bots", json={"display_name": "b"}))
    for method, url, body in (
        ("GET", f"/api/v1/bots/{bot['id']}", None),
        ("PATCH", f"/api/v1/bots/{bot['id']}", {"display_name": "stolen"}),
        ("DELETE", f"/api/v1/bots/{bot['id']}", None),
        ("GET", f"/api/v1/bots/{bot['id']}/tokens", None),
        ("POST", f"/api/v1/bots/{bot['id']}/tokens", {"scopes": ["messages:read"]}),
        ("GET", f"/api/v1/bots/{bot['id']}/subscriptions", None),
        (
            "POST",
            f"/api/v1/bots/{bot['id']}/subscriptions",
            {"url": "https://e.com/", "event_types": ["message.created"]},
        ),
    ):
        answer = await wangwu.http.request(method, url, json=body, headers=wangwu.headers)
        assert answer.status_code == 404, (method, url, answer.text)


async def test_feishu_signatures_with_odd_timestamps_are_refused(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid, dialect="feishu", name="飞书", signing=True)
    url, secret = path_of(robot["url"]), robot["secret"]
    now = int(time.time())
    text = {"msg_type": "text", "content": {"text": "x"}}
    for stamp in (
        now - 3700,
        now + 3700,
        2**70,
        -1,
        1.5,
        "1e3",
        f"{now}.0",
        f" {now}",
        "\u0000",
        None,
        [now],
    ):
        sign = feishu_sign(secret, str(stamp)) if not isinstance(stamp, list) else ""
        answer = await client.post(url, json={**text, "timestamp": stamp, "sign": sign})
        no_5xx(answer, stamp)
        assert answer.json()["code"] != 0, (stamp, answer.text)
    other = await make_robot(zhangsan, cid, dialect="feishu", name="别的", signing=True)
    forged = await client.post(
        url, json={**text, "timestamp": str(now), "sign": feishu_sign(other["secret"], str(now))}
    )
    assert forged.json()["code"] != 0
    assert await robot_messages(lisi, cid, robot["bot_user_id"]) == []


async def test_two_workers_claiming_the_same_delivery_send_it_once(
    app: FastAPI, private: Settings, people: dict[str, Person], receiver: Receiver
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await add_robot(zhangsan, cid, receiver.url("/dingtalk"))
    receiver.answer(200, b"{}")
    await outbound_say(lisi, cid, "@天气机器人 hi", mention=[robot["bot_user_id"]])
    outbound = services_of(app).outbound
    first, second = await asyncio.gather(outbound.run_once(), outbound.run_once())
    assert sorted(first + second) == ["delivered"]
    assert len(receiver.requests) == 1


async def test_a_robot_never_stores_more_than_twenty_in_any_sixty_seconds(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = services_of(app).ctx.limits
    if limits._shared() is not None:
        pytest.skip("counted in Redis here: tests/test_rate_limits.py checks the sorted-set log")
    limits.policies["webhooks_per_user"] = Policy("webhooks_per_user", 20, 60.0)
    start = time.monotonic()
    clock = [start]
    monkeypatch.setattr(limits_module.time, "monotonic", lambda: clock[0])
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid)
    url = path_of(robot["url"])
    for step in range(40):
        clock[0] += 59 / 40 if step >= 20 else 0
        await client.post(url, json={"msgtype": "text", "text": {"content": f"#{step}"}})
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 20
    # A minute after the first twenty, the robot may post again: the log slides, it never locks.
    clock[0] = start + 60.5
    answer = await client.post(url, json={"msgtype": "text", "text": {"content": "again"}})
    assert answer.json()["errcode"] == 0, answer.text
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 21


async def test_another_orgs_sso_and_ldap_config_and_another_users_identities_are_out_of_reach(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, wangwu = people["zhangsan"], people["wangwu"]
    mine = (await ok(await zhangsan.post("/api/v1/orgs", json={"name": "湖畔科技"})))["id"]
    theirs = (await ok(await wangwu.post("/api/v1/orgs", json={"name": "对手公司"})))["id"]
    body = {"display_name": "SSO", "issuer": "https://127.0.0.1:9", "client_id": "c", "client_secret": "s"}
    provider = await ok(await zhangsan.post(f"/api/v1/orgs/{mine}/sso/providers", json=body))
    pid = provider["id"]
    for method, url, payload in (
        ("GET", f"/api/v1/orgs/{mine}/sso/providers", None),
        ("PATCH", f"/api/v1/orgs/{mine}/sso/providers/{pid}", {"display_name": "stolen"}),
        ("DELETE", f"/api/v1/orgs/{mine}/sso/providers/{pid}", None),
        # Their own org's path with my provider's id.
        ("PATCH", f"/api/v1/orgs/{theirs}/sso/providers/{pid}", {"display_name": "stolen"}),
        ("PATCH", f"/api/v1/orgs/{theirs}/sso/providers/{pid}", {"issuer": "https://evil.example.com"}),
        ("DELETE", f"/api/v1/orgs/{theirs}/sso/providers/{pid}", None),
        ("GET", f"/api/v1/orgs/{mine}/ldap", None),
        ("PUT", f"/api/v1/orgs/{mine}/ldap", {"login_enabled": False}),
        ("DELETE", f"/api/v1/orgs/{mine}/ldap", None),
        ("POST", f"/api/v1/orgs/{mine}/ldap/sync", None),
        ("POST", f"/api/v1/orgs/{mine}/ldap/test", {"username": "x"}),
        ("DELETE", "/api/v1/me/identities/1", None),
    ):
        answer = await wangwu.http.request(method, url, json=payload, headers=wangwu.headers)
        assert answer.status_code in (403, 404), (method, url, answer.status_code, answer.text)
    still = await ok(await zhangsan.get(f"/api/v1/orgs/{mine}/sso/providers"))
    assert [(p["id"], p["display_name"]) for p in still] == [(pid, "SSO")]
    for bad in ("%00", "%ED%A0%80", "x" * 3000, "a%00b"):
        for url in (
            f"/api/v1/auth/oidc/{bad}/start",
            f"/api/v1/auth/oidc/{bad}/callback?code={bad}&state={bad}",
            f"/api/v1/orgs/{mine}/sso/providers/{bad}",
        ):
            no_5xx(await zhangsan.get(url), url)
    for field in (
        "display_name",
        "issuer",
        "client_id",
        "client_secret",
        "scopes",
        "add_to_org",
        "allow_signup",
    ):
        for value in BAD_VALUES:
            answer = await client.post(
                f"/api/v1/orgs/{mine}/sso/providers",
                content=json.dumps({**body, field: value}),
                headers={**zhangsan.headers, "Content-Type": "application/json"},
            )
            no_5xx(answer, (field, str(value)[:30]))
            answer = await client.put(
                f"/api/v1/orgs/{mine}/ldap",
                content=json.dumps({field.replace("issuer", "url"): value, "url": "ldap://127.0.0.1:9"}),
                headers={**zhangsan.headers, "Content-Type": "application/json"},
            )
            no_5xx(answer, ("ldap", field, str(value)[:30]))


async def test_concurrent_command_replies_stop_at_five_and_bad_ones_do_not_use_them_up(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, cid)
    await ok(await bot.put(f"/api/v1/bots/{bot.id}/commands", json={"commands": [{"name": "ping"}]}))
    invoked = await ok(await lisi.post(f"/api/v1/conversations/{cid}/commands", json={"command": "ping"}))
    reply = f"/api/v1/commands/{invoked['invocation_id']}/reply"
    answers = await asyncio.gather(*(bot.post(reply, json={"text": f"pong {n}"}) for n in range(12)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [409] * 7, [a.text for a in answers]
    page = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 100}))
    assert len([m for m in page["messages"] if m["sender_id"] == bot.id]) == 5
    # Boundary values on a fresh invocation: each refused with 4xx.
    again = await ok(await lisi.post(f"/api/v1/conversations/{cid}/commands", json={"command": "ping"}))
    reply = f"/api/v1/commands/{again['invocation_id']}/reply"
    for value in BAD_VALUES:
        answer = await client.post(
            reply,
            content=json.dumps({"text": value}),
            headers={**bot.headers, "Content-Type": "application/json"},
        )
        no_5xx(answer, str(value)[:30])
    for bad in ("%00", "9223372036854775808", "-1", "%ED%A0%80"):
        no_5xx(await bot.post(f"/api/v1/commands/{bad}/reply", json={"text": "x"}), bad)


async def test_refused_command_replies_do_not_use_up_the_five(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, cid)
    await ok(await bot.put(f"/api/v1/bots/{bot.id}/commands", json={"commands": [{"name": "ping"}]}))
    invoked = await ok(await lisi.post(f"/api/v1/conversations/{cid}/commands", json={"command": "ping"}))
    reply = f"/api/v1/commands/{invoked['invocation_id']}/reply"
    # Found: the reply was counted (and committed) before its text was checked, so five refused
    # replies used the invocation up and the bot could no longer answer.
    for _ in range(5):
        refused = await bot.post(reply, json={"text": "   "})
        assert 400 <= refused.status_code < 500
    assert (await bot.post(reply, json={"text": "pong"})).status_code == 200


async def test_a_robot_whose_maker_may_not_notify_everyone_never_does_in_any_dialect(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    admin, zhangsan, lisi = people["admin"], people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    urls = {}
    for dialect in ("dingtalk", "slack", "wecom", "feishu"):
        robot = await make_robot(admin, cid, dialect=dialect, name=dialect)  # a server admin, not a manager
        assert robot["may_mention_all"] is False if "may_mention_all" in robot else True
        urls[dialect] = path_of(robot["url"])
    await client.post(
        urls["dingtalk"], json={"msgtype": "text", "text": {"content": "@所有人 a"}, "at": {"isAtAll": True}}
    )
    await client.post(
        urls["dingtalk"],
        json={"msgtype": "markdown", "markdown": {"title": "t", "text": "@all b"}, "at": {"isAtAll": "true"}},
    )
    await client.post(urls["slack"], json={"text": "<!channel> <!here> <!everyone> @all @所有人 c"})
    await client.post(
        urls["wecom"],
        json={
            "msgtype": "text",
            "text": {"content": "@all d", "mentioned_list": ["@all"], "mentioned_mobile_list": ["@all"]},
        },
    )
    await client.post(urls["wecom"], json={"msgtype": "markdown", "markdown": {"content": "<@all> e"}})
    await client.post(
        urls["feishu"], json={"msg_type": "text", "content": {"text": '<at user_id="all">所有人</at> f'}}
    )
    page = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 100}))
    posted = [m for m in page["messages"] if m["kind"] != "system"]
    assert posted, "nothing was posted"
    assert not [m for m in posted if m["mention_all"]], posted


async def test_an_allowlisted_token_syncs_nothing_of_another_conversation(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    a = await group(zhangsan, lisi)
    b = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, a, b, conversation_ids=[a])
    await ok(
        await lisi.post(f"/api/v1/conversations/{b}/messages", json={"client_msg_id": "s1", "body": "机密 B"})
    )
    synced = await bot.get("/api/v1/sync")
    assert synced.status_code == 200, synced.text
    assert "机密 B" not in synced.text
    assert f'"conversation_id":{b}' not in synced.text.replace(" ", "")


async def test_forty_posts_over_two_nodes_sharing_redis_store_at_most_twenty(settings: Settings) -> None:
    settings.bus_url = await require_redis()
    settings.bus_namespace = f"hook-{uuid.uuid4().hex[:8]}"
    first, second = build_app(settings), build_app(settings)
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        http_from(first, "203.0.113.60") as one,
        http_from(second, "203.0.113.61") as two,
    ):
        owner = await register(one, "hookowner", "Owner")
        member = await register(one, "hookmember", "Member")
        cid = await group(owner, member)
        robot = await make_robot(owner, cid)
        url = path_of(robot["url"])
        answers = await asyncio.gather(
            *(
                (one if n % 2 else two).post(url, json={"msgtype": "text", "text": {"content": f"#{n}"}})
                for n in range(40)
            )
        )
        codes = [a.json()["errcode"] for a in answers]
        assert codes.count(0) == 20, codes
        assert len(await robot_messages(member, cid, robot["bot_user_id"])) == 20
