"""Friends in the browser (requests, accept, remarks) and sending images and files."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Cast, expect, png, screenshot

pytestmark = pytest.mark.browser


async def test_friend_request_accept_and_remark(cast: Cast, open_page) -> None:
    await cast.person("alice", "Alice Chen")
    await cast.person("bob", "Bob Li")
    a = await open_page("alice")
    b = await open_page("bob")

    await a.locator(".rail-item[href='#/contacts']").click()
    await a.get_by_role("link", name="Add friend").first.click()
    await a.get_by_label("Username, e-mail or phone").fill("bob")
    await a.get_by_role("button", name="Search").click()
    result = a.locator(".person-row", has_text="Bob Li")
    await result.get_by_role("button", name="Add").click()
    await expect(a.locator(".toast")).to_have_text("Friend request sent")

    # Bob's Contacts tab shows the request live; he accepts.
    contacts = b.locator(".rail-item[href='#/contacts']")
    await expect(contacts.locator(".badge")).to_have_text("1")
    await contacts.click()
    await b.get_by_role("link", name="Friend requests").click()
    request = b.locator(".person-row", has_text="Alice Chen")
    await expect(request).to_contain_text("Hi, I'm Alice Chen")
    await request.get_by_role("button", name="Accept").click()
    await expect(b.locator(".contact-list")).to_contain_text("Alice Chen")
    await expect(contacts.locator(".badge")).to_be_hidden()

    # Alice sees the new friend without reloading, and gives him a remark name.
    friend = a.locator(".contact-list .contact-item", has_text="Bob Li")
    await friend.click()
    await a.get_by_role("button", name="Set remark").click()
    await a.get_by_role("dialog").get_by_label("Remark name").fill("Bob (design)")
    await a.get_by_role("dialog").get_by_role("button", name="Save").click()
    await expect(a.locator(".contact-list")).to_contain_text("Bob (design)")
    await expect(a.locator(".profile-card")).to_contain_text("Name: Bob Li")
    await screenshot(a, "contacts")


async def test_images_and_files_are_sent_and_shown(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    await cast.direct(alice, bob)
    a = await open_page("alice")
    b = await open_page("bob")
    await a.locator(".conv-item", has_text="Bob Li").click()

    chooser = a.locator(".composer input[type=file]")
    await chooser.set_input_files(
        [
            {"name": "chart.png", "mimeType": "image/png", "buffer": png(480, 320)},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"minutes of the meeting\n"},
        ]
    )
    thumbnail = a.locator(".msg.mine .msg-image img")
    await expect(thumbnail).to_have_attribute("src", re.compile(r"^/api/v1/files/[^/]+/thumbnail$"))
    await expect(a.locator(".msg.mine .msg-file")).to_contain_text("notes.txt")

    await b.locator(".conv-item", has_text="Alice Chen").click()
    image = b.locator(".msg .msg-image img")
    await expect(image).to_be_visible()
    await b.wait_for_function(
        "() => [...document.querySelectorAll('.msg-image img')].some(i => i.complete && i.naturalWidth > 0)"
    )
    await expect(b.locator(".conv-item", has_text="Alice Chen").locator(".conv-preview")).to_contain_text(
        "[File]"
    )
    await b.locator(".msg .msg-image").click()
    lightbox = b.get_by_role("dialog", name="chart.png")
    await expect(lightbox.locator("img")).to_be_visible()
    await b.keyboard.press("Escape")
    await expect(lightbox).to_have_count(0)
    file_link = b.locator(".msg .msg-file")
    await expect(file_link).to_contain_text("notes.txt")
    download = await b.request.get(cast.server.url + (await file_link.get_attribute("href") or ""))
    assert await download.body() == b"minutes of the meeting\n"
    await screenshot(b, "conversation-files")
