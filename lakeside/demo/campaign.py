"""The seed's campaign on the demo workspace, and loading campaign files (``lakeside campaign load``).

``seed_campaign`` ships ``lakeside/growth_campaigns/laiwang-2013.json`` — the 2013 Laiwang
contest, as data — on the demo company 湖畔科技, moved so that it runs now (every date shifted alike:
it started 40 days ago, the quota date and the deadline lie ahead). To make the board worth
looking at, it adds outside friends (accounts outside the company, with the demo password) who
befriend some employees and were active on various days, and a small referral farm — five accounts
signed up from one device within minutes, all invited by one employee — that fraud screening
flags. Accounts are written with the demo admin's password hash (no hashing per account), so the
demo still starts in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from lakeside.demo.company import COMPANY
from lakeside.demo.people import USERS
from lakeside.domain.campaigns import DAY_MS, CampaignSpec
from lakeside.domain.tokens import now_ms
from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services
from lakeside.store import users as user_store
from lakeside.store.tables import org_members, organizations, registrations, users

CAMPAIGNS_DIR = Path(__file__).parent.parent / "growth_campaigns"
SEED_FILE = CAMPAIGNS_DIR / "laiwang-2013.json"
OUTSIDE = 40
FARM = 5
SEED = 2013

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"
GIVEN = ("小红", "大伟", "晓燕", "志强", "佳怡", "子轩", "梦琪", "俊宇", "欣然", "浩宇")


def read_spec(path: Path, *, start: dt.date | None = None) -> CampaignSpec:
    """A campaign file, validated; ``start`` moves every date so that it starts that day."""
    from lakeside.services.growth.campaigns import check_spec

    spec = check_spec(json.loads(path.read_text(encoding="utf-8")))
    return spec.rebased(start) if start is not None else spec


async def load_campaign(
    services: Services, path: Path, organization_id: int, *, start: dt.date | None
) -> dict[str, Any]:
    """Load a campaign file for an organization on behalf of its owner (the command line has no
    session); the leaderboard worker builds its board."""
    spec = read_spec(path, start=start)
    async with services.ctx.db.read() as conn:
        org = (await conn.execute(select(organizations).where(organizations.c.id == organization_id))).first()
    if org is None or org.owner_id is None:
        from lakeside.errors import NotFound

        raise NotFound("No such organization (or it has no owner).", code="ORG_NOT_FOUND")
    owner = AuthUser(org.owner_id, "", "", False, 0)
    created = await services.campaigns.do_create(
        owner, organization_id, spec.model_dump(mode="json"), by_system=True
    )
    await services.leaderboard.run_until_idle()
    return created


async def seed_campaign(services: Services) -> str:
    rng = random.Random(SEED)
    now = now_ms()
    async with services.ctx.db.read() as conn:
        org = (await conn.execute(select(organizations).where(organizations.c.name == COMPANY))).first()
        if org is None:
            return "No demo company: no campaign."
        staff = [
            row.user_id
            for row in await conn.execute(
                select(org_members.c.user_id)
                .where(org_members.c.organization_id == org.id, org_members.c.status == "active")
                .order_by(org_members.c.user_id)
            )
        ]
        password_hash = await conn.scalar(select(users.c.password_hash).where(users.c.id == org.owner_id))
        # The scripted cast keeps its friend lists (the demo's chats and tests rely on them): the
        # company's other employees are the ones who bring outside friends.
        cast = await user_store.get_ids_by_usernames(conn, {username for username, _ in USERS})
    staff = [uid for uid in staff if uid not in set(cast.values()) and uid != org.owner_id] or staff
    outside = await _outside_people(services, password_hash or "!", rng, now, staff)
    # Employees bring friends unevenly, as in any contest: a few stars, a long tail.
    for index, friend_id in enumerate(outside):
        inviter = staff[index % 7] if index < OUTSIDE // 2 else rng.choice(staff)
        others = rng.sample(staff, k=min(len(staff), rng.choice((1, 1, 2, 3))))
        for employee in dict.fromkeys([inviter, *others]):
            await services.friends.do_make_friends(employee, friend_id)
        # Active on some of the last days (the window is seven): most recently, long ago, or never.
        for days_ago in sorted(rng.sample(range(0, 20), k=rng.choice((0, 1, 2, 4, 6)))):
            services.growth.activity.record(friend_id, "open", at=now - days_ago * DAY_MS - 3_600_000)
    await services.growth.activity.flush()
    start = dt.datetime.fromtimestamp(now / 1000, dt.UTC).date() - dt.timedelta(days=40)
    created = await load_campaign(services, SEED_FILE, org.id, start=start)
    flags = await services.fraud.do_screen(None, created["id"])
    await services.leaderboard.run_until_idle()
    return (
        f"Campaign «{created['name']}» (the seed's 2013 contest, moved to today) with {len(outside)} outside "
        f"friends; fraud screening raised {flags} flags."
    )


async def _outside_people(
    services: Services, password_hash: str, rng: random.Random, now: int, staff: list[int]
) -> list[int]:
    rows = []
    for i in range(OUTSIDE + FARM):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 3) % len(GIVEN)]
        created = now - rng.randint(1, 35) * DAY_MS if i < OUTSIDE else now - 30 * DAY_MS + i * 60_000
        rows.append(
            {
                "username": f"friend{i + 1:02d}" if i < OUTSIDE else f"farm{i - OUTSIDE + 1}",
                "display_name": name if i < OUTSIDE else f"小号{i - OUTSIDE + 1}",
                "password_hash": password_hash,
                "created_at": created,
                "updated_at": created,
            }
        )
    async with services.ctx.db.transaction() as conn:
        ids = []
        for row in rows:
            ids.append(await user_store.insert_user(conn, row))
        farmer = staff[-1]
        await conn.execute(
            insert(registrations),
            [
                {
                    "user_id": uid,
                    "inviter_id": farmer if i >= OUTSIDE else (staff[i % 7] if i % 3 else None),
                    "ip": f"183.157.{i % 200}.{(i * 7) % 250}" if i < OUTSIDE else "115.236.8.8",
                    "device": f"demo-device-{i}" if i < OUTSIDE else "demo-device-farm",
                    "created_at": row["created_at"],
                }
                for i, (uid, row) in enumerate(zip(ids, rows, strict=True))
            ],
        )
    # The farm befriends the one who invited it and is active every day (it games the window).
    for uid in ids[OUTSIDE:]:
        await services.friends.do_make_friends(staff[-1], uid)
        for days_ago in range(0, 5):
            services.growth.activity.record(uid, "open", at=now - days_ago * DAY_MS - 600_000)
    return ids[:OUTSIDE] + ids[OUTSIDE:]
