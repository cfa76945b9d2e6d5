"""Approval flows: their check, and their resolution into the people of each step for one applicant.

A flow is ``{"steps": [step, …], "cc": [approver, …]}`` (lakeside.api.approvals ``FlowIn``). An
approver names a person (``user``), the applicant's N-th level leader (``leader``: 1 = 直属主管), a
role's members (``role``) or a department's leaders (``department_leader``). A step is in the flow
when all its conditions (``when``) hold on the submitted values.

Resolution is pure: the service gathers the ``Directory`` (the applicant's chain of leaders, the
roles, departments' leaders, the admins) and ``resolve`` does the rest.

Leaders: the chain starts at the applicant's department and climbs to the root; at each department
its leaders other than the applicant form a level; departments with none are skipped (so the
"second-level leader" of someone in a department without a leader is the one above). A level that
does not exist, or a step that finds nobody, falls back to the organization's admins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakeside.domain.approvals.fields import NUMERIC, condition_value, field_by_key
from lakeside.errors import Invalid

KINDS = frozenset({"user", "leader", "role", "department_leader"})
OPS = frozenset({">", ">=", "<", "<=", "==", "!=", "in"})
MAX_APPROVERS_PER_STEP = 50


@dataclass
class Directory:
    """What resolving a flow needs to know of the organization, for one applicant."""

    applicant_id: int
    # Leaders of the applicant's department, its parent, … up to the root (nearest first); may hold
    # empty lists for departments without a leader.
    leader_chain: list[list[int]] = field(default_factory=list)
    roles: dict[int, list[int]] = field(default_factory=dict)
    department_leaders: dict[int, list[int]] = field(default_factory=dict)
    admins: list[int] = field(default_factory=list)


@dataclass
class ResolvedStep:
    name: str
    mode: str
    user_ids: list[int]
    cc: list[int]
    fallback: bool = False  # nobody was found: the admins stand in


@dataclass
class Resolved:
    steps: list[ResolvedStep]
    cc: list[int]


def _bad_flow(message: str) -> Invalid:
    return Invalid(message, code="INVALID_FLOW")


def check_flow(flow: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """The flow's definition, checked against its form; raises ``Invalid`` (``INVALID_FLOW``)."""
    steps = flow.get("steps")
    if not isinstance(steps, list) or not steps:
        raise _bad_flow("A flow has at least one step.")
    for index, step in enumerate(steps):
        if step.get("mode") not in ("any", "all"):
            raise _bad_flow(f"Step {index + 1}: mode is any or all.")
        if not step.get("approvers"):
            raise _bad_flow(f"Step {index + 1}: who approves?")
        for approver in [*step["approvers"], *step.get("cc", [])]:
            _check_approver(approver, f"Step {index + 1}")
        for condition in step.get("when", []):
            _check_condition(condition, form, f"Step {index + 1}")
    for approver in flow.get("cc", []):
        _check_approver(approver, "CC")
    return flow


def _check_approver(approver: dict[str, Any], where: str) -> None:
    kind = approver.get("kind")
    needed = {"user": "user_id", "leader": "level", "role": "role_id", "department_leader": "department_id"}
    if kind not in KINDS:
        raise _bad_flow(f"{where}: no approver kind {kind!r}.")
    if approver.get(needed[kind]) is None:
        raise _bad_flow(f"{where}: a {kind} approver needs {needed[kind]}.")


def _check_condition(condition: dict[str, Any], form: dict[str, Any], where: str) -> None:
    key = condition.get("field")
    field_ = field_by_key(form, key) if isinstance(key, str) else None
    if field_ is None:
        raise _bad_flow(f"{where}: the condition names no field {key!r}.")
    op, value = condition.get("op"), condition.get("value")
    if op not in OPS:
        raise _bad_flow(f"{where}: no operator {op!r}.")
    if op == "in":
        if not isinstance(value, list) or not value:
            raise _bad_flow(f"{where}: 'in' takes a list.")
    elif op in (">", ">=", "<", "<="):
        numeric = field_["type"] in NUMERIC or field_["type"] in ("daterange", "datetimerange", "table")
        if not numeric or isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad_flow(f"{where}: {key} {op} needs a numeric field and a number.")


