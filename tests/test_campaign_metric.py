"""The first metric, case by case: non-colleague friends active within the last N days at the
moment of evaluation — colleagues, inactive friends, blocked and flagged friends excluded; a
friend who leaves the organization counts from then on; the registration filters."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from lakeside.domain.campaigns import EdgeFacts, Metric, counts, edge_status
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


def facts(**changes: object) -> EdgeFacts:
    base = dict(
        participant_id=1,
        friend_id=2,
        since=0,
        colleague=False,
        blocked=False,
        flagged=False,
        friend_active_account=True,
        registered_at=500,
        inviter_id=None,
        last_active_day=100,
    )
    base.update(changes)
    return EdgeFacts(**base)  # type: ignore[arg-type]


def test_edge_status_reasons() -> None:
    metric = Metric()
    assert edge_status(facts(), metric, 0, 1000) == ""
    assert edge_status(facts(colleague=True, blocked=True), metric, 0, 1000) == "colleague"
    assert edge_status(facts(blocked=True), metric, 0, 1000) == "blocked"
    assert edge_status(facts(flagged=True), metric, 0, 1000) == "flagged"
    assert edge_status(facts(friend_active_account=False), metric, 0, 1000) == "deactivated"
    during = Metric(friends="registered_during_campaign")
    assert edge_status(facts(registered_at=500), during, 0, 1000) == ""
    assert edge_status(facts(registered_at=1001), during, 0, 1000) == "registration"
    invited = Metric(friends="invited_by_participant")
    assert edge_status(facts(inviter_id=1), invited, 0, 1000) == ""
    assert edge_status(facts(inviter_id=3), invited, 0, 1000) == "registration"


def test_the_window_is_the_last_n_days_up_to_the_day_of_evaluation() -> None:
    assert counts(100, 100, 7) and counts(94, 100, 7)
    assert not counts(93, 100, 7)  # (100 - 7, 100] excludes day 93
    assert not counts(101, 100, 7)  # activity after the moment of evaluation does not count
    assert not counts(None, 100, 7)


async def test_colleagues_inactive_blocked_excluded_and_a_leaver_counts(
    app: FastAPI, people: dict[str, Person]
) -> None:
    owner, zhang, li = people["admin"], people["zhangsan"], people["lisi"]
    org_id = await company(owner, [zhang, li])
    o0, o1, o2, o3 = await outsiders(owner, 4)
    await friends(zhang, li, o0, o1, o2, o3)  # li is a colleague
    await forget_activity(app, o1)  # o1 never active
    await active(app, o2, days_ago=10)  # o2 active, but outside the 7-day window
    await forget_activity(app, o2)
    await active(app, o2, days_ago=10)
    campaign_id = await create_campaign(owner, org_id, spec())
    await settle(app)
    body = await board(zhang, campaign_id)
    assert scores(body)["zhangsan"] == 2  # o0 and o3; not li (colleague), o1, o2 (inactive)
    assert body["me"]["username"] == "zhangsan"
    mine = (await zhang.get(f"/api/v1/campaigns/{campaign_id}/me/friends")).json()["friends"]
    reasons = {f["username"]: f["reason"] for f in mine}
    assert reasons == {"lisi": "colleague", "out0": "", "out1": "inactive", "out2": "inactive", "out3": ""}

    # o2 becomes active today: counted again, incrementally.
    await active(app, o2)
    await settle(app)
    assert scores(await board(zhang, campaign_id))["zhangsan"] == 3

    # Blocking o3 ends the friendship and excludes it.
    response = await zhang.put(f"/api/v1/blocks/{o3.id}")
    assert response.status_code == 200, response.text
    await settle(app)
    assert scores(await board(zhang, campaign_id))["zhangsan"] == 2

    # li leaves the organization: from then on li counts for zhang (li is active: registered today).
    response = await li.post(f"/api/v1/orgs/{org_id}/leave")
    assert response.status_code == 200, response.text
    await settle(app)
    body = await board(zhang, campaign_id)
    assert scores(body)["zhangsan"] == 3
    assert "lisi" not in scores(body)  # and li no longer takes part


async def test_a_colleague_in_any_shared_organization_is_excluded(
    app: FastAPI, people: dict[str, Person]
) -> None:
    owner, zhang, alice = people["admin"], people["zhangsan"], people["alice"]
    org_id = await company(owner, [zhang])
    await friends(zhang, alice)
    campaign_id = await create_campaign(owner, org_id, spec())
    await settle(app)
    assert scores(await board(zhang, campaign_id))["zhangsan"] == 1
    # alice and zhang now share a second organization: alice becomes a colleague.
    await company(alice, [zhang], name="另一家公司")
    await settle(app)
    assert scores(await board(zhang, campaign_id))["zhangsan"] == 0


@pytest.mark.parametrize("mode", ["registered_during_campaign", "invited_by_participant"])
async def test_registration_filters(app: FastAPI, people: dict[str, Person], mode: str) -> None:
    owner, zhang = people["admin"], people["zhangsan"]
    org_id = await company(owner, [zhang])
    # Everyone in the cast registered just now (inside the campaign), none invited by zhang.
    old_friend = people["alice"]
    await friends(zhang, old_friend)
    document = spec(metric={"kind": "active_outside_friends", "active_days": 7, "friends": mode})
    campaign_id = await create_campaign(owner, org_id, document)
    await settle(app)
    expected = 1 if mode == "registered_during_campaign" else 0
    assert scores(await board(zhang, campaign_id))["zhangsan"] == expected
