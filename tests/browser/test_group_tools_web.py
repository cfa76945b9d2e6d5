"""The group tools in the browser: pinned messages, the group notice and its confirmation, mute
(the composer says why it is disabled), joining by link or QR code with and without approval —
in English on a desktop and in Chinese on a phone, each change reaching the other page live."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, Page, expect, screenshot
from tests.browser.test_chat import open_conversation, send

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def message_menu(page: Page, text: str, item: str) -> None:
    message = page.locator(".msg", has_text=text)
    await message.hover()
    await message.get_by_role("button", name="More" if item[0].isascii() else "更多").click()
    await page.get_by_role("menuitem", name=item).click()


async def test_pins_the_notice_and_mute_all_on_a_desktop(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    carol = await cast.person("carol", "Carol Wu")
    await cast.befriend(alice, bob)
    await cast.befriend(alice, carol)
    group = await cast.group(alice, "Launch crew", bob, carol)
    await cast.say(bob, group, "Release checklist: https://example.com/checklist")
    await cast.say(carol, group, "Design review moved to Thursday")
    a = await open_page("alice")
    b = await open_page("bob")
    await open_conversation(a, "Launch crew")
    await open_conversation(b, "Launch crew")

    # The owner pins a message; Bob sees it at the top at once and jumps to it.
    await message_menu(a, "Release checklist", "Pin message")
    await expect(b.locator(".pin-bar")).to_contain_text("Bob Li: Release checklist")
    await expect(a.locator(".pin-bar")).to_contain_text("Pinned messages")
    # A plain member is offered no pinning.
    await b.locator(".msg", has_text="Design review").hover()
    await b.locator(".msg", has_text="Design review").get_by_role("button", name="More").click()
    await expect(b.get_by_role("menuitem", name="Pin message")).to_have_count(0)
    await b.keyboard.press("Escape")

    # The owner posts a notice from the details panel; Bob must confirm it.
    await a.get_by_role("button", name="Details").click()
    panel = a.get_by_role("complementary", name="Details")
    await panel.get_by_role("button", name="Post a notice").click()
    await (
        a.get_by_role("dialog")
        .get_by_label("Group notice")
        .fill("Code freeze on Friday at 18:00.\nNo merges after that.")
    )
    await a.get_by_role("dialog").get_by_role("button", name="Publish").click()
    notice = b.get_by_role("region", name="Group notice")
    await expect(notice).to_contain_text("Code freeze on Friday at 18:00.")
    await expect(a.get_by_role("region", name="Group notice")).to_have_count(0)  # the author has read it
    await expect(panel.locator(".panel-notice")).to_contain_text("1 of 3 confirmed")
    await expect(b.locator(".msg-system").last).to_have_text("Alice Chen updated the group notice")
    await screenshot(b, "group-notice-and-pin")
    await notice.get_by_role("button", name="Confirm you have read the group notice").click()
    await expect(notice).to_have_count(0)
    await expect(panel.locator(".panel-notice")).to_contain_text("2 of 3 confirmed")
    await panel.get_by_role("button", name="2 of 3 confirmed").click()
    readers = a.get_by_role("dialog", name="Who has confirmed")
    await expect(readers).to_contain_text("Not yet (1)")
    await expect(readers).to_contain_text("Carol Wu")
    await a.keyboard.press("Escape")

    # Mute all: Bob's composer is disabled and says why; the owner still sends.
    await panel.get_by_role("switch", name="Mute all members").check()
    composer = b.get_by_role("textbox", name="Message")
    await expect(composer).to_be_disabled()
    await expect(composer).to_have_attribute(
        "placeholder", "Everyone is muted: only the owner and admins can send."
    )
    await expect(b.locator(".msg-system").last).to_have_text("Alice Chen muted all members")
    await send(a, "Only announcements here until Monday")
    await expect(b.locator(".msg", has_text="Only announcements here")).to_have_count(1)
    await screenshot(b, "group-mute-all")
    await panel.get_by_role("switch", name="Mute all members").uncheck()
    await expect(composer).to_be_enabled()
    await send(b, "Understood")
    await expect(a.locator(".msg", has_text="Understood")).to_have_count(1)

    # One member muted from the member list; unpinning from the pin list.
    await panel.get_by_role("button", name="Options for Carol Wu").click()
    await a.get_by_role("menuitem", name="Mute").click()
    await a.get_by_role("menuitem", name="Mute for 1 hour").click()
    await expect(panel.locator(".member-row", has_text="Carol Wu")).to_contain_text("Muted")
    await a.get_by_role("button", name="Show all pinned messages").click()
    await a.get_by_role("dialog", name="Pinned messages").get_by_role("button", name="Unpin").click()
    await expect(b.locator(".pin-bar")).to_be_hidden()


async def test_a_muted_member_and_the_notice_on_a_phone_in_chinese(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await cast.befriend(zhang, li)
    group = await cast.group(zhang, "产品组", li)
    said = await cast.say(zhang, group, "本周五发布 2.0 版本")
    await zhang.call("PUT", f"/conversations/{group}/pins/{said['id']}")
    await zhang.call(
        "PUT", f"/conversations/{group}/notice", json={"body": "发布前请完成自测，并在群里回复“已完成”。"}
    )
    await zhang.call("PUT", f"/conversations/{group}/members/{li.id}/mute", json={"duration_seconds": 3600})
    page = await open_page("lisi", locale="zh-CN", viewport=PHONE)
    await page.locator(".conv-item", has_text="产品组").click()
    await expect(page.locator(".conv-head-title")).to_have_text("产品组")
    await expect(page.get_by_role("region", name="群公告")).to_contain_text("发布前请完成自测")
    await expect(page.locator(".pin-bar")).to_contain_text("张三：本周五发布 2.0 版本")
    composer = page.get_by_role("textbox", name="消息")
    await expect(composer).to_be_disabled()
    placeholder = await composer.get_attribute("placeholder")
    assert placeholder and placeholder.startswith("你已被禁言，") and placeholder.endswith("解除。"), (
        placeholder
    )
    await screenshot(page, "group-tools-phone-zh")
    # Everything fits the phone's width.
    for selector in (".notice-bar", ".pin-bar", ".composer"):
        box = await page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, selector
    await page.get_by_role("button", name="确认已读群公告").click()
    await expect(page.get_by_role("region", name="群公告")).to_have_count(0)
    # The owner lifts the mute: the composer opens at once.
    await zhang.call("DELETE", f"/conversations/{group}/members/{li.id}/mute")
    await expect(composer).to_be_enabled()
    await expect(composer).to_have_attribute("placeholder", "输入消息…")


async def test_joining_by_link_and_qr_code(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.person("carol", "Carol Wu")
    await cast.befriend(alice, bob)
    await cast.group(alice, "Hiking club", bob)
    a = await open_page("alice")
    await open_conversation(a, "Hiking club")
    await a.get_by_role("button", name="Details").click()
    panel = a.get_by_role("complementary", name="Details")
    await panel.get_by_role("button", name="Invite by link or QR code").click()
    dialog = a.get_by_role("dialog", name="Invite link and QR code")
    await dialog.get_by_role("button", name="Create link").click()
    qr = dialog.get_by_role("img", name="QR code of the group's invite link")
    await expect(qr).to_be_visible()
    await a.wait_for_function(
        "() => { const i = document.querySelector('.invite-qr'); return i && i.naturalWidth > 0 }"
    )
    url = await dialog.locator(".invite-url").input_value()
    assert "/g/" in url
    await screenshot(a, "group-invite-link")
    await a.keyboard.press("Escape")

    # Carol opens the link (logged in): the group's card, then she is in.
    c = await open_page("carol")
    await c.goto(url.replace("http://127.0.0.1:8000", cast.server.url))
    card = c.get_by_role("dialog", name="Join group")
    await expect(card).to_contain_text("Hiking club")
    await expect(card).to_contain_text("2 members")
    await card.get_by_role("button", name="Join group").click()
    await expect(c.locator(".conv-head-title")).to_have_text("Hiking club")
    await expect(a.locator(".msg-system").last).to_have_text("Carol Wu joined the group via its invite link")


async def test_joining_with_approval_in_chinese(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await cast.person("wangwu", "王五")
    await cast.befriend(zhang, li)
    group = await cast.group(zhang, "读书会", li)
    await zhang.call("PATCH", f"/conversations/{group}", json={"join_approval": True})
    link = await zhang.call("POST", f"/conversations/{group}/invite-link", json={})
    owner = await open_page("zhangsan", locale="zh-CN")
    await owner.locator(".conv-item", has_text="读书会").click()
    await owner.get_by_role("button", name="聊天信息").click()
    panel = owner.get_by_role("complementary", name="聊天信息")
    await expect(panel.get_by_role("switch", name="入群验证")).to_be_checked()

    joiner = await open_page("wangwu", locale="zh-CN", viewport=PHONE)
    await joiner.goto(f"{cast.server.url}/g/{link['token']}")
    card = joiner.get_by_role("dialog", name="加入群聊")
    await expect(card).to_contain_text("需要群主或管理员同意。")
    await card.get_by_label("给群主和管理员的留言（选填）").fill("我是李四的同学")
    await card.get_by_role("button", name="申请加入").click()
    await expect(joiner.locator(".toast", has_text="已发送加入 读书会 的申请。")).to_be_visible()

    request = panel.locator(".join-request", has_text="王五")
    await expect(request).to_contain_text("我是李四的同学")
    await screenshot(owner, "group-join-request-zh")
    await request.get_by_role("button", name="同意").click()
    await expect(joiner.locator(".toast", has_text="你加入 读书会 的申请已通过。")).to_be_visible()
    await joiner.locator(".conv-item", has_text="读书会").click()
    await expect(joiner.locator(".msg-system").last).to_have_text("你 通过入群链接加入了群聊")
    await expect(owner.locator(".msg-system").last).to_have_text("王五 通过入群链接加入了群聊")
    await expect(panel.locator(".join-request")).to_have_count(0)
