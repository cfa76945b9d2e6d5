"""Apply Alembic migrations to a database, from the CLI (`lakeside migrate`) or at start.

Alembic is imported only when there is something to migrate: a server starting on a current
schema reads ``alembic_version`` with one plain query and compares it with ``HEAD``. (Importing
Alembic and loading the migration scripts cost ~0.1-0.2 s of a ~2 s start.) ``HEAD`` names the
newest script in ``migrations/versions``; tests/test_cli.py checks that Alembic agrees.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from lakeside.store.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0022"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and await current_revision(db) == HEAD:
        return
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def current_revision(db: Database) -> str | None:
    """The schema's revision as recorded by Alembic; None for an empty database."""
    try:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:  # no alembic_version table: nothing was ever migrated
        return None
    return str(rows[0][0]) if rows else None


def head_revision() -> str:
    return HEAD


def alembic_head() -> Any:
    """The head as Alembic reads it from the scripts (loads them all)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
