"""Found walking through the integrations as a newcomer (zh-CN and English): a refused callback URL
told in the reader's language, the outgoing-robot dialog named for what it adds, and the bots page
hint without markdown backticks shown as text."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import Cast, expect, screenshot
from tests.browser.test_chat import open_conversation

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(
    ("locale", "details", "title", "url_label", "create", "refused"),
    [
        ("zh-CN", "聊天信息", "添加外发机器人", "回调地址", "添加机器人", "地址无效：请填写以 https:// 开头"),
        (
            "en-US",
            "Details",
            "Add an outgoing robot",
            "Callback URL",
            "Add robot",
            "That address is not accepted",
        ),
    ],
)
async def test_a_refused_callback_url_is_told_in_the_readers_language(
    cast: Cast, open_page, locale: str, details: str, title: str, url_label: str, create: str, refused: str
) -> None:
    alice = await cast.person("alice", "Alice Chen")
    await cast.group(alice, "Ops room")
    page = await open_page("alice", locale=locale)
    await open_conversation(page, "Ops room")
    await page.get_by_role("button", name=details).click()
    section = page.get_by_role("complementary", name=details).locator(".outgoing-robots")
    await section.get_by_role("button").first.click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_role("heading", name=title)).to_be_visible()
    await dialog.locator("#outgoing-name").fill("Weather")
    # Private addresses and plain http are refused unless the operator allows them.
    await dialog.get_by_label(url_label).fill("http://127.0.0.1:9/weather")
    await dialog.get_by_role("button", name=create).click()
    toast = page.locator(".toast-error")
    await expect(toast).to_contain_text(refused)
    await expect(toast).not_to_contain_text("The callback URL must use")
    await expect(dialog.get_by_label(url_label)).to_have_value("http://127.0.0.1:9/weather")
    await screenshot(page, f"walk-outgoing-refused-{locale}")


@pytest.mark.parametrize(("locale", "heading"), [("zh-CN", "机器人"), ("en-US", "Bots")])
async def test_the_bots_page_hint_shows_no_markdown_backticks(
    cast: Cast, open_page, server, locale: str, heading: str
) -> None:
    await cast.person("alice", "Alice Chen")
    page = await open_page("alice", locale=locale, viewport=PHONE)
    await page.goto(server.url + "/#/settings/bots")
    hint = page.locator(".page-hint").first
    await expect(hint).to_contain_text("lakeside send")
    assert "`" not in await hint.inner_text()
    await screenshot(page, f"walk-bots-hint-{locale}")


async def test_a_bots_answer_for_the_invoker_alone_keeps_its_lines(cast: Cast, open_page, server) -> None:
    """examples/oncall_bot.py's /roster answers in several lines; the note showed them run together."""
    lisi = await cast.person("lisi", "李四")
    group = await cast.group(lisi, "运维群")
    bot_id = (await lisi.call("POST", "/bots", json={"display_name": "值班机器人"}))["id"]
    await lisi.call("POST", f"/bots/{bot_id}/groups", json={"conversation_id": group})
    await lisi.call("PUT", f"/bots/{bot_id}/commands", json={"commands": [{"name": "roster"}]})
    issued = await lisi.call(
        "POST", f"/bots/{bot_id}/tokens", json={"scopes": ["events:read", "messages:write"]}
    )
    bot = {"Authorization": f"Bearer {issued['token']}"}
    page = await open_page("lisi", locale="zh-CN", viewport=PHONE)
    async with httpx.AsyncClient(base_url=server.url) as http:
        since = (await http.get("/api/v1/sync", headers=bot)).json()["position"]
        await page.goto(server.url + f"/#/chats/{group}")
        composer = page.locator(".composer-input")
        await composer.fill("/")
        await expect(page.locator(".command-list .command-option")).to_have_count(1)
        await composer.press("Enter")  # picks /roster
        await expect(composer).to_have_value("/roster ")
        await composer.press("Enter")
        await expect(composer).to_have_value("")
        events = (await http.get("/api/v1/sync", headers=bot, params={"since": since})).json()["events"]
        invoked = [e for e in events if (e["type"], e["op"]) == ("command", "invoked")]
        assert len(invoked) == 1
        answer = await http.post(
            f"/api/v1/commands/{invoked[0]['data']['invocation_id']}/reply",
            headers=bot,
            json={"text": "本周值班表：\n后端：周一 王五\n前端：周一 Alice", "ephemeral": True},
        )
        assert answer.status_code == 200, answer.text
    note = page.get_by_role("log").get_by_role("note").filter(has_text="本周值班表")
    await expect(note).to_be_visible()
    assert "后端：周一 王五\n前端：周一 Alice" in await note.inner_text()
    await screenshot(page, "walk-ephemeral-lines")
