"""A message is stored once per conversation, whatever the size of the group: the rows a send
writes do not grow with the number of members (here 3 versus 10,000)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, insert, select

from lakeside.domain.tokens import now_ms
from lakeside.store.tables import conversation_members, conversations, metadata, users
from tests.conftest import Person, register


async def _group_of(app: FastAPI, owner: Person, size: int) -> int:
    """Seed a group of ``size`` members straight through the store (setup only: the behaviour
    under test, the send, goes through the API)."""
    db = app.state.services.ctx.db
    now = now_ms()
    async with db.transaction() as conn:
        rows = [
            {
                "username": f"m{size}x{i}",
                "display_name": f"成员{i}",
                "password_hash": "!",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(size - 1)
        ]
        await conn.execute(insert(users), rows)
        ids = [
            r.id for r in await conn.execute(select(users.c.id).where(users.c.username.like(f"m{size}x%")))
        ]
        conversation_id = (
            await conn.execute(
                insert(conversations)
                .values(
                    kind="group",
                    title=f"{size}",
                    member_cap=10_000,
                    member_count=size,
                    last_activity_at=now,
                    created_by=owner.id,
                    created_at=now,
                    updated_at=now,
                )
                .returning(conversations.c.id)
            )
        ).scalar_one()
        members = [
            {"conversation_id": conversation_id, "user_id": owner.id, "role": "owner", "joined_at": now}
        ]
        members += [
            {"conversation_id": conversation_id, "user_id": uid, "role": "member", "joined_at": now}
            for uid in ids
        ]
        for start in range(0, len(members), 2000):
            await conn.execute(insert(conversation_members), members[start : start + 2000])
    return int(conversation_id)


async def _row_counts(app: FastAPI) -> dict[str, int]:
    db = app.state.services.ctx.db
    async with db.read() as conn:
        return {
            table.name: int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
            for table in metadata.sorted_tables
        }


async def _rows_written_by_one_send(
    app: FastAPI, sender: Person, conversation_id: int, tag: str
) -> dict[str, int]:
    before = await _row_counts(app)
    response = await sender.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"client_msg_id": tag, "body": "全体注意"}
    )
    assert response.status_code == 201, response.text
    after = await _row_counts(app)
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


async def test_rows_written_by_a_send_do_not_grow_with_the_group(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await register(client, "owner", "群主")
    small = await _group_of(app, owner, 3)
    large = await _group_of(app, owner, 10_000)
    small_rows = await _rows_written_by_one_send(app, owner, small, "s")
    large_rows = await _rows_written_by_one_send(app, owner, large, "l")
    assert small_rows == large_rows == {"messages": 1, "events": 1, "message_search": 1}
