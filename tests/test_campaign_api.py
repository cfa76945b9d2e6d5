"""The campaign API: who may define and read what, validation of campaign documents, the shipped
seed campaign, isolation between organizations, and the OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI

from lakeside.domain.campaigns import CampaignSpec
from tests.campaign_support import board, company, create_campaign, settle, spec
from tests.conftest import Person, error_code, register

SEED = Path(__file__).resolve().parent.parent / "lakeside" / "growth_campaigns" / "laiwang-2013.json"


def test_the_seed_campaign_ships_as_data() -> None:
    seed = CampaignSpec.model_validate(json.loads(SEED.read_text()))
    assert seed.deadline == "2013-12-31" and seed.quota is not None and seed.quota.by == "2013-11-30"
    assert [(t.key, t.count, t.amount_fen) for t in seed.prizes] == [
        ("first", 1, 10_000_000),
        ("second", 3, 5_000_000),
        ("third", 10, 1_000_000),
    ]
    assert seed.quota.min_outside_users == 100 and seed.metric.active_days == 7
    assert seed.teams is not None and seed.teams.by == "department"
    # The deadline is evaluated at the last millisecond of 2013-12-31 in Beijing.
    assert seed.ends_at == 1388505599999
    moved = seed.rebased(__import__("datetime").date(2030, 1, 1))
    assert (moved.start, moved.quota.by if moved.quota else None) == ("2030-01-01", "2030-04-14")


async def test_define_read_and_isolation(app: FastAPI, people: dict[str, Person]) -> None:
    owner, zhang, mallory = people["admin"], people["zhangsan"], people["mallory"]
    org_id = await company(owner, [zhang])
    other_org = await company(mallory, [], name="别家公司")

    # Members may not define campaigns; outsiders do not see the organization.
    response = await zhang.post(f"/api/v1/orgs/{org_id}/campaigns", json=spec())
    assert response.status_code == 403 and error_code(response) == "NOT_ORG_ADMIN"
    response = await mallory.post(f"/api/v1/orgs/{org_id}/campaigns", json=spec())
    assert response.status_code == 404

    # Validation: dates out of order, unknown fields, a department that is not there.
    bad = spec(deadline="2000-01-01")
    assert (await owner.post(f"/api/v1/orgs/{org_id}/campaigns", json=bad)).status_code == 422
    assert (
        await owner.post(f"/api/v1/orgs/{org_id}/campaigns", json={**spec(), "bogus": 1})
    ).status_code == 422
    nowhere = spec(participants={"kind": "departments", "departments": ["不存在的部门"]})
    response = await owner.post(f"/api/v1/orgs/{org_id}/campaigns", json=nowhere)
    assert response.status_code == 422 and error_code(response) == "INVALID_CAMPAIGN"

    campaign_id = await create_campaign(owner, org_id, spec())
    listed = (await zhang.get(f"/api/v1/orgs/{org_id}/campaigns")).json()["campaigns"]
    assert [c["id"] for c in listed] == [campaign_id] and listed[0]["can_manage"] is False
    assert listed[0]["spec"]["name"] == "来往推广大赛"
    await settle(app)
    assert (await board(zhang, campaign_id))["ready"] is True

    # Nothing of it leaks to another organization's people.
    for path in ("", "/leaderboard", "/teams", "/me/friends", "/snapshots/final", "/quota", "/flags"):
        response = await mallory.get(f"/api/v1/campaigns/{campaign_id}{path}")
        assert response.status_code == 404 and error_code(response) == "CAMPAIGN_NOT_FOUND", path
    assert (await mallory.get(f"/api/v1/orgs/{org_id}/campaigns")).status_code == 404
    assert (await mallory.get(f"/api/v1/orgs/{other_org}/campaigns")).json()["campaigns"] == []
    assert (await mallory.delete(f"/api/v1/campaigns/{campaign_id}")).status_code == 404
    assert (await zhang.delete(f"/api/v1/campaigns/{campaign_id}")).status_code == 403

    # No snapshot before the deadline; the owner may change and delete.
    response = await zhang.get(f"/api/v1/campaigns/{campaign_id}/snapshots/final")
    assert response.status_code == 404 and error_code(response) == "SNAPSHOT_NOT_FOUND"
    changed = await owner.put(f"/api/v1/campaigns/{campaign_id}", json=spec(name="第二季"))
    assert (
        changed.status_code == 200 and changed.json()["name"] == "第二季" and changed.json()["ready"] is False
    )
    await settle(app)
    assert (await owner.get(f"/api/v1/campaigns/{campaign_id}")).json()["ready"] is True
    assert (await owner.delete(f"/api/v1/campaigns/{campaign_id}")).status_code == 200
    assert (await owner.get(f"/api/v1/campaigns/{campaign_id}")).status_code == 404


async def test_openapi_lists_the_campaign_endpoints(client: object, app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path in (
        "/api/v1/orgs/{org_id}/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/campaigns/{campaign_id}/leaderboard",
        "/api/v1/campaigns/{campaign_id}/teams",
        "/api/v1/campaigns/{campaign_id}/me/friends",
        "/api/v1/campaigns/{campaign_id}/snapshots/{kind}",
        "/api/v1/campaigns/{campaign_id}/snapshots/{kind}/verify",
        "/api/v1/campaigns/{campaign_id}/quota",
        "/api/v1/campaigns/{campaign_id}/flags",
        "/api/v1/campaigns/{campaign_id}/flags/{flag_id}",
        "/api/v1/campaigns/{campaign_id}/screen",
    ):
        assert path in paths, path
        for operation in paths[path].values():
            assert "200" in operation["responses"] or "201" in operation["responses"]


async def test_campaign_schema_matches_migration_0004(app: FastAPI) -> None:
    from typing import Any

    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from lakeside.store import migrate
    from lakeside.store.tables import metadata

    ours = {"campaigns", "campaign_participants", "campaign_edges", "campaign_snapshots", "fraud_flags"}
    ours.add("campaign_cursors")

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    db = app.state.services.ctx.db
    async with db.read() as conn:
        diffs = await conn.run_sync(compare)
    assert [d for d in diffs if any(name in repr(d) for name in ours)] == []

    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(migrate.alembic_config(c), "0003"))
    assert await migrate.current_revision(db) == "0003"
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_the_shipped_campaigns_are_offered_as_templates_moved_to_start_on_a_given_day(
    client: httpx.AsyncClient,
) -> None:
    anyone = await register(client, "templates_reader", "模板读者")
    response = await anyone.get("/api/v1/campaign-templates", params={"start": "2026-12-01"})
    assert response.status_code == 200, response.text
    templates = {template["key"]: template["spec"] for template in response.json()}
    laiwang = templates["laiwang-2013"]
    # 2013-08-19 → 2013-12-31 (quota 2013-11-30): the same lengths from the new start.
    assert (laiwang["start"], laiwang["deadline"]) == ("2026-12-01", "2027-04-14")
    assert laiwang["quota"]["by"] == "2027-03-14"
    assert [(tier["count"], tier["amount_fen"]) for tier in laiwang["prizes"]] == [
        (1, 10_000_000),
        (3, 5_000_000),
        (10, 1_000_000),
    ]
    assert (await client.get("/api/v1/campaign-templates")).status_code == 401
    for wrong in ("not-a-day", "0", "1700000000", "2026-02-30"):
        bad = await anyone.get("/api/v1/campaign-templates", params={"start": wrong})
        assert bad.status_code == 422 and bad.json()["error"]["code"], wrong
