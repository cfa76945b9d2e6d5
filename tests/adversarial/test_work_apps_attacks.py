"""Findings of the outside check of the work apps (approvals, daily reports, to-dos, work notices),
each kept as a test that failed before its fix (see the docstring of each)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import pytest

from lakeside.config import Settings
from lakeside.domain.limits import check_limits
from tests.conftest import Person, error_code
from tests.test_approvals import World, act, submit, world
from tests.test_approvals import notices as approval_notices
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
    """Finding: the only approver of a step was removed from the organization; their task stayed
    pending, hidden from the detail (current_approvers empty), and nobody but the applicant
    (withdraw) could ever end the request. Now an admin hands a departed approver's task on
    (转交, the same transfer route) and the request goes on; a member who is not an approver still
    cannot, and the departed one can no longer act."""
    w = await world(people)
    zhangsan, wangwu, alice, lisi, bob = (people[n] for n in ("zhangsan", "wangwu", "alice", "lisi", "bob"))
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
    transfer = f"{w.base}/approvals/{request_id}/transfer"
    response = await bob.post(transfer, json={"user_id": lisi.id})
    assert response.status_code == 404, response.text  # bob is no participant
    response = await alice.post(transfer, json={"user_id": lisi.id})
    assert response.status_code == 409, response.text  # the applicant cannot pick her approver
    response = await zhangsan.post(transfer, json={"user_id": lisi.id, "comment": "王五已离职"})
    assert response.status_code == 200, response.text
    assert [p["user_id"] for p in response.json()["current_approvers"]] == [lisi.id]
    done = await act(w, lisi, request_id, "approve")
    assert done["status"] == "approved"
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
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    if "rate_limited" in request.node.name:
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


async def _raw(person: Person, url: str, body: str) -> Any:
    """A POST of ``body`` as it is (NaN, lone surrogates, duplicate keys, broken JSON)."""
    return await person.http.post(
        url,
        content=body.encode("utf-8", "surrogatepass"),
        headers={**person.headers, "Content-Type": "application/json"},
    )


async def test_boundary_values_never_answer_5xx(people: dict[str, Person]) -> None:
    """Every field's edge (empty, whitespace, one over, beyond int64, NaN/Infinity, floats for
    integers, impossible dates, reversed ranges, 51 rows, deep nesting, 10k options, duplicate
    keys, unknown types, NUL, lone surrogates, malformed JSON) is a 4xx, never a 5xx."""
    w = await world(people)
    alice, lisi, zhangsan = people["alice"], people["lisi"], people["zhangsan"]
    form = {
        "fields": [
            {"key": "t", "type": "text", "label": "T", "max_length": 5},
            {"key": "n", "type": "number", "label": "N", "decimals": 2},
            {"key": "m", "type": "money", "label": "M"},
            {"key": "d", "type": "date", "label": "D"},
            {"key": "r", "type": "daterange", "label": "R"},
            {"key": "h", "type": "datetimerange", "label": "H"},
            {"key": "p", "type": "people", "label": "P"},
            {"key": "s", "type": "select", "label": "S", "options": ["a", "b"]},
            {
                "key": "rows",
                "type": "table",
                "label": "Rows",
                "columns": [{"key": "x", "type": "number", "label": "X"}],
                "total_of": "x",
            },
        ]
    }
    template_id = await _template(w, form, [lisi.id])
    bad_values: list[Any] = [
        {"t": "123456"},
        {"t": "a\u0000"},
        {"t": 5},
        {"t": ["x"]},
        {"n": 2**70},
        {"n": -(2**70)},
        {"n": 1e300},
        {"n": "1"},
        {"n": True},
        {"n": {"a": 1}},
        {"m": 1.5},
        {"m": -1},
        {"m": 2**63},
        {"m": 10**14},
        {"d": "0000-00-00"},
        {"d": "2026-02-30"},
        {"d": "1969-12-31"},
        {"d": "9999-12-31"},
        {"d": 20260101},
        {"r": {"start": "2026-12-10", "end": "2026-12-01"}},
        {"r": {"start": "2026-12-10"}},
        {"r": "x"},
        {"h": {"start": -1, "end": 5}},
        {"h": {"start": 0, "end": 253402300800000}},
        {"h": {"start": 1.5, "end": 2}},
        {"p": [zhangsan.id, lisi.id]},
        {"p": [10**12]},
        {"p": [0]},
        {"p": "x"},
        {"s": "c"},
        {"s": ["a"]},
        {"rows": [{"x": 1}] * 51},
        {"rows": [{"x": {"y": {"z": [[[[[1]]]]]}}}]},
        {"rows": [{"nope": 1}]},
        {"rows": "x"},
        {"nope": 1},
        [],
        "x",
        None,
    ]
    for values in bad_values:
        response = await alice.post(
            f"{w.base}/approvals", json={"template_id": template_id, "values": values}
        )
        assert 400 <= response.status_code < 500, (values, response.text)
    raw_bodies = [
        '{"template_id": TID, "values": {"n": NaN}}'.replace("TID", str(template_id)),
        '{"template_id": TID, "values": {"n": Infinity}}'.replace("TID", str(template_id)),
        '{"template_id": TID, "values": {"n": -Infinity}}'.replace("TID", str(template_id)),
        '{"template_id": TID, "values": {"t": "\\ud800"}}'.replace("TID", str(template_id)),
        '{"template_id": TID, "values": {"t": "a", "t": "\\u0000"}}'.replace("TID", str(template_id)),
        '{"template_id": TID, "values": {"rows": [{"x": 1e999}]}}'.replace("TID", str(template_id)),
        '{"template_id": 1.0, "values": {}}',
        '{"template_id": 99999999999999999999999, "values": {}}',
        '{"template_id": TID, "values": '.replace("TID", str(template_id)),
        "[" * 5000 + "]" * 5000,
    ]
    for body in raw_bodies:
        response = await _raw(alice, f"{w.base}/approvals", body)
        assert 400 <= response.status_code < 500, (body[:80], response.text)

    base_spec = {"name": "X", "flow": {"steps": [{"approvers": [{"kind": "user", "user_id": lisi.id}]}]}}
    bad_forms: list[Any] = [
        {"fields": []},
        {"fields": [{"key": "a", "type": "nope", "label": "A"}]},
        {"fields": [{"key": "a", "type": "text", "label": "A"}, {"key": "a", "type": "text", "label": "B"}]},
        {
            "fields": [
                {"key": "a", "type": "select", "label": "A", "options": [str(i) for i in range(10_000)]}
            ]
        },
        {"fields": [{"key": "a", "type": "text", "label": "   "}]},
        {"fields": [{"key": "a", "type": "number", "label": "A", "min": 5, "max": 1}]},
        {"fields": [{"key": "a", "type": "number", "label": "A", "min": 2**64}]},
        {
            "fields": [
                {
                    "key": "a",
                    "type": "table",
                    "label": "A",
                    "columns": [
                        {
                            "key": "b",
                            "type": "table",
                            "label": "B",
                            "columns": [{"key": "c", "type": "text", "label": "C"}],
                        }
                    ],
                }
            ]
        },
        {"fields": [{"key": f"k{i}", "type": "text", "label": "L"} for i in range(51)]},
        {"fields": [{"key": "a", "type": "text", "label": "A\ud800"}]},
    ]
    for form_ in bad_forms:
        # json.dumps escapes the lone surrogate as \\ud800, which the server must refuse.
        response = await _raw(
            zhangsan, f"{w.base}/approval-templates", json.dumps({**base_spec, "form": form_})
        )
        assert 400 <= response.status_code < 500, (str(form_)[:80], response.text)

    # Conditions comparing the wrong kinds.
    for when in (
        [{"field": "t", "op": ">", "value": 1}],
        [{"field": "n", "op": ">", "value": "x"}],
        [{"field": "n", "op": "in", "value": []}],
        [{"field": "rows", "op": "==", "value": [1, [2]]}],
    ):
        spec = {
            **base_spec,
            "form": form,
            "flow": {"steps": [{"approvers": [{"kind": "user", "user_id": lisi.id}], "when": when}]},
        }
        response = await zhangsan.post(f"{w.base}/approval-templates", json=spec)
        assert 400 <= response.status_code < 500 or response.status_code == 201, (when, response.text)

    # Reports and to-dos.
    weekly = (await report_templates(lisi, w.id))["weekly"]
    for body in (
        {"template_id": weekly["id"], "date": "2026-02-30", "answers": {}},
        {"template_id": weekly["id"], "date": "0000-00-00", "answers": {}},
        {"template_id": weekly["id"], "answers": {"week_done": "\u0000"}},
        {"template_id": weekly["id"], "answers": {"nope": "x"}},
        {"template_id": weekly["id"], "answers": {"week_done": 5}},
        {"template_id": weekly["id"], "answers": {"week_done": "a" * 100_000}},
        {"template_id": weekly["id"], "answers": {"files": ["../../etc/passwd"]}},
        {"template_id": weekly["id"], "answers": {"week_done": "a"}, "user_ids": [2**63]},
        {
            "template_id": weekly["id"],
            "answers": {"week_done": "a", "next_plan": "b"},
            "user_ids": [people["mallory"].id],
        },
        {
            "template_id": weekly["id"],
            "answers": {"week_done": "a", "next_plan": "b"},
            "conversation_ids": [10**9],
        },
    ):
        response = await lisi.post(f"{w.base}/reports", json=body)
        assert 400 <= response.status_code < 500, (body, response.text)
    response = await _raw(
        lisi,
        f"{w.base}/reports",
        '{"template_id": TID, "answers": {"week_done": "\\udc00"}}'.replace("TID", str(weekly["id"])),
    )
    assert 400 <= response.status_code < 500, response.text
    for body in (
        {"title": ""},
        {"title": "   "},
        {"title": "a" * 1001},
        {"title": "a", "due_at": 2**63},
        {"title": "a", "due_at": -(2**62)},
        {"title": "a", "due_at": 1.5},
        {"title": "a", "remind_at": 1},
        {"title": "a", "remind_at": 253402300800000 * 10},
        {"title": "a", "assignee_ids": [people["mallory"].id]},
        {"title": "a", "message_id": 10**12},
        {"title": "a", "ding_id": 10**12},
        {"title": "a", "priority": "x"},
        {"title": "a\u0000"},
    ):
        response = await alice.post(f"{w.base}/todos", json=body)
        assert 400 <= response.status_code < 500, (body, response.text)


async def test_two_transfers_and_add_approver_during_approve(people: dict[str, Person]) -> None:
    """One approver transfers their task to two people at the same moment: one wins, one 409, one
    task waits. An approver adds an approver while the other of an all-of step approves: never a
    5xx, and the request still waits for someone (nobody is lost)."""
    w = await world(people)
    lisi, wangwu, bob, alice, zhangsan = (people[n] for n in ("lisi", "wangwu", "bob", "alice", "zhangsan"))
    template_id = await _template(w, _table_form(hidden_column=False), [lisi.id])
    values = {"items": [{"what": "纸", "secret": 1}]}
    response = await alice.post(f"{w.base}/approvals", json={"template_id": template_id, "values": values})
    request_id = response.json()["id"]
    transfer = f"{w.base}/approvals/{request_id}/transfer"
    answers = await asyncio.gather(
        lisi.post(transfer, json={"user_id": wangwu.id}), lisi.post(transfer, json={"user_id": bob.id})
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    detail = (await alice.get(f"{w.base}/approvals/{request_id}")).json()
    assert len(detail["current_approvers"]) == 1 and detail["status"] == "pending"

    template_id = await _template(w, _table_form(hidden_column=False), [lisi.id, wangwu.id])
    response = await alice.post(f"{w.base}/approvals", json={"template_id": template_id, "values": values})
    request_id = response.json()["id"]
    answers = await asyncio.gather(
        lisi.post(
            f"{w.base}/approvals/{request_id}/add-approver",
            json={"user_ids": [zhangsan.id], "position": "after"},
        ),
        wangwu.post(f"{w.base}/approvals/{request_id}/approve", json={}),
    )
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    detail = (await alice.get(f"{w.base}/approvals/{request_id}")).json()
    assert detail["status"] == "pending" and detail["current_approvers"], detail


async def test_only_the_author_learns_how_many_have_read_a_report(people: dict[str, Person]) -> None:
    """Finding: a report's read list is its author's, yet every receiver got ``read_count`` in the
    report (detail, received box): with two receivers, one learnt whether the other had read it.
    Receivers now get 0; the author the real count."""
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    weekly = (await report_templates(lisi, org["id"]))["weekly"]
    report = await write(
        lisi,
        org["id"],
        template_id=weekly["id"],
        answers={"week_done": "a", "next_plan": "b"},
        user_ids=[zhangsan.id, wangwu.id],
    )
    url = f"/api/v1/orgs/{org['id']}/reports/{report['id']}"
    assert (await zhangsan.post(f"{url}/read")).status_code == 200
    assert (await wangwu.get(url)).json()["read_count"] == 0
    received = (await wangwu.get(f"/api/v1/orgs/{org['id']}/reports", params={"box": "received"})).json()
    assert [r["read_count"] for r in received["reports"]] == [0]
    assert (await zhangsan.post(f"{url}/read")).json()["read_count"] == 0
    assert (await lisi.get(url)).json()["read_count"] == 1
    sent = (await lisi.get(f"/api/v1/orgs/{org['id']}/reports", params={"box": "sent"})).json()
    assert [r["read_count"] for r in sent["reports"]] == [1]


async def test_a_hidden_field_reaches_no_approver_anywhere(people: dict[str, Person]) -> None:
    """The expense's payee account (hidden from approvers), marked as a summary field too, is in
    no approver's detail, list, work-notice card, search or comment-mention card; the applicant
    sees it. (Held.)"""
    w = await world(people)
    alice, lisi, zhangsan = people["alice"], people["lisi"], people["zhangsan"]
    secret = "SECRETPAYEE9876"
    form = {
        "fields": [
            {"key": "what", "type": "text", "label": "事由", "summary": True},
            {
                "key": "payee",
                "type": "text",
                "label": "收款账号",
                "hidden_from_approvers": True,
                "summary": True,
            },
        ]
    }
    template_id = await _template(w, form, [lisi.id])
    response = await alice.post(
        f"{w.base}/approvals", json={"template_id": template_id, "values": {"what": "出差", "payee": secret}}
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    await alice.post(f"{w.base}/approvals/{request_id}/comment", json={"body": "@lisi 请看"})
    seen = [
        (await lisi.get(f"{w.base}/approvals/{request_id}")).text,
        (await lisi.get(f"{w.base}/approvals", params={"box": "pending"})).text,
        json.dumps(await approval_notices(lisi), ensure_ascii=False),
        (await lisi.get("/api/v1/search/messages", params={"q": secret})).text,
    ]
    for text in seen:
        assert secret not in text
    assert secret in (await alice.get(f"{w.base}/approvals/{request_id}")).text
    assert secret in (await zhangsan.get(f"{w.base}/approvals/{request_id}")).text  # the admin
