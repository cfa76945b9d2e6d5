"""Forwarding and voice messages in the browser (issue 14, items 7 and 9): one message forwarded,
several picked (多选) and forwarded as chat history (合并转发) whose card opens a read-only
transcript; a voice message recorded with the (fake) microphone — click to record on a desktop,
hold to talk on a phone — that the other person plays, its red dot clearing on their other
device too; and what the page says when the microphone is blocked or cannot record. In English
on a desktop and in Chinese on a phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Cast, Page, expect, screenshot
from tests.browser.test_chat import open_conversation

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def message_menu(page: Page, text: str, item: str) -> None:
    message = page.locator(".msg", has_text=text).last
    await message.hover()
    await message.get_by_role("button", name="More" if item[0].isascii() else "更多").click()
    await page.get_by_role("menuitem", name=item).click()


async def long_press_menu(page: Page, text: str, item: str) -> None:
    """On a phone the message's actions open with a long press (the context menu)."""
    await page.locator(".msg", has_text=text).last.locator(".bubble").click(button="right")
    await page.get_by_role("menuitem", name=item).click()


async def pick_target(page: Page, title: str, send: str) -> None:
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("searchbox").fill(title[:3])
    await dialog.get_by_role("option", name=title).click()
    await dialog.get_by_role("button", name=send).click()
    await expect(page.get_by_role("dialog")).to_have_count(0)


