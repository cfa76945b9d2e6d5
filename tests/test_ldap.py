"""LDAP / Active Directory against a real slapd (tests/ldap_server.py), on SQLite and PostgreSQL:
the organization's directory set-up (owners and admins only, the service password never shown),
the sync (departments from the units, members added, moved, renamed, deactivated, reactivated;
idempotent; members the directory did not create untouched), log-in by bind (wrong password,
disabled entry, unreachable directory, rate limits, LDAP injection in the login and the test
look-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from lakeside.config import Settings
from lakeside.domain import ldap as dl
from lakeside.store.tables import ldap_directories, ldap_entries
from tests import ldap_server
from tests.conftest import PASSWORD, Person, error_code, register
from tests.ldap_server import PASSWORD as LDAP_PASSWORD
from tests.ldap_server import SERVICE_DN, SERVICE_PASSWORD, Company, Slapd, free_port
from tests.test_organizations import company as make_company

slapd = ldap_server.slapd  # the session's server (a fixture)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The directory is on 127.0.0.1; the scheduled worker stays off (tests run syncs themselves).
    return settings.model_copy(update={"egress_allow_private": True, "ldap_worker_interval_seconds": 0})


@pytest.fixture
def corp(slapd: Slapd) -> Company:
    return slapd.company()


def directory_body(slapd: Slapd, corp: Company, **extra: Any) -> dict[str, Any]:
    return {
        "url": slapd.url,
        "bind_dn": SERVICE_DN,
        "bind_password": SERVICE_PASSWORD,
        "base_dn": corp.base,
        "user_filter": "(objectClass=inetOrgPerson)",
        "login_enabled": True,
        "sync_interval_minutes": 0,
        **extra,
    }


async def set_up(owner: Person, slapd: Slapd, corp: Company, **extra: Any) -> int:
    org = await make_company(owner, [])
    response = await owner.put(f"/api/v1/orgs/{org['id']}/ldap", json=directory_body(slapd, corp, **extra))
    assert response.status_code == 200, response.text
    return int(org["id"])


async def sync(owner: Person, org_id: int) -> dict[str, Any]:
    response = await owner.post(f"/api/v1/orgs/{org_id}/ldap/sync")
    assert response.status_code == 200, response.text
    return dict(response.json())


def counts(result: dict[str, Any]) -> dict[str, int]:
    keys = ("added", "updated", "moved", "deactivated", "reactivated",
            "departments_created", "departments_updated", "departments_deleted")  # fmt: skip
    return {k: result[k] for k in keys if result[k]}


async def members(owner: Person, org_id: int) -> dict[str, dict[str, Any]]:
    response = await owner.get(
        f"/api/v1/orgs/{org_id}/members", params={"include_deactivated": "true", "limit": 200}
    )
    assert response.status_code == 200, response.text
    return {m["username"]: m for m in response.json()["members"]}


async def departments(owner: Person, org_id: int) -> dict[str, dict[str, Any]]:
    response = await owner.get(f"/api/v1/orgs/{org_id}/departments")
    assert response.status_code == 200, response.text
    return {d["name"]: d for d in response.json()}


async def login(http: httpx.AsyncClient, name: str, password: str = LDAP_PASSWORD) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"login": name, "password": password})


# -- the sync ---------------------------------------------------------------------------------------


async def test_sync_builds_the_company_and_a_second_sync_changes_nothing(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    result = await sync(boss, org_id)
    assert result["ok"] and result["error"] is None and result["errors"] == [], result
    assert counts(result) == {"added": 5, "departments_created": 3}
    assert result["seen"] == 5

    tree = await departments(boss, org_id)
    assert set(tree) == {"研发部", "后端组", "市场部"}
    assert tree["后端组"]["parent_id"] == tree["研发部"]["id"] and tree["研发部"]["parent_id"] is None
    people = await members(boss, org_id)
    assert set(people) == {"boss", "ceo", "wangwu", "zhangsan", "lisi", "zhaoliu"}
    seats = {name: [d["name"] for d in m["departments"]] for name, m in people.items()}
    assert seats == {"boss": [], "ceo": [], "wangwu": ["研发部"], "zhangsan": ["后端组"], "lisi": ["后端组"],
                     "zhaoliu": ["市场部"]}  # fmt: skip
    zhangsan = people["zhangsan"]
    assert (zhangsan["name"], zhangsan["work_phone"], zhangsan["employee_no"]) == (
        "张三",
        "13800000001",
        "E001",
    )
    assert people["wangwu"]["title"] == "研发总监" and people["lisi"]["email"] == "lisi@example.com"
    assert tree["后端组"]["member_count"] == 2
    org = (await boss.get(f"/api/v1/orgs/{org_id}")).json()
    assert org["member_count"] == 6

    # Department groups: 张三 is in 后端组's group and the all-staff group.
    signed_in = await login(client, "zhangsan")
    assert signed_in.status_code == 200, signed_in.text
    zhang = Person(client, signed_in.json()["token"], signed_in.json()["user"])
    listed = (await zhang.get("/api/v1/conversations", params={"limit": 200})).json()["conversations"]
    assert {tree["后端组"]["conversation_id"], org["all_staff_conversation_id"]} <= {c["id"] for c in listed}

    again = await sync(boss, org_id)
    assert again["ok"] and counts(again) == {} and again["errors"] == []
    # An admin's own decision stands: a member deactivated by hand stays so.
    ceo = people["ceo"]["user_id"]
    assert (await boss.post(f"/api/v1/orgs/{org_id}/members/{ceo}/deactivate")).status_code == 200
    assert counts(await sync(boss, org_id)) == {}
    assert (await members(boss, org_id))["ceo"]["status"] == "deactivated"
    view = (await boss.get(f"/api/v1/orgs/{org_id}/ldap")).json()
    assert view["last_sync"]["seen"] == 5 and view["linked_members"] == {"active": 5}
    audit = (await boss.get(f"/api/v1/orgs/{org_id}/audit-log", params={"action": "ldap"})).json()
    assert [e["action"] for e in audit["entries"]].count("ldap.sync") == 3


async def test_moves_renames_and_departures_follow_the_directory(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    alice = await register(client, "alice", "Alice Chen")
    org = await make_company(boss, [alice])
    org_id = org["id"]
    # A department and a member that the directory did not make.
    response = await boss.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "行政部"})
    hand_made = response.json()["id"]
    assert (
        await boss.put(f"/api/v1/orgs/{org_id}/departments/{hand_made}/members/{alice.id}", json={})
    ).is_success
    response = await boss.put(f"/api/v1/orgs/{org_id}/ldap", json=directory_body(slapd, corp))
    assert response.status_code == 200, response.text
    await sync(boss, org_id)
    before = await members(boss, org_id)
    tree = await departments(boss, org_id)
    # 王五 also sits in the hand-made department: that seat is the admin's, the sync leaves it.
    wangwu = before["wangwu"]["user_id"]
    assert (
        await boss.put(f"/api/v1/orgs/{org_id}/departments/{hand_made}/members/{wangwu}", json={})
    ).is_success

    corp.move(corp.dn("zhangsan", "后端组", "研发部"), "uid=zhangsan", corp.unit_dn("市场部"))  # moved
    corp.move(corp.dn("lisi", "后端组", "研发部"), "uid=lisi2")  # renamed: a new uid, a new DN
    corp.move(corp.unit_dn("后端组", "研发部"), "ou=服务端组")  # the unit renamed
    corp.modify(corp.dn("wangwu", "研发部"), userAccountControl="514")  # disabled (AD's bit 2)
    corp.delete(corp.dn("zhaoliu", "市场部"))  # gone
    corp.modify(corp.dn("ceo"), cn="老板")  # unchanged value: nothing to do
    result = await sync(boss, org_id)
    assert result["ok"] and result["errors"] == [], result
    assert counts(result) == {"moved": 1, "updated": 1, "deactivated": 2, "departments_updated": 1}

    after = await members(boss, org_id)
    assert after["zhangsan"]["user_id"] == before["zhangsan"]["user_id"]
    assert [d["name"] for d in after["zhangsan"]["departments"]] == ["市场部"]
    assert "lisi" not in after and after["lisi2"]["user_id"] == before["lisi"]["user_id"]
    assert [d["name"] for d in after["lisi2"]["departments"]] == ["服务端组"]
    renamed = await departments(boss, org_id)
    assert "后端组" not in renamed and renamed["服务端组"]["id"] == tree["后端组"]["id"]
    assert after["wangwu"]["status"] == "deactivated" and after["zhaoliu"]["status"] == "deactivated"
    assert after["alice"]["status"] == "active"
    assert [d["name"] for d in after["alice"]["departments"]] == ["行政部"]
    # 市场部 still has 张三, so it stays; the groups follow the seats.
    zhang_seat = await boss.get(f"/api/v1/orgs/{org_id}/departments/{renamed['市场部']['id']}/members")
    assert [m["username"] for m in zhang_seat.json()] == ["zhangsan"]

    # The renamed account logs in under its new name; the disabled one does not, even with its
    # password (it is deactivated here too); the gone one's account is deactivated.
    assert (await login(client, "lisi2")).status_code == 200
    refused = await login(client, "wangwu")
    assert refused.status_code in (401, 403) and error_code(refused) in (
        "ACCOUNT_DEACTIVATED", "DIRECTORY_ACCOUNT_DISABLED"
    )  # fmt: skip
    assert error_code(await login(client, "zhaoliu")) == "BAD_CREDENTIALS"  # gone from the directory

    # Enabled again: reactivated, seated again (the admin's seat in 行政部 was taken with the
    # deactivation, as for any departure); a second sync is quiet.
    corp.modify(corp.dn("wangwu", "研发部"), userAccountControl="512")
    result = await sync(boss, org_id)
    assert counts(result) == {"reactivated": 1}, result
    back = await members(boss, org_id)
    assert back["wangwu"]["status"] == "active" and [d["name"] for d in back["wangwu"]["departments"]] == [
        "研发部"
    ]
    assert (await login(client, "wangwu")).status_code == 200
    assert counts(await sync(boss, org_id)) == {}

    # The unit emptied and removed: its department goes.
    corp.move(corp.dn("lisi2", "服务端组", "研发部"), "uid=lisi2", corp.unit_dn("研发部"))
    corp.delete(corp.unit_dn("服务端组", "研发部"))
    result = await sync(boss, org_id)
    assert counts(result) == {"moved": 1, "departments_deleted": 1}, result
    assert "服务端组" not in await departments(boss, org_id)


async def test_a_username_taken_by_another_account_is_not_linked(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    zhaoliu = await register(client, "zhaoliu", "Someone else")  # registered here, not in the directory
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    result = await sync(boss, org_id)
    assert result["added"] == 4 and result["error_count"] == 1
    assert [(e["code"], e["dn"]) for e in result["errors"]] == [
        ("USERNAME_TAKEN", corp.dn("zhaoliu", "市场部"))
    ]
    assert "zhaoliu" not in await members(boss, org_id)
    # The lakeside account keeps its own password; the directory's does not open it.
    assert (await login(client, "zhaoliu", PASSWORD)).json()["user"]["id"] == zhaoliu.id
    assert error_code(await login(client, "zhaoliu")) == "BAD_CREDENTIALS"


async def test_an_empty_answer_deactivates_nobody(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    await sync(boss, org_id)
    response = await boss.put(f"/api/v1/orgs/{org_id}/ldap", json={"user_filter": "(objectClass=nobodyHere)"})
    assert response.status_code == 200, response.text
    result = await sync(boss, org_id)
    assert not result["ok"] and result["error"]["code"] == "EMPTY_RESULT" and counts(result) == {}
    assert all(m["status"] == "active" for m in (await members(boss, org_id)).values())


async def test_the_scheduled_sync_runs_when_due(
    client: httpx.AsyncClient, app: Any, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp, sync_interval_minutes=60)
    services = app.state.services
    assert await services.ldap_sync.run_due() == []  # the first one waits an interval after the set-up
    async with services.ctx.transaction() as uow:
        await uow.conn.execute(update(ldap_directories).values(next_sync_at=0))
    assert await services.ldap_sync.run_due() == [org_id]
    assert await services.ldap_sync.run_due() == []  # next in an hour
    async with services.ctx.db.read() as conn:
        row = (
            await conn.execute(select(ldap_directories).where(ldap_directories.c.organization_id == org_id))
        ).one()
    assert row.next_sync_at >= row.last_sync_at + 3_600_000 - 1 and row.sync_claimed_until is None
    assert len(await members(boss, org_id)) == 6
    # A claimed directory (another node syncing it) is not run twice, nor synced on demand.
    async with services.ctx.transaction() as uow:
        await uow.conn.execute(
            update(ldap_directories).values(next_sync_at=0, sync_claimed_until=row.last_sync_at + 10**9)
        )
    assert await services.ldap_sync.run_due() == []
    busy = await boss.post(f"/api/v1/orgs/{org_id}/ldap/sync")
    assert busy.status_code == 409 and error_code(busy) == "LDAP_SYNC_RUNNING"


# -- log-in by bind ---------------------------------------------------------------------------------


async def test_log_in_by_bind(client: httpx.AsyncClient, slapd: Slapd, corp: Company) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    await sync(boss, org_id)
    response = await login(client, "zhangsan")
    assert response.status_code == 200, response.text
    zhang = Person(client, response.json()["token"], response.json()["user"])
    assert zhang.username == "zhangsan" and zhang.profile["display_name"] == "张三"

    wrong = await login(client, "zhangsan", "not-the-password")
    assert wrong.status_code == 401 and error_code(wrong) == "BAD_CREDENTIALS"
    assert error_code(await login(client, "zhangsan", "")) == "BAD_CREDENTIALS"  # no anonymous bind
    # The password is the directory's: changed there, it changes here; lakeside's is refused.
    changed = await zhang.post(
        "/api/v1/me/password", json={"current_password": LDAP_PASSWORD, "new_password": "another pass 42"}
    )
    assert changed.status_code == 403 and error_code(changed) == "PASSWORD_MANAGED_BY_DIRECTORY"
    corp.modify(corp.dn("zhangsan", "后端组", "研发部"), userPassword="new-ldap-pass-9")
    assert error_code(await login(client, "zhangsan")) == "BAD_CREDENTIALS"
    assert (await login(client, "zhangsan", "new-ldap-pass-9")).status_code == 200

    # The entry moved and renamed in the directory (before any sync): found by its stable id.
    corp.move(corp.dn("lisi", "后端组", "研发部"), "uid=lisi", corp.unit_dn("市场部"))
    assert (await login(client, "lisi")).status_code == 200

    # Disabled in the directory: the right password says so, a wrong one says nothing more.
    corp.modify(corp.dn("ceo"), userAccountControl="514")
    disabled = await login(client, "ceo")
    assert disabled.status_code == 403 and error_code(disabled) == "DIRECTORY_ACCOUNT_DISABLED"
    assert error_code(await login(client, "ceo", "guess")) == "BAD_CREDENTIALS"

    # Log-in by bind turned off: the directory's accounts have no lakeside password.
    response = await boss.put(f"/api/v1/orgs/{org_id}/ldap", json={"login_enabled": False})
    assert response.status_code == 200
    assert error_code(await login(client, "zhaoliu")) == "BAD_CREDENTIALS"


@pytest.mark.parametrize(
    "name", ["*", "zhang*", "*)(uid=*", "zhangsan)(|(uid=*", "zhangsan)(objectClass=*", "\\2a", "*\\00"]
)
async def test_ldap_injection_in_the_login_and_the_look_up(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company, name: str
) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    await sync(boss, org_id)
    assert error_code(await login(client, name)) == "BAD_CREDENTIALS"
    everyone = (await boss.post(f"/api/v1/orgs/{org_id}/ldap/test", json={})).json()
    assert everyone["ok"] and everyone["found"] == 5
    probe = await boss.post(f"/api/v1/orgs/{org_id}/ldap/test", json={"username": name})
    assert probe.status_code == 200, probe.text
    assert probe.json()["ok"] and probe.json()["found"] == 0 and probe.json()["person"] is None
    found = (await boss.post(f"/api/v1/orgs/{org_id}/ldap/test", json={"username": "zhangsan"})).json()
    assert found["person"]["name"] == "张三" and found["person"]["dn"] == corp.dn(
        "zhangsan", "后端组", "研发部"
    )


def test_filter_values_are_escaped() -> None:
    assert dl.escape("*)(uid=*\x00\\") == "\\2a\\29\\28uid=\\2a\\00\\5c"
    assert (
        dl.and_filter("(objectClass=person)", "uid", dl.escape("a*")) == "(&(objectClass=person)(uid=a\\2a))"
    )
    guid = "c1b2a3d4-e5f6-4789-8abc-def012345678"
    assert dl.id_filter_value("objectGUID", guid).startswith("\\d4\\a3\\b2\\c1")  # the GUID's bytes, escaped
    assert dl.id_filter_value("entryUUID", "*") == "\\2a"


async def test_the_rate_limits_still_apply(client: httpx.AsyncClient, slapd: Slapd, corp: Company) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    await sync(boss, org_id)
    for _ in range(5):
        assert error_code(await login(client, "lisi", "guess")) == "BAD_CREDENTIALS"
    limited = await login(client, "lisi")  # even the right password
    assert limited.status_code == 429 and error_code(limited) == "LOGIN_RATE_LIMITED"


async def test_an_unreachable_directory(client: httpx.AsyncClient, slapd: Slapd, corp: Company) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    await sync(boss, org_id)
    closed = f"ldap://127.0.0.1:{free_port()}"
    response = await boss.put(
        f"/api/v1/orgs/{org_id}/ldap", json={"url": closed, "bind_password": SERVICE_PASSWORD}
    )
    assert response.status_code == 200, response.text
    for _ in range(6):  # not counted as failed guesses: nothing was checked
        down = await login(client, "zhangsan")
        assert down.status_code == 503 and error_code(down) == "DIRECTORY_UNAVAILABLE"
        assert SERVICE_PASSWORD not in down.text and "127.0.0.1" not in down.text
    test = (await boss.post(f"/api/v1/orgs/{org_id}/ldap/test", json={})).json()
    assert not test["ok"] and test["error"]["code"] == "UNREACHABLE"
    result = await sync(boss, org_id)
    assert not result["ok"] and result["error"]["code"] == "UNREACHABLE" and counts(result) == {}
    assert all(m["status"] == "active" for m in (await members(boss, org_id)).values())
    # A wrong service password is named as such.
    response = await boss.put(
        f"/api/v1/orgs/{org_id}/ldap", json={"url": slapd.url, "bind_password": "wrong"}
    )
    test = (await boss.post(f"/api/v1/orgs/{org_id}/ldap/test", json={})).json()
    assert test["error"]["code"] == "SERVICE_BIND_FAILED"


# -- the set-up -------------------------------------------------------------------------------------


async def test_set_up_is_for_owners_and_admins_and_hides_the_password(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    staff = await register(client, "staffer", "职员")
    rival = await register(client, "rival", "别家老板")
    org = await make_company(boss, [staff])
    org_id = org["id"]
    base = f"/api/v1/orgs/{org_id}/ldap"
    empty = (await boss.get(base)).json()
    assert empty["configured"] is False and empty["attr_id"] == "entryUUID"
    response = await boss.put(base, json=directory_body(slapd, corp))
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["bind_password_set"] is True and "bind_password" not in view
    assert SERVICE_PASSWORD not in response.text and SERVICE_PASSWORD not in (await boss.get(base)).text

    # Another organization's admin: 404 as for any organization; a member: 403.
    await make_company(rival, [], name="别家公司")
    for call in (
        rival.get(base), rival.put(base, json={"login_enabled": False}), rival.delete(base),
        rival.post(f"{base}/test", json={}), rival.post(f"{base}/sync"),
    ):  # fmt: skip
        response = await call
        assert response.status_code == 404 and error_code(response) == "ORG_NOT_FOUND"
    for call in (staff.get(base), staff.put(base, json={}), staff.post(f"{base}/sync")):
        response = await call
        assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"
    assert (await boss.get(base)).json()["login_enabled"] is True

    for body, code in [
        ({"url": "http://example.com"}, "INVALID_LDAP_URL"),
        ({"url": "ldap://u:p@example.com"}, "INVALID_LDAP_URL"),
        ({"user_filter": "objectClass=person"}, "INVALID_LDAP_FILTER"),
        ({"user_filter": "(a=1))(|(b=2)"}, "INVALID_LDAP_FILTER"),
        ({"user_filter": "(&)"}, "INVALID_LDAP_FILTER"),
        ({"base_dn": "not a dn"}, "INVALID_LDAP_DN"),
        ({"attr_username": "uid)(x"}, "INVALID_LDAP_ATTRIBUTE"),
        ({"sync_interval_minutes": 1}, "INVALID_INTERVAL"),
        ({"url": "ldap://other.example"}, "LDAP_PASSWORD_REQUIRED"),  # the password stays with its server
    ]:
        response = await boss.put(base, json=body)
        assert response.status_code == 422 and error_code(response) == code, (body, response.text)
    assert (await boss.put(base, json={"bind_password": "\x00"})).status_code == 422

    # Active Directory's other names for the service account.
    for name in ("lakeside@corp.example", "CORP\\lakeside"):
        response = await boss.put(base, json={"bind_dn": name, "bind_password": "x"})
        assert response.status_code == 200 and response.json()["bind_dn"] == name, response.text
    assert (await boss.delete(base)).json() == {"ok": True}
    assert (await boss.get(base)).json()["configured"] is False
    assert error_code(await boss.post(f"{base}/sync")) == "LDAP_NOT_CONFIGURED"


async def test_a_private_host_needs_the_administrators_permission(
    client: httpx.AsyncClient, app: Any, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    settings = app.state.services.ctx.settings
    settings.egress_allow_private = False
    try:
        test = (await boss.post(f"/api/v1/orgs/{org_id}/ldap/test", json={})).json()
        assert test["error"]["code"] == "HOST_NOT_ALLOWED"
        settings.ldap_allowed_hosts = ["127.0.0.0/8"]
        assert (await boss.post(f"/api/v1/orgs/{org_id}/ldap/test", json={})).json()["found"] == 5
    finally:
        settings.egress_allow_private = True
        settings.ldap_allowed_hosts = []


async def test_links_are_by_stable_id(
    app: Any, client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp)
    await sync(boss, org_id)
    async with app.state.services.ctx.db.read() as conn:
        rows = list(await conn.execute(select(ldap_entries).where(ldap_entries.c.organization_id == org_id)))
    admin = corp.server.admin()
    admin.search(corp.base, "(objectClass=inetOrgPerson)", attributes=["entryUUID"])
    uuids = {entry.entry_dn: str(entry.entryUUID) for entry in admin.entries}
    admin.unbind()
    assert {row.dn: row.stable_id for row in rows} == uuids


def test_slapd_fixture_is_real(slapd: Slapd, tmp_path: Path) -> None:
    assert slapd.process.poll() is None and slapd.url.startswith("ldap://127.0.0.1:")


async def test_ldaps_and_starttls_verify_the_certificate(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    # ldaps:// with the company's CA: syncs, and logs in over TLS.
    org_id = await set_up(boss, slapd, corp, url=slapd.ldaps_url, tls_ca_cert=slapd.ca_pem)
    assert (await boss.get(f"/api/v1/orgs/{org_id}/ldap")).json()["tls_ca_cert_set"] is True
    assert counts(await sync(boss, org_id))["added"] == 5
    assert (await login(client, "zhangsan")).status_code == 200
    base = f"/api/v1/orgs/{org_id}/ldap"
    # StartTLS on the plain port, with the same CA.
    body = {"url": slapd.url, "start_tls": True, "bind_password": SERVICE_PASSWORD}
    assert (await boss.put(base, json=body)).status_code == 200
    answer = (await boss.post(f"{base}/test", json={})).json()
    assert answer["ok"] and answer["found"] == 5, answer
    assert (await login(client, "lisi")).status_code == 200
    # Without the CA the self-signed certificate is refused: no "accept anything" fallback.
    for url, start_tls in ((slapd.ldaps_url, False), (slapd.url, True)):
        body = {"url": url, "start_tls": start_tls, "tls_ca_cert": "", "bind_password": SERVICE_PASSWORD}
        assert (await boss.put(base, json=body)).status_code == 200
        answer = (await boss.post(f"{base}/test", json={})).json()
        assert not answer["ok"] and answer["error"]["code"] == "TLS_FAILED", answer
        down = await login(client, "zhangsan")
        assert down.status_code == 503 and error_code(down) == "DIRECTORY_UNAVAILABLE"
    assert (await boss.put(base, json={"tls_ca_cert": "not a certificate"})).status_code == 422


async def test_entries_without_the_stable_id_are_reported(
    client: httpx.AsyncClient, slapd: Slapd, corp: Company
) -> None:
    boss = await register(client, "boss", "老板娘")
    org_id = await set_up(boss, slapd, corp, attr_id="description")  # nobody has one
    result = await sync(boss, org_id)
    assert counts(result) == {} and result["seen"] == 0  # the units lack it too: no departments
    assert result["error_count"] == 5 and {e["code"] for e in result["errors"]} == {"NO_STABLE_ID"}
    assert set(await members(boss, org_id)) == {"boss"}
