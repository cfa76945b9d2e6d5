"""Signing up, logging in and out, devices, and surviving a server restart."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, Cast, LiveServer, expect, log_in, screenshot

pytestmark = pytest.mark.browser


async def test_sign_up_log_out_and_revoke_another_device(cast: Cast, open_page) -> None:
    page = await open_page(None)
    await expect(page.get_by_role("tab", name="Log in")).to_have_attribute("aria-selected", "true")
    await screenshot(page, "login")

    await page.get_by_role("tab", name="Sign up").click()
    await page.get_by_label("Username", exact=True).fill("newbie")
    await page.get_by_label("Name", exact=True).fill("Nina Park")
    await page.get_by_label("Password").fill("short")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("alert")).to_contain_text("stronger password")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.locator(".list-empty")).to_contain_text("No conversations yet")

    # A second device logs in; the first sees both and logs the other out.
    other = await open_page("newbie")
    await page.locator(".rail-item[href='#/settings']").click()
    await page.get_by_role("link", name="Devices").click()
    rows = page.locator(".session-row")
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="This device")).to_have_count(1)
    await screenshot(page, "settings-devices")
    await rows.filter(has_text="Log out device").get_by_role("button", name="Log out device").click()
    await page.get_by_role("dialog").get_by_role("button", name="Log out device").click()
    await expect(rows).to_have_count(1)
    await expect(other.locator("#f-login")).to_be_visible()
    await expect(other.locator(".login-notice")).to_be_visible()

    # Logging out here ends this session too; a reload stays logged out.
    await page.locator(".settings-logout").get_by_role("button", name="Log out").click()
    await expect(page.locator("#f-login")).to_be_visible()
    await page.reload()
    await expect(page.locator("#f-login")).to_be_visible()
    await log_in(page, "newbie")
    await expect(page.locator(".rail")).to_be_visible()


async def test_reconnects_after_a_restart_with_nothing_missing_or_twice(
    server: LiveServer, cast: Cast, open_page
) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    await cast.say(alice, conversation_id, "before the restart")
    page = await open_page("bob")
    await page.locator(".conv-item", has_text="Alice Chen").click()
    await expect(page.locator(".msg", has_text="before the restart")).to_have_count(1)
    banner = page.locator(".conn-banner")

    # The network goes away and comes back: what was said meanwhile shows up once.
    await page.context.set_offline(True)
    await expect(banner).to_be_visible()
    await cast.say(alice, conversation_id, "said while the network was down")
    await page.context.set_offline(False)
    await expect(banner).to_be_hidden(timeout=15_000)
    await expect(page.locator(".msg", has_text="said while the network was down")).to_have_count(1)

    await server.stop()
    await expect(banner).to_be_visible()
    await expect(banner).to_have_text("Connection lost. Reconnecting…")

    # Written while the server is away: shown at once, waiting in the outbox (a clock), and sent
    # by itself, once, when the server is back.
    composer = page.get_by_role("textbox", name="Message")
    await composer.fill("written while offline")
    await composer.press("Enter")
    waiting = page.locator(".msg.pending", has_text="written while offline")
    await expect(waiting.locator(".msg-status")).to_have_text("Waiting to send")
    await screenshot(page, "reconnecting")

    await server.start()
    for n in range(3):
        await cast.say(alice, conversation_id, f"missed message {n}")
    await expect(banner).to_be_hidden(timeout=15_000)
    for n in range(3):
        await expect(page.locator(".msg", has_text=f"missed message {n}")).to_have_count(1)
    await expect(page.locator(".msg", has_text="before the restart")).to_have_count(1)
    await expect(page.locator(".msg.pending")).to_have_count(0)
    await expect(page.locator(".msg.mine", has_text="written while offline")).to_have_count(1)
    await cast.say(alice, conversation_id, "after it was sent")
    await expect(page.locator(".msg", has_text="after it was sent")).to_have_count(1)

    history = await alice.call("GET", f"/conversations/{conversation_id}/messages")
    bodies = [message["body"] for message in history["messages"]]
    # The outbox and Alice raced after the restart: either may have come first.
    assert bodies[:2] == ["before the restart", "said while the network was down"]
    assert sorted(bodies[2:6]) == sorted(
        ["missed message 0", "missed message 1", "missed message 2", "written while offline"]
    )
    assert [b for b in bodies if b.startswith("missed")] == [f"missed message {n}" for n in range(3)]
    assert bodies[6:] == ["after it was sent"]
    assert await page.locator(".msg").count() == len(bodies)
