"""Conversations and messages: direct and group chats, sending, retries, history, edit, recall,
reactions, read cursors and unread counts."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import Person, befriend, error_code


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
    retry = await send(zhangsan, cid, "hello again", cid="c-1")
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["body"] == "hello"
    concurrent = await asyncio.gather(*(send(zhangsan, cid, "x", cid="c-2") for _ in range(10)))
    assert {r.json()["id"] for r in concurrent} == {concurrent[0].json()["id"]}
    assert sorted(r.status_code for r in concurrent) == [200] * 9 + [201]
    page = (await zhangsan.get(f"/api/v1/conversations/{cid}/messages")).json()
    assert [m["seq"] for m in page["messages"]] == [1, 2]
