"""Queries behind the leaderboard: the facts about (participant, friend) pairs, the edge state the
worker keeps, score roll-ups per participant, and the activity rows that move edges.

Every query here is bounded by the participants or pairs it is given (or by an index range), so
no update ever reads the whole friendship graph. Facts are read with correlated sub-queries the
database answers from indexes: the colleague test over ``org_members(user_id)``, blocks by
primary key, flags by their unique key, the last active day by ``activity_daily``'s key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, exists, func, literal, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.campaigns import EdgeFacts
from lakeside.store.dialects import dialect_of
from lakeside.store.tables import (
    activity_daily,
    blocks,
    campaign_edges,
    campaign_participants,
    events,
    fraud_flags,
    friendships,
    org_members,
    registrations,
    users,
)

CHUNK = 500  # ids per IN list: well under every driver's parameter limit
WORKER_LOCK = 0x1A4E5C4D  # the advisory lock's key: one node advances the boards at a time


async def try_lock_worker(conn: AsyncConnection) -> bool:
    """Take the leaderboard worker's lock until the transaction ends, if no other node holds it."""
    return await dialect_of(conn).try_lock(conn, WORKER_LOCK)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _facts_query(campaign_id: int, eval_day: int, created_before: int | None) -> Any:
    f = friendships.alias("f")
    mine = org_members.alias("mine")
    theirs = org_members.alias("theirs")
    colleague = exists().where(
        mine.c.user_id == f.c.user_id,
        mine.c.status == "active",
        theirs.c.user_id == f.c.friend_id,
        theirs.c.organization_id == mine.c.organization_id,
        theirs.c.status == "active",
    )
    blocked = or_(
        exists().where(blocks.c.user_id == f.c.user_id, blocks.c.blocked_id == f.c.friend_id),
        exists().where(blocks.c.user_id == f.c.friend_id, blocks.c.blocked_id == f.c.user_id),
    )
    flagged = exists().where(
        fraud_flags.c.campaign_id == campaign_id,
        fraud_flags.c.user_id == f.c.friend_id,
        fraud_flags.c.status != "cleared",
    )
    last_day = (
        select(func.max(activity_daily.c.day))
        .where(activity_daily.c.user_id == f.c.friend_id, activity_daily.c.day <= eval_day)
        .scalar_subquery()
    )
    query = select(
        f.c.user_id.label("participant_id"),
        f.c.friend_id,
        f.c.created_at.label("since"),
        case((colleague, literal(1)), else_=literal(0)).label("colleague"),
        case((blocked, literal(1)), else_=literal(0)).label("blocked"),
        case((flagged, literal(1)), else_=literal(0)).label("flagged"),
        users.c.is_active,
        func.coalesce(registrations.c.created_at, users.c.created_at).label("registered_at"),
        registrations.c.inviter_id,
        last_day.label("last_active_day"),
    ).select_from(
        f.join(users, users.c.id == f.c.friend_id).outerjoin(
            registrations, registrations.c.user_id == f.c.friend_id
        )
    )
    if created_before is not None:
        query = query.where(f.c.created_at <= created_before)
    return query, f


def _facts(row: Row[Any]) -> EdgeFacts:
    return EdgeFacts(
        participant_id=row.participant_id,
        friend_id=row.friend_id,
        since=row.since,
        colleague=bool(row.colleague),
        blocked=bool(row.blocked),
        flagged=bool(row.flagged),
        friend_active_account=bool(row.is_active),
        registered_at=row.registered_at,
        inviter_id=row.inviter_id,
        last_active_day=row.last_active_day,
    )


async def facts_for_participants(
    conn: AsyncConnection,
    campaign_id: int,
    participant_ids: Sequence[int],
    *,
    eval_day: int,
    created_before: int | None = None,
) -> list[EdgeFacts]:
    """Every friendship of these participants, with what decides whether it counts."""
    out: list[EdgeFacts] = []
    for part in chunks(list(participant_ids)):
        query, f = _facts_query(campaign_id, eval_day, created_before)
        result = await conn.execute(query.where(f.c.user_id.in_(part)))
        out.extend(_facts(row) for row in result)
    return out


async def facts_for_pairs(
    conn: AsyncConnection, campaign_id: int, pairs: Iterable[tuple[int, int]], *, eval_day: int
) -> list[EdgeFacts]:
    by_participant: dict[int, list[int]] = {}
    for participant_id, friend_id in pairs:
        by_participant.setdefault(participant_id, []).append(friend_id)
    out: list[EdgeFacts] = []
    for participant_id, friend_ids in by_participant.items():
        for part in chunks(friend_ids):
            query, f = _facts_query(campaign_id, eval_day, None)
            result = await conn.execute(query.where(f.c.user_id == participant_id, f.c.friend_id.in_(part)))
            out.extend(_facts(row) for row in result)
    return out


