"""The ``lakeside`` command: serve, migrate, create users, run the demo workspace, send a message
(lakeside/cli_send.py), print the version.

Commands build their settings once with ``load_settings`` (TOML file, then environment, then the
command's own options) and wire database, bus and services as the server's lifespan does, so
an account made here is indistinguishable from one made through the API. Expected
failures (a taken username, a weak password, an unreachable database) end as one
``error: ...`` line on stderr and exit status 2, never a traceback. The server's logs pass
through a filter that blanks secrets in query strings, so an access log can be shared safely.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import sys
import unicodedata
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from lakeside import __version__
from lakeside.cli_send import send as send_command
from lakeside.config import Settings, load_settings
from lakeside.errors import Conflict, LakesideError

if TYPE_CHECKING:
    from lakeside.services.container import Services

T = TypeVar("T")

cli = typer.Typer(
    name="lakeside",
    help="lakeside: self-hosted messaging and collaboration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_cli = typer.Typer(help="Manage accounts.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
campaign_cli = typer.Typer(help="Growth campaigns defined as data.", no_args_is_help=True)
cli.add_typer(campaign_cli, name="campaign")

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="SQLite file, uploads and secret key go here (default: LAKESIDE_DATA_DIR, else ./data).",
        file_okay=False,
    ),
]
HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(help="TCP port to listen on.", min=1, max=65535)]


class LogFormat(StrEnum):
    json = "json"
    text = "text"


# Query parameters whose values never reach a log line. lakeside's own tokens travel in headers
# and WebSocket frames, but uvicorn logs URLs with their query strings, and a client or an
# integration (a DingTalk-style robot URL carries ?access_token=...) may put a secret there.
SECRET_NAMES = (
    "access_token|refresh_token|id_token|token|auth|authorization|bearer|lakeside_session|lakeside_csrf"
    "|session|ticket|password|passwd|secret|client_secret|api_key|apikey|key|sig|sign|signature|code"
)
SECRET_PARAMS = re.compile(rf"(?<=[?&])({SECRET_NAMES})=[^&\s\"]*", re.IGNORECASE)


# A bot's API token (domain/bot_scopes.py) wherever it stands: a header echoed in an error, a
# script's command line, a URL. Its prefix stays, so a reader sees what was there.
BOT_TOKENS = re.compile(r"lsb_[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    text = SECRET_PARAMS.sub(lambda match: f"{match.group(1)}=[redacted]", text)
    return BOT_TOKENS.sub("lsb_[redacted]", text) if "lsb_" in text else text


class RedactSecrets(logging.Filter):
    """Blanks secret query parameters in every record a server log handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str) and not record.args:
            record.msg = redact(record.msg)
        return True


def log_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging set-up plus the ``lakeside`` loggers, with secrets filtered on every handler;
    ``json``: one JSON object per line with the request id (lakeside.observability)."""
    from uvicorn.config import LOGGING_CONFIG

    from lakeside.observability import json_log_config

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactSecrets}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["loggers"]["lakeside"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return json_log_config(config) if log_format == "json" else config


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def expected_failures() -> Iterator[None]:
    """Turn the failures a user can cause or fix into one line on stderr and exit status 2."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except LakesideError as exc:
        fail(exc.message)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
        fail(f"invalid setting {where}: {first.get('msg', 'invalid')}")
    except (OSError, SQLAlchemyError) as exc:
        fail(f"{type(exc).__name__}: {exc}".splitlines()[0])
    except ValueError as exc:
        fail(str(exc))


def run(coro: Coroutine[Any, Any, T]) -> T:
    with expected_failures():
        return asyncio.run(coro)
    raise AssertionError("unreachable: expected_failures exits on whatever it catches")


def make_settings(data_dir: Path | None) -> Settings:
    with expected_failures():
        return load_settings(data_dir=data_dir)
    raise AssertionError("unreachable: expected_failures exits on whatever it catches")


def listen_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def adopt_listen_address(settings: Settings, host: str, port: int) -> None:
    """Links the server writes (invitations, e-mails) must point where it listens, unless the
    operator said otherwise (a reverse proxy, a public name)."""
    if "public_url" not in settings.model_fields_set:
        settings.public_url = listen_url(host, port)


