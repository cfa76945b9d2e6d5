"""The audit log: every admin action of an organization is recorded with its actor, target, details
and address, in the action's own transaction; owners and admins read it (filters, pages, CSV);
members are refused and outsiders learn nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI

from lakeside.store.tables import metadata
from tests.conftest import Person, error_code, register
from tests.test_directory import department, seat
from tests.test_organizations import company, create_org, invite_code


async def entries(admin: Person, org_id: int, **params: Any) -> list[dict[str, Any]]:
    response = await admin.get(f"/api/v1/orgs/{org_id}/audit-log", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def test_admin_actions_are_recorded_with_actor_and_target(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, bob, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob", "mallory")
    )
    org = await company(zhangsan, [lisi, wangwu, alice, bob])
    org_id = org["id"]
    base = f"/api/v1/orgs/{org_id}"
    await ok(await zhangsan.put(f"{base}/members/{lisi.id}/role", json={"role": "admin"}))
    dept = await department(lisi, org_id, "研发中心")
    await seat(lisi, org_id, dept["id"], wangwu)
    await ok(await lisi.patch(f"{base}/departments/{dept['id']}", json={"name": "研发部"}))
    await ok(await lisi.delete(f"{base}/departments/{dept['id']}/members/{wangwu.id}"))
    await ok(await lisi.patch(f"{base}/members/{wangwu.id}", json={"title": "工程师"}))
    await ok(await zhangsan.patch(base, json={"name": "湖畔集团", "join_approval": True}))
    await ok(
        await zhangsan.put(
            f"{base}/ding-policy", json={"app_after_minutes": 5, "webhook_secret": "s3cret-s3cret-s3cret"}
        )
    )
    notice = await ok(await lisi.post(f"{base}/announcements", json={"title": "放假通知", "body": "正文"}))
    await ok(await lisi.delete(f"{base}/announcements/{notice['id']}"))
    link = await ok(await lisi.post(f"{base}/invitations", json={"kind": "link"}))
    await ok(await lisi.delete(f"{base}/invitations/{link['id']}"))
    by_mail = await ok(await lisi.post(f"{base}/contact-invitations", json={"email": "new@example.com"}))
    await ok(await lisi.delete(f"{base}/contact-invitations/{by_mail['id']}"))
    code = await invite_code(zhangsan, org_id)
    request = await ok(await mallory.post(f"/api/v1/org-invitations/{code}/join", json={}))
    await ok(await lisi.post(f"{base}/join-requests/{request['join_request']['id']}/reject"))
    await ok(await zhangsan.post(f"{base}/members/{alice.id}/deactivate"))
    await ok(await zhangsan.post(f"{base}/members/{alice.id}/reactivate"))
    await ok(await lisi.delete(f"{base}/members/{bob.id}"))
    contact = await ok(await lisi.post(f"{base}/contacts", json={"name": "周总"}))
    await ok(await lisi.delete(f"{base}/contacts/{contact['id']}"))
    await ok(await zhangsan.post(f"{base}/transfer", json={"user_id": lisi.id}))

    log = list(reversed(await entries(lisi, org_id)))
    got = [
        (e["action"], e["actor"]["id"] if e["actor"] else None, e["target_type"], e["target_id"]) for e in log
    ]
    invitation_ids = [e["target_id"] for e in log if e["action"] == "invitation.create"]
    assert got == [
        ("org.create", zhangsan.id, "organization", org_id),
        ("invitation.create", zhangsan.id, "invitation", invitation_ids[0]),  # company()'s code
        ("member.role", zhangsan.id, "user", lisi.id),
        ("department.create", lisi.id, "department", dept["id"]),
        ("department.seat", lisi.id, "user", wangwu.id),
        ("department.update", lisi.id, "department", dept["id"]),
        ("department.unseat", lisi.id, "user", wangwu.id),
        ("member.update", lisi.id, "user", wangwu.id),
        ("org.update", zhangsan.id, "organization", org_id),
        ("ding_policy.update", zhangsan.id, "organization", org_id),
        ("announcement.publish", lisi.id, "announcement", notice["id"]),
        ("announcement.delete", lisi.id, "announcement", notice["id"]),
        ("invitation.create", lisi.id, "invitation", link["id"]),
        ("invitation.revoke", lisi.id, "invitation", link["id"]),
        ("contact_invitation.create", lisi.id, "contact_invitation", by_mail["id"]),
        ("contact_invitation.revoke", lisi.id, "contact_invitation", by_mail["id"]),
        ("invitation.create", zhangsan.id, "invitation", invitation_ids[-1]),
        ("join_request.reject", lisi.id, "user", mallory.id),
        ("member.deactivate", zhangsan.id, "user", alice.id),
        ("member.reactivate", zhangsan.id, "user", alice.id),
        ("member.remove", lisi.id, "user", bob.id),
        ("contact.create", lisi.id, "contact", contact["id"]),
        ("contact.delete", lisi.id, "contact", contact["id"]),
        ("org.transfer", zhangsan.id, "user", lisi.id),
    ]
    by_action = {e["action"]: e for e in log}
    assert by_action["member.role"]["details"] == {"from": "member", "to": "admin"}
    assert by_action["member.role"]["target_name"] == "李四"
    assert by_action["member.role"]["actor"] == {
        "id": zhangsan.id,
        "username": "zhangsan",
        "display_name": "张三",
    }
    assert by_action["org.update"]["details"] == {
        "name": {"from": "湖畔科技", "to": "湖畔集团"},
        "join_approval": {"from": False, "to": True},
    }
    assert by_action["department.update"]["details"]["name"] == "研发部"
    assert by_action["member.update"]["details"] == {"title": "工程师"}
    # A webhook secret never enters the log, only the fact that it changed.
    assert by_action["ding_policy.update"]["details"] == {
        "app_after_minutes": 5,
        "webhook_secret": "[changed]",
    }
    assert by_action["announcement.publish"]["details"]["title"] == "放假通知"
    assert "正文" not in str(log)
    assert all(e["address"] == "203.0.113.7" and e["organization_id"] == org_id for e in log)
    assert [e["created_at"] for e in log] == sorted(e["created_at"] for e in log)


async def test_filters_pages_and_csv_export(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    org_id = org["id"]
    base = f"/api/v1/orgs/{org_id}"
    await ok(await zhangsan.put(f"{base}/members/{lisi.id}/role", json={"role": "admin"}))
    for name in ("一部", "二部", '=HYPERLINK("http://evil")'):
        await department(lisi, org_id, name)
    await ok(await zhangsan.put(f"{base}/members/{lisi.id}/role", json={"role": "member"}))

    everything = await entries(zhangsan, org_id)
    assert len(everything) == 7
    assert [e["action"] for e in await entries(zhangsan, org_id, action="member.role")] == ["member.role"] * 2
    assert {e["action"] for e in await entries(zhangsan, org_id, action="department")} == {
        "department.create"
    }
    assert {e["actor"]["id"] for e in await entries(zhangsan, org_id, actor_id=lisi.id)} == {lisi.id}
    middle = everything[3]["created_at"]
    assert all(e["created_at"] >= middle for e in await entries(zhangsan, org_id, since=middle))
    assert all(e["created_at"] < middle for e in await entries(zhangsan, org_id, until=middle))
    response = await zhangsan.get(f"{base}/audit-log", params={"action": "nonsense"})
    assert response.status_code == 422 and error_code(response) == "INVALID_ACTION"

    # Pages of two walk the whole log, newest first, with nothing twice.
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await zhangsan.get(f"{base}/audit-log", params=params)).json()
        seen += [e["id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in everything]
    response = await zhangsan.get(f"{base}/audit-log", params={"cursor": "abc"})
    assert response.status_code == 422 and error_code(response) == "INVALID_CURSOR"

    response = await zhangsan.get(f"{base}/audit-log/export", params={"action": "department"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["id", "created_at", "action"]
    assert [r[2] for r in rows[1:]] == ["department.create"] * 3
    assert any("二部" in r[9] for r in rows[1:])
    # No cell starts with a formula character, however the data begins.
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


async def test_only_owners_and_admins_read_it(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "mallory")
    )
    org = await company(zhangsan, [lisi, wangwu, alice])
    org_id = org["id"]
    base = f"/api/v1/orgs/{org_id}"
    other = await create_org(mallory, "来往")
    await ok(await zhangsan.put(f"{base}/members/{lisi.id}/role", json={"role": "admin"}))
    await ok(await zhangsan.post(f"{base}/members/{alice.id}/deactivate"))
    for path in ("audit-log", "audit-log/export"):
        assert (await zhangsan.get(f"{base}/{path}")).status_code == 200
        assert (await lisi.get(f"{base}/{path}")).status_code == 200
        response = await wangwu.get(f"{base}/{path}")
        assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"
        for outsider in (mallory, alice):  # another organization's owner; a deactivated member
            response = await outsider.get(f"{base}/{path}")
            assert response.status_code == 404 and error_code(response) == "ORG_NOT_FOUND"
            assert "湖畔" not in response.text
        response = await zhangsan.http.get(f"{base}/{path}")
        assert response.status_code == 401
    # Each organization's log holds its own actions only.
    assert [e["action"] for e in await entries(mallory, other["id"])] == ["org.create"]
    stranger = await register(zhangsan.http, "stranger", "Stranger")
    assert (await stranger.get(f"{base}/audit-log")).status_code == 404


async def test_a_refused_action_leaves_no_entry(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi])
    base = f"/api/v1/orgs/{org['id']}"
    before = await entries(zhangsan, org["id"])
    assert (await zhangsan.put(f"{base}/members/{wangwu.id}/role", json={"role": "admin"})).status_code == 404
    assert (await lisi.put(f"{base}/members/{zhangsan.id}/role", json={"role": "member"})).status_code == 403
    assert (await zhangsan.delete(f"{base}/departments/999")).status_code == 404
    assert await entries(zhangsan, org["id"]) == before


async def test_the_migration_creates_the_audit_table_exactly(app: FastAPI) -> None:
    services = app.state.services

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return [diff for diff in compare_metadata(context, metadata) if "audit_log" in repr(diff)]

    async with services.ctx.db.read() as conn:
        assert await conn.run_sync(compare) == []


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
