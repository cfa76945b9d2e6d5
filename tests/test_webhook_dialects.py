"""The other three dialects of incoming webhooks, posted to with raw HTTP exactly as each vendor
documents it: Slack/Mattermost (``/hooks/<key>``: JSON or a ``payload`` form field, mrkdwn,
attachments, blocks, props.card, username and channel), WeCom (``/cgi-bin/webhook/send``: text
with mentions, markdown, news) and Feishu (``/open-apis/bot/v2/hook/<token>``: text, post,
interactive cards, signing). Their error answers are the vendors' own; refused posts store
nothing. The translations themselves (pure) are checked first."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import httpx
import orjson
import pytest

from lakeside.domain.dialects import DialectError, feishu, slack, wecom
from tests.conftest import Person
from tests.test_group_tools import group
from tests.test_webhooks import make_robot, path_of, robot_messages
from tests.test_webhooks import settings as settings  # 20 posts an hour per robot here too

# -- pure translations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mrkdwn", "markdown", "everyone"),
    [
        ("*bold* and _italic_ and ~gone~", "**bold** and *italic* and ~~gone~~", False),
        ("see <https://ci.example.com/42|build #42>", "see [build #42](https://ci.example.com/42)", False),
        ("<https://example.com/a_b_c>", "[https://example.com/a_b_c](https://example.com/a_b_c)", False),
        ("hey <@U024BE7LH> in <#C024BE7LR|general>", "hey @U024BE7LH in #general", False),
        ("<!channel> deploy done", "@所有人 deploy done", True),
        ("<!here> look", "@所有人 look", True),
        ("a &lt;b&gt; &amp; c", "a <b> & c", False),
        ("`*not bold*` but *bold*", "`*not bold*` but **bold**", False),
        ("snake_case_name stays", "snake_case_name stays", False),
        ("2*3*4 stays", "2*3*4 stays", False),
    ],
)
def test_slack_mrkdwn_becomes_markdown(mrkdwn: str, markdown: str, everyone: bool) -> None:
    assert slack.mrkdwn_to_markdown(mrkdwn) == (markdown, everyone)


def test_slack_attachments_become_card_sections() -> None:
    post = slack.translate(
        {
            "username": "Grafana",
            "text": "*Alert* firing",
            "attachments": [
                {
                    "color": "danger",
                    "pretext": "pre",
                    "title": "CPU high",
                    "title_link": "https://grafana.example.com/d/1",
                    "text": "load _15_",
                    "fields": [{"title": "host", "value": "web-1", "short": True}],
                    "footer": "Grafana v10",
                }
            ],
        }
    )
    assert post.kind == "card" and post.sender_name == "Grafana"
    assert post.card is not None
    markdown, section = post.card["blocks"]
    assert markdown == {"type": "markdown", "text": "**Alert** firing"}
    assert section["title_url"] == "https://grafana.example.com/d/1" and section["text"] == "load *15*"
    assert section["fields"] == [{"title": "host", "value": "web-1", "short": True}]
    assert section["color"] == "danger" and section["footer"] == "Grafana v10"
    with pytest.raises(DialectError) as empty:
        slack.translate({"text": "  "})
    assert empty.value.reason == "no_text"


def test_wecom_and_feishu_translate_their_types() -> None:
    text = wecom.translate(
        {
            "msgtype": "text",
            "text": {
                "content": "hi",
                "mentioned_list": ["lisi", "@all"],
                "mentioned_mobile_list": ["13800001111"],
            },
        }
    )
    assert (text.at_user_ids, text.at_mobiles, text.at_all) == (("lisi",), ("13800001111",), True)
    markdown = wecom.translate(
        {"msgtype": "markdown", "markdown": {"content": '<font color="warning">132例</font> <@lisi>'}}
    )
    assert markdown.text == "132例 @lisi" and markdown.at_user_ids == ("lisi",)
    with pytest.raises(DialectError) as image:
        wecom.translate({"msgtype": "image", "image": {"base64": "", "md5": ""}})
    assert image.value.reason == "unsupported_type"

    at = feishu.translate(
        {
            "msg_type": "text",
            "content": {"text": '<at user_id="ou_1">Tom</at> 新更新 <at user_id="all">所有人</at>'},
        }
    )
    assert at.text == "@Tom 新更新 @所有人" and at.at_user_ids == ("ou_1",) and at.at_all
    card = feishu.translate(
        {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": "发布"}, "template": "red"},
                "elements": [
                    {"tag": "div", "text": {"tag": "lark_md", "content": "**v1.2** 已上线"}},
                    {"tag": "hr"},
                    {
                        "tag": "action",
                        "actions": [
                            {
                                "tag": "button",
                                "text": {"tag": "plain_text", "content": "查看"},
                                "url": "https://example.com/r",
                                "type": "primary",
                            }
                        ],
                    },
                    {"tag": "note", "elements": [{"tag": "plain_text", "content": "CI"}]},
                ],
            },
        }
    )
    assert card.card is not None
    head, div, buttons, note = card.card["blocks"]
    assert head == {"type": "section", "title": "发布", "color": "#f54a45"}
    assert div["text"] == "**v1.2** 已上线" and buttons["buttons"] == [
        {"title": "查看", "url": "https://example.com/r"}
    ]
    assert note["footer"] == "CI"


# -- Slack and Mattermost over HTTP -----------------------------------------------------------------


async def test_slack_and_mattermost_payloads_post_and_errors_are_slacks(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi, title="alerts")
    robot = await make_robot(zhangsan, cid, dialect="slack", name="Grafana")
    url = path_of(robot["url"])
    assert url.startswith("/hooks/")

    plain = await client.post(url, json={"text": "Hello, *world*! <https://example.com|site>"})
    assert (plain.status_code, plain.text) == (200, "ok")
    form = await client.post(
        url, data={"payload": orjson.dumps({"text": "from a form", "channel": "#alerts"}).decode()}
    )
    assert (form.status_code, form.text) == (200, "ok")
    mattermost = await client.post(
        url,
        json={
            "text": "Deploy done",
            "username": "CI bot",
            "icon_url": "https://example.com/ci.png",
            "props": {"card": "### Details\n- commit abc123"},
            "attachments": [
                {
                    "color": "#36a64f",
                    "title": "build 7",
                    "title_link": "https://ci.example.com/7",
                    "fields": [{"title": "branch", "value": "main", "short": True}],
                }
            ],
        },
    )
    assert (mattermost.status_code, mattermost.text) == (200, "ok")
    mine = await robot_messages(lisi, cid, robot["bot_user_id"])
    assert [m["kind"] for m in mine] == ["markdown", "markdown", "card"]
    assert "<strong>world</strong>" in mine[0]["html"] and 'href="https://example.com"' in mine[0]["html"]
    card = mine[2]["card"]
    assert card["sender_name"] == "CI bot"
    assert [b["type"] for b in card["blocks"]] == ["markdown", "section", "markdown"]
    assert card["blocks"][1]["color"] == "#36a64f" and "commit abc123" in card["blocks"][2]["html"]

    async def refused(body: Any, status: int, text: str, **kwargs: Any) -> None:
        answer = await client.post(url, **({"json": body} if body is not None else kwargs))
        assert (answer.status_code, answer.text) == (status, text), body

    await refused({"text": ""}, 400, "no_text")
    await refused(None, 400, "invalid_payload", content=b"{bad", headers={"Content-Type": "application/json"})
    await refused(None, 400, "invalid_payload", data={"other": "x"})
    await refused({"text": "x", "attachments": [{}] * 101}, 400, "too_many_attachments")
    await refused({"text": "x", "channel": "#random"}, 404, "channel_not_found")
    await refused({"text": "x" * 100_001}, 400, "invalid_payload")
    await refused({"text": "a\u0000b"}, 400, "invalid_payload")
    gone = await client.post("/hooks/0123456789abcdef", json={"text": "x"})
    assert (gone.status_code, gone.text) == (404, "no_service")
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 3

    keyworded = await make_robot(zhangsan, cid, dialect="slack", name="kw", keywords=["deploy"])
    answer = await client.post(path_of(keyworded["url"]), json={"text": "hello"})
    assert (answer.status_code, answer.text) == (403, "action_prohibited")


async def test_slack_throttling_answers_429_with_retry_after(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(zhangsan, cid, dialect="slack", name="flood")
    url = path_of(robot["url"])
    for n in range(20):
        assert (await client.post(url, json={"text": f"{n}"})).text == "ok"
    throttled = await client.post(url, json={"text": "21"})
    assert (throttled.status_code, throttled.text) == (429, "rate_limited")
    assert int(throttled.headers["retry-after"]) >= 1
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 20


# -- WeCom over HTTP ----------------------------------------------------------------------------------


async def test_wecom_text_markdown_news_and_errors(
    client: httpx.AsyncClient, people: dict[str, Person], proofs: Any
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await lisi.patch("/api/v1/me", json={"phone": "+8613800001111"})
    await proofs.prove_phone(lisi)
    cid = await group(zhangsan, lisi, wangwu)
    robot = await make_robot(zhangsan, cid, dialect="wecom", name="企微机器人")
    url = path_of(robot["url"])
    assert url.startswith("/cgi-bin/webhook/send?key=")
    ok_answer = {"errcode": 0, "errmsg": "ok"}
    text = {
        "msgtype": "text",
        "text": {
            "content": "广州今日天气：29度",
            "mentioned_list": ["wangwu", "@all"],
            "mentioned_mobile_list": ["13800001111"],
        },
    }
    assert (await client.post(url, json=text)).json() == ok_answer
    markdown = {
        "msgtype": "markdown",
        "markdown": {
            "content": '实时新增用户反馈<font color="warning">132例</font>，请相关同事注意。\n'
            '> 类型:<font color="comment">用户反馈</font>'
        },
    }
    assert (await client.post(url, json=markdown)).json() == ok_answer
    news = {
        "msgtype": "news",
        "news": {
            "articles": [
                {
                    "title": "中秋节礼品领取",
                    "description": "今年中秋节公司有豪礼相送",
                    "url": "https://www.qq.com",
                    "picurl": "https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png",
                }
            ]
        },
    }
    assert (await client.post(url, json=news)).json() == ok_answer
    first, second, third = await robot_messages(lisi, cid, robot["bot_user_id"])
    assert sorted(first["mentions"]) == sorted([lisi.id, wangwu.id]) and first["mention_all"] is True
    assert "@李四" in first["body"] and "@王五" in first["body"]
    assert second["kind"] == "markdown" and "<font" not in second["body"]
    assert third["card"]["blocks"][0]["title_url"] == "https://www.qq.com"

    async def errcode(body: Any, **kwargs: Any) -> int:
        answer = await client.post(url, **({"json": body} if body is not None else kwargs))
        assert answer.status_code == 200
        return int(answer.json()["errcode"])

    assert await errcode({"msgtype": "image", "image": {"base64": "x", "md5": "y"}}) == 40008
    assert await errcode({"msgtype": "text", "text": {"content": ""}}) == 44004
    assert await errcode(None, content=b"not json", headers={"Content-Type": "application/json"}) == 40058
    assert await errcode({"msgtype": "text", "text": {"content": "长" * 700}}) == 40058  # over 2048 bytes
    assert (
        await errcode({"msgtype": "text", "text": {"content": "x" * 21_000}}) == 40058
    )  # over the body limit
    bad = await client.post("/cgi-bin/webhook/send?key=not-a-key", json=text)
    assert bad.json()["errcode"] == 93000 and bad.json()["errmsg"].startswith("invalid webhook url")
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 3


# -- Feishu over HTTP ---------------------------------------------------------------------------------


def feishu_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def test_feishu_text_post_cards_signing_and_errors(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    robot = await make_robot(
        zhangsan, cid, dialect="feishu", name="飞书机器人", signing=True, keywords=["项目"]
    )
    url = path_of(robot["url"])
    assert url.startswith("/open-apis/bot/v2/hook/")
    secret = robot["secret"]

    def signed(body: dict[str, Any], *, age: int = 0, key: str | None = None) -> dict[str, Any]:
        stamp = str(int(time.time()) - age)
        return {"timestamp": stamp, "sign": feishu_sign(key or secret, stamp), **body}

    text = {"msg_type": "text", "content": {"text": '项目更新 <at user_id="lisi">李四</at>'}}
    answer = await client.post(url, json=signed(text))
    assert answer.json() == {
        "StatusCode": 0,
        "StatusMessage": "success",
        "code": 0,
        "data": {},
        "msg": "success",
    }
    post = {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "项目更新通知",
                    "content": [
                        [
                            {"tag": "text", "text": "项目有更新: "},
                            {"tag": "a", "text": "请查看", "href": "http://www.example.com/"},
                            {"tag": "at", "user_id": "all"},
                        ]
                    ],
                }
            }
        },
    }
    assert (await client.post(url, json=signed(post))).json()["code"] == 0
    card = {
        "msg_type": "interactive",
        "card": {
            "header": {"title": {"tag": "plain_text", "content": "项目周报"}, "template": "blue"},
            "elements": [{"tag": "markdown", "content": "本周完成 **3** 项"}],
        },
    }
    assert (await client.post(url, json=signed(card))).json()["code"] == 0
    first, second, third = await robot_messages(lisi, cid, robot["bot_user_id"])
    assert first["body"] == "项目更新 @李四" and first["mentions"] == [lisi.id]
    assert (
        second["kind"] == "markdown"
        and "<strong>项目更新通知</strong>" in second["html"]
        and second["mention_all"]
    )
    assert [b["type"] for b in third["card"]["blocks"]] == ["section", "markdown"]

    fail = {
        "code": 19021,
        "data": {},
        "msg": "sign match fail or timestamp is not within one hour from current time",
    }
    assert (await client.post(url, json=signed(text, key="wrong"))).json() == fail
    assert (await client.post(url, json=signed(text, age=3601))).json() == fail
    assert (await client.post(url, json=text)).json() == fail
    no_keyword = {"msg_type": "text", "content": {"text": "hello"}}
    assert (await client.post(url, json=signed(no_keyword))).json()["code"] == 19024
    assert (await client.post(url, json=signed({"msg_type": "image", "content": {"image_key": "k"}}))).json()[
        "code"
    ] == 9499
    assert (await client.post(url, content=b"{x", headers={"Content-Type": "application/json"})).json()[
        "code"
    ] == 9499
    assert (
        await client.post(url, json=signed({"msg_type": "text", "content": {"text": "项目" * 4000}}))
    ).json()["code"] == 9499
    assert (await client.post("/open-apis/bot/v2/hook/nope", json=text)).json()["code"] == 19001
    assert len(await robot_messages(lisi, cid, robot["bot_user_id"])) == 3
