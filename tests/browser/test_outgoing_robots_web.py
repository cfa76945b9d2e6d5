"""Outgoing robots in the browser: a group's owner adds one from the details panel (its
AppSecret shown once), a member's keyword message calls it (a real receiver on 127.0.0.1 answers
in DingTalk's format) and its answer appears in the chat, the delivery log says delivered; then in
Chinese on a phone, the owner edits and revokes it. Screenshots in artifacts/screenshots."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lakeside.webhook_signature import verify_dingtalk
from tests.browser.conftest import Cast, LiveServer, Page, expect, screenshot
from tests.browser.test_chat import open_conversation
from tests.outbound_support import Receiver, running_receiver

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def receiver(server: LiveServer) -> AsyncIterator[Receiver]:
    server.settings.egress_allow_private = True  # the receiver is on 127.0.0.1 (and plain http)
    async with running_receiver() as state:
        yield state


async def add_robot(page: Page, name: str, url: str, keywords: str, *, english: bool) -> str:
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Name" if english else "名称").fill(name)
    await dialog.get_by_label("Callback URL" if english else "回调地址").fill(url)
    await dialog.get_by_label("Keywords" if english else "关键词").fill(keywords)
    await dialog.get_by_role("button", name="Add robot" if english else "添加机器人").click()
    secret_box = page.get_by_role("dialog").locator(".outgoing-secret")
    await expect(secret_box).to_be_visible()
    return str(await secret_box.input_value())


async def test_a_robot_is_added_called_and_answers_in_english(
    cast: Cast, open_page, receiver: Receiver
) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    group = await cast.group(alice, "Ops room", bob)
    a = await open_page("alice")
    await open_conversation(a, "Ops room")
    await a.get_by_role("button", name="Details").click()
    panel = a.get_by_role("complementary", name="Details")
    section = panel.locator(".outgoing-robots")
    await expect(section.get_by_role("heading", name="Outgoing robots")).to_be_visible()
    await expect(section).to_contain_text("No outgoing robots yet.")
    await section.get_by_role("button", name="Add").click()
    secret = await add_robot(a, "Weather bot", receiver.url("/weather"), "weather, forecast", english=True)
    assert secret.startswith("SEC")
    await screenshot(a, "outgoing-robot-secret-en")
    await a.keyboard.press("Escape")
    await expect(section).to_contain_text("Weather bot")
    await expect(section).to_contain_text("When @mentioned · Keywords: weather, forecast")

    receiver.answer(200, {"msgtype": "markdown", "markdown": {"title": "Weather", "text": "**Sunny**, 25°C"}})
    await cast.say(bob, group, "what's the weather tomorrow?")
    await expect(a.locator(".msg", has_text="Sunny")).to_be_visible()  # the worker called the robot
    (call,) = receiver.requests
    assert verify_dingtalk(secret, call["headers"]) and receiver.json()["senderNick"] == "Bob Li"

    await section.get_by_role("button", name="Delivery log").click()
    log = a.get_by_role("dialog", name="Delivery log of Weather bot")
    await expect(log.locator(".delivery-entry")).to_have_count(1)
    await expect(log.locator(".delivery-entry")).to_contain_text("Delivered")
    await expect(log.locator(".delivery-entry")).to_contain_text("HTTP 200")
    await screenshot(a, "outgoing-robot-log-en")


async def test_a_robot_is_edited_and_revoked_in_chinese_on_a_phone(
    cast: Cast, open_page, receiver: Receiver
) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await cast.befriend(zhang, li)
    await cast.group(zhang, "值班群", li)
    page = await open_page("zhangsan", locale="zh-CN", viewport=PHONE, touch=True)
    await page.locator(".conv-item", has_text="值班群").click()
    await page.get_by_role("button", name="聊天信息").click()
    panel = page.get_by_role("complementary", name="聊天信息")
    section = panel.locator(".outgoing-robots")
    await expect(section.get_by_role("heading", name="外发机器人")).to_be_visible()
    await section.get_by_role("button", name="添加").click()
    secret = await add_robot(page, "发布助手", receiver.url("/deploy"), "发布，上线", english=False)
    assert secret.startswith("SEC")
    await expect(page.get_by_role("dialog")).to_contain_text("它只显示这一次")
    await screenshot(page, "outgoing-robot-secret-zh")
    await page.keyboard.press("Escape")
    await expect(section).to_contain_text("被 @ 时 · 关键词：发布, 上线")

    await section.get_by_role("button", name="编辑机器人").click()
    dialog = page.get_by_role("dialog", name="编辑机器人")
    await dialog.get_by_label("关键词").fill("回滚")
    await dialog.get_by_role("button", name="保存").click()
    await expect(section).to_contain_text("关键词：回滚")
    await screenshot(page, "outgoing-robot-panel-zh")

    await section.get_by_role("button", name="停用机器人").click()
    await page.get_by_role("dialog").get_by_role("button", name="停用机器人").click()
    await expect(section).to_contain_text("还没有外发机器人。")
    # Its messages stay; the group says it left.
    await expect(page.locator(".msg-system").last).to_contain_text("发布助手")
