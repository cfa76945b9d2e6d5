"""The approval request's state machine, model-based: a hypothesis state machine drives the real
API (on SQLite and on PostgreSQL) with approvals — one at a time, and all of a step's approvers at
once, each of them twice — rejections, returns, resubmissions, withdrawals and approvals by people
who are not asked, against a model of a few lines, and checks after every step that:

- the request's status and its current approvers are the model's;
- exactly one transition happened per actor: of concurrent approvals of an all-of step each
  approver succeeds once (their second try is refused), of an any-of step exactly one succeeds;
- no step is skipped: every step before the current one is approved, by one task (any-of) or by
  all of them (all-of), and none after it has started;
- the request ends at most once (one ``finish`` in its history, only when it has ended).

Each example files a new request on a template whose flow hypothesis draws (1-3 steps, any-of or
all-of, one to four approvers each, no one in two steps, no automatic approval).
``LAKESIDE_MODEL_EXAMPLES`` (default 8) sets how many runs are tried per engine.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import Person
from tests.test_organizations import company

EXAMPLES = int(os.environ.get("LAKESIDE_MODEL_EXAMPLES", "8"))
APPROVERS = 4  # approver indexes 0..3; the applicant is someone else


@dataclass
class Model:
    steps: list[tuple[str, list[int]]]  # (mode, approver indexes)
    status: str = "pending"
    current: int = 0
    approved: set[int] = field(default_factory=set)  # who approved the current step

    def waiting_for(self) -> list[int]:
        if self.status != "pending":
            return []
        mode, users = self.steps[self.current]
        if mode == "any":
            return list(users)
        return [u for u in users if u not in self.approved]

    def approve(self, who: int) -> None:
        self.approved.add(who)
        mode, users = self.steps[self.current]
        if mode == "any" or set(users) <= self.approved:
            self.current += 1
            self.approved = set()
            if self.current == len(self.steps):
                self.status = "approved"


@st.composite
def flows(draw: st.DrawFn) -> list[tuple[str, list[int]]]:
    """1-3 steps, any-of or all-of, over disjoint approvers (so that a concurrent approval of one
    step can only ever land on that step)."""
    order = draw(st.permutations(range(APPROVERS)))
    count = draw(st.integers(1, 3))
    cuts = sorted(
        draw(st.lists(st.integers(1, APPROVERS - 1), min_size=count - 1, max_size=count - 1, unique=True))
    )
    bounds = [0, *cuts, APPROVERS]
    groups = [list(order[a:b]) for a, b in itertools.pairwise(bounds)]
    return [
        (draw(st.sampled_from(["any", "all"])), group[: draw(st.integers(1, len(group)))]) for group in groups
    ]


class Approvals(RuleBasedStateMachine):
    """Runs in a worker thread; every call goes to the test's event loop."""

    loop: asyncio.AbstractEventLoop
    base: str
    admin: Person
    applicant: Person
    approvers: list[Person]

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    @initialize(steps=flows())
    def file_request(self, steps: list[tuple[str, list[int]]]) -> None:
        self.model = Model(steps=steps)
        spec = {
            "name": "模型审批",
            "form": {"fields": [{"key": "what", "type": "text", "label": "事项", "required": True}]},
            "flow": {
                "steps": [
                    {
                        "name": f"第{i + 1}步",
                        "mode": mode,
                        "approvers": [{"kind": "user", "user_id": self.approvers[u].id} for u in users],
                    }
                    for i, (mode, users) in enumerate(steps)
                ]
            },
            "settings": {"auto_approve_applicant": False, "auto_approve_repeat": False},
        }
        template = self.call(self.admin.post(f"{self.base}/approval-templates", json=spec))
        assert template.status_code == 201, template.text
        self.template_id = template.json()["id"]
        response = self.call(
            self.applicant.post(
                f"{self.base}/approvals", json={"template_id": self.template_id, "values": {"what": "x"}}
            )
        )
        assert response.status_code == 201, response.text
        self.request_id = response.json()["id"]
        self.url = f"{self.base}/approvals/{self.request_id}"

    def post(self, who: Person, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.call(who.post(f"{self.url}/{action}", json=body or {}))

    @precondition(lambda self: self.model.status == "pending")
    @rule(data=st.data())
    def approve_one(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self.model.waiting_for()))
        response = self.post(self.approvers[who], "approve")
        assert response.status_code == 200, response.text
        self.model.approve(who)

    @precondition(lambda self: self.model.status == "pending")
    @rule()
    def approve_all_at_once_twice(self) -> None:
        """Every approver of the current step approves, twice each, all at the same moment."""
        waiting = self.model.waiting_for()
        mode, _ = self.model.steps[self.model.current]
        callers = [who for who in waiting for _ in range(2)]

        async def together() -> list[httpx.Response]:
            return list(
                await asyncio.gather(
                    *(self.approvers[who].post(f"{self.url}/approve", json={}) for who in callers)
                )
            )

        responses = self.call(together())
        assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
        winners = [who for who, r in zip(callers, responses, strict=True) if r.status_code == 200]
        if mode == "any":
            assert len(winners) == 1, winners  # one approval settles an any-of step
        else:
            assert sorted(winners) == sorted(waiting), winners  # each approver exactly once
        for who in winners:
            self.model.approve(who)

    @precondition(lambda self: self.model.status == "pending")
    @rule(data=st.data())
    def outsider_cannot_approve(self, data: st.DataObject) -> None:
        asked = set(self.model.waiting_for())
        others = [i for i in range(APPROVERS) if i not in asked]
        if not others:
            return
        who = data.draw(st.sampled_from(others))
        response = self.post(self.approvers[who], "approve")
        assert response.status_code in (404, 409), response.text

    @precondition(lambda self: self.model.status == "pending")
    @rule(data=st.data(), action=st.sampled_from(["reject", "return"]))
    def reject_or_return(self, data: st.DataObject, action: str) -> None:
        who = data.draw(st.sampled_from(self.model.waiting_for()))
        body = {"reason": "不行"} if action == "reject" else {"comment": "改一下"}
        response = self.post(self.approvers[who], action, body)
        assert response.status_code == 200, response.text
        self.model.status = "rejected" if action == "reject" else "returned"

    @precondition(lambda self: self.model.status == "returned")
    @rule()
    def resubmit(self) -> None:
        response = self.post(self.applicant, "resubmit", {"values": {"what": "改好了"}})
        assert response.status_code == 200, response.text
        self.model = Model(steps=self.model.steps)

    @precondition(lambda self: self.model.status in ("pending", "returned"))
    @rule()
    def withdraw(self) -> None:
        response = self.post(self.applicant, "withdraw")
        assert response.status_code == 200, response.text
        self.model.status = "withdrawn"

    @precondition(lambda self: self.model.status in ("approved", "rejected", "withdrawn"))
    @rule(action=st.sampled_from(["approve", "withdraw", "resubmit"]))
    def an_ended_request_stays_ended(self, action: str) -> None:
        who = self.applicant if action != "approve" else self.approvers[0]
        body = {"values": {"what": "x"}} if action == "resubmit" else {}
        response = self.post(who, action, body)
        assert response.status_code in (404, 409), response.text

    @invariant()
    def the_server_agrees(self) -> None:
        if not hasattr(self, "url"):
            return
        detail = self.call(self.applicant.get(self.url)).json()
        model = self.model
        assert detail["status"] == model.status
        ids = [self.approvers[i].id for i in model.waiting_for()]
        assert sorted(p["user_id"] for p in detail["current_approvers"]) == sorted(ids)
        finishes = [h for h in detail["history"] if h["action"] == "finish"]
        assert len(finishes) == (1 if model.status in ("approved", "rejected", "withdrawn") else 0)
        if model.status in ("pending", "approved"):
            steps = detail["steps"]
            assert len(steps) == len(model.steps)
            done = model.current
            for step in steps[:done]:  # no step skipped
                approved = [t for t in step["tasks"] if t["status"] == "approved"]
                assert step["status"] == "approved"
                if step["mode"] == "any":
                    assert len(approved) == 1
                else:
                    assert len(approved) == len(step["tasks"])
            for step in steps[done + 1 :]:
                assert step["status"] == "waiting"
                assert all(t["status"] == "waiting" for t in step["tasks"])
            # One transition per actor: nobody decided a task twice.
            for step in steps:
                deciders = [t["user_id"] for t in step["tasks"] if t["acted_at"] is not None]
                assert len(deciders) == len(set(deciders))


