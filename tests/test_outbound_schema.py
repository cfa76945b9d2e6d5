"""The outbound tables (store/tables/outbound.py) match migration 0016 on SQLite and PostgreSQL,
and the migration goes down and up again cleanly (the dispatcher's cursor starting at the end of
the event log as it is then)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import select

from lakeside.store import migrate
from lakeside.store.events import latest_id
from lakeside.store.tables import metadata, outbound_cursors
from tests.conftest import befriend

OUTBOUND = {"robots", "bot_subscriptions", "outbound_deliveries", "outbound_attempts", "outbound_cursors"}


async def test_outbound_schema_matches_the_migration(app: FastAPI) -> None:
    assert set(metadata.tables) >= OUTBOUND

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with app.state.services.ctx.db.read() as conn:
        diffs = await conn.run_sync(compare)
    relevant = [diff for diff in diffs if any(name in repr(diff) for name in OUTBOUND)]
    assert relevant == []


async def test_outbound_migration_downgrades_and_upgrades(app: FastAPI, people: Any) -> None:
    db = app.state.services.ctx.db
    await befriend(people["zhangsan"], people["lisi"])  # events in the log

    def downgrade(sync_conn: Any) -> None:
        from alembic import command

        command.downgrade(migrate.alembic_config(sync_conn), "0014")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
    assert await migrate.current_revision(db) == "0014"
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()
    async with db.read() as conn:
        position = await conn.scalar(select(outbound_cursors.c.position))
        newest = await latest_id(conn)
    assert newest > 0 and position == newest  # old events are not replayed


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
