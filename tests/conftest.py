"""Full-stack fixtures: every test runs on SQLite and on PostgreSQL, through the real app.

Set LAKESIDE_TEST_BACKENDS=sqlite (or postgresql) to run one. With LAKESIDE_REQUIRE_SERVICES=1
(as in CI) a PostgreSQL that cannot be reached fails the run instead of skipping its half.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.store import migrate
from lakeside.store.engine import Database
from lakeside.store.tables import metadata
from tests.contact_proofs import Proofs, contact_channels

# Figures that tests measure (crash seeds and messages, fuzz cases, matrix cells) are written here by
# whichever process ran the test and printed at the end of the run, also under pytest-xdist.
FIGURES_FILE = Path(__file__).resolve().parent.parent / "artifacts" / "test-figures.txt"

PG_DSN = os.environ.get("LAKESIDE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_SERVICES = os.environ.get("LAKESIDE_REQUIRE_SERVICES") == "1"
BACKENDS = [b for b in os.environ.get("LAKESIDE_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
PASSWORD = "correct horse battery"


def report_figures(line: str) -> None:
    """Keep one line of measured figures for the run's summary (see ``pytest_terminal_summary``)."""
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES_FILE.open("a", encoding="utf-8") as out:
        out.write(line.strip() + "\n")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without workers)
        FIGURES_FILE.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES_FILE.exists():
        terminalreporter.section("figures measured by the tests")
        for line in FIGURES_FILE.read_text(encoding="utf-8").splitlines():
            terminalreporter.write_line(line)


def service_missing(what: str) -> None:
    """Skip locally, fail in CI: a missing service must never pass silently there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (LAKESIDE_REQUIRE_SERVICES=1) but unavailable")
    pytest.skip(f"{what} unavailable")


REDIS_URL = os.environ.get("LAKESIDE_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def require_redis() -> str:
    """The test Redis's URL once it answers a ping (else ``service_missing``)."""
    import redis.asyncio as aioredis

    probe = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await probe.ping()
    except Exception:
        service_missing(f"Redis at {REDIS_URL}")
    finally:
        await probe.aclose()
    return REDIS_URL


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await migrate.upgrade(db)
    await db.dispose()
    return path


@asynccontextmanager
async def own_database(
    backend: str, data_dir: Path, sqlite_template: Path, prefix: str
) -> AsyncIterator[str]:
    """A migrated database of its own for a module's world (the authorization matrix, the
    boundary walk): a copy of the SQLite template in ``data_dir``, or a new PostgreSQL database
    dropped afterwards. Yields its URL."""
    if backend == "sqlite":
        shutil.copy(sqlite_template, data_dir / "lakeside.db")
        yield f"sqlite+aiosqlite:///{data_dir / 'lakeside.db'}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_DSN, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        service_missing("PostgreSQL at " + PG_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    db = Database(url)
    await migrate.upgrade(db)
    await db.dispose()
    try:
        yield url
    finally:
        admin = await asyncpg.connect(PG_DSN, timeout=5)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def pg_url() -> AsyncIterator[str | None]:
    name = f"lakeside_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_DSN, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        yield None
        return
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    db = Database(url)
    await migrate.upgrade(db)
    await db.dispose()
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _truncate_pg(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
async def settings(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str | None
) -> Settings:
    """Fresh settings over an empty, migrated database of the parametrised backend."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if request.param == "sqlite":
        shutil.copy(sqlite_template, data_dir / "lakeside.db")
        url = f"sqlite+aiosqlite:///{data_dir / 'lakeside.db'}"
    else:
        if pg_url is None:
            service_missing("PostgreSQL at " + PG_DSN)
        assert pg_url is not None
        await _truncate_pg(pg_url)
        url = pg_url
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="test-secret",
        migrate_on_start=False,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        export_worker_interval_seconds=0,  # the tests build exports themselves (workers/exports.py)
        outbound_worker_interval_seconds=0,  # the tests drive the outbound queue themselves
    )


@pytest.fixture
async def proofs(settings: Settings) -> AsyncIterator[Proofs]:
    """A live SMTP server and SMS receiver the settings point at: ``await proofs.prove_email(p)``
    proves a person's e-mail address through the real link (tests/contact_proofs.py)."""
    async with contact_channels(settings) as channels:
        yield channels


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4242))
    async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
        yield http


class Person:
    """A registered user with an authenticated client: ``await alice.post(...)``."""

    def __init__(self, http: httpx.AsyncClient, token: str, profile: dict[str, Any]) -> None:
        self.http = http
        self.token = token
        self.id: int = profile["id"]
        self.username: str = profile["username"]
        self.profile = profile
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(url, headers=self.headers, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.post(url, headers=self.headers, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.patch(url, headers=self.headers, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.put(url, headers=self.headers, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.delete(url, headers=self.headers, **kwargs)


async def register(http: httpx.AsyncClient, username: str, display_name: str, **extra: Any) -> Person:
    response = await http.post(
        "/api/v1/auth/register",
        json={"username": username, "password": PASSWORD, "display_name": display_name, **extra},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Person(http, body["token"], body["user"])


# The seeded cast every test may use (STYLE.md: a demo organisation of named users).
CAST = {
    "admin": "管理员",
    "zhangsan": "张三",
    "lisi": "李四",
    "wangwu": "王五",
    "alice": "Alice Chen",
    "bob": "Bob Li",
    "mallory": "Mallory",
}


@pytest.fixture
async def people(client: httpx.AsyncClient) -> dict[str, Person]:
    """The cast, registered in order: the first, ``admin``, is the server administrator."""
    cast: dict[str, Person] = {}
    for username, name in CAST.items():
        cast[username] = await register(client, username, name)
    return cast


async def befriend(a: Person, b: Person) -> None:
    response = await a.post("/api/v1/friends/requests", json={"user_id": b.id, "greeting": "hi"})
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    response = await b.post(f"/api/v1/friends/requests/{request_id}/accept")
    assert response.status_code == 200, response.text


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["code"])
