"""Drafts that follow their author: `GET`/`PUT /api/v1/conversations/{id}/draft`, the draft in the
conversation list, last writer wins by `updated_at`, the `draft.updated` event to the author's
devices only (its text live, never in the log), bounds and bad input, and who may touch a draft:
only its author, only in a conversation they are in (404 otherwise), and leaving drops it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI

from lakeside.client import LakesideClient
from lakeside.config import Settings
from lakeside.domain.tokens import now_ms
from lakeside.store import migrate
from lakeside.store.tables import metadata
from tests.conftest import PASSWORD, Person, befriend, error_code
from tests.live import running_server
from tests.test_conversations import NOWHERE, create_group
from tests.test_messages import open_direct, send


def path(conversation_id: int) -> str:
    return f"/api/v1/conversations/{conversation_id}/draft"


async def save(
    person: Person, conversation_id: int, text: str, updated_at: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text}
    if updated_at is not None:
        body["updated_at"] = updated_at
    response = await person.put(path(conversation_id), json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def draft(person: Person, conversation_id: int) -> dict[str, Any]:
    response = await person.get(path(conversation_id))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def listed_draft(person: Person, conversation_id: int) -> dict[str, Any] | None:
    response = await person.get("/api/v1/conversations")
    assert response.status_code == 200, response.text
    [row] = [c for c in response.json()["conversations"] if c["id"] == conversation_id]
    single = await person.get(f"/api/v1/conversations/{conversation_id}")
    assert single.json()["draft"] == row["draft"]
    return row["draft"]  # type: ignore[no-any-return]


async def events_since(person: Person, position: int) -> list[dict[str, Any]]:
    response = await person.get("/api/v1/sync", params={"since": position})
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


async def position(person: Person) -> int:
    return int((await person.get("/api/v1/sync")).json()["position"])


async def test_a_draft_is_saved_read_listed_and_cleared(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    direct = await open_direct(zhangsan, lisi)
    assert await draft(zhangsan, direct) == {"conversation_id": direct, "text": "", "updated_at": 0}
    assert await listed_draft(zhangsan, direct) is None

    at = now_ms() - 1000
    saved = await save(zhangsan, direct, "明天的会议改到\r\n下午三点", at)
    assert saved == {"conversation_id": direct, "text": "明天的会议改到\n下午三点", "updated_at": at}
    assert await draft(zhangsan, direct) == saved
    assert await listed_draft(zhangsan, direct) == saved
    # Only the author's: the other member of the chat has none.
    assert await draft(lisi, direct) == {"conversation_id": direct, "text": "", "updated_at": 0}
    assert await listed_draft(lisi, direct) is None

    # Cleared (as the client does when the message is sent): empty text, still dated.
    cleared = await save(zhangsan, direct, "", at + 10)
    assert cleared == {"conversation_id": direct, "text": "", "updated_at": at + 10}
    assert await listed_draft(zhangsan, direct) == cleared
    # Without a time, the server's now is the time.
    before = now_ms()
    later = await save(zhangsan, direct, "   ")
    assert later["text"] == "   " and before <= later["updated_at"] <= now_ms()


async def test_the_last_writer_wins_by_its_time(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    direct = await open_direct(zhangsan, lisi)
    at = now_ms() - 60_000
    await save(zhangsan, direct, "phone, newer", at)
    # The laptop was offline with an older draft: its save loses and is told what is stored.
    assert await save(zhangsan, direct, "laptop, older", at - 5000) == {
        "conversation_id": direct,
        "text": "phone, newer",
        "updated_at": at,
    }
    assert (await save(zhangsan, direct, "same time", at))["text"] == "phone, newer"
    # Clearing is a write like any other: an older text arriving late does not come back.
    await save(zhangsan, direct, "", at + 1)
    assert (await save(zhangsan, direct, "phone, newer", at))["text"] == ""
    # A clock running ahead cannot make a draft unbeatable: its time is taken as the server's now.
    ahead = await save(zhangsan, direct, "from the future", now_ms() + 86_400_000)
    assert ahead["updated_at"] <= now_ms()
    assert (await save(zhangsan, direct, "a moment later", now_ms() + 5))["text"] == "a moment later"


async def test_racing_saves_keep_the_newest(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    direct = await open_direct(zhangsan, lisi)
    base = now_ms() - 100_000
    results = await asyncio.gather(*(save(zhangsan, direct, f"v{n}", base + n) for n in range(20)))
    assert all(r["updated_at"] <= base + 19 for r in results)
    assert await draft(zhangsan, direct) == {
        "conversation_id": direct,
        "text": "v19",
        "updated_at": base + 19,
    }


async def test_the_authors_devices_hear_of_it_and_nobody_else(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    direct = await open_direct(zhangsan, lisi)
    mine, theirs = await position(zhangsan), await position(lisi)
    at = now_ms() - 1000
    await save(zhangsan, direct, "机密草稿", at)
    await save(zhangsan, direct, "older, lost", at - 1)  # a save that loses tells nobody
    events = [e for e in await events_since(zhangsan, mine) if e["type"] == "draft"]
    assert [(e["op"], e["user_id"], e["conversation_id"]) for e in events] == [("updated", zhangsan.id, None)]
    # The log keeps when, not what: a replay fetches the text (GET …/draft).
    assert events[0]["data"] == {"conversation_id": direct, "updated_at": at}
    assert "机密草稿" not in str(await events_since(lisi, theirs))


async def test_the_live_event_carries_the_text(settings: Settings) -> None:
    async with running_server(settings) as url:
        phone, laptop, friend = LakesideClient(url), LakesideClient(url), LakesideClient(url)
        await phone.register("zhangsan", PASSWORD, display_name="张三")
        await laptop.login("zhangsan", PASSWORD)
        await friend.register("lisi", PASSWORD, display_name="李四")
        assert phone.user and friend.user
        request = await phone.request("POST", "/api/v1/friends/requests", json={"user_id": friend.user["id"]})
        await friend.request("POST", f"/api/v1/friends/requests/{request['id']}/accept")
        direct = await phone.open_direct(friend.user["id"])
        async with laptop.subscribe() as events:
            await phone.request(
                "PUT", path(direct["id"]), json={"text": "在路上", "updated_at": 1_700_000_000_000}
            )
            while (event := await events.next(5.0))["type"] != "draft":
                pass
            assert event["op"] == "updated"
            assert event["data"] == {
                "conversation_id": direct["id"],
                "updated_at": 1_700_000_000_000,
                "text": "在路上",
            }
        for client in (phone, laptop, friend):
            await client.close()


async def test_only_members_have_drafts(people: dict[str, Person]) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    await befriend(zhangsan, lisi)
    direct = await open_direct(zhangsan, lisi)
    await save(zhangsan, direct, "just between us")
    for conversation_id in (direct, NOWHERE):
        for response in (
            await mallory.get(path(conversation_id)),
            await mallory.put(path(conversation_id), json={"text": "hi"}),
        ):
            assert response.status_code == 404, response.text
            assert error_code(response) == "CONVERSATION_NOT_FOUND"
            assert "between us" not in response.text
    assert (await draft(zhangsan, direct))["text"] == "just between us"
    for response in (
        await zhangsan.http.get(path(direct)),
        await zhangsan.http.put(path(direct), json={"text": "x"}),
    ):
        assert response.status_code == 401


async def test_leaving_drops_the_draft(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    group = (await create_group(zhangsan, [lisi, wangwu]))["id"]
    await save(lisi, group, "lisi's unsent words")
    await save(wangwu, group, "wangwu's unsent words")
    assert (await lisi.post(f"/api/v1/conversations/{group}/leave")).status_code == 200
    assert (await lisi.get(path(group))).status_code == 404
    assert (await zhangsan.delete(f"/api/v1/conversations/{group}/members/{wangwu.id}")).status_code == 200
    # Back in the group, neither finds the old text: it left with the membership.
    response = await zhangsan.post(
        f"/api/v1/conversations/{group}/members", json={"user_ids": [lisi.id, wangwu.id]}
    )
    assert response.status_code == 200, response.text
    for person in (lisi, wangwu):
        assert await draft(person, group) == {"conversation_id": group, "text": "", "updated_at": 0}
        assert await listed_draft(person, group) is None
    # Sending does not need the draft cleared first, and the draft is untouched by it.
    await save(zhangsan, group, "still typing")
    await send(zhangsan, group, "sent meanwhile")
    assert (await draft(zhangsan, group))["text"] == "still typing"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "x" * (16 * 1024 + 1)}, 422, "DRAFT_TOO_LONG"),
        ({"text": "字" * 5462}, 422, "DRAFT_TOO_LONG"),  # 16,386 bytes in UTF-8
        ({"text": "x" * 65_537}, 422, "VALIDATION_FAILED"),
        ({"text": "bell\x07"}, 422, "CONTROL_CHARACTERS"),
        ({}, 422, "VALIDATION_FAILED"),
        ({"text": 5}, 422, "VALIDATION_FAILED"),
        ({"text": None}, 422, "VALIDATION_FAILED"),
        ({"text": "x", "updated_at": "1700000000000"}, 422, "VALIDATION_FAILED"),
        ({"text": "x", "updated_at": -1}, 422, "VALIDATION_FAILED"),
        ({"text": "x", "updated_at": 2**63}, 422, "VALIDATION_FAILED"),
        ({"text": "x", "updated_at": True}, 422, "VALIDATION_FAILED"),
        ({"text": "x", "conversation_id": 1}, 422, "VALIDATION_FAILED"),
    ],
)
async def test_bad_drafts_are_refused(
    people: dict[str, Person], body: dict[str, Any], status: int, code: str
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    direct = await open_direct(zhangsan, lisi)
    response = await zhangsan.put(path(direct), json=body)
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert (await draft(zhangsan, direct))["updated_at"] == 0
    # The largest draft that fits is kept whole.
    assert (await save(zhangsan, direct, "字" * 5461))["text"] == "字" * 5461


async def test_bad_ids_are_refused(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    for bad in ("0", "-1", str(2**63), "abc"):
        assert (await zhangsan.get(f"/api/v1/conversations/{bad}/draft")).status_code == 422
        assert (
            await zhangsan.put(f"/api/v1/conversations/{bad}/draft", json={"text": "x"})
        ).status_code == 422


async def test_the_migration_creates_the_drafts_table_exactly(app: FastAPI) -> None:
    db = app.state.services.ctx.db

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return [diff for diff in compare_metadata(context, metadata) if "conversation_drafts" in repr(diff)]

    def downgrade(sync_conn: Any) -> None:
        from alembic import command

        command.downgrade(migrate.alembic_config(sync_conn), "0007")

    async with db.read() as conn:
        assert await conn.run_sync(compare) == []
    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
    assert await migrate.current_revision(db) == "0007"
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
