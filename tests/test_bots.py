"""Bots (services/bots.py) and card messages (domain/cards.py): the identity every integration posts
as. A bot joins a group and says so, posts text, markdown and cards through the one send pipeline
(sequence, history, search, events), may @所有人 where its creator allowed it, never logs in, is
never found as a person and is nobody's friend; a card carries only http(s) links and the server's
own rendering of its markdown."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from lakeside.domain import cards
from lakeside.errors import Invalid, LakesideError
from lakeside.services import bots
from lakeside.services.container import Services
from tests.conftest import PASSWORD, Person, error_code
from tests.test_group_tools import events_since, group, kinds, ok, position


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


async def make_bot(app: FastAPI, owner: Person, conversation_id: int, name: str = "构建机器人") -> bots.Bot:
    services = services_of(app)
    async with services.ctx.transaction() as uow:
        bot = await bots.create_bot(uow, kind="webhook", display_name=name, owner_id=owner.id)
        await bots.join(uow, bot, conversation_id, by=owner.id)
    return bot


async def test_a_bot_joins_a_group_and_posts_text_and_cards_seen_by_members(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    since = await position(lisi)
    bot = await make_bot(app, zhangsan, cid)
    writer = services_of(app).messages.writer
    limit = services_of(app).ctx.settings.max_message_bytes

    text = await bots.post(writer, bots.text_draft(bot, cid, "t-1", "构建 #42 通过", max_bytes=limit))
    card = {
        "sender_name": "Jenkins",
        "blocks": [
            {"type": "markdown", "text": "**构建失败** <script>alert(1)</script>"},
            {
                "type": "section",
                "color": "danger",
                "title": "lakeside #43",
                "title_url": "https://ci.example.com/43",
                "fields": [{"title": "分支", "value": "main", "short": True}],
            },
            {"type": "buttons", "buttons": [{"title": "查看日志", "url": "https://ci.example.com/43/log"}]},
        ],
    }
    posted = await bots.post(writer, bots.card_draft(bot, cid, "c-1", card, max_bytes=limit))
    assert text.created and posted.created
    # A retried delivery with the same id is stored once.
    again = await bots.post(writer, bots.card_draft(bot, cid, "c-1", card, max_bytes=limit))
    assert not again.created and again.message["id"] == posted.message["id"]

    history = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 50}))
    mine = [m for m in history["messages"] if m["sender_id"] == bot.user_id]
    assert [m["kind"] for m in mine] == ["text", "card"]
    shown = mine[1]
    assert shown["card"]["sender_name"] == "Jenkins"
    markdown = shown["card"]["blocks"][0]
    assert "<script>" not in markdown["html"] and "<strong>构建失败</strong>" in markdown["html"]
    assert shown["card"]["blocks"][1]["color"] == "#d32f2f"
    assert "构建失败" in shown["body"] and "lakeside #43" in shown["body"]  # its words, not JSON

    # The robot is shown as a robot; it joined as a member, and said so.
    profile = await ok(await lisi.get(f"/api/v1/users/{bot.user_id}"))
    assert profile["bot"] == "webhook" and profile["display_name"] == "构建机器人"
    assert (await ok(await lisi.get(f"/api/v1/users/{zhangsan.id}")))["bot"] is None
    seen = kinds(await events_since(lisi, since))
    assert ("member", "added") in seen and ("message", "created") in seen

    # Search finds a card by its words; the conversation list previews them.
    found = await ok(await lisi.get("/api/v1/search/messages", params={"q": "构建失败"}))
    assert [hit["message"]["id"] if "message" in hit else hit["id"] for hit in found["results"]] == [
        posted.message["id"]
    ]
    listing = await ok(await lisi.get("/api/v1/conversations"))
    entry = next(c for c in listing["conversations"] if c["id"] == cid)
    assert entry["last_message"]["kind"] == "card" and "构建失败" in entry["last_message"]["body"]

    # An outsider sees nothing of it.
    assert (await mallory.get(f"/api/v1/conversations/{cid}/messages")).status_code == 404


async def test_a_bot_may_notify_everyone_only_where_it_was_allowed(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await make_bot(app, zhangsan, cid)
    writer = services_of(app).messages.writer
    limit = services_of(app).ctx.settings.max_message_bytes
    plain = await bots.post(writer, bots.text_draft(bot, cid, "a", "@所有人 发布了", max_bytes=limit))
    allowed = await bots.post(
        writer, bots.text_draft(bot, cid, "b", "发布了", everyone=True, max_bytes=limit)
    )
    assert plain.message["mention_all"] is False  # a member's @所有人 is plain text
    assert allowed.message["mention_all"] is True
    picked = await bots.post(
        writer,
        bots.text_draft(bot, cid, "c", "@李四 请看", mention_ids=(lisi.id,), max_bytes=limit),
    )
    assert picked.message["mentions"] == [lisi.id]


async def test_a_bot_posts_only_where_it_is_a_member(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi)
    other = await group(wangwu, lisi, title="别的群")
    bot = await make_bot(app, zhangsan, cid)
    writer = services_of(app).messages.writer
    limit = services_of(app).ctx.settings.max_message_bytes
    with pytest.raises(LakesideError):
        await bots.post(writer, bots.text_draft(bot, other, "x", "不该出现", max_bytes=limit))
    services = services_of(app)
    async with services.ctx.transaction() as uow:
        await bots.leave(uow, bot, cid, by=zhangsan.id)
    with pytest.raises(LakesideError):
        await bots.post(writer, bots.text_draft(bot, cid, "y", "已被移出", max_bytes=limit))


async def test_robots_join_groups_not_direct_chats(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await group(zhangsan, lisi)  # friends now
    direct = await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id}))
    services = services_of(app)
    with pytest.raises(Invalid) as refused:
        async with services.ctx.transaction() as uow:
            bot = await bots.create_bot(uow, kind="webhook", display_name="机器人", owner_id=zhangsan.id)
            await bots.join(uow, bot, int(direct["id"]), by=zhangsan.id)
    assert refused.value.code == "NOT_A_GROUP"


async def test_a_bot_never_logs_in_is_never_found_and_is_nobodys_friend(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await make_bot(app, zhangsan, cid)
    http = zhangsan.http
    for password in (bots.UNUSABLE_PASSWORD, PASSWORD, ""):
        response = await http.post("/api/v1/auth/login", json={"login": bot.username, "password": password})
        assert response.status_code in (401, 422), response.text
        if response.status_code == 401:
            assert error_code(response) == "BAD_CREDENTIALS"
    found = await ok(await lisi.get("/api/v1/users/lookup", params={"q": bot.username}))
    assert found == []
    response = await lisi.post("/api/v1/friends/requests", json={"user_id": bot.user_id})
    assert response.status_code == 422 and error_code(response) == "CANNOT_FRIEND_BOT"


async def test_who_may_manage_a_bot(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, admin = people["zhangsan"], people["lisi"], people["admin"]
    cid = await group(zhangsan, lisi)
    bot = await make_bot(app, zhangsan, cid)
    services = services_of(app)
    async with services.ctx.db.read() as conn:
        as_owner = await services.accounts.authenticate(zhangsan.token)
        as_member = await services.accounts.authenticate(lisi.token)
        as_admin = await services.accounts.authenticate(admin.token)
        assert await bots.may_manage(conn, as_owner, bot)
        assert await bots.may_manage(conn, as_admin, bot)
        assert not await bots.may_manage(conn, as_member, bot)


# -- cards ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        {"blocks": []},
        {"blocks": [{"type": "markdown", "text": ""}]},
        {"blocks": [{"type": "buttons", "buttons": [{"title": "x", "url": "javascript:alert(1)"}]}]},
        {"blocks": [{"type": "links", "items": [{"title": "x", "url": "data:text/html,<b>"}]}]},
        {"blocks": [{"type": "image", "url": "//evil.example/x.png"}]},
        {"blocks": [{"type": "section", "title_url": "https://ok.example/\nSet-Cookie: x"}]},
        {"blocks": [{"type": "script", "text": "x"}]},
        {"blocks": [{"type": "markdown", "text": "a\x00b"}]},
        {"blocks": [{"type": "markdown", "text": "\ud800"}]},
        {"blocks": [{"type": "markdown", "text": "x"}] * (cards.MAX_BLOCKS + 1)},
        {"blocks": [{"type": "markdown", "text": "x", "onclick": "alert(1)"}]},
    ],
)
def test_cards_refuse_what_could_be_unsafe_or_unbounded(card: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        cards.build(card)


def test_a_card_never_carries_the_senders_html() -> None:
    built = cards.build(
        {
            "blocks": [
                {"type": "markdown", "text": "hello", "html": "<img src=x onerror=alert(1)>"},
                {"type": "section", "title": "t", "html": "<script>x</script>"},
            ]
        }
    )
    assert built["blocks"][0]["html"] == "<p>hello</p>"
    assert "html" not in built["blocks"][1]


def test_card_colours_are_normalised_or_dropped() -> None:
    assert cards.color("good") == "#2e7d32"
    assert cards.color("#ABC") == "#aabbcc"
    assert cards.color("36a64f") == "#36a64f"
    assert cards.color("red; background:url(x)") is None
    built = cards.build({"blocks": [{"type": "section", "color": "expression(alert(1))", "title": "t"}]})
    assert "color" not in built["blocks"][0]


# -- the DingTalk dialect ------------------------------------------------------------------------------


def test_dingtalk_message_types_translate_into_valid_posts() -> None:
    from lakeside.domain.dialects import DialectError, dingtalk

    at = {"atMobiles": ["13800000000"], "atUserIds": ["lisi"], "isAtAll": False}
    text = dingtalk.translate({"msgtype": "text", "text": {"content": "告警 @13800000000"}, "at": at})
    assert text.kind == "text" and text.at_mobiles == ("13800000000",) and text.at_user_ids == ("lisi",)
    md = dingtalk.translate({"msgtype": "markdown", "markdown": {"title": "杭州天气", "text": "#### 9度"}})
    assert md.kind == "markdown" and "杭州天气" in md.words
    payloads = [
        {
            "msgtype": "link",
            "link": {"text": "t", "title": "T", "picUrl": "", "messageUrl": "https://a.example"},
        },
        {
            "msgtype": "actionCard",
            "actionCard": {
                "title": "T",
                "text": "x",
                "singleTitle": "阅读全文",
                "singleURL": "https://a.example",
            },
        },
        {
            "msgtype": "actionCard",
            "actionCard": {
                "title": "T",
                "text": "x",
                "btnOrientation": "1",
                "btns": [
                    {"title": "好", "actionURL": "https://a.example/1"},
                    {"title": "不好", "actionURL": "https://a.example/2"},
                ],
            },
        },
        {
            "msgtype": "feedCard",
            "feedCard": {
                "links": [
                    {"title": "一", "messageURL": "https://a.example", "picURL": "https://a.example/p.png"}
                ]
            },
        },
    ]
    for payload in payloads:
        post = dingtalk.translate(payload)
        assert post.kind == "card" and post.card is not None
        cards.build(post.card)  # a valid card
    for bad, reason in [
        ({"msgtype": "text", "text": {"content": " "}}, "no_text"),
        ({"msgtype": "image"}, "unsupported_type"),
        ({"text": {"content": "x"}}, "invalid_payload"),
        ({"msgtype": "text", "text": "x"}, "invalid_payload"),
        ({"msgtype": "feedCard", "feedCard": {"links": []}}, "invalid_payload"),
    ]:
        with pytest.raises(DialectError) as refused:
            dingtalk.translate(bad)
        assert refused.value.reason == reason


def test_dingtalk_font_tags_and_titles_read_as_dingtalk_shows_them() -> None:
    """Found walking the demo: <font color> came out as text, and an actionCard showed its title
    twice (DingTalk shows the title in notifications, the text — usually with the heading — in
    the card)."""
    from lakeside.domain.dialects import dingtalk

    md = dingtalk.translate(
        {
            "msgtype": "markdown",
            "markdown": {"title": "告警", "text": '<font color="#ff0000">红色警告</font> 磁盘满'},
        }
    )
    assert md.text == "红色警告 磁盘满"
    card = dingtalk.translate(
        {
            "msgtype": "actionCard",
            "actionCard": {
                "title": "发布 1.2",
                "text": "### 发布 1.2\n3 个修复",
                "singleTitle": "查看",
                "singleURL": "https://a.example",
            },
        }
    )
    assert card.card is not None and "发布 1.2" in card.words
    assert all(block.get("title") != "发布 1.2" for block in card.card["blocks"])


def test_a_cards_plain_text_has_words_not_markdown() -> None:
    """Found walking the demo: search results and previews showed '### 发布 2.0 **逾期**'."""
    built = cards.build(
        {
            "blocks": [
                {"type": "markdown", "text": "### 发布 2.0 需要审批\n**逾期自动取消**"},
                {"type": "section", "title": "清单", "text": "- 数据库迁移\n- 灰度 10%"},
            ]
        }
    )
    words = cards.plain_text(built)
    assert "###" not in words and "**" not in words and "- 数据库" not in words
    assert "发布 2.0 需要审批" in words and "逾期自动取消" in words and "数据库迁移" in words