async def friends_among(conn: AsyncConnection, user_id: int, candidates: Sequence[int]) -> list[int]:
    """Which of ``candidates`` have ``user_id`` as a friend (the participants a change of theirs
    touches)."""
    found: list[int] = []
    for part in chunks(list(candidates)):
        rows = await conn.execute(
            select(friendships.c.user_id).where(
                friendships.c.friend_id == user_id, friendships.c.user_id.in_(part)
            )
        )
        found.extend(row.user_id for row in rows)
    return found


async def participants_befriending(conn: AsyncConnection, campaign_id: int, user_id: int) -> list[int]:
    """Participants of the campaign who are friends of ``user_id`` (join on the friend index)."""
    rows = await conn.execute(
        select(friendships.c.user_id)
        .join(
            campaign_participants,
            and_(
                campaign_participants.c.campaign_id == campaign_id,
                campaign_participants.c.user_id == friendships.c.user_id,
            ),
        )
        .where(friendships.c.friend_id == user_id)
    )
    return [row.user_id for row in rows]


# -- edge state ----------------------------------------------------------------------------------


def edge_row(campaign_id: int, facts: EdgeFacts, excluded: str) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "participant_id": facts.participant_id,
        "friend_id": facts.friend_id,
        "since": facts.since,
        "excluded": excluded,
        "last_active_day": facts.last_active_day,
    }


