"""The demo workspace: what ``lakeside demo`` seeds, seen through the API as its users would see it."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from fastapi import FastAPI

from lakeside.demo import ADMIN, CHATS, DEMO_PASSWORD, USERS, Chat, friendships, seed_demo
from lakeside.errors import Conflict
from tests.conftest import Person, register


async def log_in(client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> Person:
    response = await client.post("/api/v1/auth/login", json={"login": username, "password": password})
    assert response.status_code == 200, (username, response.text)
    body = response.json()
    return Person(client, body["token"], body["user"])


async def conversations_of(person: Person) -> list[dict]:
    response = await person.get("/api/v1/conversations", params={"limit": 200})
    assert response.status_code == 200, response.text
    return list(response.json()["conversations"])


def chat_titled(title: str) -> Chat:
    return next(chat for chat in CHATS if chat.title == title)


def test_the_script_is_consistent() -> None:
    """Checks that need no database: a broken script should fail here, not halfway through a seed."""
    usernames = [username for username, _ in USERS]
    assert usernames[0] == ADMIN and len(set(usernames)) == len(usernames) == 30
    pairs = friendships()
    degree = Counter(name for pair in pairs for name in pair)
    assert degree[ADMIN] == 29
    for username in usernames[1:]:
        assert 4 <= degree[username] <= 12, (username, degree[username])
    friends = {frozenset(pair) for pair in pairs}
    for chat in CHATS:
        assert set(chat.members) <= set(usernames)
        opener, *others = chat.members
        # Direct chats open only between friends; a group's creator may only add friends.
        assert all(frozenset((opener, other)) in friends for other in others), chat.title or chat.members
        if chat.title is None:
            assert len(chat.members) == 2 and 3 <= len(chat.lines) <= 15
        else:
            assert 4 <= len(chat.members) <= 8 and 10 <= len(chat.lines) <= 30
        for index, line in enumerate(chat.lines):
            assert line.sender in chat.members
            assert line.reply_to is None or 0 <= line.reply_to < index
            assert all(set(people) <= set(chat.members) for people in line.reactions.values())
            assert len(line.body.encode()) < 16 * 1024


async def test_demo_workspace(app: FastAPI, client: httpx.AsyncClient) -> None:
    """One seed per backend (a seed is a few hundred transactions), then each view of it in turn."""
    result = await seed_demo(app.state.services)
    assert result.created is True
    assert len(result.logins) == 30 and result.logins[0] == (ADMIN, "管理员", DEMO_PASSWORD)
    assert "30 users" in result.summary and f"{len(CHATS)} conversations" in result.summary
    assert f"Log in as admin / {DEMO_PASSWORD}" in result.summary
    await check_logins(client, result.logins)
    admin = await log_in(client, ADMIN)
    await check_admin_view(admin)
    await check_group_history(await log_in(client, "zhaolei"), chat_titled("产品研发部"))
    await check_seeding_again_changes_nothing(app, admin, result.logins)


async def check_logins(client: httpx.AsyncClient, logins: list[tuple[str, str, str]]) -> None:
    for username, name, password in logins:
        person = await log_in(client, username, password)
        assert person.profile["display_name"] == name
        assert person.profile["is_admin"] is (username == ADMIN)
        # The seeder's own sessions are gone: only the one just opened remains.
        sessions = (await person.get("/api/v1/auth/sessions")).json()
        assert [s["current"] for s in sessions] == [True], username


async def check_admin_view(admin: Person) -> None:
    friends = (await admin.get("/api/v1/friends")).json()
    assert len(friends) == 29
    everything = await conversations_of(admin)
    # The company's organization groups come on top of the scripted chats.
    company = [c for c in everything if c["kind"] in ("org_all", "department")]
    assert any(c["kind"] == "org_all" and c["title"] == "湖畔科技" for c in company)
    orgs = (await admin.get("/api/v1/orgs")).json()
    org = next(o for o in orgs if o["name"] == "湖畔科技")
    assert org["member_count"] >= 60
    # Approvals: a leave the team's leader approved waits for HR, where the admin sits.
    box = (await admin.get(f"/api/v1/orgs/{org['id']}/approvals", params={"box": "pending"})).json()
    assert [a["template_name"] for a in box["approvals"]] == ["请假"]
    assert len((await admin.get(f"/api/v1/orgs/{org['id']}/approval-templates")).json()["templates"]) == 5
    listed = [c for c in everything if c["kind"] in ("group", "direct")]
    mine = [chat for chat in CHATS if ADMIN in chat.members]
    assert len(listed) == len(mine)
    assert {c["kind"] for c in listed} == {"group", "direct"}
    assert all(c["last_message"] and c["last_message"]["body"] for c in listed)
    # Conversations are listed in the order the script seeds them, newest first, with badges.
    expected = [chat.title or next(m for m in chat.members if m != ADMIN) for chat in reversed(mine)]
    assert [c["title"] or c["peer"]["username"] for c in listed] == expected
    assert listed[0]["title"] == "Lakeside launch 🚀" and listed[0]["unread"] == 3
    for chat, view in zip(reversed(mine), listed, strict=True):
        assert view["unread"] == chat.unread.get(ADMIN, 0), expected
        assert view["member_count"] == len(chat.members)
        assert view["last_seq"] == len(chat.lines) + (chat.title is not None)  # groups open with a notice
    assert sum(c["unread"] for c in listed) > 0


async def check_group_history(member: Person, chat: Chat) -> None:
    view = next(c for c in await conversations_of(member) if c["title"] == chat.title)
    response = await member.get(f"/api/v1/conversations/{view['id']}/messages", params={"limit": 200})
    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    assert [m["seq"] for m in messages] == list(range(1, len(chat.lines) + 2))
    assert messages[0]["kind"] == "system"  # the group's creation
    history = messages[1:]
    assert [m["body"] for m in history] == [line.body for line in chat.lines]
    assert [m["kind"] for m in history] == ["markdown" if line.markdown else "text" for line in chat.lines]
    for line, message in zip(chat.lines, history, strict=True):
        if line.reply_to is not None:
            assert message["reply_to"]["seq"] == history[line.reply_to]["seq"]
        assert {r["emoji"]: r["count"] for r in message["reactions"]} == {
            emoji: len(people) for emoji, people in line.reactions.items()
        }
        if line.markdown:
            assert message["html"] and "<script" not in message["html"]
    minutes = next(m for m in history if m["body"].startswith("会议纪要"))
    assert "<strong>异步</strong>" in minutes["html"]
    assert member.id in minutes["mentions"]
    assert messages[0]["sender_id"] == minutes["sender_id"]  # 张伟 created the group and took the minutes


async def check_seeding_again_changes_nothing(
    app: FastAPI, admin: Person, logins: list[tuple[str, str, str]]
) -> None:
    before = await conversations_of(admin)
    friends_before = (await admin.get("/api/v1/friends")).json()
    again = await seed_demo(app.state.services)
    assert again.created is False
    assert again.logins == logins
    assert "exists already" in again.summary and f"admin / {DEMO_PASSWORD}" in again.summary
    assert await conversations_of(admin) == before
    assert (await admin.get("/api/v1/friends")).json() == friends_before


async def test_a_database_with_other_accounts_is_left_alone(app: FastAPI, client: httpx.AsyncClient) -> None:
    boss = await register(client, "boss", "老板")
    with pytest.raises(Conflict) as refused:
        await seed_demo(app.state.services)
    assert refused.value.code == "DATABASE_NOT_EMPTY"
    response = await client.post("/api/v1/auth/login", json={"login": ADMIN, "password": DEMO_PASSWORD})
    assert response.status_code == 401
    assert await conversations_of(boss) == []
