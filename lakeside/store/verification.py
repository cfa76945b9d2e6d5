"""Queries on the pending proofs of e-mail addresses and phone numbers (``contact_verifications``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.tables import contact_verifications as proofs
from lakeside.store.tables import users


async def replace_proof(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """The user's one pending proof on this channel becomes this one (an older one is void)."""
    await conn.execute(
        delete(proofs).where(proofs.c.user_id == values["user_id"], proofs.c.channel == values["channel"])
    )
    return (await conn.execute(insert(proofs).values(**values).returning(proofs.c.id))).scalar_one()


async def get_proof(conn: AsyncConnection, user_id: int, channel: str) -> Row[Any] | None:
    query = select(proofs).where(proofs.c.user_id == user_id, proofs.c.channel == channel)
    return (await conn.execute(query)).first()


async def get_proof_by_secret(conn: AsyncConnection, channel: str, secret_hash: str) -> Row[Any] | None:
    query = select(proofs).where(proofs.c.channel == channel, proofs.c.secret_hash == secret_hash)
    return (await conn.execute(query)).first()


async def spend_attempt(conn: AsyncConnection, proof_id: int, max_attempts: int) -> bool:
    """Count one guess at a code, if any is left: a conditional UPDATE, so that concurrent guesses
    cannot together exceed ``max_attempts``."""
    result = await conn.execute(
        update(proofs)
        .where(proofs.c.id == proof_id, proofs.c.attempts < max_attempts)
        .values(attempts=proofs.c.attempts + 1)
    )
    return result.rowcount == 1


async def delete_proofs(conn: AsyncConnection, user_id: int, channel: str | None = None) -> None:
    statement = delete(proofs).where(proofs.c.user_id == user_id)
    if channel is not None:
        statement = statement.where(proofs.c.channel == channel)
    await conn.execute(statement)


async def mark_verified(conn: AsyncConnection, user_id: int, channel: str, address: str, now: int) -> bool:
    """Mark the address proved, if it is still the user's (it may have changed since the proof
    was sent)."""
    column = users.c.email if channel == "email" else users.c.phone
    values = {"email_verified_at": now} if channel == "email" else {"phone_verified_at": now}
    result = await conn.execute(
        update(users).where(users.c.id == user_id, column == address).values(**values)
    )
    return result.rowcount == 1


async def mark_current_verified(conn: AsyncConnection, user_id: int, now: int) -> None:
    """The user's e-mail address and phone number, as they are, proved (where not already)."""
    for column, proved in (
        (users.c.email, users.c.email_verified_at),
        (users.c.phone, users.c.phone_verified_at),
    ):
        await conn.execute(
            update(users)
            .where(users.c.id == user_id, column.is_not(None), proved.is_(None))
            .values({proved.name: now})
        )


async def delete_expired(conn: AsyncConnection, now: int) -> int:
    return (await conn.execute(delete(proofs).where(proofs.c.expires_at < now))).rowcount
