"""Messages: sending (text, markdown rendered safely, mentions, replies, attachments), retries,
history paging, edit, recall (content gone from storage), reactions, blocks, and bad input that
is refused without writing anything."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect

from lakeside.config import Settings
from lakeside.domain.markdown import ALLOWED_SCHEMES, ALLOWED_TAGS
from lakeside.domain.messages import SendMessage
from lakeside.store.tables import events, message_search, messages, reactions
from tests.conftest import Person, befriend, error_code, register
from tests.live import running_server


async def open_direct(a: Person, b: Person) -> int:
    response = await a.post("/api/v1/conversations/direct", json={"user_id": b.id})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


async def send(
    p: Person, conversation_id: int, body: str, cid: str | None = None, **extra: object
) -> httpx.Response:
    payload = {"client_msg_id": cid or f"{p.username}-{body}"[:64], "body": body, **extra}
    return await p.post(f"/api/v1/conversations/{conversation_id}/messages", json=payload)


async def test_direct_chat_opens_between_friends_only(people: dict[str, Person]) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    response = await zhangsan.post("/api/v1/conversations/direct", json={"user_id": mallory.id})
    assert response.status_code == 403
    assert error_code(response) == "NOT_FRIENDS"
    await befriend(zhangsan, lisi)
    first = await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id})
    assert first.status_code == 201
    again = await lisi.post("/api/v1/conversations/direct", json={"user_id": zhangsan.id})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["peer"]["username"] == "zhangsan"


async def test_send_and_read_history(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    for i in range(5):
        response = await send(zhangsan if i % 2 == 0 else lisi, cid, f"消息 {i}")
        assert response.status_code == 201, response.text
        assert response.json()["seq"] == i + 1
    page = (await lisi.get(f"/api/v1/conversations/{cid}/messages")).json()
    assert [m["body"] for m in page["messages"]] == [f"消息 {i}" for i in range(5)]
    assert page["has_more"] is False
    older = (
        await lisi.get(f"/api/v1/conversations/{cid}/messages", params={"before_seq": 4, "limit": 2})
    ).json()
    assert [m["seq"] for m in older["messages"]] == [2, 3]
    assert older["has_more"] is True
    newer = (
        await lisi.get(f"/api/v1/conversations/{cid}/messages", params={"after_seq": 2, "limit": 2})
    ).json()
    assert [m["seq"] for m in newer["messages"]] == [3, 4]
    assert newer["has_more"] is True


async def test_retry_returns_the_original(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    first = await send(zhangsan, cid, "hello", cid="c-1")
    retry = await send(zhangsan, cid, "hello", cid="c-1")
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["body"] == "hello"
    concurrent = await asyncio.gather(*(send(zhangsan, cid, "x", cid="c-2") for _ in range(10)))
    assert {r.json()["id"] for r in concurrent} == {concurrent[0].json()["id"]}
    assert sorted(r.status_code for r in concurrent) == [200] * 9 + [201]
    page = (await zhangsan.get(f"/api/v1/conversations/{cid}/messages")).json()
    assert [m["seq"] for m in page["messages"]] == [1, 2]


# -- helpers --------------------------------------------------------------------------------------


async def group_of(owner: Person, *members: Person, title: str = "小组") -> int:
    for member in members:
        await befriend(owner, member)
    response = await owner.post(
        "/api/v1/conversations", json={"title": title, "member_ids": [m.id for m in members]}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def sent(p: Person, conversation_id: int, body: str, **extra: object) -> dict[str, Any]:
    response = await send(p, conversation_id, body, **extra)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    return dict(response.json())


async def timeline(p: Person, conversation_id: int, **params: Any) -> list[dict[str, Any]]:
    response = await p.get(
        f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200, **params}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


async def fetch(p: Person, message_id: int) -> dict[str, Any]:
    response = await p.get(f"/api/v1/messages/{message_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def stored_row(app: FastAPI, message_id: int) -> Any:
    async with app.state.services.ctx.db.read() as conn:
        return (await conn.execute(select(messages).where(messages.c.id == message_id))).one()


async def count(app: FastAPI, table: Any, *where: Any) -> int:
    async with app.state.services.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), "orange").save(buffer, "PNG")
    return buffer.getvalue()


async def upload(p: Person, content: bytes, filename: str) -> str:
    response = await p.post("/api/v1/files", files={"file": (filename, content, "application/octet-stream")})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


class Markup(HTMLParser):
    """Every tag and attribute in a piece of HTML, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


