"""The directory: the department tree (nest, rename, move, refuse cycles, delete only when empty),
department groups kept in step with who sits where, leaders, search by name, pinyin, initials,
employee number and department, member profiles (hidden phone), and external contacts."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from lakeside.demo.company import seed_company
from lakeside.domain.pinyin import DEPARTMENT_KEY, name_key, search_key
from lakeside.store import migrate
from lakeside.store.tables import org_members
from tests.conftest import Person, register
from tests.test_organizations import company, conversation_ids, error_code


async def department(admin: Person, org_id: int, name: str, parent_id: int | None = None) -> dict[str, Any]:
    response = await admin.post(
        f"/api/v1/orgs/{org_id}/departments", json={"name": name, "parent_id": parent_id}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def seat(admin: Person, org_id: int, department_id: int, person: Person, leader: bool = False) -> None:
    response = await admin.put(
        f"/api/v1/orgs/{org_id}/departments/{department_id}/members/{person.id}", json={"is_leader": leader}
    )
    assert response.status_code == 200, response.text


async def search(person: Person, org_id: int, **params: Any) -> list[int]:
    response = await person.get(f"/api/v1/orgs/{org_id}/members", params=params)
    assert response.status_code == 200, response.text
    return [m["user_id"] for m in response.json()["members"]]


async def test_department_tree(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    base = f"/api/v1/orgs/{org['id']}"
    rd = await department(zhangsan, org["id"], "研发中心")
    fe = await department(zhangsan, org["id"], "前端组", rd["id"])
    web = await department(zhangsan, org["id"], "Web", fe["id"])
    sales = await department(zhangsan, org["id"], "市场部")
    assert (rd["depth"], fe["depth"], web["depth"]) == (1, 2, 3)
    listed = (await lisi.get(f"{base}/departments")).json()
    assert [(d["name"], d["parent_id"]) for d in listed] == [
        ("研发中心", None), ("市场部", None), ("前端组", rd["id"]), ("Web", fe["id"])
    ]  # fmt: skip

    for body, status, code in [
        ({"name": "前端组", "parent_id": rd["id"]}, 409, "DEPARTMENT_EXISTS"),
        ({"name": "x", "parent_id": 10**12}, 404, "DEPARTMENT_NOT_FOUND"),
        ({"name": ""}, 422, "INVALID_NAME"),
    ]:
        response = await zhangsan.post(f"{base}/departments", json=body)
        assert response.status_code == status and error_code(response) == code, body
    response = await lisi.post(f"{base}/departments", json={"name": "私人部门"})
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"

    # Moving below itself is refused; moving a subtree carries its children along.
    response = await zhangsan.patch(f"{base}/departments/{rd['id']}", json={"parent_id": web["id"]})
    assert response.status_code == 422 and error_code(response) == "INVALID_MOVE"
    response = await zhangsan.patch(
        f"{base}/departments/{fe['id']}", json={"parent_id": sales["id"], "name": "增长组"}
    )
    assert response.status_code == 200, response.text
    tree = {d["id"]: d for d in (await lisi.get(f"{base}/departments")).json()}
    assert (tree[fe["id"]]["parent_id"], tree[fe["id"]]["depth"], tree[web["id"]]["depth"]) == (
        sales["id"],
        2,
        3,
    )
    response = await zhangsan.patch(f"{base}/departments/{fe['id']}", json={"parent_id": None})
    assert response.json()["depth"] == 1
    tree = {d["id"]: d for d in (await lisi.get(f"{base}/departments")).json()}
    assert tree[web["id"]]["depth"] == 2

    # The department group follows the name; deleting needs an empty department.
    await seat(zhangsan, org["id"], web["id"], lisi)
    group = (await lisi.get(f"/api/v1/conversations/{web['conversation_id']}")).json()
    assert (group["kind"], group["title"]) == ("department", "Web")
    response = await zhangsan.patch(f"{base}/departments/{web['id']}", json={"name": "Web 前端"})
    assert (await lisi.get(f"/api/v1/conversations/{web['conversation_id']}")).json()["title"] == "Web 前端"
    response = await zhangsan.delete(f"{base}/departments/{fe['id']}")
    assert response.status_code == 409 and error_code(response) == "DEPARTMENT_NOT_EMPTY"
    response = await zhangsan.delete(f"{base}/departments/{web['id']}")
    assert response.status_code == 409
    await zhangsan.delete(f"{base}/departments/{web['id']}/members/{lisi.id}")
    assert (await zhangsan.delete(f"{base}/departments/{web['id']}")).status_code == 200
    assert (await zhangsan.delete(f"{base}/departments/{fe['id']}")).status_code == 200
    assert [d["name"] for d in (await lisi.get(f"{base}/departments")).json()] == ["研发中心", "市场部"]


async def test_department_groups_follow_the_directory(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}"
    rd = await department(zhangsan, org["id"], "研发中心")
    sales = await department(zhangsan, org["id"], "市场部")
    await seat(zhangsan, org["id"], rd["id"], lisi, leader=True)
    await seat(zhangsan, org["id"], rd["id"], wangwu)
    assert rd["conversation_id"] in await conversation_ids(lisi)
    members = (await lisi.get(f"/api/v1/conversations/{rd['conversation_id']}/members")).json()
    assert {m["user"]["id"]: m["role"] for m in members} == {lisi.id: "admin", wangwu.id: "member"}
    listed = {d["id"]: d for d in (await lisi.get(f"{base}/departments")).json()}
    assert (listed[rd["id"]]["leader_ids"], listed[rd["id"]]["member_count"]) == ([lisi.id], 2)

    # A move is one call: out of 研发中心 (and its group), into 市场部 (and its group).
    response = await zhangsan.put(
        f"{base}/members/{wangwu.id}/departments", json={"department_ids": [sales["id"]]}
    )
    assert response.status_code == 200, response.text
    assert [(d["id"], d["is_leader"]) for d in response.json()["departments"]] == [(sales["id"], False)]
    mine = await conversation_ids(wangwu)
    assert sales["conversation_id"] in mine and rd["conversation_id"] not in mine
    history = (await lisi.get(f"/api/v1/conversations/{rd['conversation_id']}/messages")).json()["messages"]
    actions = [orjson.loads(m["body"])["action"] for m in history if m["kind"] == "system"]
    assert actions == ["group_created", "members_added", "members_added", "member_removed"]

    # Sitting in two departments, leading one; then leaving the organization leaves every group.
    response = await zhangsan.put(
        f"{base}/members/{wangwu.id}/departments",
        json={"department_ids": [sales["id"], rd["id"]], "leader_of": [sales["id"]]},
    )
    assert sorted((d["id"], d["is_leader"]) for d in response.json()["departments"]) == sorted(
        [(sales["id"], True), (rd["id"], False)]
    )
    response = await zhangsan.put(
        f"{base}/members/{wangwu.id}/departments", json={"department_ids": [], "leader_of": [rd["id"]]}
    )
    assert response.status_code == 422 and error_code(response) == "INVALID_LEADER"
    await wangwu.post(f"{base}/leave")
    mine = await conversation_ids(wangwu)
    assert not mine & {sales["conversation_id"], rd["conversation_id"], org["all_staff_conversation_id"]}
    listed = {d["id"]: d for d in (await lisi.get(f"{base}/departments")).json()}
    assert listed[sales["id"]]["member_count"] == 0
    response = await zhangsan.put(f"{base}/departments/{rd['id']}/members/{wangwu.id}", json={})
    assert response.status_code == 404 and error_code(response) == "MEMBER_NOT_FOUND"


async def test_search_by_name_pinyin_initials_and_department(people: dict[str, Person]) -> None:
    admin, zhangsan, lisi, wangwu, alice, bob = (
        people[n] for n in ("admin", "zhangsan", "lisi", "wangwu", "alice", "bob")
    )
    org = await company(admin, [zhangsan, lisi, wangwu, alice, bob])
    org_id = org["id"]
    rd = await department(admin, org_id, "研发中心")
    fe = await department(admin, org_id, "前端组", rd["id"])
    await seat(admin, org_id, fe["id"], zhangsan)
    await seat(admin, org_id, rd["id"], lisi)
    response = await admin.patch(f"/api/v1/orgs/{org_id}/members/{wangwu.id}", json={"employee_no": "HP-007"})
    assert response.status_code == 200, response.text

    for query, expected in [
        ("zs", [zhangsan.id]),
        ("张三", [zhangsan.id]),
        ("zhangsan", [zhangsan.id]),
        ("ZhangSan", [zhangsan.id]),
        ("李", [lisi.id]),
        ("ls", [lisi.id]),
        ("hp-007", [wangwu.id]),
        ("alice", [alice.id]),
        ("ac", [alice.id]),
        ("研发", [lisi.id]),  # by the name of a department one sits in
        ("qdz", [zhangsan.id]),  # department initials
        ("%", []),
        ("_", []),
    ]:
        assert await search(bob, org_id, q=query) == expected, query
    assert sorted(await search(bob, org_id, department_id=rd["id"])) == sorted([zhangsan.id, lisi.id])
    assert await search(bob, org_id, department_id=fe["id"]) == [zhangsan.id]
    assert await search(bob, org_id, q="ls", department_id=fe["id"]) == []

    everyone = await search(bob, org_id)
    assert len(everyone) == 6
    page = (await bob.get(f"/api/v1/orgs/{org_id}/members", params={"limit": 4})).json()
    rest = (await bob.get(f"/api/v1/orgs/{org_id}/members", params={"after": page["next_after"]})).json()
    assert [m["user_id"] for m in page["members"] + rest["members"]] == everyone
    assert rest["next_after"] is None


async def test_profiles_and_hidden_phone(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}"
    response = await zhangsan.patch(
        f"{base}/members/{lisi.id}",
        json={
            "title": "前端工程师",
            "employee_no": "E001",
            "work_phone": "+86 10 5555 0101",
            "name": "李四（前端）",
        },
    )
    assert response.status_code == 200, response.text
    profile = response.json()
    assert (profile["title"], profile["employee_no"], profile["work_phone"], profile["name"]) == (
        "前端工程师", "E001", "+861055550101", "李四（前端）"
    )  # fmt: skip
    assert await search(wangwu, org["id"], q="lsqd") == [lisi.id]

    response = await lisi.patch(f"{base}/members/{lisi.id}", json={"hide_phone": True})
    assert response.status_code == 200 and response.json()["hide_phone"] is True
    assert (await wangwu.get(f"{base}/members/{lisi.id}")).json()["work_phone"] is None
    assert (await lisi.get(f"{base}/members/{lisi.id}")).json()["work_phone"] == "+861055550101"
    assert (await zhangsan.get(f"{base}/members/{lisi.id}")).json()["work_phone"] == "+861055550101"

    response = await lisi.patch(f"{base}/members/{lisi.id}", json={"title": "CTO"})
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"
    response = await wangwu.patch(f"{base}/members/{lisi.id}", json={"hide_phone": False})
    assert response.status_code == 403
    response = await zhangsan.patch(f"{base}/members/{wangwu.id}", json={"employee_no": "E001"})
    assert response.status_code == 409 and error_code(response) == "EMPLOYEE_NO_TAKEN"
    response = await zhangsan.patch(f"{base}/members/{wangwu.id}", json={"work_phone": "call me"})
    assert response.status_code == 422 and error_code(response) == "INVALID_PHONE"
    response = await zhangsan.get(f"{base}/members/{10**12}")
    assert response.status_code == 404 and error_code(response) == "MEMBER_NOT_FOUND"


async def test_external_contacts(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    base = f"/api/v1/orgs/{org['id']}/contacts"
    created = []
    for body in (
        {"name": "周总", "company": "阿里云", "phone": "+8613900000001", "tags": ["客户", "VIP"]},
        {"name": "Grace Hopper", "company": "Navy Labs", "email": "grace@example.com", "tags": ["partner"]},
        {"name": "吴经理", "company": "淘宝", "tags": ["客户"], "note": "季度回访"},
    ):
        response = await zhangsan.post(base, json=body)
        assert response.status_code == 201, response.text
        created.append(response.json())
    assert created[0]["tags"] == ["客户", "VIP"]
    response = await lisi.post(base, json={"name": "x"})
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"

    async def names(**params: Any) -> list[str]:
        response = await lisi.get(base, params=params)
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["contacts"]]

    assert await names() == ["周总", "Grace Hopper", "吴经理"]
    assert await names(tag="客户") == ["周总", "吴经理"]
    assert await names(q="zz") == ["周总"]
    assert await names(q="阿里") == ["周总"]
    assert await names(q="grace") == ["Grace Hopper"]
    assert await names(q="wjl", tag="客户") == ["吴经理"]

    response = await zhangsan.patch(
        f"{base}/{created[1]['id']}", json={"tags": ["partner", "美国"], "company": None}
    )
    assert response.status_code == 200 and response.json()["tags"] == ["partner", "美国"]
    assert response.json()["company"] == ""
    assert await names(tag="美国") == ["Grace Hopper"]
    response = await zhangsan.patch(f"{base}/{created[1]['id']}", json={"tags": ["a|b"]})
    assert response.status_code == 422 and error_code(response) == "INVALID_TAG"
    response = await zhangsan.post(base, json={"name": "x", "email": "nope"})
    assert response.status_code == 422 and error_code(response) == "INVALID_EMAIL"
    assert (await lisi.get(f"{base}/{created[2]['id']}")).json()["note"] == "季度回访"
    assert (await zhangsan.delete(f"{base}/{created[2]['id']}")).status_code == 200
    response = await lisi.get(f"{base}/{created[2]['id']}")
    assert response.status_code == 404 and error_code(response) == "CONTACT_NOT_FOUND"


async def test_demo_company(app: FastAPI, people: dict[str, Person]) -> None:
    """The demo's company: about sixty people in six departments on three levels, with groups."""
    admin = people["admin"]
    others = [people[n].id for n in ("zhangsan", "lisi", "wangwu", "alice", "bob")]
    summary = await seed_company(app.state.services, admin.id, others)
    assert summary.startswith("Seeded the company 湖畔科技: 60 members in 6 departments")
    org = (await admin.get("/api/v1/orgs")).json()[0]
    assert (org["name"], org["member_count"], org["my_role"], org["unread_announcements"]) == (
        "湖畔科技",
        60,
        "owner",
        0,
    )
    tree = (await admin.get(f"/api/v1/orgs/{org['id']}/departments")).json()
    assert len(tree) == 6 and max(d["depth"] for d in tree) == 3
    assert all(len(d["leader_ids"]) == 1 and d["conversation_id"] for d in tree)
    assert sum(d["member_count"] for d in tree) == 59
    zhangsan = people["zhangsan"]
    assert (await zhangsan.get("/api/v1/orgs")).json()[0]["pending_dings"] == 1
    assert len(await search(zhangsan, org["id"], limit=200)) == 60
    assert len((await zhangsan.get(f"/api/v1/orgs/{org['id']}/contacts")).json()["contacts"]) == 5


