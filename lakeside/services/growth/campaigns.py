"""Campaigns: define them as data, read the live leaderboard, team standings, snapshots and the
quota report.

Who may do what: any active member of the campaign's organization reads its campaigns, the
leaderboard, team standings, their own entry and the frozen results; the organization's owner and
admins (and server admins) create, change and delete campaigns, read the quota report and review
fraud flags. Anyone else gets 404 ``CAMPAIGN_NOT_FOUND``, exactly as for a campaign that does not
exist. The leaderboard itself is maintained by :mod:`lakeside.services.growth.leaderboard`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.campaigns import (
    CampaignSpec,
    Standing,
    assign_prizes,
    quota_shortfalls,
    rank,
    recompute_from_inputs,
    team_rows,
)
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.growth.campaign_views import campaign_status, campaign_view, entry_view, snapshot_entry
from lakeside.services.growth.leaderboard import Leaderboard, spec_of
from lakeside.services.orgaccess import ORG_MANAGERS
from lakeside.store import organizations as org_store
from lakeside.store.growth import campaigns as store
from lakeside.store.growth import leaderboard as edges

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "growth_campaigns"


def templates(start: date) -> list[tuple[str, CampaignSpec]]:
    """The campaigns shipped as examples (``lakeside/growth_campaigns/*.json``), each moved to
    start on ``start``: an admin starts from one and edits it."""
    found = []
    for path in sorted(TEMPLATES_DIR.glob("*.json")):
        spec = check_spec(json.loads(path.read_text(encoding="utf-8")))
        found.append((path.stem, spec.rebased(start)))
    return found


def campaign_not_found() -> NotFound:
    return NotFound("No such campaign.", code="CAMPAIGN_NOT_FOUND")


def check_spec(document: dict[str, Any]) -> CampaignSpec:
    try:
        return CampaignSpec.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "campaign"
        raise Invalid(f"Invalid campaign: {where}: {first['msg']}", code="INVALID_CAMPAIGN") from exc


class Campaigns:
    def __init__(self, ctx: Context, leaderboard: Leaderboard) -> None:
        self.ctx = ctx
        self.engine = leaderboard
        self.wake: Any = None  # set by the worker: a callable that makes it run now

    def _kick(self) -> None:
        if self.wake is not None:
            self.wake()

    # -- access ---------------------------------------------------------------------------------

    async def _can_manage(self, conn: AsyncConnection, user: AuthUser, organization_id: int) -> bool:
        if user.is_admin:
            return True
        member = await org_store.get_member(conn, organization_id, user.id)
        return member is not None and member.status == "active" and member.role in ORG_MANAGERS

    async def access_campaign(
        self, conn: AsyncConnection, user: AuthUser, campaign_id: int, *, manage: bool = False
    ) -> tuple[Row[Any], bool]:
        """The campaign and whether the caller manages it; 404 to anyone outside its organization."""
        campaign = await store.get_campaign(conn, campaign_id)
        if campaign is None:
            raise campaign_not_found()
        member = await org_store.get_member(conn, campaign.organization_id, user.id)
        is_member = member is not None and member.status == "active"
        manager = user.is_admin or (is_member and member.role in ORG_MANAGERS)
        if not is_member and not manager:
            raise campaign_not_found()
        if manage and not manager:
            raise Forbidden("Only the organization's owner and admins may do this.", code="NOT_ORG_ADMIN")
        return campaign, manager

    async def _access_org(
        self, conn: AsyncConnection, user: AuthUser, organization_id: int, manage: bool
    ) -> None:
        if await org_store.get_organization(conn, organization_id) is None:
            raise NotFound("No such organization.", code="ORG_NOT_FOUND")
        if user.is_admin:
            return
        member = await org_store.get_member(conn, organization_id, user.id)
        if member is None or member.status != "active":
            raise NotFound("No such organization.", code="ORG_NOT_FOUND")
        if manage and member.role not in ORG_MANAGERS:
            raise Forbidden("Only the organization's owner and admins may do this.", code="NOT_ORG_ADMIN")

    # -- define ---------------------------------------------------------------------------------

    async def _resolve(self, conn: AsyncConnection, organization_id: int, spec: CampaignSpec) -> CampaignSpec:
        """Department names become ids of this organization; unknown ones are refused."""
        wanted = spec.participants.departments
        if spec.participants.kind != "departments":
            return spec
        names = [d for d in wanted if isinstance(d, str)]
        found = await store.department_ids_by_name(conn, organization_id, names)
        missing = [name for name in names if name not in found]
        if missing:
            raise Invalid(
                f"No department named {missing[0]!r} in this organization.", code="INVALID_CAMPAIGN"
            )
        ids = [found[d] if isinstance(d, str) else d for d in wanted]
        known = await store.department_names(conn, ids)
        if any(i not in known for i in ids):
            raise Invalid(
                "A department of the campaign is not in this organization.", code="INVALID_CAMPAIGN"
            )
        data = spec.model_dump()
        data["participants"]["departments"] = ids
        return CampaignSpec.model_validate(data)

    async def do_create(
        self, user: AuthUser, organization_id: int, document: dict[str, Any], *, by_system: bool = False
    ) -> dict[str, Any]:
        spec = check_spec(document)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            if not by_system:
                await self._access_org(uow.conn, user, organization_id, manage=True)
            spec = await self._resolve(uow.conn, organization_id, spec)
            campaign_id = await store.insert_campaign(
                uow.conn,
                {
                    "organization_id": organization_id,
                    "name": spec.name,
                    "spec": spec.model_dump_json(),
                    "starts_at": spec.starts_at,
                    "ends_at": spec.ends_at,
                    "quota_at": spec.quota_at,
                    "version": 1,
                    "built_version": 0,
                    "created_by": user.id,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            row = await store.get_campaign(uow.conn, campaign_id)
        self._kick()
        assert row is not None
        return campaign_view(row, manager=True)

    async def do_update(self, user: AuthUser, campaign_id: int, document: dict[str, Any]) -> dict[str, Any]:
        spec = check_spec(document)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            campaign, _ = await self.access_campaign(uow.conn, user, campaign_id, manage=True)
            if campaign.frozen_at is not None:
                raise Conflict("The campaign has ended; its result is frozen.", code="CAMPAIGN_FROZEN")
            spec = await self._resolve(uow.conn, campaign.organization_id, spec)
            await store.update_campaign(
                uow.conn,
                campaign_id,
                {
                    "name": spec.name,
                    "spec": spec.model_dump_json(),
                    "starts_at": spec.starts_at,
                    "ends_at": spec.ends_at,
                    "quota_at": spec.quota_at,
                    "version": campaign.version + 1,
                    "updated_at": now,
                },
            )
            await store.set_cursor(uow.conn, f"build:{campaign_id}", -1, now)
            row = await store.get_campaign(uow.conn, campaign_id)
        self._kick()
        assert row is not None
        return campaign_view(row, manager=True)

    async def do_delete(self, user: AuthUser, campaign_id: int) -> None:
        async with self.ctx.transaction() as uow:
            await self.access_campaign(uow.conn, user, campaign_id, manage=True)
            await store.delete_campaign(uow.conn, campaign_id)

    async def list_campaigns(self, user: AuthUser, organization_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await self._access_org(conn, user, organization_id, manage=False)
            manager = await self._can_manage(conn, user, organization_id)
            rows = await store.list_campaigns(conn, organization_id)
        return [campaign_view(row, manager=manager) for row in rows]

    async def get(self, user: AuthUser, campaign_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            campaign, manager = await self.access_campaign(conn, user, campaign_id)
        return campaign_view(campaign, manager=manager)

    # -- read the board ---------------------------------------------------------------------------

    async def leaderboard(
        self, user: AuthUser, campaign_id: int, *, limit: int, offset: int
    ) -> dict[str, Any]:
        """The live ranking (the frozen one once the campaign has ended), a page of it, and the
        caller's own entry wherever it falls."""
        async with self.ctx.db.read() as conn:
            campaign, _ = await self.access_campaign(conn, user, campaign_id)
            if campaign.frozen_at is not None:
                return await self._frozen_board(conn, campaign, user, limit=limit, offset=offset)
            spec = spec_of(campaign)
            rows = await store.standings(conn, campaign_id)
            teams = await store.department_names(conn, sorted({r.team_id for r in rows if r.team_id}))
        by_id = {row.user_id: row for row in rows}
        ranked = assign_prizes(
            rank([Standing(r.user_id, r.score, r.reached_at, r.team_id) for r in rows], spec.tie_break),
            spec.prizes,
            spec.min_score_for_prize,
        )
        entries = [entry_view(r.rank, by_id[r.standing.user_id], r.prize, teams) for r in ranked]
        return {
            "campaign_id": campaign_id,
            "status": campaign_status(campaign, now_ms()),
            "frozen": False,
            "ready": campaign.built_version == campaign.version,
            "window_days": spec.metric.active_days,
            "evaluated_day": campaign.scored_day,
            "total": len(entries),
            "entries": entries[offset : offset + limit],
            "me": next((e for e in entries if e["user_id"] == user.id), None),
        }

    async def _frozen_board(
        self, conn: AsyncConnection, campaign: Row[Any], user: AuthUser, *, limit: int, offset: int
    ) -> dict[str, Any]:
        snapshot = await store.get_snapshot(conn, campaign.id, "final")
        assert snapshot is not None, "a frozen campaign has its final snapshot"
        document = orjson.loads(snapshot.document)
        ranking = document["result"]["ranking"]
        names = await store.names_of(conn, campaign.organization_id, [r["user_id"] for r in ranking])
        teams = await store.department_names(conn, sorted({r["team_id"] for r in ranking if r["team_id"]}))
        entries = [snapshot_entry(r, names, teams) for r in ranking]
        return {
            "campaign_id": campaign.id,
            "status": "ended",
            "frozen": True,
            "ready": True,
            "window_days": document["inputs"]["spec"]["metric"]["active_days"],
            "evaluated_day": document["inputs"]["eval_day"],
            "total": len(entries),
            "entries": entries[offset : offset + limit],
            "me": next((e for e in entries if e["user_id"] == user.id), None),
        }

    async def teams(self, user: AuthUser, campaign_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            campaign, _ = await self.access_campaign(conn, user, campaign_id)
            spec = spec_of(campaign)
            if spec.teams is None:
                return {"campaign_id": campaign_id, "aggregate": None, "teams": []}
            if campaign.frozen_at is not None:
                snapshot = await store.get_snapshot(conn, campaign_id, "final")
                assert snapshot is not None
                rows = orjson.loads(snapshot.document)["result"]["teams"]
            else:
                standings = [
                    Standing(r.user_id, r.score, r.reached_at, r.team_id)
                    for r in await store.standings(conn, campaign_id)
                ]
                rows = team_rows(standings, spec.teams)
            names = await store.department_names(conn, [row["team_id"] for row in rows])
        for row in rows:
            row["name"] = names.get(row["team_id"], "")
        return {"campaign_id": campaign_id, "aggregate": spec.teams.aggregate, "teams": rows}

    async def my_friends(self, user: AuthUser, campaign_id: int) -> dict[str, Any]:
        """The caller's friends as the campaign sees them: counted or not, and why not."""
        async with self.ctx.db.read() as conn:
            campaign, _ = await self.access_campaign(conn, user, campaign_id)
            spec = spec_of(campaign)
            rows = await edges.counted_friends(conn, campaign_id, user.id)
            day = campaign.scored_day if campaign.scored_day is not None else self.engine.today()
        floor = day - spec.metric.active_days
        friends = []
        for row in rows:
            active = row.last_active_day is not None and floor < row.last_active_day <= day
            reason = row.excluded or ("" if active else "inactive")
            friends.append(
                {
                    "user_id": row.friend_id,
                    "username": row.username,
                    "display_name": row.display_name,
                    "since": row.since,
                    "last_active_day": row.last_active_day,
                    "counts": reason == "",
                    "reason": reason,
                }
            )
        friends.sort(key=lambda f: (not f["counts"], f["reason"], f["display_name"], f["user_id"]))
        return {"campaign_id": campaign_id, "window_days": spec.metric.active_days, "friends": friends}

    # -- snapshots and the quota report -----------------------------------------------------------

    async def snapshot(self, user: AuthUser, campaign_id: int, kind: str) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            campaign, _ = await self.access_campaign(conn, user, campaign_id)
            row = await store.get_snapshot(conn, campaign_id, kind)
            if row is None:
                raise NotFound("This campaign has no such snapshot yet.", code="SNAPSHOT_NOT_FOUND")
            document = orjson.loads(row.document)
            ranking = document["result"]["ranking"]
            names = await store.names_of(conn, campaign.organization_id, [r["user_id"] for r in ranking])
            teams = await store.department_names(
                conn, sorted({r["team_id"] for r in ranking if r["team_id"]})
            )
        return {
            "campaign_id": campaign_id,
            "kind": kind,
            "evaluated_at": row.evaluated_at,
            "taken_at": row.taken_at,
            "inputs_hash": row.inputs_hash,
            "result_hash": row.result_hash,
            "ranking": [snapshot_entry(r, names, teams) for r in ranking],
            "teams": [dict(t, name=teams.get(t["team_id"], "")) for t in document["result"]["teams"]],
        }

    async def verify_snapshot(self, user: AuthUser, campaign_id: int, kind: str) -> dict[str, Any]:
        """Re-derive the result from the stored inputs, and re-run the whole evaluation from the
        database: both must give the stored hashes (the second differs only if the data changed
        since, e.g. a friendship made before the deadline was removed)."""
        async with self.ctx.db.read() as conn:
            campaign, _ = await self.access_campaign(conn, user, campaign_id, manage=True)
            row = await store.get_snapshot(conn, campaign_id, kind)
            if row is None:
                raise NotFound("This campaign has no such snapshot yet.", code="SNAPSHOT_NOT_FOUND")
            stored = orjson.loads(row.document)
            rerun = await self.engine.compute(conn, campaign, kind)
        again = recompute_from_inputs(stored["inputs"])
        return {
            "inputs_hash": row.inputs_hash,
            "result_hash": row.result_hash,
            "from_inputs": again["result_hash"] == row.result_hash
            and again["inputs_hash"] == row.inputs_hash,
            "rerun_inputs_hash": rerun["inputs_hash"],
            "rerun_result_hash": rerun["result_hash"],
            "rerun_matches": rerun["inputs_hash"] == row.inputs_hash
            and rerun["result_hash"] == row.result_hash,
        }

    async def quota_report(self, user: AuthUser, campaign_id: int) -> dict[str, Any]:
        """Participants below the quota: final from the snapshot taken at the quota date, else
        provisional from the live state."""
        async with self.ctx.db.read() as conn:
            campaign, _ = await self.access_campaign(conn, user, campaign_id, manage=True)
            spec = spec_of(campaign)
            if spec.quota is None:
                raise NotFound("This campaign has no quota rule.", code="NO_QUOTA")
            snapshot = await store.get_snapshot(conn, campaign_id, "quota")
            if snapshot is not None:
                ranking = orjson.loads(snapshot.document)["result"]["ranking"]
                counts = {r["user_id"]: r["score"] for r in ranking}
                team_of = {r["user_id"]: r["team_id"] for r in ranking}
            else:
                rows = await store.standings(conn, campaign_id)
                counts = {
                    r.user_id: (r.score if spec.quota.require_active else r.outside_friends) for r in rows
                }
                team_of = {r.user_id: r.team_id for r in rows}
            lines = quota_shortfalls(counts, team_of, spec.quota.min_outside_users)
            names = await store.names_of(conn, campaign.organization_id, [line.user_id for line in lines])
            teams = await store.department_names(conn, sorted({t for t in team_of.values() if t}))
        return {
            "campaign_id": campaign_id,
            "final": snapshot is not None,
            "quota_at": campaign.quota_at,
            "min_outside_users": spec.quota.min_outside_users,
            "require_active": spec.quota.require_active,
            "consequence": spec.quota.consequence,
            "consequence_en": spec.quota.consequence_en,
            "participants": len(counts),
            "compliant": len(counts) - len(lines),
            "below": [
                {
                    "user_id": line.user_id,
                    "name": names.get(line.user_id, ("", ""))[0],
                    "username": names.get(line.user_id, ("", ""))[1],
                    "department_id": line.team_id,
                    "department": teams.get(line.team_id, "") if line.team_id else "",
                    "count": line.count,
                    "shortfall": line.shortfall,
                }
                for line in lines
            ],
        }
