"""The live leaderboard: edge state kept up to date incrementally, scores, the daily slide of the
window, and frozen snapshots.

For each campaign the database holds one row per (participant, friend) with the reason the friend
cannot count ("" when it can) and the friend's last active day; a participant's score is the
number of eligible rows whose last active day lies in the window. :meth:`Leaderboard.step` moves
every live campaign forward by one bounded unit of work, from per-campaign cursors:

- events from the durable log (friendships, blocks, memberships, departments, flag decisions):
  only the touched pairs, or the touched user's own edges and their participant friends' edges,
  are recomputed from the database;
- activity rows first seen since the cursor move edges' last active day forward;
- a new day rescores only participants with friends whose last active day just left the window
  (found through an index on the day), never a rescan;
- at the quota date and at the deadline a snapshot is computed from the database, anchored at
  that moment, and stored with its hashes; the deadline's freezes the campaign.

Every recomputation reads the truth afresh, so replaying an event is harmless: that is what lets
a build overlap the tail and an activity cursor re-read a safety margin. Edge state has one
writer at a time: each unit of work runs in one transaction holding an advisory lock
(PostgreSQL) or the single write lock (SQLite).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.campaigns import (
    CampaignSpec,
    EdgeFacts,
    counts,
    day_number,
    edge_status,
    snapshot_document,
)
from lakeside.domain.events import to_conversation
from lakeside.domain.events.growth import CampaignLeaderboard
from lakeside.domain.tokens import now_ms
from lakeside.services.context import Context, UnitOfWork
from lakeside.store import organizations as org_store
from lakeside.store.growth import campaigns as store
from lakeside.store.growth import leaderboard as edges

log = logging.getLogger(__name__)

BUILD_CHUNK = 200
EVENT_BATCH = 500
ACTIVITY_BATCH = 5000


def spec_of(row: Row[Any]) -> CampaignSpec:
    return CampaignSpec.model_validate_json(row.spec)


class Leaderboard:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.timezone: str = getattr(ctx.settings, "growth_timezone", "Asia/Shanghai")
        flush = float(getattr(ctx.settings, "activity_flush_seconds", 5.0))
        # Activity rows carry the time of the activity and are written up to a flush interval
        # later: rows first seen within this margin before now may still arrive, so the read
        # starts at min(cursor, now - margin) (rows that change nothing are dropped cheaply).
        self.activity_overlap_ms = int((2 * flush + 5.0) * 1000)
        self._last_notice: dict[int, int] = {}

    def today(self, at: int | None = None) -> int:
        return day_number(now_ms() if at is None else at, self.timezone)

    # -- the worker's unit of work ------------------------------------------------------------

    async def step(self) -> bool:
        """Advance every live campaign by one bounded unit; True while work remains."""
        async with self.ctx.db.read() as conn:
            live = await store.live_campaigns(conn)
        more = False
        for campaign in live:
            try:
                more = await self._advance(campaign.id) or more
            except Exception:
                log.exception("leaderboard of campaign %d failed to advance", campaign.id)
        return more

    async def run_until_idle(self, max_steps: int = 10_000) -> None:
        for _ in range(max_steps):
            if not await self.step():
                return

    async def _advance(self, campaign_id: int) -> bool:
        async with self.ctx.transaction() as uow:
            if not await edges.try_lock_worker(uow.conn):
                # Another node is at it; report work left so a caller waiting for idle waits.
                await asyncio.sleep(0.05)
                return True
            campaign = await store.get_campaign(uow.conn, campaign_id, for_update=True)
            if campaign is None or campaign.frozen_at is not None:
                return False
            now = now_ms()
            if campaign.built_version != campaign.version:
                await self._build_chunk(uow, campaign, now)
                return True
            quota_due = campaign.quota_at is not None and campaign.quota_at <= now
            if quota_due and await store.get_snapshot(uow.conn, campaign.id, "quota") is None:
                await self._freeze(uow.conn, campaign, "quota", now)
                return True
            if campaign.ends_at <= now:
                await self._freeze(uow.conn, campaign, "final", now)
                await store.update_campaign(uow.conn, campaign.id, {"frozen_at": now, "updated_at": now})
                await self._notify(uow, campaign, now, force=True)
                return False
            changed, more = await self._tail(uow.conn, campaign, now)
            if changed:
                await self._notify(uow, campaign, now)
            return more

    # -- building from nothing ---------------------------------------------------------------

    async def _build_chunk(self, uow: UnitOfWork, campaign: Row[Any], now: int) -> None:
        """Build in chunks of participants, one transaction each. The first chunk clears the old
        state and sets the cursors to where the data stands now: everything after is replayed."""
        conn = uow.conn
        spec = spec_of(campaign)
        done_marker = f"build:{campaign.id}"
        position = await store.get_cursor(conn, done_marker)
        if position is None or position < 0:
            await edges.replace_participant_edges(
                conn, campaign.id, await store.participant_ids(conn, campaign.id), []
            )
            await store.remove_participants(conn, campaign.id, await store.participant_ids(conn, campaign.id))
            people = sorted(
                await store.resolve_participants(
                    conn, campaign.organization_id, spec.participants.model_dump()
                )
            )
            teams = await store.teams_of(conn, campaign.organization_id, people, self._team_level(spec))
            await store.add_participants(conn, campaign.id, teams, now)
            await store.set_cursor(conn, f"events:{campaign.id}", await edges.latest_event_id(conn), now)
            await store.set_cursor(conn, f"activity:{campaign.id}", await edges.newest_activity_at(conn), now)
            await store.set_cursor(conn, f"activity_after:{campaign.id}", -1, now)
            await store.set_cursor(conn, done_marker, 0, now)
            return
        people = [p for p in await store.participant_ids(conn, campaign.id) if p > position]
        chunk = people[:BUILD_CHUNK]
        today = self.today(now)
        await self._rebuild_participants(conn, campaign, spec, chunk, today, now)
        if len(people) > BUILD_CHUNK:
            await store.set_cursor(conn, done_marker, chunk[-1], now)
            return
        await store.set_cursor(conn, done_marker, -1, now)
        await store.update_campaign(
            conn, campaign.id, {"built_version": campaign.version, "scored_day": today, "updated_at": now}
        )
        await self._notify(uow, campaign, now, force=True)

    @staticmethod
    def _team_level(spec: CampaignSpec) -> str:
        return spec.teams.level if spec.teams is not None else "top"

    def _status(self, spec: CampaignSpec, campaign: Row[Any], facts: EdgeFacts) -> str:
        return edge_status(facts, spec.metric, campaign.starts_at, campaign.ends_at)

    async def _rebuild_participants(
        self,
        conn: AsyncConnection,
        campaign: Row[Any],
        spec: CampaignSpec,
        people: list[int],
        today: int,
        now: int,
    ) -> None:
        if not people:
            return
        facts = await edges.facts_for_participants(conn, campaign.id, people, eval_day=today)
        rows = [edges.edge_row(campaign.id, f, self._status(spec, campaign, f)) for f in facts]
        await edges.replace_participant_edges(conn, campaign.id, people, rows)
        await self._rescore(conn, campaign, spec, people, today, now)

    async def _rescore(
        self,
        conn: AsyncConnection,
        campaign: Row[Any],
        spec: CampaignSpec,
        people: Iterable[int],
        today: int,
        now: int,
    ) -> None:
        ids = sorted(set(people))
        scores = await edges.roll_up(
            conn, campaign.id, ids, eval_day=today, active_days=spec.metric.active_days
        )
        await edges.store_scores(conn, campaign.id, scores, now)

    # -- the incremental tail -----------------------------------------------------------------

    async def _tail(self, conn: AsyncConnection, campaign: Row[Any], now: int) -> tuple[bool, bool]:
        spec = spec_of(campaign)
        today = self.today(now)
        touched: set[int] = set()
        more = False
        # Events.
        position = await store.get_cursor(conn, f"events:{campaign.id}") or 0
        upper = await edges.latest_event_id(conn)
        batch = await edges.events_after(conn, position, upper, EVENT_BATCH)
        if batch:
            touched |= await self._apply_events(conn, campaign, spec, batch, today, now)
        new_position = batch[-1].id if len(batch) == EVENT_BATCH else upper
        if new_position != position:
            await store.set_cursor(conn, f"events:{campaign.id}", new_position, now)
        more = more or len(batch) == EVENT_BATCH
        # Activity: from the watermark minus a margin (rows arrive up to a flush late), or, after a
        # full batch, on from the exact (first_at, user) key where that batch ended.
        since = await store.get_cursor(conn, f"activity:{campaign.id}") or 0
        after_user = await store.get_cursor(conn, f"activity_after:{campaign.id}")
        continuing = after_user is not None and after_user >= 0
        newest = await edges.newest_activity_at(conn)
        moves, last_key, cut = await edges.fresh_activity(
            conn,
            campaign.id,
            since=since if continuing else min(since, now - self.activity_overlap_ms),
            after_user=after_user if continuing else None,
            eval_day=today,
            limit=ACTIVITY_BATCH,
        )
        if moves:
            await edges.advance_edges(conn, campaign.id, moves)
            touched.update(p for p, _, _ in moves)
        if cut and last_key is not None:
            more = True
            await store.set_cursor(conn, f"activity:{campaign.id}", last_key[0], now)
            await store.set_cursor(conn, f"activity_after:{campaign.id}", last_key[1], now)
        else:
            if continuing:
                await store.set_cursor(conn, f"activity_after:{campaign.id}", -1, now)
            if newest > since:
                await store.set_cursor(conn, f"activity:{campaign.id}", newest, now)
        # The window's slide: only participants with friends whose last day just left it.
        if campaign.scored_day is not None and campaign.scored_day < today:
            n = spec.metric.active_days
            touched.update(
                await edges.participants_sliding_out(
                    conn, campaign.id, first_day=campaign.scored_day - n + 1, last_day=today - n
                )
            )
            await store.update_campaign(conn, campaign.id, {"scored_day": today})
        if touched:
            await self._rescore(conn, campaign, spec, touched, today, now)
        return bool(touched), more

    async def _apply_events(
        self,
        conn: AsyncConnection,
        campaign: Row[Any],
        spec: CampaignSpec,
        batch: list[Row[Any]],
        today: int,
        now: int,
    ) -> set[int]:
        pairs: set[tuple[int, int]] = set()
        people: set[int] = set()
        teams_dirty = False
        for event in batch:
            data = orjson.loads(event.data)
            if event.type in ("friend", "block") and event.user_id is not None:
                other = (data.get("user") or {}).get("id")
                if isinstance(other, int):
                    pairs.add((event.user_id, other))
                    pairs.add((other, event.user_id))
            elif event.type == "org_member" and isinstance(data.get("user_id"), int):
                people.add(data["user_id"])
            elif event.type == "department" and data.get("organization_id") == campaign.organization_id:
                teams_dirty = True
            elif event.type == "fraud_flag" and data.get("campaign_id") == campaign.id:
                people.add(int(data["user_id"]))
        touched: set[int] = set()
        for user_id in sorted(people):
            touched |= await self._refresh_user(conn, campaign, spec, user_id, today, now)
        if pairs:
            touched |= await self._refresh_pairs(conn, campaign, spec, pairs, today)
        if teams_dirty:
            ids = await store.participant_ids(conn, campaign.id)
            teams = await store.teams_of(conn, campaign.organization_id, ids, self._team_level(spec))
            for user_id, team in teams.items():
                await store.set_team(conn, campaign.id, user_id, team)
            touched.update(ids[:1])
        return touched

    async def _refresh_user(
        self,
        conn: AsyncConnection,
        campaign: Row[Any],
        spec: CampaignSpec,
        user_id: int,
        today: int,
        now: int,
    ) -> set[int]:
        """A user's memberships (or flags) changed: whether they take part, their team, their own
        edges, and their edge in every participant friend's list."""
        should = bool(
            await store.resolve_participants(
                conn, campaign.organization_id, spec.participants.model_dump(), [user_id]
            )
        )
        present = bool(await store.participants_among(conn, campaign.id, [user_id]))
        touched: set[int] = set()
        if present and not should:
            await edges.delete_participant_edges(conn, campaign.id, [user_id])
            await store.remove_participants(conn, campaign.id, [user_id])
        elif should:
            team = (await store.teams_of(conn, campaign.organization_id, [user_id], self._team_level(spec)))[
                user_id
            ]
            if present:
                await store.set_team(conn, campaign.id, user_id, team)
            else:
                await store.add_participants(conn, campaign.id, {user_id: team}, now)
            await self._rebuild_participants(conn, campaign, spec, [user_id], today, now)
            touched.add(user_id)
        befriending = [
            p for p in await edges.participants_befriending(conn, campaign.id, user_id) if p != user_id
        ]
        if befriending:
            touched |= await self._refresh_pairs(
                conn, campaign, spec, {(p, user_id) for p in befriending}, today
            )
        return touched

    async def _refresh_pairs(
        self,
        conn: AsyncConnection,
        campaign: Row[Any],
        spec: CampaignSpec,
        pairs: set[tuple[int, int]],
        today: int,
    ) -> set[int]:
        participants = await store.participants_among(conn, campaign.id, sorted({p for p, _ in pairs}))
        mine = sorted((p, f) for p, f in pairs if p in participants and p != f)
        if not mine:
            return set()
        facts = await edges.facts_for_pairs(conn, campaign.id, mine, eval_day=today)
        rows = [edges.edge_row(campaign.id, f, self._status(spec, campaign, f)) for f in facts]
        await edges.replace_pairs(conn, campaign.id, mine, rows)
        return {p for p, _ in mine}

    async def _notify(self, uow: UnitOfWork, campaign: Row[Any], now: int, *, force: bool = False) -> None:
        """Tell the organization's clients the board moved: one small event on the all-staff group
        (whose members are the organization) at most every two seconds per campaign; clients then
        fetch the board again."""
        if not force and now - self._last_notice.get(campaign.id, 0) < 2000:
            return
        conversation_id = await self.all_staff_conversation(uow.conn, campaign.organization_id)
        if conversation_id is None:
            return
        self._last_notice[campaign.id] = now
        uow.emit(
            CampaignLeaderboard(campaign_id=campaign.id, organization_id=campaign.organization_id),
            to_conversation(conversation_id),
        )

    # -- snapshots ------------------------------------------------------------------------------

    async def compute(self, conn: AsyncConnection, campaign: Row[Any], kind: str) -> dict[str, Any]:
        """The result at the quota date or the deadline, from the database: friendships made after
        that moment and activity after its day are left out; memberships, blocks and flags are as
        they stand (the worker freezes within a step of the moment)."""
        spec = spec_of(campaign)
        at = campaign.quota_at if kind == "quota" else campaign.ends_at
        eval_day = self.today(at)
        people = sorted(
            await store.resolve_participants(conn, campaign.organization_id, spec.participants.model_dump())
        )
        teams = await store.teams_of(conn, campaign.organization_id, people, self._team_level(spec))
        facts = await edges.facts_for_participants(
            conn, campaign.id, people, eval_day=eval_day, created_before=at
        )
        counted: dict[int, list[tuple[int, int]]] = {}
        need_activity = kind == "final" or (spec.quota is not None and spec.quota.require_active)
        for f in facts:
            if self._status(spec, campaign, f):
                continue
            if need_activity and not counts(f.last_active_day, eval_day, spec.metric.active_days):
                continue
            counted.setdefault(f.participant_id, []).append((f.friend_id, f.since))
        return snapshot_document(
            spec,
            campaign_id=campaign.id,
            kind=kind,
            evaluated_at=at,
            eval_day=eval_day,
            counted=counted,
            teams_of=teams,
        )

    async def _freeze(self, conn: AsyncConnection, campaign: Row[Any], kind: str, now: int) -> None:
        if await store.get_snapshot(conn, campaign.id, kind) is not None:
            return
        document = await self.compute(conn, campaign, kind)
        await store.insert_snapshot(
            conn,
            {
                "campaign_id": campaign.id,
                "kind": kind,
                "evaluated_at": document["inputs"]["evaluated_at"],
                "taken_at": now,
                "inputs_hash": document["inputs_hash"],
                "result_hash": document["result_hash"],
                "document": orjson.dumps(document).decode(),
            },
        )

    async def all_staff_conversation(self, conn: AsyncConnection, organization_id: int) -> int | None:
        organization = await org_store.get_organization(conn, organization_id)
        return organization.all_staff_conversation_id if organization is not None else None
