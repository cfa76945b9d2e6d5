"""Walk 21: the newest features (forwarding, voice, privacy) walked in Chromium as a new
Chinese-speaking user would. Each test is one finding of that walk."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import Cast, LiveServer, expect
from tests.browser.test_chat import open_conversation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CJK = re.compile(r"[\u4e00-\u9fff]")


async def test_server_refusals_are_told_in_chinese(cast: Cast, server: LiveServer, open_page) -> None:
    """Registering with an invisible name (U+3164), saving a malformed phone number or e-mail
    address, and an organization's owner deleting the account each showed the server's English
    sentence on a zh-CN page."""
    page = await open_page(None, locale="zh-CN")
    await page.get_by_role("tab", name="注册").click()
    await page.locator("#f-username").fill("xiaoming")
    await page.locator("#f-display_name").fill("\u3164")
    await page.locator("#f-password").fill("Lake-side-2024!x")
    await page.get_by_role("button", name="创建账号").click()
    error = page.locator(".login-card .form-error")
    await expect(error).to_be_visible()
    await expect(error).to_have_text(CJK)
    await expect(error).not_to_contain_text("display name")

    zhang = await cast.person("zhangsan", "张三")
    await zhang.call("POST", "/orgs", json={"name": "湖畔科技"})
    me = await open_page("zhangsan", locale="zh-CN", viewport=PHONE)
    await me.goto(server.url + "/#/settings/profile")
    for selector, value in (("#me-phone", "12345"), ("#me-email", "a@b")):
        await me.locator(selector).fill(value)
        await me.get_by_role("button", name="保存", exact=True).click()
        toast = me.locator(".toast").last
        await expect(toast).to_have_text(CJK)
        await expect(toast).not_to_contain_text(re.compile("phone|e-mail", re.I))
        await me.locator(selector).fill("")

    # The owner of an organization cannot delete the account yet: said in Chinese.
    await me.goto(server.url + "/#/settings/privacy")
    await me.locator("#delete-password").fill(PASSWORD)
    await me.get_by_role("button", name="注销我的账号").click()
    await me.locator(".modal").get_by_role("button", name="注销我的账号").click()
    refusal = me.locator(".danger-zone .form-error")
    await expect(refusal).to_have_text(CJK)
    await expect(refusal).not_to_contain_text("organization")


async def test_a_deleted_peer_is_named_once_the_chat_is_open(
    cast: Cast, server: LiveServer, open_page
) -> None:
    """The chat's member list (GET /conversations/{id}/members) said `deleted: false` for a
    deleted account, and the page took its word: the chat's title went blank, the avatar "?",
    the recall line "撤回了一条消息" with no name, and the subtitle "@~464"."""
    lisi = await cast.person("lisi", "李四")
    wangwu = await cast.person("wangwu", "王五")
    await cast.befriend(lisi, wangwu)
    chat = await cast.direct(lisi, wangwu)
    await cast.say(lisi, chat, "出发前带上雨伞")
    await cast.say(wangwu, chat, "好的，谢谢")
    await lisi.call("POST", "/me/deletion", json={"password": PASSWORD})

    page = await open_page("wangwu", locale="zh-CN")
    async with page.expect_response(lambda r: f"/conversations/{chat}/members" in r.url) as members:
        await page.goto(server.url + f"/#/chats/{chat}")
    await (await members.value).finished()
    await expect(page.locator(".conv-head-title")).to_have_text("已注销用户")
    await expect(page.locator(".msg-recalled")).to_have_text("已注销用户 撤回了一条消息")
    await expect(page.locator(".conv-item", has_text="好的，谢谢")).to_contain_text("已注销用户")
    # Nothing more can be sent to a deleted account, and the chat says so instead of a presence.
    notice = "对方已注销账号，无法再发送消息，聊天记录仍保留。"
    await expect(page.locator(".chat-notice")).to_have_text(notice)
    await expect(page.locator(".composer-input")).to_be_disabled()
    await expect(page.locator(".conv-head-sub")).to_have_text("对方已注销")


async def test_a_record_card_forgets_a_recalled_message_at_once(cast: Cast, open_page) -> None:
    """A merged record (聊天记录) showing a message that is then recalled: the server sends the
    new card (message.edited), but the open page kept the old card, recalled text and all, until
    a reload."""
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    await cast.befriend(zhang, li)
    await cast.befriend(zhang, wang)
    direct = await cast.direct(zhang, li)
    first = await cast.say(zhang, direct, "预算表今晚发给你")
    await cast.say(li, direct, "收到")
    group = await cast.group(zhang, "产品组", wang)
    w = await open_page("wangwu", locale="zh-CN")
    await open_conversation(w, "产品组")
    forward = {"message_ids": [first["id"]], "conversation_ids": [group], "mode": "merged"}
    await zhang.call("POST", "/messages/forward", json={"client_msg_id": uuid.uuid4().hex, **forward})
    card = w.get_by_role("button", name="打开张三和李四的聊天记录")
    await expect(card).to_contain_text("张三：预算表今晚发给你")

    await zhang.call("POST", f"/messages/{first['id']}/recall")
    await expect(card).to_contain_text("张三：该消息已撤回")
    await expect(card).not_to_contain_text("预算表")


async def test_a_wrong_password_at_deletion_says_the_password_is_wrong(
    cast: Cast, server: LiveServer, open_page
) -> None:
    """注销账号 asks for the password alone, yet a wrong one said "用户名或密码错误。"."""
    await cast.person("lisi", "李四")
    page = await open_page("lisi", locale="zh-CN")
    await page.goto(server.url + "/#/settings/privacy")
    await page.locator("#delete-password").fill("not my password")
    await page.get_by_role("button", name="注销我的账号").click()
    await page.locator(".modal").get_by_role("button", name="注销我的账号").click()
    error = page.locator(".danger-zone .form-error")
    await expect(error).to_have_text("密码错误，请重新输入。")
    await expect(page.locator("#delete-password")).to_be_focused()


async def test_retention_turned_on_needs_its_days(cast: Cast, server: LiveServer, open_page) -> None:
    """Admin → 组织设置 → 消息保留期限: switching 全部保留 off and saving with no days said
    已保存 and kept everything, the switch back on after a reload."""
    zhang = await cast.person("zhangsan", "张三")
    org = await zhang.call("POST", "/orgs", json={"name": "湖畔科技"})
    page = await open_page("zhangsan", locale="zh-CN")
    await page.goto(server.url + "/#/admin/settings")
    keep = page.locator("#set-retention-off")
    await expect(keep).to_be_checked()
    await keep.click()
    days = page.locator("#set-retention")
    await expect(days).to_be_enabled()
    await page.locator(".retention-card").get_by_role("button", name="保存").click()
    # The field says what is missing; nothing is saved.
    await expect(page.locator("#set-retention:invalid")).to_have_count(1)
    await days.fill("90")
    await page.locator(".retention-card").get_by_role("button", name="保存").click()
    await expect(page.locator(".toast").last).to_have_text("已保存。")
    assert (await zhang.call("GET", f"/orgs/{org['id']}/retention"))["days"] == 90
