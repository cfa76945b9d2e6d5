"""Group tools: pinned messages (置顶消息), the group notice (群公告) with acknowledgements, and
mute (全员禁言 and a member's 禁言) — who may do what, what members see, the live events, that a
muted member's sends are refused in the writer's batch without a statement of their own, and that
an outsider learns nothing (404, as for nothing)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from lakeside.domain.messages import SendMessage
from lakeside.errors import LakesideError
from lakeside.services.message_writer import SendResult
from tests.conftest import Person, befriend, error_code
from tests.test_query_counts import Statements, _send_batch

NOWHERE = 10**12


async def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), f"{response.request.url}: {response.text}"
    return response.json()


async def group(owner: Person, *members: Person, title: str = "产品组") -> int:
    friends = {f["user"]["id"] for f in await ok(await owner.get("/api/v1/friends"))}
    for member in members:
        if member.id not in friends:
            await befriend(owner, member)
    body = {"title": title, "member_ids": [m.id for m in members]}
    return int((await ok(await owner.post("/api/v1/conversations", json=body)))["id"])


async def send(person: Person, conversation_id: int, body: str) -> httpx.Response:
    payload = {"client_msg_id": uuid.uuid4().hex, "body": body}
    return await person.post(f"/api/v1/conversations/{conversation_id}/messages", json=payload)


async def sent(person: Person, conversation_id: int, body: str) -> dict[str, Any]:
    response = await send(person, conversation_id, body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def position(person: Person) -> int:
    return int((await ok(await person.get("/api/v1/sync")))["position"])


async def events_since(person: Person, since: int) -> list[dict[str, Any]]:
    page = await ok(await person.get("/api/v1/sync", params={"since": since, "limit": 1000}))
    return list(page["events"])


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["op"]) for e in events]


async def system_actions(person: Person, conversation_id: int) -> list[str]:
    page = await ok(
        await person.get(f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200})
    )
    return [orjson.loads(m["body"])["action"] for m in page["messages"] if m["kind"] == "system"]


# -- pinned messages ------------------------------------------------------------------------------


async def test_owners_and_admins_pin_and_every_member_sees_the_list(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = (people[n] for n in ("zhangsan", "lisi", "wangwu", "mallory"))
    cid = await group(zhangsan, lisi, wangwu)
    base = f"/api/v1/conversations/{cid}/pins"
    first = await sent(wangwu, cid, "下周一上线，请大家准备")
    second = await sent(lisi, cid, "发布清单见文档")
    since = await position(wangwu)

    pin = await ok(await zhangsan.put(f"{base}/{first['id']}"))
    assert pin["message"]["id"] == first["id"] and pin["pinned_by"] == zhangsan.id
    # A plain member may not pin; the owner makes lisi an admin, who may.
    assert error_code(await wangwu.put(f"{base}/{second['id']}")) == "NOT_GROUP_ADMIN"
    await ok(
        await zhangsan.put(f"/api/v1/conversations/{cid}/members/{lisi.id}/role", json={"role": "admin"})
    )
    await ok(await lisi.put(f"{base}/{second['id']}"))
    again = await ok(await lisi.put(f"{base}/{second['id']}"))  # pinning twice changes nothing
    assert again["message"]["id"] == second["id"]

    listed = await ok(await wangwu.get(base))
    assert [p["message"]["id"] for p in listed] == [second["id"], first["id"]]  # newest pin first
    assert listed[1]["message"]["body"] == "下周一上线，请大家准备"
    events = await events_since(wangwu, since)
    assert kinds(events).count(("message_pin", "added")) == 2
    added = next(e for e in events if (e["type"], e["op"]) == ("message_pin", "added"))
    assert added["conversation_id"] == cid and set(added["data"]) == {
        "message_id",
        "seq",
        "pinned_by",
        "pinned_at",
    }

    # Unpinning: members may not; the pin leaves the list and the event says who.
    assert error_code(await wangwu.delete(f"{base}/{first['id']}")) == "NOT_GROUP_ADMIN"
    since = await position(wangwu)
    await ok(await zhangsan.delete(f"{base}/{first['id']}"))
    await ok(await zhangsan.delete(f"{base}/{first['id']}"))  # unpinning twice: still fine, no event
    assert [p["message"]["id"] for p in await ok(await wangwu.get(base))] == [second["id"]]
    assert [e["data"] for e in await events_since(wangwu, since) if e["type"] == "message_pin"] == [
        {"message_id": first["id"], "by": zhangsan.id}
    ]
    # An outsider learns nothing: the list and the pin answer as for no conversation.
    assert error_code(await mallory.get(base)) == "CONVERSATION_NOT_FOUND"
    assert error_code(await mallory.put(f"{base}/{second['id']}")) == "CONVERSATION_NOT_FOUND"
    assert (await mallory.get(f"/api/v1/conversations/{NOWHERE}/pins")).status_code == 404


async def test_pins_in_a_direct_chat_the_cap_and_what_cannot_be_pinned(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(zhangsan, lisi)
    direct = int(
        (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id})))["id"]
    )
    mine = await sent(zhangsan, direct, "明天见")
    await ok(await lisi.put(f"/api/v1/conversations/{direct}/pins/{mine['id']}"))  # either person
    # A message of another conversation is not found here, nor is one that does not exist.
    other = await group(zhangsan, wangwu)
    elsewhere = await sent(zhangsan, other, "别处的消息")
    assert error_code(await zhangsan.put(f"/api/v1/conversations/{direct}/pins/{elsewhere['id']}")) == (
        "MESSAGE_NOT_FOUND"
    )
    assert (
        error_code(await zhangsan.put(f"/api/v1/conversations/{direct}/pins/{NOWHERE}"))
        == "MESSAGE_NOT_FOUND"
    )
    # System messages cannot be pinned; at most ten pins.
    history = await ok(await zhangsan.get(f"/api/v1/conversations/{other}/messages"))
    system = next(m for m in history["messages"] if m["kind"] == "system")
    response = await zhangsan.put(f"/api/v1/conversations/{other}/pins/{system['id']}")
    assert response.status_code == 422 and error_code(response) == "NOT_PINNABLE"
    for i in range(10):
        message = await sent(zhangsan, other, f"第{i}条")
        await ok(await zhangsan.put(f"/api/v1/conversations/{other}/pins/{message['id']}"))
    response = await zhangsan.put(f"/api/v1/conversations/{other}/pins/{elsewhere['id']}")
    assert response.status_code == 409 and error_code(response) == "TOO_MANY_PINS"
    assert len(await ok(await wangwu.get(f"/api/v1/conversations/{other}/pins"))) == 10


async def test_a_recall_unpins_and_a_recalled_message_cannot_be_pinned(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    message = await sent(zhangsan, cid, "机密：说错了")
    await ok(await zhangsan.put(f"/api/v1/conversations/{cid}/pins/{message['id']}"))
    since = await position(lisi)
    await ok(await zhangsan.post(f"/api/v1/messages/{message['id']}/recall"))
    assert await ok(await lisi.get(f"/api/v1/conversations/{cid}/pins")) == []
    events = await events_since(lisi, since)
    assert ("message_pin", "removed") in kinds(events)
    assert "机密" not in str(events)
    response = await zhangsan.put(f"/api/v1/conversations/{cid}/pins/{message['id']}")
    assert response.status_code == 422 and error_code(response) == "MESSAGE_RECALLED"


# -- the group notice -----------------------------------------------------------------------------


async def test_a_notice_is_acknowledged_by_each_member_and_asked_again_when_changed(
    people: dict[str, Person],
) -> None:
    zhangsan, lisi, wangwu, mallory = (people[n] for n in ("zhangsan", "lisi", "wangwu", "mallory"))
    cid = await group(zhangsan, lisi, wangwu)
    base = f"/api/v1/conversations/{cid}/notice"
    assert await ok(await lisi.get(base)) == {"notice": None}
    assert error_code(await lisi.put(base, json={"body": "我来写"})) == "NOT_GROUP_ADMIN"
    since = await position(lisi)

    notice = await ok(await zhangsan.put(base, json={"body": "周五下午三点开会，请准时参加。"}))
    assert notice["version"] == 1 and notice["acknowledged"] is True  # the author has read it
    seen = (await ok(await lisi.get(base)))["notice"]
    assert seen["body"] == "周五下午三点开会，请准时参加。" and seen["acknowledged"] is False
    events = await events_since(lisi, since)
    assert ("group_notice", "updated") in kinds(events)
    assert "notice_updated" in await system_actions(lisi, cid)

    readers = await ok(await zhangsan.get(f"{base}/readers"))
    assert [a["user"]["id"] for a in readers["acknowledged"]] == [zhangsan.id]
    assert {u["id"] for u in readers["pending"]} == {lisi.id, wangwu.id}
    assert error_code(await lisi.get(f"{base}/readers")) == "NOT_GROUP_ADMIN"

    since_owner, since_wangwu = await position(zhangsan), await position(wangwu)
    acked = await ok(await lisi.post(f"{base}/ack", json={"version": 1}))
    assert acked["acknowledged"] is True
    await ok(await lisi.post(f"{base}/ack", json={"version": 1}))  # again: no second event
    assert (await ok(await lisi.get(base)))["notice"]["acknowledged"] is True
    owner_saw = [e for e in await events_since(zhangsan, since_owner) if e["type"] == "group_notice"]
    assert [(e["op"], e["data"]["user_id"]) for e in owner_saw] == [("acknowledged", lisi.id)]
    # Who reads what is for the owner and admins: the other members hear nothing of it.
    assert not [e for e in await events_since(wangwu, since_wangwu) if e["type"] == "group_notice"]

    # A change asks everyone again; acknowledging the old version is refused with the new one.
    await ok(await zhangsan.put(base, json={"body": "改到周五下午四点。"}))
    changed = (await ok(await lisi.get(base)))["notice"]
    assert (changed["version"], changed["body"], changed["acknowledged"]) == (2, "改到周五下午四点。", False)
    response = await lisi.post(f"{base}/ack", json={"version": 1})
    assert response.status_code == 409 and error_code(response) == "NOTICE_CHANGED"
    assert response.json()["error"]["version"] == 2
    readers = await ok(await zhangsan.get(f"{base}/readers"))
    assert readers["version"] == 2 and {u["id"] for u in readers["pending"]} == {lisi.id, wangwu.id}

    # Clearing: members see none, an acknowledgement has nothing to acknowledge.
    await ok(await zhangsan.delete(base))
    assert await ok(await wangwu.get(base)) == {"notice": None}
    assert error_code(await wangwu.post(f"{base}/ack", json={"version": 2})) == "NOTICE_NOT_FOUND"
    # Outsiders: 404 as for nothing; direct chats have no notice.
    assert error_code(await mallory.get(base)) == "CONVERSATION_NOT_FOUND"
    assert error_code(await mallory.post(f"{base}/ack", json={"version": 1})) == "CONVERSATION_NOT_FOUND"
    await befriend(zhangsan, mallory)
    direct = (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": mallory.id})))[
        "id"
    ]
    assert error_code(await zhangsan.put(f"/api/v1/conversations/{direct}/notice", json={"body": "x"})) == (
        "NOT_A_GROUP"
    )


async def test_notice_bodies_are_checked(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    base = f"/api/v1/conversations/{cid}/notice"
    for body, code in (
        ("   ", "EMPTY_MESSAGE"),
        ("a\x07b", "CONTROL_CHARACTERS"),
        ("a\x00b", "VALIDATION_FAILED"),  # refused at the parse, as everywhere (domain/inputs.py)
        ("长" * 3000, "MESSAGE_TOO_LONG"),
    ):
        response = await zhangsan.put(base, json={"body": body})
        assert response.status_code == 422 and error_code(response) == code, (body[:5], response.text)
    assert (await zhangsan.put(base, json={"body": 5})).status_code == 422
    assert (await lisi.post(f"{base}/ack", json={"version": "1"})).status_code == 422
    assert await ok(await lisi.get(base)) == {"notice": None}  # nothing was stored


# -- mute -----------------------------------------------------------------------------------------


async def test_mute_all_silences_members_but_not_the_owner_and_admins(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi, wangwu)
    await ok(
        await zhangsan.put(f"/api/v1/conversations/{cid}/members/{lisi.id}/role", json={"role": "admin"})
    )
    before = await sent(wangwu, cid, "还能说话")
    assert error_code(await wangwu.put(f"/api/v1/conversations/{cid}/mute-all", json={"enabled": True})) == (
        "NOT_GROUP_ADMIN"
    )
    since = await position(wangwu)
    view = await ok(await lisi.put(f"/api/v1/conversations/{cid}/mute-all", json={"enabled": True}))
    assert view["mute_all"] is True
    assert (await ok(await wangwu.get(f"/api/v1/conversations/{cid}")))["mute_all"] is True
    response = await send(wangwu, cid, "我也想说")
    assert response.status_code == 403 and response.json()["error"] == {
        "code": "MUTED",
        "message": response.json()["error"]["message"],
        "scope": "all",
        "until": None,
    }
    await sent(zhangsan, cid, "群主可以说")
    await sent(lisi, cid, "管理员也可以")
    # A muted member may not edit either (an edit says something new).
    edit = await wangwu.patch(f"/api/v1/messages/{before['id']}", json={"body": "改一下"})
    assert edit.status_code == 403 and error_code(edit) == "MUTED"
    events = await events_since(wangwu, since)
    assert [e["data"] for e in events if (e["type"], e["op"]) == ("conversation", "mute_all")] == [
        {"mute_all": True, "by": lisi.id}
    ]
    assert "mute_all_on" in await system_actions(wangwu, cid)
    # Nothing of the refused message was stored.
    page = await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/messages"))
    assert "我也想说" not in str(page)

    await ok(await zhangsan.put(f"/api/v1/conversations/{cid}/mute-all", json={"enabled": False}))
    await sent(wangwu, cid, "又能说话了")
    assert (await system_actions(wangwu, cid))[-1] == "mute_all_off"


async def test_a_member_is_muted_for_a_while_or_until_lifted(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = (people[n] for n in ("zhangsan", "lisi", "wangwu", "mallory"))
    cid = await group(zhangsan, lisi, wangwu)
    base = f"/api/v1/conversations/{cid}/members"
    await ok(await zhangsan.put(f"{base}/{lisi.id}/role", json={"role": "admin"}))
    since = await position(wangwu)
    muted = await ok(await lisi.put(f"{base}/{wangwu.id}/mute", json={"duration_seconds": 600}))
    assert muted["user_id"] == wangwu.id and muted["until"] > 0
    response = await send(wangwu, cid, "为什么不能说话")
    error = response.json()["error"]
    assert response.status_code == 403 and error["code"] == "MUTED" and error["scope"] == "member"
    assert error["until"] == muted["until"]
    mine = await ok(await wangwu.get(f"/api/v1/conversations/{cid}"))
    assert mine["my_mute"] == {"until": muted["until"]} and mine["mute_all"] is False
    members = {m["user"]["id"]: m for m in await ok(await zhangsan.get(base))}
    assert members[wangwu.id]["mute"] == {"until": muted["until"]} and members[lisi.id]["mute"] is None
    events = await events_since(wangwu, since)
    assert [e["data"] for e in events if (e["type"], e["op"]) == ("member", "muted")] == [
        {"user_id": wangwu.id, "until": muted["until"], "by": lisi.id}
    ]

    # Who may mute whom: admins mute plain members only; nobody mutes the owner or themself.
    assert error_code(await wangwu.put(f"{base}/{lisi.id}/mute", json={"duration_seconds": 60})) == (
        "NOT_GROUP_ADMIN"
    )
    assert error_code(await lisi.put(f"{base}/{zhangsan.id}/mute", json={"duration_seconds": 60})) == (
        "NOT_GROUP_ADMIN"
    )
    assert error_code(await zhangsan.put(f"{base}/{zhangsan.id}/mute", json={"duration_seconds": 60})) == (
        "CANNOT_MUTE_SELF"
    )
    assert error_code(await zhangsan.put(f"{base}/{mallory.id}/mute", json={"duration_seconds": 60})) == (
        "MEMBER_NOT_FOUND"
    )
    for bad in ({"duration_seconds": 59}, {"duration_seconds": 31 * 86_400}, {"duration_seconds": "60"}, {}):
        assert (await zhangsan.put(f"{base}/{wangwu.id}/mute", json=bad)).status_code == 422, bad
    # The owner mutes an admin until lifted; an admin is not silenced by mute-all, but by this.
    forever = await ok(await zhangsan.put(f"{base}/{lisi.id}/mute", json={"duration_seconds": None}))
    assert forever["until"] is None
    response = await send(lisi, cid, "我被禁言了")
    assert response.status_code == 403 and response.json()["error"]["until"] is None

    # Lifting: the member speaks again, and the group hears of it.
    since = await position(wangwu)
    await ok(await zhangsan.delete(f"{base}/{wangwu.id}/mute"))
    await ok(await zhangsan.delete(f"{base}/{wangwu.id}/mute"))  # again: no second event
    await sent(wangwu, cid, "谢谢群主")
    assert (await ok(await wangwu.get(f"/api/v1/conversations/{cid}")))["my_mute"] is None
    lifted = [e for e in await events_since(wangwu, since) if (e["type"], e["op"]) == ("member", "unmuted")]
    assert [e["data"] for e in lifted] == [{"user_id": wangwu.id, "by": zhangsan.id}]
    # Outsiders: 404, as for no conversation.
    assert error_code(await mallory.put(f"{base}/{wangwu.id}/mute", json={"duration_seconds": 60})) == (
        "CONVERSATION_NOT_FOUND"
    )
    assert error_code(await mallory.put(f"/api/v1/conversations/{cid}/mute-all", json={"enabled": True})) == (
        "CONVERSATION_NOT_FOUND"
    )


async def test_a_mute_runs_out_by_itself(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    await ok(
        await zhangsan.put(
            f"/api/v1/conversations/{cid}/members/{lisi.id}/mute", json={"duration_seconds": 60}
        )
    )
    assert (await send(lisi, cid, "还在禁言")).status_code == 403
    # Sixty seconds later (moved back in the database rather than waited for).
    from sqlalchemy import update

    from lakeside.store.tables import conversation_members

    async with app.state.services.ctx.db.transaction() as conn:
        await conn.execute(
            update(conversation_members).where(conversation_members.c.user_id == lisi.id).values(mute_until=1)
        )
    await sent(lisi, cid, "禁言结束了")
    assert (await ok(await lisi.get(f"/api/v1/conversations/{cid}")))["my_mute"] is None


async def test_the_batch_refuses_muted_senders_without_a_statement_more_or_failing_neighbours(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi, wangwu)

    # The owner's batch costs the same statements with mute-all on as before: the mute is read
    # in the membership query the batch makes anyway. (The lower of two tries, as
    # tests/test_query_counts.py does: a background read may land inside one.)
    async def cost(tag: str) -> int:
        counts = []
        for attempt in range(2):
            with Statements(app) as statements:
                outcomes = await _send_batch(
                    app, zhangsan, cid, [f"第{i}条" for i in range(20)], f"{tag}{attempt}"
                )
            assert all(isinstance(o, SendResult) and o.created for o in outcomes)
            counts.append(statements.count)
        return min(counts)

    before = await cost("before")
    retried = await sent(wangwu, cid, "mute 之前")
    await ok(await zhangsan.put(f"/api/v1/conversations/{cid}/mute-all", json={"enabled": True}))
    assert await cost("after") == before
    outcomes = await _send_batch(app, wangwu, cid, [f"第{i}条" for i in range(20)], "muted")
    assert all(isinstance(o, LakesideError) and o.code == "MUTED" for o in outcomes)

    # One batch of three senders: the owner's and a retry of a message stored before the mute
    # go through, the muted member's new one is refused.
    services = app.state.services
    owner = await services.accounts.authenticate(zhangsan.token)
    member = await services.accounts.authenticate(wangwu.token)
    drafts = [
        await services.messages.check_send(owner, cid, SendMessage(client_msg_id="owner-1", body="群主说")),
        await services.messages.check_send(member, cid, SendMessage(client_msg_id="member-1", body="成员说")),
        await services.messages.check_send(
            member, cid, SendMessage(client_msg_id=retried["client_msg_id"], body="mute 之前")
        ),
    ]
    owners, members, retry = await asyncio.gather(
        *(services.messages.writer.submit(d) for d in drafts), return_exceptions=True
    )
    assert isinstance(owners, SendResult) and owners.created
    assert isinstance(members, LakesideError) and members.code == "MUTED"
    assert isinstance(retry, SendResult) and not retry.created and retry.message["id"] == retried["id"]
