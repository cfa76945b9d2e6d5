"""Daily reports (日志) in the browser, in Chinese and in English: an employee writes 日报 to the
department leader, the leader opens it (the sender's read status turns to read, live), comments
(the sender sees it), and sees who in the team has not submitted and reminds them; the phone
layout shows the list and the form."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Cast, Member, expect, screenshot
from tests.browser.test_ding_web import PHONE, company

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "write": "Write",
        "received": "Received",
        "send": "Send",
        "find": "Send to: find people",
        "read0": "0/1 read",
        "read1": "1/1 read",
        "team": "Not submitted (1)",
        "remind": "Remind them",
        "reminded": "Reminded 1",
        "daily": "Daily report",
        "done": "Done today",
    },
    "zh-CN": {
        "write": "写日志",
        "received": "我收到的",
        "send": "提交",
        "find": "发给谁：搜索同事",
        "read0": "0/1 人已读",
        "read1": "1/1 人已读",
        "team": "未提交（1）",
        "remind": "一键提醒",
        "reminded": "已提醒 1 人",
        "daily": "日报",
        "done": "今日完成工作",
    },
}


async def team(cast: Cast, zhang: Member, *people: Member) -> dict[str, Any]:
    org = await company(cast, zhang, *people)
    dept = await zhang.call("POST", f"/orgs/{org['id']}/departments", json={"name": "研发部"})
    await zhang.call(
        "PUT", f"/orgs/{org['id']}/departments/{dept['id']}/members/{zhang.id}", json={"is_leader": True}
    )
    for person in people:
        await zhang.call(
            "PUT",
            f"/orgs/{org['id']}/departments/{dept['id']}/members/{person.id}",
            json={"is_leader": False},
        )
    return org


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_a_daily_report_is_read_by_the_leader(cast: Cast, open_page, lang: str) -> None:
    words = WORDS[lang]
    locale = "zh-CN" if lang == "zh-CN" else "en-US"
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    await team(cast, zhang, li, wang)
    a = await open_page("lisi", locale=locale)
    b = await open_page("zhangsan", locale=locale)

    # Li writes 日报 to Zhang.
    # 日志 is a work app: it sits in the 工作台 (workbench) sheet, on a wide screen too.
    await a.locator(".rail-workbench").click()
    await a.locator(".workbench-tile[href='#/reports']").click()
    await a.locator(".reports-tab[data-tab='write']").click()
    await a.locator(".reports-template[data-template='daily']").click()
    await expect(a.locator(".reports-form")).to_contain_text(words["done"])
    await a.locator(".reports-form textarea[data-key='done']").fill("完成登录页改版，修复 3 个缺陷")
    await a.locator(".reports-form textarea[data-key='coordinate']").fill("需要设计稿")
    await a.get_by_placeholder(words["find"]).fill("zhang")
    await a.locator(".picker-row", has_text="张三").locator("input").check()
    await screenshot(a, f"reports-form-{lang}")
    await a.locator(".reports-submit").click()
    await expect(a.locator(".reports-read-summary")).to_have_text(words["read0"])
    await expect(a.locator(".reports-article")).to_contain_text("完成登录页改版")

    # Zhang sees it unread among those received, opens it: Li's read status turns, live.
    await b.locator(".rail-workbench").click()
    await b.locator(".workbench-tile[href='#/reports']").click()
    await expect(b.locator(".reports-item.unread")).to_have_count(1)
    await screenshot(b, f"reports-received-{lang}")
    await b.locator(".reports-item").first.click()
    await expect(b.locator(".reports-article")).to_contain_text("需要设计稿")
    await expect(b.locator(".reports-item.unread")).to_have_count(0)
    await expect(a.locator(".reports-read-summary")).to_have_text(words["read1"])
    await expect(a.locator(".reports-people .is-read")).to_have_count(1)

    # Zhang comments; Li sees it.
    await b.locator(".reports-comment-input").fill("@李四 设计稿明天给你")
    await b.locator(".reports-comment-send").click()
    await expect(b.locator(".reports-comment")).to_have_count(1)
    await expect(a.locator(".reports-comment")).to_contain_text("设计稿明天给你")
    await screenshot(a, f"reports-read-{lang}")

    # Zhang's team: Wang has not submitted; a reminder goes.
    await b.goto(b.url.split("#")[0] + "#/reports/team")
    await expect(b.locator(".reports-missing")).to_contain_text(words["team"])
    await expect(b.locator(".reports-missing")).to_contain_text("王五")
    await expect(b.locator(".reports-submitted")).to_contain_text("李四")
    await b.locator(".reports-remind").click()
    await expect(b.locator(".toast").last).to_contain_text(words["reminded"])
    await screenshot(b, f"reports-team-{lang}")


async def test_the_phone_layout_writes_a_report(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await team(cast, zhang, li)
    page = await open_page("lisi", locale="zh-CN", viewport=PHONE, touch=True)
    await page.goto(page.url.split("#")[0] + "#/reports?tab=write")
    await expect(page.locator(".reports-template")).to_have_count(3)
    await screenshot(page, "reports-phone-list")
    await page.locator(".reports-template[data-template='daily']").click()
    await page.locator(".reports-form textarea[data-key='done']").fill("手机上写的日报")
    await page.get_by_placeholder(WORDS["zh-CN"]["find"]).fill("zhang")
    await page.locator(".picker-row", has_text="张三").locator("input").check()
    await screenshot(page, "reports-phone-form")
    await page.locator(".reports-submit").click()
    await expect(page.locator(".reports-article")).to_contain_text("手机上写的日报")
    box = await page.locator(".reports-article").bounding_box()
    assert box is not None and box["width"] <= 390
    await screenshot(page, "reports-phone-report")
