"""Queries on LDAP directories: an organization's connection, claiming a sync (one node at a time),
and the links of directory entries to accounts and of organizational units to departments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import ldap_departments, ldap_directories, ldap_entries

# -- the connection ---------------------------------------------------------------------------------


async def get_directory(conn: AsyncConnection, organization_id: int) -> Row[Any] | None:
    query = select(ldap_directories).where(ldap_directories.c.organization_id == organization_id)
    return (await conn.execute(query)).first()


async def insert_directory(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(ldap_directories).values(**values))


async def update_directory(conn: AsyncConnection, organization_id: int, values: dict[str, Any]) -> None:
    await conn.execute(
        update(ldap_directories).where(ldap_directories.c.organization_id == organization_id).values(**values)
    )


async def delete_directory(conn: AsyncConnection, organization_id: int) -> bool:
    result = await conn.execute(
        delete(ldap_directories).where(ldap_directories.c.organization_id == organization_id)
    )
    return bool(result.rowcount)


def _unclaimed(now: int) -> Any:
    return or_(ldap_directories.c.sync_claimed_until.is_(None), ldap_directories.c.sync_claimed_until < now)


async def due(conn: AsyncConnection, now: int, limit: int = 20) -> list[int]:
    """Organizations whose scheduled sync is due and that no node runs now."""
    query = (
        select(ldap_directories.c.organization_id)
        .where(
            ldap_directories.c.sync_interval_minutes > 0,
            ldap_directories.c.next_sync_at <= now,
            _unclaimed(now),
        )
        .order_by(ldap_directories.c.next_sync_at)
        .limit(limit)
    )
    return [row.organization_id for row in await conn.execute(query)]


async def claim(conn: AsyncConnection, organization_id: int, now: int, until: int) -> bool:
    """Take the organization's sync until ``until`` (a conditional update: one taker wins)."""
    result = await conn.execute(
        update(ldap_directories)
        .where(ldap_directories.c.organization_id == organization_id, _unclaimed(now))
        .values(sync_claimed_until=until)
    )
    return bool(result.rowcount)


# -- entries ----------------------------------------------------------------------------------------


async def entries_of(conn: AsyncConnection, organization_id: int) -> dict[str, Row[Any]]:
    query = select(ldap_entries).where(ldap_entries.c.organization_id == organization_id)
    return {row.stable_id: row for row in await conn.execute(query)}


async def entry_of_user(conn: AsyncConnection, user_id: int) -> Row[Any] | None:
    query = select(ldap_entries).where(ldap_entries.c.user_id == user_id)
    return (await conn.execute(query)).first()


async def login_directory(conn: AsyncConnection, user_id: int) -> Row[Any] | None:
    """The entry and directory (with log-in enabled) an account logs in through, if any."""
    query = (
        select(ldap_entries.c.stable_id, ldap_entries.c.dn, ldap_entries.c.state, ldap_directories)
        .select_from(
            ldap_entries.join(
                ldap_directories,
                and_(
                    ldap_directories.c.organization_id == ldap_entries.c.organization_id,
                    ldap_directories.c.login_enabled.is_(True),
                ),
            )
        )
        .where(ldap_entries.c.user_id == user_id)
    )
    return (await conn.execute(query)).first()


async def insert_entry(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(ldap_entries).values(**values))


async def update_entry(conn: AsyncConnection, entry_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(ldap_entries).where(ldap_entries.c.id == entry_id).values(**values))


async def count_entries(conn: AsyncConnection, organization_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    query = select(ldap_entries.c.state).where(ldap_entries.c.organization_id == organization_id)
    for row in await conn.execute(query):
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


# -- organizational units ---------------------------------------------------------------------------


async def units_of(conn: AsyncConnection, organization_id: int) -> dict[str, Row[Any]]:
    query = select(ldap_departments).where(ldap_departments.c.organization_id == organization_id)
    return {row.stable_id: row for row in await conn.execute(query)}


async def insert_unit(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(ldap_departments).values(**values))


async def update_unit(conn: AsyncConnection, organization_id: int, stable_id: str, dn: str) -> None:
    await conn.execute(
        update(ldap_departments)
        .where(
            ldap_departments.c.organization_id == organization_id, ldap_departments.c.stable_id == stable_id
        )
        .values(dn=dn)
    )


async def delete_unit(conn: AsyncConnection, organization_id: int, stable_id: str) -> None:
    await conn.execute(
        delete(ldap_departments).where(
            ldap_departments.c.organization_id == organization_id, ldap_departments.c.stable_id == stable_id
        )
    )
