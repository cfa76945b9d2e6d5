"""Ninety days of growth history for the demo workspace, so the analytics dashboard has curves.

The story follows the seed article: for two months the company's own people use the app on
workdays and a trickle of outside friends signs up; then, 30 days ago, an invitation drive starts
and outside sign-ups jump (each attributed to the colleague whose personal code brought them), so
DAU climbs several-fold within the month while the newcomers' retention decays as it does.

The outside people are real accounts without a usable password (nobody logs in as them); their
sign-ups, attribution and activity are written straight into the growth tables, dated in the
past. Choices come from ``random.Random(2013)`` (the year of the Laiwang drive), so every seed
tells the same story relative to its own "today".
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select, update

from lakeside.domain.growth import day_of, day_start_ms, new_code
from lakeside.domain.tokens import now_ms
from lakeside.services.container import Services
from lakeside.store import users as user_store
from lakeside.store.growth import activity as activity_store
from lakeside.store.growth import referrals as referral_store
from lakeside.store.tables import registrations
from lakeside.store.tables import users as users_table

HISTORY_DAYS = 90
DRIVE_DAYS = 30  # the invitation drive: the last 30 days
SEED = 2013
PREFIX = "laiwang"  # outside accounts are laiwang001, laiwang002, ...
UNUSABLE_PASSWORD = "!demo-account-without-password"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁沈任姚"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "晓东",
    "建华",
    "子涵",
    "雨桐",
    "浩然",
    "欣怡",
    "梓轩",
    "思远",
    "嘉怡",
    "宇航",
]


async def seed_growth_demo(services: Services, *, today: int | None = None) -> str:
    """Write the history; returns a one-line summary. Does nothing when it is there already."""
    ctx = services.ctx
    tz = ctx.settings.growth_timezone
    today = day_of(now_ms(), tz) if today is None else today
    first = today - HISTORY_DAYS + 1
    rng = random.Random(SEED)
    async with ctx.db.read() as conn:
        if await user_store.get_user_by_login(conn, f"{PREFIX}001") is not None:
            return "The growth history exists already."
        staff = [
            int(row[0]) for row in await conn.execute(select(users_table.c.id).order_by(users_table.c.id))
        ]
    if not staff:
        return "No accounts: nothing to grow."

    def moment(day: int) -> int:
        """A time of day people use the app: mostly 8:00 to 23:00."""
        return day_start_ms(day, tz) + rng.randint(8 * 3600, 23 * 3600) * 1000

    # Staff signed up in the first week of the history.
    joined = {user_id: first + rng.randint(0, 6) for user_id in staff}
    codes: dict[int, int] = {}
    outsiders: list[tuple[int, int]] = []  # (user id, sign-up day)
    number = 0
    async with ctx.db.transaction() as conn:
        for user_id, day in joined.items():
            await conn.execute(
                update(registrations).where(registrations.c.user_id == user_id).values(created_at=moment(day))
            )
            # Everyone's personal code, made the week they joined.
            values = {"user_id": user_id, "code": new_code(), "uses": 0, "created_at": moment(day)}
            codes[user_id] = await referral_store.insert_code(conn, values)
        for day in range(first + 7, today + 1):
            in_drive = day > today - DRIVE_DAYS
            # A trickle before the drive; during it sign-ups ramp up over the first two weeks.
            expected = 0.6 if not in_drive else 3 + 9 * min(1.0, (day - (today - DRIVE_DAYS)) / 14)
            for _ in range(_poisson(rng, expected)):
                number += 1
                inviter = rng.choice(staff)
                at = moment(day)
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                new_id = await user_store.insert_user(
                    conn,
                    {
                        "username": f"{PREFIX}{number:03d}",
                        "display_name": name,
                        "password_hash": UNUSABLE_PASSWORD,
                        "is_admin": False,
                        "created_at": at,
                        "updated_at": at,
                    },
                )
                code_id = codes[inviter]
                await referral_store.insert_registration(
                    conn,
                    {
                        "user_id": new_id,
                        "inviter_id": inviter,
                        "referral_code_id": code_id,
                        "campaign_id": None,
                        "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                        "device": f"ios-{rng.getrandbits(32):08x}",
                        "created_at": at,
                    },
                )
                await referral_store.claim_code(conn, code_id)
                outsiders.append((new_id, day))
        rows = _staff_activity(rng, joined, today, moment) + _outsider_activity(rng, outsiders, today, moment)
        await activity_store.upsert_counters(conn, rows)
    return (
        f"Growth history: {HISTORY_DAYS} days, {len(outsiders)} outside sign-ups through personal codes "
        f"({sum(1 for _, day in outsiders if day > today - DRIVE_DAYS)} during the 30-day drive), "
        f"{len(rows)} daily activity rows."
    )


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _row(user_id: int, day: int, at: int, rng: random.Random, chatty: float) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "day": day,
        "logins": 1 if rng.random() < 0.15 else 0,
        "messages": int(rng.expovariate(1 / chatty)),
        "opens": 1 + int(rng.expovariate(1 / 3)),
        "first_at": at,
        "last_at": at + rng.randint(0, 4 * 3600) * 1000,
    }


def _staff_activity(
    rng: random.Random, joined: dict[int, int], today: int, moment: Any
) -> list[dict[str, Any]]:
    rows = []
    for user_id, start in joined.items():
        for day in range(start, today + 1):
            weekday = (day + 3) % 7 < 5  # day 0, 1970-01-01, was a Thursday
            if rng.random() < (0.85 if weekday else 0.3):
                rows.append(_row(user_id, day, moment(day), rng, 12.0))
    return rows


def _outsider_activity(
    rng: random.Random, outsiders: list[tuple[int, int]], today: int, moment: Any
) -> list[dict[str, Any]]:
    """Active on the day they sign up; afterwards less and less, as pushed sign-ups are."""
    rows = []
    for user_id, start in outsiders:
        loyal = rng.random() < 0.3
        for day in range(start, today + 1):
            age = day - start
            chance = 1.0 if age == 0 else (0.7 if loyal else 0.45) * (0.93**age) + (0.2 if loyal else 0.04)
            if rng.random() < chance:
                rows.append(_row(user_id, day, moment(day), rng, 4.0))
    return rows
