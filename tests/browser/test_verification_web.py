"""The settings page tells proved addresses from unproved ones and proves them: the phone by a
texted code typed in, the e-mail address by following the e-mailed link — in Chinese and English."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, LiveServer, expect
from tests.contact_proofs import contact_channels

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"unverified": "未验证", "verified": "已验证", "verify": "验证", "confirm": "确认",
              "code": "验证码"},
    "en-US": {"unverified": "Not verified", "verified": "Verified", "verify": "Verify", "confirm": "Confirm",
              "code": "Code"},
}  # fmt: skip


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_settings_show_and_prove_the_addresses(
    cast: Cast, server: LiveServer, open_page, locale: str
) -> None:
    words = WORDS[locale]
    async with contact_channels(server.settings) as proofs:
        lisi = await cast.person("lisi", "李四")
        await lisi.call("PATCH", "/me", json={"email": "lisi@example.com", "phone": "+8613900000011"})
        page = await open_page("lisi", locale=locale)
        await page.goto(server.url + "/#/settings/profile")
        email_row, phone_row = (
            page.locator(".proof-row[data-channel=email]"),
            page.locator(".proof-row[data-channel=phone]"),
        )
        await expect(email_row.locator(".role-tag")).to_have_text(words["unverified"])
        await expect(phone_row.locator(".role-tag")).to_have_text(words["unverified"])

        # The phone: a code is texted; typing it proves the number.
        await phone_row.get_by_role("button", name=words["verify"], exact=True).click()
        await expect(phone_row.get_by_placeholder(words["code"])).to_be_visible()
        await phone_row.get_by_placeholder(words["code"]).fill(proofs.code("+8613900000011"))
        await phone_row.get_by_role("button", name=words["confirm"]).click()
        await expect(page.locator(".proof-row[data-channel=phone] .role-tag")).to_have_text(words["verified"])
        await expect(page.locator(".proof-row[data-channel=email] .role-tag")).to_have_text(
            words["unverified"]
        )

        # The e-mail address: the link from the e-mail opens the settings and proves it.
        await (
            page.locator(".proof-row[data-channel=email]").get_by_role("button", name=words["verify"]).click()
        )
        await expect(page.locator(".toast", has_text="lisi@example.com")).to_be_visible()
        token = proofs.link_token("lisi@example.com")
        await page.goto(server.url + f"/#/settings/profile?verify_email={token}")
        await expect(page.locator(".proof-row[data-channel=email] .role-tag")).to_have_text(words["verified"])
        me = await lisi.call("GET", "/me")
        assert me["email_verified"] and me["phone_verified"]
