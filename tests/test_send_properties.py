"""Properties of the send path under real concurrency: whatever mix of senders, conversations and
retries (sequential or racing) arrives at the group-committing writer, every conversation ends
with sequence numbers exactly 1..N, one message per distinct client message id, and every answer
for a client message id names the same stored message with the content that was sent."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import Person, befriend

SENDERS = ("zhangsan", "lisi", "wangwu", "alice")
GROUPS = 3


@dataclass(frozen=True)
class Planned:
    sender: int  # index into SENDERS
    group: int  # index into the example's groups
    racing_copies: int  # extra copies sent concurrently with the first
    later_copies: int  # extra copies sent after everything else was answered


planned = st.builds(
    Planned,
    sender=st.integers(0, len(SENDERS) - 1),
    group=st.integers(0, GROUPS - 1),
    racing_copies=st.integers(0, 2),
    later_copies=st.integers(0, 1),
)


@pytest.fixture
async def senders(people: dict[str, Person]) -> list[Person]:
    """The senders, all friends of the first, who creates the groups."""
    cast = [people[name] for name in SENDERS]
    for other in cast[1:]:
        await befriend(cast[0], other)
    return cast


async def new_group(owner: Person, others: list[Person]) -> int:
    response = await owner.post(
        "/api/v1/conversations", json={"title": "压力测试", "member_ids": [p.id for p in others]}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def history(person: Person, conversation_id: int) -> list[dict[str, object]]:
    response = await person.get(f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["has_more"] is False
    return list(page["messages"])


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=st.lists(planned, min_size=1, max_size=24))
async def test_concurrent_sends_and_retries_keep_every_conversation_gapless(
    senders: list[Person], plan: list[Planned]
) -> None:
    run = uuid.uuid4().hex[:8]  # examples share one database: keep their client ids apart
    groups = [await new_group(senders[0], senders[1:]) for _ in range(GROUPS)]

    def payload(index: int, item: Planned) -> tuple[Person, str, dict[str, str]]:
        person = senders[item.sender]
        cid = f"{run}-{index}"
        return (
            person,
            f"/api/v1/conversations/{groups[item.group]}/messages",
            {
                "client_msg_id": cid,
                "body": f"{person.username} #{index} 到 {item.group}",
            },
        )

    async def post(index: int, item: Planned) -> tuple[int, httpx.Response]:
        person, url, body = payload(index, item)
        return index, await person.post(url, json=body)

    racing = [post(i, item) for i, item in enumerate(plan) for _ in range(1 + item.racing_copies)]
    answers = list(await asyncio.gather(*racing))
    later = [post(i, item) for i, item in enumerate(plan) for _ in range(item.later_copies)]
    answers += await asyncio.gather(*later)

    by_index: dict[int, list[httpx.Response]] = {}
    for index, response in answers:
        assert response.status_code in (200, 201), response.text
        by_index.setdefault(index, []).append(response)
    stored: dict[int, int] = {}
    for index, responses in by_index.items():
        item = plan[index]
        person, _, body = payload(index, item)
        assert sorted(r.status_code for r in responses) == [200] * (len(responses) - 1) + [201]
        messages = [r.json() for r in responses]
        assert {m["id"] for m in messages} == {messages[0]["id"]}, "a retry must answer with the original"
        first = messages[0]
        assert first["conversation_id"] == groups[item.group]
        assert first["sender_id"] == person.id
        assert first["client_msg_id"] == body["client_msg_id"]
        assert first["body"] == body["body"]
        stored[index] = first["id"]

    seen_ids: set[int] = set()
    for group_index, conversation_id in enumerate(groups):
        timeline = await history(senders[1], conversation_id)
        assert [m["seq"] for m in timeline] == list(range(1, len(timeline) + 1))
        assert timeline[0]["kind"] == "system"
        sent = [m for m in timeline if m["kind"] != "system"]
        expected = {stored[i] for i, item in enumerate(plan) if item.group == group_index}
        assert len(sent) == len(expected)
        assert {m["id"] for m in sent} == expected
        seen_ids.update(m["id"] for m in sent)
        # The conversation's counter agrees with its timeline.
        summary = (await senders[1].get(f"/api/v1/conversations/{conversation_id}")).json()
        assert summary["last_seq"] == len(timeline)
    assert seen_ids == set(stored.values())
