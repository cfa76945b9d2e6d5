"""Settings → Privacy in Chinese and English: an export is requested, turns ready live (the
`export.updated` event) and downloads as a zip; deleting the account asks for the password, then
the page is logged out and says the account is deleted; others then see 已注销用户 / Deleted user."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import pytest

from tests.browser.conftest import Cast, LiveServer, expect
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/lakeside-privacy-shots")
WORDS = {
    "zh-CN": {"request": "申请导出", "ready": "可下载", "download": "下载", "delete": "注销我的账号",
              "deleted": "你的账号已注销", "wrong": "密码", "gone": "已注销用户"},
    "en-US": {"request": "Request an export", "ready": "Ready", "download": "Download",
              "delete": "Delete my account", "deleted": "Your account has been deleted", "wrong": "password",
              "gone": "Deleted user"},
}  # fmt: skip


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_export_then_delete_the_account(cast: Cast, server: LiveServer, open_page, locale: str) -> None:
    words = WORDS[locale]
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    lisi = await cast.person("lisi", "李四")
    wangwu = await cast.person("wangwu", "王五")
    await cast.befriend(lisi, wangwu)
    chat = await cast.direct(lisi, wangwu)
    await cast.say(lisi, chat, "出发前带上雨伞")

    page = await open_page("lisi", locale=locale)
    await page.goto(server.url + "/#/settings/privacy")
    await page.get_by_role("button", name=words["request"]).click()
    ready = page.locator(".export-row[data-status=ready]")
    await expect(ready).to_be_visible()
    await page.screenshot(path=str(SHOTS / f"privacy-{locale}.png"), full_page=True)
    async with page.expect_download() as waiting:
        await ready.get_by_role("link", name=words["download"]).click()
    download = await waiting.value
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert "出发前带上雨伞" in archive.read("messages.json").decode()

    # A wrong password is refused in place; the right one ends the session.
    await page.locator("#delete-password").fill("not my password")
    await page.get_by_role("button", name=words["delete"]).click()
    await page.locator(".modal").get_by_role("button", name=words["delete"]).click()
    await expect(page.locator(".danger-zone .form-error")).not_to_be_empty()
    await page.locator("#delete-password").fill(PASSWORD)
    await page.get_by_role("button", name=words["delete"]).click()
    await page.locator(".modal").get_by_role("button", name=words["delete"]).click()
    await expect(page.locator(".login-notice")).to_contain_text(words["deleted"])
    await page.screenshot(path=str(SHOTS / f"deleted-{locale}.png"))

    other = await open_page("wangwu", locale=locale)
    await other.goto(server.url + f"/#/chats/{chat}")
    await expect(other.get_by_text(words["gone"]).first).to_be_visible()
