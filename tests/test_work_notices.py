"""Work notices (工作通知): the organization's notice bot writes cards into each member's own
read-only notice conversation, in the caller's transaction, once per key; action buttons and in-app
links only in the server's own cards."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from lakeside.domain import cards
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid
from lakeside.services import work_notices
from tests.conftest import Person, error_code
from tests.test_organizations import company

CARD = {
    "blocks": [
        {
            "type": "section",
            "title": "张三的请假申请",
            "title_url": "/#/approvals/7",
            "text": "**3 天** 年假",
        },
        {
            "type": "buttons",
            "layout": "horizontal",
            "buttons": [
                {
                    "title": "同意",
                    "style": "primary",
                    "action": {"path": "/api/v1/orgs/1/approvals/7/approve", "body": {}, "done": "已同意"},
                },
                {"title": "详情", "url": "/#/approvals/7"},
            ],
        },
    ]
}


async def notify(
    app: FastAPI, org_id: int, user_ids: list[int], key: str, card: dict[str, Any] = CARD
) -> list[int]:
    async with app.state.services.ctx.transaction() as uow:
        return await work_notices.notify(
            uow, organization_id=org_id, user_ids=user_ids, card=card, key=key, now=now_ms()
        )


async def notice_conversation(person: Person) -> dict[str, Any]:
    listed = (await person.get("/api/v1/conversations", params={"limit": 200})).json()["conversations"]
    found = [c for c in listed if c["kind"] == "notice"]
    assert len(found) == 1, listed
    return dict(found[0])


async def test_notices_arrive_once_in_a_read_only_conversation(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu, bob = people["zhangsan"], people["lisi"], people["wangwu"], people["bob"]
    org = await company(zhangsan, [lisi, wangwu])
    written = await notify(app, org["id"], [lisi.id, wangwu.id, bob.id], "approval:7:task:1")
    assert len(written) == 2  # bob is no member: skipped

    conversation = await notice_conversation(lisi)
    assert (conversation["title"], conversation["member_count"]) == ("工作通知", 2)
    history = (await lisi.get(f"/api/v1/conversations/{conversation['id']}/messages")).json()["messages"]
    assert [m["kind"] for m in history] == ["card"]
    card = history[0]["card"]
    button = card["blocks"][1]["buttons"][0]
    assert button["action"]["path"] == "/api/v1/orgs/1/approvals/7/approve"
    assert card["blocks"][0]["title_url"] == "/#/approvals/7"
    assert "<strong>3 天</strong>" in card["blocks"][0]["html"]
    # The sender is the organization's notice bot, shown as a bot.
    sender = (await lisi.get(f"/api/v1/users/{history[0]['sender_id']}")).json()
    assert sender["display_name"] == "工作通知" and sender["bot"]

    # The same key again writes nothing; a new key writes into the same conversation.
    assert await notify(app, org["id"], [lisi.id], "approval:7:task:1") == []
    assert len(await notify(app, org["id"], [lisi.id], "approval:7:outcome")) == 1
    assert (await notice_conversation(lisi))["id"] == conversation["id"]
    assert (await notice_conversation(lisi))["unread"] == 2
    found = (await lisi.get("/api/v1/search/messages", params={"q": "请假申请"})).json()
    assert [hit["message"]["conversation_id"] for hit in found["results"]] == [conversation["id"]] * 2

    # The reader cannot write in it, and cannot add anyone to it.
    refused = await lisi.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"client_msg_id": "x1", "body": "收到"}
    )
    assert refused.status_code == 403, refused.text
    added = await lisi.post(
        f"/api/v1/conversations/{conversation['id']}/members", json={"user_ids": [wangwu.id]}
    )
    assert added.status_code in (403, 404, 409, 422), added.text
    # Another member's notices are not theirs to read.
    other = await notice_conversation(wangwu)
    assert other["id"] != conversation["id"]
    response = await lisi.get(f"/api/v1/conversations/{other['id']}/messages")
    assert response.status_code == 404 and error_code(response) == "CONVERSATION_NOT_FOUND"


async def test_one_bot_per_organization(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, alice = people["zhangsan"], people["lisi"], people["alice"]
    first = await company(zhangsan, [lisi], name="湖畔科技")
    second = await company(alice, [lisi], name="西溪贸易")
    await notify(app, first["id"], [lisi.id], "k")
    await notify(app, second["id"], [lisi.id], "k")
    listed = (await lisi.get("/api/v1/conversations", params={"limit": 200})).json()["conversations"]
    notices = [c for c in listed if c["kind"] == "notice"]
    assert len(notices) == 2
    senders = set()
    for conversation in notices:
        history = (await lisi.get(f"/api/v1/conversations/{conversation['id']}/messages")).json()["messages"]
        senders.add(history[0]["sender_id"])
    assert len(senders) == 2


def test_only_the_servers_own_cards_act_or_link_inside_the_app() -> None:
    for card in (
        CARD,
        {"blocks": [{"type": "buttons", "buttons": [{"title": "x", "url": "/#/approvals/1"}]}]},
    ):
        try:
            cards.build(card)
        except Invalid as exc:
            assert exc.code == "VALIDATION_FAILED"
        else:
            raise AssertionError("an untrusted card kept an action or an in-app link")
    for path in (
        "/api/v1/../admin",
        "/api/v2/x",
        "/api/v1/a?b=1",
        "https://evil.example/api/v1/a",
        "/api/v1/",
    ):
        bad = {"blocks": [{"type": "buttons", "buttons": [{"title": "x", "action": {"path": path}}]}]}
        try:
            cards.build(bad, trusted=True)
        except Invalid:
            continue
        raise AssertionError(f"action path {path!r} was accepted")
    big = {
        "blocks": [
            {
                "type": "buttons",
                "buttons": [{"title": "x", "action": {"path": "/api/v1/a", "body": {"v": "x" * 3000}}}],
            }
        ]
    }
    try:
        cards.build(big, trusted=True)
    except Invalid:
        pass
    else:
        raise AssertionError("an oversized action body was accepted")
    built = cards.build(CARD, trusted=True)
    assert cards.plain_text(built).splitlines()[:1] == ["张三的请假申请"]
