"""Settings → Bots and slash commands in the composer, in Chinese and English: a person makes a
bot, adds it to their group, gives it a command, issues a token (shown once, it works) and revokes
it (it stops); in the group, typing / offers the command, sending it reaches the bot alone (no
message in the chat), and the bot's answer for the invoker alone shows in the timeline, to them
alone, until dismissed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import Cast, LiveServer, expect

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/lakeside-bots-shots")
WORDS = {
    "zh-CN": {"create": "创建机器人", "add": "加入", "save": "保存", "issue": "生成令牌", "revoke": "撤销",
              "once": "只显示这一次", "invoked": "只有机器人能看到", "mine": "仅你可见",
              "dismiss": "关闭"},
    "en-US": {"create": "Create bot", "add": "Add", "save": "Save", "issue": "Issue token",
              "revoke": "Revoke", "once": "shown only this once", "invoked": "only the bot sees it",
              "mine": "Only visible to you", "dismiss": "Dismiss"},
}  # fmt: skip


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
async def test_make_a_bot_issue_and_revoke_a_token_and_use_its_command(
    cast: Cast, server: LiveServer, open_page, locale: str
) -> None:
    words = WORDS[locale]
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    lisi = await cast.person("lisi", "李四")
    wangwu = await cast.person("wangwu", "王五")
    await cast.befriend(lisi, wangwu)
    group = await cast.group(lisi, "运维群", wangwu)

    page = await open_page("lisi", locale=locale)
    await page.goto(server.url + "/#/settings/bots")
    await page.locator("input[name=bot-name]").fill("值班机器人")
    await page.locator("input[name=bot-description]").fill("/oncall")
    await page.get_by_role("button", name=words["create"]).click()
    card = page.locator(".bot-card")
    await expect(card).to_have_count(1)
    bot_id = int(await card.get_attribute("data-bot-id") or 0)

    await card.locator(".bot-section").first.locator("select").select_option(str(group))
    await card.get_by_role("button", name=words["add"], exact=True).click()
    await expect(page.locator(".bot-card .bot-section .session-row").first).to_contain_text("运维群")

    command = page.locator(".bot-card .bot-command").first
    await command.locator("[name=name]").fill("oncall")
    await command.locator("[name=usage]").fill("[team]")
    await command.locator("[name=description]").fill("今天谁值班")
    await page.locator(".bot-card").get_by_role("button", name=words["save"], exact=True).click()
    await expect(page.locator(".bot-card .bot-command [name=name]").first).to_have_value("oncall")

    await page.locator(".bot-card").get_by_role("button", name=words["issue"]).click()
    secret_box = page.locator(".bot-token-value")
    await expect(secret_box).to_be_visible()
    await expect(page.locator(".bot-secret")).to_contain_text(words["once"])
    secret = await secret_box.input_value()
    assert secret.startswith("lsb_") and len(secret) == 47
    await expect(page.locator(".bot-token")).to_have_count(1)
    await page.locator(".bot-card").screenshot(path=str(SHOTS / f"bots-{locale}.png"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = {"Authorization": f"Bearer {secret}"}
        assert (await http.get("/api/v1/me", headers=headers)).json()["id"] == bot_id

        await page.locator(".bot-token").get_by_role("button", name=words["revoke"]).click()
        await page.locator(".modal").get_by_role("button", name=words["revoke"]).click()
        await expect(page.locator(".bot-token")).to_have_count(0)
        refused = await http.get("/api/v1/me", headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "TOKEN_INVALID"

        # The bot listens with a token made over the API; in the group, / offers its command.
        issued = await lisi.call(
            "POST", f"/bots/{bot_id}/tokens", json={"scopes": ["events:read", "messages:write"]}
        )
        bot = {"Authorization": f"Bearer {issued['token']}"}
        since = (await http.get("/api/v1/sync", headers=bot)).json()["position"]
        await page.goto(server.url + f"/#/chats/{group}")
        composer = page.locator(".composer-input")
        await composer.fill("/")
        options = page.locator(".command-list .command-option")
        await expect(options).to_have_count(1)
        await expect(options.first).to_contain_text("/oncall [team]")
        await page.screenshot(path=str(SHOTS / f"picker-{locale}.png"))
        await composer.press("Enter")
        await expect(composer).to_have_value("/oncall ")
        await composer.press_sequentially("后端")
        await composer.press("Enter")
        await expect(page.locator(".toast").filter(has_text=words["invoked"])).to_be_visible()
        await expect(composer).to_have_value("")
        events = (await http.get("/api/v1/sync", headers=bot, params={"since": since})).json()["events"]
        invoked = [e for e in events if (e["type"], e["op"]) == ("command", "invoked")]
        assert [e["data"]["args"] for e in invoked] == ["后端"]
        history = await lisi.call("GET", f"/conversations/{group}/messages")
        assert not [m for m in history["messages"] if "/oncall" in m["body"]]

        answer = await http.post(
            f"/api/v1/commands/{invoked[0]['data']['invocation_id']}/reply",
            headers=bot,
            json={"text": "王五值班", "ephemeral": True},
        )
        assert answer.status_code == 200, answer.text
        # The answer is a line in the timeline that only the invoker sees, under the bot's name.
        note = page.get_by_role("log").get_by_role("note").filter(has_text="王五值班")
        await expect(note).to_be_visible()
        await expect(note).to_contain_text(words["mine"])
        await expect(note).to_contain_text("/oncall")
        await page.screenshot(path=str(SHOTS / f"reply-{locale}.png"))
        await note.get_by_role("button", name=words["dismiss"]).click()
        await expect(note).to_have_count(0)
