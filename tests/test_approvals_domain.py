"""Approvals, pure: every field type's server check (boundaries, NUL and lone surrogates), form
and flow definitions, flow resolution (leader levels skipping empty ones, the admin fallback,
roles, department leaders, conditions) and the request state machine's transitions."""

from __future__ import annotations

from typing import Any

import pytest

from lakeside.domain.approvals import builtin, fields, flows, machine
from lakeside.errors import Invalid


def form(*items: dict[str, Any]) -> dict[str, Any]:
    return fields.check_form({"fields": list(items)})


def f(key: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": key, **extra}


def refused(form_: dict[str, Any], values: dict[str, Any], **refs: Any) -> str:
    with pytest.raises(fields.FieldError) as caught:
        fields.check_values(form_, values, **refs)
    return caught.value.field


def test_every_field_type_accepts_and_normalises() -> None:
    everything = form(
        f("t", "text", required=True),
        f("ta", "textarea"),
        f("n", "number", decimals=2, min=0, max=100),
        f("m", "money", min=1),
        f("d", "date"),
        f("dr", "daterange"),
        f("dtr", "datetimerange"),
        f("s", "select", options=["甲", "乙"]),
        f("ms", "multiselect", options=["a", "b", "c"]),
        f("p", "people", multiple=True),
        f("dep", "department"),
        f("att", "attachment"),
        f("img", "image"),
        f("tb", "table", columns=[f("what", "text"), f("amt", "money", required=True)], total_of="amt"),
    )
    values = {
        "t": "  请假  ",
        "ta": "第一行\n第二行",
        "n": 12.345,
        "m": 150000,
        "d": "2026-12-08",
        "dr": {"start": "2026-12-08", "end": "2026-12-10"},
        "dtr": {"start": 0, "end": 5_400_000},
        "s": "乙",
        "ms": ["c", "a"],
        "p": [3, 3, 2],
        "dep": 7,
        "att": ["abc", "abc"],
        "img": ["img_1"],
        "tb": [{"what": "机票", "amt": 100000}, {"amt": 2550}, {}],
    }
    checked = fields.check_values(
        everything, values, member_ids={2, 3}, department_ids={7}, file_ids={"abc", "img_1"}
    )
    assert checked["t"] == "请假" and checked["n"] == 12.35 and checked["ms"] == ["a", "c"]
    assert checked["p"] == [3, 2] and checked["dep"] == [7] and checked["att"] == ["abc"]
    assert checked["tb"] == [{"what": "机票", "amt": 100000}, {"amt": 2550}]  # the empty row dropped
    assert fields.computed(everything, checked) == {"dr": 3, "dtr": 1.5, "tb": 102550}
    assert fields.display(everything["fields"][3], 150000) == "¥1,500.00"
    assert fields.display(everything["fields"][13], checked["tb"]) == "2 × (¥1,025.50)"
    # Empty optional fields are left out; a missing required one is named.
    assert fields.check_values(everything, {"t": "x", "ta": "", "ms": []}) == {"t": "x"}
    assert refused(everything, {}) == "t"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (f("x", "text"), "a\x00b"),
        (f("x", "text"), "\ud800"),
        (f("x", "text"), "two\nlines"),
        (f("x", "text", max_length=3), "四个字啊"),
        (f("x", "textarea"), 5),
        (f("x", "number"), True),
        (f("x", "number"), 1.5),
        (f("x", "number"), float("nan")),
        (f("x", "number"), 10**16),
        (f("x", "number", min=1), 0),
        (f("x", "money"), -1),
        (f("x", "money"), 1.0),
        (f("x", "money"), 10**14),
        (f("x", "money", max=100), 101),
        (f("x", "date"), "2026-02-30"),
        (f("x", "date"), "2026-2-3"),
        (f("x", "date"), "1969-12-31"),
        (f("x", "daterange"), {"start": "2026-12-10", "end": "2026-12-08"}),
        (f("x", "daterange"), {"start": "2026-01-01", "end": "2027-06-01"}),
        (f("x", "daterange"), {"start": "2026-01-01"}),
        (f("x", "datetimerange"), {"start": 10, "end": 10}),
        (f("x", "datetimerange"), {"start": -1, "end": 10}),
        (f("x", "select", options=["a"]), "b"),
        (f("x", "multiselect", options=["a"]), ["a", "z"]),
        (f("x", "people"), [1, 2]),
        (f("x", "people", multiple=True), [0]),
        (f("x", "people", multiple=True), [2**63]),
        (f("x", "people"), [99]),
        (f("x", "department"), [5]),
        (f("x", "attachment"), ["../etc"]),
        (f("x", "attachment"), ["a"] * 10),
        (f("x", "image"), ["unknown"]),
        (f("x", "table", columns=[f("y", "money")]), [{"y": -5}]),
        (f("x", "table", columns=[f("y", "money")]), [{"z": 1}]),
        (f("x", "table", columns=[f("y", "money")]), [{"y": 1}] * 51),
    ],
)
def test_bad_values_are_refused_naming_the_field(field: dict[str, Any], value: Any) -> None:
    where = refused(form(field), {"x": value}, member_ids={1, 2}, department_ids={1}, file_ids={"a"})
    assert where.startswith("x")


