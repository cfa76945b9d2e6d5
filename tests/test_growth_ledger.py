"""The wallet ledger never creates or loses value: double entry, guarded debits, idempotent retries,
under many concurrent grants and transfers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from lakeside.errors import Conflict, Invalid
from lakeside.services.growth import ledger
from lakeside.services.growth.ledger import InsufficientFunds, Ledger
from lakeside.store.tables import ledger_accounts, ledger_entries, ledger_transactions
from tests.conftest import Person, error_code


async def books(app: FastAPI) -> dict[str, int]:
    async with app.state.services.ctx.db.read() as conn:
        balances = await conn.scalar(select(func.sum(ledger_accounts.c.balance_fen)))
        entries = await conn.scalar(select(func.sum(ledger_entries.c.amount_fen)))
        lowest = await conn.scalar(
            select(func.min(ledger_accounts.c.balance_fen)).where(ledger_accounts.c.kind != "issuer")
        )
        transactions = await conn.scalar(select(func.count()).select_from(ledger_transactions))
        entry_rows = await conn.scalar(select(func.count()).select_from(ledger_entries))
        # Each account's balance is the sum of its entries.
        per_account = select(
            ledger_entries.c.account_id, func.sum(ledger_entries.c.amount_fen).label("total")
        )
        sums = {
            row.account_id: row.total
            for row in await conn.execute(per_account.group_by(ledger_entries.c.account_id))
        }
        accounts = {row.id: row.balance_fen for row in await conn.execute(select(ledger_accounts))}
    assert all(accounts[account] == total for account, total in sums.items())
    assert all(balance == 0 for account, balance in accounts.items() if account not in sums)
    return {
        "balances": int(balances or 0),
        "entries": int(entries or 0),
        "lowest": int(lowest or 0),
        "transactions": int(transactions or 0),
        "entry_rows": int(entry_rows or 0),
    }


async def test_concurrent_grants_and_transfers_conserve_value(
    app: FastAPI, people: dict[str, Person]
) -> None:
    service: Ledger = app.state.services.growth.ledger
    admin = people["admin"]
    users = [person.id for person in people.values()]
    await service.fund(admin.id, amount_fen=10_000, idempotency_key="fund-1")
    rng = random.Random(2013)
    # Up to 16 in flight at once: well past the point where races show, within the pool's size.
    slots = asyncio.Semaphore(16)

    async def attempt(coroutine: object) -> str:
        async with slots:
            try:
                await coroutine  # type: ignore[misc]
            except InsufficientFunds:
                return "refused"
            return "ok"

    # 150 grants of 100 from a budget of 10,000: exactly 100 can be paid. Each grant is also sent a
    # second time with the same idempotency key (a retry racing the original).
    grants = []
    for n in range(150):
        for _ in range(2):
            grants.append(
                service.transfer(
                    from_account=ledger.DEFAULT_BUDGET,
                    to_account=ledger.wallet_key(users[n % len(users)]),
                    amount_fen=100,
                    kind="grant",
                    idempotency_key=f"grant-{n}",
                )
            )
    # Meanwhile people pass money back and forth (opposite directions at once), often more than
    # they hold; and the fund call is retried.
    transfers = [
        service.transfer(
            from_account=ledger.wallet_key(rng.choice(users)),
            to_account=ledger.wallet_key(rng.choice(users)),
            amount_fen=rng.randint(1, 300),
            kind="transfer",
        )
        for _ in range(120)
    ]
    retries = [service.fund(admin.id, amount_fen=10_000, idempotency_key="fund-1") for _ in range(3)]
    jobs = grants + transfers + retries
    rng.shuffle(jobs)
    results = await asyncio.gather(*(attempt(job) for job in jobs), return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, Invalid)]
    assert unexpected == []  # Invalid: a random transfer from a wallet to itself

    state = await books(app)
    assert state["balances"] == 0 and state["entries"] == 0
    assert state["lowest"] >= 0
    assert state["entry_rows"] == 2 * state["transactions"]
    totals = await service.totals()
    assert totals["issued_fen"] == 10_000 and totals["balanced"] is True
    assert totals["budgets_fen"] + totals["wallets_fen"] == 10_000
    assert totals["budgets_fen"] == 0  # the budget ran dry...
    async with app.state.services.ctx.db.read() as conn:
        paid = await conn.scalar(
            select(func.count()).select_from(ledger_transactions).where(ledger_transactions.c.kind == "grant")
        )
        funded = await conn.scalar(
            select(func.count()).select_from(ledger_transactions).where(ledger_transactions.c.kind == "fund")
        )
    assert paid == 100  # ...after exactly 100 grants, each stored once despite its retry
    assert funded == 1


async def test_a_retry_returns_the_first_transfer_and_a_reused_key_is_refused(
    app: FastAPI, people: dict[str, Person]
) -> None:
    service: Ledger = app.state.services.growth.ledger
    alice, bob = people["alice"].id, people["bob"].id
    await service.fund(people["admin"].id, amount_fen=500)
    first = await service.transfer(
        from_account=ledger.DEFAULT_BUDGET, to_account=ledger.wallet_key(alice), amount_fen=300,
        kind="grant", idempotency_key="k1",
    )  # fmt: skip
    again = await service.transfer(
        from_account=ledger.DEFAULT_BUDGET, to_account=ledger.wallet_key(alice), amount_fen=300,
        kind="grant", idempotency_key="k1",
    )  # fmt: skip
    assert again.transaction_id == first.transaction_id and again.replayed and not first.replayed
    assert await service.balance(ledger.wallet_key(alice)) == 300
    with pytest.raises(Conflict) as caught:
        await service.transfer(
            from_account=ledger.DEFAULT_BUDGET, to_account=ledger.wallet_key(bob), amount_fen=300,
            kind="grant", idempotency_key="k1",
        )  # fmt: skip
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
    with pytest.raises(InsufficientFunds):
        await service.transfer(
            from_account=ledger.wallet_key(alice),
            to_account=ledger.wallet_key(bob),
            amount_fen=301,
            kind="transfer",
        )
    for bad in (0, -5, True, 10**13):
        with pytest.raises(Invalid):
            await service.transfer(
                from_account=ledger.ISSUER, to_account=ledger.wallet_key(bob), amount_fen=bad, kind="grant"
            )
    with pytest.raises(Invalid):
        await service.transfer(
            from_account="nobody:1", to_account=ledger.wallet_key(bob), amount_fen=1, kind="x"
        )
    state = await books(app)
    assert state["balances"] == 0 and state["lowest"] >= 0


async def test_a_refused_grant_leaves_the_callers_transaction_usable(
    app: FastAPI, people: dict[str, Person]
) -> None:
    """Campaign code calls ``grant`` inside its own transaction; a budget that cannot pay must not
    poison that transaction (the grant runs in a savepoint)."""
    services = app.state.services
    alice = people["alice"].id
    await services.growth.ledger.fund(people["admin"].id, amount_fen=100, campaign_id=5)
    async with services.ctx.transaction() as uow:
        with pytest.raises(InsufficientFunds):
            await ledger.grant(
                uow, from_account=ledger.budget_key(5), to_account=ledger.wallet_key(alice), amount_fen=101,
                kind="campaign_reward", idempotency_key="prize-1",
            )  # fmt: skip
        paid = await ledger.grant(
            uow, from_account=ledger.budget_key(5), to_account=ledger.wallet_key(alice), amount_fen=60,
            kind="campaign_reward", ref="campaign:5", idempotency_key="prize-2",
        )  # fmt: skip
    assert not paid.replayed
    assert await services.growth.ledger.balance(ledger.budget_key(5)) == 40
    assert await services.growth.ledger.balance(ledger.wallet_key(alice)) == 60
    # The key of the refused grant was never stored: it can be used once the budget allows.
    await services.growth.ledger.fund(people["admin"].id, amount_fen=100, campaign_id=5)
    async with services.ctx.transaction() as uow:
        retried = await ledger.grant(
            uow, from_account=ledger.budget_key(5), to_account=ledger.wallet_key(alice), amount_fen=101,
            kind="campaign_reward", idempotency_key="prize-1",
        )  # fmt: skip
    assert not retried.replayed
    assert (await books(app))["balances"] == 0


async def test_wallet_and_admin_ledger_over_http(people: dict[str, Person]) -> None:
    admin, alice = people["admin"], people["alice"]
    response = await alice.post("/api/v1/admin/ledger/fund", json={"amount_fen": 100})
    assert response.status_code == 403 and error_code(response) == "ADMIN_ONLY"
    body = {"amount_fen": 100_00, "campaign_id": 3, "idempotency_key": "budget-3", "note": "二等奖"}
    first = (await admin.post("/api/v1/admin/ledger/fund", json=body)).json()
    again = (await admin.post("/api/v1/admin/ledger/fund", json=body)).json()
    assert first["replayed"] is False and again["replayed"] is True
    assert first["budget"]["key"] == "budget:campaign:3" and again["budget"]["balance_fen"] == 100_00
    response = await admin.post("/api/v1/admin/ledger/fund", json={"amount_fen": 0})
    assert response.status_code == 422
    totals = (await admin.get("/api/v1/admin/ledger")).json()
    assert totals["issued_fen"] == 100_00 and totals["balanced"] is True
    assert [b["campaign_id"] for b in totals["budgets"]] == [3]
    wallet = (await alice.get("/api/v1/me/wallet")).json()
    assert wallet == {"balance_fen": 0, "entries": [], "next_before": None}


async def test_wallet_pages_newest_first(app: FastAPI, people: dict[str, Person]) -> None:
    service: Ledger = app.state.services.growth.ledger
    alice = people["alice"]
    await service.fund(people["admin"].id, amount_fen=1000)
    for n in range(1, 6):
        await service.transfer(
            from_account=ledger.DEFAULT_BUDGET,
            to_account=ledger.wallet_key(alice.id),
            amount_fen=n,
            kind="grant",
        )
    page = (await alice.get("/api/v1/me/wallet", params={"limit": 3})).json()
    assert page["balance_fen"] == 15
    assert [e["amount_fen"] for e in page["entries"]] == [5, 4, 3]
    assert [e["balance_after"] for e in page["entries"]] == [15, 10, 6]
    rest = (await alice.get("/api/v1/me/wallet", params={"limit": 3, "before": page["next_before"]})).json()
    assert [e["amount_fen"] for e in rest["entries"]] == [2, 1] and rest["next_before"] is None
