"""Data exports (PIPL): a user's archive holds their data and nothing of other people's private
chats; an organization's is for its owner and admins; one job at a time, three a day; concurrent
requests make one job; expired archives and a deleted account's archives leave the disk."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from lakeside.domain.tokens import now_ms
from lakeside.store.tables import export_jobs
from lakeside.workers.exports import run_queued
from lakeside.workers.housekeeping import run_once as run_housekeeping
from tests.conftest import PASSWORD, Person, befriend, error_code
from tests.test_group_tools import events_since, group, kinds, ok, position, sent
from tests.test_messages import png, upload
from tests.test_organizations import company

DAY = 86_400_000


async def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    return dict(response.json())


async def listed(person: Person, base: str = "/api/v1/me") -> list[dict[str, Any]]:
    return list((await ok(await person.get(f"{base}/exports")))["exports"])


def archive(response: httpx.Response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def read_json(zf: zipfile.ZipFile, name: str) -> Any:
    return json.loads(zf.read(name))


def archive_dir(app: FastAPI) -> Path:
    return Path(app.state.services.ctx.settings.data_dir) / "exports"


async def test_a_users_export_holds_their_data_and_nothing_of_others_private_chats(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    await befriend(lisi, wangwu)
    await befriend(zhangsan, wangwu)
    cid = await group(lisi, wangwu, title="周末爬山")
    await sent(lisi, cid, "lisi 说：周六八点出发")
    await sent(wangwu, cid, "wangwu 的话 not-lisis")
    direct = (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": wangwu.id})))[
        "id"
    ]
    await sent(zhangsan, direct, "zhangsan-wangwu private secret")
    file_id = await upload(lisi, png(), "体检报告.png")
    await ok(
        await lisi.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "img", "kind": "image", "file_id": file_id},
        )
    )
    theirs = await upload(wangwu, b"wangwu's own file", "wangwu.txt")
    del theirs

    before = await position(lisi)
    job = await accepted(await lisi.post("/api/v1/me/exports"))
    assert job["status"] == "queued" and job["download_url"] is None
    early = await lisi.get(f"/api/v1/me/exports/{job['id']}/download")
    assert early.status_code == 409 and error_code(early) == "EXPORT_NOT_READY"

    assert await run_queued(app.state.services) == [job["id"]]
    [ready] = await listed(lisi)
    assert ready["status"] == "ready" and ready["size"] > 0 and ready["expires_at"] > ready["finished_at"]
    assert ready["download_url"] == f"/api/v1/me/exports/{job['id']}/download"
    # Her devices heard it: running, then ready.
    updates = [e for e in await events_since(lisi, before) if (e["type"], e["op"]) == ("export", "updated")]
    assert [e["data"]["status"] for e in updates] == ["running", "ready"]
    assert ("export", "updated") not in kinds(await events_since(wangwu, 0))

    zf = archive(await lisi.get(ready["download_url"]))
    names = set(zf.namelist())
    assert {"README.txt", "profile.json", "contacts.json", "conversations.json", "messages.json"} <= names
    assert {"favorites.json", "files.json"} <= names
    readme = zf.read("README.txt").decode()
    assert "数据导出" in readme and "data export" in readme
    assert read_json(zf, "profile.json")["username"] == "lisi"
    assert [f["username"] for f in read_json(zf, "contacts.json")["friends"]] == ["wangwu"]
    assert [c["title"] for c in read_json(zf, "conversations.json")] == ["周末爬山"]
    messages = read_json(zf, "messages.json")
    assert {m["sender_id"] for m in messages} == {lisi.id}
    assert [m["body"] for m in messages if m["kind"] == "text"] == ["lisi 说：周六八点出发"]
    assert [m["file_id"] for m in messages if m["kind"] == "image"] == [file_id]
    [stored] = read_json(zf, "files.json")
    assert stored["filename"] == "体检报告.png" and not stored["omitted"]
    assert zf.read(stored["path"]) == png()
    everything = b"".join(zf.read(name) for name in names)
    for foreign in ("not-lisis", "zhangsan-wangwu private secret", "wangwu's own file"):
        assert foreign.encode() not in everything

    # The archive is hers alone.
    assert (await wangwu.get(ready["download_url"])).status_code == 404


async def test_one_export_at_a_time_and_three_a_day(app: FastAPI, people: dict[str, Person]) -> None:
    lisi = people["lisi"]
    responses = await asyncio.gather(*(lisi.post("/api/v1/me/exports") for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [202, 409, 409, 409]
    job = next(r.json() for r in responses if r.status_code == 202)
    refused = [r for r in responses if r.status_code == 409]
    assert all(error_code(r) == "EXPORT_IN_PROGRESS" for r in refused)
    assert all(r.json()["error"]["export_id"] == job["id"] for r in refused)
    assert len(await listed(lisi)) == 1
    for _ in range(2):
        await run_queued(app.state.services)
        await accepted(await lisi.post("/api/v1/me/exports"))
    await run_queued(app.state.services)
    fourth = await lisi.post("/api/v1/me/exports")
    assert fourth.status_code == 429 and error_code(fourth) == "RATE_LIMITED"
    assert int(fourth.headers.get("retry-after", "1")) > 0


async def test_two_workers_build_a_job_once(app: FastAPI, people: dict[str, Person]) -> None:
    lisi = people["lisi"]
    job = await accepted(await lisi.post("/api/v1/me/exports"))
    built = await asyncio.gather(*(run_queued(app.state.services) for _ in range(3)))
    assert sorted(job_id for ids in built for job_id in ids) == [job["id"]]


async def test_expired_archives_are_deleted(app: FastAPI, people: dict[str, Person]) -> None:
    lisi = people["lisi"]
    job = await accepted(await lisi.post("/api/v1/me/exports"))
    await run_queued(app.state.services)
    zip_path = archive_dir(app) / str(lisi.id) / f"{job['id']}.zip"
    assert zip_path.is_file()
    await run_housekeeping(app.state.services)
    assert zip_path.is_file()  # not yet
    async with app.state.services.ctx.db.transaction() as conn:
        await conn.execute(update(export_jobs).values(expires_at=now_ms() - 1))
    await run_housekeeping(app.state.services)
    assert not zip_path.exists()
    [expired] = await listed(lisi)
    assert expired["status"] == "expired" and expired["download_url"] is None
    gone = await lisi.get(f"/api/v1/me/exports/{job['id']}/download")
    assert gone.status_code == 409 and error_code(gone) == "EXPORT_NOT_READY"


async def test_deleting_the_account_deletes_its_exports(app: FastAPI, people: dict[str, Person]) -> None:
    lisi = people["lisi"]
    await accepted(await lisi.post("/api/v1/me/exports"))
    await run_queued(app.state.services)
    queued = await accepted(await lisi.post("/api/v1/me/exports"))
    del queued
    assert any((archive_dir(app) / str(lisi.id)).iterdir())
    await ok(await lisi.post("/api/v1/me/deletion", json={"password": PASSWORD}))
    assert not (archive_dir(app) / str(lisi.id)).exists()
    assert await run_queued(app.state.services) == []  # the queued one went with the account
    async with app.state.services.ctx.db.read() as conn:
        assert (await conn.execute(export_jobs.select())).all() == []


async def test_an_organizations_export_is_for_its_admins(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = people["zhangsan"], people["lisi"], people["wangwu"], people["mallory"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}"
    await ok(await zhangsan.put(f"{base}/members/{lisi.id}/role", json={"role": "admin"}))
    await sent(wangwu, org["all_staff_conversation_id"], "全员群里的工作消息")
    await befriend(lisi, wangwu)
    direct = (await ok(await lisi.post("/api/v1/conversations/direct", json={"user_id": wangwu.id})))["id"]
    await sent(lisi, direct, "a private word between colleagues")
    await ok(await zhangsan.post(f"{base}/announcements", json={"title": "放假通知", "body": "国庆放假七天"}))

    refused = await wangwu.post(f"{base}/exports")
    assert refused.status_code == 403 and error_code(refused) == "NOT_ORG_ADMIN"
    assert (await mallory.post(f"{base}/exports")).status_code == 404
    job = await accepted(await lisi.post(f"{base}/exports"))
    assert job["organization_id"] == org["id"]
    again = await zhangsan.post(f"{base}/exports")
    assert again.status_code == 409 and error_code(again) == "EXPORT_IN_PROGRESS"
    assert await listed(lisi) == []  # her own data's exports are another list
    await run_queued(app.state.services)
    [ready] = await listed(zhangsan, base)
    assert ready["download_url"] == f"{base}/exports/{job['id']}/download"
    for outsider, status in ((wangwu, 403), (mallory, 404)):
        assert (await outsider.get(ready["download_url"])).status_code == status
    # The user route does not serve an organization's archive.
    assert (await lisi.get(f"/api/v1/me/exports/{job['id']}/download")).status_code == 404

    zf = archive(await zhangsan.get(ready["download_url"]))
    assert read_json(zf, "organization.json")["id"] == org["id"]
    assert {m["user_id"] for m in read_json(zf, "members.json")} == {zhangsan.id, lisi.id, wangwu.id}
    assert [a["title"] for a in read_json(zf, "announcements.json")] == ["放假通知"]
    bodies = [m["body"] for m in read_json(zf, "messages.json")]
    assert "全员群里的工作消息" in bodies
    assert b"a private word" not in b"".join(zf.read(name) for name in zf.namelist())
    audit = await ok(await zhangsan.get(f"{base}/audit-log"))
    assert [e["actor"]["id"] for e in audit["entries"] if e["action"] == "org.export"] == [lisi.id]


async def test_files_past_the_limit_are_left_out_and_listed(app: FastAPI, people: dict[str, Person]) -> None:
    lisi = people["lisi"]
    small = await upload(lisi, b"small file", "small.txt")
    big = await upload(lisi, b"x" * 50_000, "big.bin")
    app.state.services.ctx.settings.export_max_bytes = 20_000
    await accepted(await lisi.post("/api/v1/me/exports"))
    await run_queued(app.state.services)
    [ready] = await listed(lisi)
    zf = archive(await lisi.get(ready["download_url"]))
    by_id = {f["id"]: f for f in read_json(zf, "files.json")}
    assert not by_id[small]["omitted"] and zf.read(by_id[small]["path"]) == b"small file"
    assert by_id[big]["omitted"] and by_id[big]["path"] is None
    assert "omitted" in zf.read("README.txt").decode()