def test_unknown_keys_and_bad_forms() -> None:
    assert refused(form(f("x", "text")), {"y": "1"}) == "y"
    for bad in (
        {"fields": []},
        {"fields": [f("x", "text"), f("x", "text")]},
        {"fields": [f("1x", "text")]},
        {"fields": [f("x", "nope")]},
        {"fields": [f("x", "select")]},
        {"fields": [f("x", "number", min=5, max=1)]},
        {"fields": [f("x", "table", columns=[f("y", "table", columns=[f("z", "text")])])]},
        {"fields": [f("x", "table", columns=[f("y", "text")], total_of="y")]},
        {"fields": [f(f"k{i}", "text", summary=True) for i in range(4)]},
    ):
        with pytest.raises(Invalid):
            fields.check_form(bad)


def directory(**extra: Any) -> flows.Directory:
    # applicant 10 in a team led by nobody, under a department led by 20, under one led by 30 and 31.
    base: dict[str, Any] = {
        "applicant_id": 10,
        "leader_chain": [[], [20], [], [30, 31]],
        "roles": {1: [40, 41], 2: []},
        "department_leaders": {5: [50]},
        "admins": [1, 2],
    }
    return flows.Directory(**{**base, **extra})


LEAVE = builtin.templates(1, 2)[0]
EXPENSE = builtin.templates(1, 2)[1]


def people(resolved: flows.Resolved) -> list[list[int]]:
    return [step.user_ids for step in resolved.steps]


def test_leaders_skip_empty_levels_and_fall_back_to_an_admin() -> None:
    one = {"kind": "leader", "level": 1}
    assert flows.approver_ids(one, directory()) == [20]
    assert flows.approver_ids({"kind": "leader", "level": 2}, directory()) == [30, 31]
    assert flows.approver_ids({"kind": "leader", "level": 3}, directory()) == []
    # The applicant leads their own team: their leader is the next one up.
    assert flows.approver_ids(one, directory(leader_chain=[[10], [20]])) == [20]
    flow = {"steps": [{"approvers": [{"kind": "leader", "level": 3}], "mode": "any"}], "cc": []}
    resolved = flows.resolve(flow, {"fields": []}, {}, directory())
    assert people(resolved) == [[1]] and resolved.steps[0].fallback
    # An admin applicant is not their own fallback.
    assert people(flows.resolve(flow, {"fields": []}, {}, directory(applicant_id=1))) == [[2]]


def test_roles_department_leaders_users_and_cc() -> None:
    flow = {
        "steps": [
            {
                "approvers": [{"kind": "role", "role_id": 1}, {"kind": "user", "user_id": 40}],
                "mode": "all",
                "cc": [{"kind": "department_leader", "department_id": 5}],
            },
            {"approvers": [{"kind": "role", "role_id": 2}], "mode": "any"},
        ],
        "cc": [{"kind": "user", "user_id": 10}, {"kind": "user", "user_id": 60}],
    }
    resolved = flows.resolve(flow, {"fields": []}, {}, directory())
    assert people(resolved) == [[40, 41], [1]]  # an empty role falls back to an admin
    assert resolved.steps[0].cc == [50] and resolved.cc == [60]  # the applicant is not copied


def test_conditions_leave_days_and_expense_total() -> None:
    leave_values = {"leave_type": "年假", "period": {"start": "2026-12-01", "end": "2026-12-02"}}
    assert people(flows.resolve(LEAVE["flow"], LEAVE["form"], leave_values, directory())) == [[20]]
    leave_values["period"]["end"] = "2026-12-03"
    assert people(flows.resolve(LEAVE["flow"], LEAVE["form"], leave_values, directory())) == [[20], [40, 41]]
    small = {"lines": [{"category": "其他", "amount": 500000}]}
    assert len(flows.resolve(EXPENSE["flow"], EXPENSE["form"], small, directory()).steps) == 2
    large = {"lines": [{"category": "其他", "amount": 500000}, {"category": "其他", "amount": 1}]}
    assert people(flows.resolve(EXPENSE["flow"], EXPENSE["form"], large, directory())) == [
        [20],
        [30, 31],
        [1],
    ]
    form_ = form(f("s", "select", options=["a", "b"]), f("ms", "multiselect", options=["a", "b"]))
    assert flows.holds({"field": "s", "op": "in", "value": ["a"]}, form_, {"s": "a"})
    assert flows.holds({"field": "ms", "op": "in", "value": ["b"]}, form_, {"ms": ["a", "b"]})
    assert flows.holds({"field": "s", "op": "!=", "value": "a"}, form_, {})
    assert not flows.holds({"field": "s", "op": "==", "value": "a"}, form_, {})


