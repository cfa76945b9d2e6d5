"""Group robots in the browser: the owner adds a robot from the group's side panel (its URL shown
once, with a copy button), something posts to the URL with plain HTTP as the vendor documents, and
the members see the robot's messages — cards drawn safely — with the robot badge beside its name.
In English with a DingTalk robot, in Chinese with a WeCom robot."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.conftest import Cast, Page, expect, screenshot
from tests.browser.test_chat import open_conversation

pytestmark = pytest.mark.browser


async def add_robot(
    page: Page, *, details: str, add: str, dialect: str | None, name: str, create: str
) -> str:
    """Add a robot through the side panel; returns its URL's path and query as shown once."""
    await page.get_by_role("button", name=details).click()
    panel = page.get_by_role("complementary", name=details)
    await panel.get_by_role("button", name=add).click()
    dialog = page.get_by_role("dialog")
    if dialect is not None:
        await dialog.locator("#robot-dialect").select_option(label=dialect)
    await dialog.locator("#robot-name").fill(name)
    await dialog.get_by_role("button", name=create, exact=True).click()
    shown = page.locator(".robot-once .robot-secret").first
    await expect(shown).to_be_visible()
    url = await shown.input_value()
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def test_a_dingtalk_robot_posts_cards_shown_with_its_badge_in_english(
    cast: Cast, open_page, server
) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    await cast.group(alice, "Release train", bob)
    a = await open_page("alice")
    b = await open_page("bob")
    await open_conversation(a, "Release train")
    await open_conversation(b, "Release train")

    path = await add_robot(
        a, details="Details", add="Add robot", dialect=None, name="Build robot", create="Add"
    )
    assert path.startswith("/robot/send?access_token=")
    await screenshot(a, "robot-url-shown-once")
    await a.get_by_role("dialog").get_by_role("button", name="Done").click()
    panel = a.get_by_role("complementary", name="Details")
    await expect(panel.locator(".robot-row")).to_contain_text("Build robot")
    await expect(panel.locator(".robot-row")).to_contain_text("DingTalk custom robot")
    await screenshot(a, "robot-listed")

    async with httpx.AsyncClient(base_url=server.url) as http:
        text = await http.post(path, json={"msgtype": "text", "text": {"content": "Build #42 passed"}})
        assert text.json() == {"errcode": 0, "errmsg": "ok"}
        # @all and @bob by login, neither written in the text: @bob is appended to it by the server,
        # @all shown as a tag under it.
        ping = {
            "msgtype": "text",
            "text": {"content": "Deploy window opens"},
            "at": {"atUserIds": ["bob"], "isAtAll": True},
        }
        assert (await http.post(path, json=ping)).json()["errcode"] == 0
        card = {
            "msgtype": "actionCard",
            "actionCard": {
                "title": "Release 1.2 is out",
                "text": "### Release 1.2\n**3** fixes <script>alert(1)</script>",
                "btns": [
                    {"title": "Notes", "actionURL": "https://example.com/notes"},
                    {"title": "Bad link", "actionURL": "javascript:alert(1)"},
                ],
            },
        }
        refused = await http.post(path, json=card)
        assert refused.json()["errcode"] == 40035  # a javascript: link is refused, nothing posted
        card["actionCard"]["btns"] = card["actionCard"]["btns"][:1]
        assert (await http.post(path, json=card)).json()["errcode"] == 0

    shown = b.locator(".msg", has_text="Release 1.2")
    await expect(shown.locator(".msg-card .card-button")).to_have_text("Notes")
    await expect(shown.locator(".msg-card .card-button")).to_have_attribute(
        "href", "https://example.com/notes"
    )
    await expect(shown.locator(".msg-card strong")).to_have_text("3")
    await expect(shown.locator("script")).to_have_count(0)
    await expect(b.locator(".msg", has_text="Build #42 passed").locator(".bot-badge")).to_have_text("Bot")
    await expect(b.locator(".msg-name", has_text="Build robot").first).to_be_visible()
    # The owner's page knew the robot first from the member list: the badge shows there too.
    await expect(a.locator(".msg", has_text="Build #42 passed").locator(".bot-badge")).to_have_text("Bot")
    tags = b.locator(".msg", has_text="Deploy window opens").locator(".msg-at-line .mention")
    await expect(tags).to_have_text(["@Everyone"])  # @Bob Li the server wrote into the text
    await expect(
        b.locator(".msg", has_text="Deploy window opens").locator(".msg-text .mention")
    ).to_have_text("@Bob Li")
    await expect(b.locator(".msg", has_text="Build #42 passed").locator(".msg-at-line")).to_have_count(0)
    await screenshot(b, "robot-card-and-badge-en")


async def test_a_wecom_robot_in_chinese(cast: Cast, open_page, server) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await cast.befriend(zhang, li)
    await cast.group(zhang, "运维群", li)
    z = await open_page("zhangsan", locale="zh-CN")
    await open_conversation(z, "运维群")
    path = await add_robot(
        z, details="聊天信息", add="添加机器人", dialect="企业微信群机器人", name="告警机器人", create="添加"
    )
    assert path.startswith("/cgi-bin/webhook/send?key=")
    await z.get_by_role("dialog").get_by_role("button", name="完成").click()

    async with httpx.AsyncClient(base_url=server.url) as http:
        news = {
            "msgtype": "news",
            "news": {
                "articles": [
                    {
                        "title": "磁盘告警",
                        "description": "web-1 磁盘使用率 91%",
                        "url": "https://example.com/a",
                    }
                ]
            },
        }
        assert (await http.post(path, json=news)).json() == {"errcode": 0, "errmsg": "ok"}
        markdown = {
            "msgtype": "markdown",
            "markdown": {"content": '服务 <font color="warning">api</font> **已恢复**'},
        }
        assert (await http.post(path, json=markdown)).json()["errcode"] == 0

    l = await open_page("lisi", locale="zh-CN")  # noqa: E741
    await open_conversation(l, "运维群")
    card = l.locator(".msg", has_text="磁盘告警")
    await expect(card.locator(".card-title a")).to_have_attribute("href", "https://example.com/a")
    await expect(card.locator(".bot-badge")).to_have_text("机器人")
    await expect(l.locator(".msg", has_text="已恢复").locator("strong")).to_have_text("已恢复")
    # Without pictures: a robot and a group show their names' first characters (what they are),
    # a person the last two (the given name).
    await expect(card.locator(".avatar")).to_have_text("告警")
    await expect(l.locator(".conv-list .avatar").first).to_have_text("运维")
    await expect(l.locator(".rail .avatar").first).to_have_text("李四")
    await screenshot(l, "robot-card-and-badge-zh")
