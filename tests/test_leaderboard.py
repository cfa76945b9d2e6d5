"""The leaderboard: tie-breaks from data, prizes and team standings, and the incremental state
agreeing with a leaderboard built from nothing after a run of changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from lakeside.domain.campaigns import PrizeTier, Standing, Teams, assign_prizes, rank, team_standings
from tests.campaign_support import (
    active,
    board,
    company,
    create_campaign,
    forget_activity,
    friends,
    outsiders,
    scores,
    settle,
    spec,
)
from tests.conftest import Person


def test_ties_go_to_whoever_got_there_first_then_the_user_id() -> None:
    standings = [
        Standing(5, 3, 300),
        Standing(4, 3, 200),
        Standing(3, 3, 200),
        Standing(2, 9, 999),
        Standing(1, 0, None),
    ]
    assert [s.user_id for s in rank(standings, ["reached_at", "user_id"])] == [2, 3, 4, 5, 1]
    assert [s.user_id for s in rank(standings, ["user_id"])] == [2, 3, 4, 5, 1]
    tiers = [
        PrizeTier(key="first", name="一等奖", count=1, amount_fen=1),
        PrizeTier(key="second", name="二等奖", count=3, amount_fen=1),
    ]
    ranked = assign_prizes(rank(standings, ["reached_at", "user_id"]), tiers, min_score=1)
    assert [(r.rank, r.standing.user_id, r.prize) for r in ranked] == [
        (1, 2, "first"),
        (2, 3, "second"),
        (3, 4, "second"),
        (4, 5, "second"),
        (5, 1, None),  # a score of 0 wins nothing even with prizes left
    ]


def test_team_standings_sum_or_average() -> None:
    standings = [
        Standing(1, 10, 1, 100),
        Standing(2, 0, None, 100),
        Standing(3, 6, 1, 200),
        Standing(4, 1, 1, None),
    ]
    by_sum = team_standings(
        standings, Teams(aggregate="sum", prizes=[PrizeTier(key="t", name="团队奖", count=1, amount_fen=1)])
    )
    assert [(t.team_id, t.total, t.score, t.prize) for t in by_sum] == [
        (100, 10, 10.0, "t"),
        (200, 6, 6.0, None),
    ]
    by_average = team_standings(standings, Teams(aggregate="average"))
    assert [(t.team_id, t.score) for t in by_average] == [(200, 6.0), (100, 5.0)]
    assert team_standings(standings, Teams(min_members=2))[0].team_id == 100


def strip(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e["user_id"], e["score"], e["reached_at"], e["team_id"], e["rank"]) for e in body["entries"]]


async def test_incremental_state_matches_a_build_from_nothing(
    app: FastAPI, people: dict[str, Person]
) -> None:
    owner, zhang, li, wang = people["admin"], people["zhangsan"], people["lisi"], people["wangwu"]
    org_id = await company(owner, [zhang, li, wang])
    response = await owner.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "研发中心"})
    dept = response.json()["id"]
    for person in (zhang, li):
        response = await owner.put(
            f"/api/v1/orgs/{org_id}/members/{person.id}/departments", json={"department_ids": [dept]}
        )
        assert response.status_code == 200, response.text
    o = await outsiders(owner, 5)
    await friends(zhang, o[0], o[1])
    await friends(li, o[0], o[2])
    live_id = await create_campaign(owner, org_id, spec())
    await settle(app)
    first = await board(zhang, live_id)
    # zhang and li both have 2; li's newest counted friend came later, so zhang ranks first.
    assert [(e["username"], e["score"]) for e in first["entries"][:2]] == [("zhangsan", 2), ("lisi", 2)]
    assert first["entries"][0]["prize"] == "first" and first["me"]["rank"] == 1

    # A run of changes, applied incrementally.
    await friends(wang, o[3], o[4])
    await forget_activity(app, o[1])
    response = await zhang.delete(f"/api/v1/friends/{o[0].id}")
    assert response.status_code == 200, response.text
    await active(app, o[1])
    await friends(li, o[4])
    await settle(app)
    live = await board(zhang, live_id)
    assert scores(live) == {"lisi": 3, "wangwu": 2, "zhangsan": 1, "admin": 0}

    rebuilt_id = await create_campaign(owner, org_id, spec())
    await settle(app)
    rebuilt = await board(zhang, rebuilt_id)
    assert strip(live) == strip(rebuilt)

    teams = (await zhang.get(f"/api/v1/campaigns/{live_id}/teams")).json()
    assert teams["aggregate"] == "sum"
    assert [(t["name"], t["total"], t["members"]) for t in teams["teams"]] == [("研发中心", 4, 2)]


async def test_department_change_moves_a_participant_between_teams(
    app: FastAPI, people: dict[str, Person]
) -> None:
    owner, zhang = people["admin"], people["zhangsan"]
    org_id = await company(owner, [zhang])
    a = (await owner.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "产品部"})).json()["id"]
    b = (await owner.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "市场部"})).json()["id"]
    await owner.put(f"/api/v1/orgs/{org_id}/members/{zhang.id}/departments", json={"department_ids": [a]})
    (o,) = await outsiders(owner, 1)
    await friends(zhang, o)
    campaign_id = await create_campaign(owner, org_id, spec())
    await settle(app)
    assert [
        t["name"] for t in (await zhang.get(f"/api/v1/campaigns/{campaign_id}/teams")).json()["teams"]
    ] == ["产品部"]
    await owner.put(f"/api/v1/orgs/{org_id}/members/{zhang.id}/departments", json={"department_ids": [b]})
    await settle(app)
    body = await board(zhang, campaign_id)
    assert body["me"]["team"] == "市场部"


@pytest.mark.slow
def test_the_growth_benchmark_runs_at_quick_scale(tmp_path: Path) -> None:
    """`python -m bench growth --quick --sqlite` builds, updates and writes its results file (the
    figures are not judged here; the full scale is run on purpose)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESIDE_")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "growth",
            "--quick",
            "--sqlite",
            "--repeats",
            "3",
            "--workdir",
            str(tmp_path),
            "--output",
            str(tmp_path),
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    (path,) = tmp_path.glob("growth-quick-sqlite-*.json")
    results = json.loads(path.read_text())
    board = results["leaderboard"]
    assert board["participants"] == 200 and board["edges"] > 0
    for key in ("update_friend_added", "update_friend_active", "update_member_left", "update_day_slide"):
        assert board[key]["n"] >= 3
