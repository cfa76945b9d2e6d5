"""Forwarding (转发): one by one (逐条) or as one merged record (合并转发) to several conversations;
the transcript opens read-only for the target's members; a forwarded file becomes readable by
the new audience and nothing else of the source does; recalled and system messages cannot be
forwarded; the send pipeline's rules (membership, mute, friends, idempotency) hold; a recall of
the source reaches every copy (services/scrub.py), a recall of the forward takes its transcript
and files with it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import Person, befriend, error_code
from tests.test_group_tools import events_since, group, ok, position, sent
from tests.test_messages import png, upload


def forward_body(message_ids: list[int], targets: list[int], **extra: Any) -> dict[str, Any]:
    return {
        "client_msg_id": uuid.uuid4().hex[:24],
        "message_ids": message_ids,
        "conversation_ids": targets,
        **extra,
    }


async def forward(person: Person, message_ids: list[int], targets: list[int], **extra: Any) -> httpx.Response:
    return await person.post("/api/v1/messages/forward", json=forward_body(message_ids, targets, **extra))


async def history(person: Person, cid: int) -> list[dict[str, Any]]:
    page = await ok(await person.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 200}))
    return [m for m in page["messages"] if m["kind"] != "system"]


async def image(person: Person, cid: int) -> dict[str, Any]:
    file_id = await upload(person, png(), "图.png")
    body = {"client_msg_id": uuid.uuid4().hex, "kind": "image", "file_id": file_id}
    return dict(await ok(await person.post(f"/api/v1/conversations/{cid}/messages", json=body)))


async def test_separate_forward_copies_each_message_in_order(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    source = await group(zhangsan, lisi, title="源")
    first = await sent(lisi, source, "第一条 @zhangsan")
    picture = await image(lisi, source)
    target_a = await group(zhangsan, wangwu, title="甲")
    target_b = (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": wangwu.id})))[
        "id"
    ]
    since = await position(wangwu)
    # Out of order on purpose: forwarded in the conversation's order.
    response = await forward(zhangsan, [picture["id"], first["id"]], [target_a, target_b], comment="看看这个")
    assert response.status_code == 201, response.text
    written = response.json()["messages"]
    assert [(m["conversation_id"], m["kind"]) for m in written] == [
        (target_a, "text"),
        (target_a, "image"),
        (target_a, "text"),
        (target_b, "text"),
        (target_b, "image"),
        (target_b, "text"),
    ]
    copy = written[0]
    assert copy["sender_id"] == zhangsan.id and copy["body"] == first["body"] and copy["mentions"] == []
    assert written[2]["body"] == "看看这个"
    seen = await history(wangwu, target_a)
    assert [m["body"] for m in seen] == [first["body"], "", "看看这个"]
    # Nothing says where it came from: the source conversation's id is nowhere in what wangwu gets.
    events = await events_since(wangwu, since)
    assert str(source) not in str([m for m in seen]) or all(m["conversation_id"] != source for m in seen)
    assert all(e["conversation_id"] != source for e in events)
    # The image is readable by wangwu now, through the copy.
    assert (await wangwu.get(picture["file"]["url"])).status_code == 200


async def test_merged_forward_is_one_record_with_a_read_only_transcript(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = people["zhangsan"], people["lisi"], people["wangwu"], people["mallory"]
    await befriend(zhangsan, lisi)
    direct = (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id})))["id"]
    await sent(zhangsan, direct, "私下说一句")  # not forwarded: must not leak
    first = await sent(zhangsan, direct, "明天开会")
    second = await sent(lisi, direct, "**好的**")
    picture = await image(lisi, direct)
    hidden_file = await image(lisi, direct)  # not forwarded either
    target = await group(zhangsan, wangwu, title="转发目标")
    response = await forward(zhangsan, [first["id"], second["id"], picture["id"]], [target], mode="merged")
    assert response.status_code == 201, response.text
    (card,) = response.json()["messages"]
    assert card["kind"] == "forward" and card["body"] == "" and card["file"] is None
    assert card["record"]["source"] == {"kind": "direct", "names": ["张三", "李四"]}
    assert card["record"]["count"] == 3
    assert [line["name"] for line in card["record"]["preview"]] == ["张三", "李四", "李四"]
    assert card["record"]["preview"][0]["text"] == "明天开会"

    transcript = await ok(await wangwu.get(f"/api/v1/messages/{card['id']}/record"))
    assert transcript["message_id"] == card["id"]
    items = transcript["items"]
    assert [(i["sender_name"], i["kind"]) for i in items] == [
        ("张三", "text"),
        ("李四", "text"),
        ("李四", "image"),
    ]
    assert items[0]["sent_at"] == first["created_at"]
    assert items[2]["file"]["id"] == picture["file"]["id"]
    assert "私下说一句" not in str(transcript) and str(direct) not in str(transcript.get("source"))
    # The transcript's file is readable by the target's members; the rest of the source is not.
    assert (await wangwu.get(items[2]["file"]["url"])).status_code == 200
    assert (await wangwu.get(hidden_file["file"]["url"])).status_code == 404
    assert (await wangwu.get(f"/api/v1/conversations/{direct}/messages")).status_code == 404
    # Nobody outside the target opens it; a plain message is not a record.
    assert (await mallory.get(f"/api/v1/messages/{card['id']}/record")).status_code == 404
    assert (await mallory.get(items[2]["file"]["url"])).status_code == 404
    plain = await zhangsan.get(f"/api/v1/messages/{first['id']}/record")
    assert plain.status_code == 404 and error_code(plain) == "RECORD_NOT_FOUND"

    # A record forwarded again (on its own, then inside another record) keeps its transcript.
    again = (await ok(await forward(wangwu, [card["id"]], [target])))["messages"][0]
    assert again["kind"] == "forward" and again["record"] == card["record"]
    nested = (await ok(await forward(wangwu, [again["id"]], [target], mode="merged")))["messages"][0]
    inner = (await ok(await wangwu.get(f"/api/v1/messages/{nested['id']}/record")))["items"][0]
    assert inner["kind"] == "forward" and inner["record"]["items"][2]["file"]["id"] == picture["file"]["id"]


async def test_a_recalled_forward_takes_its_transcript_and_files(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    source = await group(zhangsan, lisi, title="源")
    picture = await image(zhangsan, source)
    target = await group(zhangsan, wangwu, title="目标")
    merged = (await ok(await forward(zhangsan, [picture["id"]], [target], mode="merged")))["messages"][0]
    copy = (await ok(await forward(zhangsan, [picture["id"]], [target])))["messages"][0]
    url = picture["file"]["url"]
    # The copy recalled: the record still shows the file. The record recalled: it goes.
    await ok(await zhangsan.post(f"/api/v1/messages/{copy['id']}/recall"))
    assert (await wangwu.get(url)).status_code == 200
    await ok(await zhangsan.post(f"/api/v1/messages/{merged['id']}/recall"))
    assert (await wangwu.get(f"/api/v1/messages/{merged['id']}/record")).status_code == 404
    assert (await wangwu.get(url)).status_code == 404  # nothing wangwu sees shows it now
    assert (await lisi.get(url)).status_code == 200  # the source still does
    await ok(await zhangsan.post(f"/api/v1/messages/{picture['id']}/recall"))
    assert (await zhangsan.get(url)).status_code == 404  # no one refers to it: deleted


async def test_a_recalled_source_reaches_every_copy(people: dict[str, Person]) -> None:
    """Issue 21: a recall scrubs every stored copy. Copies forwarded one by one (and copies of
    those) are recalled with it; records that show it among others keep its place as recalled,
    nested records too; a record forwarded again whole goes whole."""
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    source = await group(zhangsan, lisi, title="源")
    secret = await image(zhangsan, source)
    kept = await sent(lisi, source, "这条留着")
    target = await group(zhangsan, wangwu, title="目标")
    other = await group(lisi, wangwu, title="另一个")
    copy = (await ok(await forward(zhangsan, [secret["id"]], [target])))["messages"][0]
    copy_of_copy = (await ok(await forward(wangwu, [copy["id"]], [other])))["messages"][0]
    pair = [secret["id"], kept["id"]]
    merged = (await ok(await forward(lisi, pair, [other], mode="merged")))["messages"][0]
    nested = (await ok(await forward(wangwu, [merged["id"]], [target], mode="merged")))["messages"][0]
    whole = (await ok(await forward(wangwu, [merged["id"]], [target])))["messages"][0]
    url = secret["file"]["url"]
    assert (await wangwu.get(url)).status_code == 200
    since = await position(wangwu)

    await ok(await zhangsan.post(f"/api/v1/messages/{secret['id']}/recall"))

    for cid, message in ((target, copy), (other, copy_of_copy)):
        seen = {m["id"]: m for m in await history(wangwu, cid)}[message["id"]]
        assert seen["recalled"] is True and seen["file"] is None and seen["body"] == ""
    items = (await ok(await wangwu.get(f"/api/v1/messages/{merged['id']}/record")))["items"]
    shown = [(i["kind"], i["body"], i["file"]) for i in items]
    assert shown == [("recalled", "", None), ("text", "这条留着", None)]
    card = {m["id"]: m for m in await history(wangwu, other)}[merged["id"]]
    assert [line["kind"] for line in card["record"]["preview"]] == ["recalled", "text"]
    inner = (await ok(await wangwu.get(f"/api/v1/messages/{nested['id']}/record")))["items"][0]["record"]
    assert [i["kind"] for i in inner["items"]] == ["recalled", "text"]
    # A copy of the whole record copies the secret too; it shows the rest, the secret recalled.
    again = (await ok(await wangwu.get(f"/api/v1/messages/{whole['id']}/record")))["items"]
    assert [i["kind"] for i in again] == ["recalled", "text"]
    assert (await wangwu.get(url)).status_code == 404
    # Every place the copies live heard it: recalled copies, edited records.
    events = await events_since(wangwu, since)
    by_kind: dict[str, set[int]] = {"recalled": set(), "edited": set()}
    for event in events:
        if event["type"] == "message" and event["op"] in by_kind:
            by_kind[event["op"]].add(event["data"]["id"])  # the message as it is now
    recalled, edited = by_kind["recalled"], by_kind["edited"]
    assert {copy["id"], copy_of_copy["id"]} <= recalled
    assert {merged["id"], nested["id"], whole["id"]} <= edited


async def test_what_cannot_be_forwarded_and_where(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = people["zhangsan"], people["lisi"], people["wangwu"], people["mallory"]
    source = await group(zhangsan, lisi, title="源")
    message = await sent(lisi, source, "可以转发")
    target = await group(zhangsan, wangwu, title="目标")
    recalled = await sent(zhangsan, source, "撤回了")
    await ok(await zhangsan.post(f"/api/v1/messages/{recalled['id']}/recall"))
    page = await ok(await zhangsan.get(f"/api/v1/conversations/{source}/messages"))
    system = next(m for m in page["messages"] if m["kind"] == "system")
    other = await group(wangwu, zhangsan, title="别处")
    elsewhere = await sent(wangwu, other, "另一个群")

    async def refused(person: Person, ids: list[int], targets: list[int], **extra: Any) -> tuple[int, str]:
        response = await forward(person, ids, targets, **extra)
        return response.status_code, error_code(response)

    assert await refused(zhangsan, [recalled["id"]], [target]) == (422, "MESSAGE_RECALLED")
    assert await refused(zhangsan, [system["id"]], [target]) == (422, "NOT_FORWARDABLE")
    assert await refused(zhangsan, [message["id"], elsewhere["id"]], [target]) == (422, "MIXED_CONVERSATIONS")
    # Not a member of the source: as if the message did not exist; of the target: no such conversation.
    assert await refused(mallory, [message["id"]], [target]) == (404, "MESSAGE_NOT_FOUND")
    assert await refused(zhangsan, [10**12], [target]) == (404, "MESSAGE_NOT_FOUND")
    assert await refused(lisi, [message["id"]], [target]) == (404, "CONVERSATION_NOT_FOUND")
    # Muted in the target (全员禁言): refused as a send would be.
    await ok(await wangwu.put(f"/api/v1/conversations/{other}/mute-all", json={"enabled": True}))
    assert await refused(zhangsan, [message["id"]], [other]) == (403, "MUTED")
    # Bounds and shapes.
    too_many = await forward(zhangsan, [message["id"]], list(range(1, 11)))
    assert too_many.status_code == 422
    assert (await forward(zhangsan, [], [target])).status_code == 422
    assert (await forward(zhangsan, [message["id"]], [target], mode="copy")).status_code == 422
    assert (await forward(zhangsan, [2**70], [target])).status_code == 422
    assert (await forward(zhangsan, [message["id"]], [target], comment="\x00")).status_code == 422
    raw = '{"client_msg_id": "x", "message_ids": [%d], "conversation_ids": [%d], "comment": "\\ud800"}'
    surrogate = await zhangsan.http.post(
        "/api/v1/messages/forward",
        content=raw % (message["id"], target),
        headers={**zhangsan.headers, "content-type": "application/json"},
    )
    assert surrogate.status_code == 422
    bad_id = {**forward_body([message["id"]], [target]), "client_msg_id": "a:b"}
    response = await zhangsan.post("/api/v1/messages/forward", json=bad_id)
    assert response.status_code == 422 and error_code(response) == "INVALID_CLIENT_MSG_ID"


async def test_a_retried_forward_answers_the_first(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    source = await group(zhangsan, lisi, title="源")
    message = await sent(lisi, source, "只转一次")
    target = await group(zhangsan, wangwu, title="目标")
    body = forward_body([message["id"]], [target], mode="merged")
    first = await zhangsan.post("/api/v1/messages/forward", json=body)
    again = await zhangsan.post("/api/v1/messages/forward", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert [m["id"] for m in first.json()["messages"]] == [m["id"] for m in again.json()["messages"]]
    assert len([m for m in await history(wangwu, target) if m["kind"] == "forward"]) == 1
    # The same id for a different forward is a conflict, as for a send.
    other = await sent(lisi, source, "另一条")
    conflict = await zhangsan.post("/api/v1/messages/forward", json={**body, "message_ids": [other["id"]]})
    assert conflict.status_code == 409 and error_code(conflict) == "IDEMPOTENCY_CONFLICT"
