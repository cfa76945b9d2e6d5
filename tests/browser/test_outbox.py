"""The outbox and drafts in the browser: messages written offline (or on a socket that died
before its ack) wait in IndexedDB, survive a reload, and reach the other side exactly once and in
order; a refusal holds its conversation's queue until deleted; drafts follow the user to their
other device. In English and Chinese, on a desktop and a phone, each person in their own context."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.browser.conftest import Cast, LiveServer, Page, expect, png, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
STREAM = re.compile(r".*/api/v1/stream$")


async def open_conversation(page: Page, title: str) -> None:
    await page.locator(".conv-item", has_text=title).click()
    await expect(page.locator(".conv-head-title")).to_have_text(title)


async def send(page: Page, text: str) -> None:
    composer = page.locator(".composer-input")
    await composer.fill(text)
    await composer.press("Enter")


async def kept_in_outbox(page: Page) -> int:
    """Rows in the page's IndexedDB outbox (the app has opened the database by then)."""
    return int(
        await page.evaluate(
            """() => new Promise((resolve) => {
                const open = indexedDB.open("lakeside");
                open.onsuccess = () => {
                  const db = open.result;
                  const count = db.transaction("outbox").objectStore("outbox").count();
                  count.onsuccess = () => { db.close(); resolve(count.result); };
                };
                open.onerror = () => resolve(-1);
            })"""
        )
    )


