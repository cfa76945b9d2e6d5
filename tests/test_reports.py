"""Daily reports (日志): the built-in 日报/周报/月报 and admins' own templates (with versions), writing
and sending to people and groups, drafts, the received and sent lists, read status, comments
with @mentions, a leader's view of who has not written, reminders (by hand and by rule), files,
and the edges: other organizations, non-receivers and departed members get 404; empty, oversized,
NUL and lone-surrogate input is refused."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI

from lakeside.domain import clock
from lakeside.domain import reports as rules
from tests.conftest import Person
from tests.test_conversations import png
from tests.test_directory import department, seat
from tests.test_files import uploaded
from tests.test_group_tools import group
from tests.test_organizations import company, error_code
from tests.test_work_notices import notice_conversation


def base(org_id: int) -> str:
    return f"/api/v1/orgs/{org_id}"


async def templates(person: Person, org_id: int) -> dict[str, dict[str, Any]]:
    response = await person.get(f"{base(org_id)}/report-templates")
    assert response.status_code == 200, response.text
    return {t["builtin"] or t["name"]: t for t in response.json()["templates"]}


async def write(person: Person, org_id: int, **fields: Any) -> dict[str, Any]:
    response = await person.post(f"{base(org_id)}/reports", json=fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def box(person: Person, org_id: int, **params: Any) -> tuple[list[int], int]:
    response = await person.get(f"{base(org_id)}/reports", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [r["id"] for r in body["reports"]], body["unread"]


async def notices(person: Person) -> list[str]:
    conversation = await notice_conversation(person)
    response = await person.get(f"/api/v1/conversations/{conversation['id']}/messages", params={"limit": 50})
    return [m["body"] for m in response.json()["messages"]]


async def test_a_daily_report_is_sent_read_and_commented(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = people["zhangsan"], people["lisi"], people["wangwu"], people["mallory"]
    org = await company(zhangsan, [lisi, wangwu])
    other = await company(mallory, [], name="别家公司")
    daily = (await templates(lisi, org["id"]))["daily"]
    assert [f["key"] for f in daily["fields"]] == ["done", "undone", "coordinate", "remark", "files"]
    assert (daily["name"], daily["period"], daily["version"]) == ("日报", "day", 1)

    answers = {"done": "完成登录页改版", "undone": "接口联调", "coordinate": "需要设计稿"}
    report = await write(
        lisi, org["id"], template_id=daily["id"], date="2026-12-08", answers=answers, user_ids=[zhangsan.id]
    )
    assert (report["status"], report["date"], report["receiver_count"], report["read_count"]) == (
        "sent",
        "2026-12-08",
        1,
        0,
    )
    url = f"{base(org['id'])}/reports/{report['id']}"
    assert await box(zhangsan, org["id"]) == ([report["id"]], 1)
    assert await box(zhangsan, org["id"], unread=True, template_id=daily["id"], sender_id=lisi.id) == (
        [report["id"]],
        1,
    )
    assert (await box(zhangsan, org["id"], since="2026-12-09"))[0] == []
    assert (await box(lisi, org["id"], box="sent"))[0] == [report["id"]]
    assert any("lisi" in body or "日报" in body for body in await notices(zhangsan))

    readers = (await lisi.get(f"{url}/readers")).json()
    assert [(r["user_id"], r["read_at"]) for r in readers["receivers"]] == [(zhangsan.id, None)]
    opened = (await zhangsan.post(f"{url}/read")).json()
    assert opened["read_at"] is not None and opened["answers"]["done"] == "完成登录页改版"
    assert (await zhangsan.post(f"{url}/read")).json()["read_at"] == opened["read_at"]
    readers = (await lisi.get(f"{url}/readers")).json()
    assert (readers["read_count"], readers["receivers"][0]["read_at"]) == (1, opened["read_at"])
    assert await box(zhangsan, org["id"], unread=True) == ([], 0)
    response = await zhangsan.get(f"{url}/readers")
    assert response.status_code == 403 and error_code(response) == "NOT_REPORT_AUTHOR"

    comment = await zhangsan.post(
        f"{url}/comments", json={"body": "@李四 设计稿明天给你", "mention_ids": [lisi.id]}
    )
    assert comment.status_code == 201 and comment.json()["mention_ids"] == [lisi.id]
    reply = await lisi.post(f"{url}/comments", json={"body": "好的", "mention_ids": [wangwu.id]})
    assert reply.json()["mention_ids"] == []  # wangwu cannot read it, so is not mentioned
    listed = (await lisi.get(f"{url}/comments")).json()["comments"]
    assert [c["body"] for c in listed] == ["@李四 设计稿明天给你", "好的"]

    # A sent report is not edited, only commented on.
    response = await lisi.patch(url, json={"answers": {"done": "改"}})
    assert response.status_code == 409 and error_code(response) == "REPORT_ALREADY_SENT"
    assert (await lisi.delete(url)).status_code == 409

    # Non-receivers, other organizations and departed members see nothing.
    for person, path in [
        (wangwu, url),
        (wangwu, f"{url}/comments"),
        (mallory, url),
        (mallory, f"{base(other['id'])}/reports/{report['id']}"),
    ]:
        response = await person.get(path)
        assert response.status_code == 404, (person.username, path, response.text)
    assert (await wangwu.post(f"{url}/comments", json={"body": "hi"})).status_code == 404
    assert (await wangwu.post(f"{url}/read")).status_code == 404
    assert (await zhangsan.post(f"{base(org['id'])}/leave")).status_code in (200, 409)
    await lisi.post(f"{base(org['id'])}/leave")
    assert (await lisi.get(url)).status_code == 404


async def test_drafts_groups_and_required_fields(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    weekly = (await templates(lisi, org["id"]))["weekly"]
    cid = await group(lisi, wangwu, zhangsan, title="前端组")

    draft = await write(
        lisi,
        org["id"],
        template_id=weekly["id"],
        date="2026-12-10",
        answers={},
        conversation_ids=[cid],
        send=False,
    )
    assert (draft["status"], draft["date"], draft["conversation_ids"]) == ("draft", "2026-12-07", [cid])
    url = f"{base(org['id'])}/reports/{draft['id']}"
    assert (await box(lisi, org["id"], box="drafts"))[0] == [draft["id"]]
    assert (await wangwu.get(url)).status_code == 404  # a draft is its author's alone
    response = await lisi.post(f"{url}/send")
    assert response.status_code == 422 and error_code(response) == "FIELD_REQUIRED"
    patched = await lisi.patch(url, json={"answers": {"week_done": "发布 2.0", "next_plan": "3.0 设计"}})
    assert patched.status_code == 200 and patched.json()["answers"]["week_done"] == "发布 2.0"
    sent = await lisi.post(f"{url}/send")
    assert sent.status_code == 200, sent.text
    assert (sent.json()["status"], sent.json()["receiver_count"]) == ("sent", 2)
    assert (await wangwu.get(url)).status_code == 200
    assert (await box(lisi, org["id"], box="drafts"))[0] == []

    messages = (await wangwu.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 10})).json()[
        "messages"
    ]
    card = [m for m in messages if m["kind"] == "card"]
    assert card and card[-1]["sender_id"] == lisi.id and f"/#/reports/{draft['id']}" in str(card[-1])

    # Deleting a draft; a group one is not in; nobody to send to.
    other = await write(lisi, org["id"], template_id=weekly["id"], answers={}, send=False)
    assert (await lisi.post(f"{base(org['id'])}/reports/{other['id']}/send")).status_code == 422
    assert (await lisi.delete(f"{base(org['id'])}/reports/{other['id']}")).status_code == 200
    lonely = await group(zhangsan, wangwu, title="别的组")
    response = await lisi.post(
        f"{base(org['id'])}/reports",
        json={"template_id": weekly["id"], "answers": {"week_done": "x"}, "conversation_ids": [lonely]},
    )
    assert response.status_code == 404 and error_code(response) == "CONVERSATION_NOT_FOUND"


async def test_custom_templates_keep_their_versions(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    fields = [
        {"key": "visits", "label": "拜访客户数", "type": "number", "required": True},
        {"key": "summary", "label": "拜访总结", "type": "textarea", "required": True},
        {"key": "next", "label": "下次拜访", "type": "date"},
        {"key": "client", "label": "客户名称", "type": "text"},
        {"key": "photos", "label": "现场照片", "type": "image"},
    ]
    body = {"name": "销售日报", "period": "day", "fields": fields}
    response = await lisi.post(f"{base(org['id'])}/report-templates", json=body)
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"
    made = (await zhangsan.post(f"{base(org['id'])}/report-templates", json=body)).json()
    assert made["version"] == 1 and "销售日报" in await templates(lisi, org["id"])

    photo = await uploaded(lisi, png(), "现场.png")
    answers = {
        "visits": 3,
        "summary": "三家都有意向",
        "next": "2026-12-15",
        "client": "湖畔",
        "photos": [photo["id"]],
    }
    report = await write(lisi, org["id"], template_id=made["id"], answers=answers, user_ids=[zhangsan.id])
    assert report["answers"]["photos"] == [photo["id"]]
    assert (await zhangsan.get(f"/api/v1/files/{photo['id']}")).status_code == 200
    assert (await people["wangwu"].get(f"/api/v1/files/{photo['id']}")).status_code == 404

    changed = await zhangsan.patch(
        f"{base(org['id'])}/report-templates/{made['id']}", json={"fields": fields[:2]}
    )
    assert changed.json()["version"] == 2 and len(changed.json()["fields"]) == 2
    kept = (await lisi.get(f"{base(org['id'])}/reports/{report['id']}")).json()
    assert (kept["template_version"], len(kept["fields"])) == (1, 5)

    for bad, code in [
        ({"visits": "三"}, "INVALID_ANSWER"),
        ({"visits": 1e300, "summary": "x"}, "INVALID_ANSWER"),
        ({"summary": "x"}, "FIELD_REQUIRED"),
        ({"visits": 1, "summary": "x", "nope": "y"}, "UNKNOWN_FIELD"),
    ]:
        response = await lisi.post(
            f"{base(org['id'])}/reports",
            json={"template_id": made["id"], "answers": bad, "user_ids": [zhangsan.id]},
        )
        assert response.status_code == 422 and error_code(response) == code, (bad, response.text)
    archived = await zhangsan.patch(
        f"{base(org['id'])}/report-templates/{made['id']}", json={"archived": True}
    )
    assert archived.json()["archived"] is True
    response = await lisi.post(
        f"{base(org['id'])}/reports", json={"template_id": made["id"], "answers": {}, "send": False}
    )
    assert response.status_code == 409 and error_code(response) == "TEMPLATE_ARCHIVED"


async def test_a_leader_sees_who_has_not_written_and_reminds(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    org = await company(zhangsan, [lisi, wangwu, alice])
    rd = await department(zhangsan, org["id"], "研发部")
    web = await department(zhangsan, org["id"], "前端组", rd["id"])
    await seat(zhangsan, org["id"], rd["id"], zhangsan, leader=True)
    await seat(zhangsan, org["id"], web["id"], lisi)
    await seat(zhangsan, org["id"], web["id"], wangwu)
    daily = (await templates(lisi, org["id"]))["daily"]
    report = await write(
        lisi,
        org["id"],
        template_id=daily["id"],
        date="2026-12-08",
        answers={"done": "x"},
        user_ids=[zhangsan.id],
    )
    params = {"template_id": daily["id"], "date": "2026-12-08"}
    team = (await zhangsan.get(f"{base(org['id'])}/reports/team", params=params)).json()
    assert [(p["user_id"], p["report_id"]) for p in team["submitted"]] == [(lisi.id, report["id"])]
    assert [p["user_id"] for p in team["missing"]] == [wangwu.id]  # alice is in no department of his
    response = await lisi.get(f"{base(org['id'])}/reports/team", params=params)
    assert response.status_code == 403 and error_code(response) == "NOT_A_LEADER"
    reminded = await zhangsan.post(f"{base(org['id'])}/reports/team/remind", json=params)
    assert reminded.json()["user_ids"] == [wangwu.id]
    assert len(await notices(wangwu)) == 1
    await zhangsan.post(f"{base(org['id'])}/reports/team/remind", json=params)
    assert len(await notices(wangwu)) == 1  # once per period
    response = await zhangsan.post(
        f"{base(org['id'])}/reports/team/remind", json={**params, "user_ids": [alice.id]}
    )
    assert response.status_code == 404

    # The rule: 18:00 on workdays in the organization's zone, once per person per day.
    rule = {"enabled": True, "hour": 18, "minute": 0, "weekdays": [1, 2, 3, 4, 5]}
    response = await lisi.put(f"{base(org['id'])}/report-templates/{daily['id']}/reminder", json=rule)
    assert response.status_code == 403
    saved = (
        await zhangsan.put(f"{base(org['id'])}/report-templates/{daily['id']}/reminder", json=rule)
    ).json()
    assert (saved["timezone"], saved["weekdays"]) == ("Asia/Shanghai", [1, 2, 3, 4, 5])
    services = app.state.services
    tuesday = date(2026, 12, 8)
    assert await services.reports.reminders.remind_due(clock.at_local(tuesday, 17, 59, "Asia/Shanghai")) == 0
    at = clock.at_local(tuesday, 18, 1, "Asia/Shanghai")
    assert await services.reports.reminders.remind_due(at) == 3  # all but lisi, who wrote
    assert await services.reports.reminders.remind_due(at + 60_000) == 0
    saturday = date(2026, 12, 12)
    assert await services.reports.reminders.remind_due(clock.at_local(saturday, 18, 1, "Asia/Shanghai")) == 0
    for bad in [{**rule, "hour": 24}, {**rule, "weekdays": [8]}, {**rule, "timezone": "Mars/Base"}]:
        response = await zhangsan.put(f"{base(org['id'])}/report-templates/{daily['id']}/reminder", json=bad)
        assert response.status_code == 422, bad


async def test_bad_input_is_refused(people: dict[str, Person]) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    org = await company(zhangsan, [lisi])
    other = await company(mallory, [], name="别家公司")
    daily = (await templates(lisi, org["id"]))["daily"]
    theirs = (await templates(mallory, other["id"]))["daily"]
    url = f"{base(org['id'])}/reports"
    cases: list[dict[str, Any]] = [
        {"template_id": daily["id"], "answers": {"done": "   "}, "user_ids": [zhangsan.id]},
        {"template_id": daily["id"], "answers": {"done": "x" * 30_000}, "user_ids": [zhangsan.id]},
        {"template_id": daily["id"], "answers": {"done": "a\x00b"}, "user_ids": [zhangsan.id]},
        {"template_id": daily["id"], "answers": {"done": "a\ud800b"}, "user_ids": [zhangsan.id]},
        {"template_id": daily["id"], "answers": {"done": "x"}, "user_ids": [mallory.id]},
        {"template_id": daily["id"], "answers": {"done": "x"}, "user_ids": [2**63]},
        {"template_id": theirs["id"], "answers": {"done": "x"}, "user_ids": [zhangsan.id]},
        {
            "template_id": daily["id"],
            "date": "2026-02-30",
            "answers": {"done": "x"},
            "user_ids": [zhangsan.id],
        },
        {"template_id": daily["id"], "answers": {"files": ["nope"]}, "user_ids": [zhangsan.id]},
        {"template_id": daily["id"], "answers": {"done": "x"}, "user_ids": list(range(1, 300))},
    ]
    for body in cases:
        response = await lisi.post(url, content=_json(body))
        assert response.status_code in (404, 422), (body, response.status_code, response.text)
        assert "error" in response.json()
    assert (await box(zhangsan, org["id"]))[0] == []
    response = await zhangsan.post(
        f"{base(org['id'])}/report-templates", json={"name": "空", "period": "day", "fields": []}
    )
    assert response.status_code == 422 and error_code(response) == "INVALID_TEMPLATE"
    response = await zhangsan.post(
        f"{base(org['id'])}/report-templates",
        json={"name": "x", "period": "day", "fields": [{"key": "a", "label": "a", "type": "text"}] * 2},
    )
    assert response.status_code == 422
    assert (await lisi.get(url, params={"since": "2026-13-01"})).status_code == 422
    assert (await lisi.get(f"{url}/{2**63}")).status_code == 422
    assert (await lisi.get(f"{url}/{2**62}")).status_code == 404
    assert (await mallory.get(f"{base(org['id'])}/report-templates")).status_code == 404


def _json(body: dict[str, Any]) -> bytes:
    import json

    return json.dumps(body, ensure_ascii=True).encode()


def test_a_report_is_filed_under_its_period() -> None:
    day = date(2026, 12, 10)  # a Thursday
    assert rules.period_start("day", day) == day
    assert rules.period_start("week", day) == date(2026, 12, 7)
    assert rules.period_start("month", day) == date(2026, 12, 1)
    assert rules.period_start("week", date(2027, 1, 1)) == date(2026, 12, 28)  # across the year
    summary = rules.summary(rules.BUILTINS["daily"]["fields"], {"done": "x" * 300, "remark": "备注"})
    assert [label for label, _ in summary] == ["今日完成工作", "备注"] and len(summary[0][1]) == 120


async def test_the_report_tables_match_their_migration(app: FastAPI) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from lakeside.store.tables import metadata

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with app.state.services.ctx.db.read() as conn:
        diffs = await conn.run_sync(compare)
    relevant = [
        diff
        for diff in diffs
        if "report" in repr(diff)
        # SQLite does not report the name of a column-level constraint; the reference is there.
        and not (isinstance(diff, tuple) and diff[0] in ("add_fk", "remove_fk"))
    ]
    assert relevant == []
