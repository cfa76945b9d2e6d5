"""Queries on single sign-on: organizations' providers, external identities, OIDC log-ins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import external_identities, oidc_logins, sso_providers, users

# -- organizations' providers -------------------------------------------------------------------


async def insert_provider(conn: AsyncConnection, values: dict[str, Any]) -> int:
    return (
        await conn.execute(insert(sso_providers).values(**values).returning(sso_providers.c.id))
    ).scalar_one()


async def get_provider(conn: AsyncConnection, provider_id: int) -> Row[Any] | None:
    return (await conn.execute(select(sso_providers).where(sso_providers.c.id == provider_id))).first()


async def list_providers(conn: AsyncConnection, organization_id: int) -> list[Row[Any]]:
    query = (
        select(sso_providers)
        .where(sso_providers.c.organization_id == organization_id)
        .order_by(sso_providers.c.id)
    )
    return list(await conn.execute(query))


async def update_provider(conn: AsyncConnection, provider_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(sso_providers).where(sso_providers.c.id == provider_id).values(**values))


async def delete_provider(conn: AsyncConnection, provider_id: int) -> None:
    await conn.execute(
        delete(external_identities).where(external_identities.c.org_provider_id == provider_id)
    )
    await conn.execute(delete(sso_providers).where(sso_providers.c.id == provider_id))


# -- external identities ------------------------------------------------------------------------


async def get_identity(conn: AsyncConnection, provider_key: str, subject: str) -> Row[Any] | None:
    query = select(external_identities).where(
        external_identities.c.provider_key == provider_key, external_identities.c.subject == subject
    )
    return (await conn.execute(query)).first()


async def insert_identity(conn: AsyncConnection, values: dict[str, Any]) -> int:
    statement = insert(external_identities).values(**values).returning(external_identities.c.id)
    return (await conn.execute(statement)).scalar_one()


async def touch_identity(conn: AsyncConnection, identity_id: int, values: dict[str, Any]) -> None:
    await conn.execute(
        update(external_identities).where(external_identities.c.id == identity_id).values(**values)
    )


async def list_identities(conn: AsyncConnection, user_id: int) -> list[Row[Any]]:
    query = (
        select(external_identities)
        .where(external_identities.c.user_id == user_id)
        .order_by(external_identities.c.id)
    )
    return list(await conn.execute(query))


async def count_identities(conn: AsyncConnection, user_id: int) -> int:
    query = (
        select(func.count()).select_from(external_identities).where(external_identities.c.user_id == user_id)
    )
    return (await conn.scalar(query)) or 0


async def delete_identity(conn: AsyncConnection, user_id: int, identity_id: int) -> bool:
    result = await conn.execute(
        delete(external_identities).where(
            external_identities.c.id == identity_id, external_identities.c.user_id == user_id
        )
    )
    return bool(result.rowcount)


# -- log-ins under way --------------------------------------------------------------------------


async def insert_login(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(oidc_logins).values(**values))


async def take_login(conn: AsyncConnection, state_hash: str) -> Row[Any] | None:
    """The log-in that ``state`` names, deleted in the same breath: only one callback can have it."""
    row = (await conn.execute(select(oidc_logins).where(oidc_logins.c.state_hash == state_hash))).first()
    if row is None:
        return None
    result = await conn.execute(delete(oidc_logins).where(oidc_logins.c.id == row.id))
    return row if result.rowcount else None


async def delete_expired_logins(conn: AsyncConnection, now: int) -> None:
    await conn.execute(delete(oidc_logins).where(oidc_logins.c.expires_at < now))


async def holder_of(
    conn: AsyncConnection, *, email: str | None = None, phone: str | None = None
) -> int | None:
    """The account that has typed this e-mail address or phone number, proved or not."""
    column = users.c.email if email is not None else users.c.phone
    return await conn.scalar(select(users.c.id).where(column == (email if email is not None else phone)))
