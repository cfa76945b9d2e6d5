"""The send route's fast path (``SendRoute`` in lakeside/api/messages.py) answers exactly as the
documented FastAPI route does: every request below is made once with the fast path removed from
the route table and once with it in place, and the answers (status, headers, body) must match.
Ids, sequence numbers and times of new messages are the only parts allowed to differ."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from lakeside.api.messages import SendRoute
from lakeside.config import Settings
from lakeside.domain.limits import check_limits
from tests.conftest import Person, befriend

NEW_MESSAGE_PARTS = ("id", "seq", "created_at", "client_msg_id")
# Sends per user: what each run below spends before its last request, which is one too many. A
# refused body spends one too (the limit is checked before the body), as it always did.
BUDGET = 13


class CountingSendRoute(SendRoute):
    handled = 0

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        CountingSendRoute.handled += 1
        await super().handle(scope, receive, send)


def use_fast_path(app: FastAPI, on: bool) -> None:
    routes = app.router.routes
    routes[:] = [route for route in routes if not isinstance(route, SendRoute)]
    if on:
        routes.insert(1, CountingSendRoute())


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    headers = sorted((k, v) for k, v in response.headers.items() if k != "content-length")
    body = response.json()
    if response.status_code == 201:
        for part in NEW_MESSAGE_PARTS:
            body.pop(part)
    return response.status_code, headers, body


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.rate_limits = check_limits(
        {"sends_per_user": f"{BUDGET}/3600", "sends_per_address": "1000/3600"}
    )
    return settings


async def test_the_fast_path_answers_as_the_documented_route(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    alice, bob, mallory = people["alice"], people["bob"], people["mallory"]
    await befriend(alice, bob)
    conversation = (await alice.post("/api/v1/conversations/direct", json={"user_id": bob.id})).json()["id"]
    path = f"/api/v1/conversations/{conversation}/messages"
    json = {"content-type": "application/json", "x-request-id": "same-id"}
    first = await alice.post(path, json={"client_msg_id": "retried", "body": "你好"})
    assert first.status_code == 201

    def cases(run: str) -> list[tuple[str, str, dict[str, str], bytes]]:
        me, x, at = alice.headers, b'{"client_msg_id": "x"}', "/api/v1/conversations/{}/messages".format
        new = f'{{"client_msg_id": "new-{run}", "kind": "markdown", "body": "**hi** @bob"}}'.encode()
        return [
            ("new message", path, me, new),
            ("retry", path, me, '{"client_msg_id": "retried", "body": "你好"}'.encode()),
            ("charset", path, me, f'{{"client_msg_id": "cs-{run}"}}'.encode()),
            ("no session", path, {}, x),
            ("forged session", path, {"authorization": "Bearer forged"}, x),
            ("forged session, bad body", path, {"authorization": "Bearer forged"}, b'{"client_msg_id": 1}'),
            ("basic scheme", path, {"authorization": "Basic YTpi"}, x),
            ("not json", path, me, b'{"client_msg_id": '),
            ("not an object", path, me, b'["client_msg_id"]'),
            ("empty body", path, me, b""),
            ("wrong type", path, me, b'{"client_msg_id": "x", "body": 5}'),
            ("unknown field", path, me, b'{"client_msg_id": "x", "bodyy": "typo"}'),
            ("unknown kind", path, me, b'{"client_msg_id": "x", "kind": "voice"}'),
            ("not a member", path, mallory.headers, b'{"client_msg_id": "x", "body": "hi"}'),
            ("no such conversation", at(999_999), me, x),
            ("id zero", at(0), me, x),
            ("leading zero", at(f"0{conversation}"), me, f'{{"client_msg_id": "lz-{run}"}}'.encode()),
            ("id too large", at(2**63), me, x),
            ("reply to nothing", path, me, b'{"client_msg_id": "x", "reply_to_id": 424242}'),
            ("rate limited", path, me, b'{"client_msg_id": "late", "body": "one too many"}'),
        ]

    answers: dict[str, list[Any]] = {}
    for run, fast in (("documented", False), ("fast", True)):
        use_fast_path(app, fast)
        # Each run starts with the same budget.
        app.state.services.ctx.limits.memory.reset(f"sends_per_user:{alice.id}")
        before = CountingSendRoute.handled
        for name, url, headers, body in cases(run):
            content_type = "application/json; charset=utf-8" if name == "charset" else "application/json"
            response = await client.post(
                url, content=body, headers={**headers, **json, "content-type": content_type}
            )
            answers.setdefault(name, []).append(answer(response))
        if fast:
            assert CountingSendRoute.handled - before >= 10  # the fast path was taken
    for name, (documented, fast) in answers.items():
        assert documented == fast, name
    statuses = {name: documented[0] for name, (documented, _) in answers.items()}
    assert statuses["new message"] == 201 and statuses["retry"] == 200
    assert statuses["rate limited"] == 429 and statuses["no session"] == 401