@pytest.mark.parametrize(
    ("name", "finds", "misses"),
    [
        ("单磊", ["sl", "shanlei", "dl", "danlei", "单磊"], ["zl"]),
        ("曾丽", ["zl", "zengli", "cl", "cengli"], ["sl"]),
        ("仇英", ["qy", "qiuying", "cy"], []),
        ("解缙", ["xj", "xiejin", "jj"], []),
        ("区志明", ["ozm", "ouzhiming", "qzm"], []),
        ("朴树", ["ps", "piaoshu"], []),
        ("查良镛", ["zly", "zhaliangyong", "cly"], []),
        ("盖聂", ["gn", "genie", "gainie"], []),
        ("尉迟恭", ["ycg", "yuchigong", "wcg"], []),
        ("乐嘉", ["yj", "yuejia", "lj"], []),
        ("张三", ["zs", "zhangsan"], ["ss"]),
        ("Alice Chen", ["ac", "alicechen", "alice chen"], []),
    ],
)
def test_a_name_key_holds_the_surname_reading_and_the_other_readings(
    name: str, finds: list[str], misses: list[str]
) -> None:
    key = name_key(name)
    for query in finds:
        assert query in key, (name, query, key)
    for query in misses:
        assert query not in key, (name, query, key)
    # The surname's reading comes first: it is the key's main spelling.
    assert key.split()[1] == finds[1] or name.isascii()