async def replace_participant_edges(
    conn: AsyncConnection, campaign_id: int, participant_ids: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    for part in chunks(list(participant_ids)):
        await conn.execute(
            delete(campaign_edges).where(
                campaign_edges.c.campaign_id == campaign_id, campaign_edges.c.participant_id.in_(part)
            )
        )
    await insert_edges(conn, rows)


async def replace_pairs(
    conn: AsyncConnection, campaign_id: int, pairs: Sequence[tuple[int, int]], rows: list[dict[str, Any]]
) -> None:
    for participant_id, friend_id in pairs:
        await conn.execute(
            delete(campaign_edges).where(
                campaign_edges.c.campaign_id == campaign_id,
                campaign_edges.c.participant_id == participant_id,
                campaign_edges.c.friend_id == friend_id,
            )
        )
    await insert_edges(conn, rows)


async def insert_edges(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows, 5000):
        await conn.execute(campaign_edges.insert(), list(part))


async def delete_participant_edges(
    conn: AsyncConnection, campaign_id: int, participant_ids: Sequence[int]
) -> None:
    await replace_participant_edges(conn, campaign_id, participant_ids, [])


async def roll_up(
    conn: AsyncConnection,
    campaign_id: int,
    participant_ids: Sequence[int],
    *,
    eval_day: int,
    active_days: int,
) -> dict[int, tuple[int, int | None, int]]:
    """(score, reached_at, outside friends) per participant from the edge state: a friend counts
    when eligible and active in (eval_day - active_days, eval_day]."""
    in_window = and_(
        campaign_edges.c.last_active_day > eval_day - active_days,
        campaign_edges.c.last_active_day <= eval_day,
    )
    out: dict[int, tuple[int, int | None, int]] = {pid: (0, None, 0) for pid in participant_ids}
    for part in chunks(list(participant_ids)):
        rows = await conn.execute(
            select(
                campaign_edges.c.participant_id,
                func.sum(case((in_window, 1), else_=0)).label("score"),
                func.max(case((in_window, campaign_edges.c.since), else_=None)).label("reached_at"),
                func.count().label("outside"),
            )
            .where(
                campaign_edges.c.campaign_id == campaign_id,
                campaign_edges.c.participant_id.in_(part),
                campaign_edges.c.excluded == "",
            )
            .group_by(campaign_edges.c.participant_id)
        )
        for row in rows:
            out[row.participant_id] = (int(row.score or 0), row.reached_at, int(row.outside))
    return out


async def store_scores(
    conn: AsyncConnection, campaign_id: int, scores: dict[int, tuple[int, int | None, int]], now: int
) -> None:
    if not scores:
        return
    statement = (
        update(campaign_participants)
        .where(
            campaign_participants.c.campaign_id == campaign_id,
            campaign_participants.c.user_id == bindparam("b_user_id"),
        )
        .values(
            score=bindparam("b_score"),
            reached_at=bindparam("b_reached_at"),
            outside_friends=bindparam("b_outside"),
            updated_at=now,
        )
    )
    params = [
        {"b_user_id": pid, "b_score": s, "b_reached_at": r, "b_outside": o}
        for pid, (s, r, o) in scores.items()
    ]
    for part in chunks(params, 2000):
        await conn.execute(statement, list(part))


async def participants_sliding_out(
    conn: AsyncConnection, campaign_id: int, *, first_day: int, last_day: int
) -> list[int]:
    """Participants with an eligible friend whose last active day is in [first_day, last_day]:
    the ones whose scores drop when the window slides past those days (an index range)."""
    rows = await conn.execute(
        select(campaign_edges.c.participant_id)
        .where(
            campaign_edges.c.campaign_id == campaign_id,
            campaign_edges.c.last_active_day >= first_day,
            campaign_edges.c.last_active_day <= last_day,
            campaign_edges.c.excluded == "",
        )
        .distinct()
    )
    return [row.participant_id for row in rows]


# -- inputs: activity rows and the event log ----------------------------------------------------


async def fresh_activity(
    conn: AsyncConnection,
    campaign_id: int,
    *,
    since: int,
    after_user: int | None,
    eval_day: int,
    limit: int,
) -> tuple[list[tuple[int, int, int]], tuple[int, int] | None, bool]:
    """Activity rows first seen after ``since`` (through the index on ``first_at``), turned into
    (participant, friend, day) moves for the edges they push forward. Returns the moves, the
    (first_at, user_id) of the last row read, and whether the read was cut at ``limit`` (then the
    next read continues after that key: ``after_user`` with ``since`` = its first_at). Rows that
    change nothing are dropped in the edge lookup, so re-reading an overlap costs little."""
    if after_user is None:
        start = activity_daily.c.first_at > since
    else:
        start = or_(
            activity_daily.c.first_at > since,
            and_(activity_daily.c.first_at == since, activity_daily.c.user_id > after_user),
        )
    rows = list(
        await conn.execute(
            select(activity_daily.c.user_id, activity_daily.c.day, activity_daily.c.first_at)
            .where(start, activity_daily.c.day <= eval_day)
            .order_by(activity_daily.c.first_at, activity_daily.c.user_id)
            .limit(limit)
        )
    )
    if not rows:
        return [], None, False
    newest: dict[int, int] = {}
    for row in rows:
        newest[row.user_id] = max(newest.get(row.user_id, row.day), row.day)
    moves: list[tuple[int, int, int]] = []
    for part in chunks(sorted(newest)):
        edges = await conn.execute(
            select(
                campaign_edges.c.participant_id, campaign_edges.c.friend_id, campaign_edges.c.last_active_day
            ).where(campaign_edges.c.campaign_id == campaign_id, campaign_edges.c.friend_id.in_(part))
        )
        for edge in edges:
            day = newest[edge.friend_id]
            if edge.last_active_day is None or edge.last_active_day < day:
                moves.append((edge.participant_id, edge.friend_id, day))
    return moves, (rows[-1].first_at, rows[-1].user_id), len(rows) == limit


async def newest_activity_at(conn: AsyncConnection) -> int:
    return (await conn.scalar(select(func.max(activity_daily.c.first_at)))) or 0


async def advance_edges(conn: AsyncConnection, campaign_id: int, moves: list[tuple[int, int, int]]) -> None:
    """Set last_active_day = day where it is older, for (participant, friend, day) triples."""
    statement = (
        update(campaign_edges)
        .where(
            campaign_edges.c.campaign_id == campaign_id,
            campaign_edges.c.participant_id == bindparam("b_participant"),
            campaign_edges.c.friend_id == bindparam("b_friend"),
            or_(
                campaign_edges.c.last_active_day.is_(None),
                campaign_edges.c.last_active_day < bindparam("b_day"),
            ),
        )
        .values(last_active_day=bindparam("b_day"))
    )
    params = [{"b_participant": p, "b_friend": f, "b_day": d} for p, f, d in moves]
    for part in chunks(params, 2000):
        await conn.execute(statement, list(part))


RELEVANT_EVENTS = ("friend", "block", "org_member", "department", "fraud_flag")


async def events_after(conn: AsyncConnection, position: int, upper: int, limit: int) -> list[Row[Any]]:
    """The events in (position, upper] that can change a leaderboard, oldest first."""
    result = await conn.execute(
        select(events.c.id, events.c.type, events.c.op, events.c.user_id, events.c.data)
        .where(events.c.id > position, events.c.id <= upper, events.c.type.in_(RELEVANT_EVENTS))
        .order_by(events.c.id)
        .limit(limit)
    )
    return list(result)


async def latest_event_id(conn: AsyncConnection) -> int:
    return (await conn.scalar(select(func.max(events.c.id)))) or 0


async def counted_friends(conn: AsyncConnection, campaign_id: int, participant_id: int) -> list[Row[Any]]:
    """A participant's edge rows with the friends' names, for the participant's own view."""
    result = await conn.execute(
        select(
            campaign_edges.c.friend_id,
            campaign_edges.c.since,
            campaign_edges.c.excluded,
            campaign_edges.c.last_active_day,
            users.c.username,
            users.c.display_name,
        )
        .join(users, users.c.id == campaign_edges.c.friend_id)
        .where(campaign_edges.c.campaign_id == campaign_id, campaign_edges.c.participant_id == participant_id)
        .order_by(campaign_edges.c.friend_id)
    )
    return list(result)
