"""Words on the admin pages (issue 14, item 15): the fraud review tells its evidence in sentences
(not `key / count / minutes`), a member's departments read "R&D (Leader)" in English and
"研发中心（主管）" in Chinese, and no two settings share one hint."""

from __future__ import annotations

import pytest

from tests.browser import test_growth_web as growth
from tests.browser.conftest import Cast, LiveServer, Member, Page, expect, screenshot
from tests.browser.test_growth_web import Company

pytestmark = pytest.mark.browser

# The growth engine's server for every test here: leaderboards built quickly, screening on demand.
server = growth.server

EVIDENCE = {
    "en-US": ["Device: farm-device", "2 accounts signed up from it within 10 minutes"],
    "zh-CN": ["设备：farm-device", "10 分钟内由此注册了 2 个账号"],
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_fraud_evidence_reads_as_sentences(
    server: LiveServer, cast: Cast, open_page, locale: str
) -> None:
    company = await Company(cast).build()
    campaign_id = await company.campaign()
    # Screening looks at the leaderboard's friends: wait for the first scores.
    await growth.until(lambda: growth._scores_are(company, campaign_id, {"zhangsan": 4, "lisi": 3}), "scores")
    assert (await company.admin.call("POST", f"/campaigns/{campaign_id}/screen"))["new_flags"] == 2
    page = await open_page("admin", locale=locale)
    await page.goto(f"{server.url}/#/campaigns/{campaign_id}/flags")
    cards = page.locator(".g-flag")
    await expect(cards).to_have_count(2)
    for index in range(2):
        await expect(cards.nth(index).locator(".g-evidence li")).to_have_text(EVIDENCE[locale])
    await expect(page.locator(".g-evidence dt")).to_have_count(0)
    await screenshot(page, f"fraud-evidence-{locale}")


async def seat(owner: Member, org_id: int, name: str, member: Member, *, leader: bool) -> None:
    department = await owner.call("POST", f"/orgs/{org_id}/departments", json={"name": name})
    await owner.call(
        "PUT",
        f"/orgs/{org_id}/departments/{department['id']}/members/{member.id}",
        json={"is_leader": leader},
    )


async def member_row(page: Page, name: str) -> str:
    await page.locator(".rail-item[href='#/admin']").click()
    await page.locator(".admin-nav a[href='#/admin/members']").click()
    row = page.locator(".person-row", has_text=name)
    await expect(row).to_be_visible()
    return await row.locator(".person-meta").inner_text()


@pytest.mark.parametrize(
    ("locale", "departments", "expected"),
    [
        ("en-US", ("R&D", "Platform"), "R&D (Leader), Platform"),
        ("zh-CN", ("研发中心", "平台组"), "研发中心（主管）、平台组"),
    ],
)
async def test_departments_read_in_the_pages_language(
    cast: Cast, open_page, locale: str, departments: tuple[str, str], expected: str
) -> None:
    boss = await cast.person("boss", "Boss Wang")
    lee = await cast.person("lee", "Lee Leader")
    org = await boss.call("POST", "/orgs", json={"name": "Lakeside Labs"})
    invitation = await boss.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    await lee.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
    await seat(boss, org["id"], departments[0], lee, leader=True)
    await seat(boss, org["id"], departments[1], lee, leader=False)
    page = await open_page("boss", locale=locale)
    assert await member_row(page, "Lee Leader") == expected
    await screenshot(page, f"admin-members-{locale}")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_each_setting_has_its_own_hint(cast: Cast, open_page, locale: str) -> None:
    boss = await cast.person("boss", "Boss Wang")
    await boss.call("POST", "/orgs", json={"name": "Lakeside Labs"})
    page = await open_page("boss", locale=locale)
    await page.locator(".rail-item[href='#/admin']").click()
    for section, field in (("settings", "#set-recall"), ("ding", "#ding-url")):
        await page.locator(f".admin-nav a[href='#/admin/{section}']").click()
        await expect(page.locator(field)).to_be_visible()
        hints = page.locator(".main-pane .field-hint")
        texts = [text.strip() for text in await hints.all_inner_texts()]
        assert len(texts) >= 4, texts
        assert len(set(texts)) == len(texts), texts
        await screenshot(page, f"admin-{section}-hints-{locale}")
