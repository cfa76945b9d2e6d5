"""Analytics on a known synthetic dataset: registrations, DAU/WAU/MAU, growth, retention cohorts,
active organizations, as JSON and CSV, with validated date ranges."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from lakeside.domain.growth import date_of_day, day_of, day_start_ms
from lakeside.domain.tokens import now_ms
from lakeside.store.tables import registrations
from tests.conftest import Person, error_code, register
from tests.test_organizations import company

TZ = "Asia/Shanghai"


def iso(day: int) -> str:
    return date_of_day(day).isoformat()


async def dataset(app: FastAPI, client: httpx.AsyncClient) -> tuple[int, Person, dict[str, Person]]:
    """Day D0 is 100 days ago. Registrations: admin D0-10; u1, u2 D0; u3 D0+1; u4, u5 D0+2.
    Activity: u1 D0, D0+1, D0+7; u2 D0, D0+30; u3 D0+1, D0+2; u4 D0+2, D0+3, D0+9; u5 D0+2.
    Organizations: A (u1, u4) and B (u2)."""
    d0 = day_of(now_ms(), TZ) - 100
    admin = await register(client, "admin", "管理员")
    users = {
        name: await register(client, f"user{name}", name.upper()) for name in ("u1", "u2", "u3", "u4", "u5")
    }
    await company(users["u1"], [users["u4"]], "湖畔科技")
    await company(users["u2"], [], "来往")
    registered = {"admin": d0 - 10, "u1": d0, "u2": d0, "u3": d0 + 1, "u4": d0 + 2, "u5": d0 + 2}
    people = {"admin": admin, **users}
    activity = app.state.services.growth.activity
    await activity.flush()
    async with app.state.services.ctx.db.transaction() as conn:
        for name, day in registered.items():
            at = day_start_ms(day, TZ) + 3_600_000 * 10
            await conn.execute(
                update(registrations).where(registrations.c.user_id == people[name].id).values(created_at=at)
            )
    active = {"u1": (0, 1, 7), "u2": (0, 30), "u3": (1, 2), "u4": (2, 3, 9), "u5": (2,)}
    for name, days in active.items():
        for day in days:
            activity.record(people[name].id, "open", at=day_start_ms(d0 + day, TZ) + 3_600_000 * 23)
    await activity.flush()
    return d0, admin, users


async def test_daily_registrations_dau_wau_mau_and_active_organizations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    d0, admin, _ = await dataset(app, client)
    response = await admin.get("/api/v1/admin/analytics/daily", params={"from": iso(d0), "to": iso(d0 + 40)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == TZ
    days = {row["date"]: row for row in body["days"]}
    assert len(days) == 41

    def series(key: str, offsets: range) -> list[int]:
        return [days[iso(d0 + n)][key] for n in offsets]

    assert series("registrations", range(4)) == [2, 1, 2, 0]
    assert series("registered_total", range(4)) == [3, 4, 6, 6]
    assert series("dau", range(11)) == [2, 2, 3, 1, 0, 0, 0, 1, 0, 1, 0]
    assert days[iso(d0 + 30)]["dau"] == 1
    # WAU: D0..D0+6 holds everyone; D0+1..D0+7 lost u2; D0+3..D0+9 is u1 and u4.
    assert series("wau", range(6, 10)) == [5, 4, 4, 2]
    # MAU: everyone up to D0+29 (and D0+30 brings u2 back); D0+9..D0+38 is u4 and u2.
    assert series("mau", range(28, 31)) == [5, 5, 5]
    assert series("mau", range(36, 41)) == [3, 2, 2, 1, 1]
    assert days[iso(d0)]["active_organizations"] == 2
    assert series("active_organizations", range(1, 4)) == [1, 1, 1]
    assert days[iso(d0 + 7)]["active_organizations"] == 1 and days[iso(d0 + 4)]["active_organizations"] == 0

    # The same as CSV, with a header, a BOM for spreadsheets and a file name.
    response = await admin.get(
        "/api/v1/admin/analytics/daily", params={"from": iso(d0), "to": iso(d0 + 40), "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        f'filename="lakeside-daily-{iso(d0)}-{iso(d0 + 40)}.csv"' in response.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 41 and rows[2]["date"] == iso(d0 + 2) and rows[2]["dau"] == "3"
    assert list(rows[0]) == [
        "date",
        "registrations",
        "registered_total",
        "dau",
        "wau",
        "mau",
        "active_organizations",
    ]


async def test_growth_and_retention(app: FastAPI, client: httpx.AsyncClient) -> None:
    d0, admin, _ = await dataset(app, client)
    response = await admin.get(
        "/api/v1/admin/analytics/growth", params={"from": iso(d0 + 3), "to": iso(d0 + 2)}
    )
    assert response.status_code == 422 and error_code(response) == "BAD_RANGE"
    growth = (
        await admin.get("/api/v1/admin/analytics/growth", params={"from": iso(d0), "to": iso(d0 + 2)})
    ).json()
    assert (growth["dau_from"], growth["dau_to"], growth["dau_growth_percent"]) == (2, 3, 50.0)
    assert growth["registrations"] == 5 and growth["registered_total_to"] == 6
    assert growth["avg7_dau_from"] == round(2 / 7, 1) and growth["avg7_dau_to"] == round(7 / 7, 1)
    flat = (
        await admin.get("/api/v1/admin/analytics/growth", params={"from": iso(d0 - 5), "to": iso(d0)})
    ).json()
    assert flat["dau_from"] == 0 and flat["dau_growth_percent"] is None

    response = await admin.get(
        "/api/v1/admin/analytics/retention", params={"from": iso(d0), "to": iso(d0 + 2)}
    )
    assert response.status_code == 200, response.text
    cohorts = {row["date"]: row for row in response.json()["cohorts"]}
    first, second, third = cohorts[iso(d0)], cohorts[iso(d0 + 1)], cohorts[iso(d0 + 2)]
    assert (first["cohort"], first["day1"], first["day7"], first["day30"]) == (2, 1, 1, 1)
    assert first["day1_rate"] == 0.5
    assert (second["cohort"], second["day1"], second["day7"], second["day30"]) == (1, 1, 0, 0)
    assert (third["cohort"], third["day1"], third["day7"], third["day30"]) == (2, 1, 1, 0)
    # Cohorts too young to measure show null, not 0.
    today = day_of(now_ms(), TZ)
    young = (await admin.get("/api/v1/admin/analytics/retention", params={"from": iso(today - 3)})).json()
    last = young["cohorts"][-1]
    assert last["date"] == iso(today) and last["day1"] is None and last["day1_rate"] is None
    assert young["cohorts"][-1]["cohort"] == 0  # everyone's registration was moved into the past
    csv_text = (
        await admin.get(
            "/api/v1/admin/analytics/retention", params={"from": iso(d0), "to": iso(d0 + 2), "format": "csv"}
        )
    ).text
    assert csv_text.lstrip("\ufeff").splitlines()[0].startswith("date,cohort,day1,day1_rate")


async def test_summary_ranges_and_permissions(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await register(client, "admin", "管理员")
    bob = await register(client, "bob", "Bob")
    summary = (await admin.get("/api/v1/admin/analytics/summary")).json()
    # Both signed up today, and signing up is a log-in: both are active today.
    assert (summary["registered_total"], summary["registrations_today"], summary["dau"]) == (2, 2, 2)
    assert summary["wau"] == summary["mau"] == 2 and summary["timezone"] == TZ
    default = (await admin.get("/api/v1/admin/analytics/daily")).json()["days"]
    assert len(default) == 30 and default[-1]["date"] == iso(day_of(now_ms(), TZ)) and default[-1]["dau"] == 2
    for params, code in (
        ({"from": "2025-01-01", "to": "2026-03-01"}, "RANGE_TOO_LONG"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "BAD_RANGE"),
    ):
        response = await admin.get("/api/v1/admin/analytics/daily", params=params)
        assert response.status_code == 422 and error_code(response) == code, response.text
    response = await admin.get("/api/v1/admin/analytics/daily", params={"from": "2026-02-30"})
    assert response.status_code == 422
    response = await admin.get("/api/v1/admin/analytics/daily", params={"format": "xml"})
    assert response.status_code == 422
    for path in ("summary", "daily", "growth", "retention"):
        response = await bob.get(f"/api/v1/admin/analytics/{path}")
        assert response.status_code == 403 and error_code(response) == "ADMIN_ONLY"


async def test_the_demo_history_shows_a_growth_spurt(app: FastAPI, client: httpx.AsyncClient) -> None:
    from lakeside.demo.growth import seed_growth_demo

    admin = await register(client, "admin", "管理员")
    for n in range(5):
        await register(client, f"staff{n}", f"员工{n}")
    summary = await seed_growth_demo(app.state.services)
    assert "outside sign-ups" in summary
    assert await seed_growth_demo(app.state.services) == "The growth history exists already."
    today = day_of(now_ms(), TZ)
    days = (
        await admin.get("/api/v1/admin/analytics/daily", params={"from": iso(today - 89), "to": iso(today)})
    ).json()["days"]
    before = sum(row["registrations"] for row in days[:60])
    during = sum(row["registrations"] for row in days[60:])
    assert during > 4 * before > 0
    growth = (
        await admin.get(
            "/api/v1/admin/analytics/growth", params={"from": iso(today - 30), "to": iso(today - 1)}
        )
    ).json()
    assert growth["avg7_growth_percent"] is not None and growth["avg7_growth_percent"] > 100
    tree = (await admin.get("/api/v1/admin/referrals/tree", params={"depth": 1})).json()
    assert tree["total_invited"] == days[-1]["registered_total"] - 6


async def test_dates_outside_1970_to_2999_are_refused(client: httpx.AsyncClient) -> None:
    admin = await register(client, "admin", "管理员")
    for params in ({"from": "9999-12-30", "to": "9999-12-31"}, {"from": "1969-12-31", "to": "1970-01-02"}):
        response = await admin.get("/api/v1/admin/analytics/daily", params=params)
        assert response.status_code == 422 and error_code(response) == "BAD_RANGE", response.text