def database_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """The server's lifespan wiring without the server: migrate, connect the bus, start services."""
    from lakeside.bus import create_bus
    from lakeside.services.container import Services
    from lakeside.services.context import Context
    from lakeside.store import migrate
    from lakeside.store.engine import Database

    settings.ensure_secret()
    db = Database(settings.effective_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        await migrate.upgrade(db)
        bus = create_bus(settings.bus_url)
        await bus.connect()
        try:
            services = Services(Context(settings, db, bus))
            await services.start()
            try:
                yield services
            finally:
                await services.stop()
        finally:
            await bus.disconnect()
    finally:
        await db.dispose()


def serve_forever(
    settings: Settings, host: str, port: int, proxy_headers: bool, trusted: str, log_format: str = "text"
) -> None:
    import uvicorn

    from lakeside.app import build_app

    with expected_failures():
        application = build_app(settings)
    config = uvicorn.Config(
        app=application,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=1024 * 1024,  # the gateway refuses frames over 64 KiB; never buffer 16 MiB ones
        lifespan="on",
        proxy_headers=proxy_headers,
        forwarded_allow_ips=trusted,
        access_log=True,
        log_config=log_config("info", log_format),
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        # uvicorn has logged why (port taken, lifespan failed to start).
        raise typer.Exit(1)


@cli.command()
def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    data_dir: DataDirOption = None,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips (behind a reverse proxy).",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Comma-separated proxy addresses trusted with --proxy-headers.")
    ] = "127.0.0.1",
    log_format: Annotated[
        LogFormat, typer.Option(help="json: one object per line with a request id; text: for reading.")
    ] = LogFormat.json,
) -> None:
    """Run the server in this process (SQLite and the in-process bus unless configured otherwise)."""
    settings = make_settings(data_dir)
    adopt_listen_address(settings, host, port)
    serve_forever(settings, host, port, proxy_headers, forwarded_allow_ips, log_format.value)


async def _migrate(settings: Settings) -> tuple[str | None, str | None]:
    from lakeside.store import migrate
    from lakeside.store.engine import Database

    if settings.effective_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        before = await migrate.current_revision(db)
        await migrate.upgrade(db)
        return before, await migrate.current_revision(db)
    finally:
        await db.dispose()


@cli.command("migrate")
def migrate_command(data_dir: DataDirOption = None) -> None:
    """Bring the database schema up to date (the server also does this at start by default)."""
    settings = make_settings(data_dir)
    before, after = run(_migrate(settings))
    typer.echo(f"database: {database_label(settings.effective_database_url)}")
    typer.echo(f"revision before: {before or 'none (empty database)'}")
    typer.echo(f"revision after:  {after}")


def read_password(from_stdin: bool) -> str:
    if not from_stdin:
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    line = sys.stdin.readline()
    if not line:
        fail("--password-stdin was given but standard input is empty")
    return line.removesuffix("\n").removesuffix("\r")


async def _create_user(settings: Settings, password: str, fields: dict[str, Any]) -> dict[str, Any]:
    from lakeside.services.accounts import AuthUser

    async with open_services(settings) as services:
        new = await services.accounts.do_register(password=password, user_agent="lakeside cli", **fields)
        profile = await services.accounts.get_own_profile(new.user_id)
        # Registration opens a session for the API's caller; from the command line nobody holds
        # its token, so it is closed rather than left in the user's session list.
        owner = AuthUser(
            new.user_id, profile["username"], profile["display_name"], profile["is_admin"], new.session_id
        )
        await services.accounts.do_revoke_session(owner, new.session_id)
        return profile


