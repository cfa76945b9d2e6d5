"""Announcements (公告): publish to everyone or to departments (and everything below them), pinned
first, unread badges, mark read, the author's read count and list of who has not read, publish
as a DING, edit and delete by admins."""

from __future__ import annotations

from typing import Any

from tests.conftest import Person
from tests.test_directory import department, seat
from tests.test_organizations import company, error_code


async def publish(admin: Person, org_id: int, **fields: Any) -> dict[str, Any]:
    body = {"title": "国庆放假通知", "body": "10月1日至7日放假，8日上班。", **fields}
    response = await admin.post(f"/api/v1/orgs/{org_id}/announcements", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def listed(person: Person, org_id: int, **params: Any) -> tuple[list[int], int]:
    response = await person.get(f"/api/v1/orgs/{org_id}/announcements", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [a["id"] for a in body["announcements"]], body["unread"]


async def test_whole_organization_reads_and_badges(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    org = await company(zhangsan, [lisi, wangwu, alice])
    base = f"/api/v1/orgs/{org['id']}/announcements"
    first = await publish(zhangsan, org["id"])
    assert (first["audience"], first["department_ids"], first["read_at"] is not None) == ("all", [], True)
    pinned = await publish(zhangsan, org["id"], title="安全守则", pinned=True)
    third = await publish(zhangsan, org["id"], title="团建")
    assert await listed(lisi, org["id"]) == ([pinned["id"], third["id"], first["id"]], 3)
    assert await listed(zhangsan, org["id"]) == ([pinned["id"], third["id"], first["id"]], 0)
    assert (await lisi.get("/api/v1/orgs")).json()[0]["unread_announcements"] == 3

    response = await lisi.post(f"{base}/{first['id']}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    read_at = response.json()["read_at"]
    assert (await lisi.post(f"{base}/{first['id']}/read")).json()["read_at"] == read_at
    await wangwu.post(f"{base}/{first['id']}/read")
    assert (await listed(lisi, org["id"]))[1] == 2

    readers = (await zhangsan.get(f"{base}/{first['id']}/readers")).json()
    assert (readers["audience_count"], readers["read_count"]) == (4, 3)
    assert [r["user_id"] for r in readers["unread"]] == [alice.id]
    assert sorted(r["user_id"] for r in readers["read"]) == sorted([zhangsan.id, lisi.id, wangwu.id])
    response = await lisi.get(f"{base}/{first['id']}/readers")
    assert response.status_code == 403 and error_code(response) == "NOT_ANNOUNCEMENT_AUTHOR"

    response = await lisi.post(base, json={"title": "x", "body": "y"})
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"
    for body, code in [
        ({"title": "", "body": "y"}, "INVALID_NAME"),
        ({"title": "x", "body": "   "}, "EMPTY_MESSAGE"),
        ({"title": "x", "body": "y", "department_ids": [10**12]}, "DEPARTMENT_NOT_FOUND"),
    ]:
        response = await zhangsan.post(base, json=body)
        assert response.status_code in (404, 422), body
        if code != "EMPTY_MESSAGE":
            assert error_code(response) == code, body

    response = await zhangsan.patch(f"{base}/{third['id']}", json={"pinned": True, "title": "团建（改期）"})
    assert (response.json()["pinned"], response.json()["title"]) == (True, "团建（改期）")
    assert (await lisi.patch(f"{base}/{third['id']}", json={"pinned": False})).status_code == 403
    assert (await zhangsan.delete(f"{base}/{pinned['id']}")).status_code == 200
    assert (await lisi.get(f"{base}/{pinned['id']}")).status_code == 404
    assert await listed(lisi, org["id"]) == ([third["id"], first["id"]], 1)


async def test_department_announcements_and_as_ding(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    org = await company(zhangsan, [lisi, wangwu, alice])
    base = f"/api/v1/orgs/{org['id']}/announcements"
    rd = await department(zhangsan, org["id"], "研发中心")
    fe = await department(zhangsan, org["id"], "前端组", rd["id"])
    sales = await department(zhangsan, org["id"], "市场部")
    await seat(zhangsan, org["id"], rd["id"], lisi)
    await seat(zhangsan, org["id"], fe["id"], wangwu)
    await seat(zhangsan, org["id"], sales["id"], alice)

    notice = await publish(zhangsan, org["id"], title="代码冻结", department_ids=[rd["id"]], as_ding=True)
    assert (notice["audience"], notice["department_ids"]) == ("departments", [rd["id"]])
    assert (await listed(lisi, org["id"]))[0] == [notice["id"]]
    assert (await listed(wangwu, org["id"]))[0] == [notice["id"]]  # 前端组 sits below 研发中心
    assert await listed(alice, org["id"]) == ([], 0)
    response = await alice.get(f"{base}/{notice['id']}")
    assert response.status_code == 404 and error_code(response) == "ANNOUNCEMENT_NOT_FOUND"
    assert (await alice.post(f"{base}/{notice['id']}/read")).status_code == 404
    assert (await listed(zhangsan, org["id"], all=True))[0] == [notice["id"]]
    assert (await lisi.get(base, params={"all": True})).status_code == 403

    # As a DING: everyone in the audience but the author must confirm it.
    assert notice["ding_id"] is not None
    for person, expected in ((lisi, [notice["ding_id"]]), (wangwu, [notice["ding_id"]]), (alice, [])):
        response = await person.get(f"/api/v1/orgs/{org['id']}/dings/pending")
        assert [d["id"] for d in response.json()] == expected
    ding = (await lisi.get(f"/api/v1/orgs/{org['id']}/dings/{notice['ding_id']}")).json()
    assert ding["announcement_id"] == notice["id"] and "代码冻结" in ding["body"]

    # The audience is the directory as it is now: a newcomer to 研发中心 sees it, unread.
    await seat(zhangsan, org["id"], rd["id"], alice)
    assert await listed(alice, org["id"]) == ([notice["id"]], 1)
    readers = (await zhangsan.get(f"{base}/{notice['id']}/readers")).json()
    assert [r["user_id"] for r in readers["unread"]] == sorted([lisi.id, wangwu.id, alice.id])
    assert readers["read_count"] == 0  # the author is not in 研发中心
