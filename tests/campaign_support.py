"""Helpers shared by the campaign tests: a company with outside friends, a campaign spec, and
settling the leaderboard worker (run until idle, instead of waiting for its timer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from sqlalchemy import delete

from lakeside.domain.campaigns import DAY_MS
from lakeside.domain.tokens import now_ms
from lakeside.store.tables import activity_daily
from tests.conftest import Person, befriend, register


def spec(**overrides: Any) -> dict[str, Any]:
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    document: dict[str, Any] = {
        "name": "来往推广大赛",
        "start": (today - dt.timedelta(days=20)).isoformat(),
        "deadline": (today + dt.timedelta(days=30)).isoformat(),
        "participants": {"kind": "organization"},
        "metric": {"kind": "active_outside_friends", "active_days": 7},
        "prizes": [
            {"key": "first", "name": "一等奖", "count": 1, "amount_fen": 10_000_000},
            {"key": "second", "name": "二等奖", "count": 1, "amount_fen": 5_000_000},
        ],
        "teams": {"by": "department", "aggregate": "sum"},
        "tie_break": ["reached_at", "user_id"],
        "quota": {"min_outside_users": 2, "by": (today + dt.timedelta(days=10)).isoformat()},
    }
    document.update(overrides)
    return document


async def company(owner: Person, members: list[Person], name: str = "湖畔科技") -> int:
    response = await owner.post("/api/v1/orgs", json={"name": name})
    assert response.status_code == 201, response.text
    org_id = int(response.json()["id"])
    response = await owner.post(f"/api/v1/orgs/{org_id}/invitations", json={"kind": "code"})
    code = response.json()["code"]
    for person in members:
        response = await person.post(f"/api/v1/org-invitations/{code}/join", json={})
        assert response.status_code == 200, response.text
    return org_id


async def outsiders(owner: Person, count: int, prefix: str = "out") -> list[Person]:
    return [await register(owner.http, f"{prefix}{i}", f"外部好友{i}") for i in range(count)]


async def create_campaign(owner: Person, org_id: int, document: dict[str, Any]) -> int:
    response = await owner.post(f"/api/v1/orgs/{org_id}/campaigns", json=document)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def settle(app: FastAPI) -> None:
    """Write buffered activity, then let the leaderboard apply everything."""
    services = app.state.services
    await services.growth.activity.flush()
    await services.leaderboard.run_until_idle()


async def forget_activity(app: FastAPI, *people: Person) -> None:
    """Make people inactive (sign-ups count as activity): delete their activity rows."""
    await app.state.services.growth.activity.flush()
    async with app.state.services.ctx.db.transaction() as conn:
        for person in people:
            await conn.execute(delete(activity_daily).where(activity_daily.c.user_id == person.id))


async def active(app: FastAPI, person: Person, days_ago: int = 0) -> None:
    app.state.services.growth.activity.record(person.id, "open", at=now_ms() - days_ago * DAY_MS)
    await app.state.services.growth.activity.flush()


async def board(person: Person, campaign_id: int) -> dict[str, Any]:
    response = await person.get(f"/api/v1/campaigns/{campaign_id}/leaderboard", params={"limit": 500})
    assert response.status_code == 200, response.text
    return dict(response.json())


def scores(body: dict[str, Any]) -> dict[str, int]:
    return {entry["username"]: entry["score"] for entry in body["entries"]}


async def friends(a: Person, *others: Person) -> None:
    for other in others:
        await befriend(a, other)
