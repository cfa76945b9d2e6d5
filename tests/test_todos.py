"""To-dos (待办): made from scratch, from a message the creator can see or from a DING (its
receivers the default assignees); done per assignee and for everyone; my lists with overdue first
and the badge; edited and deleted by the creator only; invisible to everyone else; work notices on
assignment and once per reminder time."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from lakeside.domain import cards
from lakeside.domain.tokens import now_ms
from lakeside.services.todos import todo_card
from tests.conftest import Person, error_code
from tests.test_organizations import company
from tests.test_work_notices import notice_conversation

HOUR = 3_600_000


def base(org: dict[str, Any]) -> str:
    return f"/api/v1/orgs/{org['id']}/todos"


async def make(person: Person, org: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"title": "整理季度报表", **fields}
    response = await person.post(base(org), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def listed(person: Person, org: dict[str, Any], **params: Any) -> tuple[list[int], int, int]:
    response = await person.get(base(org), params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    return [t["id"] for t in page["todos"]], page["open"], page["overdue"]


async def notices(person: Person) -> list[dict[str, Any]]:
    conversation = await notice_conversation(person)
    response = await person.get(f"/api/v1/conversations/{conversation['id']}/messages")
    return [m["card"] for m in response.json()["messages"]]


async def test_done_by_each_assignee_and_for_everyone(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    due = now_ms() + 2 * HOUR
    todo = await make(
        zhangsan,
        org,
        description="**本周五**前交给财务",
        assignee_ids=[lisi.id, wangwu.id],
        due_at=due,
        priority="high",
    )
    assert todo["source"] == "scratch" and todo["creator_name"] == "张三"
    assert "<strong>本周五</strong>" in todo["html"]
    assert [(a["user_id"], a["done_at"]) for a in todo["assignees"]] == [(lisi.id, None), (wangwu.id, None)]
    assert await listed(lisi, org) == ([todo["id"]], 1, 0)
    assert await listed(zhangsan, org) == ([], 0, 0)  # not assigned to the creator
    assert await listed(zhangsan, org, box="created") == ([todo["id"]], 0, 0)
    summary = (await lisi.get(f"{base(org)}/summary")).json()
    assert summary == {"open": 1, "overdue": 0}

    done = (await lisi.post(f"{base(org)}/{todo['id']}/done")).json()
    assert done["done_at"] is None and done["assignees"][0]["done_at"] is not None
    assert await listed(lisi, org) == ([], 0, 0)
    assert await listed(lisi, org, done="true") == ([todo["id"]], 0, 0)
    assert await listed(wangwu, org) == ([todo["id"]], 1, 0)
    finished = (await wangwu.post(f"{base(org)}/{todo['id']}/done", json={})).json()
    assert finished["done_at"] is not None
    assert await listed(zhangsan, org, box="created", done="true") == ([todo["id"]], 0, 0)

    # Open again for one: the to-do is open again.
    reopened = (await lisi.post(f"{base(org)}/{todo['id']}/undone")).json()
    assert reopened["done_at"] is None and reopened["assignees"][1]["done_at"] is not None
    # Only the creator closes it for everyone; an assignee who tries is refused.
    response = await lisi.post(f"{base(org)}/{todo['id']}/done", json={"everyone": True})
    assert response.status_code == 403 and error_code(response) == "NOT_TODO_CREATOR"
    response = await zhangsan.post(f"{base(org)}/{todo['id']}/done")
    assert response.status_code == 403 and error_code(response) == "NOT_TODO_ASSIGNEE"
    closed = (await zhangsan.post(f"{base(org)}/{todo['id']}/done", json={"everyone": True})).json()
    assert closed["done_at"] is not None and all(a["done_at"] for a in closed["assignees"])


async def test_lists_put_overdue_first_and_filter(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    now = now_ms()
    later = await make(zhangsan, org, title="下周", assignee_ids=[lisi.id], due_at=now + 48 * HOUR)
    undated = await make(zhangsan, org, title="随时", assignee_ids=[lisi.id])
    overdue = await make(zhangsan, org, title="昨天", assignee_ids=[lisi.id], due_at=now - 24 * HOUR)
    soon = await make(
        zhangsan, org, title="明天", assignee_ids=[lisi.id], due_at=now + 24 * HOUR, priority="urgent"
    )
    assert await listed(lisi, org) == ([overdue["id"], soon["id"], later["id"], undated["id"]], 4, 1)
    assert (await listed(lisi, org, priority="urgent"))[0] == [soon["id"]]
    assert (await listed(lisi, org, limit=2, offset=2))[0] == [later["id"], undated["id"]]
    # Without assignees the creator is the assignee.
    mine = await make(lisi, org, title="自己的事")
    assert [a["user_id"] for a in mine["assignees"]] == [lisi.id]
    response = await lisi.get(base(org), params={"box": "all"})
    assert response.status_code == 422


async def test_boundaries(people: dict[str, Person]) -> None:
    zhangsan, lisi, alice = people["zhangsan"], people["lisi"], people["alice"]
    org = await company(zhangsan, [lisi])
    other = await company(alice, [], name="西溪贸易")
    now = now_ms()
    for body, code in [
        ({"title": ""}, "INVALID_NAME"),
        ({"title": "   "}, "INVALID_NAME"),
        ({"title": "长" * 201}, "INVALID_NAME"),
        ({"title": "a\u200bb"}, "INVALID_NAME"),
        ({"title": "x", "description": "y" * 20_000}, "INVALID_DESCRIPTION"),
        ({"title": "x", "description": "a\x07b"}, "INVALID_DESCRIPTION"),
        ({"title": "x", "remind_at": now - 1000}, "REMINDER_IN_PAST"),
        ({"title": "x", "due_at": 5}, "INVALID_TIME"),
        ({"title": "x", "due_at": now + 20 * 365 * 86_400_000}, "INVALID_TIME"),
        ({"title": "x", "assignee_ids": [alice.id]}, "ASSIGNEE_NOT_MEMBER"),
        ({"title": "x", "assignee_ids": list(range(1, 150))}, "TOO_MANY_ASSIGNEES"),
        ({"title": "x", "message_id": 1, "ding_id": 1}, "TWO_SOURCES"),
    ]:
        response = await zhangsan.post(base(org), json=body)
        assert response.status_code == 422 and error_code(response) == code, (body, response.text)
    for raw in (
        '{"title": "a\\u0000b"}',
        '{"title": "a\\ud800b"}',
        '{"title": "x", "description": "\\udfff"}',
        '{"title": "x", "priority": "low"}',
        '{"title": "x", "due_at": 99999999999999999999}',
        '{"title": "x", "assignee_ids": [0]}',
        '{"title": "x", "colour": "red"}',
    ):
        response = await zhangsan.http.post(
            base(org), content=raw.encode(), headers={**zhangsan.headers, "content-type": "application/json"}
        )
        assert response.status_code == 422, (raw, response.text)
    # A due time in the past is taken (a to-do written down late): it is overdue at once.
    late = await make(zhangsan, org, due_at=now - HOUR)
    assert (await listed(zhangsan, org))[2] == 1
    # Other organizations' ids are nothing here, and this one's are nothing there.
    response = await alice.get(f"{base(org)}/{late['id']}")
    assert response.status_code == 404 and error_code(response) == "ORG_NOT_FOUND"
    response = await alice.get(f"{base(other)}/{late['id']}")
    assert response.status_code == 404 and error_code(response) == "TODO_NOT_FOUND"
    for path in (f"{base(org)}/{2**63}", f"{base(org)}/0", f"{base(org)}/x"):
        assert (await zhangsan.get(path)).status_code == 422
    response = await zhangsan.get(f"{base(org)}/{2**62}")
    assert response.status_code == 404 and error_code(response) == "TODO_NOT_FOUND"


async def test_from_a_message_only_when_the_creator_sees_it(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    org = await company(zhangsan, [lisi, wangwu])
    group = await lisi.post("/api/v1/conversations", json={"title": "项目群", "member_ids": [wangwu.id]})
    assert group.status_code == 201, group.text
    sent = await lisi.post(
        f"/api/v1/conversations/{group.json()['id']}/messages",
        json={"client_msg_id": "t1", "body": "请王五明天把合同发给客户\n附件在群文件里"},
    )
    message = sent.json()
    draft = await wangwu.get(f"{base(org)}/draft", params={"message_id": message["id"]})
    assert draft.status_code == 200, draft.text
    assert draft.json()["title"] == "请王五明天把合同发给客户"
    assert draft.json()["description"].endswith("附件在群文件里")
    assert sorted(c["user_id"] for c in draft.json()["candidates"]) == sorted([lisi.id, wangwu.id])
    todo = await make(
        wangwu, org, title="发合同", message_id=message["id"], assignee_ids=[wangwu.id, lisi.id]
    )
    assert (todo["source"], todo["message_id"], todo["conversation_id"]) == (
        "message",
        message["id"],
        group.json()["id"],
    )
    # 张三 is not in the group: he cannot see the message, so he cannot make a to-do of it.
    for response in (
        await zhangsan.get(f"{base(org)}/draft", params={"message_id": message["id"]}),
        await zhangsan.post(base(org), json={"title": "x", "message_id": message["id"]}),
        await alice.post(base(org), json={"title": "x", "message_id": message["id"]}),
    ):
        assert response.status_code == 404, response.text
    assert error_code(await zhangsan.post(base(org), json={"title": "x", "message_id": message["id"]})) == (
        "MESSAGE_NOT_FOUND"
    )
    # A recalled message is no to-do.
    recall = await lisi.post(f"/api/v1/messages/{message['id']}/recall")
    assert recall.status_code == 200, recall.text
    response = await lisi.post(base(org), json={"title": "x", "message_id": message["id"]})
    assert response.status_code == 422 and error_code(response) == "NOT_TODOABLE"


async def test_from_a_ding_its_receivers_are_the_assignees(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    org = await company(zhangsan, [lisi, wangwu])
    ding = await zhangsan.post(
        f"/api/v1/orgs/{org['id']}/dings",
        json={"recipient_ids": [lisi.id, wangwu.id], "body": "下午三点前提交报销单"},
    )
    assert ding.status_code == 201, ding.text
    ding_id = ding.json()["id"]
    draft = (await zhangsan.get(f"{base(org)}/draft", params={"ding_id": ding_id})).json()
    assert (draft["title"], draft["assignee_ids"]) == ("下午三点前提交报销单", [lisi.id, wangwu.id])
    assert sorted(c["user_id"] for c in draft["candidates"]) == sorted([zhangsan.id, lisi.id, wangwu.id])
    todo = await make(zhangsan, org, title=draft["title"], ding_id=ding_id)
    assert todo["source"] == "ding" and todo["ding_id"] == ding_id
    assert [a["user_id"] for a in todo["assignees"]] == [lisi.id, wangwu.id]
    # A receiver is not shown who else received the DING: their to-do of it is theirs.
    draft = (await lisi.get(f"{base(org)}/draft", params={"ding_id": ding_id})).json()
    assert draft["assignee_ids"] == [lisi.id]
    assert sorted(c["user_id"] for c in draft["candidates"]) == sorted([zhangsan.id, lisi.id])
    own = await make(lisi, org, title="交报销单", ding_id=ding_id)
    assert [a["user_id"] for a in own["assignees"]] == [lisi.id]
    for person in (alice,):
        response = await person.get(f"{base(org)}/draft", params={"ding_id": ding_id})
        assert response.status_code == 404
    other = await company(alice, [], name="西溪贸易")
    response = await alice.post(base(other), json={"title": "x", "ding_id": ding_id})
    assert response.status_code == 404 and error_code(response) == "DING_NOT_FOUND"


async def test_only_those_involved_see_it_and_the_creator_edits(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = people["zhangsan"], people["lisi"], people["wangwu"], people["alice"]
    org = await company(zhangsan, [lisi, wangwu, alice])
    todo = await make(lisi, org, assignee_ids=[wangwu.id])
    url = f"{base(org)}/{todo['id']}"
    for person in (zhangsan, alice):  # the owner is no exception
        response = await person.get(url)
        assert response.status_code == 404 and error_code(response) == "TODO_NOT_FOUND"
        assert (await person.post(f"{url}/done", json={"everyone": True})).status_code == 404
    response = await wangwu.patch(url, json={"title": "改"})
    assert response.status_code == 403 and error_code(response) == "NOT_TODO_CREATOR"
    assert (await wangwu.delete(url)).status_code == 403

    changed = await lisi.patch(
        url, json={"title": "整理Q3报表", "assignee_ids": [alice.id], "priority": "urgent", "due_at": None}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["priority"]) == ("整理Q3报表", "urgent")
    assert [a["user_id"] for a in changed.json()["assignees"]] == [alice.id]
    assert (await wangwu.get(url)).status_code == 404  # taken off: no longer visible
    assert (await alice.get(url)).status_code == 200
    cards = await notices(alice)
    assert cards[-1]["blocks"][0]["title"] == "整理Q3报表"
    response = await lisi.patch(url, json={"assignee_ids": []})
    assert response.status_code == 422 and error_code(response) == "NO_ASSIGNEES"

    # A departed assignee loses it.
    await zhangsan.post(f"/api/v1/orgs/{org['id']}/members/{alice.id}/deactivate")
    response = await alice.get(url)
    assert response.status_code == 404 and error_code(response) == "ORG_NOT_FOUND"

    assert (await lisi.delete(url)).status_code == 200
    assert (await lisi.get(url)).status_code == 404
    assert await listed(lisi, org, box="created") == ([], 0, 0)


async def test_notices_on_assignment_and_once_per_reminder_time(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    services = app.state.services
    now = now_ms()
    todo = await make(
        zhangsan,
        org,
        title="提交周报",
        assignee_ids=[zhangsan.id, lisi.id, wangwu.id],
        due_at=now + 2 * HOUR,
        remind_at=now + HOUR,
    )
    assigned = await notices(lisi)
    assert len(assigned) == 1
    section, buttons = assigned[0]["blocks"]
    assert section["pretext"] == "张三 给你分配了待办" and section["title_url"] == f"/#/todos/{todo['id']}"
    action = buttons["buttons"][0]["action"]
    assert action["path"] == f"{base(org)}/{todo['id']}/done"
    # The creator is not told of what they assigned themselves.
    listed_convs = (await zhangsan.get("/api/v1/conversations", params={"limit": 200})).json()[
        "conversations"
    ]
    assert not [c for c in listed_convs if c["kind"] == "notice"]

    assert await services.todos.remind_due(now + HOUR - 1) == 0
    # The card's button, as the web client calls it: lisi is done, and is not reminded.
    clicked = await lisi.post(action["path"], json=action["body"])
    assert clicked.status_code == 200, clicked.text
    assert await services.todos.remind_due(now + HOUR + 1) == 1
    assert await services.todos.remind_due(now + HOUR + 2) == 0  # once per reminder time
    assert len(await notices(lisi)) == 1
    reminded = await notices(wangwu)
    assert [c["blocks"][0]["pretext"] for c in reminded] == ["张三 给你分配了待办", "待办提醒"]
    assert len(await notices(zhangsan)) == 1

    # A new reminder time is due again; a done or deleted to-do is not reminded.
    await zhangsan.patch(f"{base(org)}/{todo['id']}", json={"remind_at": now + 3 * HOUR})
    assert await services.todos.remind_due(now + 3 * HOUR) == 1
    assert len(await notices(wangwu)) == 3
    await zhangsan.patch(f"{base(org)}/{todo['id']}", json={"remind_at": now + 4 * HOUR})
    await zhangsan.post(f"{base(org)}/{todo['id']}/done", json={"everyone": True})
    assert await services.todos.remind_due(now + 5 * HOUR) == 0
    gone = await make(zhangsan, org, assignee_ids=[wangwu.id], remind_at=now + HOUR)
    await zhangsan.delete(f"{base(org)}/{gone['id']}")
    assert await services.todos.remind_due(now + 6 * HOUR) == 0


async def test_the_todo_tables_match_their_migration(app: FastAPI) -> None:
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
        if "todo" in repr(diff)
        # SQLite does not report the name of a column-level constraint; the reference is there.
        and not (isinstance(diff, tuple) and diff[0] in ("add_fk", "remove_fk"))
    ]
    assert relevant == []


def test_the_notice_card_is_a_trusted_card_with_a_done_button() -> None:
    view = {
        "id": 5,
        "organization_id": 1,
        "title": "提交报销单",
        "description": "x" * 2000,
        "priority": "urgent",
        "due_at": 1_765_432_800_000,  # 2025-12-11 14:00 in China
        "creator_name": "张三",
    }
    card = todo_card(view, "待办提醒", zone="Asia/Shanghai", now=1_765_000_000_000)
    built = cards.build(card, trusted=True)
    section, buttons = built["blocks"]
    assert section["fields"] == [
        {"title": "优先级", "value": "紧急", "short": True},
        {"title": "截止", "value": "12月11日 14:00", "short": True},
    ]
    assert len(section["text"]) == 1000
    assert buttons["buttons"][0]["action"] == {
        "path": "/api/v1/orgs/1/todos/5/done",
        "body": {},
        "done": "已完成",
    }
    assert buttons["buttons"][1]["url"] == "/#/todos/5"


async def test_the_last_two_assignees_done_at_once_finish_it(people: dict[str, Person]) -> None:
    """Each marks only their own row, but the to-do's done time depends on all of them: the to-do's
    row is locked while one assignee's mark settles it, so two at once cannot both see the other
    still open (write skew) and leave it open."""
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    org = await company(zhangsan, [lisi, wangwu])
    for _ in range(3):
        todo = await make(zhangsan, org, assignee_ids=[lisi.id, wangwu.id])
        url = f"{base(org)}/{todo['id']}/done"
        answers = await asyncio.gather(lisi.post(url), wangwu.post(url))
        assert [a.status_code for a in answers] == [200, 200]
        final = (await zhangsan.get(f"{base(org)}/{todo['id']}")).json()
        assert final["done_at"] is not None, final


async def test_the_todo_endpoints_are_documented(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    operations = {
        (method, path): operation
        for path, ops in paths.items()
        if path.startswith("/api/v1/orgs/{org_id}/todos")
        for method, operation in ops.items()
    }
    assert len(operations) == 9
    for key, operation in operations.items():
        assert operation["tags"] == ["todos"], key
        assert operation.get("description"), key
        assert "$ref" in str(operation["responses"]), key  # a declared response model


async def test_two_reminder_rounds_at_once_remind_once(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    now = now_ms()
    await make(zhangsan, org, assignee_ids=[lisi.id], remind_at=now + HOUR)
    rounds = await asyncio.gather(*(app.state.services.todos.remind_due(now + HOUR) for _ in range(3)))
    assert sum(rounds) == 1
    assert [c["blocks"][0]["pretext"] for c in await notices(lisi)] == ["张三 给你分配了待办", "待办提醒"]