# -- sending --------------------------------------------------------------------------------------


async def test_a_text_message_as_everyone_sees_it(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    message = await sent(zhangsan, cid, "你好\r\n世界", cid="t-1")
    assert message | {"id": 0, "created_at": 0} == {
        "id": 0,
        "conversation_id": cid,
        "seq": 1,
        "sender_id": zhangsan.id,
        "client_msg_id": "t-1",
        "kind": "text",
        "body": "你好\n世界",
        "html": None,
        "mentions": [],
        "mention_all": False,
        "reply_to": None,
        "file": None,
        "reactions": [],
        "created_at": 0,
        "edited_at": None,
        "recalled": False,
        "recalled_at": None,
        "recalled_by": None,
        "unread_count": 1,  # to its sender: nobody else has read it yet
        "duration_ms": None,  # a voice message's length
        "record": None,  # a chat record's card
        "played": None,  # whether you played someone else's voice message
        "card": None,  # a robot's or bot's card (domain/cards.py)
    }
    as_others_see_it = message | {"unread_count": None}
    assert await fetch(lisi, message["id"]) == as_others_see_it
    assert await timeline(lisi, cid) == [as_others_see_it]


HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "![pic](javascript:alert(1))",
    '![pic](https://example.com/x.png" onerror="alert(1))',
    '[t](https://example.com "title" onmouseover="alert(1)")',
    "**bold <b onclick=alert(1)>x</b>**",
]


