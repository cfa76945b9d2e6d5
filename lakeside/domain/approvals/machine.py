"""The state machine of an approval request, as pure transitions on its state.

A request is ``pending`` while its steps run, ``returned`` when an approver sent it back to the
applicant (who resubmits it: ``pending`` again, the flow from its first step), and ends
``approved`` (every step approved), ``rejected`` or ``withdrawn`` (by the applicant). An ended
request never changes again.

Steps run one at a time, in order. The running step is ``pending`` and its tasks are ``pending``;
later steps and their tasks are ``waiting``. An any-of step (或签) is approved by one approval, an
all-of step (会签) by all of its tasks. When a step starts, the tasks of the applicant (when
``auto_applicant``) and of people who approved an earlier step (when ``auto_repeat``) approve
themselves (``auto_approved``).

Every transition takes the state and returns what happened (``Effect``s), changing the state in
place; it raises ``NotAllowed`` for an action the state does not allow. The service loads the
state, applies one transition and writes the rows that changed, each with a conditional UPDATE on
its old status, so that two writers never both move the same task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PENDING, RETURNED, APPROVED, REJECTED, WITHDRAWN = "pending", "returned", "approved", "rejected", "withdrawn"
FINAL = frozenset({APPROVED, REJECTED, WITHDRAWN})
STATUSES = (PENDING, RETURNED, APPROVED, REJECTED, WITHDRAWN)

# Task and step statuses.
WAITING, CANCELLED, TRANSFERRED, AUTO = "waiting", "cancelled", "transferred", "auto_approved"
DONE_TASK = frozenset({APPROVED, AUTO})


class NotAllowed(Exception):
    """The action does not apply to the request as it is (someone acted first, it ended…)."""


@dataclass
class Task:
    user_id: int
    status: str = WAITING
    id: int | None = None
    comment: str = ""
    acted_at: int | None = None


@dataclass
class Step:
    name: str
    mode: str  # any, all
    tasks: list[Task]
    status: str = WAITING
    id: int | None = None
    origin: str = "flow"  # flow, added
    cc: list[int] = field(default_factory=list)


@dataclass
class State:
    applicant_id: int
    steps: list[Step]
    status: str = PENDING
    auto_applicant: bool = True
    auto_repeat: bool = True


@dataclass(frozen=True)
class Effect:
    """What happened: ``started`` (a step began: ``users`` to ask), ``auto`` (``users``' tasks
    approved themselves), ``cc`` (``users`` copied), ``finished`` (the request ended as ``status``)."""

    kind: str
    step: int | None = None  # index into State.steps
    users: tuple[int, ...] = ()
    status: str | None = None


def current(state: State) -> int | None:
    """The index of the running step, or None."""
    for index, step in enumerate(state.steps):
        if step.status == PENDING:
            return index
    return None


def current_approvers(state: State) -> list[int]:
    index = current(state)
    if index is None or state.status != PENDING:
        return []
    return [t.user_id for t in state.steps[index].tasks if t.status == PENDING]


def _step_done(step: Step) -> bool:
    live = [t for t in step.tasks if t.status not in (TRANSFERRED, CANCELLED)]
    if step.mode == "any":
        return any(t.status in DONE_TASK for t in live)
    return bool(live) and all(t.status in DONE_TASK for t in live)


def _approved_before(state: State, index: int) -> set[int]:
    return {t.user_id for step in state.steps[:index] for t in step.tasks if t.status == APPROVED}


def _close_step(step: Step, status: str) -> None:
    step.status = status
    for task in step.tasks:
        if task.status in (PENDING, WAITING):
            task.status = CANCELLED


def _advance(state: State, start: int, now: int, effects: list[Effect]) -> None:
    """Start steps from ``start`` on, letting auto-approvals run, until one waits for people or the
    request is approved."""
    index = start
    while index < len(state.steps):
        step = state.steps[index]
        step.status = PENDING
        auto_users = set()
        if state.auto_applicant:
            auto_users.add(state.applicant_id)
        if state.auto_repeat:
            auto_users |= _approved_before(state, index)
        skipped = []
        for task in step.tasks:
            if task.status == WAITING:
                task.status = PENDING
            if task.status == PENDING and task.user_id in auto_users:
                task.status = AUTO
                task.acted_at = now
                skipped.append(task.user_id)
        if skipped:
            effects.append(Effect("auto", index, tuple(skipped)))
        if _step_done(step):
            _close_step(step, APPROVED)
            if step.cc:
                effects.append(Effect("cc", index, tuple(step.cc)))
            index += 1
            continue
        effects.append(Effect("started", index, tuple(t.user_id for t in step.tasks if t.status == PENDING)))
        return
    state.status = APPROVED
    effects.append(Effect("finished", None, (), APPROVED))


def start(state: State, now: int) -> list[Effect]:
    """A new (or resubmitted) request: its first step starts."""
    if any(step.status != WAITING for step in state.steps):
        raise NotAllowed("The flow has started.")
    state.status = PENDING
    effects: list[Effect] = []
    _advance(state, 0, now, effects)
    return effects


def _my_task(state: State, actor: int) -> tuple[int, Task]:
    if state.status != PENDING:
        raise NotAllowed("The request is not waiting for approval.")
    index = current(state)
    if index is None:
        raise NotAllowed("The request is not waiting for approval.")
    for task in state.steps[index].tasks:
        if task.user_id == actor and task.status == PENDING:
            return index, task
    raise NotAllowed("Nothing is waiting for you on this request.")


def approve(state: State, actor: int, now: int, comment: str = "") -> list[Effect]:
    index, task = _my_task(state, actor)
    task.status, task.comment, task.acted_at = APPROVED, comment, now
    effects: list[Effect] = []
    step = state.steps[index]
    if _step_done(step):
        _close_step(step, APPROVED)
        if step.cc:
            effects.append(Effect("cc", index, tuple(step.cc)))
        _advance(state, index + 1, now, effects)
    return effects


def _end_at(state: State, index: int, task: Task, status: str, comment: str, now: int) -> None:
    task.status, task.comment, task.acted_at = status, comment, now
    _close_step(state.steps[index], status)
    for step in state.steps[index + 1 :]:
        _close_step(step, CANCELLED)


def reject(state: State, actor: int, now: int, reason: str) -> list[Effect]:
    index, task = _my_task(state, actor)
    _end_at(state, index, task, REJECTED, reason, now)
    state.status = REJECTED
    return [Effect("finished", index, (), REJECTED)]


def return_(state: State, actor: int, now: int, comment: str = "") -> list[Effect]:
    """Back to the applicant: the request waits for a resubmission (with a fresh flow)."""
    index, task = _my_task(state, actor)
    _end_at(state, index, task, RETURNED, comment, now)
    state.status = RETURNED
    return []


def resubmit(state: State, actor: int, steps: list[Step], now: int) -> list[Effect]:
    """The applicant sends a returned request again; ``steps`` (all waiting) replace the old ones."""
    if actor != state.applicant_id or state.status != RETURNED:
        raise NotAllowed("Only the applicant resubmits a returned request.")
    state.steps = steps
    return start(state, now)


def withdraw(state: State, actor: int, now: int) -> list[Effect]:
    if actor != state.applicant_id:
        raise NotAllowed("Only the applicant withdraws a request.")
    if state.status not in (PENDING, RETURNED):
        raise NotAllowed("The request has ended.")
    for step in state.steps:
        if step.status in (PENDING, WAITING):
            _close_step(step, CANCELLED)
    state.status = WITHDRAWN
    return [Effect("finished", None, (), WITHDRAWN)]


def transfer(state: State, actor: int, to: int, now: int, comment: str = "") -> list[Effect]:
    """The actor's task passes to ``to`` (who must not already be asked at this step)."""
    index, task = _my_task(state, actor)
    step = state.steps[index]
    if to == actor or any(t.user_id == to and t.status in (PENDING, *DONE_TASK) for t in step.tasks):
        raise NotAllowed("They are already an approver of this step.")
    task.status, task.comment, task.acted_at = TRANSFERRED, comment, now
    step.tasks.append(Task(user_id=to, status=PENDING))
    return [Effect("started", index, (to,))]


def add_approvers(
    state: State, actor: int, users: list[int], position: str, mode: str, now: int, comment: str = ""
) -> list[Effect]:
    """加签: a new step of ``users`` before the current one (the actor decides after them) or after it."""
    index, task = _my_task(state, actor)
    users = list(dict.fromkeys(users))
    if not users or actor in users:
        raise NotAllowed("Add someone other than yourself.")
    added = Step(name="加签", mode=mode, tasks=[Task(user_id=u) for u in users], origin="added")
    effects: list[Effect] = []
    if position == "before":
        current_step = state.steps[index]
        current_step.status = WAITING
        for other in current_step.tasks:
            if other.status == PENDING:
                other.status = WAITING
        state.steps.insert(index, added)
        _advance(state, index, now, effects)
    else:
        task.comment = comment
        state.steps.insert(index + 1, added)
    return effects
