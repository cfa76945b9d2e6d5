"""The webhooks table (store/tables/webhook.py) matches migration 0015, on SQLite and PostgreSQL,
and the migration goes down and up again cleanly (the robots' bots stay: they are users)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import inspect

from lakeside.store import migrate
from lakeside.store.tables import metadata


async def test_webhooks_schema_matches_the_migration(app: FastAPI) -> None:
    assert "webhooks" in metadata.tables

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with app.state.services.ctx.db.read() as conn:
        diffs = await conn.run_sync(compare)
    assert [diff for diff in diffs if "webhooks" in repr(diff)] == []


async def test_webhooks_migration_downgrades_and_upgrades(app: FastAPI) -> None:
    db = app.state.services.ctx.db

    def downgrade(sync_conn: Any) -> None:
        from alembic import command

        command.downgrade(migrate.alembic_config(sync_conn), "0014")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
        assert "webhooks" not in await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert await migrate.current_revision(db) == "0014"
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
