"""Findings of the outside check of the work apps (approvals, daily reports, to-dos, work notices),
each kept as a test that failed before its fix (see the docstring of each)."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest

from lakeside.config import Settings
from lakeside.domain.limits import check_limits
from tests.conftest import Person, error_code
from tests.test_approvals import World, act, submit, world
from tests.test_group_tools import group
from tests.test_organizations import company
from tests.test_rate_limits import assert_limited
from tests.test_reports import templates as report_templates
from tests.test_reports import write


def _table_form(hidden_column: bool) -> dict[str, Any]:
    return {
        "fields": [
            {
                "key": "items",
                "type": "table",
                "label": "明细",
                "required": True,
                "columns": [
                    {"key": "what", "type": "text", "label": "事项"},
                    {
                        "key": "secret",
                        "type": "money",
                        "label": "底价",
                        "hidden_from_approvers": hidden_column,
                    },
                ],
                "total_of": "secret",
            }
        ]
    }


async def _template(w: World, form: dict[str, Any], approver_ids: list[int], mode: str = "all") -> int:
    spec = {
        "name": "采购",
        "form": form,
        "flow": {
            "steps": [{"approvers": [{"kind": "user", "user_id": uid} for uid in approver_ids], "mode": mode}]
        },
    }
    response = await w.people["zhangsan"].post(f"{w.base}/approval-templates", json=spec)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_a_table_column_cannot_be_hidden_from_approvers(people: dict[str, Person]) -> None:
    """Finding: a table column marked ``hidden_from_approvers`` was accepted, but only whole fields
    are hidden — the column's values (and the table's total of it) reached the approvers in the
    detail, list summary, card and CSV. A column cannot be hidden (the designer never offers it):
    the form is refused; hide the whole table instead."""
    w = await world(people)
    spec = {
        "name": "采购",
        "form": _table_form(hidden_column=True),
        "flow": {"steps": [{"approvers": [{"kind": "user", "user_id": people["lisi"].id}]}]},
    }
    response = await people["zhangsan"].post(f"{w.base}/approval-templates", json=spec)
    assert response.status_code == 422 and error_code(response) == "INVALID_FORM", response.text


async def test_csv_neutralises_formulas_in_names_and_titles(people: dict[str, Person]) -> None:
    """Finding: the CSV export neutralised formulas in field values only; a member whose display
    name starts with ``=`` (or ``+ - @``) put a live formula in the 申请人 and 当前审批人 cells."""
    alice, lisi, zhangsan = people["alice"], people["lisi"], people["zhangsan"]
    for person, name in ((alice, '=HYPERLINK("http://evil.example","x")'), (lisi, "@SUM(1+1)")):
        response = await person.patch("/api/v1/me", json={"display_name": name})
        assert response.status_code == 200, response.text
    w = await world(people)
    template_id = await _template(w, _table_form(hidden_column=False), [lisi.id])
    response = await alice.post(
        f"{w.base}/approvals",
        json={"template_id": template_id, "values": {"items": [{"what": "-1+2", "secret": 5}]}},
    )
    assert response.status_code == 201, response.text
    response = await zhangsan.get(f"{w.base}/approvals/export.csv", params={"template_id": template_id})
    assert response.status_code == 200 and response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    for cell in rows[1]:
        assert cell[:1] not in ("=", "+", "-", "@"), rows[1]


async def test_concurrent_approvals_of_an_all_of_step_end_once(people: dict[str, Person]) -> None:
    """Every approver of an all-of step approves at the same moment: the request ends approved,
    once (one outcome), every task decided, nothing 5xx."""
    w = await world(people)
    lisi, wangwu, bob, alice = people["lisi"], people["wangwu"], people["bob"], people["alice"]
    template_id = await _template(w, _table_form(hidden_column=False), [lisi.id, wangwu.id, bob.id])
    response = await alice.post(
        f"{w.base}/approvals",
        json={"template_id": template_id, "values": {"items": [{"what": "纸", "secret": 100}]}},
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    answers = await asyncio.gather(
        *(p.post(f"{w.base}/approvals/{request_id}/approve", json={}) for p in (lisi, wangwu, bob))
    )
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    detail = (await alice.get(f"{w.base}/approvals/{request_id}")).json()
    assert detail["status"] == "approved", detail
    # Whoever lost a race may retry; no one is left to approve.
    for person, answer in zip((lisi, wangwu, bob), answers, strict=True):
        if answer.status_code == 409:
            retry = await person.post(f"{w.base}/approvals/{request_id}/approve", json={})
            assert retry.status_code in (404, 409), retry.text


async def test_approve_withdraw_and_return_at_once(people: dict[str, Person]) -> None:
    """Approve, withdraw and return at the same moment: one wins, the others answer 409 (never
    5xx), and the request is in exactly one end state."""
    w = await world(people)
    lisi, alice = people["lisi"], people["alice"]
    template_id = await _template(w, _table_form(hidden_column=False), [lisi.id], mode="any")
    response = await alice.post(
        f"{w.base}/approvals",
        json={"template_id": template_id, "values": {"items": [{"what": "纸", "secret": 100}]}},
    )
    request_id = response.json()["id"]
    answers = await asyncio.gather(
        lisi.post(f"{w.base}/approvals/{request_id}/approve", json={}),
        alice.post(f"{w.base}/approvals/{request_id}/withdraw", json={}),
        lisi.post(f"{w.base}/approvals/{request_id}/return", json={"comment": "重填"}),
    )
    codes = [a.status_code for a in answers]
    assert all(c in (200, 409) for c in codes), [a.text for a in answers]
    assert codes.count(200) == 1, [a.text for a in answers]
    detail = (await alice.get(f"{w.base}/approvals/{request_id}")).json()
    assert detail["status"] in ("approved", "withdrawn", "returned"), detail


async def test_an_approver_who_leaves_does_not_strand_the_request(people: dict[str, Person]) -> None:
    """The only approver of a step is removed from the organization: the request must still be
    able to end (the admin, or a fallback), and the departed one can no longer act on it."""
    w = await world(people)
    zhangsan, wangwu, alice = people["zhangsan"], people["wangwu"], people["alice"]
    template_id = await _template(w, _table_form(hidden_column=False), [wangwu.id])
    response = await alice.post(
        f"{w.base}/approvals",
        json={"template_id": template_id, "values": {"items": [{"what": "纸", "secret": 100}]}},
    )
    request_id = response.json()["id"]
    response = await zhangsan.delete(f"{w.base}/members/{wangwu.id}")
    assert response.status_code == 200, response.text
    response = await wangwu.post(f"{w.base}/approvals/{request_id}/approve", json={})
    assert response.status_code in (403, 404), response.text
    detail = (await alice.get(f"{w.base}/approvals/{request_id}")).json()
    stuck_on = [p["user_id"] for p in detail["current_approvers"]]
    if detail["status"] == "pending" and stuck_on == [wangwu.id]:
        # The admin must be able to move it on.
        response = await zhangsan.post(
            f"{w.base}/approvals/{request_id}/transfer", json={"user_id": people["lisi"].id}
        )
        assert response.status_code == 200, response.text
    else:
        assert wangwu.id not in stuck_on
    _ = act
    _ = submit


async def test_a_report_sent_twice_at_once_is_sent_once(people: dict[str, Person]) -> None:
    """The same draft sent twice at the same moment: one send, one 409, one card in the group,
    never a 5xx."""
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    weekly = (await report_templates(lisi, org["id"]))["weekly"]
    cid = await group(lisi, wangwu, zhangsan, title="前端组")
    draft = await write(
        lisi,
        org["id"],
        template_id=weekly["id"],
        answers={"week_done": "发布 2.0", "next_plan": "3.0"},
        conversation_ids=[cid],
        user_ids=[zhangsan.id],
        send=False,
    )
    url = f"/api/v1/orgs/{org['id']}/reports/{draft['id']}/send"
    answers = await asyncio.gather(lisi.post(url), lisi.post(url))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    history = (await wangwu.get(f"/api/v1/conversations/{cid}/messages")).json()["messages"]
    assert sum(1 for m in history if m["kind"] == "card") == 1


async def test_a_todo_done_by_two_assignees_at_once(people: dict[str, Person]) -> None:
    """Both assignees mark a to-do done at the same moment: it ends done (its done time set),
    both marks kept, never a 5xx."""
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    base = f"/api/v1/orgs/{org['id']}/todos"
    response = await zhangsan.post(base, json={"title": "写周报", "assignee_ids": [lisi.id, wangwu.id]})
    assert response.status_code == 201, response.text
    todo_id = response.json()["id"]
    answers = await asyncio.gather(
        lisi.post(f"{base}/{todo_id}/done", json={}), wangwu.post(f"{base}/{todo_id}/done", json={})
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    todo = (await zhangsan.get(f"{base}/{todo_id}")).json()
    assert todo["done_at"] is not None, todo
    assert all(a["done_at"] is not None for a in todo["assignees"]), todo


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Low enough to reach in a test, high enough for every other test of this file.
    settings.rate_limits = check_limits({"approvals_per_user": "6/3600", "reports_per_user": "6/3600"})
    return settings


async def test_what_sends_notices_in_approvals_and_reports_is_rate_limited(people: dict[str, Person]) -> None:
    """Finding: approval comments (with @mentions), submissions, transfers and added approvers,
    and report sends and comments, each put work notices before other people with no rate limit
    (only urge had one): a member could flood colleagues' 工作通知. They now spend
    ``approvals`` / ``reports``; the limit is the caller's own."""
    w = await world(people)
    alice, lisi, zhangsan = people["alice"], people["lisi"], people["zhangsan"]
    template_id = await _template(w, _table_form(hidden_column=False), [lisi.id])
    response = await alice.post(
        f"{w.base}/approvals",
        json={"template_id": template_id, "values": {"items": [{"what": "纸", "secret": 1}]}},
    )
    assert response.status_code == 201, response.text
    url = f"{w.base}/approvals/{response.json()['id']}/comment"
    for _ in range(5):
        assert (await alice.post(url, json={"body": "@lisi 看一下"})).status_code == 200
    assert_limited(await alice.post(url, json={"body": "@lisi 看一下"}))
    assert (await lisi.post(url, json={"body": "好"})).status_code == 200

    weekly = (await report_templates(lisi, w.id))["weekly"]
    report = await write(
        lisi,
        w.id,
        template_id=weekly["id"],
        answers={"week_done": "a", "next_plan": "b"},
        user_ids=[zhangsan.id],
    )
    comments = f"{w.base}/reports/{report['id']}/comments"
    for _ in range(5):
        assert (await lisi.post(comments, json={"body": "补充"})).status_code == 201
    assert_limited(await lisi.post(comments, json={"body": "补充"}))
    assert (await zhangsan.post(comments, json={"body": "收到"})).status_code == 201