def test_flow_definitions_are_checked() -> None:
    for builtin_template in builtin.templates(1, 2):
        flows.check_flow(builtin_template["flow"], builtin_template["form"])
    bad_flows = [
        {"steps": []},
        {"steps": [{"approvers": [], "mode": "any"}]},
        {"steps": [{"approvers": [{"kind": "leader"}], "mode": "any"}]},
        {"steps": [{"approvers": [{"kind": "boss", "level": 1}], "mode": "any"}]},
        {"steps": [{"approvers": [{"kind": "leader", "level": 1}], "mode": "some"}]},
        {
            "steps": [
                {
                    "approvers": [{"kind": "leader", "level": 1}],
                    "mode": "any",
                    "when": [{"field": "x", "op": ">", "value": 1}],
                }
            ]
        },
        {
            "steps": [
                {
                    "approvers": [{"kind": "leader", "level": 1}],
                    "mode": "any",
                    "when": [{"field": "reason", "op": ">", "value": 1}],
                }
            ]
        },
        {
            "steps": [
                {
                    "approvers": [{"kind": "leader", "level": 1}],
                    "mode": "any",
                    "when": [{"field": "reason", "op": "in", "value": []}],
                }
            ]
        },
    ]
    for bad in bad_flows:
        with pytest.raises(Invalid):
            flows.check_flow(bad, LEAVE["form"])


def state(*steps: tuple[str, list[int]], auto: bool = True) -> machine.State:
    return machine.State(
        applicant_id=10,
        steps=[
            machine.Step(name=f"s{i}", mode=mode, tasks=[machine.Task(u) for u in users])
            for i, (mode, users) in enumerate(steps)
        ],
        auto_applicant=auto,
        auto_repeat=auto,
    )


def test_machine_any_all_auto_and_ends() -> None:
    s = state(("any", [1, 2]), ("all", [3, 4]), ("any", [3, 10]))
    assert [e.kind for e in machine.start(s, 1)] == ["started"]
    assert machine.current_approvers(s) == [1, 2]
    machine.approve(s, 2, 2)
    assert [t.status for t in s.steps[0].tasks] == ["cancelled", "approved"]
    with pytest.raises(machine.NotAllowed):
        machine.approve(s, 1, 3)
    machine.approve(s, 3, 4)
    assert machine.current_approvers(s) == [4] and s.status == "pending"
    effects = machine.approve(s, 4, 5)
    # The last step: 3 approved before and 10 is the applicant: both skip themselves.
    assert s.status == "approved" and [e.kind for e in effects] == ["auto", "finished"]
    with pytest.raises(machine.NotAllowed):
        machine.withdraw(s, 10, 6)

    r = state(("any", [1]), ("any", [2]))
    machine.start(r, 1)
    machine.return_(r, 1, 2, "改")
    assert r.status == "returned" and r.steps[1].status == "cancelled"
    machine.resubmit(r, 10, [machine.Step(name="x", mode="any", tasks=[machine.Task(2)])], 3)
    assert machine.current_approvers(r) == [2]
    machine.reject(r, 2, 4, "不行")
    assert r.status == "rejected"


def test_machine_transfer_and_add_approvers() -> None:
    s = state(("all", [1, 2]))
    machine.start(s, 1)
    machine.transfer(s, 1, 5, 2)
    assert machine.current_approvers(s) == [2, 5]
    with pytest.raises(machine.NotAllowed):
        machine.transfer(s, 2, 5, 3)
    machine.add_approvers(s, 2, [7], "before", "any", 3)
    assert machine.current_approvers(s) == [7] and [st.name for st in s.steps] == ["加签", "s0"]
    machine.approve(s, 7, 4)
    assert machine.current_approvers(s) == [2, 5]
    machine.add_approvers(s, 2, [8], "after", "any", 5)
    machine.approve(s, 2, 6)
    machine.approve(s, 5, 7)
    assert machine.current_approvers(s) == [8]
    machine.approve(s, 8, 8)
    assert s.status == "approved"
    with pytest.raises(machine.NotAllowed):
        machine.add_approvers(state(("any", [1])), 1, [1], "after", "any", 1)