async def test_markdown_is_rendered_and_nothing_in_it_can_run(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    good = await sent(zhangsan, cid, "**粗体** and [docs](https://example.com/a?b=1)", kind="markdown")
    assert "<strong>粗体</strong>" in good["html"]
    assert [tag for tag, _ in Markup(good["html"]).tags] == ["p", "strong", "a"]
    assert Markup(good["html"]).tags[-1][1]["href"] == "https://example.com/a?b=1"
    assert good["body"] == "**粗体** and [docs](https://example.com/a?b=1)"  # the source is kept

    for i, source in enumerate(HOSTILE_MARKDOWN):
        message = await sent(zhangsan, cid, source, kind="markdown", cid=f"md-{i}")
        html = message["html"]
        assert "<script" not in html.lower() and "<img" not in html.lower(), source
        for tag, attrs in Markup(html).tags:
            assert tag in ALLOWED_TAGS, (source, html)
            assert not any(name.startswith("on") or name == "style" for name in attrs), (source, html)
            if "href" in attrs:
                # As a browser reads it: tabs and newlines dropped, then the scheme (if any).
                href = re.sub(r"[\t\n\r]", "", attrs["href"]).strip()
                assert urlsplit(href).scheme.lower() in {"", *ALLOWED_SCHEMES}, (source, html)
        assert (await fetch(lisi, message["id"]))["html"] == html
    # A text message is never rendered at all: clients show its body as text.
    assert (await sent(zhangsan, cid, "<b>not bold</b>"))["html"] is None


async def test_mentions_name_members_and_all_is_for_managers(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice"))
    gid = await group_of(zhangsan, lisi, wangwu)
    await befriend(zhangsan, alice)  # a friend, but not in the group

    message = await sent(zhangsan, gid, "@lisi @WangWu @alice @nobody @zhangsan 看 lisi@example.com")
    assert message["mentions"] == sorted([lisi.id, wangwu.id]) and message["mention_all"] is False
    assert (await sent(lisi, gid, "**@zhangsan** 好", kind="markdown"))["mentions"] == [zhangsan.id]
    assert (await sent(wangwu, gid, "@all 开会"))["mention_all"] is False  # a plain member
    owner_all = await sent(zhangsan, gid, "@all 开会")
    assert owner_all["mention_all"] is True and owner_all["mentions"] == []
    url = f"/api/v1/conversations/{gid}/members/{lisi.id}/role"
    assert (await zhangsan.put(url, json={"role": "admin"})).status_code == 200
    assert (await sent(lisi, gid, "@ALL 注意", cid="lisi-all"))["mention_all"] is True

    cid = await open_direct(zhangsan, lisi)
    direct = await sent(zhangsan, cid, "@all @lisi")
    assert direct["mention_all"] is False and direct["mentions"] == [lisi.id]


async def test_replies_quote_their_target(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    gid = await group_of(zhangsan, lisi)
    elsewhere = await group_of(lisi, people["wangwu"], title="别处")
    original = await sent(zhangsan, gid, "原话")
    stranger = await sent(lisi, elsewhere, "别处的话")

    reply = await sent(lisi, gid, "回复", reply_to_id=original["id"])
    assert reply["reply_to"] == {
        "id": original["id"],
        "seq": original["seq"],
        "sender_id": zhangsan.id,
        "kind": "text",
        "body": "原话",
        "recalled": False,
    }
    for target in (stranger["id"], 10**12):
        response = await send(lisi, gid, "跨群回复", reply_to_id=target)
        assert response.status_code == 404 and error_code(response) == "REPLY_NOT_FOUND"
    for target in ("1", True, 0):
        response = await send(lisi, gid, "坏的", reply_to_id=target)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"

    assert (await zhangsan.post(f"/api/v1/messages/{original['id']}/recall")).status_code == 200
    quoted = (await fetch(lisi, reply["id"]))["reply_to"]
    assert quoted["recalled"] is True and quoted["body"] == "" and quoted["id"] == original["id"]
    assert next(m for m in await timeline(zhangsan, gid) if m["id"] == reply["id"])["reply_to"] == quoted


async def test_attachments_belong_to_their_sender_and_leave_with_a_recall(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    gid = await group_of(zhangsan, lisi)
    image = await upload(lisi, png(), "猫.png")
    document = await upload(lisi, b"plain words", "notes.txt")
    not_hers = await upload(zhangsan, png(), "mine.png")
    for extra, status, code in [
        ({"kind": "image"}, 422, "FILE_REQUIRED"),
        ({"kind": "text", "file_id": image}, 422, "UNEXPECTED_FILE"),
        ({"kind": "image", "file_id": not_hers}, 404, "FILE_NOT_FOUND"),
        ({"kind": "image", "file_id": document}, 422, "NOT_AN_IMAGE"),
    ]:
        response = await send(lisi, gid, "看图", cid=f"bad-{code}", **extra)
        assert response.status_code == status, (extra, response.text)
        assert error_code(response) == code

    picture = await sent(lisi, gid, "", kind="image", file_id=image, cid="pic")
    assert picture["file"]["id"] == image and picture["file"]["width"] == 12 and picture["body"] == ""
    note = await sent(lisi, gid, "会议纪要", kind="file", file_id=document, cid="doc")
    assert note["file"]["filename"] == "notes.txt" and note["body"] == "会议纪要"
    assert (await zhangsan.get(f"/api/v1/files/{image}")).status_code == 200  # shared with the group
    response = await lisi.patch(f"/api/v1/messages/{picture['id']}", json={"body": "caption"})
    assert response.status_code == 422 and error_code(response) == "NOT_EDITABLE"

    recalled = (await lisi.post(f"/api/v1/messages/{picture['id']}/recall")).json()
    assert recalled["file"] is None and recalled["recalled"] is True
    assert (await stored_row(app, picture["id"])).file_id is None
    assert (await zhangsan.get(f"/api/v1/files/{image}")).status_code == 404


# -- retries and history --------------------------------------------------------------------------


async def test_a_reused_client_msg_id_with_another_message_is_a_conflict(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    first = await sent(zhangsan, cid, "明天开会\r\n九点", cid="k-1")
    quoted = await sent(zhangsan, cid, "被引用", cid="k-2")
    # An identical retry, after the same normalisation (CRLF folded, NFC): the original, 200.
    for body in ("明天开会\r\n九点", "明天开会\n九点"):
        retry = await send(zhangsan, cid, body, cid="k-1")
        assert retry.status_code == 200 and retry.json()["id"] == first["id"], retry.text
    # Anything else under the same id is refused, and nothing is stored.
    for change in (
        {"body": "后天开会"},
        {"body": "明天开会\n九点", "kind": "markdown"},
        {"body": "明天开会\n九点", "reply_to_id": quoted["id"]},
    ):
        response = await zhangsan.post(
            f"/api/v1/conversations/{cid}/messages", json={"client_msg_id": "k-1", **change}
        )
        assert response.status_code == 409, (change, response.text)
        assert error_code(response) == "IDEMPOTENCY_CONFLICT"
        assert response.json()["error"]["message_id"] == first["id"]
    # A file message: another file under the same id is another message.
    uploads = [await upload(zhangsan, png(), f"{n}.png") for n in ("a", "b")]
    image = await sent(zhangsan, cid, "", cid="k-img", kind="image", file_id=uploads[0])
    same = await send(zhangsan, cid, "", cid="k-img", kind="image", file_id=uploads[0])
    assert same.status_code == 200 and same.json()["id"] == image["id"]
    other = await send(zhangsan, cid, "", cid="k-img", kind="image", file_id=uploads[1])
    assert other.status_code == 409 and error_code(other) == "IDEMPOTENCY_CONFLICT"
    # A message recalled since: its retry gets the tombstone (its text left the server and cannot
    # be compared), never a second copy; a different kind is still a conflict.
    assert (await zhangsan.post(f"/api/v1/messages/{quoted['id']}/recall")).status_code == 200
    tombstone = await send(zhangsan, cid, "被引用", cid="k-2")
    assert tombstone.status_code == 200 and tombstone.json()["recalled"] is True
    assert tombstone.json()["id"] == quoted["id"] and tombstone.json()["body"] == ""
    response = await send(zhangsan, cid, "被引用", cid="k-2", kind="markdown")
    assert response.status_code == 409 and error_code(response) == "IDEMPOTENCY_CONFLICT"
    assert [m["seq"] for m in await timeline(lisi, cid)] == [1, 2, 3]

    # Within one batch of the writer: the copy that differs is refused, the identical one is not.
    services = app.state.services
    user = await services.accounts.authenticate(zhangsan.token)
    drafts = [
        await services.messages.check_send(user, cid, SendMessage(client_msg_id="k-batch", body=body))
        for body in ("一", "一", "二")
    ]
    outcomes = await asyncio.gather(
        *(services.messages.writer.submit(d) for d in drafts), return_exceptions=True
    )
    assert [getattr(o, "created", getattr(o, "code", None)) for o in outcomes] == [
        True,
        False,
        "IDEMPOTENCY_CONFLICT",
    ]


async def test_retries_are_per_sender_and_refused_in_another_conversation(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    gid = await group_of(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    mine = await sent(zhangsan, gid, "同一个编号", cid="shared-id")
    theirs = await sent(lisi, gid, "同一个编号", cid="shared-id")  # another sender: another message
    assert theirs["id"] != mine["id"] and theirs["seq"] == mine["seq"] + 1
    again = await send(zhangsan, gid, "同一个编号", cid="shared-id")
    # The original, as it is now: lisi has read it since (replying moved her cursor).
    assert again.status_code == 200 and again.json() == mine | {"unread_count": 0}
    # The same id for the same text in another conversation is another message: refused.
    elsewhere = await send(zhangsan, cid, "同一个编号", cid="shared-id")
    assert elsewhere.status_code == 409 and error_code(elsewhere) == "IDEMPOTENCY_CONFLICT"
    assert await timeline(zhangsan, cid) == []
    assert (await zhangsan.post(f"/api/v1/messages/{mine['id']}/recall")).status_code == 200
    retry = await send(zhangsan, gid, "同一个编号", cid="shared-id")
    assert retry.status_code == 200 and retry.json()["id"] == mine["id"] and retry.json()["recalled"] is True
    assert [m["seq"] for m in await timeline(lisi, gid)] == [1, 2, 3]


async def test_history_pages_cover_everything_once(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    await asyncio.gather(*(send(zhangsan if i % 3 else lisi, cid, f"m{i}") for i in range(25)))
    url = f"/api/v1/conversations/{cid}/messages"
    backwards: list[int] = []
    params: dict[str, Any] = {"limit": 7}
    while True:
        page = (await lisi.get(url, params=params)).json()
        backwards = [m["seq"] for m in page["messages"]] + backwards
        if not page["has_more"]:
            break
        params = {"limit": 7, "before_seq": page["messages"][0]["seq"]}
    assert backwards == list(range(1, 26))
    forwards: list[int] = []
    after = 0
    while True:
        page = (await lisi.get(url, params={"limit": 7, "after_seq": after})).json()
        forwards += [m["seq"] for m in page["messages"]]
        if not page["has_more"]:
            break
        after = forwards[-1]
    assert forwards == list(range(1, 26))
    assert sorted(m["body"] for m in await timeline(lisi, cid)) == sorted(f"m{i}" for i in range(25))
    for bad in ({"before_seq": 0}, {"after_seq": -1}, {"limit": 0}, {"limit": 201}, {"before_seq": 2**64}):
        response = await lisi.get(url, params=bad)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED", bad


# -- edit -----------------------------------------------------------------------------------------


async def test_edit_rules(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    gid = await group_of(zhangsan, lisi, wangwu)
    text = await sent(zhangsan, gid, "原来的话 @lisi")
    url = f"/api/v1/messages/{text['id']}"

    response = await lisi.patch(url, json={"body": "冒名"})
    assert response.status_code == 403 and error_code(response) == "NOT_SENDER"
    for body, code in [
        ("", "EMPTY_MESSAGE"),
        ("  \n ", "EMPTY_MESSAGE"),
        ("bell\u0007", "CONTROL_CHARACTERS"),
        ("x" * (16 * 1024 + 1), "MESSAGE_TOO_LONG"),
    ]:
        response = await zhangsan.patch(url, json={"body": body})
        assert response.status_code == 422 and error_code(response) == code
    for payload in ({"body": 5}, {}, {"body": "x", "kind": "markdown"}):
        response = await zhangsan.patch(url, json=payload)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"
    assert await fetch(lisi, text["id"]) == text | {"unread_count": None}  # as lisi sees it

    edited = (await zhangsan.patch(url, json={"body": "改过的话 @wangwu"})).json()
    assert edited["body"] == "改过的话 @wangwu" and edited["edited_at"] is not None
    assert edited["mentions"] == [wangwu.id]  # mentions follow the new text
    assert edited["seq"] == text["seq"] and edited["created_at"] == text["created_at"]
    assert await fetch(lisi, text["id"]) == edited | {"unread_count": None}
    async with app.state.services.ctx.db.read() as conn:
        words = await conn.scalar(
            select(message_search.c.words).where(message_search.c.message_id == text["id"])
        )
    assert "改过" in words and "原来" not in words

    markdown = await sent(zhangsan, gid, "*old*", kind="markdown")
    edited_md = (await zhangsan.patch(f"/api/v1/messages/{markdown['id']}", json={"body": "**new**"})).json()
    assert edited_md["html"] == "<p><strong>new</strong></p>"
    system = (await timeline(zhangsan, gid))[0]
    assert system["kind"] == "system" and system["sender_id"] == zhangsan.id
    response = await zhangsan.patch(f"/api/v1/messages/{system['id']}", json={"body": "rewritten"})
    assert response.status_code == 422 and error_code(response) == "NOT_EDITABLE"

    assert (await zhangsan.post(f"{url}/recall")).status_code == 200
    response = await zhangsan.patch(url, json={"body": "复活"})
    assert response.status_code == 422 and error_code(response) == "MESSAGE_RECALLED"


class TestClosedWindows:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        """No time at all to edit or recall, for this class only."""
        return settings.model_copy(update={"edit_window_seconds": 0, "recall_window_social_seconds": 0})

    async def test_edit_and_recall_windows(self, people: dict[str, Person]) -> None:
        zhangsan, lisi = people["zhangsan"], people["lisi"]
        await befriend(zhangsan, lisi)
        cid = await open_direct(zhangsan, lisi)
        message = await sent(zhangsan, cid, "说出去的话")
        response = await zhangsan.patch(f"/api/v1/messages/{message['id']}", json={"body": "改"})
        assert response.status_code == 403 and error_code(response) == "EDIT_WINDOW_PASSED"
        response = await zhangsan.post(f"/api/v1/messages/{message['id']}/recall")
        assert response.status_code == 403 and error_code(response) == "RECALL_WINDOW_PASSED"
        assert await fetch(lisi, message["id"]) == message | {"unread_count": None}


# -- recall ---------------------------------------------------------------------------------------


async def test_recall_removes_the_content_from_storage(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    gid = await group_of(zhangsan, lisi)
    secret = "secretplan 机密计划"
    message = await sent(zhangsan, gid, f"**{secret}** @lisi", kind="markdown", cid="secret-1")
    mid = message["id"]
    assert (await lisi.put(f"/api/v1/messages/{mid}/reactions/😮")).status_code == 200
    assert await count(app, message_search, message_search.c.message_id == mid) == 1
    assert await count(app, reactions, reactions.c.message_id == mid) == 1

    response = await lisi.post(f"/api/v1/messages/{mid}/recall")
    assert response.status_code == 403 and error_code(response) == "NOT_SENDER"
    tombstone = (await zhangsan.post(f"/api/v1/messages/{mid}/recall")).json()
    assert tombstone["recalled"] is True and tombstone["recalled_by"] == zhangsan.id
    assert tombstone["recalled_at"] is not None
    for field, empty in (
        ("body", ""),
        ("html", None),
        ("mentions", []),
        ("reactions", []),
        ("mention_all", False),
    ):
        assert tombstone[field] == empty, field
    assert tombstone["seq"] == message["seq"] and tombstone["client_msg_id"] == "secret-1"
    assert await fetch(lisi, mid) == tombstone
    assert [m for m in await timeline(lisi, gid) if m["id"] == mid] == [tombstone]

    row = await stored_row(app, mid)
    assert (row.body, row.html, row.mentions, row.mention_all) == ("", None, None, False)
    assert await count(app, message_search, message_search.c.message_id == mid) == 0
    assert await count(app, reactions, reactions.c.message_id == mid) == 0
    async with app.state.services.ctx.db.read() as conn:
        logged = [bytes(data) for data in (await conn.execute(select(events.c.data))).scalars()]
    assert logged and not any(b"secretplan" in data or "机密".encode() in data for data in logged)

    again = await zhangsan.post(f"/api/v1/messages/{mid}/recall")  # a retried recall
    assert again.status_code == 200 and again.json() == tombstone
    response = await lisi.post(f"/api/v1/messages/{mid}/recall")  # still not hers
    assert response.status_code == 403 and error_code(response) == "NOT_SENDER"
    response = await lisi.put(f"/api/v1/messages/{mid}/reactions/👍")
    assert response.status_code == 422 and error_code(response) == "NOT_REACTABLE"
    system = (await timeline(zhangsan, gid))[0]
    response = await zhangsan.post(f"/api/v1/messages/{system['id']}/recall")
    assert response.status_code == 422 and error_code(response) == "NOT_RECALLABLE"


# -- reactions ------------------------------------------------------------------------------------


async def test_reactions_count_each_person_once(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    gid = await group_of(zhangsan, lisi, wangwu)
    message = await sent(zhangsan, gid, "赞我")
    url = f"/api/v1/messages/{message['id']}/reactions"

    first = await lisi.put(f"{url}/👍")
    twice = await lisi.put(f"{url}/👍")
    assert first.status_code == twice.status_code == 200
    assert twice.json()["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [lisi.id]}]
    assert (await zhangsan.put(f"{url}/👍")).status_code == 200
    racing = await asyncio.gather(*(wangwu.put(f"{url}/ok") for _ in range(6)))
    assert all(r.status_code == 200 for r in racing), [r.text for r in racing]
    assert (await fetch(zhangsan, message["id"]))["reactions"] == [
        {"emoji": "👍", "count": 2, "user_ids": [lisi.id, zhangsan.id]},
        {"emoji": "ok", "count": 1, "user_ids": [wangwu.id]},
    ]
    removed = await lisi.delete(f"{url}/👍")
    assert removed.json()["reactions"][0] == {"emoji": "👍", "count": 1, "user_ids": [zhangsan.id]}
    assert (await lisi.delete(f"{url}/👍")).json() == removed.json()  # nothing left to remove
    assert (await wangwu.delete(f"{url}/ok")).json()["reactions"] == [
        {"emoji": "👍", "count": 1, "user_ids": [zhangsan.id]}
    ]
    assert [m["reactions"] for m in await timeline(lisi, gid) if m["id"] == message["id"]] == [
        [{"emoji": "👍", "count": 1, "user_ids": [zhangsan.id]}]
    ]
    for emoji, code in (("a b", "INVALID_REACTION"), ("x" * 33, "VALIDATION_FAILED")):
        response = await lisi.put(f"{url}/{emoji}")
        assert response.status_code == 422 and error_code(response) == code
    system = (await timeline(zhangsan, gid))[0]
    response = await lisi.put(f"/api/v1/messages/{system['id']}/reactions/👍")
    assert response.status_code == 422 and error_code(response) == "NOT_REACTABLE"


# -- blocks ---------------------------------------------------------------------------------------


async def test_a_block_closes_the_direct_chat_both_ways(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    gid = await group_of(wangwu, zhangsan, lisi)
    earlier = await sent(zhangsan, cid, "在吗")
    assert (await lisi.put(f"/api/v1/blocks/{zhangsan.id}")).status_code == 200
    for person in (zhangsan, lisi):
        response = await send(person, cid, "还能发吗")
        assert response.status_code == 403 and error_code(response) == "BLOCKED"
    response = await zhangsan.patch(f"/api/v1/messages/{earlier['id']}", json={"body": "改成骂人的话"})
    assert response.status_code == 403 and error_code(response) == "BLOCKED"
    assert [m["body"] for m in await timeline(lisi, cid)] == ["在吗"]  # history stays readable
    # A shared group is not a direct chat: both still talk there.
    assert (await send(zhangsan, gid, "群里说")).status_code == 201
    assert (await send(lisi, gid, "群里说")).status_code == 201


# -- bad input ------------------------------------------------------------------------------------


async def test_bad_input_is_refused_and_writes_nothing(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    await sent(zhangsan, cid, "唯一的一条")
    before = await timeline(lisi, cid)
    rows_before = await count(app, messages)
    url = f"/api/v1/conversations/{cid}/messages"
    limit = 16 * 1024
    cases: list[tuple[Any, str]] = [
        ({"client_msg_id": "b1", "body": "x" * (limit + 1)}, "MESSAGE_TOO_LONG"),
        ({"client_msg_id": "b2", "body": "中" * (limit // 3 + 1)}, "MESSAGE_TOO_LONG"),  # bytes, not chars
        ({"client_msg_id": "b3", "body": "x" * 70_000}, "VALIDATION_FAILED"),
        ({"client_msg_id": "b4", "body": ""}, "EMPTY_MESSAGE"),
        ({"client_msg_id": "b5", "body": " \n\t "}, "EMPTY_MESSAGE"),
        ({"client_msg_id": "b6", "body": "ring \u0007"}, "CONTROL_CHARACTERS"),
        ({"client_msg_id": "b7", "body": "nul\x00"}, "VALIDATION_FAILED"),
        ({"client_msg_id": "b8", "body": "\u202egnp.exe"}, "CONTROL_CHARACTERS"),
        ({"client_msg_id": "b9", "body": "x", "kind": 5}, "VALIDATION_FAILED"),
        ({"client_msg_id": "b10", "body": "x", "kind": "system"}, "VALIDATION_FAILED"),
        ({"client_msg_id": "b11", "body": 5}, "VALIDATION_FAILED"),
        ({"client_msg_id": "b12", "body": None}, "VALIDATION_FAILED"),
        ({"client_msg_id": 12, "body": "x"}, "VALIDATION_FAILED"),
        ({"body": "x"}, "VALIDATION_FAILED"),
        ({"client_msg_id": "", "body": "x"}, "VALIDATION_FAILED"),
        ({"client_msg_id": "c" * 65, "body": "x"}, "VALIDATION_FAILED"),
        ({"client_msg_id": "   ", "body": "x"}, "INVALID_CLIENT_MSG_ID"),
        ({"client_msg_id": "a\u0007b", "body": "x"}, "INVALID_CLIENT_MSG_ID"),
        ({"client_msg_id": "b13", "body": "x", "reply_to_id": "1"}, "VALIDATION_FAILED"),
        ({"client_msg_id": "b14", "body": "x", "unknown": 1}, "VALIDATION_FAILED"),
        ({"client_msg_id": "b15", "body": "x", "kind": "image"}, "FILE_REQUIRED"),
        ({"client_msg_id": "b16", "body": "x", "file_id": "abc"}, "UNEXPECTED_FILE"),
        (["client_msg_id", "body"], "VALIDATION_FAILED"),
    ]
    for payload, code in cases:
        response = await zhangsan.post(url, json=payload)
        assert response.status_code == 422, (payload, response.text)
        assert error_code(response) == code, payload
    response = await zhangsan.http.post(
        url,
        content=b'{"client_msg_id": "b17", "body": ',
        headers={**zhangsan.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400 and error_code(response) == "INVALID_JSON"
    response = await zhangsan.post(f"/api/v1/conversations/{cid}/read", json={"seq": "1"})
    assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"

    assert await timeline(lisi, cid) == before
    assert await count(app, messages) == rows_before
    view = (await zhangsan.get(f"/api/v1/conversations/{cid}")).json()
    assert view["last_seq"] == 1
    # Exactly at the limit is fine.
    assert (await send(zhangsan, cid, "x" * limit, cid="at-limit")).status_code == 201


async def test_a_send_racing_the_writers_shutdown_is_still_answered(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    cid = await open_direct(zhangsan, lisi)
    services = app.state.services
    await sent(zhangsan, cid, "before")
    user = await services.accounts.authenticate(lisi.token)
    draft = await services.messages.check_send(user, cid, SendMessage(client_msg_id="late-1", body="late"))
    stopping = asyncio.create_task(services.messages.writer.stop())
    await asyncio.sleep(0)  # stop() has queued its end marker and waits for the writer
    # A guard against a hang, not a timing assertion: the send must be answered.
    result = await asyncio.wait_for(services.messages.writer.submit(draft), timeout=30)
    await stopping
    assert result.created and result.message["seq"] == 2
    assert (await send(lisi, cid, "after")).status_code == 201  # committed inline from now on
    assert [m["body"] for m in await timeline(zhangsan, cid)] == ["before", "late", "after"]


async def test_a_reused_client_msg_id_is_nacked_over_the_socket_with_the_same_code(
    settings: Settings,
) -> None:
    async with running_server(settings) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            zhangsan = await register(http, "zhangsan", "张三")
            lisi = await register(http, "lisi", "李四")
            await befriend(zhangsan, lisi)
            cid = await open_direct(zhangsan, lisi)
        async with connect(url.replace("http", "ws", 1) + "/api/v1/stream") as ws:
            await ws.send(orjson.dumps({"op": "hello", "token": zhangsan.token}).decode())
            await _until(ws, lambda frame: frame.get("op") == "live")
            frame = {"op": "send", "conversation_id": cid, "body": "第一条", "client_msg_id": "ws-1"}
            for body, expected in (("第一条", True), ("第一条", False), ("另一条", "IDEMPOTENCY_CONFLICT")):
                await ws.send(orjson.dumps({**frame, "body": body}).decode())
                reply = await _until(ws, lambda f: f.get("type") in ("ack", "nack"))
                got = reply["created"] if reply["type"] == "ack" else reply["error"]["code"]
                assert got == expected, reply


async def _until(ws: ClientConnection, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame = orjson.loads(await ws.recv())
            if match(frame):
                return dict(frame)
