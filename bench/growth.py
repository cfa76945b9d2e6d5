"""Growth benchmark: the campaign leaderboard over a synthetic population.

``python -m bench growth`` (full: 1,000,000 users, 20,000,000 friendships, 90 days of activity,
2,000 participants; ``--quick``: 10,000 users) generates the population straight into a fresh
database (PostgreSQL with COPY by default; ``--sqlite`` for a SQLite file with big executemany
transactions), then measures through lakeside's own services:

- building the seed campaign's leaderboard from nothing (every chunk of the worker's build);
- one incremental update each of: a friendship added, a friend active today for the first time,
  a participant's colleague leaving the organization (their edge in every participant friend's
  list is recomputed), and the window sliding by one day;
- the process's peak resident memory (the build reads participants in chunks, never the graph).

Pairs are unique by construction: user u befriends u + k for distinct offsets k < N/2, so no
pair can be generated twice and no de-duplication set of 20 million pairs is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg

from lakeside.bus import create_bus
from lakeside.config import Settings
from lakeside.domain.campaigns import DAY_MS, day_number
from lakeside.domain.tokens import now_ms
from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services
from lakeside.services.context import Context
from lakeside.store import migrate
from lakeside.store.engine import Database

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
PG_DSN = os.environ.get("LAKESIDE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TZ = "Asia/Shanghai"
DEPARTMENTS = 20
SEED_CAMPAIGN = ROOT.parent / "lakeside" / "growth_campaigns" / "laiwang-2013.json"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Population:
    def __init__(self, users: int, friendships: int, participants: int, days: int, seed: int = 2013) -> None:
        self.users, self.friendships, self.participants, self.days = users, friendships, participants, days
        self.rng = random.Random(seed)
        self.now = now_ms()
        self.today = day_number(self.now, TZ)
        # Participants are hubs (they are the ones bringing friends): ~300 friends each at full scale.
        self.participant_degree = max(20, min(300, friendships // max(users, 1) * 15))
        rest = friendships - participants * self.participant_degree
        self.base_degree = rest / max(users - participants, 1)

    def users_rows(self) -> Iterator[tuple[Any, ...]]:
        start = self.now - self.days * DAY_MS - 365 * DAY_MS
        for uid in range(1, self.users + 1):
            created = start + (uid * 997) % (365 * DAY_MS)
            yield (uid, f"u{uid}", f"用户{uid}", "!", created, created)

    def friendship_pairs(self) -> Iterator[tuple[int, int, int]]:
        n, p, rng = self.users, self.participants, self.rng
        half = n // 2
        for u in range(1, n + 1):
            if u <= p:
                degree = self.participant_degree
                colleagues = degree // 10
                offsets = set(rng.sample(range(1, p), min(colleagues, p - 1)))
                while len(offsets) < degree:
                    offsets.add(rng.randrange(p, half))
            else:
                whole = int(self.base_degree)
                degree = whole + (1 if rng.random() < self.base_degree - whole else 0)
                offsets = set()
                while len(offsets) < degree:
                    offsets.add(rng.randrange(1, half))
            for k in offsets:
                v = (u - 1 + k) % n + 1
                yield u, v, self.now - rng.randrange(1, self.days) * DAY_MS

    def activity_rows(self) -> Iterator[tuple[int, int, int, int]]:
        """(user, day, first_at, last_at): a quarter of users are regulars (~60% of days)."""
        rng = self.rng
        first_day = self.today - self.days + 1
        for u in range(1, self.users + 1):
            rate = 0.6 if rng.random() < 0.25 else 0.05
            count = min(self.days, max(0, int(rng.gauss(rate * self.days, 2))))
            for offset in rng.sample(range(self.days), count):
                day = first_day + offset
                at = (day - self.today) * DAY_MS + self.now - 3_600_000 - rng.randrange(0, 3_000_000)
                yield u, day, at, at + 60_000

    def registration_rows(self) -> Iterator[tuple[Any, ...]]:
        rng, p = self.rng, self.participants
        for uid, *_rest, created, _ in self.users_rows():
            inviter = rng.randint(1, p) if uid > p and rng.random() < 0.1 else None
            yield (uid, inviter, f"10.{uid % 251}.{uid % 199}.{uid % 97}", f"dev-{uid}", created)


# -- loading ------------------------------------------------------------------------------------


async def load_postgres(url: str, pop: Population, log: Any) -> dict[str, float]:
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("SET session_replication_role = replica")  # no FK triggers while loading

        async def copy(
            table: str, columns: list[str], rows: Iterator[tuple[Any, ...]], chunk: int = 500_000
        ) -> int:
            started, total, batch = time.perf_counter(), 0, []
            for row in rows:
                batch.append(row)
                if len(batch) >= chunk:
                    await conn.copy_records_to_table(table, records=batch, columns=columns)
                    total += len(batch)
                    batch = []
            if batch:
                await conn.copy_records_to_table(table, records=batch, columns=columns)
                total += len(batch)
            timings[f"load_{table}_s"] = round(time.perf_counter() - started, 1)
            log(f"  {table}: {total:,} rows in {timings[f'load_{table}_s']} s")
            return total

        await copy(
            "users",
            ["id", "username", "display_name", "password_hash", "created_at", "updated_at"],
            pop.users_rows(),
        )
        await conn.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", pop.users)
        await conn.execute("ALTER TABLE friendships DROP CONSTRAINT pk_friendships")
        await conn.execute("DROP INDEX ix_friendships_friend_id")

        def both_ways() -> Iterator[tuple[int, int, int]]:
            for u, v, at in pop.friendship_pairs():
                yield u, v, at
                yield v, u, at

        await copy("friendships", ["user_id", "friend_id", "created_at"], both_ways())
        started = time.perf_counter()
        await conn.execute(
            "ALTER TABLE friendships ADD CONSTRAINT pk_friendships PRIMARY KEY (user_id, friend_id)"
        )
        await conn.execute("CREATE INDEX ix_friendships_friend_id ON friendships (friend_id)")
        timings["index_friendships_s"] = round(time.perf_counter() - started, 1)
        await conn.execute("ALTER TABLE activity_daily DROP CONSTRAINT pk_activity_daily")
        await conn.execute("DROP INDEX ix_activity_daily_day_user_id")
        await conn.execute("DROP INDEX ix_activity_daily_first_at")
        await copy("activity_daily", ["user_id", "day", "first_at", "last_at"], pop.activity_rows())
        started = time.perf_counter()
        await conn.execute(
            "ALTER TABLE activity_daily ADD CONSTRAINT pk_activity_daily PRIMARY KEY (user_id, day)"
        )
        await conn.execute("CREATE INDEX ix_activity_daily_day_user_id ON activity_daily (day, user_id)")
        await conn.execute("CREATE INDEX ix_activity_daily_first_at ON activity_daily (first_at)")
        timings["index_activity_s"] = round(time.perf_counter() - started, 1)
        await copy(
            "registrations", ["user_id", "inviter_id", "ip", "device", "created_at"], pop.registration_rows()
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return timings


def load_sqlite(path: Path, pop: Population, log: Any) -> dict[str, float]:
    timings: dict[str, float] = {}
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")

    def put(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]], chunk: int = 200_000) -> None:
        started, total, batch = time.perf_counter(), 0, []
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                db.executemany(sql, batch)
                db.commit()
                total, batch = total + len(batch), []
        db.executemany(sql, batch)
        db.commit()
        total += len(batch)
        timings[f"load_{table}_s"] = round(time.perf_counter() - started, 1)
        log(f"  {table}: {total:,} rows in {timings[f'load_{table}_s']} s")

    put(
        "users",
        ["id", "username", "display_name", "password_hash", "created_at", "updated_at"],
        pop.users_rows(),
    )

    def both_ways() -> Iterator[tuple[int, int, int]]:
        for u, v, at in pop.friendship_pairs():
            yield u, v, at
            yield v, u, at

    put("friendships", ["user_id", "friend_id", "created_at"], both_ways())
    put("activity_daily", ["user_id", "day", "first_at", "last_at"], pop.activity_rows())
    put("registrations", ["user_id", "inviter_id", "ip", "device", "created_at"], pop.registration_rows())
    db.execute("ANALYZE")
    db.close()
    return timings


async def seat_participants(services: Services, pop: Population) -> tuple[int, AuthUser]:
    """The company through the services (so it has its all-staff group and events), then its
    2,000 members and their departments in bulk."""
    from sqlalchemy import insert, update

    from lakeside.store.tables import conversation_members, department_members, org_members, organizations

    owner = AuthUser(1, "u1", "用户1", True, 0)
    org = await services.enterprise.organizations.do_create(owner, "湖畔科技")
    departments = [
        (
            await services.enterprise.directory.do_create_department(
                owner, org["id"], name=f"部门{i}", parent_id=None, sort_order=i
            )
        )["id"]
        for i in range(DEPARTMENTS)
    ]
    now = now_ms()
    async with services.ctx.db.transaction() as conn:
        people = range(2, pop.participants + 1)
        await conn.execute(
            insert(org_members),
            [
                {
                    "organization_id": org["id"],
                    "user_id": u,
                    "role": "member",
                    "status": "active",
                    "name": f"用户{u}",
                    "search_key": f"u{u}",
                    "joined_at": now,
                    "updated_at": now,
                }
                for u in people
            ],
        )
        await conn.execute(
            insert(conversation_members),
            [
                {
                    "conversation_id": org["all_staff_conversation_id"],
                    "user_id": u,
                    "role": "member",
                    "joined_at": now,
                }
                for u in people
            ],
        )
        await conn.execute(
            insert(department_members),
            [
                {
                    "department_id": departments[u % DEPARTMENTS],
                    "user_id": u,
                    "organization_id": org["id"],
                    "joined_at": now,
                }
                for u in range(1, pop.participants + 1)
            ],
        )
        await conn.execute(
            update(organizations).where(organizations.c.id == org["id"]).values(member_count=pop.participants)
        )
    return org["id"], owner


async def timed(services: Services) -> float:
    started = time.perf_counter()
    await services.leaderboard.run_until_idle()
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


async def measure(url: str, pop: Population, repeats: int, log: Any) -> dict[str, Any]:
    from sqlalchemy import text

    settings = Settings(database_url=url, secret_key="bench", data_dir=Path("/tmp/lakeside-bench-growth"))
    db = Database(url, sqlite_synchronous="NORMAL")
    bus = create_bus("memory://")
    await bus.connect()
    services = Services(Context(settings, db, bus))
    out: dict[str, Any] = {}
    try:
        org_id, owner = await seat_participants(services, pop)
        spec = json.loads(SEED_CAMPAIGN.read_text())
        today = time.strftime("%Y-%m-%d", time.gmtime((pop.now + 8 * 3_600_000) / 1000))
        from datetime import date

        from lakeside.domain.campaigns import CampaignSpec

        spec = CampaignSpec.model_validate(spec).rebased(
            date.fromisoformat(today) - __import__("datetime").timedelta(days=60)
        )
        rss_before = rss_mib()
        started = time.perf_counter()
        campaign = await services.campaigns.do_create(owner, org_id, spec.model_dump(mode="json"))
        await services.leaderboard.run_until_idle()
        out["build_s"] = round(time.perf_counter() - started, 2)
        out["rss_before_build_mib"] = round(rss_before, 1)
        out["peak_rss_after_build_mib"] = round(rss_mib(), 1)
        async with db.read() as conn:
            out["edges"] = await conn.scalar(text("SELECT count(*) FROM campaign_edges"))
            out["participants"] = await conn.scalar(text("SELECT count(*) FROM campaign_participants"))
            out["top_score"] = await conn.scalar(text("SELECT max(score) FROM campaign_participants"))
        log(
            f"  build from nothing: {out['build_s']} s for {out['participants']:,} participants, "
            f"{out['edges']:,} edges"
        )
        rng = random.Random(7)
        # 1. A friendship added between a participant and an outsider.
        added = []
        for _ in range(repeats):
            p, o = rng.randint(1, pop.participants), rng.randint(pop.participants + 1, pop.users)
            await services.friends.do_make_friends(p, o)
            added.append(await timed(services))
        out["update_friend_added"] = summary(added)
        # 2. A friend active today for the first time (the activity buffer flushed, then the worker).
        active = []
        async with db.read() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT friend_id FROM campaign_edges WHERE campaign_id = :c AND excluded = '' "
                        "AND (last_active_day IS NULL OR last_active_day < :d) LIMIT :n"
                    ),
                    {"c": campaign["id"], "d": pop.today, "n": repeats},
                )
            ).all()
        for row in rows:
            services.growth.activity.record(row.friend_id, "open")
            await services.growth.activity.flush()
            active.append(await timed(services))
        out["update_friend_active"] = summary(active)
        # 3. A member leaves the organization: their own edges and their edge in every participant
        #    friend's list are recomputed (a colleague becomes an outside friend).
        left = []
        for uid in rng.sample(range(2, pop.participants + 1), repeats):
            user = AuthUser(uid, f"u{uid}", f"用户{uid}", False, 0)
            await services.enterprise.organizations.do_leave(user, org_id)
            left.append(await timed(services))
        out["update_member_left"] = summary(left)
        # 4. The window slides by one day: only participants with friends last active N days ago.
        slides = []
        for _ in range(max(3, repeats // 10)):
            async with db.transaction() as conn:
                await conn.execute(
                    text("UPDATE campaigns SET scored_day = scored_day - 1 WHERE id = :c"),
                    {"c": campaign["id"]},
                )
            slides.append(await timed(services))
        out["update_day_slide"] = summary(slides)
        # 5. Reading the leaderboard (all participants ranked, with the caller's own entry).
        reads = []
        for _ in range(repeats):
            started = time.perf_counter()
            await services.campaigns.leaderboard(owner, campaign["id"], limit=50, offset=0)
            reads.append((time.perf_counter() - started) * 1000)
        out["read_leaderboard"] = summary(reads)
        out["peak_rss_mib"] = round(rss_mib(), 1)
    finally:
        await bus.disconnect()
        await db.dispose()
    return out


def scale(args: argparse.Namespace) -> Population:
    if args.quick:
        return Population(10_000, 200_000, 200, 90)
    return Population(args.users, args.friendships, args.participants, args.days)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    pop = scale(args)
    log = print
    backend = "sqlite" if args.sqlite else "postgresql"
    log(
        f"growth benchmark on {backend}: {pop.users:,} users, {pop.friendships:,} friendships, "
        f"{pop.days} days, {pop.participants:,} participants"
    )
    results: dict[str, Any] = {
        "schema": "lakeside.bench.growth/1",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "backend": backend,
        "scale": {
            "users": pop.users,
            "friendships": pop.friendships,
            "days": pop.days,
            "participants": pop.participants,
            "participant_degree": pop.participant_degree,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    try:
        results["git"] = subprocess.run(  # noqa: ASYNC221 (once, before anything is measured)
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        results["git"] = ""
    started = time.perf_counter()
    if args.sqlite:
        workdir = Path(args.workdir) / f"growth-{uuid.uuid4().hex[:8]}"
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()
        results["load"] = await asyncio.to_thread(load_sqlite, path, pop, log)
        drop = None
    else:
        name = f"lakeside_bench_growth_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_DSN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()
        results["load"] = await load_postgres(url, pop, log)
        drop = (admin, name)
    results["load"]["total_s"] = round(time.perf_counter() - started, 1)
    try:
        results["leaderboard"] = await measure(url, pop, args.repeats, log)
    finally:
        if drop is not None and not args.keep:
            admin, name = drop
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench growth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 users (a smoke-test size)")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--friendships", type=int, default=20_000_000)
    parser.add_argument("--participants", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=30, help="updates measured per kind")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--workdir", default="/tmp", help="where the SQLite file goes")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    args.output.mkdir(parents=True, exist_ok=True)
    mode = "quick" if args.quick else "full"
    path = args.output / f"growth-{mode}-{results['backend']}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results["leaderboard"], indent=2, ensure_ascii=False))
    print(f"results: {path}")
