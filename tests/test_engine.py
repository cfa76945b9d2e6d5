"""The SQLite unit-of-work path (``Database.run_write``): the writer takes the write lock without
blocking the event loop, waits for another connection's write transaction off the loop, and
stays usable after a unit of work fails."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lakeside.store.engine import Database


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    async with database.transaction() as conn:
        await conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield database
    await database.dispose()


def _insert(value: str) -> Any:
    async def unit(conn: Any) -> int:
        result = await conn.exec_driver_sql("INSERT INTO scratch (v) VALUES (?) RETURNING id", (value,))
        return int(result.scalar_one())

    return unit


async def _values(db: Database) -> list[str]:
    async def unit(conn: Any) -> list[str]:
        return [v for (v,) in (await conn.exec_driver_sql("SELECT v FROM scratch ORDER BY id")).all()]

    return await db.run_read(unit)


async def test_the_writer_waits_for_another_connections_write_without_blocking_the_loop(db: Database) -> None:
    holding = asyncio.Event()
    release = asyncio.Event()

    async def other_writer() -> None:
        # An ordinary (aiosqlite) write transaction that holds the write lock until released.
        async with db.transaction() as conn:
            await conn.execute(text("INSERT INTO scratch (v) VALUES ('first')"))
            holding.set()
            await release.wait()

    async with asyncio.timeout(60):  # a hang guard only: nothing below is timed
        other = asyncio.create_task(other_writer())
        await holding.wait()
        writer = asyncio.create_task(db.run_write(_insert("second")))
        # The writer cannot have the lock yet; the loop still runs (this line is reached), and
        # the other transaction can finish, which the writer was waiting for.
        await asyncio.sleep(0)
        assert not writer.done()
        release.set()
        await other
        second_id = await writer
    assert await _values(db) == ["first", "second"]
    assert second_id == 2


async def test_a_failed_unit_of_work_rolls_back_and_the_writer_goes_on(db: Database) -> None:
    async def failing(conn: Any) -> None:
        await conn.exec_driver_sql("INSERT INTO scratch (v) VALUES ('lost')")
        raise ValueError("the unit of work failed")

    with pytest.raises(ValueError, match="the unit of work failed"):
        await db.run_write(failing)
    assert await db.run_write(_insert("kept")) >= 1
    assert await _values(db) == ["kept"]


async def test_the_writer_commits_durably_across_reopening(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reopen.db'}"
    first = Database(url)
    async with first.transaction() as conn:
        await conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    for value in ("a", "b", "c"):
        await first.run_write(_insert(value))
    await first.dispose()
    second = Database(url)
    try:
        assert await _values(second) == ["a", "b", "c"]
    finally:
        await second.dispose()
