"""Fraud screening: each rule on its own facts, with a reason a person can read; flagged friends
stop counting until an admin clears them, and only managers see and decide."""

from __future__ import annotations

from fastapi import FastAPI

from lakeside.domain import fraud
from lakeside.domain.fraud import Activity, Interaction, Registration
from tests.campaign_support import board, company, create_campaign, friends, scores, settle, spec
from tests.conftest import Person, register

MIN = 60_000


def reg(uid: int, at: int, *, device: str = "", ip: str = "", inviter: int | None = None) -> Registration:
    return Registration(uid, inviter, ip, device, at)


def test_device_and_network_bursts() -> None:
    regs = [reg(i, i * MIN, device="phone-1") for i in range(1, 6)]  # 5 in 4 minutes
    regs += [reg(10 + i, i * 30 * MIN, device="phone-2") for i in range(5)]  # spread over 2 hours
    found = fraud.signup_bursts(regs, by="device", threshold=5, window_minutes=10)
    assert [f.user_id for f in found] == [1, 2, 3, 4, 5]
    assert found[0].params == {"key": "phone-1", "count": 5, "minutes": 10}
    assert (
        fraud.describe("device_burst", found[0].params, "zh-CN")
        == "同一设备（phone-1）在 10 分钟内注册了 5 个账号"
    )
    net = [reg(i, i * MIN, ip="10.0.0.1") for i in range(4)]
    assert fraud.signup_bursts(net, by="ip", threshold=5, window_minutes=10) == []
    assert fraud.signup_bursts([reg(1, 0), reg(2, 0)], by="device", threshold=2, window_minutes=1) == []


def test_only_inviter_dormant_and_chains() -> None:
    talk = [
        Interaction(1, inviter_id=9, messages_sent=3, partners=frozenset({9})),
        Interaction(2, inviter_id=9, messages_sent=3, partners=frozenset({9, 4})),
        Interaction(3, inviter_id=9, messages_sent=0, partners=frozenset()),
        Interaction(5, inviter_id=None, messages_sent=3, partners=frozenset({9})),
    ]
    only = fraud.only_with_inviter(talk)
    assert [(f.user_id, f.related_user_id) for f in only] == [(1, 9)]
    assert "inviter" in fraud.describe("only_inviter", only[0].params)

    acts = [Activity(1, 100, 100), Activity(2, 100, 101), Activity(3, 100, None), Activity(4, 103, 103)]
    assert [f.user_id for f in fraud.dormant_after_registration(acts, today=104, after_days=3)] == [1, 3]

    chain = [reg(1, 0), reg(2, 5 * MIN, inviter=1), reg(3, 9 * MIN, inviter=2), reg(4, 12 * MIN, inviter=3)]
    chain += [reg(7, 0), reg(8, 5 * MIN, inviter=7), reg(9, 500 * MIN, inviter=8)]  # slow: no chain
    found = fraud.invite_chains(chain, min_length=4, gap_minutes=30)
    assert [f.user_id for f in found] == [2, 3, 4]
    assert found[0].params == {"head_id": 1, "length": 4}


async def test_flags_exclude_until_cleared(app: FastAPI, people: dict[str, Person]) -> None:
    owner, zhang = people["admin"], people["zhangsan"]
    org_id = await company(owner, [zhang])
    farm = [await register(owner.http, f"farm{i}", f"小号{i}", device_id="device-farm") for i in range(5)]
    honest = await register(owner.http, "honest", "真朋友", device_id="device-honest")
    await friends(zhang, *farm, honest)
    # Every test client signs up from one address: screen devices only here.
    campaign_id = await create_campaign(owner, org_id, spec(fraud={"rules": ["device_burst", "dormant"]}))
    await settle(app)
    assert scores(await board(zhang, campaign_id))["zhangsan"] == 6

    response = await owner.post(f"/api/v1/campaigns/{campaign_id}/screen")
    assert response.status_code == 200 and response.json()["new_flags"] == 5
    await settle(app)
    assert scores(await board(zhang, campaign_id))["zhangsan"] == 1
    flags = (await owner.get(f"/api/v1/campaigns/{campaign_id}/flags", params={"status": "open"})).json()[
        "flags"
    ]
    assert {f["username"] for f in flags} == {f"farm{i}" for i in range(5)}
    assert all(f["rule"] == "device_burst" and "device-farm" in f["reason"] for f in flags)
    assert "同一设备" in flags[0]["reason_zh"]
    mine = (await zhang.get(f"/api/v1/campaigns/{campaign_id}/me/friends")).json()["friends"]
    assert sorted(f["reason"] for f in mine) == ["", "flagged", "flagged", "flagged", "flagged", "flagged"]

    # Screening again raises nothing new; the admin clears one, confirms another.
    assert (await owner.post(f"/api/v1/campaigns/{campaign_id}/screen")).json()["new_flags"] == 0
    first, second = flags[0], flags[1]
    response = await owner.post(
        f"/api/v1/campaigns/{campaign_id}/flags/{first['id']}", json={"decision": "clear", "note": "本人核实"}
    )
    assert response.status_code == 200 and response.json()["status"] == "cleared", response.text
    response = await owner.post(
        f"/api/v1/campaigns/{campaign_id}/flags/{second['id']}", json={"decision": "confirm"}
    )
    assert response.json()["status"] == "confirmed" and response.json()["decided_by"] == owner.id
    await settle(app)
    assert scores(await board(zhang, campaign_id))["zhangsan"] == 2
    # A cleared flag is not raised again.
    assert (await owner.post(f"/api/v1/campaigns/{campaign_id}/screen")).json()["new_flags"] == 0

    # Members do not review flags; outsiders do not even see the campaign.
    assert (await zhang.get(f"/api/v1/campaigns/{campaign_id}/flags")).status_code == 403
    assert (await people["mallory"].get(f"/api/v1/campaigns/{campaign_id}/flags")).status_code == 404
    response = await zhang.post(
        f"/api/v1/campaigns/{campaign_id}/flags/{first['id']}", json={"decision": "reopen"}
    )
    assert response.status_code == 403


async def test_the_periodic_round_screens_every_live_campaign(
    app: FastAPI, people: dict[str, Person]
) -> None:
    """What the leaderboard worker runs every ``fraud_screen_interval_seconds``: each live campaign
    whose board is built is screened as if a manager had asked."""
    owner, zhang = people["admin"], people["zhangsan"]
    org_id = await company(owner, [zhang])
    farm = [await register(owner.http, f"farm{i}", f"小号{i}", device_id="device-farm") for i in range(5)]
    await friends(zhang, *farm)
    campaign_id = await create_campaign(owner, org_id, spec(fraud={"rules": ["device_burst"]}))
    await settle(app)
    await app.state.services.fraud.do_screen_live()
    flags = (await owner.get(f"/api/v1/campaigns/{campaign_id}/flags", params={"status": "open"})).json()[
        "flags"
    ]
    assert {f["username"] for f in flags} == {f"farm{i}" for i in range(5)}