async def test_request_state_machine_against_a_model(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, bob, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob", "mallory")
    )
    org = await company(zhangsan, [lisi, wangwu, alice, bob, mallory])

    class Bound(Approvals):
        pass

    Bound.loop = asyncio.get_running_loop()
    Bound.base = f"/api/v1/orgs/{org['id']}"
    Bound.admin = zhangsan
    Bound.applicant = mallory
    Bound.approvers = [lisi, wangwu, alice, bob]
    Bound.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    await asyncio.to_thread(run_state_machine_as_test, Bound, settings=Bound.TestCase.settings)


async def test_concurrent_approvals_settle_once(people: dict[str, Person]) -> None:
    """Four approvers of an all-of step, then of an any-of step, each approving three times at
    the same moment: every all-of approver succeeds once, the any-of step once in all, the request
    is approved once."""
    zhangsan, lisi, wangwu, alice, bob, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob", "mallory")
    )
    org = await company(zhangsan, [lisi, wangwu, alice, bob, mallory])
    base = f"/api/v1/orgs/{org['id']}"
    four = [lisi, wangwu, alice, bob]
    spec = {
        "name": "会签再或签",
        "form": {"fields": [{"key": "what", "type": "text", "label": "事项"}]},
        "flow": {
            "steps": [
                {"mode": "all", "approvers": [{"kind": "user", "user_id": p.id} for p in four]},
                {"mode": "any", "approvers": [{"kind": "user", "user_id": p.id} for p in four]},
            ]
        },
        "settings": {"auto_approve_applicant": False, "auto_approve_repeat": False},
    }
    template = (await zhangsan.post(f"{base}/approval-templates", json=spec)).json()
    filed = await mallory.post(f"{base}/approvals", json={"template_id": template["id"], "values": {}})
    url = f"{base}/approvals/{filed.json()['id']}"

    async def storm() -> list[tuple[int, int]]:
        calls = [p for p in four for _ in range(3)]
        responses = await asyncio.gather(*(p.post(f"{url}/approve", json={}) for p in calls))
        return [(p.id, r.status_code) for p, r in zip(calls, responses, strict=True)]

    first = await storm()
    wins = [uid for uid, code in first if code == 200]
    assert {code for _, code in first} <= {200, 409}
    # All four approve the all-of step once each; the any-of step may take one more win (whoever
    # came after the all-of step closed).
    assert len(wins) in (4, 5) and {p.id for p in four} <= set(wins)
    if len(wins) == 4:
        second = await storm()
        assert sorted(code for _, code in second) == [200] + [409] * 11
    detail = (await mallory.get(url)).json()
    assert detail["status"] == "approved"
    assert [h["action"] for h in detail["history"]].count("finish") == 1
    all_of, any_of = detail["steps"]
    assert [t["status"] for t in all_of["tasks"]] == ["approved"] * 4
    assert sorted(t["status"] for t in any_of["tasks"]) == ["approved"] + ["cancelled"] * 3