@user_cli.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="3-32 characters: a letter, then letters, digits, _ . -")],
    display_name: Annotated[str | None, typer.Option(help="Shown to others (default: the username).")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the account a server administrator.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Create an account. The first account on an empty server is its administrator."""
    settings = make_settings(data_dir)
    password = read_password(password_stdin)
    fields = {
        "username": username,
        "display_name": display_name,
        "email": email,
        "phone": phone,
        "make_admin": admin,
    }
    profile = run(_create_user(settings, password, fields))
    role = "administrator" if profile["is_admin"] else "member"
    typer.echo(f"created user {profile['username']} (id {profile['id']}, {role})")


async def _set_active(settings: Settings, username: str, active: bool) -> None:
    async with open_services(settings) as services:
        user_id = await services.accounts.find_user_id(username)
        if active:
            await services.accounts.do_reactivate_account(user_id)
        else:
            await services.accounts.do_deactivate_account(user_id)


@user_cli.command("deactivate")
def user_deactivate(
    username: Annotated[str, typer.Argument(help="The account's username.")],
    data_dir: DataDirOption = None,
) -> None:
    """Deactivate an account: it cannot log in, and every session of it ends at once (open
    sockets close; other nodes forget the sessions when the event reaches them)."""
    run(_set_active(make_settings(data_dir), username, False))
    typer.echo(f"deactivated {username}; all of its sessions have ended")


@user_cli.command("reactivate")
def user_reactivate(
    username: Annotated[str, typer.Argument(help="The account's username.")],
    data_dir: DataDirOption = None,
) -> None:
    """Let a deactivated account log in again."""
    run(_set_active(make_settings(data_dir), username, True))
    typer.echo(f"reactivated {username}")


async def _mark_proved(settings: Settings, username: str) -> None:
    async with open_services(settings) as services:
        await services.verification.do_mark_proved(await services.accounts.find_user_id(username))


@user_cli.command("verify")
def user_verify(username: Annotated[str, typer.Argument()], data_dir: DataDirOption = None) -> None:
    """Take the account's e-mail address and phone number as proved (a server without SMTP or an
    SMS webhook, or an address checked another way)."""
    run(_mark_proved(make_settings(data_dir), username))
    typer.echo(f"{username}'s e-mail address and phone number count as verified")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


@cli.command()
def demo(
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Where the demo workspace lives (LAKESIDE_DATA_DIR does not apply).",
            file_okay=False,
        ),
    ] = Path("data/demo"),
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Run the server once the workspace is seeded.")
    ] = True,
) -> None:
    """Seed a demo workspace, print its logins, and serve it."""
    try:
        from lakeside.demo import seed_demo
    except ImportError as exc:
        if exc.name == "lakeside.demo":
            fail("the demo workspace is not part of this build (lakeside.demo is missing)")
        fail(f"the demo workspace cannot be loaded: {exc}")
    settings = make_settings(data_dir)
    adopt_listen_address(settings, host, port)

    async def seed() -> Any:
        async with open_services(settings) as services:
            result = await seed_demo(services)
            if result.created:  # ninety days of sign-ups and activity for the analytics dashboard
                from lakeside.demo.growth import seed_growth_demo

                result.summary += "\n" + await seed_growth_demo(services)
            return result

    result = None
    with expected_failures():
        try:
            result = asyncio.run(seed())
        except Conflict as exc:
            # The seeder refuses to mix its people into a database holding other accounts;
            # serving that database as it is remains what was asked for.
            if not serve_after:
                fail(exc.message)
            typer.echo(f"note: {exc.message} Serving the existing data.", err=True)
    if result is not None:
        typer.echo(f"Demo workspace at {listen_url(host, port)}")
        if result.summary:
            typer.echo(result.summary)
        typer.echo("Demo accounts:")
        for line in _table([("username", "name", "password"), *result.logins]):
            typer.echo(f"  {line}")
    if serve_after:
        serve_forever(settings, host, port, False, "127.0.0.1")


@cli.command()
def backup(
    archive: Annotated[Path, typer.Argument(help="Where to write the backup (.tar.gz).", dir_okay=False)],
    data_dir: DataDirOption = None,
) -> None:
    """Write a consistent snapshot of a SQLite deployment (database, files, secret key), even while
    the server runs. PostgreSQL: use pg_dump (docs/reliability.md)."""
    from lakeside.backup import create_backup

    settings = make_settings(data_dir)
    with expected_failures():
        manifest = create_backup(settings, archive)
    typer.echo(f"backup written to {archive}")
    typer.echo(manifest.summary())


@cli.command()
def restore(
    archive: Annotated[
        Path, typer.Argument(help="A backup written by `lakeside backup`.", exists=True, dir_okay=False)
    ],
    data_dir: DataDirOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the database and files already in the data directory.")
    ] = False,
) -> None:
    """Restore a backup into the data directory (stop the server first). Refuses a directory that
    holds data unless --force, and a backup made by a newer schema."""
    from lakeside.backup import restore_backup

    settings = make_settings(data_dir)
    with expected_failures():
        manifest = restore_backup(settings, archive, force=force)
    typer.echo(f"restored {archive} into {settings.data_dir}")
    typer.echo(manifest.summary())


@campaign_cli.command("load")
def campaign_load(
    file: Annotated[
        Path, typer.Argument(help="A campaign as JSON, e.g. lakeside/growth_campaigns/laiwang-2013.json.")
    ],
    org: Annotated[int, typer.Option("--org", help="The organization's id; its owner defines the campaign.")],
    start: Annotated[
        str | None, typer.Option(help="Move every date so the campaign starts this day (YYYY-MM-DD).")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Validate a campaign file and load it for an organization; prints the campaign's id."""
    import datetime as dt

    from lakeside.demo.campaign import load_campaign

    settings = make_settings(data_dir)
    with expected_failures():
        moved = dt.date.fromisoformat(start) if start else None

        async def go() -> dict[str, Any]:
            async with open_services(settings) as services:
                return await load_campaign(services, file, org, start=moved)

        created = run(go())
    typer.echo(
        f"loaded campaign {created['id']} «{created['name']}» ({created['status']}) for organization {org}"
    )


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"lakeside {__version__}")


# ``lakeside send`` (lakeside/cli_send.py): a message from a script, as LAKESIDE_TOKEN.
cli.command(name="send")(send_command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
