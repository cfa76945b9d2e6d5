"""The LDAP / Active Directory admin page (#/admin/ldap) against a real slapd: an owner sets up
the connection (the service password is never shown back), tests it, looks a person up, syncs,
and reads the result; in English on a desktop and in Chinese on a phone."""

from __future__ import annotations

import pytest

from tests import ldap_server
from tests.browser.conftest import DESKTOP, Cast, LiveServer, expect, screenshot
from tests.ldap_server import SERVICE_DN, SERVICE_PASSWORD, Slapd

pytestmark = pytest.mark.browser

slapd = ldap_server.slapd  # the session's server (a fixture)
PHONE = {"width": 390, "height": 844}

TEXTS = {
    "en-US": {
        "nav": "LDAP / Active Directory",
        "save": "Save",
        "test": "Test connection",
        "found": "Connected. The filter finds 5 people.",
        "sync": "Sync now",
        "added": "added",
        "kept": "Set — leave empty to keep it",
    },
    "zh-CN": {
        "nav": "LDAP / AD 目录",
        "save": "保存",
        "test": "测试连接",
        "found": "连接成功。过滤器找到 5 人。",
        "sync": "立即同步",
        "added": "新增",
        "kept": "已设置，留空则不变",
    },
}


@pytest.mark.parametrize(("locale", "viewport"), [("en-US", DESKTOP), ("zh-CN", PHONE)])
async def test_an_owner_sets_up_tests_and_syncs_the_directory(
    cast: Cast, open_page, server: LiveServer, slapd: Slapd, locale: str, viewport: dict[str, int]
) -> None:
    server.settings.egress_allow_private = True  # the directory is on 127.0.0.1
    texts = TEXTS[locale]
    corp = slapd.company()
    owner = await cast.person("boss", "Boss")
    await owner.call("POST", "/orgs", json={"name": "湖畔科技"})
    page = await open_page("boss", locale=locale, viewport=viewport)
    await page.goto(page.url.split("#")[0] + "#/admin")
    await page.locator(".admin-nav").get_by_role("link", name=texts["nav"]).click()

    await page.locator("#ldap-url").fill(slapd.url)
    await page.locator("#ldap-bind-dn").fill(SERVICE_DN)
    await page.locator("#ldap-bind-password").fill(SERVICE_PASSWORD)
    await page.locator("#ldap-base-dn").fill(corp.base)
    await page.locator("#ldap-interval").fill("0")
    await page.locator("#ldap-login").check()
    await page.get_by_role("button", name=texts["save"], exact=True).click()
    # Saved: the password field is empty again and says one is kept.
    await expect(page.locator("#ldap-bind-password")).to_have_attribute("placeholder", texts["kept"])
    await expect(page.locator("#ldap-bind-password")).to_have_value("")
    assert SERVICE_PASSWORD not in await page.content()
    await page.locator("#ldap-url").scroll_into_view_if_needed()
    await screenshot(page, f"admin-ldap-form-{locale}")

    await page.locator("#ldap-test-user").fill("zhangsan")
    await page.locator("#ldap-test").click()
    await expect(page.locator("#ldap-test-result")).to_contain_text(texts["found"].replace("5", "1"))
    await expect(page.locator(".ldap-person")).to_contain_text("张三")
    await page.locator("#ldap-test-user").fill("")
    await page.locator("#ldap-test").click()
    await expect(page.locator("#ldap-test-result")).to_contain_text(texts["found"])

    await page.locator("#ldap-sync").click()
    added = page.locator('.ldap-count[data-count="added"]')
    await expect(added).to_contain_text("5")
    await expect(added).to_contain_text(texts["added"])
    await expect(page.locator('.ldap-count[data-count="departments_created"]')).to_contain_text("3")
    await page.locator("#ldap-sync").scroll_into_view_if_needed()
    await screenshot(page, f"admin-ldap-{locale}")

    # The departments page shows the units.
    await page.goto(page.url.split("#")[0] + "#/admin/departments")
    await expect(page.get_by_text("研发部").first).to_be_visible()
