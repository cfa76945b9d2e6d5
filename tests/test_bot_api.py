"""API bots (api/bots.py, services/bot_accounts.py): accounts made by a person or for an
organization, added to groups by their managers, and scoped tokens — shown once, stored hashed,
deny-by-default on every route (api/scopes.py), held to their conversation allowlist, revoked at
once — and slash commands delivered to the bot alone. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from lakeside.api.scopes import ANY, BOT_ACCESS
from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.domain.bot_scopes import SCOPES, TOKEN_PATTERN
from lakeside.domain.tokens import token_hash
from lakeside.store.tables import bot_tokens
from tests.conftest import Person, error_code
from tests.test_group_tools import events_since, group, kinds, ok, position


class Bot:
    """A bot's token as a client: ``await bot.get(...)``."""

    def __init__(self, http: httpx.AsyncClient, bot_id: int, token: str) -> None:
        self.http = http
        self.id = bot_id
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(url, headers=self.headers, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.post(url, headers=self.headers, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.put(url, headers=self.headers, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.delete(url, headers=self.headers, **kwargs)


ALL = sorted(SCOPES)


async def make_bot(owner: Person, name: str = "值班机器人", **extra: Any) -> dict[str, Any]:
    return dict(await ok(await owner.post("/api/v1/bots", json={"display_name": name, **extra})))


async def issue(
    owner: Person, bot_id: int, scopes: list[str] | None = None, **extra: Any
) -> tuple[str, dict[str, Any]]:
    body = {"name": "ci", "scopes": scopes or ALL, **extra}
    out = await ok(await owner.post(f"/api/v1/bots/{bot_id}/tokens", json=body))
    return out["token"], out


async def bot_in(owner: Person, http: httpx.AsyncClient, *groups: int, **token: Any) -> Bot:
    made = await make_bot(owner)
    for cid in groups:
        await ok(await owner.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": cid}))
    secret, _ = await issue(owner, made["id"], **token)
    return Bot(http, made["id"], secret)


async def say(sender: Person | Bot, cid: int, body: str, **extra: Any) -> httpx.Response:
    import uuid

    payload = {"client_msg_id": uuid.uuid4().hex, "body": body, **extra}
    return await sender.post(f"/api/v1/conversations/{cid}/messages", json=payload)


# -- the route table -------------------------------------------------------------------------------


def test_every_route_has_a_bot_decision() -> None:
    """Every operation of the OpenAPI document says what a bot token may do there (api/scopes.py):
    a new endpoint fails this test until someone decides."""
    app = build_app(Settings(data_dir="/tmp/lakeside-bot-scopes", secret_key="x"))
    ops = {(method, path) for path, item in app.openapi()["paths"].items() for method in item}
    missing = sorted(ops - set(BOT_ACCESS))
    assert not missing, f"routes without a decision in lakeside/api/scopes.py BOT_ACCESS: {missing}"
    stale = sorted(set(BOT_ACCESS) - ops)
    assert not stale, f"BOT_ACCESS rows for routes that do not exist: {stale}"
    for key, scope in BOT_ACCESS.items():
        assert scope is None or scope == ANY or scope in SCOPES, key
    # Never: administration, the account's secrets, sessions, friends, organizations, bots' management.
    for (method, path), scope in BOT_ACCESS.items():
        if (
            any(
                part in path
                for part in ("/admin/", "/auth/", "/me/", "/friends", "/orgs", "/blocks", "/exports")
            )
            or path in ("/api/v1/bots", "/api/v1/bots/{bot_id}")
            or path.startswith("/api/v1/bots/{bot_id}/t")
        ):
            assert scope is None, f"{method} {path} is open to bots"


# -- accounts --------------------------------------------------------------------------------------


async def test_people_make_bots_and_manage_only_their_own(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    made = await make_bot(zhangsan, "发布机器人", description="  部署   通知 ")
    assert made["description"] == "部署 通知" and made["organization_id"] is None
    assert made["owner_id"] == zhangsan.id and made["username"].startswith("bot_")
    listed = await ok(await zhangsan.get("/api/v1/bots"))
    assert [b["id"] for b in listed["bots"]] == [made["id"]]
    assert (await ok(await lisi.get("/api/v1/bots")))["bots"] == []
    for call in (
        lisi.get(f"/api/v1/bots/{made['id']}"),
        lisi.patch(f"/api/v1/bots/{made['id']}", json={"display_name": "我的"}),
        lisi.delete(f"/api/v1/bots/{made['id']}"),
        lisi.post(f"/api/v1/bots/{made['id']}/tokens", json={"scopes": ["messages:read"]}),
        lisi.get(f"/api/v1/bots/{made['id']}/tokens"),
    ):
        response = await call
        assert response.status_code == 404 and error_code(response) == "BOT_NOT_FOUND"
    renamed = await ok(
        await zhangsan.patch(
            f"/api/v1/bots/{made['id']}", json={"display_name": "上线助手", "description": "x"}
        )
    )
    assert renamed["display_name"] == "上线助手" and renamed["description"] == "x"
    # Its profile says it is a bot (the badge), like every bot's.
    assert (await ok(await lisi.get(f"/api/v1/users/{made['id']}")))["bot"] == "app"


async def test_an_organizations_bots_belong_to_its_owner_and_admins(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = people["zhangsan"], people["lisi"], people["wangwu"], people["mallory"]
    org = await ok(await zhangsan.post("/api/v1/orgs", json={"name": "湖畔科技"}))
    code = (await ok(await zhangsan.post(f"/api/v1/orgs/{org['id']}/invitations", json={"kind": "code"})))[
        "code"
    ]
    for person in (lisi, wangwu):
        await ok(await person.post(f"/api/v1/org-invitations/{code}/join", json={}))
    await ok(await zhangsan.put(f"/api/v1/orgs/{org['id']}/members/{lisi.id}/role", json={"role": "admin"}))
    other = await ok(await mallory.post("/api/v1/orgs", json={"name": "来往"}))

    refused = await wangwu.post("/api/v1/bots", json={"display_name": "x", "organization_id": org["id"]})
    assert refused.status_code == 403 and error_code(refused) == "NOT_ORG_ADMIN"
    refused = await mallory.post("/api/v1/bots", json={"display_name": "x", "organization_id": org["id"]})
    assert refused.status_code == 404 and error_code(refused) == "ORG_NOT_FOUND"

    made = await make_bot(lisi, "考勤机器人", organization_id=org["id"])
    assert made["organization_id"] == org["id"]
    # The owner manages it too; a member, and another organization's owner, do not see it.
    assert [b["id"] for b in (await ok(await zhangsan.get("/api/v1/bots")))["bots"]] == [made["id"]]
    by_org = await ok(await zhangsan.get("/api/v1/bots", params={"organization_id": org["id"]}))
    assert [b["id"] for b in by_org["bots"]] == [made["id"]]
    await ok(await zhangsan.get(f"/api/v1/bots/{made['id']}"))
    for outsider in (wangwu, mallory):
        assert (await ok(await outsider.get("/api/v1/bots")))["bots"] == []
        for call in (
            outsider.get(f"/api/v1/bots/{made['id']}"),
            outsider.post(f"/api/v1/bots/{made['id']}/tokens", json={"scopes": ["messages:read"]}),
            outsider.delete(f"/api/v1/bots/{made['id']}"),
        ):
            response = await call
            assert response.status_code == 404, response.text
    assert (await ok(await mallory.get("/api/v1/bots", params={"organization_id": other["id"]})))[
        "bots"
    ] == []
    # Its maker, made a plain member, manages it no more; the owner still does.
    await ok(await zhangsan.put(f"/api/v1/orgs/{org['id']}/members/{lisi.id}/role", json={"role": "member"}))
    assert (await ok(await lisi.get("/api/v1/bots")))["bots"] == []
    for call in (
        lisi.get(f"/api/v1/bots/{made['id']}"),
        lisi.post(f"/api/v1/bots/{made['id']}/tokens", json={"scopes": ["messages:read"]}),
    ):
        response = await call
        assert response.status_code == 404, response.text
    await ok(await zhangsan.get(f"/api/v1/bots/{made['id']}"))


async def test_a_bot_joins_groups_by_their_managers_and_never_a_direct_chat(
    people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi, wangwu)
    made = await make_bot(lisi)  # lisi manages the bot, not the group
    refused = await lisi.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": cid})
    assert refused.status_code == 403 and error_code(refused) == "NOT_GROUP_ADMIN"
    await ok(
        await zhangsan.put(f"/api/v1/conversations/{cid}/members/{lisi.id}/role", json={"role": "admin"})
    )
    await ok(await lisi.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": cid}))
    members = await ok(await wangwu.get(f"/api/v1/conversations/{cid}/members"))
    assert made["id"] in {m["user"]["id"] for m in members}
    groups = await ok(await lisi.get(f"/api/v1/bots/{made['id']}/groups"))
    assert [g["id"] for g in groups["groups"]] == [cid]
    # Not a direct chat: a bot is nobody's friend, and a direct chat cannot take it.
    direct = await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id}))
    refused = await lisi.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": direct["id"]})
    assert refused.status_code in (403, 422)
    refused = await lisi.post("/api/v1/conversations/direct", json={"user_id": made["id"]})
    assert refused.status_code in (403, 404)
    # A group the caller is not in: as for nothing.
    elsewhere = await group(wangwu, zhangsan, title="别的组")
    refused = await lisi.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": elsewhere})
    assert refused.status_code == 404
    await ok(await lisi.delete(f"/api/v1/bots/{made['id']}/groups/{cid}"))
    assert (await ok(await lisi.get(f"/api/v1/bots/{made['id']}/groups")))["groups"] == []


# -- tokens ----------------------------------------------------------------------------------------


async def test_a_token_is_shown_once_stored_hashed_and_speaks_as_the_bot(
    app: FastAPI, people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    made = await make_bot(zhangsan)
    await ok(await zhangsan.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": cid}))
    secret, view = await issue(zhangsan, made["id"], ["messages:write", "messages:read"], expires_in_days=30)
    assert TOKEN_PATTERN.fullmatch(secret) and view["prefix"] == secret[:12]
    assert view["scopes"] == ["messages:read", "messages:write"] and view["expires_at"] > view["created_at"]
    async with app.state.services.ctx.db.read() as conn:
        stored = (await conn.execute(bot_tokens.select())).all()
    assert [row.token_hash for row in stored] == [token_hash(secret)]
    assert secret not in str([tuple(row) for row in stored])
    listed = await ok(await zhangsan.get(f"/api/v1/bots/{made['id']}/tokens"))
    assert "token" not in listed["tokens"][0] and secret not in str(listed)

    bot = Bot(client, made["id"], secret)
    me = await ok(await bot.get("/api/v1/me"))
    assert me["id"] == made["id"] and me["bot"] == "app"
    sent = await ok(await say(bot, cid, "部署完成 ✅"))
    assert sent["sender_id"] == made["id"]
    history = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages"))
    assert history["messages"][-1]["body"] == "部署完成 ✅"
    assert (await ok(await bot.get(f"/api/v1/conversations/{cid}/messages")))["messages"][-1]["id"] == sent[
        "id"
    ]
    listed = await ok(await zhangsan.get(f"/api/v1/bots/{made['id']}/tokens"))
    assert listed["tokens"][0]["last_used_at"] is not None
    # Growth counts people's activity: the bot's message is not a person sending.
    from lakeside.store.tables import activity_daily

    await app.state.services.growth.activity.flush()
    async with app.state.services.ctx.db.read() as conn:
        active = {row.user_id for row in await conn.execute(activity_daily.select())}
    assert made["id"] not in active and zhangsan.id in active


async def test_bot_tokens_are_refused_wherever_no_scope_lets_them_in(
    people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, cid, scopes=["messages:read"])
    # A scope it lacks.
    refused = await say(bot, cid, "hi")
    assert refused.status_code == 403 and error_code(refused) == "MISSING_SCOPE"
    refused = await bot.get(f"/api/v1/conversations/{cid}/members")
    assert refused.status_code == 403 and error_code(refused) == "MISSING_SCOPE"
    # Routes that bots never reach, whatever the scopes.
    full = await bot_in(zhangsan, client, cid)
    for method, url, body in (
        ("GET", "/api/v1/auth/sessions", None),
        ("POST", "/api/v1/auth/logout", None),
        ("POST", "/api/v1/me/password", {"current_password": "x", "new_password": "y" * 12}),
        ("PATCH", "/api/v1/me", {"display_name": "我是人"}),
        ("GET", "/api/v1/friends", None),
        ("POST", "/api/v1/friends/requests", {"user_id": lisi.id}),
        ("GET", "/api/v1/orgs", None),
        ("POST", "/api/v1/orgs", {"name": "机器人公司"}),
        ("GET", "/api/v1/admin/analytics/summary", None),
        ("GET", "/api/v1/bots", None),
        ("POST", "/api/v1/bots", {"display_name": "子机器人"}),
        ("POST", f"/api/v1/bots/{full.id}/tokens", {"scopes": ALL}),
        ("POST", "/api/v1/conversations", {"title": "x", "member_ids": [lisi.id]}),
        ("POST", f"/api/v1/conversations/{cid}/members", {"user_ids": [people["wangwu"].id]}),
        ("POST", f"/api/v1/conversations/{cid}/commands", {"command": "x"}),
        ("GET", "/api/v1/search/messages?q=x", None),
    ):
        response = await client.request(method, url, headers=full.headers, json=body)
        assert response.status_code == 403 and error_code(response) == "BOT_NOT_ALLOWED", (method, url)


async def test_the_allowlist_holds_even_where_the_bot_is_a_member(
    people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    a = await group(zhangsan, lisi, title="A组")
    b = await group(zhangsan, lisi, title="B组")
    made = await make_bot(zhangsan)
    for cid in (a, b):
        await ok(await zhangsan.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": cid}))
    secret, view = await issue(zhangsan, made["id"], conversation_ids=[a])
    assert view["conversation_ids"] == [a]
    bot = Bot(client, made["id"], secret)
    since = await position(lisi)
    await ok(await say(bot, a, "A 的消息"))
    await ok(await say(lisi, b, "B 的秘密"))
    await ok(await say(lisi, a, "A 的回复"))
    for response in (
        await say(bot, b, "越界"),
        await bot.get(f"/api/v1/conversations/{b}/messages"),
        await bot.get(f"/api/v1/conversations/{b}"),
        await bot.get(f"/api/v1/conversations/{b}/members"),
        await bot.post(
            f"/api/v1/conversations/{b}/cards", json={"client_msg_id": "c", "card": {"blocks": []}}
        ),
    ):
        assert response.status_code == 404 and error_code(response) == "CONVERSATION_NOT_FOUND", response.text
    listed = await ok(await bot.get("/api/v1/conversations"))
    assert [c["id"] for c in listed["conversations"]] == [a]
    seen = await events_since(bot, since)  # type: ignore[arg-type]
    assert {e["conversation_id"] for e in seen} == {a}
    assert "B 的秘密" not in str(seen) and "A 的回复" in str(seen)
    # The same bot with an unrestricted token sees both.
    other, _ = await issue(zhangsan, made["id"])
    everything = await events_since(Bot(client, made["id"], other), since)  # type: ignore[arg-type]
    assert {e["conversation_id"] for e in everything} == {a, b}
    # Issuing a token for a conversation the bot is not in is refused.
    elsewhere = await group(zhangsan, lisi, title="C组")
    refused = await zhangsan.post(
        f"/api/v1/bots/{made['id']}/tokens", json={"scopes": ALL, "conversation_ids": [elsewhere]}
    )
    assert refused.status_code == 422 and error_code(refused) == "BOT_NOT_A_MEMBER"


async def test_revoking_a_token_or_deleting_the_bot_ends_it_at_once(
    app: FastAPI, people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    made = await make_bot(zhangsan)
    await ok(await zhangsan.post(f"/api/v1/bots/{made['id']}/groups", json={"conversation_id": cid}))
    first, view = await issue(zhangsan, made["id"])
    second, _ = await issue(zhangsan, made["id"])
    one, two = Bot(client, made["id"], first), Bot(client, made["id"], second)
    await ok(await one.get("/api/v1/me"))  # cached now
    await ok(await zhangsan.delete(f"/api/v1/bots/{made['id']}/tokens/{view['id']}"))
    refused = await one.get("/api/v1/me")
    assert refused.status_code == 401 and error_code(refused) == "TOKEN_INVALID"
    again = await zhangsan.delete(f"/api/v1/bots/{made['id']}/tokens/{view['id']}")
    assert again.status_code == 404 and error_code(again) == "TOKEN_NOT_FOUND"
    await ok(await two.get("/api/v1/me"))
    listed = await ok(await zhangsan.get(f"/api/v1/bots/{made['id']}/tokens"))
    assert len(listed["tokens"]) == 1
    # An expired token is refused too.
    third, third_view = await issue(zhangsan, made["id"])
    async with app.state.services.ctx.transaction() as uow:
        await uow.conn.execute(
            bot_tokens.update().where(bot_tokens.c.id == third_view["id"]).values(expires_at=1)
        )
    refused = await Bot(client, made["id"], third).get("/api/v1/me")
    assert refused.status_code == 401 and error_code(refused) == "TOKEN_INVALID"
    # Deleting the bot: deactivated, every token ends, its message stays under its name.
    await ok(await say(two, cid, "再见"))
    await ok(await zhangsan.delete(f"/api/v1/bots/{made['id']}"))
    refused = await two.get("/api/v1/me")
    assert refused.status_code == 401 and error_code(refused) == "TOKEN_INVALID"
    assert (await ok(await zhangsan.get("/api/v1/bots")))["bots"] == []
    history = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages"))
    assert [m["body"] for m in history["messages"] if m["sender_id"] == made["id"]] == ["再见"]
    # A forged token of the right shape is refused by name.
    forged = await Bot(client, made["id"], "lsb_" + "A" * 43).get("/api/v1/me")
    assert forged.status_code == 401 and error_code(forged) == "TOKEN_INVALID"


async def test_invalid_token_requests_are_refused(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    made = await make_bot(zhangsan)
    for body in (
        {"scopes": []},
        {"scopes": ["admin:all"]},
        {"scopes": ["messages:read"], "expires_in_days": 0},
        {"scopes": ["messages:read"], "conversation_ids": [0]},
    ):
        response = await zhangsan.post(f"/api/v1/bots/{made['id']}/tokens", json=body)
        assert response.status_code == 422, (body, response.text)


# -- rate limit ------------------------------------------------------------------------------------


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limits": {**settings.rate_limits, "bot_sends_per_user": "3/60"}})


async def test_a_bot_sends_at_most_its_limit(people: dict[str, Person], client: httpx.AsyncClient) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, cid)
    for n in range(3):
        await ok(await say(bot, cid, f"第{n}条"))
    refused = await say(bot, cid, "第4条")
    assert refused.status_code == 429 and error_code(refused) == "RATE_LIMITED"
    # People are not held to the bots' limit.
    for n in range(5):
        await ok(await say(lisi, cid, f"人{n}"))


# -- slash commands --------------------------------------------------------------------------------


async def test_a_command_reaches_the_bot_alone_and_the_bot_answers(
    people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi, wangwu)
    bot = await bot_in(zhangsan, client, cid)
    commands = {"commands": [{"name": "/OnCall", "description": "今天谁值班", "usage": "[团队]"}]}
    registered = await ok(await bot.put(f"/api/v1/bots/{bot.id}/commands", json=commands))
    assert registered["commands"] == [{"name": "oncall", "description": "今天谁值班", "usage": "[团队]"}]
    # Another bot's commands are not this one's to set.
    other = await bot_in(zhangsan, client, cid)
    refused = await other.put(f"/api/v1/bots/{bot.id}/commands", json=commands)
    assert refused.status_code == 404

    offered = await ok(await lisi.get(f"/api/v1/conversations/{cid}/commands"))
    assert [(c["name"], c["bot_id"]) for c in offered["commands"]] == [("oncall", bot.id)]
    since = await position(lisi)
    before = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages"))
    invoked = await ok(
        await lisi.post(f"/api/v1/conversations/{cid}/commands", json={"command": "oncall", "args": " 后端 "})
    )
    assert invoked["bot"]["id"] == bot.id and invoked["args"] == "后端"
    # Not a message: nobody's history changes, no member hears of it; the bot alone does.
    after = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages"))
    assert after["messages"] == before["messages"]
    for person in (zhangsan, lisi, wangwu):
        assert ("command", "invoked") not in kinds(await events_since(person, since))
    heard = [e for e in await events_since(bot, since) if e["type"] == "command"]  # type: ignore[arg-type]
    assert len(heard) == 1
    data = heard[0]["data"]
    assert data["invocation_id"] == invoked["invocation_id"] and data["conversation_id"] == cid
    assert data["command"] == "oncall" and data["args"] == "后端"
    assert data["invoker"] == {"id": lisi.id, "username": "lisi", "display_name": "李四"}

    reply = f"/api/v1/commands/{invoked['invocation_id']}/reply"
    refused = await other.post(reply, json={"text": "冒充"})
    assert refused.status_code == 404 and error_code(refused) == "INVOCATION_NOT_FOUND"
    refused = await lisi.post(reply, json={"text": "人不能答"})
    assert refused.status_code == 403
    private = await ok(await bot.post(reply, json={"text": "只给你看：王五值班", "ephemeral": True}))
    assert private == {"ephemeral": True, "message": None}
    answered = await ok(await bot.post(reply, json={"text": "**王五** 值班", "markdown": True}))
    assert answered["message"]["kind"] == "markdown" and answered["message"]["sender_id"] == bot.id
    lisi_heard = await events_since(lisi, since)
    replied = [e for e in lisi_heard if (e["type"], e["op"]) == ("command", "replied")]
    assert [e["data"]["text"] for e in replied] == ["只给你看：王五值班"]
    assert ("command", "replied") not in kinds(await events_since(wangwu, since))
    history = await ok(await wangwu.get(f"/api/v1/conversations/{cid}/messages"))
    assert history["messages"][-1]["body"] == "**王五** 值班"
    for _ in range(3):
        await ok(await bot.post(reply, json={"text": "再答", "ephemeral": True}))
    refused = await bot.post(reply, json={"text": "太多"})
    assert refused.status_code == 409 and error_code(refused) == "TOO_MANY_REPLIES"


async def test_unknown_ambiguous_and_outsider_commands(
    people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    one = await bot_in(zhangsan, client, cid)
    two = await bot_in(zhangsan, client, cid)
    for bot in (one, two):
        await ok(await bot.put(f"/api/v1/bots/{bot.id}/commands", json={"commands": [{"name": "deploy"}]}))
    url = f"/api/v1/conversations/{cid}/commands"
    unknown = await lisi.post(url, json={"command": "nope"})
    assert unknown.status_code == 404 and error_code(unknown) == "COMMAND_NOT_FOUND"
    ambiguous = await lisi.post(url, json={"command": "deploy"})
    assert ambiguous.status_code == 409 and ambiguous.json()["error"]["code"] == "COMMAND_AMBIGUOUS"
    chosen = await ok(await lisi.post(url, json={"command": "deploy", "bot_id": two.id}))
    assert chosen["bot"]["id"] == two.id
    outsider = await mallory.post(url, json={"command": "deploy", "bot_id": two.id})
    assert outsider.status_code == 404 and error_code(outsider) == "CONVERSATION_NOT_FOUND"
    assert (await mallory.get(url)).status_code == 404
    # A bot that leaves the group stops offering its commands there.
    await ok(await zhangsan.delete(f"/api/v1/bots/{one.id}/groups/{cid}"))
    assert [c["bot_id"] for c in (await ok(await lisi.get(url)))["commands"]] == [two.id]
    bad = await one.put(f"/api/v1/bots/{one.id}/commands", json={"commands": [{"name": "中文"}]})
    assert bad.status_code == 422 and error_code(bad) == "INVALID_COMMAND_NAME"


async def test_a_bot_posts_cards_and_people_cannot(
    people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, cid)
    card = {
        "blocks": [
            {"type": "markdown", "text": "**发布** v1.2"},
            {"type": "buttons", "buttons": [{"title": "查看", "url": "https://example.com/r/1"}]},
        ]
    }
    url = f"/api/v1/conversations/{cid}/cards"
    first = await bot.post(url, json={"client_msg_id": "card-1", "card": card})
    assert first.status_code == 201 and first.json()["kind"] == "card"
    again = await bot.post(url, json={"client_msg_id": "card-1", "card": card})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    bad = await bot.post(
        url,
        json={
            "client_msg_id": "card-2",
            "card": {"blocks": [{"type": "links", "items": [{"title": "x", "url": "javascript:alert(1)"}]}]},
        },
    )
    assert bad.status_code == 422
    person = await lisi.post(url, json={"client_msg_id": "card-3", "card": card})
    assert person.status_code == 403 and error_code(person) == "BOTS_ONLY"


# -- schema and logs -------------------------------------------------------------------------------


async def test_the_bot_tables_match_their_migration(app: FastAPI) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from lakeside.store.tables import metadata

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with app.state.services.ctx.db.read() as conn:
        diffs = await conn.run_sync(compare)
    tables = ("bot_tokens", "bot_commands", "command_invocations")
    relevant = [
        diff
        for diff in diffs
        if any(name in repr(diff) for name in tables)
        # SQLite does not report the name of a column-level constraint; the reference is there.
        and not (isinstance(diff, tuple) and diff[0] in ("add_fk", "remove_fk"))
    ]
    assert relevant == []


def test_log_lines_never_carry_a_bot_token() -> None:
    from lakeside.cli import redact

    token = "lsb_" + "Ab3_-x" * 7 + "Q"
    assert TOKEN_PATTERN.fullmatch(token)
    line = f'curl -H "Authorization: Bearer {token}" failed; token={token}'
    redacted = redact(line)
    assert token not in redacted and "lsb_[redacted]" in redacted
    assert redact("/robot/send?access_token=s3cret") == "/robot/send?access_token=[redacted]"


async def test_an_invocation_is_answered_within_30_minutes_and_forgotten_after_a_day(
    app: FastAPI, people: dict[str, Person], client: httpx.AsyncClient
) -> None:
    from lakeside.domain.tokens import now_ms
    from lakeside.store.tables import command_invocations

    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    bot = await bot_in(zhangsan, client, cid)
    await ok(await bot.put(f"/api/v1/bots/{bot.id}/commands", json={"commands": [{"name": "ping"}]}))
    url = f"/api/v1/conversations/{cid}/commands"
    late = await ok(await lisi.post(url, json={"command": "ping"}))
    old = await ok(await lisi.post(url, json={"command": "ping"}))
    services = app.state.services
    ages = {late["invocation_id"]: 31 * 60_000, old["invocation_id"]: 25 * 3_600_000}
    async with services.ctx.transaction() as uow:
        for invocation_id, age in ages.items():
            table = command_invocations
            await uow.conn.execute(
                table.update().where(table.c.id == invocation_id).values(created_at=now_ms() - age)
            )
    refused = await bot.post(f"/api/v1/commands/{late['invocation_id']}/reply", json={"text": "pong"})
    assert refused.status_code == 409 and error_code(refused) == "INVOCATION_EXPIRED"
    await services.housekeeping.do_prune()
    gone = await bot.post(f"/api/v1/commands/{old['invocation_id']}/reply", json={"text": "pong"})
    assert gone.status_code == 404 and error_code(gone) == "INVOCATION_NOT_FOUND"
    still = await bot.post(f"/api/v1/commands/{late['invocation_id']}/reply", json={"text": "pong"})
    assert error_code(still) == "INVOCATION_EXPIRED"
