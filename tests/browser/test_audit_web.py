"""The audit log page (issue 14, item 12): owners and admins read the organization's admin actions
with readable names in both languages, filter them by action, by who did it and by date, and
page back through them; members neither see the page nor reach it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, Cast, Member, Page, expect, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

TEXTS = {
    "en-US": {
        "nav": "Audit log",
        "role": "Changed a member's role",
        "seat": "Put a member in a department",
        "members": "Members: all",
        "older": "Older entries",
        "none": "Nothing recorded that matches.",
        "only": "Only actions by Li Si",
        "anyone": "Show everyone's actions",
    },
    "zh-CN": {
        "nav": "操作日志",
        "role": "更改了成员角色",
        "seat": "将成员加入部门",
        "members": "成员：全部",
        "older": "更早的记录",
        "none": "没有符合条件的记录。",
        "only": "只看 Li Si 的操作",
        "anyone": "显示所有人的操作",
    },
}


async def organization(cast: Cast) -> tuple[dict[str, Any], Member, Member, Member]:
    """Zhang owns it; Li is an admin who made a department and seated Wang in it."""
    zhang = await cast.person("zhangsan", "Zhang San")
    li = await cast.person("lisi", "Li Si")
    wang = await cast.person("wangwu", "Wang Wu")
    org = await zhang.call("POST", "/orgs", json={"name": "Lakeside Labs"})
    invitation = await zhang.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    for member in (li, wang):
        await member.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
    await zhang.call("PUT", f"/orgs/{org['id']}/members/{li.id}/role", json={"role": "admin"})
    department = await li.call("POST", f"/orgs/{org['id']}/departments", json={"name": "研发中心"})
    await li.call("PUT", f"/orgs/{org['id']}/departments/{department['id']}/members/{wang.id}", json={})
    return dict(org), zhang, li, wang


async def open_audit(page: Page, texts: dict[str, str]) -> None:
    await page.goto(page.url.split("#")[0] + "#/admin")
    await page.locator(".admin-nav").get_by_role("link", name=texts["nav"]).click()
    await expect(page.locator(".audit-entry").first).to_be_visible()


@pytest.mark.parametrize(("locale", "viewport"), [("en-US", DESKTOP), ("zh-CN", PHONE)])
async def test_owners_read_and_filter_the_audit_log(
    cast: Cast, open_page, locale: str, viewport: dict[str, int]
) -> None:
    texts = TEXTS[locale]
    org, _, li, wang = await organization(cast)
    # Enough entries for a second page: an admin edits a profile 52 times.
    for n in range(52):
        await li.call("PATCH", f"/orgs/{org['id']}/members/{wang.id}", json={"title": f"Engineer {n}"})
    page = await open_page("zhangsan", locale=locale, viewport=viewport)
    await open_audit(page, texts)
    entries = page.locator(".audit-entry")
    await expect(entries).to_have_count(50)
    await screenshot(page, f"audit-log-{locale}")
    await page.get_by_role("button", name=texts["older"]).click()
    # org.create, the code, the role, the department, the seat, 52 edits: 57 in all.
    await expect(entries).to_have_count(57)
    await expect(page.get_by_role("button", name=texts["older"])).to_be_hidden()
    await expect(entries.last.locator(".audit-what")).to_have_text(
        "Created the organization" if locale == "en-US" else "创建了组织"
    )

    # By action family: the members' changes only (the role, and the 52 edits).
    await page.locator("#audit-action").select_option(label=texts["members"])
    await expect(entries).to_have_count(50)
    assert set(await page.locator(".audit-entry").evaluate_all("els => els.map(e => e.dataset.action)")) <= {
        "member.role",
        "member.update",
    }
    # By one action.
    await page.locator("#audit-action").select_option("member.role")
    await expect(entries).to_have_count(1)
    await expect(entries.locator(".audit-what")).to_have_text(texts["role"])
    await expect(entries.locator(".audit-target")).to_have_text("Li Si")

    # By who did it: a search among the members, then back to everyone.
    await page.locator("#audit-action").select_option("department.seat")
    await expect(entries).to_have_count(1)
    await expect(entries.locator(".audit-what")).to_have_text(texts["seat"])
    await page.locator("#audit-actor").fill("zhang")
    await page.locator(".audit-option", has_text="Zhang San").click()
    await expect(page.locator(".list-empty")).to_have_text(texts["none"])
    await page.get_by_role("button", name=texts["anyone"]).click()
    await expect(entries).to_have_count(1)
    # A name in the log filters by that person too.
    await entries.get_by_role("button", name="Li Si").click()
    await expect(page.locator(".audit-chip")).to_contain_text("Li Si")
    await expect(entries).to_have_count(1)

    # By date: nothing from tomorrow on; today's entries up to today.
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    await page.locator("#audit-since").fill(tomorrow)
    await expect(page.locator(".list-empty")).to_have_text(texts["none"])
    await page.locator("#audit-since").fill("")
    await page.locator("#audit-until").fill(dt.date.today().isoformat())
    await expect(entries).to_have_count(1)
    export = await page.locator(".page-head a[download]").get_attribute("href")
    assert export is not None and "action=department.seat" in export and f"actor_id={li.id}" in export
    await screenshot(page, f"audit-log-filtered-{locale}")


async def test_members_cannot_reach_the_audit_log(cast: Cast, open_page) -> None:
    org, _, _, wang = await organization(cast)
    page = await open_page("wangwu")
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url))
    await expect(page.locator(".rail-item[href='#/admin']")).to_be_hidden()
    await page.goto(page.url.split("#")[0] + "#/admin/audit")
    only = "Only the owner and admins of this organization manage it."
    await expect(page.locator(".main-pane .empty-state")).to_have_text(only)
    await expect(page.locator(".audit-entry")).to_have_count(0)
    assert not [url for url in calls if "audit-log" in url]
    # And the server refuses anyway.
    response = await wang.http.get(f"/api/v1/orgs/{org['id']}/audit-log", headers=wang.headers)
    assert response.status_code == 403
