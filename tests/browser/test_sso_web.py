"""Single sign-on in the browser, in Chinese and English: the log-in page shows the provider's
button; clicking it goes to a real OpenID provider (tests/oidc/provider.mjs), logging in there
lands in the app, and Settings → Linked accounts lists the identity. A refused sign-in comes back
to the log-in page with its reason."""

from __future__ import annotations

import pytest

from lakeside.config import OidcProviderSetting
from tests.browser.conftest import Cast, LiveServer, expect, screenshot
from tests.oidc.providers import RealProvider, idp

pytestmark = pytest.mark.browser
__all__ = ["idp"]

SECRET = "a-browser-client-secret-long-enough-to-pass"
WORDS = {
    "zh-CN": {"button": "使用 Keycloak 登录", "page": "关联账号", "unlink": "解除关联",
              "refused": "已有账号使用该邮箱"},
    "en-US": {"button": "Log in with Keycloak", "page": "Linked accounts", "unlink": "Unlink",
              "refused": "An account with this e-mail address exists"},
}  # fmt: skip


async def configure(server: LiveServer, idp: RealProvider) -> None:
    server.settings.public_url = server.url
    server.settings.oidc_providers = [
        OidcProviderSetting(
            key="corp",
            display_name="Keycloak",
            issuer=idp.issuer,
            client_id="lakeside-web",
            client_secret=SECRET,
        )
    ]
    await idp.add_client("lakeside-web", SECRET, [f"{server.url}/api/v1/auth/oidc/corp/callback"])


async def log_in_at_provider(page, login: str) -> None:
    form = page.locator("form:has(input[name=login])")
    await form.locator("input[name=login]").fill(login)
    await form.locator("input[name=password]").fill("anything")
    await form.locator("button[type=submit]").click()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_log_in_with_the_company_provider(
    cast: Cast, server: LiveServer, idp: RealProvider, open_page, locale: str
) -> None:
    words = WORDS[locale]
    await configure(server, idp)
    sub = f"web-{locale}"
    await idp.set_accounts({sub: {"name": "陈小湖", "preferred_username": f"lake-{locale.lower()}"}})
    page = await open_page(None, locale=locale)
    button = page.get_by_role("link", name=words["button"])
    await expect(button).to_be_visible()
    await screenshot(page, f"sso-login-{locale}")
    await button.click()
    await page.wait_for_url(f"{idp.issuer}/**")
    await log_in_at_provider(page, sub)
    await page.locator(".shell").wait_for()
    assert page.url.startswith(server.url)

    await page.goto(server.url + "/#/settings/accounts")
    row = page.locator(".sso-identity[data-provider=corp]")
    await expect(row).to_contain_text("Keycloak")
    await expect(row).to_contain_text("陈小湖")
    # Made by single sign-on, without a password: the only identity cannot be unlinked.
    await expect(row.get_by_role("button", name=words["unlink"])).to_be_disabled()
    await expect(page.get_by_role("heading", name=words["page"])).to_be_visible()
    await screenshot(page, f"sso-linked-accounts-{locale}")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_a_refused_sign_in_says_why(
    cast: Cast, server: LiveServer, idp: RealProvider, open_page, locale: str
) -> None:
    words = WORDS[locale]
    await configure(server, idp)
    lisi = await cast.person("lisi", "李四")
    await lisi.call("PATCH", "/me", json={"email": "li.si@corp.example"})  # typed, never proved
    sub = f"refused-{locale}"
    await idp.set_accounts({sub: {"email": "li.si@corp.example", "email_verified": True}})
    page = await open_page(None, locale=locale)
    await page.get_by_role("link", name=words["button"]).click()
    await page.wait_for_url(f"{idp.issuer}/**")
    await log_in_at_provider(page, sub)
    await expect(page.locator(".login-card .form-error")).to_contain_text(words["refused"])
    await expect(page.get_by_role("link", name=words["button"])).to_be_visible()
    await screenshot(page, f"sso-refused-{locale}")


ADMIN_WORDS = {
    "zh-CN": {"name": "按钮上的名称", "issuer": "Issuer 地址", "client": "客户端 ID", "secret": "客户端密钥",
              "add": "添加", "button": "使用 湖畔身份 登录"},
    "en-US": {"name": "Name on the button", "issuer": "Issuer URL", "client": "Client ID",
              "secret": "Client secret", "add": "Add provider", "button": "Log in with 湖畔身份"},
}  # fmt: skip


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_an_admin_adds_the_organizations_provider_and_a_newcomer_joins_through_it(
    cast: Cast, server: LiveServer, idp: RealProvider, browser, open_page, locale: str
) -> None:
    words = ADMIN_WORDS[locale]
    server.settings.public_url = server.url
    server.settings.egress_allow_private = True  # the provider listens on 127.0.0.1
    owner = await cast.person("zhangsan", "张三")
    org = await owner.call("POST", "/orgs", json={"name": "湖畔科技"})
    page = await open_page("zhangsan", locale=locale)
    await page.goto(server.url + "/#/admin/sso")
    await page.get_by_label(words["name"], exact=True).fill("湖畔身份")
    await page.get_by_label(words["issuer"]).fill(idp.issuer)
    await page.get_by_label(words["client"]).fill("lakeside-org")
    await page.get_by_label(words["secret"], exact=True).fill(SECRET)
    await page.get_by_role("button", name=words["add"], exact=True).click()
    card = page.locator(".sso-provider")
    await expect(card).to_contain_text("湖畔身份")
    redirect_uri = await card.locator(".sso-code").inner_text()
    assert redirect_uri.startswith(f"{server.url}/api/v1/auth/oidc/org-")
    await screenshot(page, f"sso-admin-{locale}")
    (stored,) = await owner.call("GET", f"/orgs/{org['id']}/sso/providers")
    assert stored["client_secret_set"] and SECRET not in str(stored)
    await idp.add_client("lakeside-org", SECRET, [redirect_uri])

    # A newcomer opens the organization's log-in link and signs in with the company account.
    sub = f"newcomer-{locale}"
    await idp.set_accounts({sub: {"name": "新同事", "preferred_username": f"new-{locale.lower()}"}})
    context = await browser.new_context(locale=locale)
    try:
        newcomer = await context.new_page()
        await newcomer.goto(f"{server.url}/?org={org['id']}")
        await newcomer.get_by_role("link", name=words["button"]).click()
        await newcomer.wait_for_url(f"{idp.issuer}/**")
        await log_in_at_provider(newcomer, sub)
        await newcomer.locator(".shell").wait_for()
        mine = await context.request.get(f"{server.url}/api/v1/orgs")
        assert [o["id"] for o in await mine.json()] == [org["id"]]
    finally:
        await context.close()
