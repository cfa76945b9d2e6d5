"""API bots against a live server (uvicorn on a real socket, tests/live.py), on SQLite and
PostgreSQL: the example bot (examples/oncall_bot.py) answering slash commands through the Python
client's event stream; a token's allowlist on the socket; a revoked token's socket closed at once;
and ``lakeside send`` run as a real subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from lakeside.client import LakesideAPIError, LakesideClient
from lakeside.config import Settings
from tests.conftest import Person, befriend, register
from tests.live import running_server

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0  # seconds a step may take on a loaded machine before the test gives up


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("oncall_bot", ROOT / "examples" / "oncall_bot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Stage:
    url: str
    http: httpx.AsyncClient
    owner: Person
    member: Person
    group: int
    other: int
    bot_id: int

    async def token(self, scopes: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        body = {
            "scopes": scopes
            or ["events:read", "messages:write", "messages:read", "commands:write", "conversations:read"],
            **extra,
        }
        response = await self.owner.post(f"/api/v1/bots/{self.bot_id}/tokens", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())


async def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), f"{response.request.url}: {response.text}"
    return response.json()


@pytest.fixture
async def stage(settings: Settings) -> AsyncIterator[Stage]:
    async with running_server(settings) as url, httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
        owner = await register(http, "zhangsan", "张三")
        member = await register(http, "lisi", "李四")
        await befriend(owner, member)
        groups = []
        for title in ("运维群", "财务群"):
            body = {"title": title, "member_ids": [member.id]}
            groups.append((await ok(await owner.post("/api/v1/conversations", json=body)))["id"])
        bot = await ok(await owner.post("/api/v1/bots", json={"display_name": "值班机器人"}))
        for cid in groups:
            await ok(await owner.post(f"/api/v1/bots/{bot['id']}/groups", json={"conversation_id": cid}))
        yield Stage(url, http, owner, member, groups[0], groups[1], bot["id"])


async def history(person: Person, cid: int) -> list[dict[str, Any]]:
    return list((await ok(await person.get(f"/api/v1/conversations/{cid}/messages")))["messages"])


async def until(predicate: Any) -> Any:
    """Poll until ``predicate()`` returns something truthy (a live server answers when it does)."""
    async with asyncio.timeout(WAIT):
        while not (found := await predicate()):  # noqa: ASYNC110 - the server changes, not us
            await asyncio.sleep(0.05)
    return found


async def test_the_example_bot_answers_commands_over_the_stream(stage: Stage) -> None:
    bot_module = example()
    token = (await stage.token())["token"]
    import datetime as dt

    monday = dt.date(2026, 12, 7)
    ready = asyncio.Event()
    async with LakesideClient(stage.url, token=token) as client:
        task = asyncio.create_task(bot_module.run(client, today=monday, ready=ready))
        try:
            await asyncio.wait_for(ready.wait(), WAIT)
            offered = await ok(await stage.member.get(f"/api/v1/conversations/{stage.group}/commands"))
            assert {c["name"] for c in offered["commands"]} == {"oncall", "roster"}
            url = f"/api/v1/conversations/{stage.group}/commands"
            await ok(await stage.member.post(url, json={"command": "oncall", "args": "后端"}))

            async def answered() -> Any:
                return [m for m in await history(stage.member, stage.group) if m["sender_id"] == stage.bot_id]

            replies = await until(answered)
            assert replies[-1]["body"] == "今天 **后端** 值班：**王五**" and replies[-1]["kind"] == "markdown"
            # An @-mention gets a hint, once.
            mention = {
                "client_msg_id": uuid.uuid4().hex,
                "body": "@值班机器人 在吗",
                "mention_ids": [stage.bot_id],
            }
            await ok(await stage.member.post(f"/api/v1/conversations/{stage.group}/messages", json=mention))

            async def greeted() -> Any:
                return [m for m in await answered() if "/oncall" in m["body"]]

            assert len(await until(greeted)) == 1
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_the_socket_keeps_to_the_allowlist_and_closes_when_the_token_is_revoked(stage: Stage) -> None:
    issued = await stage.token(conversation_ids=[stage.group])
    async with LakesideClient(stage.url, token=issued["token"]) as client, client.subscribe() as events:
        for cid, text in ((stage.other, "财务机密"), (stage.group, "运维消息")):
            body = {"client_msg_id": uuid.uuid4().hex, "body": text}
            await ok(await stage.member.post(f"/api/v1/conversations/{cid}/messages", json=body))
        first = await events.next(timeout=WAIT)
        # The other group's message (logged first) never came: the first event is the allowed one.
        assert first["conversation_id"] == stage.group and first["data"]["body"] == "运维消息"
        # Over the socket too, the token posts only where its allowlist says.
        with pytest.raises(LakesideAPIError) as refused:
            await client.send(stage.other, "越界")
        assert refused.value.code == "CONVERSATION_NOT_FOUND"
        await ok(await stage.owner.delete(f"/api/v1/bots/{stage.bot_id}/tokens/{issued['id']}"))
        # The socket is closed, the reconnect is refused, and the subscription ends by name.
        async with asyncio.timeout(WAIT):
            while True:
                try:
                    await events.next(timeout=WAIT)
                except LakesideAPIError as error:
                    assert error.code == "TOKEN_INVALID"
                    break
    # A token without events:read cannot open the stream.
    quiet = await stage.token(["messages:write"])
    async with connect(stage.url.replace("http", "ws", 1) + "/api/v1/stream") as ws:
        await ws.send(orjson.dumps({"op": "hello", "token": quiet["token"], "since": None}).decode())
        frame = orjson.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert frame["type"] == "error" and frame["code"] == "MISSING_SCOPE"


async def test_a_bots_subscription_resumes_after_a_drop_without_loss_or_repeat(stage: Stage) -> None:
    issued = await stage.token()
    url = f"/api/v1/conversations/{stage.group}/messages"
    async with LakesideClient(stage.url, token=issued["token"]) as client, client.subscribe() as events:
        await ok(await stage.member.post(url, json={"client_msg_id": uuid.uuid4().hex, "body": "一"}))
        assert (await events.next(timeout=WAIT))["data"]["body"] == "一"
        await events.drop()
        for text in ("二", "三"):
            await ok(await stage.member.post(url, json={"client_msg_id": uuid.uuid4().hex, "body": text}))
        got = [await events.next(timeout=WAIT) for _ in range(2)]
        assert [e["data"]["body"] for e in got] == ["二", "三"]
        assert events.reconnects >= 1


# -- lakeside send ---------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


async def lakeside_send(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lakeside.cli",
        "send",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin is not None else b""), 60)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


def environment(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAKESIDE_")}
    env.update(values)
    return env


async def test_lakeside_send_posts_from_scripts(stage: Stage) -> None:
    token = (await stage.token())["token"]
    env = environment(LAKESIDE_TOKEN=token, LAKESIDE_URL=stage.url)
    sent = await lakeside_send(env, "--to", str(stage.group), "--text", "备份完成 ✅")
    assert sent.code == 0, sent.stderr
    assert sent.stdout.startswith("sent message ") and token not in sent.stdout + sent.stderr
    # From standard input, as markdown, to a group named by its title.
    piped = await lakeside_send(env, "--to", "运维群", "--markdown", stdin="**磁盘** 90%\n")
    assert piped.code == 0, piped.stderr
    # The same client message id twice: stored once.
    for _ in range(2):
        again = await lakeside_send(
            env, "--to", str(stage.group), "--text", "只发一次", "--client-msg-id", "cron-1"
        )
        assert again.code == 0, again.stderr
    assert "already sent" in again.stdout
    bodies = [
        (m["kind"], m["body"])
        for m in await history(stage.member, stage.group)
        if m["sender_id"] == stage.bot_id
    ]
    assert bodies == [("text", "备份完成 ✅"), ("markdown", "**磁盘** 90%"), ("text", "只发一次")]
    # A person's session token works as well.
    person = environment(LAKESIDE_TOKEN=stage.member.token, LAKESIDE_URL=stage.url)
    assert (await lakeside_send(person, "--to", str(stage.group), "--text", "人也可以")).code == 0


async def test_lakeside_send_names_each_problem(stage: Stage) -> None:
    token = (await stage.token(["messages:write"], conversation_ids=[stage.group]))["token"]
    cases = [
        (environment(LAKESIDE_URL=stage.url), ["--to", "1", "--text", "x"], 2, "no token"),
        (environment(LAKESIDE_TOKEN=token, LAKESIDE_URL=stage.url), ["--to", "1"], 2, "message is empty"),
        (
            environment(LAKESIDE_TOKEN="lsb_" + "x" * 43, LAKESIDE_URL=stage.url),
            ["--to", str(stage.group), "--text", "x"],
            3,
            "token was refused",
        ),
        (
            environment(LAKESIDE_TOKEN=token, LAKESIDE_URL=stage.url),
            ["--to", str(stage.other), "--text", "x"],
            4,
            "not found",
        ),
        (
            environment(LAKESIDE_TOKEN=token, LAKESIDE_URL=stage.url),
            ["--to", "999999", "--text", "x"],
            4,
            "not found",
        ),
        # A title needs conversations:read, which this token lacks.
        (
            environment(LAKESIDE_TOKEN=token, LAKESIDE_URL=stage.url),
            ["--to", "运维群", "--text", "x"],
            3,
            "MISSING_SCOPE",
        ),
        (
            environment(LAKESIDE_TOKEN=token, LAKESIDE_URL="http://127.0.0.1:9"),
            ["--to", "1", "--text", "x"],
            5,
            "cannot reach",
        ),
        (
            environment(LAKESIDE_TOKEN=stage.member.token, LAKESIDE_URL=stage.url),
            ["--to", "没有这个群", "--text", "x"],
            4,
            "no group titled",
        ),
    ]
    for env, args, code, words in cases:
        stdin = None if "--text" in args else ""
        result = await lakeside_send(env, *args, stdin=stdin)
        assert result.code == code, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and token not in result.stderr
