"""The growth tables (store/tables/growth.py) match migration 0003, on SQLite and PostgreSQL, and the
migration goes down and up again cleanly."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI

from lakeside.store import migrate
from lakeside.store.tables import metadata

GROWTH = {
    "activity_daily",
    "registrations",
    "referral_codes",
    "ledger_accounts",
    "ledger_transactions",
    "ledger_entries",
}


async def test_growth_schema_matches_the_migration(app: FastAPI) -> None:
    assert set(metadata.tables) >= GROWTH

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with app.state.services.ctx.db.read() as conn:
        diffs = await conn.run_sync(compare)
    relevant = [diff for diff in diffs if any(name in repr(diff) for name in GROWTH)]
    assert relevant == []


async def test_growth_migration_downgrades_and_upgrades(app: FastAPI) -> None:
    db = app.state.services.ctx.db

    def downgrade(sync_conn: Any) -> None:
        from alembic import command

        command.downgrade(migrate.alembic_config(sync_conn), "0002")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
    assert await migrate.current_revision(db) == "0002"
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
