"""The interface in Chinese and English, searching messages in Chinese, and the phone layout."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, expect, log_in, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def test_chinese_interface_search_and_switching_language(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await cast.befriend(zhang, li)
    conversation_id = await cast.direct(zhang, li)
    await cast.say(li, conversation_id, "明天的周报请大家提前准备好")
    for n in range(3):
        await cast.say(li, conversation_id, f"unrelated note {n}")

    page = await open_page(None, locale="zh-CN")
    await expect(page.get_by_role("tab", name="登录")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await log_in(page, "zhangsan")
    await expect(page.locator(".rail-item[href='#/chats'] .rail-label")).to_have_text("消息")
    item = page.locator(".conv-item", has_text="李四")
    await expect(item.locator(".badge")).to_have_text("4")
    await item.click()
    await expect(page.get_by_role("textbox", name="消息")).to_be_visible()
    await expect(page.locator(".msg.mine")).to_have_count(0)
    await page.get_by_role("textbox", name="消息").fill("收到，周报我来写")
    await page.get_by_role("textbox", name="消息").press("Enter")
    await expect(page.locator(".msg.mine .msg-status")).to_have_text("未读")
    await screenshot(page, "conversation-zh-CN")

    # Search in Chinese: both messages with 周报, the query marked; a hit opens the conversation there.
    await page.locator(".rail-item[href='#/search']").click()
    await page.get_by_role("searchbox", name="搜索聊天、联系人、文件和消息").fill("周报")
    await page.get_by_role("searchbox", name="搜索聊天、联系人、文件和消息").press("Enter")
    hits = page.locator(".search-hit")
    await expect(hits).to_have_count(2)
    await expect(page.locator(".search-status")).to_have_text("共 2 条结果")
    await expect(hits.nth(1).locator("mark")).to_have_text("周报")
    await screenshot(page, "search-zh-CN")
    await hits.nth(1).click()
    await expect(page.locator(".conv-head-title")).to_have_text("李四")
    await expect(page.locator(".msg.flash", has_text="明天的周报")).to_be_visible()

    # Switching to English in Settings relabels everything at once.
    await page.locator(".rail-item[href='#/settings']").click()
    await page.get_by_role("link", name="通用").click()
    await page.get_by_label("语言").select_option("en")
    await expect(page.locator(".rail-item[href='#/chats'] .rail-label")).to_have_text("Messages")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.reload()
    await expect(page.locator(".rail-item[href='#/settings'] .rail-label")).to_have_text("Settings")


async def test_phone_layout_shows_the_list_or_the_conversation(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    await cast.say(bob, conversation_id, "Are you coming to the review?")
    page = await open_page("alice", viewport=PHONE)

    conversation_list = page.locator(".list-pane")
    await expect(conversation_list).to_be_visible()
    rail = await page.locator(".rail").bounding_box()
    assert rail is not None and rail["y"] > PHONE["height"] - 100  # a tab bar at the bottom
    await screenshot(page, "phone-list")

    await page.locator(".conv-item", has_text="Bob Li").click()
    await expect(conversation_list).to_be_hidden()
    await expect(page.locator(".msg", has_text="review")).to_be_visible()
    await page.get_by_role("textbox", name="Message").fill("On my way")
    await page.get_by_role("textbox", name="Message").press("Enter")
    await expect(page.locator(".msg.mine", has_text="On my way")).to_be_visible()
    await screenshot(page, "phone-conversation")

    # The details panel covers the screen; Esc closes it; Back returns to the list.
    await page.get_by_role("button", name="Details").click()
    await expect(page.locator(".side-panel")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator(".side-panel")).to_be_hidden()
    await page.get_by_role("link", name="Back").click()
    await expect(conversation_list).to_be_visible()
    await expect(page.locator(".conv-item", has_text="Bob Li").locator(".conv-preview")).to_have_text(
        "On my way"
    )
