"""Approvals' data for admins, in Chinese and English: counts by status and template, the time to
approve, per step, for a template and a period; and the CSV export of one template's requests,
which opens in a spreadsheet with its Chinese intact (UTF-8 with a BOM)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, expect, screenshot
from tests.browser.test_approvals_web import company

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"data": "数据与导出", "total": "审批数", "csv": "导出 CSV", "template": "模板"},
    "en-US": {"data": "Data and export", "total": "Requests", "csv": "Export CSV", "template": "Template"},
}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_an_admin_sees_the_numbers_and_exports_a_template(cast: Cast, open_page, locale: str) -> None:
    words = WORDS[locale]
    c = await company(cast)
    alice, lisi = c.people["alice"], c.people["lisi"]
    base = f"/orgs/{c.id}"
    general = c.templates["general"]
    first = await alice.call(
        "POST",
        f"{base}/approvals",
        json={"template_id": general["id"], "values": {"title": "申请显示器", "detail": "27 寸"}},
    )
    await alice.call(
        "POST",
        f"{base}/approvals",
        json={"template_id": general["id"], "values": {"title": "申请键盘", "detail": "机械"}},
    )
    await lisi.call("POST", f"{base}/approvals/{first['id']}/approve", json={"comment": "同意"})

    page = await open_page("zhangsan", locale=locale)
    await page.goto(page.url.split("#")[0] + "#/approvals/admin")
    await page.get_by_role("link", name=words["data"]).click()
    cards = page.locator(".appr-data-card")
    await expect(cards.first).to_contain_text(words["total"])
    await expect(cards.first.locator("strong")).to_have_text("2")
    tables = page.locator(".appr-data-table")
    await expect(tables.nth(1)).to_contain_text(general["name"])
    await expect(tables.nth(2)).to_contain_text(general["name"])  # per step, the leader's
    csv = page.locator(".appr-data .page-head a", has_text=words["csv"])  # a link once a template is chosen
    await expect(csv).to_have_attribute(
        "aria-disabled", "true"
    )  # a template first: its fields are the columns

    await page.locator(".appr-data-filters select[name=template_id]").select_option(str(general["id"]))
    await expect(csv).not_to_have_attribute("aria-disabled", "true")
    href = await csv.get_attribute("href")
    assert href is not None and f"template_id={general['id']}" in href
    answer = await page.request.get(page.url.split("#")[0].rstrip("/") + href)
    assert answer.status == 200
    body = await answer.body()
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 by its BOM
    text = body.decode("utf-8-sig")
    assert "申请显示器" in text and "申请键盘" in text
    await screenshot(page, f"approvals-data-{locale}")
