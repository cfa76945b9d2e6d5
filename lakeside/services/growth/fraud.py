"""Fraud screening for campaigns: load the facts, run the pure rules of
:mod:`lakeside.domain.fraud`, store new flags, and let admins clear or confirm them.

Only accounts that could count for someone are screened: the friends in the campaign's edge
state. A flag (open or confirmed) keeps its friend out of every score of the campaign until an
admin clears it; a cleared flag is never raised again by the same rule. Flag changes reach the
leaderboard through the event log like every other change (an undelivered ``fraud_flag`` event),
so the worker stays the only writer of edge state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import fraud as rules
from lakeside.domain.campaigns import day_number
from lakeside.domain.events import NOBODY
from lakeside.domain.events.growth import FraudFlagChanged
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.growth.campaigns import Campaigns
from lakeside.services.growth.leaderboard import spec_of
from lakeside.store.growth import campaigns as store
from lakeside.store.growth.leaderboard import chunks
from lakeside.store.tables import (
    activity_daily,
    campaign_edges,
    conversation_members,
    messages,
    registrations,
)


def flag_view(row: Row[Any], names: dict[int, tuple[str, str]]) -> dict[str, Any]:
    params = orjson.loads(row.params)
    name, username = names.get(row.user_id, ("", ""))
    return {
        "id": row.id,
        "campaign_id": row.campaign_id,
        "user_id": row.user_id,
        "name": name,
        "username": username,
        "rule": row.rule,
        "params": params,
        "reason": rules.describe(row.rule, params, "en"),
        "reason_zh": rules.describe(row.rule, params, "zh-CN"),
        "related_user_id": row.related_user_id,
        "status": row.status,
        "note": row.note,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at,
        "created_at": row.created_at,
    }


class Fraud:
    def __init__(self, ctx: Context, campaigns: Campaigns) -> None:
        self.ctx = ctx
        self.campaigns = campaigns
        self.timezone: str = getattr(ctx.settings, "growth_timezone", "Asia/Shanghai")

    async def list_flags(self, user: AuthUser, campaign_id: int, status: str | None) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            campaign, _ = await self.campaigns.access_campaign(conn, user, campaign_id, manage=True)
            rows = await store.list_flags(conn, campaign_id, status)
            names = await store.names_of(conn, campaign.organization_id, sorted({r.user_id for r in rows}))
        return [flag_view(row, names) for row in rows]

    async def do_decide(
        self, user: AuthUser, campaign_id: int, flag_id: int, decision: str, note: str
    ) -> dict[str, Any]:
        """``clear`` lets the friend count again; ``confirm`` keeps them out for good (``reopen``
        puts a decided flag back under review)."""
        status = {"clear": "cleared", "confirm": "confirmed", "reopen": "open"}.get(decision)
        if status is None:
            raise Invalid("The decision is clear, confirm or reopen.", code="INVALID_DECISION")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            campaign, _ = await self.campaigns.access_campaign(uow.conn, user, campaign_id, manage=True)
            flag = await store.get_flag(uow.conn, campaign_id, flag_id)
            if flag is None:
                raise NotFound("No such flag.", code="FLAG_NOT_FOUND")
            decided = {"status": status, "note": note[:256], "decided_by": user.id, "decided_at": now}
            if status == "open":
                decided.update(decided_by=None, decided_at=None)
            await store.decide_flag(uow.conn, flag_id, decided)
            _announce(uow, campaign_id, [flag.user_id])
            row = await store.get_flag(uow.conn, campaign_id, flag_id)
            names = await store.names_of(uow.conn, campaign.organization_id, [flag.user_id])
        self.campaigns._kick()
        assert row is not None
        return flag_view(row, names)

    async def do_screen(self, user: AuthUser | None, campaign_id: int) -> int:
        """Run every enabled rule over the campaign's candidate friends; returns new flags."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            if user is not None:
                campaign, _ = await self.campaigns.access_campaign(uow.conn, user, campaign_id, manage=True)
            else:
                found = await store.get_campaign(uow.conn, campaign_id)
                if found is None:
                    return 0
                campaign = found
            findings = await self._findings(uow.conn, campaign, now)
            existing = await store.existing_flags(uow.conn, campaign_id)
            fresh = [f for f in findings if (f.user_id, f.rule) not in existing]
            await store.insert_flags(
                uow.conn,
                [
                    {
                        "campaign_id": campaign_id,
                        "user_id": f.user_id,
                        "rule": f.rule,
                        "params": orjson.dumps(f.params).decode(),
                        "related_user_id": f.related_user_id,
                        "status": "open",
                        "created_at": now,
                    }
                    for f in fresh
                ],
            )
            _announce(uow, campaign_id, sorted({f.user_id for f in fresh}))
        if fresh:
            self.campaigns._kick()
        return len(fresh)

    async def do_screen_live(self) -> None:
        """Screen every live campaign whose leaderboard is built (the leaderboard worker's
        periodic round, every ``fraud_screen_interval_seconds``)."""
        async with self.ctx.db.read() as conn:
            live = await store.live_campaigns(conn)
        for campaign in live:
            if campaign.built_version == campaign.version:
                await self.do_screen(None, campaign.id)

    async def _findings(self, conn: AsyncConnection, campaign: Row[Any], now: int) -> list[rules.Finding]:
        spec = spec_of(campaign)
        settings = spec.fraud
        candidates = [
            row.friend_id
            for row in await conn.execute(
                select(campaign_edges.c.friend_id)
                .where(campaign_edges.c.campaign_id == campaign.id)
                .distinct()
            )
        ]
        if not candidates:
            return []
        regs = await _registrations(conn, candidates)
        wanted = set(candidates)
        findings: list[rules.Finding] = []
        window = settings.burst_minutes
        if "device_burst" in settings.rules:
            findings += rules.signup_bursts(
                await _neighbours(conn, regs, "device", settings.burst_signups),
                by="device",
                threshold=settings.burst_signups,
                window_minutes=window,
            )
        if "network_burst" in settings.rules:
            findings += rules.signup_bursts(
                await _neighbours(conn, regs, "ip", settings.burst_signups),
                by="ip",
                threshold=settings.burst_signups,
                window_minutes=window,
            )
        if "invite_chain" in settings.rules:
            findings += rules.invite_chains(
                await _invite_lineage(conn, regs),
                min_length=settings.chain_length,
                gap_minutes=settings.chain_minutes,
            )
        if "only_inviter" in settings.rules:
            findings += rules.only_with_inviter(await _interactions(conn, regs))
        if "dormant" in settings.rules:
            findings += rules.dormant_after_registration(
                await _activity(conn, regs, self.timezone),
                today=day_number(now, self.timezone),
                after_days=settings.dormant_after_days,
            )
        return [f for f in findings if f.user_id in wanted]


