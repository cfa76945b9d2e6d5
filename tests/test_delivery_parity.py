"""Live delivery and catch-up tell every user the same story.

Four people keep a socket open while a group is made, joined, read, left and talked in; then
each one's live events are compared with what ``GET /api/v1/sync`` replays for them from the
same starting position. The hub (live) and the sync path (replay) share one encoding and one
audience rule (services/events.py, ``Audience.admits``): the same events must reach the same
people, in the same order, with the same frames — message events excepted only in the
message's content, which replay reads as it is now, and a conversation left since, which
replay leaves out.

It found, when first run, that a group's first system message and the "members added" message
reached their new members only on catch-up, never live: the service emitted them before the
event that made those members part of the conversation's audience.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lakeside.client import LakesideClient, Subscription
from lakeside.config import Settings
from tests.conftest import PASSWORD
from tests.live import running_server

MESSAGE_OPS = {("message", "created"), ("message", "edited"), ("message", "recalled")}


async def drain(subscription: Subscription, into: list[dict[str, Any]]) -> None:
    """Take durable events until the socket has been quiet for a moment."""
    while True:
        try:
            event = await subscription.next(timeout=1.0)
        except TimeoutError:
            return
        if "id" in event:  # typing and presence are ephemeral: never replayed
            into.append(event)


def comparable(event: dict[str, Any]) -> Any:
    if (event["type"], event["op"]) in MESSAGE_OPS:
        return (event["id"], event["type"], event["op"], event["conversation_id"], event["data"]["id"])
    return event


async def test_live_and_replayed_events_agree_for_everyone(settings: Settings) -> None:
    async with running_server(settings) as url:
        people: dict[str, LakesideClient] = {}
        for name in ("alice", "bob", "carol", "dave"):
            people[name] = LakesideClient(url)
            await people[name].register(name, PASSWORD, display_name=name.title())
        alice, bob, carol, dave = people.values()
        ids = {name: client.user["id"] for name, client in people.items()}  # type: ignore[index]
        for other in ("bob", "carol"):
            request = await alice.request("POST", "/api/v1/friends/requests", json={"user_id": ids[other]})
            await people[other].request("POST", f"/api/v1/friends/requests/{request['id']}/accept")
        start = (await alice.request("GET", "/api/v1/sync"))["position"]
        live: dict[str, list[dict[str, Any]]] = {name: [] for name in people}
        subscriptions = {name: client.subscribe(since=start) for name, client in people.items()}
        for subscription in subscriptions.values():
            await subscription.__aenter__()
        try:
            group = await alice.create_group("项目组", [ids["bob"]])
            gid = group["id"]
            first = await alice.send(gid, "大家好")
            await bob.mark_read(gid, first["seq"])  # a receipt: to the sender and the reader only
            members = f"/api/v1/conversations/{gid}/members"
            await alice.request("POST", members, json={"user_ids": [ids["carol"]]})
            second = await alice.send(gid, "欢迎 carol")  # carol joined: she gets this live
            await carol.mark_read(gid, second["seq"])
            await bob.request("PUT", f"/api/v1/messages/{second['id']}/reactions/👍")
            await alice.request("PATCH", f"/api/v1/messages/{first['id']}", json={"body": "大家好（改）"})
            await alice.request("DELETE", f"{members}/{ids['carol']}")
            await alice.send(gid, "carol 走了")  # carol left: she must not get this
            await dave.request("PATCH", "/api/v1/me", json={"display_name": "大卫"})
            direct = await alice.open_direct(ids["bob"])
            await bob.send(direct["id"], "私聊")
            await asyncio.gather(*(drain(subscriptions[name], live[name]) for name in people))
        finally:
            for subscription in subscriptions.values():
                await subscription.__aexit__(None, None, None)
        for name, client in people.items():
            replayed: list[dict[str, Any]] = []
            position, more = start, True
            while more:
                page = await client.request("GET", "/api/v1/sync", params={"since": position, "limit": 1000})
                replayed.extend(page["events"])
                position, more = page["position"], page["has_more"]
            expected = live[name]
            if name == "carol":
                # Catch-up follows today's memberships: a conversation someone has left no longer
                # replays to them (they were told they left, by an event of their own).
                expected = [e for e in expected if e["conversation_id"] != gid]
            assert [comparable(e) for e in expected] == [comparable(e) for e in replayed], name
        kinds = {name: {(e["type"], e["op"]) for e in live[name]} for name in people}
        assert ("receipt", "read") in kinds["alice"] and ("receipt", "read") in kinds["bob"]
        assert [e["data"]["user_id"] for e in live["carol"] if e["type"] == "receipt"] == [ids["carol"]]
        assert ("conversation", "removed") in kinds["carol"]
        assert not [
            e for e in live["carol"] if e["type"] == "message" and e["data"].get("body") == "carol 走了"
        ]
        assert [e for e in live["carol"] if e["type"] == "message" and e["data"].get("body") == "欢迎 carol"]
        assert kinds["dave"] == {("user", "updated")}
        for client in people.values():
            await client.close()
