"""The authorization matrix, enforced: every operation of the OpenAPI document is called as every
role of tests/authz_matrix.py, in one fixture world per backend (tests/authz_world.py), and must
answer what the matrix says — and a refused call must carry nothing of what it protects. An
operation without a row fails, naming it (default deny). Then: who receives each declared event
type (lakeside/domain/events), and what a member loses, at once and everywhere, when removed."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from lakeside.app import build_app
from lakeside.client import LakesideClient
from lakeside.config import Settings
from lakeside.domain.events import EVENTS, Event
from lakeside.domain.events.messaging import MessageEvent
from lakeside.services.growth.ledger import budget_key, wallet_key
from tests.authz_matrix import ALLOW, MATRIX, OUTSIDERS, Case
from tests.authz_world import (
    ORG_NAME,
    ROLES,
    SECRET_MARKERS,
    Preparations,
    World,
    build_world,
    ogg,
    outbound_world,
    png,
)
from tests.conftest import BACKENDS, befriend, own_database, register, report_figures
from tests.live import running_server

# Denied roles first, so that a call that consumes its object (the member revoking their own
# session) comes after every refusal of it.
CALL_ORDER = ("logged_out", "other_org", "non_member", "external", "deactivated", "member", "admin", "owner")


@pytest.fixture(scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> AsyncIterator[tuple[FastAPI, World]]:
    data_dir = tmp_path_factory.mktemp("authz")
    async with own_database(request.param, data_dir, sqlite_template, "lakeside_authz") as url:
        settings = Settings(
            data_dir=data_dir,
            database_url=url,
            secret_key="test-secret",
            migrate_on_start=False,
            password_hash_time_cost=1,
            password_hash_memory_kib=1024,
            sqlite_synchronous="NORMAL",  # survives a process crash; the world need not survive power loss
            rate_limits_enabled=False,  # the matrix makes many calls from one address on purpose
            referral_inviter_reward_fen=100,  # so a sign-up through a code pays a red packet (wallet event)
            export_worker_interval_seconds=0,  # exports stay queued until a test builds them
            outbound_worker_interval_seconds=0,  # the tests drive the outbound queue themselves
        )
        app = build_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4242))
            async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
                built = await build_world(http)
                await outbound_world(app.state.services, built)
                yield app, built


def operations(app: FastAPI) -> list[tuple[str, str]]:
    return [(method, path) for path, ops in app.openapi()["paths"].items() for method in ops]


async def call(world: World, prep: Preparations, method: str, template: str, case: Case, role: str) -> Any:
    caller = world.caller(role)
    extra = await getattr(prep, f"prep_{case.prepare}")(role, caller) if case.prepare else {}
    caller = extra.get("caller", caller)
    values = {**world.ids, **extra.get("values", {})}
    url = template.format(**values)
    body = extra.get("body", case.body(world, role, caller) if callable(case.body) else case.body)
    headers = caller.headers if caller is not None else {}
    kwargs: dict[str, Any] = {"headers": headers, "params": {**case.query, **extra.get("query", {})}}
    if case.upload:
        kwargs["files"] = {"file": ("upload.png", png(), "image/png")}
    elif body is not None:
        kwargs["json"] = body
    return await world.http.request(method.upper(), url, **kwargs)


def verdict(response: httpx.Response, expected: str, role: str, case: Case) -> str | None:
    """None when the answer is what the matrix says; else what is wrong."""
    status = response.status_code
    if expected == ALLOW:
        if not 200 <= status < 300:
            return f"expected allow, got {status} {response.text[:200]}"
    elif expected.startswith("refused:"):
        code = response.json().get("error", {}).get("code") if status >= 400 else None
        if code != expected.split(":", 1)[1]:
            return f"expected {expected}, got {status} {response.text[:200]}"
    else:
        if str(status) != expected:
            return f"expected {expected}, got {status} {response.text[:200]}"
        payload = response.json()
        if set(payload) != {"error"} or not set(payload["error"]) <= {"code", "message"}:
            return f"a refusal with more than an error: {response.text[:200]}"
    if role in (*OUTSIDERS, "logged_out") and not case.public_data:
        leaked = [marker for marker in SECRET_MARKERS if marker in response.text]
        if leaked:
            return f"{status} leaks {leaked}"
    return None


async def test_every_operation_answers_every_role_as_the_matrix_says(world: tuple[FastAPI, World]) -> None:
    app, w = world
    ops = operations(app)
    missing = [f"{method.upper()} {path}" for method, path in ops if (method, path) not in MATRIX]
    assert not missing, (
        "operations without a row in tests/authz_matrix.py (default deny: say who may call them): "
        + ", ".join(missing)
    )
    stale = sorted(set(MATRIX) - set(ops))
    assert not stale, f"rows for operations that no longer exist: {stale}"

    prep = Preparations(w)
    failures: list[str] = []
    tally: Counter[str] = Counter()
    for method, template in ops:
        case = MATRIX[(method, template)]
        assert set(case.expect) == set(ROLES), f"{method.upper()} {template}: a role is missing"
        for role in CALL_ORDER:
            expected = case.expect[role]
            response = await call(w, prep, method, template, case, role)
            tally[expected.split(":")[0]] += 1
            problem = verdict(response, expected, role, case)
            if problem:
                failures.append(f"{method.upper()} {template} as {role}: {problem}")
    cells = sum(tally.values())
    report_figures(
        f"authorization matrix [{app.state.services.ctx.db.dialect}]: {len(ops)} operations x "
        f"{len(ROLES)} roles = {cells} cells; {dict(tally)}"
    )
    if os.environ.get("AUTHZ_REPORT"):  # a file to read the differences from when editing the matrix
        await asyncio.to_thread(Path(os.environ["AUTHZ_REPORT"]).write_text, "\n".join(failures))
    assert not failures, f"{len(failures)} of {cells} cells differ:\n" + "\n".join(failures)


# -- events: who receives each declared event type ----------------------------------------------

IN_A = frozenset({"owner", "admin", "member"})
MEMBER = frozenset({"member"})
# (type, op) -> the roles that receive it when the actions below happen. Nobody else may: every
# event of A reaches A's active members only, and outsiders receive nothing of it.
EVENT_RECIPIENTS: dict[tuple[str, str], frozenset[str]] = {
    ("message", "created"): IN_A,
    ("message", "edited"): IN_A,
    ("message", "recalled"): IN_A,
    ("message", "reaction"): IN_A,
    ("conversation", "created"): IN_A,
    ("conversation", "updated"): IN_A,
    ("conversation", "removed"): frozenset(),  # to the removed newcomer only
    ("conversation", "settings"): MEMBER,
    ("draft", "updated"): MEMBER,
    ("member", "added"): IN_A,
    ("member", "removed"): IN_A,
    ("member", "role"): IN_A,
    ("receipt", "read"): frozenset({"owner", "member"}),  # the reader, and the sender of what was read
    ("friend_request", "created"): MEMBER,
    ("friend_request", "accepted"): MEMBER,
    ("friend_request", "declined"): MEMBER,
    ("friend_request", "cancelled"): MEMBER,
    ("friend", "added"): MEMBER,
    ("friend", "removed"): MEMBER,
    ("friend", "updated"): MEMBER,
    ("block", "added"): MEMBER,
    ("block", "removed"): MEMBER,
    ("user", "updated"): MEMBER,
    ("session", "revoked"): MEMBER,
    ("organization", "joined"): frozenset(),  # to the newcomer only
    ("organization", "removed"): frozenset(),  # to the newcomer only
    ("organization", "updated"): IN_A,
    ("org_member", "added"): IN_A,
    ("org_member", "removed"): IN_A,
    ("org_member", "updated"): IN_A,
    ("org_member", "role"): IN_A,
    ("department", "created"): IN_A,
    ("department", "updated"): IN_A,
    ("department", "deleted"): IN_A,
    ("join_request", "created"): frozenset({"owner", "admin"}),
    ("join_request", "decided"): frozenset(),  # to the applicant only
    ("org_invitation", "received"): frozenset(),  # to the holder of the e-mail address only
    ("ding", "created"): frozenset({"owner", "admin", "member"}),  # two DINGs: to the member, to the owner
    ("ding", "scheduled"): frozenset({"admin"}),
    ("ding", "cancelled"): frozenset({"admin"}),
    ("ding", "confirmed"): frozenset({"admin", "member"}),
    ("ding", "renotified"): frozenset({"owner"}),
    ("ding", "attempt"): frozenset({"admin"}),
    ("announcement", "published"): IN_A,
    ("announcement", "updated"): IN_A,
    ("announcement", "deleted"): IN_A,
    ("announcement", "read"): frozenset({"admin", "member"}),  # the reader and the author
    # The applicant (member), the approver (owner) and the admin (transferred to, added).
    ("approval", "updated"): frozenset({"owner", "admin", "member"}),
    ("approval_template", "updated"): IN_A,
    # A daily report the member writes to the admin: its author and its receiver.
    ("report", "sent"): frozenset({"admin", "member"}),
    ("report", "read"): frozenset({"admin", "member"}),
    ("report", "commented"): frozenset({"admin", "member"}),
    ("report_template", "changed"): IN_A,
    ("campaign", "leaderboard"): IN_A,
    ("wallet", "credited"): MEMBER,  # the inviter's red packet when someone signs up with their code
    ("wallet", "debited"): MEMBER,  # a ledger transfer out of the member's wallet (no product path)
    # Group tools (issue 14): in A's all-staff group, and in the world's plain group of A's people.
    ("message_pin", "added"): IN_A,
    ("message_pin", "removed"): IN_A,
    ("group_notice", "updated"): IN_A,
    ("group_notice", "cleared"): IN_A,
    ("group_notice", "acknowledged"): frozenset({"owner", "admin"}),  # the admin acknowledged
    ("conversation", "mute_all"): IN_A,
    ("member", "muted"): IN_A,
    ("member", "unmuted"): IN_A,
    ("group_join_request", "created"): frozenset({"owner", "admin"}),  # the group's owner and admin
    ("group_join_request", "decided"): frozenset({"owner", "admin"}),  # and the requester
    ("favorite", "added"): MEMBER,
    ("favorite", "removed"): MEMBER,
    ("message", "played"): MEMBER,  # the listener's own devices
    ("export", "updated"): MEMBER,  # the requester's own devices
    ("command", "invoked"): frozenset(),  # to the bot alone, never a person
    ("command", "replied"): MEMBER,  # the bot's ephemeral answer, to the member who invoked it
    # To-dos: the member's, assigned to the admin, done by her, then given to the owner, deleted.
    ("todo", "created"): frozenset({"admin", "member"}),
    ("todo", "updated"): IN_A,
    ("todo", "removed"): frozenset({"admin"}),  # the assignee taken off it
    ("todo", "deleted"): frozenset({"owner", "member"}),
}


def delivered_events() -> set[tuple[str, str]]:
    """Every declared (type, op) that reaches clients (the docs/protocol.md table is generated
    from the same declarations); events addressed to nobody are for workers."""
    return {key for key, cls in EVENTS.items() if cls.audiences != {"nobody"}}


def wire_keys_problem(event: dict[str, Any]) -> str | None:
    """Whether the data of a received event has its declaration's keys, in order (which
    tests/test_events.py holds to the keys clients have always received). Message events carry
    the message itself; a class that builds its own data may leave keys out, never add any."""
    cls = EVENTS[(event["type"], event["op"])]
    if issubclass(cls, MessageEvent):
        return None
    keys, declared = list(event["data"]), list(cls._fields)
    expected = declared if cls.data is Event.data else [k for k in declared if k in keys]
    return None if keys == expected else f"{cls.type}.{cls.op}: data {keys}, declared {declared}"


async def trigger_every_event(app: FastAPI, w: World) -> None:
    """One action (or a few) for each event type, by people of A or by extra accounts."""
    p, ids = w.people, w.ids
    owner, admin, member = p["owner"], p["admin"], p["member"]
    base = f"/api/v1/orgs/{ids['org_id']}"
    c = ids["conversation_id"]
    sent = await ok_json(
        await member.post(
            f"/api/v1/conversations/{c}/messages", json={"client_msg_id": "ev1", "body": "机密内容 e"}
        )
    )
    await ok_json(await member.patch(f"/api/v1/messages/{sent['id']}", json={"body": "机密内容 e2"}))
    await ok_json(await owner.put(f"/api/v1/messages/{sent['id']}/reactions/👍"))
    await ok_json(await owner.post(f"/api/v1/conversations/{c}/read", json={"seq": sent["seq"]}))
    await ok_json(await member.post(f"/api/v1/messages/{sent['id']}/recall"))
    newcomer = await w.fresh_user("新人")
    await befriend(member, newcomer)
    group = await ok_json(
        await member.post(
            "/api/v1/conversations", json={"title": "项目组", "member_ids": [owner.id, admin.id]}
        )
    )
    g = f"/api/v1/conversations/{group['id']}"
    await ok_json(await member.patch(g, json={"title": "项目组 2"}))
    await ok_json(await member.post(f"{g}/members", json={"user_ids": [newcomer.id]}))
    await ok_json(await member.put(f"{g}/members/{admin.id}/role", json={"role": "admin"}))
    await ok_json(await member.delete(f"{g}/members/{newcomer.id}"))
    await ok_json(await member.put(f"{g}/settings", json={"pinned": True}))
    await ok_json(await member.put(f"{g}/draft", json={"text": "机密内容 draft"}))
    one, two, three = [await w.fresh_user() for _ in range(3)]
    request = await ok_json(await member.post("/api/v1/friends/requests", json={"user_id": one.id}))
    await ok_json(await member.post(f"/api/v1/friends/requests/{request['id']}/cancel"))
    request = await ok_json(await two.post("/api/v1/friends/requests", json={"user_id": member.id}))
    await ok_json(await member.post(f"/api/v1/friends/requests/{request['id']}/decline"))
    request = await ok_json(await three.post("/api/v1/friends/requests", json={"user_id": member.id}))
    await ok_json(await member.post(f"/api/v1/friends/requests/{request['id']}/accept"))
    await ok_json(await member.patch(f"/api/v1/friends/{three.id}", json={"remark": "小三"}))
    await ok_json(await member.delete(f"/api/v1/friends/{three.id}"))
    await ok_json(await member.put(f"/api/v1/blocks/{three.id}"))
    await ok_json(await member.delete(f"/api/v1/blocks/{three.id}"))
    await ok_json(await member.patch("/api/v1/me", json={"display_name": "王五"}))
    spare, _ = await w.spare_session(member)
    await ok_json(await member.delete(f"/api/v1/auth/sessions/{spare}"))
    # The organization: a newcomer joins and is removed; settings, roles, profile, departments.
    joiner = await w.fresh_member()
    await ok_json(await owner.put(f"{base}/members/{joiner.id}/role", json={"role": "admin"}))
    await ok_json(await admin.patch(f"{base}/members/{joiner.id}", json={"title": "经理"}))
    await ok_json(await owner.delete(f"{base}/members/{joiner.id}"))
    await ok_json(await owner.patch(base, json={"join_approval": True}))
    applicant = await w.fresh_user()
    filed = await ok_json(await applicant.post(f"/api/v1/org-invitations/{ids['code']}/join", json={}))
    await ok_json(await admin.post(f"{base}/join-requests/{filed['join_request']['id']}/reject"))
    await ok_json(await owner.patch(base, json={"join_approval": False}))
    holder = await register(w.http, w.unique("mail"), "有邮箱", email="holder@example.com")
    await ok_json(await admin.post(f"{base}/contact-invitations", json={"email": "holder@example.com"}))
    del holder
    dept = await ok_json(await admin.post(f"{base}/departments", json={"name": w.unique("事件部")}))
    await ok_json(await admin.patch(f"{base}/departments/{dept['id']}", json={"name": w.unique("事件部")}))
    await ok_json(await admin.delete(f"{base}/departments/{dept['id']}"))
    # DING: sent, confirmed, scheduled and cancelled, re-sent, and one escalation attempt.
    ding = await ok_json(
        await admin.post(f"{base}/dings", json={"recipient_ids": [member.id], "body": "事件DING"})
    )
    await ok_json(await member.post(f"{base}/dings/{ding['id']}/confirm"))
    later = await ok_json(
        await admin.post(
            f"{base}/dings",
            json={"recipient_ids": [member.id], "body": "稍后", "send_at": sent["created_at"] + 86_400_000},
        )
    )
    await ok_json(await admin.delete(f"{base}/dings/{later['id']}"))
    await ok_json(
        await admin.put(f"{base}/ding-policy", json={"app_after_minutes": None, "email_after_minutes": 1})
    )
    urgent = await ok_json(
        await admin.post(f"{base}/dings", json={"recipient_ids": [owner.id], "body": "再提醒"})
    )
    await ok_json(await admin.post(f"{base}/dings/{urgent['id']}/reding"))
    await app.state.services.enterprise.escalation.escalate_due(urgent["sent_at"] + 120_000)
    notice = await ok_json(await admin.post(f"{base}/announcements", json={"title": "事件公告", "body": "x"}))
    await ok_json(await admin.patch(f"{base}/announcements/{notice['id']}", json={"pinned": True}))
    await ok_json(await member.post(f"{base}/announcements/{notice['id']}/read"))
    await ok_json(await admin.delete(f"{base}/announcements/{notice['id']}"))
    report = {
        "template_id": ids["report_template_id"],
        "answers": {"done": "事件日报"},
        "user_ids": [admin.id],
    }
    written = await ok_json(await member.post(f"{base}/reports", json=report))
    await ok_json(await admin.post(f"{base}/reports/{written['id']}/read"))
    await ok_json(await admin.post(f"{base}/reports/{written['id']}/comments", json={"body": "收到"}))
    template = f"{base}/report-templates/{ids['report_template_id']}"
    await ok_json(await admin.patch(template, json={"name": "日报"}))
    # Growth: a campaign's board moves; a sign-up through the member's code pays them a red packet.
    template = (await owner.get("/api/v1/campaign-templates")).json()[0]["spec"]
    await ok_json(await owner.post(f"{base}/campaigns", json={**template, "name": "事件活动"}))
    await app.state.services.leaderboard.run_until_idle()
    await app.state.services.growth.ledger.fund(owner.id, amount_fen=10_000)
    code = await ok_json(await member.post("/api/v1/me/referral-codes", json={}))
    await register(w.http, "invitee_e", "受邀者", invitation_code=code["code"])
    await app.state.services.growth.ledger.transfer(
        from_account=wallet_key(member.id), to_account=budget_key(), amount_fen=1, kind="test"
    )
    # Group tools: a pin and an unpin, a notice the admin acknowledges, cleared; mute-all and a
    # member's mute in the plain group, on and off; a join request decided; a favourite.
    pinned = await ok_json(
        await member.post(
            f"/api/v1/conversations/{c}/messages", json={"client_msg_id": "ev-pin", "body": "置顶"}
        )
    )
    await ok_json(await owner.put(f"/api/v1/conversations/{c}/pins/{pinned['id']}"))
    await ok_json(await admin.delete(f"/api/v1/conversations/{c}/pins/{pinned['id']}"))
    notice = await ok_json(await owner.put(f"/api/v1/conversations/{c}/notice", json={"body": "事件公告"}))
    await ok_json(
        await admin.post(f"/api/v1/conversations/{c}/notice/ack", json={"version": notice["version"]})
    )
    await ok_json(await owner.delete(f"/api/v1/conversations/{c}/notice"))
    team = f"/api/v1/conversations/{ids['group_id']}"
    await ok_json(await admin.put(f"{team}/mute-all", json={"enabled": True}))
    await ok_json(await admin.put(f"{team}/mute-all", json={"enabled": False}))
    await ok_json(await admin.put(f"{team}/members/{member.id}/mute", json={"duration_seconds": 60}))
    await ok_json(await admin.delete(f"{team}/members/{member.id}/mute"))
    await ok_json(await owner.patch(team, json={"join_approval": True}))
    token = (await ok_json(await owner.get(f"{team}/invite-link")))["link"]["token"]
    requester = await w.fresh_user("申请人")
    filed = await ok_json(await requester.post(f"/api/v1/group-invitations/{token}/join", json={}))
    await ok_json(await admin.post(f"{team}/join-requests/{filed['request']['id']}/reject"))
    await ok_json(await owner.patch(team, json={"join_approval": False}))
    favorite = await ok_json(await member.post("/api/v1/favorites", json={"message_id": pinned["id"]}))
    await ok_json(await member.delete(f"/api/v1/favorites/{favorite['id']}"))
    recording = await ok_json(
        await owner.post("/api/v1/files", files={"file": ("v.ogg", ogg(), "audio/ogg")})
    )
    voice = {"client_msg_id": "ev-voice", "kind": "voice", "file_id": recording["id"], "duration_ms": 2000}
    voice_message = await ok_json(await owner.post(f"/api/v1/conversations/{c}/messages", json=voice))
    await ok_json(await member.post(f"/api/v1/messages/{voice_message['id']}/played"))
    # A slash command of A's bot in the plain group, answered to the member alone by the bot.
    invoked = await ok_json(
        await member.post(f"/api/v1/conversations/{ids['group_id']}/commands", json={"command": "deploy"})
    )
    answer = await w.http.post(
        f"/api/v1/commands/{invoked['invocation_id']}/reply",
        headers={"Authorization": f"Bearer {ids['bot_token']}"},
        json={"text": "机密内容 只给你", "ephemeral": True},
    )
    await ok_json(answer)
    # Approvals: a template changed (all of A), a request filed by the member, waiting for the
    # owner, transferred to the admin (its participants).
    base = f"/api/v1/orgs/{ids['org_id']}"
    await ok_json(
        await owner.patch(f"{base}/approval-templates/{ids['template_id']}", json={"description": "通用"})
    )
    filed = await ok_json(
        await member.post(
            f"{base}/approvals",
            json={"template_id": ids["template_id"], "values": {"title": "机密内容", "detail": "x"}},
        )
    )
    admin_id = w.people["admin"].id
    await ok_json(await owner.post(f"{base}/approvals/{filed['id']}/transfer", json={"user_id": admin_id}))
    # A to-do: made by the member for the admin, done by her, reassigned to the owner, deleted.
    todo = await ok_json(
        await member.post(f"{base}/todos", json={"title": "事件待办", "assignee_ids": [admin.id]})
    )
    await ok_json(await admin.post(f"{base}/todos/{todo['id']}/done"))
    await ok_json(await member.patch(f"{base}/todos/{todo['id']}", json={"assignee_ids": [owner.id]}))
    await ok_json(await member.delete(f"{base}/todos/{todo['id']}"))
    # The member's export (the matrix may have queued it already); only hers is built here.
    asked = await member.post("/api/v1/me/exports")
    body = asked.json()
    export_id = body["id"] if asked.status_code == 202 else body["error"]["export_id"]
    assert await app.state.services.exports.do_build(export_id)


async def ok_json(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return dict(response.json())


async def test_each_event_type_reaches_exactly_its_recipients(world: tuple[FastAPI, World]) -> None:
    app, w = world
    declared = delivered_events()
    missing = sorted(declared - set(EVENT_RECIPIENTS))
    assert not missing, f"declared event types without a row here (say who receives them): {missing}"
    assert set(EVENT_RECIPIENTS) == declared, (
        f"rows for undeclared events: {sorted(set(EVENT_RECIPIENTS) - declared)}"
    )
    member = w.people["member"]
    since = (await ok_json(await member.get("/api/v1/sync")))["position"]
    await trigger_every_event(app, w)
    received: dict[str, set[tuple[str, str]]] = {}
    wrong: set[str] = set()
    for role in ROLES:
        if role == "logged_out":
            assert (await w.http.get("/api/v1/sync", params={"since": since})).status_code == 401
            continue
        person = w.people[role]
        got: set[tuple[str, str]] = set()
        position, more = since, True
        while more:
            page = await ok_json(await person.get("/api/v1/sync", params={"since": position, "limit": 1000}))
            got |= {(e["type"], e["op"]) for e in page["events"]}
            wrong |= {problem for e in page["events"] if (problem := wire_keys_problem(e))}
            position, more = page["position"], page["has_more"]
            if role in OUTSIDERS:
                leaked = [m for m in SECRET_MARKERS if m in str(page["events"])]
                assert not leaked, f"{role} received {leaked}"
        received[role] = got
    problems = []
    for event, recipients in sorted(EVENT_RECIPIENTS.items()):
        actual = {role for role, got in received.items() if event in got}
        if actual != set(recipients):
            problems.append(f"{event}: expected {sorted(recipients)}, received by {sorted(actual)}")
    for role in OUTSIDERS:
        assert not received[role], f"{role} received events of organization A: {sorted(received[role])}"
    assert not problems, "\n".join(problems)
    assert not wrong, "\n".join(sorted(wrong))


# -- lost access: removal ends everything at once -------------------------------------------------


async def test_removal_ends_search_history_previews_files_and_the_socket(settings: Settings) -> None:
    """A member removed from the organization (and so from its groups) and from a plain group:
    search, history, the conversation list's previews, downloads and thumbnails stop at once,
    and the open socket gets the removal, then nothing more of those conversations."""
    async with running_server(settings) as url, httpx.AsyncClient(base_url=url) as http:
        owner = await register(http, "zhangsan", "张三")
        victim = await register(http, "wangwu", "王五")
        org = await ok_json(await owner.post("/api/v1/orgs", json={"name": ORG_NAME}))
        base = f"/api/v1/orgs/{org['id']}"
        code = (await ok_json(await owner.post(f"{base}/invitations", json={"kind": "code"})))["code"]
        await ok_json(await victim.post(f"/api/v1/org-invitations/{code}/join", json={}))
        dept = await ok_json(await owner.post(f"{base}/departments", json={"name": "研发中心"}))
        await ok_json(
            await owner.put(f"{base}/departments/{dept['id']}/members/{victim.id}", json={"is_leader": False})
        )
        await befriend(owner, victim)
        plain = await ok_json(
            await owner.post("/api/v1/conversations", json={"title": "外部项目", "member_ids": [victim.id]})
        )
        rooms = [org["all_staff_conversation_id"], plain["id"]]  # with messages and the file
        every_room = [*rooms, dept["conversation_id"]]
        upload = await ok_json(
            await owner.post("/api/v1/files", files={"file": ("secret-file.png", png(), "image/png")})
        )
        for room in rooms:
            messages = f"/api/v1/conversations/{room}/messages"
            await ok_json(
                await owner.post(
                    messages, json={"client_msg_id": f"f{room}", "kind": "image", "file_id": upload["id"]}
                )
            )
            await ok_json(
                await owner.post(messages, json={"client_msg_id": f"m{room}", "body": "机密内容 before"})
            )

        async def sees() -> dict[str, Any]:
            search = await victim.get("/api/v1/search/messages", params={"q": "机密内容"})
            listing = await ok_json(await victim.get("/api/v1/conversations", params={"limit": 200}))
            return {
                "found": {hit["conversation_id"] for hit in (await ok_json(search))["results"]},
                "listed": {c["id"] for c in listing["conversations"]},
                "history": {
                    room: (await victim.get(f"/api/v1/conversations/{room}/messages")).status_code
                    for room in every_room
                },
                "file": (await victim.get(f"/api/v1/files/{upload['id']}")).status_code,
                "thumbnail": (await victim.get(f"/api/v1/files/{upload['id']}/thumbnail")).status_code,
                "listing": str(listing),
            }

        before = await sees()
        assert before["found"] == set(rooms) and set(rooms) <= before["listed"]
        assert before["history"] == dict.fromkeys(every_room, 200)
        assert (before["file"], before["thumbnail"]) == (200, 200)
        assert "机密内容" in before["listing"]  # the previews

        client = LakesideClient(url, token=victim.token)
        try:
            async with client.subscribe() as events:
                await events.wait_connected()
                await ok_json(await owner.delete(f"{base}/members/{victim.id}"))
                await ok_json(await owner.delete(f"/api/v1/conversations/{plain['id']}/members/{victim.id}"))
                removed: set[int] = set()
                while not set(every_room) <= removed:
                    event = await events.next(timeout=10)
                    if (event.get("type"), event.get("op")) == ("conversation", "removed"):
                        removed.add(event["data"]["conversation_id"])
                # Life goes on in both rooms; then a sentinel addressed to the victim alone.
                for room in rooms:
                    messages = f"/api/v1/conversations/{room}/messages"
                    await ok_json(
                        await owner.post(
                            messages, json={"client_msg_id": f"a{room}", "body": "机密内容 after"}
                        )
                    )
                await ok_json(await owner.patch(f"{base}", json={"name": "湖畔集团"}))
                await ok_json(await victim.patch("/api/v1/me", json={"display_name": "王五 (left)"}))
                while True:
                    event = await events.next(timeout=10)
                    assert event.get("conversation_id") not in every_room, f"after removal: {event}"
                    assert "机密内容" not in str(event) and "湖畔集团" not in str(event), event
                    if (event.get("type"), event.get("op")) == ("user", "updated"):
                        break
        finally:
            await client.close()

        after = await sees()
        assert after["found"] == set() and not set(rooms) & after["listed"]
        assert after["history"] == dict.fromkeys(every_room, 404)
        assert (after["file"], after["thumbnail"]) == (404, 404)
        assert "机密内容" not in after["listing"]
        assert (await victim.get(base)).status_code == 404
        replay = await ok_json(await victim.get("/api/v1/sync", params={"since": 0, "limit": 1000}))
        assert not [e for e in replay["events"] if e["conversation_id"] in every_room]
