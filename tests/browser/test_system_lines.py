"""System lines in a group (issue 14, item 14): someone who joins by themselves "joined" (nobody
"added" themselves), people the page has not met yet are named (never "#8"), and a run of join
lines folds into one ("张三、李四等 6 人加入了群聊") that opens to show them all."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, Member, expect, screenshot

pytestmark = pytest.mark.browser

TEXTS = {
    "en-US": {
        "fold": "You, Member 01 and 6 others joined the group",
        "more": "Show all 8",
        "less": "Show less",
        "joined": "Member 03 joined the group",
        "left": "Quinn Quit left the group",
        "self": "You joined the group",
    },
    "zh-CN": {
        "fold": "你、Member 01等 8 人加入了群聊",
        "more": "展开 8 条",
        "less": "收起",
        "joined": "Member 03 加入了群聊",
        "left": "Quinn Quit 退出了群聊",
        "self": "你 加入了群聊",
    },
}


async def staff_room(member: Member) -> int:
    conversations = (await member.call("GET", "/conversations", params={"limit": 50}))["conversations"]
    return int(next(c["id"] for c in conversations if c["kind"] == "org_all"))


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_join_lines_name_everyone_and_fold(cast: Cast, open_page, locale: str) -> None:
    texts = TEXTS[locale]
    boss = await cast.person("boss", "Boss Wang")
    org = await boss.call("POST", "/orgs", json={"name": "Lakeside Labs"})
    invitation = await boss.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"})
    joiners = [await cast.person(f"member{n:02d}", f"Member {n:02d}") for n in range(1, 7)]
    for member in joiners:
        await member.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
    # Someone who joins and leaves again: no longer a member, so only a look-up can name them.
    quinn = await cast.person("quinn", "Quinn Quit")
    await quinn.call("POST", f"/org-invitations/{invitation['code']}/join", json={})
    await quinn.call("POST", f"/orgs/{org['id']}/leave")
    room = await staff_room(boss)
    await cast.say(boss, room, "Welcome, everyone")

    page = await open_page("boss", locale=locale)
    await page.locator(".conv-item", has_text="Lakeside Labs").click()
    await expect(page.locator(".msg", has_text="Welcome, everyone")).to_be_visible()
    lines = page.locator(".msg-system")
    # Boss (who made the organization), the six who joined by code and Quinn: one line for all.
    fold = page.locator(".msg-fold")
    await expect(fold).to_have_count(1)
    await expect(fold.locator("span")).to_have_text(texts["fold"])
    await expect(page.locator(".msg-system", has_text=texts["left"])).to_be_visible()
    await expect(lines.filter(has_text="#")).to_have_count(0)
    await screenshot(page, f"join-fold-{locale}")

    # Opened: every line, each saying who joined (by themselves).
    toggle = fold.get_by_role("button", name=texts["more"])
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await toggle.click()
    await expect(page.locator(".msg-system", has_text=texts["joined"])).to_have_count(1)
    await expect(page.locator(".msg-system", has_text=texts["self"])).to_have_count(1)
    await expect(page.locator(".msg-fold-toggle")).to_have_text(texts["less"])
    await expect(page.locator(".msg-fold-toggle")).to_be_focused()
    await expect(lines.filter(has_text="#")).to_have_count(0)
    await screenshot(page, f"join-fold-open-{locale}")
    await page.locator(".msg-fold-toggle").click()
    await expect(page.locator(".msg-system", has_text=texts["joined"])).to_have_count(0)
