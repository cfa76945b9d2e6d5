"""The common client libraries post to a real lakeside server (uvicorn on 127.0.0.1) unchanged:
DingtalkChatbot (the DingTalk custom robot SDK, signing on), slack_sdk's WebhookClient, and
apprise's ``mmost://`` (Mattermost) (the one apprise scheme whose host is configurable; its dingtalk://,
slack://, wecombot:// and feishu:// post to the vendors' fixed hosts). WeCom and Feishu have no
maintained Python client that takes a base URL: tests/test_webhook_dialects.py posts to them with
raw HTTP as their documentation shows."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import apprise
import httpx
from dingtalkchatbot.chatbot import ActionCard, CardItem, DingtalkChatbot
from slack_sdk.webhook import WebhookClient

from lakeside.config import Settings
from tests.conftest import Person, register
from tests.live import running_server
from tests.test_group_tools import group, ok
from tests.test_webhooks import path_of, robot_messages
from tests.test_webhooks import settings as settings  # 20 posts an hour per robot here too


async def robot(owner: Person, cid: int, base: str, **body: Any) -> tuple[dict[str, Any], str]:
    created = await ok(
        await owner.post(f"/api/v1/conversations/{cid}/webhooks", json={"name": "机器人", **body})
    )
    return created, base + path_of(created["url"])


async def test_client_libraries_post_unchanged(settings: Settings) -> None:
    async with running_server(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        zhangsan = await register(http, "zhangsan", "张三")
        lisi = await register(http, "lisi", "李四")
        cid = await group(zhangsan, lisi)

        # DingtalkChatbot, with a signing secret: it signs every URL itself.
        ding, url = await robot(zhangsan, cid, base, dialect="dingtalk", signing=True)
        bot = DingtalkChatbot(url, secret=ding["secret"])

        def dingtalk_calls() -> list[dict[str, Any]]:
            return [
                bot.send_text(msg="构建 #42 通过", at_dingtalk_ids=["lisi"]),
                bot.send_markdown(title="杭州天气", text="#### 杭州天气\n> 9度，西北风1级"),
                bot.send_link(
                    title="时代的火车向前开", text="新版本", message_url="https://www.dingtalk.com/"
                ),
                bot.send_action_card(
                    ActionCard(
                        title="乔布斯",
                        text="### 乔布斯 20 年前想打造的苹果咖啡厅",
                        btns=[CardItem(title="阅读全文", url="https://www.dingtalk.com/")],
                    )
                ),
                bot.send_feed_card(
                    [
                        CardItem(
                            title="第一条",
                            url="https://www.dingtalk.com/1",
                            pic_url="https://img.example.com/1.png",
                        ),
                        CardItem(
                            title="第二条",
                            url="https://www.dingtalk.com/2",
                            pic_url="https://img.example.com/2.png",
                        ),
                    ]
                ),
            ]

        results = await asyncio.to_thread(dingtalk_calls)
        assert results == [{"errcode": 0, "errmsg": "ok"}] * 5
        wrong = DingtalkChatbot(url, secret="SEC" + "0" * 64)
        refused = await asyncio.to_thread(wrong.send_text, msg="不该出现")
        assert refused == {"errcode": 310000, "errmsg": "sign not match"}
        posted = await robot_messages(lisi, cid, ding["bot_user_id"])
        assert [m["kind"] for m in posted] == ["text", "markdown", "card", "card", "card"]
        assert posted[0]["mentions"] == [lisi.id]

        # slack_sdk's WebhookClient.
        hook, url = await robot(zhangsan, cid, base, dialect="slack")
        client = WebhookClient(url)

        def slack_calls() -> list[tuple[int, str]]:
            answers = [
                client.send(text="Deploy *done* <https://ci.example.com/7|#7>"),
                client.send(
                    text="fallback",
                    attachments=[
                        {"color": "good", "title": "build 7", "fields": [{"title": "a", "value": "b"}]}
                    ],
                ),
                client.send(blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "_block_ text"}}]),
                client.send(text=""),
            ]
            return [(a.status_code, a.body) for a in answers]

        assert await asyncio.to_thread(slack_calls) == [
            (200, "ok"),
            (200, "ok"),
            (200, "ok"),
            (400, "no_text"),
        ]
        assert [m["kind"] for m in await robot_messages(lisi, cid, hook["bot_user_id"])] == [
            "markdown",
            "card",
            "card",
        ]

        # apprise, mmost://host:port/token (Mattermost).
        matter, url = await robot(zhangsan, cid, base, dialect="slack", name="Mattermost")
        parts = urlsplit(url)
        token = parts.path.rsplit("/", 1)[1]
        notifier = apprise.Apprise()
        assert notifier.add(f"mmost://{parts.hostname}:{parts.port}/{token}")
        sent = await asyncio.to_thread(notifier.notify, body="磁盘使用率 91%", title="告警")
        assert bool(sent) is True
        [shown] = await robot_messages(lisi, cid, matter["bot_user_id"])
        assert "磁盘使用率 91%" in shown["body"]
        revoked = await zhangsan.delete(f"/api/v1/webhooks/{matter['id']}")
        assert revoked.status_code == 200
        assert bool(await asyncio.to_thread(notifier.notify, body="撤销之后", title="告警")) is False
