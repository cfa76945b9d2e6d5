"""Chatting in the browser: two or three people, each in their own browser context."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Cast, Page, expect, png, screenshot

pytestmark = pytest.mark.browser


async def open_conversation(page: Page, title: str) -> None:
    # One click: the list keeps its rows while it updates, so a click is never lost to a re-render.
    await page.locator(".conv-item", has_text=title).click()
    await expect(page.locator(".conv-head-title")).to_have_text(title)


async def send(page: Page, text: str) -> None:
    composer = page.get_by_role("textbox", name="Message")
    await composer.fill(text)
    await composer.press("Enter")


async def test_a_message_typed_by_one_appears_for_the_other(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    a = await open_page("alice")
    b = await open_page("bob")

    # Alice starts the direct chat from her contacts.
    await a.locator(".rail-item[href='#/contacts']").click()
    await a.locator(".contact-list .contact-item", has_text="Bob Li").click()
    await a.get_by_role("button", name="Message").click()
    await send(a, "Hello Bob, lunch at noon?")
    await expect(a.locator(".msg.mine", has_text="Hello Bob")).to_have_count(1)
    await expect(a.locator(".msg.mine .msg-status")).to_have_text("Unread")

    # Bob's list shows it live: unread badge, preview, the count in the tab title.
    item = b.locator(".conv-item", has_text="Alice Chen")
    await expect(item.locator(".badge")).to_have_text("1")
    await expect(item.locator(".conv-preview")).to_have_text("Hello Bob, lunch at noon?")
    await expect(b).to_have_title("(1) lakeside")
    await item.click()
    await expect(b.locator(".msg", has_text="Hello Bob")).to_have_count(1)
    await expect(b).to_have_title("lakeside")
    await expect(item.locator(".badge")).to_have_count(0)

    # Alice sees it read; then Bob's typing and his answer reach her.
    await expect(a.locator(".msg.mine .msg-status")).to_have_text("Read")
    await b.get_by_role("textbox", name="Message").press_sequentially("Sure")
    await expect(a.locator(".conv-head-sub")).to_have_text("typing…")
    await b.get_by_role("textbox", name="Message").press("Shift+Enter")
    await b.get_by_role("textbox", name="Message").press_sequentially("see you there")
    await b.get_by_role("textbox", name="Message").press("Enter")
    answer = a.locator(".msg:not(.mine)", has_text="see you there")
    await expect(answer).to_have_count(1)
    assert (await answer.locator(".msg-text").inner_text()) == "Sure\nsee you there"
    await expect(a.locator(".conv-head-sub")).not_to_have_text("typing…")
    await screenshot(a, "conversation-direct")


async def test_group_unread_count_falls_as_members_read(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    carol = await cast.person("carol", "Carol Wu")
    david = await cast.person("david", "David Wang")
    await cast.befriend(alice, bob)
    await cast.befriend(alice, carol)
    await cast.befriend(alice, david)
    await cast.befriend(david, carol)
    # Other conversations, so the list looks like a working day.
    direct = await cast.direct(david, alice)
    await cast.say(david, direct, "Can you review the pricing page before 5pm?")
    design = await cast.group(david, "Design review", alice, carol)
    await cast.say(carol, design, "Uploaded the new onboarding mockups")
    await cast.say(david, design, "**Agenda**\n1. Onboarding\n2. Empty states\n3. Dark mode", kind="markdown")
    a = await open_page("alice")

    # Alice makes the group in the page.
    await a.get_by_role("button", name="New").click()
    await a.get_by_role("menuitem", name="New group").click()
    await a.get_by_label("Group name").fill("Launch crew")
    await a.locator(".picker-row", has_text="Bob Li").click()
    await a.locator(".picker-row", has_text="Carol Wu").click()
    await a.get_by_role("button", name="Create group").click()
    await expect(a.locator(".conv-head-title")).to_have_text("Launch crew")
    await expect(a.locator(".msg-system")).to_have_text("You created the group “Launch crew”")

    # An @mention chosen from the autocomplete.
    composer = a.get_by_role("textbox", name="Message")
    await composer.press_sequentially("@bo")
    await expect(a.get_by_role("option", name="Bob Li")).to_be_visible()
    await composer.press("Enter")
    # Picked by name: the text says @Bob Li, the send carries his id (DingTalk's way).
    await expect(composer).to_have_value("@Bob Li ")
    await composer.press_sequentially("standup at 10 in room 3")
    await composer.press("Enter")
    mine = a.locator(".msg.mine", has_text="standup at 10")
    await expect(mine.locator(".mention")).to_have_text("@Bob Li")
    receipt = mine.locator(".receipt")
    await expect(receipt).to_have_text("2 unread")

    b = await open_page("bob")
    await open_conversation(b, "Launch crew")
    await expect(b.locator(".msg", has_text="standup at 10").locator(".mention-me")).to_have_text("@Bob Li")
    await expect(receipt).to_have_text("1 unread")

    c = await open_page("carol")
    await open_conversation(c, "Launch crew")
    await expect(receipt).to_have_text("All read")

    # Who has read it.
    await receipt.click()
    popover = a.get_by_role("dialog", name="Read receipts")
    await expect(popover.get_by_role("tab", name="Unread (0)")).to_be_visible()
    await popover.get_by_role("tab", name="Read (2)").click()
    await expect(popover.locator(".receipt-person")).to_have_count(2)
    await a.keyboard.press("Escape")
    await expect(popover).to_have_count(0)

    # Bob reacts and replies with a quote; Alice sees both live.
    message = b.locator(".msg", has_text="standup at 10")
    await message.hover()
    await message.get_by_role("button", name="Add reaction").click()
    await b.get_by_role("button", name="👍").click()
    await expect(mine.locator(".reaction")).to_have_text("👍1")
    await message.hover()
    await message.get_by_role("button", name="Reply").click()
    await expect(b.locator(".composer-context")).to_contain_text("Replying to Alice Chen")
    await send(b, "I'll bring the slides")
    reply = a.locator(".msg", has_text="I'll bring the slides")
    await expect(reply.locator(".msg-quote")).to_contain_text("standup at 10")
    await expect(a.locator(".conv-item.active .badge")).to_have_count(0)
    await screenshot(a, "conversation-group")

    # Managing the group: the owner makes Bob an admin and renames it; Bob sees both live.
    await a.get_by_role("button", name="Details").click()
    panel = a.get_by_role("complementary", name="Details")
    await expect(panel.locator(".member-row", has_text="Alice Chen")).to_contain_text("Owner")
    await panel.get_by_role("button", name="Options for Bob Li").click()
    await a.get_by_role("menuitem", name="Make admin").click()
    await expect(panel.locator(".member-row", has_text="Bob Li")).to_contain_text("Admin")
    async with a.expect_file_chooser() as chooser:
        await panel.get_by_role("button", name="Change group photo").click()
    await (await chooser.value).set_files(
        [{"name": "team.png", "mimeType": "image/png", "buffer": png(96, 96)}]
    )
    await b.wait_for_function(
        "() => { const i = document.querySelector('.conv-head-avatar img'); return i && i.naturalWidth > 0 }"
    )
    await screenshot(a, "group-details")
    await panel.get_by_role("button", name="Rename group").click()
    await a.get_by_role("dialog").get_by_label("Group name").fill("Launch crew 🚀")
    await a.get_by_role("dialog").get_by_role("button", name="Save").click()
    await expect(b.locator(".conv-head-title")).to_have_text("Launch crew 🚀")
    await expect(b.locator(".msg-system").last).to_have_text(
        "Alice Chen renamed the group to “Launch crew 🚀”"
    )
    await a.keyboard.press("Escape")
    await expect(panel).to_be_hidden()


async def test_recall_leaves_a_tombstone_for_everyone(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    await cast.say(bob, conversation_id, "Morning!")
    a = await open_page("alice")
    b = await open_page("bob")
    await open_conversation(a, "Bob Li")
    await open_conversation(b, "Alice Chen")

    # Pin and mute from the list's menu.
    bob_item = a.locator(".conv-li", has_text="Bob Li")
    await bob_item.click(button="right")
    await a.get_by_role("menuitem", name="Pin to top").click()
    await expect(bob_item.locator(".conv-item")).to_have_class(re.compile(r"\bpinned\b"))
    await bob_item.click(button="right")
    await a.get_by_role("menuitem", name="Mute notifications").click()
    await expect(bob_item.locator(".conv-muted")).to_be_visible()

    # Edit: the other side sees the new text, marked edited.
    await send(a, "see you at 3")
    await expect(b.locator(".msg", has_text="see you at 3")).to_have_count(1)
    edited = a.locator(".msg.mine", has_text="see you at 3")
    await edited.hover()
    await edited.get_by_role("button", name="More").click()
    await a.get_by_role("menuitem", name="Edit").click()
    await expect(a.locator(".composer-context")).to_contain_text("Editing message")
    await a.get_by_role("textbox", name="Message").fill("see you at 4")
    await a.get_by_role("textbox", name="Message").press("Enter")
    await expect(b.locator(".msg", has_text="see you at 4")).to_contain_text("(edited)")
    await expect(b.get_by_text("see you at 3")).to_have_count(0)

    await send(a, "the password is hunter2")
    await expect(b.locator(".msg", has_text="hunter2")).to_have_count(1)
    message = a.locator(".msg.mine", has_text="hunter2")
    await message.hover()
    await message.get_by_role("button", name="More").click()
    await a.get_by_role("menuitem", name="Recall").click()

    await expect(a.locator(".msg-recalled")).to_have_text("You recalled a message")
    await expect(b.locator(".msg-recalled")).to_have_text("Alice Chen recalled a message")
    await expect(b.get_by_text("hunter2")).to_have_count(0)
    await expect(b.locator(".conv-item", has_text="Alice Chen").locator(".conv-preview")).to_have_text(
        "Alice Chen recalled a message"
    )


async def test_hostile_text_is_shown_as_text(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    await cast.direct(alice, bob)
    a = await open_page("alice")
    b = await open_page("bob")
    await open_conversation(a, "Bob Li")

    plain = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>"]
    for text in plain:
        await send(a, text)
    await send(a, "**bold** <img src=x onerror=alert(3)> [click](javascript:alert(4))")
    await open_conversation(b, "Alice Chen")

    for text in plain:
        shown = b.locator(".msg .msg-text", has_text=text)
        await expect(shown).to_have_count(1)
        assert await shown.inner_text() == text
    markdown = b.locator(".msg .md")
    await expect(markdown.locator("strong")).to_have_text("bold")
    await expect(markdown).to_contain_text("<img src=x onerror=alert(3)>")
    assert await b.locator(".msg-inner img").count() == 0
    assert await b.locator(".msg-inner script").count() == 0
    assert await b.locator("a[href^='javascript']").count() == 0
    assert await b.evaluate("() => document.querySelectorAll('[onerror], [onclick], [onload]').length") == 0
    await expect(b.locator(".conv-item", has_text="Alice Chen").locator(".conv-preview")).to_contain_text(
        "bold"
    )

    page = await cast.http.get("/")
    policy = page.headers["content-security-policy"]
    # Scripts from the server only; the one inline script allowed is the import map, by its hash.
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/]+=*';", policy)
    assert "unsafe-inline" not in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


async def test_history_loads_when_scrolling_up(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    conversation_id = await cast.direct(alice, bob)
    for n in range(90):
        await cast.say(bob if n % 3 else alice, conversation_id, f"history line {n}")
    page = await open_page("alice")
    await open_conversation(page, "Bob Li")
    await expect(page.locator(".msg", has_text="history line 89")).to_be_visible()
    assert await page.locator(".msg").count() < 90

    for _ in range(10):
        if await page.locator(".msg-top", has_text="beginning of the conversation").count():
            break
        await page.locator(".msg-scroll").evaluate("el => { el.scrollTop = 0; }")
        await page.wait_for_timeout(200)
    await expect(page.locator(".msg-top")).to_have_text("This is the beginning of the conversation")
    await expect(page.locator(".msg")).to_have_count(90)
    texts = await page.locator(".msg .msg-text").all_inner_texts()
    assert texts == [f"history line {n}" for n in range(90)]
