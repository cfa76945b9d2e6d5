"""Queries of the wallet ledger: accounts by key, guarded balance moves, entries, totals.

Balance changes are single conditional UPDATEs (``balance_fen >= amount`` unless the account may
go negative), so two concurrent debits can never both pass a check that only one could; on
PostgreSQL the two accounts of a transfer are locked in id order first, so opposite transfers
cannot deadlock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.store.dialects import dialect_of
from lakeside.store.tables import ledger_accounts as accounts
from lakeside.store.tables import ledger_entries as entries
from lakeside.store.tables import ledger_transactions as transactions
from lakeside.store.tables import users


async def ensure_account(conn: AsyncConnection, values: dict[str, Any]) -> Any:
    """The account with ``values['key']``, created from ``values`` when missing (race-free)."""
    stmt = (
        dialect_of(conn)
        .insert(accounts)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[accounts.c.key])
    )
    await conn.execute(stmt)
    return (await conn.execute(select(accounts).where(accounts.c.key == values["key"]))).one()


async def get_account(conn: AsyncConnection, key: str) -> Any:
    return (await conn.execute(select(accounts).where(accounts.c.key == key))).first()


async def get_account_by_id(conn: AsyncConnection, account_id: int) -> Any:
    return (await conn.execute(select(accounts).where(accounts.c.id == account_id))).first()


async def lock_accounts(conn: AsyncConnection, account_ids: list[int]) -> None:
    """Row locks in id order (SQLite's write transaction holds the database already).

    FOR NO KEY UPDATE, the lock the balance UPDATE takes anyway: it does not conflict with the
    KEY SHARE locks that inserting transactions and entries (foreign keys to the accounts) take,
    which a plain FOR UPDATE would, deadlocking two grants from one budget."""
    await dialect_of(conn).lock_rows(conn, accounts, account_ids)


async def insert_transaction(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    """The new transaction's id, or None when its idempotency key was used already."""
    stmt = dialect_of(conn).insert(transactions).values(**values)
    if values.get("idempotency_key") is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=[transactions.c.idempotency_key])
    result = await conn.execute(stmt.returning(transactions.c.id))
    row = result.first()
    return int(row[0]) if row is not None else None


async def get_transaction_by_key(conn: AsyncConnection, key: str) -> Any:
    return (await conn.execute(select(transactions).where(transactions.c.idempotency_key == key))).first()


async def move(conn: AsyncConnection, account_id: int, delta: int, now: int) -> int | None:
    """Add ``delta`` to the balance; a debit past zero on an account that may not go negative
    changes nothing and returns None. Otherwise returns the new balance."""
    guard = or_(accounts.c.allow_negative, accounts.c.balance_fen + delta >= 0) if delta < 0 else True
    result = await conn.execute(
        update(accounts)
        .where(and_(accounts.c.id == account_id, guard))
        .values(balance_fen=accounts.c.balance_fen + delta, updated_at=now)
        .returning(accounts.c.balance_fen)
    )
    row = result.first()
    return int(row[0]) if row is not None else None


async def insert_entries(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await conn.execute(entries.insert(), rows)


async def list_entries(conn: AsyncConnection, account_id: int, before: int | None, limit: int) -> list[Any]:
    """An account's entries, newest first, with the transaction and the other side's account."""
    other = accounts.alias("other")
    counterpart = case(
        (transactions.c.from_account_id == account_id, transactions.c.to_account_id),
        else_=transactions.c.from_account_id,
    )
    query = (
        select(
            entries.c.id,
            entries.c.amount_fen,
            entries.c.balance_after,
            entries.c.created_at,
            transactions.c.id.label("transaction_id"),
            transactions.c.kind,
            transactions.c.ref,
            other.c.kind.label("other_kind"),
            other.c.name.label("other_name"),
            other.c.user_id.label("other_user_id"),
            other.c.campaign_id.label("other_campaign_id"),
        )
        .join(transactions, transactions.c.id == entries.c.transaction_id)
        .join(other, other.c.id == counterpart)
        .where(entries.c.account_id == account_id)
        .order_by(entries.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(entries.c.id < before)
    return list(await conn.execute(query))


async def totals(conn: AsyncConnection) -> dict[str, int]:
    """Sums by account kind, and the sum over every account (0 whenever the books balance)."""
    result = await conn.execute(
        select(accounts.c.kind, func.count(), func.coalesce(func.sum(accounts.c.balance_fen), 0)).group_by(
            accounts.c.kind
        )
    )
    out: dict[str, int] = {}
    for kind, count, total in result:
        out[f"{kind}_accounts"] = int(count)
        out[f"{kind}_fen"] = int(total)
    return out


async def entries_sum(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.coalesce(func.sum(entries.c.amount_fen), 0))) or 0)


async def list_budgets(conn: AsyncConnection) -> list[Any]:
    return list(
        await conn.execute(select(accounts).where(accounts.c.kind == "budget").order_by(accounts.c.id))
    )


async def user_names(conn: AsyncConnection, user_ids: list[int]) -> dict[int, Any]:
    if not user_ids:
        return {}
    result = await conn.execute(select(users).where(users.c.id.in_(user_ids)))
    return {row.id: row for row in result}
