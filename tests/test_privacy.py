"""Privacy (PIPL): deleting an account — password again, sessions end, the profile anonymised,
everything it sent scrubbed and its files deleted, friends and memberships ended, an
organization's owner refused — and organizations' retention policies applied by the worker."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import update

from lakeside.domain.tokens import now_ms
from lakeside.store import privacy as privacy_store
from lakeside.store.tables import conversations, events, files, message_search, messages
from lakeside.workers.housekeeping import run_once as run_housekeeping
from tests.adversarial.db_grep import grep_database
from tests.conftest import PASSWORD, Person, befriend, error_code
from tests.test_group_tools import group, ok, sent
from tests.test_messages import png, upload
from tests.test_organizations import company

DAY = 86_400_000


async def test_deleting_an_account(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    await befriend(lisi, wangwu)
    cid = await group(lisi, wangwu, zhangsan, title="周末爬山")
    direct = await ok(await wangwu.post("/api/v1/conversations/direct", json={"user_id": lisi.id}))
    secret = await sent(lisi, cid, "我的身份证号 lisiprivate42")
    file_id = await upload(lisi, png(), "体检报告.png")
    image = await ok(
        await lisi.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "img", "kind": "image", "file_id": file_id},
        )
    )
    await sent(lisi, org["all_staff_conversation_id"], "lisiprivate42 在公司群")
    await ok(await wangwu.post("/api/v1/favorites", json={"message_id": secret["id"]}))

    # A wrong password, and an organization's owner, are refused.
    response = await lisi.post("/api/v1/me/deletion", json={"password": "wrong password!"})
    assert response.status_code == 403 and error_code(response) == "BAD_CREDENTIALS"
    response = await zhangsan.post("/api/v1/me/deletion", json={"password": PASSWORD})
    assert response.status_code == 409 and error_code(response) == "ORG_OWNER_MUST_TRANSFER"
    assert response.json()["error"]["organization_ids"] == [org["id"]]

    await ok(await lisi.post("/api/v1/me/deletion", json={"password": PASSWORD}))
    # The session is over; the password logs in no more; the username is free again.
    assert (await lisi.get("/api/v1/me")).status_code == 401
    login = await lisi.http.post("/api/v1/auth/login", json={"login": "lisi", "password": PASSWORD})
    assert login.status_code in (401, 403)
    again = await lisi.http.post(
        "/api/v1/auth/register", json={"username": "lisi", "password": PASSWORD, "display_name": "新李四"}
    )
    assert again.status_code == 201, again.text
    # Others see a deleted user, tombstones in place of what they sent, no file, no friendship.
    profile = await ok(await wangwu.get(f"/api/v1/users/{lisi.id}"))
    assert profile["deleted"] is True and profile["display_name"] == ""
    history = (await ok(await wangwu.get(f"/api/v1/conversations/{cid}/messages")))["messages"]
    theirs = [m for m in history if m["sender_id"] == lisi.id and m["kind"] != "system"]
    assert theirs and all(m["recalled"] and m["body"] == "" for m in theirs)
    assert (await wangwu.get(f"/api/v1/files/{file_id}")).status_code == 404
    assert image["id"] in {m["id"] for m in theirs}
    assert (await ok(await wangwu.get("/api/v1/friends"))) == []
    saved = (await ok(await wangwu.get("/api/v1/favorites")))["favorites"]
    assert [(f["recalled"], f["body"]) for f in saved] == [(True, "")]
    members = await ok(await wangwu.get(f"/api/v1/conversations/{cid}/members"))
    member_ids = {m["user"]["id"] if "user" in m else m["id"] for m in members}
    assert lisi.id not in member_ids
    # A direct chat keeps them as its other member, shown as deleted (walk 21: it said not).
    pair = await ok(await wangwu.get(f"/api/v1/conversations/{direct['id']}/members"))
    assert {m["user"]["id"]: m["user"]["deleted"] for m in pair} == {lisi.id: True, wangwu.id: False}
    org_members = await ok(await zhangsan.get(f"/api/v1/orgs/{org['id']}/members"))
    listed = org_members["members"] if isinstance(org_members, dict) else org_members
    assert lisi.id not in {m.get("user_id", m.get("id")) for m in listed}
    # Nothing of what they wrote is stored anywhere (after housekeeping merged SQLite's index).
    await run_housekeeping(app.state.services)
    assert (
        await grep_database(app.state.services.ctx.settings.database_url, ["lisiprivate42", "体检报告"]) == []
    )


async def test_retention_deletes_old_messages_everywhere(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    cid = org["all_staff_conversation_id"]
    outside = await group(zhangsan, lisi, title="非公司群")

    url = f"/api/v1/orgs/{org['id']}/retention"
    assert (await ok(await zhangsan.get(url))) == {"days": None, "minimum_days": 30}
    response = await zhangsan.put(url, json={"days": 7})
    assert response.status_code == 422 and error_code(response) == "RETENTION_TOO_SHORT"
    assert (await lisi.put(url, json={"days": 30})).status_code == 403
    assert (await ok(await zhangsan.put(url, json={"days": 30})))["days"] == 30

    file_id = await upload(zhangsan, png(), "old.png")
    old = [await sent(zhangsan, cid, f"oldtoken{i} 旧消息") for i in range(3)]
    old.append(
        await ok(
            await zhangsan.post(
                f"/api/v1/conversations/{cid}/messages",
                json={"client_msg_id": "oldimg", "kind": "image", "file_id": file_id},
            )
        )
    )
    kept_outside = await sent(zhangsan, outside, "oldtoken outside the organization")
    # Forwarded out of the organization today: the copy goes with its original.
    forward = {"client_msg_id": "out", "message_ids": [old[1]["id"]], "conversation_ids": [outside]}
    (copy,) = (await ok(await lisi.post("/api/v1/messages/forward", json=forward)))["messages"]
    await ok(await lisi.post("/api/v1/favorites", json={"message_id": old[0]["id"]}))
    fresh = await sent(zhangsan, cid, "freshtoken 新消息")
    # The old ones were sent 40 days ago (their events too).
    long_ago = now_ms() - 40 * DAY
    old_ids = [m["id"] for m in old] + [kept_outside["id"]]
    async with app.state.services.ctx.db.transaction() as conn:
        await conn.execute(update(messages).where(messages.c.id.in_(old_ids)).values(created_at=long_ago))
        await conn.execute(
            update(events)
            .where(events.c.conversation_id == cid, events.c.created_at < fresh["created_at"])
            .values(created_at=long_ago)
        )
    before = await ok(await lisi.get(f"/api/v1/conversations/{cid}"))
    assert before["unread"] >= 5

    await run_housekeeping(app.state.services)

    history = (await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages")))["messages"]
    assert [m["id"] for m in history if m["kind"] != "system"] == [fresh["id"]]
    # Unread counts only what can still be read; sequence numbers are never reused.
    after = await ok(await lisi.get(f"/api/v1/conversations/{cid}"))
    assert after["last_seq"] == before["last_seq"]
    assert after["unread"] == len([m for m in history if m["seq"] > after["read_seq"]]) < before["unread"]
    assert (await lisi.get(f"/api/v1/files/{file_id}")).status_code == 404
    found = await ok(await lisi.get("/api/v1/search/messages", params={"q": "oldtoken"}))
    assert len(found["results"]) == 1  # only the group outside the organization
    outside_history = (await ok(await lisi.get(f"/api/v1/conversations/{outside}/messages")))["messages"]
    assert [m["recalled"] for m in outside_history if m["id"] == copy["id"]] == [True]
    saved = (await ok(await lisi.get("/api/v1/favorites")))["favorites"]
    assert [(f["recalled"], f["body"]) for f in saved] == [(True, "")]
    async with app.state.services.ctx.db.read() as conn:
        for table, column in ((messages, messages.c.id), (message_search, message_search.c.message_id)):
            assert await privacy_store.count(conn, table, column.in_(old_ids[:-1])) == 0
        assert await privacy_store.count(conn, files, files.c.id == file_id) == 0
        assert (
            await privacy_store.count(
                conn, events, events.c.conversation_id == cid, events.c.created_at < fresh["created_at"]
            )
            == 0
        )
        assert await privacy_store.count(conn, conversations, conversations.c.id == cid) == 1
    assert await grep_database(app.state.services.ctx.settings.database_url, ["旧消息"]) == []
    assert (await ok(await zhangsan.put(url, json={"days": None})))["days"] is None
