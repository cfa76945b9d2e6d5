"""Approvals (审批) through the API: built-in templates, the leave flow with its HR condition,
the expense flow returned and resubmitted, every action, versions, visibility, lists and filters,
CSV, statistics, roles, work-notice cards (and their approve button) and reminders."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import FastAPI

from lakeside.domain.tokens import now_ms
from lakeside.workers import approvals as approval_worker
from tests.conftest import Person, error_code
from tests.test_directory import department, seat
from tests.test_organizations import company


class World:
    """湖畔科技: zhangsan owns it (admin); 总部 led by wangwu holds 研发部 led by lisi, where
    alice and bob work; bob is in the 人事 (HR) role, wangwu in 财务 (Finance)."""

    def __init__(self, org: dict[str, Any], people: dict[str, Person]) -> None:
        self.org = org
        self.id = org["id"]
        self.base = f"/api/v1/orgs/{org['id']}"
        self.people = people
        self.templates: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, int] = {}


async def world(people: dict[str, Person]) -> World:
    zhangsan, lisi, wangwu, alice, bob = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob"))
    org = await company(zhangsan, [lisi, wangwu, alice, bob])
    w = World(org, people)
    hq = await department(zhangsan, w.id, "总部")
    rd = await department(zhangsan, w.id, "研发部", hq["id"])
    await seat(zhangsan, w.id, hq["id"], wangwu, leader=True)
    await seat(zhangsan, w.id, rd["id"], lisi, leader=True)
    await seat(zhangsan, w.id, rd["id"], alice)
    await seat(zhangsan, w.id, rd["id"], bob)
    listed = (await alice.get(f"{w.base}/approval-templates")).json()["templates"]
    w.templates = {t["builtin"]: t for t in listed}
    roles = (await zhangsan.get(f"{w.base}/roles")).json()["roles"]
    w.roles = {r["name"]: r["id"] for r in roles}
    response = await zhangsan.put(f"{w.base}/roles/{w.roles['人事']}/members", json={"user_ids": [bob.id]})
    assert response.status_code == 200, response.text
    response = await zhangsan.put(f"{w.base}/roles/{w.roles['财务']}/members", json={"user_ids": [wangwu.id]})
    assert response.status_code == 200, response.text
    return w


async def submit(w: World, person: Person, kind: str, values: dict[str, Any]) -> dict[str, Any]:
    response = await person.post(
        f"{w.base}/approvals", json={"template_id": w.templates[kind]["id"], "values": values}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def leave(days: int) -> dict[str, Any]:
    return {
        "leave_type": "年假",
        "period": {"start": "2026-12-14", "end": f"2026-12-{13 + days}"},
        "reason": "回老家",
    }


async def act(
    w: World, person: Person, request_id: int, action: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await person.post(f"{w.base}/approvals/{request_id}/{action}", json=body or {})
    assert response.status_code == 200, response.text
    return dict(response.json())


def approvers(detail: dict[str, Any]) -> list[int]:
    return [p["user_id"] for p in detail["current_approvers"]]


async def notices(person: Person) -> list[dict[str, Any]]:
    listed = (await person.get("/api/v1/conversations", params={"limit": 200})).json()["conversations"]
    found = [c for c in listed if c["kind"] == "notice"]
    if not found:
        return []
    response = await person.get(f"/api/v1/conversations/{found[0]['id']}/messages")
    return [m["card"] for m in response.json()["messages"] if m["kind"] == "card"]


def card_text(card: dict[str, Any]) -> str:
    return str(card["blocks"][0]["text"])


async def test_builtins_and_preview(people: dict[str, Person]) -> None:
    w = await world(people)
    alice, lisi, bob, wangwu = people["alice"], people["lisi"], people["bob"], people["wangwu"]
    assert set(w.templates) == {"leave", "expense", "trip", "purchase", "general"}
    assert set(w.roles) == {"人事", "财务"}
    tid = w.templates["leave"]["id"]
    short = (await alice.post(f"{w.base}/approval-templates/{tid}/preview", json={"values": leave(2)})).json()
    assert [[a["user_id"] for a in s["approvers"]] for s in short["steps"]] == [[lisi.id]]
    long = (await alice.post(f"{w.base}/approval-templates/{tid}/preview", json={"values": leave(3)})).json()
    assert [[a["user_id"] for a in s["approvers"]] for s in long["steps"]] == [[lisi.id], [bob.id]]
    assert long["steps"][0]["approvers"][0]["name"] == "李四" and long["errors"] == {}
    # lisi leads 研发部: his direct leader is the one above, wangwu.
    mine = (await lisi.post(f"{w.base}/approval-templates/{tid}/preview", json={"values": leave(1)})).json()
    assert [[a["user_id"] for a in s["approvers"]] for s in mine["steps"]] == [[wangwu.id]]
    bad = (
        await alice.post(f"{w.base}/approval-templates/{tid}/preview", json={"values": {"leave_type": "假"}})
    ).json()
    assert bad["errors"] == {"leave_type": "is not one of the choices"}


async def test_leave_three_days_leader_then_hr_from_the_card(people: dict[str, Person]) -> None:
    w = await world(people)
    alice, lisi, bob = people["alice"], people["lisi"], people["bob"]
    request = await submit(w, alice, "leave", leave(3))
    assert request["status"] == "pending" and approvers(request) == [lisi.id]
    assert request["serial"].endswith(f"{request['id']:06d}") and len(request["serial"]) == 14
    assert [s["name"] for s in request["steps"]] == ["直属主管", "人事"]
    assert request["computed"] == {"period": 3}
    assert request["can"]["withdraw"] and not request["can"]["approve"]

    # lisi's card: approve from it, through the button's own action.
    [card] = await notices(lisi)
    assert "Alice Chen提交的请假等待你审批" in card_text(card)
    button = card["blocks"][2]["buttons"][0]
    assert button["title"] == "同意" and button["action"]["done"] == "已同意"
    response = await lisi.post(button["action"]["path"], json=button["action"]["body"])
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["status"] == "pending" and approvers(detail) == [bob.id]
    # The same button again: the task has moved.
    again = await lisi.post(button["action"]["path"], json=button["action"]["body"])
    assert again.status_code == 409 and error_code(again) == "APPROVAL_NOT_PENDING"

    done = await act(w, bob, request["id"], "approve", {"comment": "好好休息"})
    assert done["status"] == "approved" and done["finished_at"] is not None
    assert [h["action"] for h in done["history"]] == ["submit", "approve", "approve", "finish"]
    outcome = await notices(alice)
    assert any("你提交的请假已通过" in card_text(c) for c in outcome)


async def test_expense_returned_and_resubmitted_with_the_second_leader(
    app: FastAPI, people: dict[str, Person]
) -> None:
    w = await world(people)
    alice, lisi, wangwu = people["alice"], people["lisi"], people["wangwu"]
    upload = await alice.post(
        "/api/v1/files", files={"file": ("发票.pdf", b"%PDF-1.4 invoice", "application/pdf")}
    )
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    values = {
        "lines": [{"category": "差旅费", "amount": 120000}, {"category": "招待费", "amount": 30000}],
        "invoices": [file_id],
        "reason": "北京出差",
        "payee_account": "6222 0000 1111",
    }
    request = await submit(w, alice, "expense", values)
    assert request["computed"]["lines"] == 150000
    assert [s["name"] for s in request["steps"]] == ["直属主管", "财务"]
    # lisi (an approver) does not see the hidden payee account; alice does.
    seen = (await lisi.get(f"{w.base}/approvals/{request['id']}")).json()
    assert "payee_account" not in seen["values"]
    assert "payee_account" not in [f["key"] for f in seen["form"]["fields"]]
    assert (await alice.get(f"{w.base}/approvals/{request['id']}")).json()["values"]["payee_account"]
    # The invoice opens for the approver, not for a colleague the request never reached.
    assert (await lisi.get(f"/api/v1/files/{file_id}")).status_code == 200
    assert (await people["bob"].get(f"/api/v1/files/{file_id}")).status_code == 404
    assert (await people["mallory"].get(f"/api/v1/files/{file_id}")).status_code == 404

    returned = await act(w, lisi, request["id"], "return", {"comment": "请补充明细"})
    assert returned["status"] == "returned" and returned["can"]["resubmit"] is False  # lisi's view
    assert any("已被退回" in card_text(c) for c in await notices(alice))
    # Now over ¥5,000: the second-level leader joins.
    values["lines"].append({"category": "交通费", "amount": 400000})
    again = await act(w, alice, request["id"], "resubmit", {"values": values})
    assert again["status"] == "pending" and [s["name"] for s in again["steps"]] == [
        "直属主管",
        "第二级主管",
        "财务",
    ]
    assert approvers(again) == [lisi.id]
    await act(w, lisi, request["id"], "approve")
    # wangwu is the second-level leader and Finance: approving once covers both (auto-approval).
    done = await act(w, wangwu, request["id"], "approve")
    assert done["status"] == "approved"
    assert [t["status"] for s in done["steps"] for t in s["tasks"]] == [
        "approved",
        "approved",
        "auto_approved",
    ]
    actions = [h["action"] for h in done["history"]]
    assert actions == ["submit", "return", "resubmit", "approve", "approve", "auto_approve", "finish"]


async def test_reject_withdraw_transfer_add_and_comment(people: dict[str, Person]) -> None:
    w = await world(people)
    alice, lisi, bob, wangwu, zhangsan = (people[n] for n in ("alice", "lisi", "bob", "wangwu", "zhangsan"))
    first = await submit(w, alice, "general", {"title": "申请显示器", "detail": "27 寸"})
    response = await lisi.post(f"{w.base}/approvals/{first['id']}/reject", json={"reason": ""})
    assert response.status_code == 422
    rejected = await act(w, lisi, first["id"], "reject", {"reason": "预算不足"})
    assert rejected["status"] == "rejected"
    assert any("已被拒绝" in card_text(c) and "预算不足" in card_text(c) for c in await notices(alice))
    response = await alice.post(f"{w.base}/approvals/{first['id']}/withdraw")
    assert response.status_code == 409 and error_code(response) == "APPROVAL_NOT_PENDING"

    second = await submit(w, alice, "general", {"title": "申请键盘", "detail": "机械键盘"})
    moved = await act(w, lisi, second["id"], "transfer", {"user_id": wangwu.id, "comment": "你来定"})
    assert approvers(moved) == [wangwu.id]
    response = await lisi.post(f"{w.base}/approvals/{second['id']}/approve", json={})
    assert response.status_code == 409
    added = await act(
        w, wangwu, second["id"], "add-approver", {"user_ids": [zhangsan.id], "position": "before"}
    )
    assert approvers(added) == [zhangsan.id] and [s["name"] for s in added["steps"]] == ["加签", "直属主管"]
    await act(w, zhangsan, second["id"], "approve")
    after = await act(w, wangwu, second["id"], "add-approver", {"user_ids": [bob.id], "position": "after"})
    assert approvers(after) == [wangwu.id]
    await act(w, wangwu, second["id"], "approve")
    commented = await act(w, bob, second["id"], "comment", {"body": "@Alice Chen 型号是？"})
    assert commented["history"][-1]["action"] == "comment"
    assert commented["history"][-1]["data"]["mentions"] == [alice.id]
    assert any("提到了你" in card_text(c) for c in await notices(alice))
    done = await act(w, bob, second["id"], "approve")
    assert done["status"] == "approved"

    third = await submit(w, alice, "general", {"title": "申请椅子", "detail": "人体工学椅"})
    gone = await act(w, alice, third["id"], "withdraw")
    assert gone["status"] == "withdrawn" and all(
        t["status"] == "cancelled" for s in gone["steps"] for t in s["tasks"]
    )
    urge = await alice.post(f"{w.base}/approvals/{third['id']}/urge")
    assert urge.status_code == 409


async def test_urge_dings_once_per_ten_minutes(people: dict[str, Person]) -> None:
    w = await world(people)
    alice, lisi = people["alice"], people["lisi"]
    request = await submit(w, alice, "general", {"title": "申请显示器", "detail": "27 寸"})
    urged = await act(w, alice, request["id"], "urge")
    assert urged["history"][-1]["action"] == "urge"
    dings = (await lisi.get(f"{w.base}/dings/received")).json()
    assert "催办" in str(dings)
    again = await alice.post(f"{w.base}/approvals/{request['id']}/urge")
    assert again.status_code == 429 and error_code(again) == "URGED_RECENTLY"
    response = await lisi.post(f"{w.base}/approvals/{request['id']}/urge")
    assert response.status_code == 403


async def test_versions_visibility_lists_csv_and_stats(people: dict[str, Person]) -> None:
    w = await world(people)
    alice, lisi, bob, zhangsan, mallory = (people[n] for n in ("alice", "lisi", "bob", "zhangsan", "mallory"))
    old = await submit(w, alice, "leave", leave(1))
    template = w.templates["leave"]
    form = template["form"]
    form["fields"].append({"key": "handover", "type": "people", "label": "工作交接人", "required": True})
    response = await zhangsan.patch(f"{w.base}/approval-templates/{template['id']}", json={"form": form})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    # The old request keeps version 1 (no handover field); a new one needs it.
    assert (await alice.get(f"{w.base}/approvals/{old['id']}")).json()["template_version"] == 1
    response = await alice.post(
        f"{w.base}/approvals", json={"template_id": template["id"], "values": leave(1)}
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "handover"
    new = await submit(w, alice, "leave", {**leave(1), "handover": [bob.id]})
    assert new["template_version"] == 2

    # Strangers see nothing; bob (not involved yet) neither.
    for person in (mallory, bob):
        response = await person.get(f"{w.base}/approvals/{old['id']}")
        assert response.status_code == 404
    pending = (await lisi.get(f"{w.base}/approvals", params={"box": "pending"})).json()["approvals"]
    assert [a["id"] for a in pending] == [new["id"], old["id"]]
    page = (await lisi.get(f"{w.base}/approvals", params={"box": "pending", "limit": 1})).json()
    assert [a["id"] for a in page["approvals"]] == [new["id"]] and page["next_cursor"] == new["id"]
    rest = (
        await lisi.get(f"{w.base}/approvals", params={"box": "pending", "cursor": page["next_cursor"]})
    ).json()
    assert [a["id"] for a in rest["approvals"]] == [old["id"]] and rest["next_cursor"] is None
    await act(w, lisi, old["id"], "approve")
    handled = (await lisi.get(f"{w.base}/approvals", params={"box": "handled"})).json()["approvals"]
    assert [a["id"] for a in handled] == [old["id"]]
    mine = (await alice.get(f"{w.base}/approvals", params={"box": "mine", "status": "approved"})).json()
    assert [a["id"] for a in mine["approvals"]] == [old["id"]]
    assert mine["approvals"][0]["summary"][0] == {"label": "请假类型", "text": "年假"}
    later = (await alice.get(f"{w.base}/approvals", params={"box": "mine", "from": now_ms() + 60_000})).json()
    assert later["approvals"] == []

    response = await alice.get(f"{w.base}/approvals/export.csv", params={"template_id": template["id"]})
    assert response.status_code == 403
    response = await zhangsan.get(f"{w.base}/approvals/export.csv", params={"template_id": template["id"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["审批编号", "模板", "申请人", "部门", "状态"] and "工作交接人" in rows[0]
    assert len(rows) == 3 and rows[1][2] == "Alice Chen" and rows[1][4] == "已通过"
    assert rows[2][rows[0].index("工作交接人")] == "Bob Li"
    stats = (await zhangsan.get(f"{w.base}/approvals/stats")).json()
    assert stats["total"] == 2
    assert {r["key"]: r["count"] for r in stats["by_status"]} == {"approved": 1, "pending": 1}
    assert stats["average_ms_to_finish"] is not None
    assert stats["per_step"][0]["step_name"] == "直属主管" and stats["per_step"][0]["decided"] == 1
    assert (await alice.get(f"{w.base}/approvals/stats")).status_code == 403


async def test_reminders_once_per_step(app: FastAPI, people: dict[str, Person]) -> None:
    w = await world(people)
    alice, lisi = people["alice"], people["lisi"]
    request = await submit(w, alice, "general", {"title": "申请显示器", "detail": "27 寸"})
    services = app.state.services
    assert await approval_worker.run_due(services, now_ms()) == 0
    later = now_ms() + 25 * 3_600_000  # the built-ins remind after 24 hours
    assert await approval_worker.run_due(services, later) == 1
    assert await approval_worker.run_due(services, later + 1) == 0
    assert any("提醒" in card_text(c) for c in await notices(lisi))
    detail = (await alice.get(f"{w.base}/approvals/{request['id']}")).json()
    assert detail["history"][-1]["action"] == "remind"


async def test_templates_and_roles_admin(people: dict[str, Person]) -> None:
    w = await world(people)
    zhangsan, alice, bob = people["zhangsan"], people["alice"], people["bob"]
    spec = {
        "name": "用章申请",
        "form": {"fields": [{"key": "what", "type": "text", "label": "用章事由", "required": True}]},
        "flow": {
            "steps": [
                {"approvers": [{"kind": "role", "role_id": w.roles["人事"]}], "mode": "all"},
            ],
            "cc": [{"kind": "user", "user_id": zhangsan.id}],
        },
    }
    response = await alice.post(f"{w.base}/approval-templates", json=spec)
    assert response.status_code == 403
    response = await zhangsan.post(f"{w.base}/approval-templates", json=spec)
    assert response.status_code == 201, response.text
    created = response.json()
    request = await submit(w, alice, "leave", leave(1))
    response = await alice.post(
        f"{w.base}/approvals", json={"template_id": created["id"], "values": {"what": "合同"}}
    )
    assert response.status_code == 201
    stamped = response.json()
    done = await act(w, bob, stamped["id"], "approve")
    assert done["status"] == "approved" and [c["user_id"] for c in done["cc"]] == [zhangsan.id]
    copied = (await zhangsan.get(f"{w.base}/approvals", params={"box": "cc"})).json()["approvals"]
    assert [a["id"] for a in copied] == [stamped["id"]]
    assert request["id"] != stamped["id"]

    response = await zhangsan.delete(f"{w.base}/roles/{w.roles['人事']}")
    assert response.status_code == 409 and error_code(response) == "ROLE_IN_USE"
    response = await zhangsan.patch(f"{w.base}/approval-templates/{created['id']}", json={"enabled": False})
    assert response.status_code == 200 and response.json()["enabled"] is False
    listed = (await alice.get(f"{w.base}/approval-templates")).json()["templates"]
    assert created["id"] not in [t["id"] for t in listed]
    response = await alice.post(
        f"{w.base}/approvals", json={"template_id": created["id"], "values": {"what": "x"}}
    )
    assert response.status_code == 404
    role = (await zhangsan.post(f"{w.base}/roles", json={"name": "行政", "user_ids": [alice.id]})).json()
    assert [m["user_id"] for m in role["members"]] == [alice.id]
    response = await zhangsan.post(f"{w.base}/roles", json={"name": "行政"})
    assert response.status_code == 409
    assert (await zhangsan.delete(f"{w.base}/roles/{role['id']}")).status_code == 200
    bad_flow = {**spec, "flow": {"steps": [{"approvers": [{"kind": "role", "role_id": 10**9}]}]}}
    response = await zhangsan.post(f"{w.base}/approval-templates", json=bad_flow)
    assert response.status_code == 404 and error_code(response) == "ROLE_NOT_FOUND"
    bad_condition = {
        **spec,
        "flow": {
            "steps": [
                {
                    "approvers": [{"kind": "leader", "level": 1}],
                    "when": [{"field": "nope", "op": ">", "value": 1}],
                }
            ]
        },
    }
    response = await zhangsan.post(f"{w.base}/approval-templates", json=bad_condition)
    assert response.status_code == 422 and error_code(response) == "INVALID_FLOW"
