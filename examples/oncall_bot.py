"""值班机器人 — an on-call bot for lakeside, written with the Python client (lakeside.client).

It registers two slash commands and answers them in any group it has been added to:

    /oncall [team]   who is on call today (值班), for one team or for all
    /roster          the week's rota, shown to the asker alone (an ephemeral reply)

and it says hello when someone @-mentions it. Run it with a bot token (docs/integrations/bots.md
shows how to make the bot and its token against `make demo`):

    export LAKESIDE_URL=http://127.0.0.1:8000
    export LAKESIDE_TOKEN=lsb_...      # scopes: events:read messages:write commands:write
    python examples/oncall_bot.py

The rota comes from ONCALL_ROSTER (JSON: {"team": ["name for Monday", "Tuesday", ...]}) or the
built-in one below. Stop it with Ctrl-C; a revoked token stops it too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from typing import Any

from lakeside.client import LakesideAPIError, LakesideClient

COMMANDS = [
    {"name": "oncall", "description": "今天谁值班 / Who is on call today", "usage": "[team]"},
    {"name": "roster", "description": "本周值班表 / This week's rota (only you see it)", "usage": ""},
]
DEFAULT_ROSTER = {
    "后端": ["王五", "李四", "张三", "王五", "李四", "张三", "王五"],
    "前端": ["Alice", "Bob", "Alice", "Bob", "Alice", "Bob", "Alice"],
}
WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


def on_call(roster: dict[str, list[str]], team: str, day: dt.date) -> str | None:
    people = roster.get(team)
    return people[day.weekday() % len(people)] if people else None


def answer(command: str, args: str, roster: dict[str, list[str]], today: dt.date) -> tuple[str, bool]:
    """The reply to one invocation: (markdown text, ephemeral)."""
    if command == "oncall":
        team = args.strip()
        if team:
            person = on_call(roster, team, today)
            if person is None:
                teams = "、".join(roster)
                return f"没有叫「{team}」的团队。可选：{teams}", True
            return f"今天 **{team}** 值班：**{person}**", False
        lines = [f"- {name}：**{on_call(roster, name, today)}**" for name in roster]
        return "今天值班：\n" + "\n".join(lines), False
    if command == "roster":
        lines = []
        for name, people in roster.items():
            week = "，".join(f"周{WEEKDAYS[i]} {people[i % len(people)]}" for i in range(7))
            lines.append(f"- **{name}**：{week}")
        return "本周值班表：\n" + "\n".join(lines), True
    return f"不认识的命令 /{command}", True


async def run(
    client: LakesideClient,
    *,
    roster: dict[str, list[str]] | None = None,
    today: dt.date | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve commands until cancelled (or the token is revoked: LakesideAPIError TOKEN_INVALID)."""
    roster = roster or DEFAULT_ROSTER
    me = await client.me()
    await client.register_commands(COMMANDS)
    async with client.subscribe() as events:
        if ready is not None:
            ready.set()
        async for event in events:
            kind = (event.get("type"), event.get("op"))
            if kind == ("command", "invoked"):
                data = event["data"]
                text, ephemeral = answer(data["command"], data["args"], roster, today or dt.date.today())
                await client.reply(data["invocation_id"], text, markdown=True, ephemeral=ephemeral)
            elif kind == ("message", "created"):
                await greet(client, me, event)


async def greet(client: LakesideClient, me: dict[str, Any], event: dict[str, Any]) -> None:
    """Answer an @-mention of the bot with a hint (never its own messages)."""
    message = event["data"]
    if message.get("sender_id") == me["id"] or me["id"] not in (message.get("mentions") or []):
        return
    await client.send_markdown(
        message["conversation_id"],
        "你好！输入 `/oncall` 看今天谁值班，`/roster` 看本周值班表。",
        client_msg_id=f"greet-{message['id']}",
    )


def main() -> int:
    url = os.environ.get("LAKESIDE_URL", "http://127.0.0.1:8000")
    token = os.environ.get("LAKESIDE_TOKEN")
    if not token:
        print("error: set LAKESIDE_TOKEN to the bot's token (lsb_...)", file=sys.stderr)
        return 2
    roster = json.loads(os.environ["ONCALL_ROSTER"]) if os.environ.get("ONCALL_ROSTER") else None

    async def go() -> None:
        async with LakesideClient(url, token=token) as client:
            await run(client, roster=roster)

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        return 0
    except LakesideAPIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
