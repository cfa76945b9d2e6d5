"""Favourites and the search view's sections in the browser: saving from a message's menu, the
favourites page (search, remove, still there after leaving the group), and finding chats, contacts
and files by name, pinyin and initials — in English and Chinese, on a desktop and a phone."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import Cast, Member, expect, png, screenshot
from tests.browser.test_chat import open_conversation
from tests.browser.test_group_tools_web import PHONE, message_menu

pytestmark = pytest.mark.browser


async def attach(
    cast: Cast, who: Member, conversation_id: int, name: str, content: bytes, kind: str
) -> dict[str, Any]:
    response = await cast.http.post("/api/v1/files", headers=who.headers, files={"file": (name, content)})
    assert response.status_code == 201, response.text
    body = {"client_msg_id": uuid.uuid4().hex, "kind": kind, "file_id": response.json()["id"]}
    return await who.call("POST", f"/conversations/{conversation_id}/messages", json=body)


async def test_saving_searching_and_keeping_favourites(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    group = await cast.group(bob, "Launch crew", alice)
    await cast.say(bob, group, "We all use DingTalk for the meeting tomorrow")
    await cast.say(bob, group, "Slides: https://example.com/deck")
    await attach(cast, bob, group, "mockup.png", png(320, 200), "image")
    a = await open_page("alice")
    await open_conversation(a, "Launch crew")
    await message_menu(a, "We all use DingTalk", "Add to favourites")
    await expect(a.locator(".toast", has_text="Added to favourites")).to_be_visible()
    await message_menu(a, "Slides:", "Add to favourites")
    image = a.locator(".msg", has=a.locator(".msg-image"))
    await image.hover()
    await image.get_by_role("button", name="More").click()
    await a.get_by_role("menuitem", name="Add to favourites").click()

    await a.locator(".rail-item[href='#/settings']").click()
    await a.get_by_role("link", name="Favourites").click()
    cards = a.locator(".fav-card")
    await expect(cards).to_have_count(3)
    await expect(cards.first.locator("img")).to_be_visible()  # newest first: the image
    await expect(cards.nth(2)).to_contain_text("From Launch crew")
    await a.get_by_role("searchbox", name="Search favourites").fill("dingtalk")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("We all use DingTalk")
    await a.get_by_role("searchbox", name="Search favourites").fill("")
    await expect(cards).to_have_count(3)
    await screenshot(a, "favourites")
    await cards.filter(has_text="Slides").get_by_role("button", name="Remove from favourites").click()
    await expect(cards).to_have_count(2)

    # Removed from the group: the favourites stay, the image still shows, no way back to the chat.
    await bob.call("DELETE", f"/conversations/{group}/members/{alice.id}")
    await a.reload()
    await expect(cards).to_have_count(2)
    await a.wait_for_function(
        "() => { const i = document.querySelector('.fav-card img'); return i && i.naturalWidth > 0 }"
    )
    await expect(a.get_by_role("link", name="Open in chat")).to_have_count(0)


async def test_search_sections_in_chinese(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    await cast.befriend(zhang, li)
    org = await zhang.call("POST", "/orgs", json={"name": "湖畔科技"})
    code = (await zhang.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"}))["code"]
    await wang.call("POST", f"/org-invitations/{code}/join", json={})
    group = await cast.group(zhang, "产品组", li)
    await cast.say(li, group, "我们明天都用钉钉开会")
    await attach(cast, li, group, "第一季度销售报告.pdf", b"%PDF-1.4 report", "file")
    page = await open_page("zhangsan", locale="zh-CN")
    await page.locator(".rail-item[href='#/search']").click()
    box = page.get_by_role("searchbox", name="搜索聊天、联系人、文件和消息")

    await box.fill("cpz")
    await box.press("Enter")
    await expect(page.locator(".search-section", has_text="聊天")).to_contain_text("产品组")
    await box.fill("")
    chats = page.locator(".search-section", has_text="聊天")
    await expect(chats.locator(".search-hit")).to_have_count(1)
    await expect(chats).to_contain_text("产品组")

    # Typed, not entered: results come as one types, as in DingTalk.
    await box.press_sequentially("ww", delay=30)
    contacts = page.locator(".search-section", has_text="联系人")
    await expect(contacts).to_contain_text("王五")
    await expect(contacts).to_contain_text("湖畔科技")

    await box.fill("报告")
    await box.press("Enter")
    files = page.locator(".search-section", has_text="文件")
    await expect(files).to_contain_text("第一季度销售报告.pdf")
    await screenshot(page, "search-sections-zh")
    await files.get_by_role("link").click()
    await expect(page.locator(".conv-head-title")).to_have_text("产品组")

    # 钉钉: the message, and once saved, the favourite.
    await page.locator(".rail-item[href='#/search']").click()
    await box.fill("钉钉")
    await box.press("Enter")
    await expect(page.locator(".search-results .search-hit", has_text="我们明天都用钉钉开会")).to_have_count(
        1
    )
    await expect(page.locator(".search-section")).to_have_count(0)  # no chat, person or file by that name


async def test_search_and_favourites_on_a_phone(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    group = await cast.group(alice, "Launch crew", bob)
    await cast.say(bob, group, "Budget sheet is in the drive")
    await attach(cast, bob, group, "Budget 2026.xlsx", b"PK\x03\x04 not really a sheet", "file")
    page = await open_page("alice", viewport=PHONE)
    await page.locator(".rail-item[href='#/search']").click()
    box = page.get_by_role("searchbox", name="Search chats, contacts, files and messages")
    await box.fill("lc")
    await box.press("Enter")
    await expect(page.locator(".search-section", has_text="Chats")).to_contain_text("Launch crew")
    await box.fill("budget")
    await box.press("Enter")
    await expect(page.locator(".search-section", has_text="Files")).to_contain_text("Budget 2026.xlsx")
    await expect(page.locator(".search-results .search-hit", has_text="Budget sheet")).to_have_count(1)
    await screenshot(page, "search-sections-phone")
    await page.locator(".search-hit", has_text="Budget sheet").click()
    await expect(page.locator(".conv-head-title")).to_have_text("Launch crew")
    await message_menu(page, "Budget sheet", "Add to favourites")
    await page.locator(".conv-head .back-btn").click()  # on a phone the tab bar hides inside a chat
    await page.locator(".rail-item[href='#/settings']").click()
    await page.get_by_role("link", name="Favourites").click()
    await expect(page.locator(".fav-card")).to_contain_text("Budget sheet is in the drive")
    box = await page.locator(".fav-card").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    await screenshot(page, "favourites-phone")