async def eventually(
    read: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], timeout: float = 10
) -> Any:
    """What ``read`` gives once ``check`` holds for it (polling), or fail with the last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if check(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {value!r}")
        await asyncio.sleep(0.1)


async def bodies(cast: Cast, who: Any, conversation_id: int) -> list[str]:
    history = await who.call("GET", f"/conversations/{conversation_id}/messages")
    return [m["body"] if m["kind"] != "image" else "[image]" for m in history["messages"]]


async def test_written_offline_sent_once_in_order_after_a_reload(
    server: LiveServer, cast: Cast, open_page
) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    direct = await cast.direct(alice, bob)
    await cast.say(bob, direct, "Are you on the train?")
    a = await open_page("alice")
    b = await open_page("bob")
    await open_conversation(a, "Bob Li")
    await open_conversation(b, "Alice Chen")

    # In the tunnel: what Alice writes is shown at once, waiting, and kept in IndexedDB.
    await a.context.set_offline(True)
    await expect(a.locator(".conn-banner")).to_be_visible()
    written = ["Yes, in a tunnel", "Signal comes and goes", "Be there at 6"]
    await send(a, written[0])
    await send(a, written[1])
    # A photo too: it waits in IndexedDB with the messages, and is uploaded in its turn.
    async with a.expect_file_chooser() as chooser:
        await a.get_by_role("button", name="Send a file or image").click()
    await (await chooser.value).set_files(
        [{"name": "tunnel.png", "mimeType": "image/png", "buffer": png(200, 150)}]
    )
    await send(a, written[2])
    pending = a.locator(".msg.pending")
    await expect(pending).to_have_count(4)
    await expect(pending.locator(".msg-status")).to_have_text(["Waiting to send"] * 4)
    await expect(pending.locator(".msg-status .icon")).to_have_count(4)  # the clock
    await a.locator(".composer-input").fill("and a draft I did not send")
    await screenshot(a, "outbox-offline")
    await eventually(lambda: kept_in_outbox(a), lambda n: n == 4)
    assert await bodies(cast, bob, direct) == ["Are you on the train?"]

    # Reloading offline cannot load the page (there is no service worker); the outbox waits in
    # IndexedDB. Back online, the page starts and sends it, each once, in order.
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        await a.reload()
    await a.context.set_offline(False)
    await a.goto(f"{server.url}/#/chats/{direct}")
    for text in written:
        await expect(b.locator(".msg", has_text=text)).to_have_count(1)
        await expect(a.locator(".msg.mine", has_text=text)).to_have_count(1)
    await expect(b.locator(".msg .msg-image img")).to_have_count(1)
    await expect(a.locator(".msg.pending")).to_have_count(0)
    await expect(a.locator(".composer-input")).to_have_value("and a draft I did not send")
    assert await b.locator(".msg .msg-text").all_inner_texts() == ["Are you on the train?", *written]
    assert await bodies(cast, bob, direct) == ["Are you on the train?", *written[:2], "[image]", written[2]]
    await eventually(lambda: kept_in_outbox(a), lambda n: n == 0)
    # The draft typed offline reached the server once the page was back.
    draft_path = f"/conversations/{direct}/draft"
    await eventually(
        lambda: alice.call("GET", draft_path), lambda d: d["text"] == "and a draft I did not send"
    )
    await screenshot(b, "outbox-delivered")


async def test_a_refusal_fails_one_message_and_the_rest_go_on_a_phone(cast: Cast, open_page) -> None:
    zhangsan = await cast.person("zhangsan", "张三")
    lisi = await cast.person("lisi", "李四")
    await cast.befriend(zhangsan, lisi)
    direct = await cast.direct(zhangsan, lisi)
    phone = await open_page("zhangsan", locale="zh-CN", viewport=PHONE)
    desk = await open_page("lisi", locale="zh-CN")
    await open_conversation(phone, "李四")
    await open_conversation(desk, "张三")

    await phone.context.set_offline(True)
    await expect(phone.locator(".conn-banner")).to_have_text("连接已断开，正在重新连接…")
    await send(phone, "第一条：地铁上")
    await send(phone, "太长了" * 2000)  # 18,000 bytes: more than a message may have
    # A photo taken offline waits with the messages (the file in IndexedDB until its turn).
    async with phone.expect_file_chooser() as chooser:
        await phone.get_by_role("button", name="发送文件或图片").click()
    await (await chooser.value).set_files(
        [{"name": "站台.png", "mimeType": "image/png", "buffer": png(320, 240)}]
    )
    await send(phone, "第三条：到站了")
    pending = phone.locator(".msg.pending")
    await expect(pending).to_have_count(4)
    await expect(pending.locator(".msg-status")).to_have_text(["等待发送"] * 4)
    await expect(pending.locator(".msg-image img")).to_have_count(1)  # shown from the local file
    await screenshot(phone, "outbox-phone-offline")

    # Back online: the first goes; the server refuses the second, which says why and steps out of
    # the line: the photo and the last message go after the first, in order.
    await phone.context.set_offline(False)
    await expect(desk.locator(".msg", has_text="第三条：到站了")).to_have_count(1)
    failed = phone.locator(".msg.failed")
    await expect(failed.locator(".msg-status")).to_contain_text("发送失败：消息太长。")
    await expect(failed.get_by_role("button", name="重试")).to_be_visible()
    await expect(phone.locator(".msg.pending:not(.failed)")).to_have_count(0)
    await expect(desk.locator(".msg .msg-image img")).to_have_count(1)
    await screenshot(phone, "outbox-phone-refused")
    assert await bodies(cast, lisi, direct) == ["第一条：地铁上", "[image]", "第三条：到站了"]

    # Retrying meets the same refusal; deleting it removes it for good.
    await failed.get_by_role("button", name="重试").click()
    await expect(failed.locator(".msg-status")).to_contain_text("消息太长")
    await failed.get_by_role("button", name="删除").click()
    await expect(phone.locator(".msg.pending")).to_have_count(0)
    assert await bodies(cast, lisi, direct) == ["第一条：地铁上", "[image]", "第三条：到站了"]
    assert await desk.locator(".msg").count() == 3
    assert await phone.locator(".msg").count() == 3
    await eventually(lambda: kept_in_outbox(phone), lambda n: n == 0)


class Wire:
    """Stands between a page and the server's socket: forwards frames, and can cut a socket right
    after a send went through to the server (its ack never comes back), or let a socket go
    silent without closing (a phone asleep: nothing passes either way)."""

    def __init__(self) -> None:
        self.sockets = 0
        self.cut_after_next_send = False
        self.asleep: int | None = None
        self.sends: list[tuple[int, str]] = []  # (socket number, client_msg_id)

    async def route(self, ws: Any) -> None:
        self.sockets += 1
        number = self.sockets
        server = ws.connect_to_server()

        async def from_page(message: str | bytes) -> None:
            frame = json.loads(message) if isinstance(message, str) else {}
            if frame.get("op") == "send":
                self.sends.append((number, frame["client_msg_id"]))
            if self.asleep == number:
                return
            server.send(message)
            if frame.get("op") == "send" and self.cut_after_next_send:
                self.cut_after_next_send = False
                await ws.close()  # the server stores it and answers a socket that is gone

        def from_server(message: str | bytes) -> None:
            if self.asleep != number:
                ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)


async def test_a_socket_that_dies_before_the_ack_leaves_one_message(
    server: LiveServer, cast: Cast, open_page
) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    await cast.befriend(alice, bob)
    direct = await cast.direct(alice, bob)
    a = await open_page("alice", viewport=PHONE)
    b = await open_page("bob")
    wire = Wire()
    await a.route_web_socket(STREAM, wire.route)
    await a.goto(f"{server.url}/#/chats/{direct}")
    await a.reload()  # a page whose socket goes through the wire
    await open_conversation(b, "Alice Chen")
    await expect(a.locator(".composer-input")).to_be_visible()

    # Stored, but the socket closed before the ack: the reconnect's catch-up brings the message
    # back, which settles it; it is shown once and not sent again.
    wire.cut_after_next_send = True
    await send(a, "sent as the socket died")
    await expect(b.locator(".msg", has_text="sent as the socket died")).to_have_count(1)
    await expect(a.locator(".msg.mine", has_text="sent as the socket died")).to_have_count(1)
    await expect(a.locator(".msg.pending")).to_have_count(0)
    assert wire.sockets == 2
    assert len(wire.sends) == 1

    # The phone sleeps: its socket stays open but nothing passes. A message written then goes
    # out and is lost; on waking, the unanswered ping drops the socket, and the message goes
    # again with the same client_msg_id on a new one.
    wire.asleep = wire.sockets
    await send(a, "written as the phone fell asleep")
    await expect(a.locator(".msg.pending .msg-status")).to_have_text("Sending…")
    await a.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    await expect(b.locator(".msg", has_text="written as the phone fell asleep")).to_have_count(1)
    await expect(a.locator(".msg.pending")).to_have_count(0)
    await expect(a.locator(".msg.mine", has_text="written as the phone fell asleep")).to_have_count(1)
    assert wire.sockets == 3
    again = [cid for number, cid in wire.sends if number == 3]
    assert [cid for _, cid in wire.sends[1:]] == again * 2, wire.sends  # the same id, twice

    # And once more, with the second copy of the same id really reaching the server: one message.
    resend = {
        "op": "send",
        "conversation_id": direct,
        "client_msg_id": again[0],
        "body": "written as the phone fell asleep",
    }
    created = await a.evaluate(
        """(frame) => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}/api/v1/stream`);
            ws.onopen = () => ws.send(JSON.stringify({op: "hello", since: null}));
            ws.onmessage = (event) => {
              const reply = JSON.parse(event.data);
              if (reply.type === "sync") ws.send(JSON.stringify(frame));
              if (reply.type === "ack") { ws.close(); resolve(reply.created); }
            };
        })""",
        resend,
    )
    assert created is False
    history = await bodies(cast, bob, direct)
    assert history == ["sent as the socket died", "written as the phone fell asleep"]
    assert await b.locator(".msg").count() == 2
    assert await a.locator(".msg").count() == 2


async def test_a_draft_follows_its_author_to_their_phone(server: LiveServer, cast: Cast, open_page) -> None:
    alice = await cast.person("alice", "Alice Chen")
    bob = await cast.person("bob", "Bob Li")
    carol = await cast.person("carol", "Carol Wu")
    await cast.befriend(alice, bob)
    await cast.befriend(alice, carol)
    direct = await cast.direct(alice, bob)
    await cast.say(bob, direct, "Lunch today?")
    other = await cast.direct(alice, carol)
    await cast.say(carol, other, "Slides are in the drive")
    desk = await open_page("alice")
    phone = await open_page("alice", locale="zh-CN", viewport=PHONE)
    await open_conversation(desk, "Bob Li")

    # Typed on the laptop: the phone's list shows it as a draft, as WeChat does.
    await desk.locator(".composer-input").press_sequentially("Sure, the noodle place at")
    row = phone.locator(".conv-item", has_text="Bob Li")
    await expect(row.locator(".conv-preview")).to_have_text("[草稿] Sure, the noodle place at")
    await expect(row.locator(".conv-draft")).to_have_text("[草稿]")
    await expect(phone.locator(".conv-item", has_text="Carol Wu").locator(".conv-draft")).to_have_count(0)
    await screenshot(phone, "draft-phone-list")

    # The phone opens it, finds the text, and finishes it; the laptop's open composer follows.
    await open_conversation(phone, "Bob Li")
    composer = phone.locator(".composer-input")
    await expect(composer).to_have_value("Sure, the noodle place at")
    await composer.press("End")
    await composer.press_sequentially(" 12:30?")
    await expect(desk.locator(".composer-input")).to_have_value("Sure, the noodle place at 12:30?")
    # The laptop leaves for another chat: the list shows the draft there too.
    await open_conversation(desk, "Carol Wu")
    await expect(desk.locator(".conv-item", has_text="Bob Li").locator(".conv-preview")).to_have_text(
        "[Draft] Sure, the noodle place at 12:30?"
    )

    # Sent from the phone: the draft is gone everywhere, and the message is there once.
    await composer.press("Enter")
    await expect(desk.locator(".conv-item", has_text="Bob Li").locator(".conv-preview")).to_have_text(
        "Sure, the noodle place at 12:30?"
    )
    await expect(desk.locator(".conv-item", has_text="Bob Li").locator(".conv-draft")).to_have_count(0)
    await open_conversation(desk, "Bob Li")
    await expect(desk.locator(".composer-input")).to_have_value("")
    await expect(desk.locator(".msg.mine", has_text="noodle place")).to_have_count(1)
    await eventually(lambda: alice.call("GET", f"/conversations/{direct}/draft"), lambda d: d["text"] == "")

    # A draft survives a reload at once (kept on the device before it is saved), and then
    # reaches the other device.
    await desk.locator(".composer-input").fill("One more thing")
    await desk.reload()
    await expect(desk.locator(".composer-input")).to_have_value("One more thing")
    await phone.locator(".back-btn").click()
    await expect(phone.locator(".conv-item", has_text="Bob Li").locator(".conv-preview")).to_have_text(
        "[草稿] One more thing"
    )
    assert await bob.call("GET", f"/conversations/{direct}/draft") == {
        "conversation_id": direct,
        "text": "",
        "updated_at": 0,
    }
