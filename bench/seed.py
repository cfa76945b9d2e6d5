"""Bulk set-up for the benchmark: people with open sessions, conversations, and a long history.

Setting up thousands of users through the API would measure password hashing, not messaging, so
the population is written straight into a fresh database through lakeside's own tables (as
tests/test_fanout_rows.py does): users, a session each (only the token's SHA-256 is stored, as
the server does), groups and direct chats with their members, and — for the catch-up scenario —
messages with their events in the log. What is measured afterwards goes through the server.
The same description of a population drives the floor, which needs no database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.tokens import now_ms, token_hash
from lakeside.store import migrate
from lakeside.store.engine import Database
from lakeside.store.tables import (
    conversation_members,
    conversations,
    events,
    friendships,
    messages,
    sessions,
    users,
)

CHUNK = 2000


@dataclass
class Person:
    index: int  # position in the population; message bodies name the sender by it
    user_id: int
    token: str
    conversations: list[int] = field(default_factory=list)


@dataclass
class Population:
    people: list[Person]
    groups: dict[int, list[int]]  # conversation id -> indexes of its members
    directs: dict[int, list[int]]

    def members(self, conversation_id: int) -> list[int]:
        return self.groups.get(conversation_id) or self.directs.get(conversation_id) or []


def plan(count: int, group_size: int, groups: int, directs: int) -> tuple[list[list[int]], list[list[int]]]:
    """Which people share which conversations: groups of consecutive people, then pairs for direct
    chats, wrapping round the population so that everyone is in about as many as everyone else."""
    group_plan = [[(g * group_size + i) % count for i in range(group_size)] for g in range(groups)]
    direct_plan = [[(2 * d) % count, (2 * d + 1) % count] for d in range(directs)]
    return group_plan, direct_plan


def floor_population(count: int, group_plan: list[list[int]], direct_plan: list[list[int]]) -> Population:
    """The same shape for the floor: user ids are indexes + 1, the token is the user id."""
    people = [Person(i, i + 1, str(i + 1)) for i in range(count)]
    groups: dict[int, list[int]] = {}
    directs: dict[int, list[int]] = {}
    for number, members in enumerate(group_plan, start=1):
        groups[number] = members
    for number, members in enumerate(direct_plan, start=len(group_plan) + 1):
        directs[number] = members
    for conversation_id, members in {**groups, **directs}.items():
        for index in members:
            people[index].conversations.append(conversation_id)
    return Population(people, groups, directs)


async def open_database(url: str) -> Database:
    db = Database(url, sqlite_synchronous="NORMAL")
    await migrate.upgrade(db)
    return db


async def seed_population(
    db: Database, count: int, group_plan: list[list[int]], direct_plan: list[list[int]], *, prefix: str = "b"
) -> Population:
    now = now_ms()
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    async with db.transaction() as conn:
        for start in range(0, count, CHUNK):
            rows = [
                {
                    "username": f"{prefix}{i}",
                    "display_name": f"压测{i}",
                    "password_hash": "!",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(start, min(count, start + CHUNK))
            ]
            await conn.execute(insert(users), rows)
        by_name = {
            row.username: row.id
            for row in await conn.execute(
                select(users.c.id, users.c.username).where(users.c.username.like(f"{prefix}%"))
            )
        }
        ids = [by_name[f"{prefix}{i}"] for i in range(count)]
        expires = now + 30 * 86_400_000
        for start in range(0, count, CHUNK):
            rows = [
                {
                    "user_id": ids[i],
                    "token_hash": token_hash(tokens[i]),
                    "user_agent": "bench",
                    "created_at": now,
                    "last_seen_at": now,
                    "expires_at": expires,
                }
                for i in range(start, min(count, start + CHUNK))
            ]
            await conn.execute(insert(sessions), rows)
        people = [Person(i, ids[i], tokens[i]) for i in range(count)]
        groups: dict[int, list[int]] = {}
        directs: dict[int, list[int]] = {}
        for number, members in enumerate(group_plan):
            cid = await _conversation(conn, "group", f"群{number}", None, ids[members[0]], len(members), now)
            groups[cid] = members
        friends = []
        for members in direct_plan:
            low, high = sorted((ids[members[0]], ids[members[1]]))
            cid = await _conversation(conn, "direct", None, f"{low}:{high}", ids[members[0]], 2, now)
            directs[cid] = members
            # A direct chat takes messages between friends (or colleagues): both ways, as the
            # server writes a friendship.
            friends += [
                {"user_id": low, "friend_id": high, "created_at": now},
                {"user_id": high, "friend_id": low, "created_at": now},
            ]
        for start in range(0, len(friends), CHUNK):
            await conn.execute(insert(friendships), friends[start : start + CHUNK])
        rows = []
        for cid, members in {**groups, **directs}.items():
            for position, index in enumerate(members):
                people[index].conversations.append(cid)
                role = "owner" if position == 0 and cid in groups else "member"
                rows.append({"conversation_id": cid, "user_id": ids[index], "role": role, "joined_at": now})
        for start in range(0, len(rows), CHUNK):
            await conn.execute(insert(conversation_members), rows[start : start + CHUNK])
    return Population(people, groups, directs)


async def _conversation(
    conn: AsyncConnection,
    kind: str,
    title: str | None,
    direct_key: str | None,
    creator: int,
    count: int,
    now: int,
) -> int:
    return int(
        (
            await conn.execute(
                insert(conversations)
                .values(
                    kind=kind,
                    title=title,
                    direct_key=direct_key,
                    member_cap=10_000 if kind == "group" else 2,
                    member_count=count,
                    last_activity_at=now,
                    created_by=creator,
                    created_at=now,
                    updated_at=now,
                )
                .returning(conversations.c.id)
            )
        ).scalar_one()
    )


async def seed_history(db: Database, conversation_id: int, sender_ids: list[int], count: int) -> int:
    """``count`` text messages in one conversation, each with its event in the log, as the writer
    would have stored them. Returns the log position before them."""
    async with db.read() as conn:
        before = (await conn.execute(select(events.c.id).order_by(events.c.id.desc()).limit(1))).scalar()
    now = now_ms()
    done = 0
    while done < count:
        size = min(CHUNK * 5, count - done)
        async with db.transaction() as conn:
            rows = [
                {
                    "conversation_id": conversation_id,
                    "seq": done + i + 1,
                    "sender_id": sender_ids[(done + i) % len(sender_ids)],
                    "client_msg_id": f"h{done + i}",
                    "kind": "text",
                    "body": f"历史消息 {done + i}: the quick brown fox jumps over the lazy dog",
                    "created_at": now,
                }
                for i in range(size)
            ]
            result = await conn.execute(insert(messages).returning(messages.c.id, messages.c.seq), rows)
            ids = sorted(result.all(), key=lambda row: row.seq)
            await conn.execute(
                insert(events),
                [
                    {
                        "type": "message",
                        "op": "created",
                        "conversation_id": conversation_id,
                        "user_id": None,
                        "data": b'{"message_id":%d,"seq":%d}' % (row.id, row.seq),
                        "created_at": now,
                    }
                    for row in ids
                ],
            )
            await conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(last_seq=done + size, last_activity_at=now)
            )
        done += size
    return int(before or 0)
