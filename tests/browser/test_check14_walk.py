"""Findings of an outside walk through the everyday-chat features (issue 14) in Chromium, kept."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, expect

pytestmark = pytest.mark.browser


async def test_at_all_from_a_plain_member_is_not_shown_as_reaching_everyone(cast: Cast, open_page) -> None:
    """Only a group's owner and admins notify everyone with @all / @所有人 (docs/api.md); from a
    plain member the server stores `mention_all: false`. The chat highlighted that @all as a
    mention of the reader anyway (`mention-me`), telling everyone they had been called when nobody
    was notified. A real @all from the owner is still highlighted."""
    owner = await cast.person("zhangsan", "张三")
    member = await cast.person("lisi", "李四")
    reader = await cast.person("wangwu", "王五")
    for other in (member, reader):
        await cast.befriend(owner, other)
    group = await cast.group(owner, "产品组", member, reader)
    plain = await cast.say(member, group, "@all开会")
    assert plain["mention_all"] is False
    real = await cast.say(owner, group, "@所有人 请看公告")
    assert real["mention_all"] is True

    page = await open_page("wangwu", locale="zh-CN")
    await page.locator(".conv-item", has_text="产品组").click()
    by_member = page.locator(".msg-text", has_text="开会")
    await expect(by_member).to_have_text("@all开会")
    await expect(by_member.locator(".mention")).to_have_count(0)
    by_owner = page.locator(".msg-text", has_text="请看公告")
    await expect(by_owner.locator(".mention-me")).to_have_text("@所有人")