def holds(condition: dict[str, Any], form: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether one condition holds; a missing value satisfies nothing but ``!=``."""
    actual = condition_value(form, values, condition["field"])
    op, expected = condition["op"], condition.get("value")
    if actual is None:
        return op == "!="
    if op == "in":
        wanted = expected if isinstance(expected, list) else [expected]
        if isinstance(actual, list):
            return any(item in wanted for item in actual)
        return actual in wanted
    if op == "==":
        return bool(actual == expected or (isinstance(actual, list) and expected in actual))
    if op == "!=":
        return bool(actual != expected and not (isinstance(actual, list) and expected in actual))
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    if isinstance(expected, bool) or not isinstance(expected, int | float):
        return False
    if op == ">":
        return actual > expected
    if op == ">=":
        return actual >= expected
    if op == "<":
        return actual < expected
    return actual <= expected


def leader_levels(directory: Directory) -> list[list[int]]:
    """The applicant's leaders, level by level, empty levels skipped and the applicant left out."""
    levels = []
    for leaders in directory.leader_chain:
        others = [uid for uid in leaders if uid != directory.applicant_id]
        if others:
            levels.append(others)
    return levels


def approver_ids(approver: dict[str, Any], directory: Directory) -> list[int]:
    kind = approver["kind"]
    if kind == "user":
        return [approver["user_id"]]
    if kind == "leader":
        levels = leader_levels(directory)
        level = approver["level"]
        return list(levels[level - 1]) if level <= len(levels) else []
    if kind == "role":
        return list(directory.roles.get(approver["role_id"], []))
    return list(directory.department_leaders.get(approver["department_id"], []))


def _people(approvers: list[dict[str, Any]], directory: Directory) -> list[int]:
    found: list[int] = []
    for approver in approvers:
        found.extend(approver_ids(approver, directory))
    return list(dict.fromkeys(found))


def _fallback(directory: Directory) -> list[int]:
    others = [uid for uid in directory.admins if uid != directory.applicant_id]
    return sorted(others or directory.admins)[:1]


def resolve(
    flow: dict[str, Any], form: dict[str, Any], values: dict[str, Any], directory: Directory
) -> Resolved:
    """The steps whose conditions hold, each with the people who approve it, and who is copied."""
    steps: list[ResolvedStep] = []
    for index, step in enumerate(flow["steps"]):
        if not all(holds(condition, form, values) for condition in step.get("when", [])):
            continue
        people = _people(step["approvers"], directory)[:MAX_APPROVERS_PER_STEP]
        fallback = not people
        if fallback:
            people = _fallback(directory)
        if not people:
            continue  # an organization with no admin at all: nobody to ask
        cc = _people(step.get("cc", []), directory)
        steps.append(
            ResolvedStep(
                name=step.get("name") or f"审批 {index + 1}",
                mode=step["mode"],
                user_ids=people,
                cc=cc,
                fallback=fallback,
            )
        )
    cc = _people(flow.get("cc", []), directory)
    return Resolved(steps=steps, cc=[uid for uid in cc if uid != directory.applicant_id])


def referenced(flow: dict[str, Any]) -> tuple[set[int], set[int], set[int]]:
    """The user ids, role ids and department ids a flow names (the service checks they exist)."""
    users: set[int] = set()
    roles: set[int] = set()
    departments: set[int] = set()
    approvers = [a for step in flow["steps"] for a in (*step["approvers"], *step.get("cc", []))]
    for approver in [*approvers, *flow.get("cc", [])]:
        if approver["kind"] == "user":
            users.add(approver["user_id"])
        elif approver["kind"] == "role":
            roles.add(approver["role_id"])
        elif approver["kind"] == "department_leader":
            departments.add(approver["department_id"])
    return users, roles, departments
