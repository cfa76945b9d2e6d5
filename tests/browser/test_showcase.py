"""A working day in one picture: a busy workspace renders every kind of message correctly.

Its screenshot, artifacts/screenshots/workspace.png, is the one the README shows (docs/screenshot.png).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from tests.browser.conftest import Cast, Member, expect, screenshot

pytestmark = pytest.mark.browser


def chart_png() -> bytes:
    image = Image.new("RGB", (640, 360), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for x in range(40, 620, 60):
        draw.line([(x, 30), (x, 320)], fill=(235, 238, 242))
    bars = [120, 160, 150, 210, 240, 300, 280, 330]
    for n, value in enumerate(bars):
        left = 60 + n * 70
        draw.rectangle([left, 330 - value, left + 40, 330], fill=(22, 119, 255) if n < 6 else (0, 181, 120))
    draw.line([(40, 330), (620, 330)], fill=(143, 149, 158), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def upload(member: Member, data: bytes, name: str) -> str:
    files = {"file": (name, data, "image/png")}
    return str((await member.call("POST", "/files", files=files))["id"])


async def test_a_busy_workspace(cast: Cast, open_page) -> None:
    names = {
        "alice": "Alice Chen",
        "bob": "Bob Li",
        "carol": "Carol Wu",
        "david": "David Wang",
        "emily": "Emily Zhang",
        "frank": "Frank Zhou",
    }
    people = {username: await cast.person(username, name) for username, name in names.items()}
    alice, bob, carol, david, emily, frank = people.values()
    everyone = list(people.values())
    for i, a in enumerate(everyone):
        for b in everyone[i + 1 :]:
            await cast.befriend(a, b)

    design = await cast.group(carol, "Design review", alice, emily)
    for n in range(3):
        await cast.say(carol, design, f"Mockup round {n + 1} uploaded")
    await alice.call("PUT", f"/conversations/{design}/settings", json={"muted": True})
    await cast.say(emily, design, "Dark mode colours are in Figma")
    with_frank = await cast.direct(frank, alice)
    await cast.say(frank, with_frank, "Thanks for the intro to the Hangzhou team!")
    await cast.say(alice, with_frank, "Anytime. They loved the demo.")
    with_bob = await cast.direct(bob, alice)
    await cast.say(bob, with_bob, "Lunch at the noodle place?")
    await cast.say(bob, with_bob, "I'll book a table for 12:30")
    with_david = await cast.direct(david, alice)
    await cast.say(david, with_david, "Board deck is ready for review")
    await alice.call("PUT", f"/conversations/{with_david}/settings", json={"pinned": True})

    launch = await cast.group(david, "Lakeside launch", alice, bob, carol, emily)
    checklist = await cast.say(
        david,
        launch,
        "**Launch checklist for Friday**\n1. Final QA pass on staging\n2. Release notes\n"
        "3. Run `lakeside migrate` on production",
        kind="markdown",
    )
    await cast.say(carol, launch, "QA is green on staging. Two minor copy fixes left.")
    for who in (alice, bob, emily):
        await who.call("PUT", f"/messages/{checklist['id']}/reactions/%E2%99%A5")
    await bob.call("PUT", f"/messages/{checklist['id']}/reactions/%E2%9C%94")
    await bob.call(
        "POST",
        f"/conversations/{launch}/messages",
        json={
            "client_msg_id": "bob-notes",
            "body": "I'll take the release notes",
            "reply_to_id": checklist["id"],
        },
    )
    file_id = await upload(emily, chart_png(), "signups.png")
    await emily.call(
        "POST",
        f"/conversations/{launch}/messages",
        json={"client_msg_id": "emily-chart", "kind": "image", "file_id": file_id},
    )
    await cast.say(emily, launch, "Beta sign-ups this week, up 38% on last week")
    mine = await cast.say(alice, launch, "Great work everyone. Demo at 3pm in Room 4, I'll bring coffee")
    await bob.call("POST", f"/conversations/{launch}/read", json={"seq": mine["seq"]})
    # David has read it too: sending moves his read cursor past it. Carol and Emily have not.
    await cast.say(david, launch, "@alice can you share the deck before the demo?")

    page = await open_page("alice", viewport={"width": 1440, "height": 900})
    await page.locator(".conv-item", has_text="Lakeside launch").click()
    conversation = page.locator(".msg-inner")
    await expect(conversation.locator(".md ol li")).to_have_count(3)
    await expect(conversation.locator(".md code")).to_have_text("lakeside migrate")
    await expect(conversation.locator(".reaction")).to_have_count(2)
    await expect(conversation.locator(".msg-quote")).to_contain_text("Launch checklist")
    await expect(page.locator(".msg.mine .receipt")).to_have_text("2 unread")
    await expect(conversation.locator(".mention-me")).to_have_text("@alice")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.msg-image img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    await expect(page.locator(".conv-li").first).to_contain_text("David Wang")  # pinned
    await expect(page.locator(".conv-item", has_text="Design review").locator(".badge-muted")).to_have_text(
        "5"
    )
    await page.mouse.move(0, 0)
    await page.wait_for_timeout(300)  # let hover effects fade
    await screenshot(page, "workspace")
