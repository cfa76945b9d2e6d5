"""Rough edges of the chat screen (issue 14, item 13): the read-receipt popover stays on screen,
recall is offered only while its window is open, the first visit shows an empty state, the
connection banner stacks under the DING banner, presence is unknown while you are offline, and
"typing…" ends when the other person clears their input."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, Cast, Member, Page, expect, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def company(owner: Member, name: str, *members: Member) -> dict[str, Any]:
    org = await owner.call("POST", "/orgs", json={"name": name})
    invitation = await owner.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    for member in members:
        joined = await member.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
        assert joined["status"] == "joined"
    return dict(org)


async def inside_viewport(page: Page, selector: str) -> None:
    box = await page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"], (box, size)
    assert box["y"] + box["height"] <= size["height"], (box, size)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize(("locale", "viewport"), [("en-US", DESKTOP), ("zh-CN", PHONE)])
async def test_the_read_receipts_stay_on_screen(
    cast: Cast, open_page, locale: str, viewport: dict[str, int]
) -> None:
    owner = await cast.person("owner", "Olivia Owner")
    others = [await cast.person(f"member{n}", f"Member {n:02d}") for n in range(12)]
    for other in others:
        await cast.befriend(owner, other)
    group = await cast.group(owner, "All hands", *others)
    for n in range(6):
        await cast.say(owner, group, f"Agenda item {n}")
    page = await open_page("owner", locale=locale, viewport=viewport)
    await page.locator(".conv-item", has_text="All hands").click()
    last = page.locator(".msg.mine", has_text="Agenda item 5")
    await last.locator(".receipt-btn").click()
    popover = page.locator(".receipts-popover")
    # The list arrives after a spinner and makes the popover taller: it must still fit.
    await expect(popover.locator(".receipt-person")).to_have_count(12)
    await inside_viewport(page, ".receipts-popover")
    await screenshot(page, f"receipts-popover-{locale}")


async def test_recall_is_offered_only_while_its_window_is_open(cast: Cast, open_page) -> None:
    boss = await cast.person("boss", "Boss Wang")
    worker = await cast.person("worker", "Wendy Wu")
    org = await company(boss, "Lakeside Labs", worker)
    await boss.call("PATCH", f"/orgs/{org['id']}", json={"recall_window_seconds": 12})
    conversations = (await worker.call("GET", "/conversations", params={"limit": 50}))["conversations"]
    room = next(c["id"] for c in conversations if c["kind"] == "org_all")
    sent = await cast.say(worker, room, "Draft figures, do not forward")
    page = await open_page("worker")
    boss_page = await open_page("boss", locale="zh-CN")
    await page.locator(".conv-item", has_text="Lakeside Labs").click()
    message = page.locator(".msg.mine", has_text="Draft figures")

    # While the window is open: recall, with the time it closes.
    await message.hover()
    await message.get_by_role("button", name="More").click()
    recall = page.get_by_role("menuitem", name="Recall (until")
    await expect(recall).to_be_visible()
    await expect(recall).to_contain_text(":")
    await screenshot(page, "recall-until")
    await page.keyboard.press("Escape")

    # Once it has closed, no recall (and no edit: the organization's edit window is a day).
    # (2.5 s past it: the page judges by its estimate of the server's clock, which a loaded machine
    # may set a little behind.)
    await asyncio.sleep(max(0.0, sent["created_at"] / 1000 + 14.5 - time.time()))
    await message.hover()
    await message.get_by_role("button", name="More").click()
    await expect(page.get_by_role("menuitem", name="Reply")).to_be_visible()
    await expect(page.get_by_role("menuitem", name="Recall", exact=False)).to_have_count(0)
    await expect(page.get_by_role("menuitem", name="Edit")).to_be_visible()
    await page.keyboard.press("Escape")

    # The organization's owner may still recall anyone's message, with no deadline.
    await boss_page.locator(".conv-item", has_text="Lakeside Labs").click()
    theirs = boss_page.locator(".msg", has_text="Draft figures")
    await theirs.hover()
    await theirs.get_by_role("button", name="更多").click()
    await expect(boss_page.get_by_role("menuitem", name="撤回", exact=True)).to_be_visible()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_messages_opens_on_an_empty_state(cast: Cast, open_page, locale: str) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    await cast.say(bob, conversation_id, "hi")
    page = await open_page("alice", locale=locale)
    text = "Choose a conversation to start chatting" if locale == "en-US" else "选择一个会话开始聊天"
    await expect(page.locator(".main-pane .empty-state")).to_have_text(text)
    await screenshot(page, f"chats-empty-{locale}")


@pytest.mark.parametrize(("locale", "viewport"), [("en-US", DESKTOP), ("zh-CN", PHONE)])
async def test_the_offline_banner_stacks_under_the_ding_banner(
    cast: Cast, open_page, locale: str, viewport: dict[str, int]
) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    org = await company(zhang, "湖畔科技", li)
    await zhang.call(
        "POST", f"/orgs/{org['id']}/dings", json={"recipient_ids": [li.id], "body": "服务器告警，请处理"}
    )
    page = await open_page("lisi", locale=locale, viewport=viewport)
    ding = page.locator(".ding-banner")
    await expect(ding).to_be_visible()
    await page.context.set_offline(True)
    offline = page.locator(".conn-banner")
    await expect(offline).to_be_visible()
    await page.wait_for_timeout(200)  # no transition, but let the layout settle
    ding_box, offline_box = await ding.bounding_box(), await offline.bounding_box()
    assert ding_box is not None and offline_box is not None
    assert not overlap(ding_box, offline_box), (ding_box, offline_box)
    assert offline_box["y"] >= ding_box["y"] + ding_box["height"]
    await screenshot(page, f"offline-under-ding-{locale}")
    await page.context.set_offline(False)
    await expect(offline).to_be_hidden()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_presence_is_unknown_while_you_are_offline(cast: Cast, open_page, locale: str) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    await cast.say(bob, conversation_id, "online?")
    await open_page("bob")  # Bob is online
    page = await open_page("alice", locale=locale)
    await page.locator(".conv-item", has_text="Bob Li").click()
    dot = page.locator(".conv-head .presence")
    subtitle = page.locator(".conv-head-sub")
    online, unknown = ("Online", "Status unknown") if locale == "en-US" else ("在线", "状态未知")
    await expect(dot).to_have_class("presence presence-online")
    await expect(subtitle).to_contain_text(online)

    await page.context.set_offline(True)
    await expect(page.locator(".conn-banner")).to_be_visible()
    await expect(dot).to_have_class("presence presence-unknown")
    await expect(subtitle).to_contain_text(unknown)
    await expect(page.locator(".conv-item .presence-online")).to_have_count(0)
    await screenshot(page, f"presence-unknown-{locale}")

    await page.context.set_offline(False)
    await expect(dot).to_have_class("presence presence-online")
    await expect(subtitle).to_contain_text(online)


async def test_typing_ends_when_the_input_is_cleared(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    await cast.say(bob, conversation_id, "hello")
    a = await open_page("alice", locale="zh-CN")
    b = await open_page("bob")
    await a.locator(".conv-item", has_text="Bob Li").click()
    await b.locator(".conv-item", has_text="Alice Chen").click()
    subtitle = a.locator(".conv-head-sub")
    composer = b.get_by_role("textbox", name="Message")
    await composer.press_sequentially("I was going to say")
    await expect(subtitle).to_have_class("conv-head-sub ellipsis typing")
    started = time.monotonic()
    await composer.fill("")
    await composer.dispatch_event("input")
    # Gone at once, not when the 6-second expiry runs out.
    await expect(subtitle).not_to_have_class("conv-head-sub ellipsis typing", timeout=2000)
    assert time.monotonic() - started < 2.5
