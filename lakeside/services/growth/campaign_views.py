"""How campaigns, leaderboard entries and the quota report look to clients (shared by the
campaign service and the API's CSV export)."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
from sqlalchemy.engine import Row

from lakeside.domain.spreadsheet import safe_cell
from lakeside.domain.tokens import now_ms


def quota_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["user_id", "username", "name", "department", "count", "required", "shortfall"])
    for line in report["below"]:
        cells = [
            line["user_id"],
            line["username"],
            line["name"],
            line["department"],
            line["count"],
            report["min_outside_users"],
            line["shortfall"],
        ]
        writer.writerow([safe_cell(cell) for cell in cells])  # names and departments are anyone's text
    # A BOM so that Excel opens the Chinese names as UTF-8.
    return "\ufeff" + out.getvalue()


def campaign_status(row: Row[Any], now: int) -> str:
    if row.frozen_at is not None:
        return "ended"
    if now < row.starts_at:
        return "scheduled"
    return "running" if now <= row.ends_at else "closing"


def campaign_view(row: Row[Any], *, manager: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "name": row.name,
        "spec": orjson.loads(row.spec),
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "quota_at": row.quota_at,
        "status": campaign_status(row, now_ms()),
        "ready": row.built_version == row.version,
        "frozen_at": row.frozen_at,
        "can_manage": manager,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def entry_view(rank_no: int, row: Row[Any], prize: str | None, teams: dict[int, str]) -> dict[str, Any]:
    return {
        "rank": rank_no,
        "user_id": row.user_id,
        "name": row.name,
        "username": row.username,
        "team_id": row.team_id,
        "team": teams.get(row.team_id, "") if row.team_id else "",
        "score": row.score,
        "reached_at": row.reached_at,
        "outside_friends": row.outside_friends,
        "prize": prize,
    }


def snapshot_entry(
    r: dict[str, Any], names: dict[int, tuple[str, str]], teams: dict[int, str]
) -> dict[str, Any]:
    name, username = names.get(r["user_id"], ("", ""))
    return {
        "rank": r["rank"],
        "user_id": r["user_id"],
        "name": name,
        "username": username,
        "team_id": r["team_id"],
        "team": teams.get(r["team_id"], "") if r["team_id"] else "",
        "score": r["score"],
        "reached_at": r["reached_at"],
        "outside_friends": None,
        "prize": r["prize"],
    }
