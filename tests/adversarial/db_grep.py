"""Grep a whole database for text: every table the engine has (reflected, so tables that the
schema's metadata does not declare — SQLite's FTS5 index and its shadow tables — are included),
every column whose value is text or bytes. What privacy tests use to prove that content is gone
from storage, not just from the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from lakeside.store.engine import Database


def _tables(conn: Connection) -> list[str]:
    return sorted(inspect(conn).get_table_names())


def _hits(value: Any, needles: list[tuple[str, bytes]]) -> list[str]:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, str):
        return [needle for needle, _ in needles if needle in value]
    if isinstance(value, bytes):
        return [needle for needle, raw in needles if raw in value]
    if isinstance(value, dict | list):  # PostgreSQL JSON columns, should a table grow one
        return _hits(str(value), needles)
    return []


def _scan(conn: Connection, needles: list[str]) -> list[str]:
    encoded = [(needle, needle.encode()) for needle in needles]
    found: list[str] = []
    preparer = conn.dialect.identifier_preparer
    for table in _tables(conn):
        result = conn.execute(text(f"SELECT * FROM {preparer.quote(table)}"))
        columns = list(result.keys())
        for row in result:
            for column, value in zip(columns, row, strict=True):
                found.extend(f"{table}.{column}: {needle!r}" for needle in _hits(value, encoded))
    return found


async def grep_database(url: str, needles: list[str]) -> list[str]:
    """``table.column: needle`` for every stored value containing one of ``needles`` (as text, or
    as its UTF-8 bytes in binary columns such as the event log's payloads)."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(_scan, needles)
    finally:
        await db.dispose()


async def table_count(url: str) -> int:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return len(await conn.run_sync(_tables))
    finally:
        await db.dispose()
