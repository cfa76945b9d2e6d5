"""The ``lakeside`` command, run as a real subprocess against its own data directory.

These tests run on SQLite only: each makes a fresh data directory and does not use the
parametrised ``settings`` fixture. The environment handed to the command is stripped of every
``LAKESIDE_*`` variable, so a developer's or CI's configuration cannot redirect it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lakeside.app import build_app
from lakeside.cli import redact
from lakeside.config import Settings
from lakeside.store import migrate
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
COMMAND_TIMEOUT = 60.0
SERVE_WAIT = 20.0


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAKESIDE_")}
    # Cheap hashing keeps the tests quick; the command reads it like any other setting.
    env.update(LAKESIDE_PASSWORD_HASH_TIME_COST="1", LAKESIDE_PASSWORD_HASH_MEMORY_KIB="1024")
    return env


async def lakeside(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lakeside.cli",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    stdout, stderr = await asyncio.wait_for(
        process.communicate(stdin.encode() if stdin is not None else b""), COMMAND_TIMEOUT
    )
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


async def create_user(env: dict[str, str], data_dir: Path, *args: str, password: str = PASSWORD) -> Result:
    return await lakeside(
        env, "user", "create", *args, "--password-stdin", "--data-dir", str(data_dir), stdin=password + "\n"
    )


async def test_version(cli_env: dict[str, str]) -> None:
    from lakeside import __version__

    result = await lakeside(cli_env, "version")
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == f"lakeside {__version__}"


async def test_migrate_creates_the_database_and_reports_head(cli_env: dict[str, str], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    head = migrate.head_revision()
    assert head == migrate.alembic_head()  # HEAD names the newest migration script

    first = await lakeside(cli_env, "migrate", "--data-dir", str(data_dir))
    assert first.code == 0, first.stderr
    assert (data_dir / "lakeside.db").is_file()
    assert "revision before: none (empty database)" in first.stdout
    assert f"revision after:  {head}" in first.stdout

    again = await lakeside(cli_env, "migrate", "--data-dir", str(data_dir))
    assert again.code == 0, again.stderr
    assert f"revision before: {head}" in again.stdout
    assert f"revision after:  {head}" in again.stdout


async def test_user_create_makes_an_account_that_can_log_in(cli_env: dict[str, str], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = await create_user(
        cli_env, data_dir, "zhangsan", "--display-name", "张三", "--email", "zs@example.com"
    )
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == "created user zhangsan (id 1, administrator)"

    second = await create_user(cli_env, data_dir, "lisi", "--display-name", "李四")
    assert second.code == 0, second.stderr
    assert "(id 2, member)" in second.stdout
    promoted = await create_user(cli_env, data_dir, "wangwu", "--admin")
    assert "(id 3, administrator)" in promoted.stdout
    # The e-mail address logs in once proved; an operator vouches for it on the command line.
    verified = await lakeside(cli_env, "user", "verify", "zhangsan", "--data-dir", str(data_dir))
    assert verified.code == 0 and "count as verified" in verified.stdout, verified.stderr

    settings = Settings(data_dir=data_dir, password_hash_time_cost=1, password_hash_memory_kib=1024)
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
            login = await http.post(
                "/api/v1/auth/login", json={"login": "zs@example.com", "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            me = (await http.get("/api/v1/me", headers=headers)).json()
            assert (me["username"], me["display_name"], me["is_admin"]) == ("zhangsan", "张三", True)
            # The session registration opened on the command line is closed: only this log-in remains.
            sessions = (await http.get("/api/v1/auth/sessions", headers=headers)).json()
            assert [session["current"] for session in sessions] == [True]
            wrong = await http.post("/api/v1/auth/login", json={"login": "lisi", "password": "not it at all"})
            assert wrong.status_code == 401


async def test_user_deactivate_ends_sessions_and_reactivate_lets_the_account_back(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    assert (await create_user(cli_env, data_dir, "zhangsan")).code == 0
    settings = Settings(data_dir=data_dir, password_hash_time_cost=1, password_hash_memory_kib=1024)
    credentials = {"login": "zhangsan", "password": PASSWORD}

    async def with_server(check: Callable[[httpx.AsyncClient], Awaitable[None]]) -> None:
        app = build_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
                await check(http)

    tokens: list[str] = []

    async def log_in(http: httpx.AsyncClient) -> None:
        response = await http.post("/api/v1/auth/login", json=credentials)
        assert response.status_code == 200, response.text
        tokens.append(response.json()["token"])

    await with_server(log_in)
    result = await lakeside(cli_env, "user", "deactivate", "zhangsan", "--data-dir", str(data_dir))
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == "deactivated zhangsan; all of its sessions have ended"

    async def refused(http: httpx.AsyncClient) -> None:
        me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[0]}"})
        assert me.status_code == 401
        login = await http.post("/api/v1/auth/login", json=credentials)
        assert login.status_code in (401, 403) and login.json()["error"]["code"] == "ACCOUNT_DEACTIVATED"

    await with_server(refused)
    result = await lakeside(cli_env, "user", "reactivate", "zhangsan", "--data-dir", str(data_dir))
    assert result.code == 0, result.stderr

    async def back(http: httpx.AsyncClient) -> None:
        # The old session stays ended; a new log-in works.
        me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[0]}"})
        assert me.status_code == 401
        await log_in(http)

    await with_server(back)
    missing = await lakeside(cli_env, "user", "deactivate", "nobody", "--data-dir", str(data_dir))
    assert missing.code == 2
    assert "nobody" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1


async def test_user_create_refusals_are_one_line_and_exit_2(cli_env: dict[str, str], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert (await create_user(cli_env, data_dir, "zhangsan")).code == 0

    cases = [
        (("ZhangSan",), PASSWORD, "error: The username 'zhangsan' is taken."),
        (("lisi",), "short", "error: A password needs at least 8 characters."),
        (("lisi", "--email", "nope"), PASSWORD, "error: That is not a valid e-mail address."),
    ]
    results = await asyncio.gather(
        *(create_user(cli_env, data_dir, *args, password=password) for args, password, _ in cases)
    )
    for (args, _, message), result in zip(cases, results, strict=True):
        assert result.code == 2, (args, result.stdout, result.stderr)
        assert result.stderr.startswith(message), (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""

    empty_stdin = await lakeside(
        cli_env, "user", "create", "lisi", "--password-stdin", "--data-dir", str(data_dir), stdin=""
    )
    assert empty_stdin.code == 2
    assert empty_stdin.stderr == "error: --password-stdin was given but standard input is empty\n"


async def test_bad_settings_and_unreachable_database_are_reported_not_raised(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    bad_setting = await lakeside(
        {**cli_env, "LAKESIDE_MAX_UPLOAD_BYTES": "lots"}, "migrate", "--data-dir", str(tmp_path)
    )
    assert bad_setting.code == 2
    assert bad_setting.stderr.startswith("error: invalid setting max_upload_bytes:")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens once the socket is closed
    unreachable = await lakeside(
        {**cli_env, "LAKESIDE_DATABASE_URL": f"postgresql+asyncpg://nobody@127.0.0.1:{closed_port}/x"},
        "migrate",
    )
    assert unreachable.code == 2
    assert unreachable.stderr.startswith("error: ")
    assert "Traceback" not in unreachable.stderr


@pytest.mark.slow
async def test_demo_seeds_once_prints_logins_and_refuses_foreign_data(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    from lakeside.demo import ADMIN, DEMO_PASSWORD

    demo_dir, real_dir = tmp_path / "demo", tmp_path / "real"
    seeded, real_user = await asyncio.gather(
        lakeside(cli_env, "demo", "--no-serve", "--data-dir", str(demo_dir), "--port", "8123"),
        create_user(cli_env, real_dir, "zhangsan"),
    )
    assert seeded.code == 0, seeded.stderr
    assert "Demo workspace at http://127.0.0.1:8123" in seeded.stdout
    assert re.search(rf"^  {ADMIN} +管理员 +{DEMO_PASSWORD}$", seeded.stdout, re.MULTILINE), seeded.stdout
    assert real_user.code == 0, real_user.stderr

    again, foreign = await asyncio.gather(
        lakeside(cli_env, "demo", "--no-serve", "--data-dir", str(demo_dir)),
        lakeside(cli_env, "demo", "--no-serve", "--data-dir", str(real_dir)),
    )
    assert again.code == 0, again.stderr
    assert "nothing was added" in again.stdout
    assert f"  {ADMIN} " in again.stdout
    # The demo never mixes its people into a database that holds other accounts.
    assert foreign.code == 2
    assert foreign.stderr.startswith("error: The database already holds accounts")
    assert foreign.stderr.count("\n") == 1


def test_log_redaction_blanks_secret_query_parameters() -> None:
    line = '1.2.3.4:5 - "GET /ws?token=abc.def&since=10 HTTP/1.1" 101'
    assert redact(line) == '1.2.3.4:5 - "GET /ws?token=[redacted]&since=10 HTTP/1.1" 101'
    assert redact("/robot/send?access_token=s3cret") == "/robot/send?access_token=[redacted]"
    assert redact("/search?q=monkey=1&tokenizer=x") == "/search?q=monkey=1&tokenizer=x"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_answers_health_and_keeps_secrets_out_of_the_access_log(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lakeside.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=cli_env,
    )
    try:
        body = None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as http:
            for _ in range(int(SERVE_WAIT / 0.1)):
                if process.returncode is not None:
                    break
                try:
                    response = await http.get("/healthz", params={"access_token": "s3cret-value"})
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
                    continue
                assert response.status_code == 200, response.text
                body = response.json()
                break
        assert body is not None, "the server did not answer /healthz in time"
        assert body["status"] == "ok"
        assert body["database"] == "ok"
        assert body["dialect"] == "sqlite"
        assert body["schema_revision"] == migrate.head_revision()
    finally:
        if process.returncode is None:
            process.terminate()
        stdout, stderr = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    logs = stdout.decode() + stderr.decode()
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status says why it stopped.
    assert process.returncode in (0, -signal.SIGTERM), logs
    assert "Application shutdown complete." in logs
    assert "GET /healthz?access_token=[redacted] HTTP/1.1" in logs
    assert "s3cret-value" not in logs
    assert (tmp_path / "data" / "lakeside.db").is_file()


def test_every_setting_is_documented() -> None:
    """README's table and docs/configuration.md list every setting, and the reference names no
    setting that does not exist."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    names = {name.upper() for name in Settings.model_fields}
    for name in sorted(names):
        assert f"`LAKESIDE_{name}`" in readme, f"README.md does not document LAKESIDE_{name}"
        assert f"`LAKESIDE_{name}`" in reference, f"docs/configuration.md does not document LAKESIDE_{name}"
    stale = set(re.findall(r"LAKESIDE_([A-Z0-9_]+)", reference)) - names - {"CONFIG"}
    assert not stale, f"docs/configuration.md names settings that do not exist: {sorted(stale)}"
