"""Query counts on the hot paths, pinned: a batch of sends costs a fixed number of statements
whatever its size, and a catch-up of K events costs a fixed number per page (O(K / page)).

Statements are counted with the Database's ``on_statement`` hook (every statement sent to the
driver, on both backends). The hub polls the log's bounds once a second in the background;
that statement is left out of the counts.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from lakeside.domain.messages import SendMessage
from lakeside.errors import LakesideError
from lakeside.services.message_writer import SendResult
from tests.conftest import Person, befriend

BACKGROUND = ("min(events.id)",)  # the hub's poll of the log's bounds


class Statements:
    def __init__(self, app: FastAPI) -> None:
        self.db = app.state.services.ctx.db
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        self.db.on_statement = self._record
        return self

    def __exit__(self, *_: object) -> None:
        self.db.on_statement = None

    def _record(self, statement: str) -> None:
        if not any(mark in statement for mark in BACKGROUND):
            self.seen.append(statement)

    @property
    def count(self) -> int:
        return len(self.seen)


async def _group(owner: Person, members: list[Person]) -> int:
    for member in members:
        await befriend(owner, member)
    response = await owner.post(
        "/api/v1/conversations", json={"title": "压测", "member_ids": [m.id for m in members]}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _send_batch(
    app: FastAPI, person: Person, conversation_id: int, bodies: list[str], tag: str
) -> list[Any]:
    """Send the bodies as ONE batch of the writer (all drafts queue before it wakes) and return
    each outcome (a SendResult or the error)."""
    services = app.state.services
    user = await services.accounts.authenticate(person.token)
    drafts = [
        await services.messages.check_send(
            user, conversation_id, SendMessage(client_msg_id=f"{tag}-{i}", body=b)
        )
        for i, b in enumerate(bodies)
    ]
    sizes: list[int] = []
    services.messages.writer.on_batch = sizes.append
    try:
        outcomes = await asyncio.gather(
            *(services.messages.writer.submit(d) for d in drafts), return_exceptions=True
        )
    finally:
        services.messages.writer.on_batch = None
    assert sizes == [len(drafts)], sizes  # one batch, so the count below is one transaction's
    return list(outcomes)


async def test_a_batch_of_sends_costs_the_same_statements_whatever_its_size(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await _group(zhangsan, [lisi, wangwu])
    counts: dict[int, int] = {}
    first: dict[int, list[int]] = {}
    for size in (1, 50):
        # Twice each, keeping the lower count: a background task of the app (a worker's periodic
        # read) may land a statement inside one measurement on a loaded machine.
        for attempt in range(2):
            with Statements(app) as statements:
                outcomes = await _send_batch(
                    app, zhangsan, cid, [f"@lisi 第{i}条 @nobody" for i in range(size)], f"n{size}-{attempt}"
                )
            assert all(isinstance(o, SendResult) and o.created for o in outcomes)
            assert all(o.message["mentions"] == [lisi.id] for o in outcomes)
            counts[size] = min(counts.get(size, statements.count), statements.count)
            first.setdefault(size, [o.message["id"] for o in outcomes])
    assert counts[1] == counts[50], counts
    # send context, block check (direct chats only: none here), retries, mention names, mention
    # members, sequence numbers, messages, search rows, read cursors, receipts-hidden is folded
    # into the context, events; plus BEGIN/COMMIT on PostgreSQL and its locks.
    assert counts[50] <= 14, counts

    # Retries of the same fifty: answered with the originals, again in a fixed count.
    with Statements(app) as statements:
        outcomes = await _send_batch(
            app, zhangsan, cid, [f"@lisi 第{i}条 @nobody" for i in range(50)], "n50-0"
        )
    assert all(isinstance(o, SendResult) and not o.created for o in outcomes)
    assert [o.message["id"] for o in outcomes] == first[50]
    assert statements.count <= 14, statements.seen


async def test_a_batch_checks_every_send_against_the_rules_without_failing_its_neighbours(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi, wangwu, mallory = people["zhangsan"], people["lisi"], people["wangwu"], people["mallory"]
    await befriend(zhangsan, lisi)
    await befriend(zhangsan, wangwu)
    await befriend(wangwu, lisi)
    direct_lisi = (await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id})).json()[
        "id"
    ]
    direct_wangwu = (await zhangsan.post("/api/v1/conversations/direct", json={"user_id": wangwu.id})).json()[
        "id"
    ]
    response = await lisi.post("/api/v1/conversations", json={"title": "别人的群", "member_ids": [wangwu.id]})
    group = response.json()["id"]  # zhangsan is not in it
    assert (await wangwu.put(f"/api/v1/blocks/{zhangsan.id}")).status_code == 200
    services = app.state.services
    user = await services.accounts.authenticate(zhangsan.token)
    targets = [direct_lisi, direct_wangwu, group, direct_lisi, direct_lisi]
    ids = ["ok-1", "blocked", "not-member", "ok-2", "ok-1"]  # the last is a retry within the batch
    drafts = [
        await services.messages.check_send(user, c, SendMessage(client_msg_id=i, body=f"{i} @mallory"))
        for c, i in zip(targets, ids, strict=True)
    ]
    outcomes = await asyncio.gather(
        *(services.messages.writer.submit(d) for d in drafts), return_exceptions=True
    )
    first, blocked, outsider, second, retry = outcomes
    assert isinstance(first, SendResult) and first.created and first.message["seq"] == 1
    assert isinstance(blocked, LakesideError) and blocked.code == "BLOCKED"
    assert isinstance(outsider, LakesideError) and outsider.code == "CONVERSATION_NOT_FOUND"
    assert isinstance(second, SendResult) and second.message["seq"] == 2
    assert isinstance(retry, SendResult) and not retry.created and retry.message["id"] == first.message["id"]
    # Mallory is mentioned but is no member: no mention recorded.
    assert first.message["mentions"] == [] and mallory.id not in second.message["mentions"]


async def test_catching_up_reads_a_fixed_number_of_statements_per_page(
    app: FastAPI, people: dict[str, Person]
) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await _group(zhangsan, [lisi])
    services = app.state.services
    since = await services.sync.position()
    total = 0
    for round_ in range(6):
        outcomes = await _send_batch(
            app, zhangsan, cid, [f"历史 {round_}-{i}" for i in range(50)], f"h{round_}"
        )
        total += len(outcomes)
    user = await services.accounts.authenticate(lisi.token)
    for page in (100, 300):
        with Statements(app) as statements:
            position, seen, pages, more = since, [], 0, True
            while more:
                events, position, more = await services.sync.events_since(user.id, position, limit=page)
                seen += [e["data"]["seq"] for e in events if e["type"] == "message"]
                pages += 1
        assert seen == list(range(2, total + 2))  # seq 1 is the group's creation notice
        assert pages <= total // page + 1
        # bounds, events, messages, reactions per page (+ BEGIN on PostgreSQL)
        assert statements.count <= pages * 5, (page, pages, statements.seen)

    # The socket replay reads the same pages, each event already encoded as its frame.
    with Statements(app) as statements:
        frames, position, more = await services.sync.frames_since(user.id, since)
    assert not more and len(frames) >= total
    assert statements.count <= 5, statements.seen
