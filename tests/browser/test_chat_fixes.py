"""The chat fixes of issue 14 in the browser: @mentions picked by display name in Chinese text
(two members called 张伟), the notice in a direct chat after unfriending with its friend-request
button, and the public join page of an invitation link — in zh-CN and English, on a desktop
and a phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, LiveServer, Page, expect, screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def open_chat(page: Page, title: str) -> None:
    await page.locator(".conv-item", has_text=title).click()
    await expect(page.locator(".conv-head-title")).to_have_text(title)


@pytest.mark.parametrize(
    ("locale", "viewport", "label"),
    [("zh-CN", None, "消息"), ("en-US", PHONE, "Message")],
    ids=["zh-desktop", "en-phone"],
)
async def test_a_mention_picked_by_display_name_reaches_that_person(
    cast: Cast, open_page, locale: str, viewport: dict[str, int] | None, label: str
) -> None:
    zhang = await cast.person("zhangsan", "张三")
    first = await cast.person("zhangwei", "张伟")
    second = await cast.person("zhangwei2", "张伟")
    for other in (first, second):
        await cast.befriend(zhang, other)
    group = await cast.group(zhang, "项目组", first, second)  # two members called 张伟

    a = await open_page("zhangsan", locale=locale, viewport=viewport)
    await open_chat(a, "项目组")
    composer = a.get_by_role("textbox", name=label, exact=True)
    # Chinese typing: no space before the @, the list filters by the characters of the name.
    await composer.press_sequentially("你好@张")
    # The person picker, not the slash-command list that shares its look (both are listboxes).
    people = a.locator(".mention-list:not(.command-list)")
    options = people.locator(".mention-option", has_text="张伟")
    await expect(options).to_have_count(2)
    await expect(people).to_contain_text("@zhangwei2")
    await screenshot(a, f"mention-picker-{locale}-{'phone' if viewport else 'desktop'}")
    await a.locator(".mention-option", has_text="@zhangwei2").click()
    await expect(composer).to_have_value("你好@张伟 ")
    await composer.press_sequentially("请看一下")
    await composer.press("Enter")
    mine = a.locator(".msg.mine", has_text="请看一下")
    await expect(mine.locator(".mention")).to_have_text("@张伟")
    await screenshot(a, f"mention-picked-{locale}-{'phone' if viewport else 'desktop'}")

    # The picked 张伟 sees the mention as theirs; the other 张伟 sees a mention of someone else.
    picked = await open_page("zhangwei2", locale=locale, viewport=viewport)
    await open_chat(picked, "项目组")
    await expect(picked.locator(".msg", has_text="请看一下").locator(".mention-me")).to_have_text("@张伟")
    other = await open_page("zhangwei", locale=locale)
    await open_chat(other, "项目组")
    message = other.locator(".msg", has_text="请看一下")
    await expect(message.locator(".mention")).to_have_text("@张伟")
    await expect(message.locator(".mention-me")).to_have_count(0)
    stored = await zhang.call("GET", f"/conversations/{group}/messages")
    assert stored["messages"][-1]["mentions"] == [second.id]


@pytest.mark.parametrize(
    ("locale", "viewport", "notice", "button", "sent"),
    [
        ("zh-CN", None, "已不是好友", "发送好友申请", "已发送好友申请"),
        ("en-US", None, "no longer friends", "Send friend request", "Friend request sent"),
        ("zh-CN", PHONE, "已不是好友", "发送好友申请", "已发送好友申请"),
    ],
    ids=["zh-desktop", "en-desktop", "zh-phone"],
)
async def test_after_unfriending_the_chat_says_why_and_offers_a_friend_request(
    cast: Cast,
    open_page,
    locale: str,
    viewport: dict[str, int] | None,
    notice: str,
    button: str,
    sent: str,
) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    direct = await cast.direct(alice, bob)
    await cast.say(bob, direct, "See you tomorrow")
    await bob.call("DELETE", f"/friends/{alice.id}")

    a = await open_page("alice", locale=locale, viewport=viewport)
    await open_chat(a, "Bob Li")
    await expect(a.locator(".msg", has_text="See you tomorrow")).to_be_visible()  # the history stays
    composer = a.locator(".composer-input")
    await composer.fill("Are you there?")
    await composer.press("Enter")
    banner = a.locator(".chat-notice")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text(notice)
    await expect(banner).to_contain_text("Bob Li")
    # The failed message says why in the page's language too.
    await expect(a.locator(".msg.mine.failed .msg-status")).to_contain_text(
        "好友和同事" if locale == "zh-CN" else "friends and colleagues"
    )
    await screenshot(a, f"not-friends-{locale}-{'phone' if viewport else 'desktop'}")
    await banner.get_by_role("button", name=button).click()
    await expect(banner.get_by_role("button", name=sent)).to_be_disabled()
    requests = await bob.call("GET", "/friends/requests", params={"direction": "incoming"})
    assert [r["from_user"]["id"] for r in requests] == [alice.id]

    # Bob accepts: the notice goes away and the chat takes messages again.
    await bob.call("POST", f"/friends/requests/{requests[0]['id']}/accept")
    await expect(banner).to_be_hidden()
    await composer.fill("Friends again")
    await composer.press("Enter")
    await expect(a.locator(".msg.mine.pending", has_text="Friends again")).to_have_count(0)
    await expect(a.locator(".msg.mine.failed", has_text="Friends again")).to_have_count(0)
    history = await bob.call("GET", f"/conversations/{direct}/messages")
    assert [m["body"] for m in history["messages"]][-1] == "Friends again"


@pytest.mark.parametrize(
    ("locale", "viewport", "invited", "signup_tab", "join_button"),
    [
        ("zh-CN", None, "李四 邀请你加入", "注册", "加入"),
        ("en-US", None, "李四 invites you to join", "Sign up", "Join"),
        ("zh-CN", PHONE, "李四 邀请你加入", "注册", "加入"),
    ],
    ids=["zh-desktop", "en-desktop", "zh-phone"],
)
async def test_the_join_page_shows_the_company_before_sign_up_then_joins(
    cast: Cast,
    open_page,
    server: LiveServer,
    locale: str,
    viewport: dict[str, int] | None,
    invited: str,
    signup_tab: str,
    join_button: str,
) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    org = await zhang.call("POST", "/orgs", json={"name": "湖畔科技"})
    await zhang.call("PATCH", f"/orgs/{org['id']}", json={"invite_policy": "members"})
    code = (await zhang.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "code"}))["code"]
    joined = await li.call("POST", f"/org-invitations/{code}/join", json={})
    assert joined["status"] == "joined"
    link = await li.call("POST", f"/orgs/{org['id']}/invitations", json={"kind": "link"})

    page = await open_page(None, locale=locale, viewport=viewport)
    await page.goto(f"{server.url}/join/{link['code']}")
    card = page.locator(".login-invitation")
    await expect(card.locator(".join-card-name")).to_have_text("湖畔科技")
    # Styled as soon as it shows: its rules are in the page's own sheets, not the app's (which a
    # newcomer's page loads only after signing up).
    layout = await card.locator(".join-card").evaluate("(el) => getComputedStyle(el).display")
    assert layout == "flex"
    await expect(card).to_contain_text("2")
    await expect(card).to_contain_text(invited)
    await expect(page.get_by_role("tab", name=signup_tab)).to_have_attribute("aria-selected", "true")
    await screenshot(page, f"join-page-{locale}-{'phone' if viewport else 'desktop'}")

    # Sign up: the app opens and continues into joining the company of the link.
    await page.locator("#f-username").fill("xinren")
    await page.locator("#f-display_name").fill("新人")
    await page.locator("#f-password").fill(PASSWORD)
    await page.locator("#f-password").press("Enter")
    await page.locator(".shell").wait_for()
    dialog = page.get_by_role("dialog")
    await expect(dialog.locator(".join-card")).to_contain_text("湖畔科技")
    await dialog.get_by_role("button", name=join_button, exact=True).click()
    await expect(dialog).to_have_count(0)
    login = await cast.http.post("/api/v1/auth/login", json={"login": "xinren", "password": PASSWORD})
    token = login.json()["token"]
    orgs = await cast.http.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"})
    assert [o["name"] for o in orgs.json()] == ["湖畔科技"]
