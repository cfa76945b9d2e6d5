"""The send route's own handling of the common request (``SendRoute.handle`` in
lakeside/api/messages.py) answers exactly as FastAPI's handling of the same route does: every
request below is made once with the route's fast handling off and once with it on, and the
answers (status, headers, body) must match. Ids, sequence numbers and times of new messages are
the only parts allowed to differ (and Retry-After, which counts down between the two runs)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from lakeside.api import messages
from lakeside.api.messages import SendRoute
from lakeside.config import Settings
from lakeside.domain.limits import check_limits
from tests.conftest import Person, befriend

NEW_MESSAGE_PARTS = ("id", "seq", "created_at", "client_msg_id")
# Sends per user: what each run below spends before its last request, which is one too many. The
# send's service spends the unit once the request is parsed and authenticated: a refused body or
# a refused session spends nothing; a send the rules refuse (a reply to nothing) spends one.
BUDGET = 6


def use_fast_path(app: FastAPI, on: bool) -> SendRoute:
    del app  # the route object is the messages router's own, shared by every app built
    (route,) = [route for route in messages.router.routes if isinstance(route, SendRoute)]
    route.fast = on
    return route


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    headers = sorted(
        (k, "(counts down)" if k == "retry-after" else v)
        for k, v in response.headers.items()
        if k != "content-length"
    )
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
    route = use_fast_path(app, False)
    answered = route._answer
    fast_answers = 0

    async def counting(*args: Any) -> None:
        nonlocal fast_answers
        fast_answers += 1
        await answered(*args)

    route._answer = counting  # type: ignore[method-assign]
    try:
        for run, fast in (("fastapi", False), ("fast", True)):
            use_fast_path(app, fast)
            # Each run starts with the same budget.
            app.state.services.ctx.limits.memory.reset(f"sends_per_user:{alice.id}")
            before = fast_answers
            for name, url, headers, body in cases(run):
                content_type = "application/json; charset=utf-8" if name == "charset" else "application/json"
                response = await client.post(
                    url, content=body, headers={**headers, **json, "content-type": content_type}
                )
                answers.setdefault(name, []).append(answer(response))
            if fast:
                assert fast_answers - before >= 6  # the route's own handling answered the common cases
            else:
                assert fast_answers == before  # and, off, never
    finally:  # the route is shared by every app of this process
        del route._answer
        use_fast_path(app, True)
    for name, (by_fastapi, fast) in answers.items():
        assert by_fastapi == fast, name
    statuses = {name: by_fastapi[0] for name, (by_fastapi, _) in answers.items()}
    assert statuses["new message"] == 201 and statuses["retry"] == 200
    assert statuses["rate limited"] == 429 and statuses["no session"] == 401


async def test_the_send_route_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    send = document["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    body = send["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SendMessage"}
    fields = document["components"]["schemas"]["SendMessage"]["properties"]
    assert set(fields) == {
        "client_msg_id",
        "kind",
        "body",
        "reply_to_id",
        "file_id",
        "mention_ids",
        "duration_ms",
    }
    assert fields["client_msg_id"]["maxLength"] == 64
    assert {"201", "200"} <= set(send["responses"])
    assert send["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MessageOut"
    }
