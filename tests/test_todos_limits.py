"""To-dos are rate limited (each may put a work notice before up to 100 assignees): making and
editing spend ``todos``; marking done does not."""

from __future__ import annotations

import pytest

from lakeside.config import Settings
from lakeside.domain.limits import check_limits
from tests.conftest import Person
from tests.test_organizations import company
from tests.test_rate_limits import assert_limited


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.rate_limits = check_limits({"todos_per_user": "3/3600"})
    return settings


async def test_making_and_editing_to_dos_is_limited(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    org = await company(zhangsan, [lisi])
    base = f"/api/v1/orgs/{org['id']}/todos"
    made = await zhangsan.post(base, json={"title": "一", "assignee_ids": [lisi.id]})
    assert made.status_code == 201, made.text
    todo_id = made.json()["id"]
    assert (await zhangsan.post(base, json={"title": "二"})).status_code == 201
    assert (await zhangsan.patch(f"{base}/{todo_id}", json={"title": "一（改）"})).status_code == 200
    assert_limited(await zhangsan.post(base, json={"title": "三"}))
    assert_limited(await zhangsan.patch(f"{base}/{todo_id}", json={"title": "again"}))
    # Ticking off is not limited, and the limit is the caller's own.
    for _ in range(4):
        assert (await lisi.post(f"{base}/{todo_id}/done")).status_code == 200
    assert (await lisi.post(base, json={"title": "李四的"})).status_code == 201
