"""Read receipts (已读/未读): "N unread" under your own messages, who has and has not read them,
live receipt events that reach only the senders of what was read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from lakeside.client import LakesideClient
from lakeside.config import Settings
from tests.conftest import PASSWORD, Person, befriend, error_code
from tests.live import running_server


async def _group(people: dict[str, Person]) -> tuple[Person, Person, Person, int]:
    alice, bob, carol = people["alice"], people["bob"], people["zhangsan"]
    await befriend(alice, bob)
    await befriend(alice, carol)
    response = await alice.post(
        "/api/v1/conversations", json={"title": "周会", "member_ids": [bob.id, carol.id]}
    )
    return alice, bob, carol, int(response.json()["id"])


async def test_unread_counts_fall_as_members_read(people: dict[str, Person]) -> None:
    alice, bob, carol, group = await _group(people)
    sent = (
        await alice.post(
            f"/api/v1/conversations/{group}/messages", json={"client_msg_id": "r1", "body": "请看"}
        )
    ).json()

    async def mine() -> dict:  # type: ignore[type-arg]
        page = (await alice.get(f"/api/v1/conversations/{group}/messages")).json()
        return next(m for m in page["messages"] if m["id"] == sent["id"])

    assert (await mine())["unread_count"] == 2
    await bob.post(f"/api/v1/conversations/{group}/read", json={"seq": sent["seq"]})
    assert (await mine())["unread_count"] == 1
    receipts = (await alice.get(f"/api/v1/messages/{sent['id']}/receipts")).json()
    assert receipts["read_count"] == 1 and receipts["unread_count"] == 1
    assert [u["username"] for u in receipts["read"]] == ["bob"]
    assert [u["username"] for u in receipts["unread"]] == ["zhangsan"]
    # Others' history shows no counts, and only the sender may open the receipts.
    bobs_view = (await bob.get(f"/api/v1/conversations/{group}/messages")).json()["messages"]
    assert all(m["unread_count"] is None for m in bobs_view)
    response = await bob.get(f"/api/v1/messages/{sent['id']}/receipts")
    assert response.status_code == 404
    assert error_code(response) == "RECEIPTS_NOT_VISIBLE"
    response = await people["mallory"].get(f"/api/v1/messages/{sent['id']}/receipts")
    assert response.status_code == 404
    assert error_code(response) == "MESSAGE_NOT_FOUND"
    await carol.post(f"/api/v1/conversations/{group}/read", json={"seq": sent["seq"]})
    assert (await mine())["unread_count"] == 0


async def test_direct_chat_shows_whether_the_peer_has_read(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    chat = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    sent = (
        await alice.post(f"/api/v1/conversations/{chat}/messages", json={"client_msg_id": "d1", "body": "hi"})
    ).json()
    view = (await alice.get(f"/api/v1/conversations/{chat}")).json()
    assert view["peer_read_seq"] < sent["seq"]
    await bob.post(f"/api/v1/conversations/{chat}/read", json={"seq": sent["seq"]})
    view = (await alice.get(f"/api/v1/conversations/{chat}")).json()
    assert view["peer_read_seq"] == sent["seq"]


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    async with running_server(settings) as url:
        yield url


async def test_receipt_events_reach_only_the_senders_of_what_was_read(server: str) -> None:
    clients = {}
    for name in ("alice", "bob", "carol"):
        clients[name] = LakesideClient(server)
        await clients[name].register(name, PASSWORD)
    alice, bob, carol = clients["alice"], clients["bob"], clients["carol"]
    for other in (bob, carol):
        request = await alice.request("POST", "/api/v1/friends/requests", json={"user_id": other.user["id"]})  # type: ignore[index]
        await other.request("POST", f"/api/v1/friends/requests/{request['id']}/accept")
    group = await alice.create_group("Receipts", [bob.user["id"], carol.user["id"]])  # type: ignore[index]
    sent = await alice.send(group["id"], "read me")
    async with alice.subscribe() as on_alice, carol.subscribe() as on_carol:
        await bob.mark_read(group["id"], sent["seq"])
        while True:
            event = await on_alice.next(5)
            if event["type"] == "receipt":
                assert event["data"]["user_id"] == bob.user["id"]  # type: ignore[index]
                assert event["data"]["read_seq"] == sent["seq"]
                break
        with pytest.raises(asyncio.TimeoutError):
            while True:  # Carol sent nothing Bob read: she does not learn what Bob reads
                event = await on_carol.next(0.5)
                assert event["type"] != "receipt", event
    for client in clients.values():
        await client.close()