def _announce(uow: UnitOfWork, campaign_id: int, user_ids: Sequence[int]) -> None:
    # Addressed to nobody: stored in the log for the leaderboard worker, delivered to no client.
    for user_id in user_ids:
        uow.emit(FraudFlagChanged(campaign_id=campaign_id, user_id=user_id), NOBODY)


def _registration(row: Row[Any]) -> rules.Registration:
    return rules.Registration(row.user_id, row.inviter_id, row.ip, row.device, row.created_at)


async def _registrations(conn: AsyncConnection, user_ids: Sequence[int]) -> list[rules.Registration]:
    out: list[rules.Registration] = []
    for part in chunks(list(user_ids)):
        rows = await conn.execute(select(registrations).where(registrations.c.user_id.in_(part)))
        out.extend(_registration(row) for row in rows)
    return out


async def _neighbours(
    conn: AsyncConnection, regs: list[rules.Registration], key: str, threshold: int
) -> list[rules.Registration]:
    """Every sign-up sharing a device/address with a candidate, for the values used by at least
    ``threshold`` sign-ups in all (the others cannot make a burst)."""
    column = registrations.c.device if key == "device" else registrations.c.ip
    values = sorted({reg.device if key == "device" else reg.ip for reg in regs} - {""})
    hot: list[str] = []
    for part in chunks(values):
        rows = await conn.execute(
            select(column.label("value"))
            .where(column.in_(part))
            .group_by(column)
            .having(func.count() >= threshold)
        )
        hot.extend(row.value for row in rows)
    out: list[rules.Registration] = []
    for part in chunks(hot):
        out.extend(
            _registration(row) for row in await conn.execute(select(registrations).where(column.in_(part)))
        )
    return out


async def _invite_lineage(conn: AsyncConnection, regs: list[rules.Registration]) -> list[rules.Registration]:
    """The candidates' registrations with their inviters' and invitees' (two hops each way is
    enough to see any chain through a candidate up to the rule's length when walked repeatedly)."""
    known = {reg.user_id: reg for reg in regs}
    frontier = set(known)
    for _ in range(6):
        ids = sorted(frontier)
        frontier = set()
        for part in chunks(ids):
            up = [known[i].inviter_id for i in part if i in known and known[i].inviter_id is not None]
            rows = list(await conn.execute(select(registrations).where(registrations.c.inviter_id.in_(part))))
            for p2 in chunks([u for u in up if u not in known]):
                rows += list(await conn.execute(select(registrations).where(registrations.c.user_id.in_(p2))))
            for row in rows:
                if row.user_id not in known:
                    known[row.user_id] = _registration(row)
                    frontier.add(row.user_id)
        if not frontier:
            break
    return list(known.values())


async def _interactions(conn: AsyncConnection, regs: list[rules.Registration]) -> list[rules.Interaction]:
    invited = {reg.user_id: reg.inviter_id for reg in regs if reg.inviter_id is not None}
    sent: dict[int, int] = {}
    partners: dict[int, set[int]] = {}
    for part in chunks(sorted(invited)):
        rows = await conn.execute(
            select(messages.c.sender_id, func.count().label("n"))
            .where(messages.c.sender_id.in_(part))
            .group_by(messages.c.sender_id)
        )
        sent.update({row.sender_id: int(row.n) for row in rows})
        rows = await conn.execute(
            select(messages.c.sender_id, conversation_members.c.user_id)
            .join(conversation_members, conversation_members.c.conversation_id == messages.c.conversation_id)
            .where(messages.c.sender_id.in_(part), conversation_members.c.user_id != messages.c.sender_id)
            .distinct()
        )
        for row in rows:
            partners.setdefault(row.sender_id, set()).add(row.user_id)
    return [
        rules.Interaction(uid, inviter, sent.get(uid, 0), frozenset(partners.get(uid, set())))
        for uid, inviter in invited.items()
    ]


async def _activity(
    conn: AsyncConnection, regs: list[rules.Registration], timezone: str
) -> list[rules.Activity]:
    last: dict[int, int] = {}
    for part in chunks([reg.user_id for reg in regs]):
        rows = await conn.execute(
            select(activity_daily.c.user_id, func.max(activity_daily.c.day).label("day"))
            .where(activity_daily.c.user_id.in_(part))
            .group_by(activity_daily.c.user_id)
        )
        last.update({row.user_id: row.day for row in rows})
    return [
        rules.Activity(reg.user_id, day_number(reg.created_at, timezone), last.get(reg.user_id))
        for reg in regs
    ]
