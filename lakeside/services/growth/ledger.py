"""The wallet ledger: double entry, so value is never created or lost, however many move it at once.

Accounts have a unique key: ``issuer`` (the one account that may go below zero: value enters the
books by moving out of it), budgets ``budget:default`` and ``budget:campaign:<id>`` (funded by a
server admin), wallets ``wallet:<user id>``. Every movement is one ``ledger_transactions`` row and
two ``ledger_entries`` rows (the debit, negative, and the credit, positive), written with both
balance updates in one database transaction. Hence, at every commit:

- the sum of all balances is 0, and the sum of all entries is 0;
- ``-issuer.balance`` is the total ever funded, and equals the sum of budgets and wallets;
- no budget or wallet is below zero (the debit is a guarded UPDATE);
- a transfer retried with the same idempotency key is stored once (the second call returns the
  first one, ``replayed``); the same key with other accounts or amount is a conflict.

``grant`` is the building block other services (campaign rewards) call inside their own
transaction; it works in a savepoint, so a refused grant (insufficient funds) leaves the caller's
transaction usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.events import to_users
from lakeside.domain.events.growth import WalletCredited, WalletDebited
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Invalid, NotFound
from lakeside.services.context import Context, UnitOfWork
from lakeside.store.growth import ledger as store

ISSUER = "issuer"
DEFAULT_BUDGET = "budget:default"
MAX_AMOUNT_FEN = 10**12  # ¥10 billion per movement: far beyond any prize, far below overflow


def wallet_key(user_id: int) -> str:
    return f"wallet:{user_id}"


def budget_key(campaign_id: int | None = None) -> str:
    return DEFAULT_BUDGET if campaign_id is None else f"budget:campaign:{campaign_id}"


class InsufficientFunds(Conflict):
    code = "INSUFFICIENT_FUNDS"


@dataclass(frozen=True)
class Transfer:
    transaction_id: int
    amount_fen: int
    from_account_id: int
    to_account_id: int
    replayed: bool


def _account_values(key: str, now: int) -> dict[str, Any]:
    """What an account created on first use from its key looks like."""
    values: dict[str, Any] = {"key": key, "created_at": now, "updated_at": now, "balance_fen": 0}
    if key == ISSUER:
        return {**values, "kind": "issuer", "name": "issuer", "allow_negative": True}
    if key == DEFAULT_BUDGET:
        return {**values, "kind": "budget", "name": "default budget", "allow_negative": False}
    prefix, _, rest = key.rpartition(":")
    if prefix == "budget:campaign" and rest.isdigit():
        campaign = int(rest)
        return {
            **values,
            "kind": "budget",
            "campaign_id": campaign,
            "name": f"campaign {campaign}",
            "allow_negative": False,
        }
    if prefix == "wallet" and rest.isdigit():
        return {**values, "kind": "wallet", "user_id": int(rest), "name": "wallet", "allow_negative": False}
    raise Invalid(f"Unknown ledger account {key!r}.", code="BAD_ACCOUNT")


async def account(conn: AsyncConnection, ref: str | int) -> Any:
    """The account by key (created on first use) or by id (which must exist)."""
    if isinstance(ref, int):
        row = await store.get_account_by_id(conn, ref)
        if row is None:
            raise NotFound("No such ledger account.", code="ACCOUNT_NOT_FOUND")
        return row
    row = await store.get_account(conn, ref)
    if row is None:
        row = await store.ensure_account(conn, _account_values(ref, now_ms()))
    return row


async def prepare(ctx: Context, *refs: str | int) -> None:
    """Create the keyed accounts that do not exist yet, each in a short transaction of its own.

    ``grant`` creates missing accounts itself, but inside the caller's transaction; on PostgreSQL
    two transactions that each created an account the other needs would deadlock. Calling this
    first (as ``Ledger.transfer`` and sign-up rewards do) keeps busy grants free of that.
    """
    for ref in refs:
        if isinstance(ref, int):
            continue
        async with ctx.db.read() as conn:
            found = await store.get_account(conn, ref)
        if found is None:
            async with ctx.db.transaction() as conn:
                await store.ensure_account(conn, _account_values(ref, now_ms()))


async def grant(
    conn_or_uow: AsyncConnection | UnitOfWork,
    *,
    from_account: str | int,
    to_account: str | int,
    amount_fen: int,
    kind: str,
    ref: str = "",
    idempotency_key: str | None = None,
    created_by: int | None = None,
) -> Transfer:
    """Move ``amount_fen`` from one account to another inside the caller's transaction.

    Accounts are keys (``wallet_key(user_id)``, ``budget_key(campaign_id)``, ``ISSUER``; created
    on first use) or ids. Raises InsufficientFunds when the source may not go below zero and
    holds less. With a UnitOfWork, the owners of wallets are told (event ``wallet``/``credited``
    or ``debited``) after the commit.
    """
    uow = conn_or_uow if isinstance(conn_or_uow, UnitOfWork) else None
    conn = conn_or_uow.conn if isinstance(conn_or_uow, UnitOfWork) else conn_or_uow
    if (
        isinstance(amount_fen, bool)
        or not isinstance(amount_fen, int)
        or not 0 < amount_fen <= MAX_AMOUNT_FEN
    ):
        raise Invalid("The amount is a whole number of fen, above 0.", code="BAD_AMOUNT")
    if not kind or len(kind) > 32 or len(ref) > 128:
        raise Invalid("kind is 1 to 32 characters, ref at most 128.", code="BAD_TRANSFER")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 128:
        raise Invalid("The idempotency key is 1 to 128 characters.", code="BAD_IDEMPOTENCY_KEY")
    now = now_ms()
    source = await account(conn, from_account)
    target = await account(conn, to_account)
    if source.id == target.id:
        raise Invalid("A transfer needs two different accounts.", code="SAME_ACCOUNT")
    async with conn.begin_nested():
        transaction_id = await store.insert_transaction(
            conn,
            {
                "kind": kind,
                "ref": ref,
                "idempotency_key": idempotency_key,
                "amount_fen": amount_fen,
                "from_account_id": source.id,
                "to_account_id": target.id,
                "created_by": created_by,
                "created_at": now,
            },
        )
        if transaction_id is None:
            assert idempotency_key is not None
            return _replay(
                await store.get_transaction_by_key(conn, idempotency_key), source, target, amount_fen
            )
        await store.lock_accounts(conn, [source.id, target.id])
        source_after = await store.move(conn, source.id, -amount_fen, now)
        if source_after is None:
            raise InsufficientFunds(
                "The account holds less than that.", account=source.key, amount_fen=amount_fen
            )
        target_after = await store.move(conn, target.id, amount_fen, now)
        assert target_after is not None
        await store.insert_entries(
            conn,
            [
                {
                    "transaction_id": transaction_id,
                    "account_id": source.id,
                    "amount_fen": -amount_fen,
                    "balance_after": source_after,
                    "created_at": now,
                },
                {
                    "transaction_id": transaction_id,
                    "account_id": target.id,
                    "amount_fen": amount_fen,
                    "balance_after": target_after,
                    "created_at": now,
                },
            ],
        )
    if uow is not None:
        moves = ((source, WalletDebited, source_after), (target, WalletCredited, target_after))
        for row, move, balance in moves:
            if row.kind == "wallet" and row.user_id is not None:
                event = move(
                    transaction_id=transaction_id, amount_fen=amount_fen, balance_fen=balance, kind=kind
                )
                uow.emit(event, to_users(row.user_id))
    return Transfer(transaction_id, amount_fen, source.id, target.id, False)


def _replay(row: Any, source: Any, target: Any, amount_fen: int) -> Transfer:
    if row is None:  # pragma: no cover - the key's row was there a statement ago
        raise Conflict("The transfer is being written; try again.", code="TRANSFER_IN_FLIGHT")
    if (row.from_account_id, row.to_account_id, row.amount_fen) != (source.id, target.id, amount_fen):
        raise Conflict(
            "This idempotency key was used for a different transfer.", code="IDEMPOTENCY_KEY_REUSED"
        )
    return Transfer(row.id, row.amount_fen, row.from_account_id, row.to_account_id, True)


def _entry_view(row: Any) -> dict[str, Any]:
    if row.other_kind == "wallet":
        counterparty = {"kind": "wallet", "user_id": row.other_user_id}
    elif row.other_kind == "budget":
        counterparty = {"kind": "budget", "campaign_id": row.other_campaign_id}
    else:
        counterparty = {"kind": row.other_kind}
    return {
        "id": row.id,
        "transaction_id": row.transaction_id,
        "amount_fen": row.amount_fen,
        "balance_after": row.balance_after,
        "kind": row.kind,
        "ref": row.ref,
        "counterparty": counterparty,
        "created_at": row.created_at,
    }


def _account_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.key,
        "kind": row.kind,
        "name": row.name,
        "campaign_id": row.campaign_id,
        "user_id": row.user_id,
        "balance_fen": row.balance_fen,
    }


class Ledger:
    """Ledger actions that run in their own transaction, for the API and for tests."""

    # The module's building blocks, reachable from the container too: services.growth.ledger.grant(...)
    grant = staticmethod(grant)

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def prepare(self, *refs: str | int) -> None:
        await prepare(self.ctx, *refs)

    async def transfer(
        self,
        *,
        from_account: str | int,
        to_account: str | int,
        amount_fen: int,
        kind: str,
        ref: str = "",
        idempotency_key: str | None = None,
        created_by: int | None = None,
    ) -> Transfer:
        await prepare(self.ctx, from_account, to_account)
        async with self.ctx.transaction() as uow:
            return await grant(
                uow,
                from_account=from_account,
                to_account=to_account,
                amount_fen=amount_fen,
                kind=kind,
                ref=ref,
                idempotency_key=idempotency_key,
                created_by=created_by,
            )

    async def fund(
        self,
        admin_id: int,
        *,
        amount_fen: int,
        campaign_id: int | None = None,
        idempotency_key: str | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Put value into a budget (the default one, or a campaign's) from the issuer."""
        key = budget_key(campaign_id)
        transfer = await self.transfer(
            from_account=ISSUER,
            to_account=key,
            amount_fen=amount_fen,
            kind="fund",
            ref=note[:128],
            idempotency_key=idempotency_key,
            created_by=admin_id,
        )
        async with self.ctx.db.read() as conn:
            budget = await store.get_account(conn, key)
        return {
            "transaction_id": transfer.transaction_id,
            "replayed": transfer.replayed,
            "budget": _account_view(budget),
        }

    async def balance(self, key: str) -> int:
        async with self.ctx.db.read() as conn:
            row = await store.get_account(conn, key)
        return int(row.balance_fen) if row is not None else 0

    async def wallet(self, user_id: int, *, before: int | None = None, limit: int = 50) -> dict[str, Any]:
        """The user's balance and entries, newest first (``before`` an entry id, to page on)."""
        async with self.ctx.db.read() as conn:
            row = await store.get_account(conn, wallet_key(user_id))
            rows = await store.list_entries(conn, row.id, before, limit + 1) if row is not None else []
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "balance_fen": int(row.balance_fen) if row is not None else 0,
            "entries": [_entry_view(entry) for entry in rows],
            "next_before": rows[-1].id if more and rows else None,
        }

    async def totals(self) -> dict[str, Any]:
        """Issued, held in budgets, held in wallets; ``balanced`` checks both conservation sums."""
        async with self.ctx.db.read() as conn:
            sums = await store.totals(conn)
            entries = await store.entries_sum(conn)
            budgets = await store.list_budgets(conn)
        total = sum(value for name, value in sums.items() if name.endswith("_fen"))
        return {
            "issued_fen": -sums.get("issuer_fen", 0),
            "budgets_fen": sums.get("budget_fen", 0),
            "wallets_fen": sums.get("wallet_fen", 0),
            "wallet_count": sums.get("wallet_accounts", 0),
            "sum_of_balances_fen": total,
            "sum_of_entries_fen": entries,
            "balanced": total == 0 and entries == 0,
            "budgets": [_account_view(budget) for budget in budgets],
        }
