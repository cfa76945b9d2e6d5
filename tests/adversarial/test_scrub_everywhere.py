"""A recalled message leaves no copy anywhere: the standing adversarial case of the scrub
(services/scrub.py). A message is edited, DINGed, saved by two members, pinned, quoted by a reply,
forwarded one by one and as a merged record (and that record forwarded again), found by search
and delivered live, over sync and on a socket resume — then recalled. Afterwards
the whole database (every table the engine has, every text and binary column, on SQLite and
PostgreSQL, after the hourly housekeeping has merged SQLite's full-text index) holds none of its
text, and neither ``GET /sync?since=0`` nor a socket resume
returns it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from lakeside.config import Settings
from lakeside.workers.housekeeping import run_once as run_housekeeping
from tests.adversarial.db_grep import grep_database
from tests.conftest import Person, register
from tests.live import SERVED, running_server
from tests.test_group_tools import group
from tests.test_organizations import company

FIRST = "初稿 quokkafirst 并购意向书"  # the body before the edit
SECRET = "绝密：收购湖畔科技 **zebraquux7** 下周公告"
# The whole text, a distinctive word as search tokenises it, and a run of Chinese that only the
# body itself (never its bigram tokens) holds.
NEEDLES = ["zebraquux7", "收购湖畔科技", "quokkafirst", "并购意向书"]


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    async with running_server(settings) as url:
        yield url


async def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


async def resume_frames(url: str, person: Person) -> list[dict[str, Any]]:
    """Every event a socket resume from position 0 replays, up to the ``live`` frame."""
    frames: list[dict[str, Any]] = []
    async with connect(url.replace("http://", "ws://") + "/api/v1/stream") as ws:
        await ws.send(
            orjson.dumps({"op": "hello", "token": person.token, "since": 0, "batch": True}).decode()
        )
        while True:
            frame = orjson.loads(await ws.recv())
            if frame.get("type") == "batch":
                frames.extend(frame["events"])
            elif frame.get("type") == "sync" and frame.get("op") == "live":
                return frames
            elif "id" in frame:
                frames.append(frame)


async def sync_all(person: Person) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    since = 0
    while True:
        page = await ok(await person.get("/api/v1/sync", params={"since": since}))
        events.extend(page["events"])
        since = page["position"]
        if not page["has_more"]:
            return events


def mentions(events: list[dict[str, Any]]) -> list[str]:
    blob = orjson.dumps(events).decode()
    return [needle for needle in NEEDLES if needle in blob]


async def test_a_recalled_message_leaves_no_copy_anywhere(server: str, settings: Settings) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        zhangsan = await register(http, "zhangsan", "张三")
        lisi = await register(http, "lisi", "李四")
        wangwu = await register(http, "wangwu", "王五")
        org = await company(zhangsan, [lisi, wangwu])
        cid = org["all_staff_conversation_id"]

        message = await ok(
            await zhangsan.post(
                f"/api/v1/conversations/{cid}/messages",
                json={"client_msg_id": "secret", "kind": "markdown", "body": FIRST},
            )
        )
        mid = message["id"]
        await ok(await zhangsan.patch(f"/api/v1/messages/{mid}", json={"body": SECRET}))
        await ok(
            await lisi.post(
                f"/api/v1/conversations/{cid}/messages",
                json={"client_msg_id": "reply", "kind": "text", "body": "收到", "reply_to_id": mid},
            )
        )
        ding = await ok(
            await zhangsan.post(
                f"/api/v1/orgs/{org['id']}/dings", json={"recipient_ids": [lisi.id], "message_id": mid}
            )
        )
        for saver in (lisi, wangwu):
            await ok(await saver.post("/api/v1/favorites", json={"message_id": mid}))
        elsewhere = await group(lisi, wangwu, title="转发群")
        for mode in ("separate", "merged"):
            body = {"client_msg_id": f"fw-{mode}", "message_ids": [mid], "conversation_ids": [elsewhere]}
            forwarded = await ok(await lisi.post("/api/v1/messages/forward", json={**body, "mode": mode}))
        again = {"client_msg_id": "fw-again", "message_ids": [forwarded["messages"][0]["id"]]}
        await ok(
            await wangwu.post(
                "/api/v1/messages/forward", json={**again, "conversation_ids": [elsewhere], "mode": "merged"}
            )
        )
        await ok(await zhangsan.put(f"/api/v1/conversations/{cid}/pins/{mid}"))
        await ok(await zhangsan.put(f"/api/v1/messages/{mid}/reactions/👍"))
        found = await ok(await lisi.get("/api/v1/search/messages", params={"q": "zebraquux7"}))
        hits = [hit["message"]["id"] if "message" in hit else hit["id"] for hit in found["results"]]
        assert mid in hits and len(hits) == 2  # the message and its copy forwarded one by one

        # Before the recall every copy is there: the grep sees them (so it can see them at all),
        # and sync and resume carry the DING's text.
        before = await grep_database(settings.database_url, NEEDLES)
        tables = {hit.split(".", 1)[0] for hit in before}
        assert {"messages", "message_search", "favorites", "events", "merged_records"} <= tables, before
        assert mentions(await sync_all(lisi)) and mentions(await resume_frames(server, lisi))

        await ok(await zhangsan.post(f"/api/v1/messages/{mid}/recall"))

        # At once, nothing is left but, on SQLite, tokens in the FTS5 index's segments (no query
        # returns them); the hourly housekeeping merges them away.
        left = await grep_database(settings.database_url, NEEDLES)
        assert all(hit.startswith("message_fts_") for hit in left), left
        await run_housekeeping(SERVED[server].state.services)
        assert await grep_database(settings.database_url, NEEDLES) == []
        for person in (zhangsan, lisi, wangwu):
            assert mentions(await sync_all(person)) == []
            assert mentions(await resume_frames(server, person)) == []
        # What the API shows instead: tombstones everywhere.
        view = await ok(await lisi.get(f"/api/v1/orgs/{org['id']}/dings/{ding['id']}"))
        assert (view["body"], view["recalled"]) == ("", True)
        saved = (await ok(await wangwu.get("/api/v1/favorites")))["favorites"]
        assert [(f["message_id"], f["recalled"], f["body"]) for f in saved] == [(mid, True, "")]
        assert (await ok(await lisi.get("/api/v1/search/messages", params={"q": "zebraquux7"})))[
            "results"
        ] == []
        assert (await ok(await lisi.get(f"/api/v1/conversations/{cid}/pins"))) == []
        history = (await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages")))["messages"]
        reply = next(m for m in history if m["client_msg_id"] == "reply")
        assert reply["reply_to"]["recalled"] is True and reply["reply_to"]["body"] == ""