async def test_forwarding_one_and_several_as_chat_history_on_a_desktop(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    carol = await cast.person("carol", "Carol Wu")
    await cast.befriend(alice, bob)
    await cast.befriend(alice, carol)
    direct = await cast.direct(alice, bob)
    await cast.say(alice, direct, "Are we shipping on Friday?")
    await cast.say(bob, direct, "Yes, after the design review")
    await cast.say(bob, direct, "Keep this between us")
    await cast.group(alice, "Launch crew", carol)
    a = await open_page("alice")
    c = await open_page("carol")
    await open_conversation(a, "Bob Li")
    await open_conversation(c, "Launch crew")

    # One message, forwarded on its own: Carol gets a copy from Alice.
    await message_menu(a, "Are we shipping", "Forward")
    await pick_target(a, "Launch crew", "Send (1)")
    copy = c.locator(".msg", has_text="Are we shipping on Friday?")
    await expect(copy).to_have_count(1)
    await expect(copy.locator(".msg-name")).to_have_text("Alice Chen")

    # 多选: two messages picked, forwarded as one chat history.
    await message_menu(a, "Are we shipping", "Select")
    await expect(a.get_by_role("toolbar", name="Select")).to_contain_text("1 selected")
    await a.locator(".msg", has_text="design review").click()
    await expect(a.get_by_role("toolbar", name="Select")).to_contain_text("2 selected")
    await screenshot(a, "forward-select-desktop-en")
    await a.get_by_role("button", name="Forward as chat history").click()
    await expect(a.get_by_role("dialog")).to_contain_text("Forward as chat history")
    await screenshot(a, "forward-picker-desktop-en")
    await pick_target(a, "Launch crew", "Send (1)")
    await expect(a.get_by_role("toolbar", name="Select")).to_have_count(0)

    card = c.get_by_role("button", name="Open Chat history of Alice Chen and Bob Li")
    await expect(card).to_contain_text("Alice Chen: Are we shipping on Friday?")
    await expect(card).to_contain_text("Bob Li: Yes, after the design review")
    await expect(card).to_contain_text("2 messages")
    await screenshot(c, "forward-card-desktop-en")
    await card.click()
    transcript = c.get_by_role("dialog", name="Chat history of Alice Chen and Bob Li")
    await expect(transcript.locator(".transcript-item")).to_have_count(2)
    await expect(transcript).to_contain_text("Yes, after the design review")
    await expect(transcript).not_to_contain_text("Keep this between us")
    await expect(transcript.get_by_role("textbox")).to_have_count(0)  # read-only
    await screenshot(c, "forward-transcript-desktop-en")
    await c.keyboard.press("Escape")
    # The conversation list names it.
    await expect(c.locator(".conv-item", has_text="Launch crew")).to_contain_text("[Chat history]")


async def test_forwarding_as_chat_history_on_a_phone_in_chinese(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    wang = await cast.person("wangwu", "王五")
    await cast.befriend(zhang, li)
    await cast.befriend(zhang, wang)
    direct = await cast.direct(zhang, li)
    await cast.say(zhang, direct, "明天几点开会？")
    await cast.say(li, direct, "下午三点")
    await cast.group(zhang, "产品组", wang)
    z = await open_page("zhangsan", locale="zh-CN", viewport=PHONE)
    w = await open_page("wangwu", locale="zh-CN", viewport=PHONE)
    await open_conversation(z, "李四")
    await long_press_menu(z, "明天几点开会", "多选")
    # Selecting has begun (the menu is gone and the bar is up) before the second message is picked.
    await expect(z.get_by_role("toolbar", name="多选")).to_contain_text("已选择 1 条")
    await expect(z.get_by_role("menu")).to_have_count(0)
    await z.locator(".msg", has_text="下午三点").click()
    await expect(z.get_by_role("toolbar", name="多选")).to_contain_text("已选择 2 条")
    await screenshot(z, "forward-select-phone-zh")
    await z.get_by_role("button", name="合并转发").click()
    await pick_target(z, "产品组", "发送（1）")

    await open_conversation(w, "产品组")
    card = w.get_by_role("button", name="打开张三和李四的聊天记录")
    await expect(card).to_contain_text("张三：明天几点开会？")
    await expect(card).to_contain_text("共 2 条")
    await screenshot(w, "forward-card-phone-zh")
    await card.click()
    transcript = w.get_by_role("dialog", name="张三和李四的聊天记录")
    await expect(transcript).to_contain_text("下午三点")
    await screenshot(w, "forward-transcript-phone-zh")


async def test_a_voice_message_recorded_and_played_on_a_desktop(cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    await cast.group(alice, "Launch crew", bob)
    a = await open_page("alice")
    b = await open_page("bob")
    b2 = await open_page("bob")  # Bob's other device
    for page in (a, b, b2):
        await open_conversation(page, "Launch crew")

    await a.get_by_role("button", name="Record a voice message").click()
    await expect(a.locator(".voice-rec")).to_contain_text("Recording 0:0")
    await screenshot(a, "voice-recording-desktop-en")
    await a.wait_for_timeout(1600)
    await a.locator(".voice-rec").get_by_role("button", name="Send").click()
    mine = a.locator(".msg.mine .msg-voice")
    await expect(mine).to_have_count(1)
    await expect(mine.locator(".voice-dot")).to_have_count(0)  # your own: no dot

    theirs = b.locator(".msg-voice")
    await expect(theirs).to_have_count(1)
    await expect(theirs.get_by_role("img", name="Not played yet")).to_be_visible()
    await expect(b2.locator(".msg-voice .voice-dot")).to_have_count(1)
    await expect(b.locator(".conv-item", has_text="Launch crew")).to_contain_text("[Voice]")
    await screenshot(b, "voice-unplayed-desktop-en")
    await theirs.get_by_role("button", name="Play voice message (2 s)").click()
    await expect(theirs.locator(".voice-dot")).to_have_count(0)
    # Bob's other device hears of it; a reload asks the server, which remembers.
    await expect(b2.locator(".msg-voice .voice-dot")).to_have_count(0)
    await b.reload()
    await open_conversation(b, "Launch crew")
    await expect(b.locator(".msg-voice")).to_have_count(1)
    await expect(b.locator(".msg-voice .voice-dot")).to_have_count(0)

    # Cancelled, nothing is sent; under a second, nothing either.
    await a.get_by_role("button", name="Record a voice message").click()
    await a.locator(".voice-rec").get_by_role("button", name="Cancel").click()
    await a.get_by_role("button", name="Record a voice message").click()
    await a.locator(".voice-rec").get_by_role("button", name="Send").click()
    await expect(a.locator(".toast")).to_contain_text("Too short to send.")
    await a.wait_for_timeout(500)
    await expect(a.locator(".msg-voice")).to_have_count(1)


async def test_hold_to_talk_on_a_phone_in_chinese(cast: Cast, open_page) -> None:
    zhang = await cast.person("zhangsan", "张三")
    li = await cast.person("lisi", "李四")
    await cast.befriend(zhang, li)
    await cast.direct(zhang, li)
    z = await open_page("zhangsan", locale="zh-CN", viewport=PHONE, touch=True)
    l_page = await open_page("lisi", locale="zh-CN", viewport=PHONE)
    await open_conversation(z, "李四")
    await open_conversation(l_page, "张三")
    mic = z.get_by_role("button", name="录制语音")
    box = await mic.bounding_box()
    assert box is not None
    await z.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await z.mouse.down()
    await expect(z.locator(".voice-rec")).to_contain_text("松开 发送")
    await screenshot(z, "voice-hold-phone-zh")
    await z.wait_for_timeout(1600)
    await z.mouse.up()
    await expect(z.locator(".msg.mine .msg-voice")).to_have_count(1)
    voice = l_page.locator(".msg-voice")
    await expect(voice.get_by_role("img", name="未播放")).to_be_visible()
    await screenshot(l_page, "voice-unplayed-phone-zh")
    await voice.get_by_role("button", name="播放语音（2 秒）").click()
    await expect(voice.locator(".voice-dot")).to_have_count(0)


@pytest.mark.parametrize(
    ("locale", "script", "said"),
    [
        (
            "en-US",
            "navigator.mediaDevices.getUserMedia = () =>"
            " Promise.reject(new DOMException('no', 'NotAllowedError'));",
            "Microphone access is blocked",
        ),
        ("zh-CN", "delete window.MediaRecorder;", "当前浏览器不支持录音。"),
    ],
)
async def test_why_it_cannot_record(cast: Cast, open_page, locale: str, script: str, said: str) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    await cast.group(alice, "Launch crew", bob)
    a = await open_page("alice", locale=locale)
    await a.add_init_script(script)
    await a.reload()
    await open_conversation(a, "Launch crew")
    name = "Record a voice message" if locale == "en-US" else "录制语音"
    await a.get_by_role("button", name=name).click()
    await expect(a.locator(".toast")).to_contain_text(said)
    await expect(a.locator(".voice-rec")).to_have_count(0)
