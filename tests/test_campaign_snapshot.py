"""At the deadline the result is frozen as a snapshot that a re-run from the database reproduces
exactly: same inputs hash, same result hash, byte for byte; later changes do not move it."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import orjson
from fastapi import FastAPI

from lakeside.domain.campaigns import CampaignSpec, recompute_from_inputs
from lakeside.store.growth import campaigns as campaign_store
from tests.campaign_support import board, company, create_campaign, friends, outsiders, settle, spec
from tests.conftest import Person


def soon(seconds: float) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds")


async def wait_frozen(app: FastAPI, person: Person, campaign_id: int) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await settle(app)
        body = await board(person, campaign_id)
        if body["frozen"]:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError("the campaign did not freeze")


async def test_the_deadline_freezes_a_reproducible_snapshot(app: FastAPI, people: dict[str, Person]) -> None:
    owner, zhang, li = people["admin"], people["zhangsan"], people["lisi"]
    org_id = await company(owner, [zhang, li])
    o = await outsiders(owner, 3)
    await friends(zhang, o[0], o[1])
    await friends(li, o[2])
    document = spec(deadline=soon(3), quota={"min_outside_users": 2, "by": soon(1.5)})
    campaign_id = await create_campaign(owner, org_id, document)
    await settle(app)
    live = await board(zhang, campaign_id)
    assert not live["frozen"] and [e["username"] for e in live["entries"][:2]] == ["zhangsan", "lisi"]

    frozen = await wait_frozen(app, zhang, campaign_id)
    assert [(e["username"], e["score"], e["prize"]) for e in frozen["entries"][:2]] == [
        ("zhangsan", 2, "first"),
        ("lisi", 1, "second"),
    ]
    snap = (await zhang.get(f"/api/v1/campaigns/{campaign_id}/snapshots/final")).json()
    verify = (await owner.get(f"/api/v1/campaigns/{campaign_id}/snapshots/final/verify")).json()
    assert verify["from_inputs"] and verify["rerun_matches"], verify
    assert verify["result_hash"] == snap["result_hash"]

    # The stored document re-derives itself; a re-run from the database gives the same bytes.
    services = app.state.services
    async with services.ctx.db.read() as conn:
        campaign = await campaign_store.get_campaign(conn, campaign_id)
        stored = await campaign_store.get_snapshot(conn, campaign_id, "final")
        rerun = await services.leaderboard.compute(conn, campaign, "final")
    document_stored = orjson.loads(stored.document)
    assert recompute_from_inputs(document_stored["inputs"]) == document_stored
    assert orjson.dumps(rerun) == orjson.dumps(document_stored)
    assert CampaignSpec.model_validate(document_stored["inputs"]["spec"]).name == "来往推广大赛"

    # After the deadline, new friends change nothing: the board is the frozen one.
    await friends(li, o[0], o[1])
    await settle(app)
    after = await board(zhang, campaign_id)
    assert [(e["username"], e["score"]) for e in after["entries"][:2]] == [("zhangsan", 2), ("lisi", 1)]
    response = await owner.put(f"/api/v1/campaigns/{campaign_id}", json=document)
    assert response.status_code == 409 and response.json()["error"]["code"] == "CAMPAIGN_FROZEN"