def test_search_keys_fit_their_columns() -> None:
    name = "长长长长长长长长长长长长"
    assert len(search_key(name, limit=DEPARTMENT_KEY)) <= 250
    key = search_key(name, "changchang", "E-001")
    assert len(key) <= 500 and "changchang" in key and "e-001" in key  # other readings go first


async def test_polyphonic_surnames_are_found_by_either_reading(people: dict[str, Person]) -> None:
    admin, bob = people["admin"], people["bob"]
    shan = await register(admin.http, "shanlei", "单磊")
    zeng = await register(admin.http, "zengli", "曾丽")
    org = await company(admin, [bob, shan, zeng])
    for query, expected in [
        ("sl", [shan.id]),
        ("dl", [shan.id]),
        ("zl", [zeng.id]),
        ("cl", [shan.id, zeng.id]),  # 曾 ceng, and 单 chan (单于)
        ("shanl", [shan.id]),
    ]:
        assert sorted(await search(bob, org["id"], q=query)) == expected, query
    response = await admin.post(f"/api/v1/orgs/{org['id']}/departments", json={"name": "单县办事处"})
    assert response.status_code == 201, response.text
    seated = await admin.put(
        f"/api/v1/orgs/{org['id']}/departments/{response.json()['id']}/members/{bob.id}", json={}
    )
    assert seated.status_code == 200, seated.text
    assert await search(admin, org["id"], q="sxbsc") == [bob.id]


async def test_the_migration_recomputes_stored_keys(app: FastAPI, people: dict[str, Person]) -> None:
    admin, bob = people["admin"], people["bob"]
    shan = await register(admin.http, "shanlei", "单磊")
    org = await company(admin, [bob, shan])
    db = app.state.services.ctx.db
    # A key as the old rules stored it: only the most common reading.
    async with db.transaction() as conn:
        await conn.execute(
            update(org_members)
            .where(org_members.c.user_id == shan.id)
            .values(search_key="单磊 danlei dl shanlei")
        )
    assert await search(bob, org["id"], q="sl") == []

    def downgrade(sync_conn: Any) -> None:
        from alembic import command

        command.downgrade(migrate.alembic_config(sync_conn), "0008")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()
    assert await search(bob, org["id"], q="sl") == [shan.id]
    async with db.read() as conn:
        key = await conn.scalar(select(org_members.c.search_key).where(org_members.c.user_id == shan.id))
    assert key == search_key("单磊", "shanlei", None)
