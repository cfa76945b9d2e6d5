"""Server administrators' side of the growth engine: a user's attribution, the invitation tree,
the ledger's totals and budget funding."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Strict
from lakeside.api.views import MAX_ID, IdField, IdPath
from lakeside.errors import Forbidden
from lakeside.services.accounts import AuthUser

router = APIRouter(prefix="/api/v1/admin", tags=["growth admin"], responses=ERRORS)


def require_admin(user: UserDep) -> AuthUser:
    if not user.is_admin:
        raise Forbidden("Only server administrators may do that.", code="ADMIN_ONLY")
    return user


AdminDep = Annotated[AuthUser, Depends(require_admin)]


class PersonOut(BaseModel):
    id: int
    username: str
    display_name: str
    avatar_url: str | None = None


class AttributionOut(BaseModel):
    registered_at: int | None = Field(description="Null for accounts made before sign-ups were tracked.")
    inviter: PersonOut | None
    code: str | None
    campaign_id: int | None
    ip: str
    device: str
    invited_count: int = Field(description="How many signed up with this user's codes.")


class AdminUserOut(BaseModel):
    id: int
    username: str
    display_name: str
    avatar_url: str | None
    phone: str | None
    email: str | None
    is_admin: bool
    is_active: bool
    invitation_code: str | None = Field(description="What was typed at sign-up, referral code or not.")
    created_at: int
    last_seen_at: int | None
    last_active_date: str | None
    attribution: AttributionOut
    wallet_balance_fen: int


class TreeNodeOut(BaseModel):
    user: PersonOut
    registered_at: int | None = Field(description="Null for a root.")
    invited: int = Field(description="How many this person invited directly (children may list fewer).")
    descendants: int | None = Field(default=None, description="Roots only: everyone below, at any depth.")
    children: list[TreeNodeOut]


class TreeOut(BaseModel):
    campaign_id: int | None
    roots: list[TreeNodeOut]
    next_after: int | None = Field(description="Pass as `after` for the next roots; null at the end.")
    total_invited: int
    total_inviters: int


class BudgetOut(BaseModel):
    id: int
    key: str
    kind: str
    name: str
    campaign_id: int | None
    user_id: int | None
    balance_fen: int


class LedgerTotalsOut(BaseModel):
    issued_fen: int = Field(description="All value ever funded into budgets.")
    budgets_fen: int
    wallets_fen: int
    wallet_count: int
    sum_of_balances_fen: int = Field(description="Always 0: the issuer's balance is -issued.")
    sum_of_entries_fen: int
    balanced: bool
    budgets: list[BudgetOut]


class FundIn(Strict):
    amount_fen: int = Field(ge=1, le=10**12, description="In fen (1/100 yuan).")
    campaign_id: IdField | None = Field(
        default=None, description="A campaign's budget; null: the default one."
    )
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)
    note: str = Field(default="", max_length=128)


class FundOut(BaseModel):
    transaction_id: int
    replayed: bool = Field(description="True when the idempotency key had been used: nothing new happened.")
    budget: BudgetOut


@router.get("/users/{user_id}", response_model=AdminUserOut)
async def admin_user(user_id: IdPath, admin: AdminDep, services: ServicesDep) -> AdminUserOut:
    """A user as an administrator sees them: profile, attribution (inviter, code, campaign, sign-up
    address and device), people brought, wallet balance, last active day."""
    return AdminUserOut(**await services.growth.admin_profile(user_id))


@router.get("/referrals/tree", response_model=TreeOut)
async def referral_tree(
    admin: AdminDep,
    services: ServicesDep,
    campaign_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this campaign's sign-ups")
    ] = None,
    root_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One user's subtree")] = None,
    depth: Annotated[int, Query(ge=1, le=5)] = 2,
    after: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Roots after this user id")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Roots per page")] = 20,
    children: Annotated[int, Query(ge=1, le=200, description="Children listed per node")] = 20,
) -> TreeOut:
    """Who invited whom, nested: roots (inviters nobody in scope invited) page by id; each node
    shows its direct count even when its children list is cut at `children`."""
    tree = await services.growth.referrals.tree(
        campaign_id=campaign_id, root_id=root_id, depth=depth, after=after, limit=limit, children=children
    )
    return TreeOut(**tree)


@router.get("/ledger", response_model=LedgerTotalsOut)
async def ledger_totals(admin: AdminDep, services: ServicesDep) -> LedgerTotalsOut:
    """What was funded, what budgets and wallets hold, and the conservation check."""
    return LedgerTotalsOut(**await services.growth.ledger.totals())


@router.post("/ledger/fund", response_model=FundOut)
async def fund_budget(body: FundIn, admin: AdminDep, services: ServicesDep) -> FundOut:
    """Put money into the default budget (which pays sign-up rewards) or a campaign's."""
    result = await services.growth.ledger.fund(
        admin.id,
        amount_fen=body.amount_fen,
        campaign_id=body.campaign_id,
        idempotency_key=body.idempotency_key,
        note=body.note,
    )
    return FundOut(**result)
