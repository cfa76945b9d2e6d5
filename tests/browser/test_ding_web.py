"""DING and announcements in the browser: a DING pinned for each colleague until they confirm, the
sender's list following live, re-DING at most once every five minutes, a message DINGed from an
organization group, and an announcement whose unread list shrinks as people read it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import Cast, Member, Page, expect, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def company(cast: Cast, owner: Member, *members: Member, name: str = "湖畔科技") -> dict[str, Any]:
    """An organization owned by `owner`, the others joined through an invitation code."""
    org = await owner.call("POST", "/orgs", json={"name": name})
    invitation = await owner.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    for member in members:
        joined = await member.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
        assert joined["status"] == "joined"
    return dict(org)


def banner(page: Page) -> Any:
    return page.locator(".ding-banner")


def rail_badge(page: Page, section: str) -> Any:
    return page.locator(f".rail-item[href='#/{section}'] .badge")


async def test_a_ding_stays_pinned_until_each_colleague_confirms(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    await company(cast, zhang, li, wang)
    a = await open_page("zhangsan")
    b = await open_page("lisi")
    c = await open_page("wangwu", locale="zh-CN")

    # Zhang writes a DING to both colleagues, found by pinyin in the organization's directory.
    await a.locator(".rail-item[href='#/ding']").click()
    await a.locator(".pane-head").get_by_role("button", name="New DING").click()
    dialog = a.get_by_role("dialog", name="New DING")
    await dialog.get_by_label("Text").fill("请在 5 点前提交周报")
    search = dialog.get_by_placeholder("Search colleagues by name, pinyin or department")
    await search.fill("lisi")
    await dialog.locator(".picker-row", has_text="李四").locator("input").check()
    await search.fill("ww")
    await dialog.locator(".picker-row", has_text="王五").locator("input").check()
    await expect(dialog.locator(".picker-chip")).to_have_count(2)
    await screenshot(a, "ding-composer")
    await dialog.get_by_role("button", name="Send DING").click()

    # The sender's live view opens with nobody confirmed yet.
    await expect(a.locator(".ding-progress-count")).to_have_text("0/2 confirmed")
    await expect(a.locator(".ding-unconfirmed .ding-person")).to_have_count(2)
    await expect(a.locator(".ding-table tbody tr")).to_have_count(2)
    await expect(a.locator(".ding-list .ding-item")).to_have_count(1)

    # Each colleague sees it pinned above whatever they are doing, with the rail badge.
    await expect(banner(b)).to_contain_text("请在 5 点前提交周报")
    await expect(banner(b)).to_contain_text("张三")
    await expect(rail_badge(b, "ding")).to_have_text("1")
    await expect(banner(c)).to_contain_text("请在 5 点前提交周报")
    await screenshot(b, "ding-banner-chats")
    await screenshot(c, "ding-banner-chats-zh")

    await banner(b).get_by_role("button", name="Confirm").click()
    await expect(banner(b)).to_be_hidden()
    await expect(rail_badge(b, "ding")).to_be_hidden()
    await expect(a.locator(".ding-progress-count")).to_have_text("1/2 confirmed")
    await expect(a.locator(".ding-confirmed-list .ding-person", has_text="李四")).to_have_count(1)
    await expect(a.locator(".ding-list .ding-state")).to_have_text("1/2 confirmed")

    # Wang confirms from the DING section instead (Chinese interface).
    await c.locator(".rail-item[href='#/ding']").click()
    item = c.locator(".ding-item.waiting", has_text="请在 5 点前提交周报")
    await expect(item.locator(".ding-state")).to_have_text("未确认")
    await item.get_by_role("button", name="确认").click()
    await expect(banner(c)).to_be_hidden()
    await expect(c.locator(".ding-item .ding-state")).to_have_text("已确认")

    await expect(a.locator(".ding-progress-count")).to_have_text("2/2 confirmed")
    await expect(a.locator(".ding-unconfirmed")).to_contain_text("Everyone has confirmed.")
    await expect(a.locator(".ding-reding")).to_have_count(0)
    await screenshot(a, "ding-sender-view")


async def test_re_ding_is_limited_to_once_every_five_minutes(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    org = await company(cast, zhang, li)
    ding = await zhang.call(
        "POST", f"/orgs/{org['id']}/dings", json={"recipient_ids": [li.id], "body": "服务器告警，请处理"}
    )
    a = await open_page("zhangsan")
    b = await open_page("lisi")
    await expect(banner(b)).to_contain_text("服务器告警")
    # Li is reading a chat: the banner stays; a re-DING makes it flash.
    await b.goto(b.url.split("#")[0] + f"#/ding/{ding['id']}")
    await expect(b.locator(".ding-card-text")).to_have_text("服务器告警，请处理")

    await a.goto(a.url.split("#")[0] + f"#/ding/{ding['id']}?tab=sent")
    await a.get_by_role("button", name="DING the unconfirmed again").click()
    await expect(a.locator(".toast").last).to_have_text("DINGed 1 people again")
    await expect(a.locator(".ding-reding-note")).to_contain_text("You can DING again in 4:")
    await expect(a.get_by_role("button", name="DING the unconfirmed again")).to_be_disabled()
    # The attempt arrives live: the first delivery and the repeat.
    await expect(a.locator(".ding-table tbody tr")).to_have_count(2)
    await expect(a.locator(".ding-table tbody tr").first).to_contain_text("DING again")
    await expect(banner(b)).to_have_class("ding-banner flash")

    # After a reload the page does not know; the server's answer says how long to wait.
    await a.reload()
    await a.get_by_role("button", name="DING the unconfirmed again").click()
    await expect(a.locator(".ding-reding-note")).to_contain_text("You can DING again in 4:")
    await expect(a.get_by_role("button", name="DING the unconfirmed again")).to_be_disabled()
    await expect(a.locator(".ding-table tbody tr")).to_have_count(2)
    await screenshot(a, "ding-reding-limit")

    await b.get_by_role("button", name="Confirm").first.click()
    await expect(b.locator(".ding-confirmed-at")).to_contain_text("You confirmed at")
    await expect(banner(b)).to_be_hidden()
    await expect(a.locator(".ding-progress-count")).to_have_text("1/1 confirmed")


async def test_a_scheduled_ding_waits_and_can_be_cancelled(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await company(cast, zhang, li)
    a = await open_page("zhangsan", locale="zh-CN")
    b = await open_page("lisi")

    await a.locator(".rail-item[href='#/ding']").click()
    await a.locator(".pane-head").get_by_role("button", name="发 DING").click()
    dialog = a.get_by_role("dialog", name="发 DING")
    await dialog.get_by_label("内容").fill("明天上午十点开周会")
    await dialog.locator(".picker-row", has_text="李四").locator("input").check()
    await dialog.get_by_label("定时发送").check()
    tomorrow = (datetime.now() + timedelta(days=1)).replace(hour=9, minute=30)
    await dialog.get_by_label("发送时间").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    await dialog.get_by_role("button", name="定时发送").click()

    await expect(a.locator(".ding-card-time")).to_contain_text("定时")
    await expect(a.locator(".ding-list .ding-state")).to_contain_text("定时")
    await expect(a.locator(".ding-progress")).to_be_visible()
    await a.get_by_role("button", name="取消 DING").click()
    await a.get_by_role("dialog").get_by_role("button", name="取消 DING").click()
    await expect(a.locator(".ding-note")).to_have_text("这条 DING 在发送前已取消。")
    await expect(a.locator(".ding-list .ding-state")).to_have_text("已取消")
    # Nothing ever reached Li.
    await expect(banner(b)).to_be_hidden()
    assert await b.locator(".rail-item[href='#/ding'] .badge").is_hidden()


async def test_a_message_in_the_all_staff_group_becomes_a_ding(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    org = await company(cast, zhang, li, wang)
    await cast.say(zhang, org["all_staff_conversation_id"], "今天下午三点全员大会")
    a = await open_page("zhangsan")
    b = await open_page("lisi")

    await a.locator(".conv-item", has_text="湖畔科技").click()
    message = a.locator(".msg", has_text="今天下午三点全员大会")
    await message.hover()
    await message.get_by_role("button", name="More").click()
    await a.get_by_role("menuitem", name="DING this message").click()
    dialog = a.get_by_role("dialog", name="DING this message")
    await expect(dialog.locator(".ding-quote")).to_contain_text("今天下午三点全员大会")
    await dialog.get_by_role("button", name="Everyone in this chat").click()
    await expect(dialog.locator(".picker-chip")).to_have_count(2)
    await dialog.get_by_role("button", name="Send DING").click()
    await expect(a.locator(".toast").last).to_have_text("DING sent to 2 people")

    await expect(banner(b)).to_contain_text("今天下午三点全员大会")
    await banner(b).locator(".ding-banner-main").click()
    await expect(b.locator(".ding-card-link", has_text="Open the conversation")).to_be_visible()


async def test_an_announcement_is_read_and_the_author_sees_who_has_not(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    await company(cast, zhang, li, wang)
    a = await open_page("zhangsan")
    b = await open_page("lisi", locale="zh-CN")
    c = await open_page("wangwu", viewport=PHONE)

    await a.locator(".rail-item[href='#/announcements']").click()
    await a.locator(".pane-head").get_by_role("button", name="New announcement").click()
    dialog = a.get_by_role("dialog", name="New announcement")
    await dialog.get_by_label("Title").fill("五一放假通知")
    await dialog.get_by_label("Content").fill(
        "**5 月 1 日至 5 日**放假，\n\n- 值班表见附件\n- 请提前安排工作"
    )
    await dialog.get_by_label("Pin to the top").check()
    await dialog.get_by_role("button", name="Publish").click()

    await expect(a.locator(".ann-title")).to_contain_text("五一放假通知")
    await expect(a.locator(".ann-body strong")).to_have_text("5 月 1 日至 5 日")
    await expect(a.locator(".ann-read-count")).to_have_text("1 of 3 have read")
    await expect(a.locator(".ann-people .ding-person")).to_have_count(2)

    # Li sees the unread badge, opens it, and it is read.
    await expect(rail_badge(b, "announcements")).to_have_text("1")
    await b.locator(".rail-item[href='#/announcements']").click()
    item = b.locator(".ann-item", has_text="五一放假通知")
    await expect(item).to_have_class("ann-item unread")
    await expect(item).to_contain_text("置顶")
    await item.click()
    await expect(b.locator(".ann-body strong")).to_have_text("5 月 1 日至 5 日")
    await expect(b.locator(".ann-readers")).to_have_count(0)
    await expect(rail_badge(b, "announcements")).to_be_hidden()
    await expect(b.locator(".ann-item.unread")).to_have_count(0)
    await screenshot(b, "announcement-read-zh")

    # The author's list of those who have not read it shrinks live.
    await expect(a.locator(".ann-read-count")).to_have_text("2 of 3 have read")
    await expect(a.locator(".ann-people .ding-person")).to_have_count(1)
    await expect(a.locator(".ann-people")).to_contain_text("王五")
    await screenshot(a, "announcement-author")

    # Wang reads it on a phone.
    await c.goto(c.url.split("#")[0] + "#/announcements")
    await c.locator(".ann-item", has_text="五一放假通知").click()
    await expect(c.locator(".ann-body")).to_contain_text("请提前安排工作")
    await screenshot(c, "announcement-phone")
    await expect(a.locator(".ann-read-count")).to_have_text("3 of 3 have read")
    await expect(a.locator(".ann-people")).to_contain_text("Everyone has read it.")
