"""The caller's side of the growth engine: app opens, own activity, invitation codes and links,
the people one brought, the wallet."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict, UserOut
from lakeside.api.views import MAX_ID, IdField, IdPath
from lakeside.domain.growth import date_of_day

router = APIRouter(prefix="/api/v1", tags=["growth"], responses=ERRORS)


class ActivityIn(Strict):
    kind: Literal["open"] = Field(
        description="`open`: the app came to the foreground. Log-ins and messages count by themselves."
    )


class ActivityDayOut(BaseModel):
    date: str
    logins: int
    messages: int
    opens: int


class ActivityOut(BaseModel):
    active_today: bool
    days: list[ActivityDayOut] = Field(description="Days with activity in the window, oldest first.")


class ReferralCodeIn(Strict):
    campaign_id: IdField | None = Field(default=None, description="Attribute sign-ups to this campaign.")
    max_uses: int | None = Field(default=None, ge=1, le=1_000_000)


class ReferralCodeOut(BaseModel):
    id: int
    code: str
    link: str = Field(description="Opens the web client's sign-up form with the code filled in.")
    campaign_id: int | None
    uses: int
    max_uses: int | None
    revoked_at: int | None
    created_at: int


class InviteeOut(BaseModel):
    user: UserOut
    registered_at: int
    campaign_id: int | None


class InviteesOut(BaseModel):
    invited_count: int
    people: list[InviteeOut]


class CounterpartyOut(BaseModel):
    kind: str = Field(description="issuer, budget or wallet")
    campaign_id: int | None = None
    user_id: int | None = None


class WalletEntryOut(BaseModel):
    id: int
    transaction_id: int
    amount_fen: int = Field(description="Positive: money in; negative: money out.")
    balance_after: int
    kind: str = Field(description="referral_reward, campaign_reward, transfer, ...")
    ref: str
    counterparty: CounterpartyOut
    created_at: int


class WalletOut(BaseModel):
    balance_fen: int
    entries: list[WalletEntryOut]
    next_before: int | None = Field(description="Pass as `before` for older entries; null at the end.")


@router.post("/me/activity", response_model=Ok)
async def record_activity(body: ActivityIn, user: UserDep, services: ServicesDep) -> Ok:
    """Count an app open (clients call this when they come to the foreground). Opening the
    real-time stream counts as an open too."""
    services.growth.activity.record(user.id, body.kind)
    return Ok()


@router.get("/me/activity", response_model=ActivityOut)
async def my_activity(
    user: UserDep,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=400, description="How many days back, today included.")] = 30,
) -> ActivityOut:
    """The caller's own daily activity counters (what analytics counts of them)."""
    activity = services.growth.activity
    first, last = activity.window(None, days)
    rows = await activity.user_days(user.id, first, last)
    return ActivityOut(
        active_today=any(row["day"] == last for row in rows),
        days=[
            ActivityDayOut(
                date=date_of_day(row["day"]).isoformat(),
                logins=row["logins"],
                messages=row["messages"],
                opens=row["opens"],
            )
            for row in rows
        ],
    )


@router.get("/me/referral-codes", response_model=list[ReferralCodeOut])
async def my_referral_codes(user: UserDep, services: ServicesDep) -> list[ReferralCodeOut]:
    """The caller's invitation codes and links, oldest first. A personal code (no campaign) is made
    the first time, and again whenever none is live."""
    return [ReferralCodeOut(**row) for row in await services.growth.referrals.list_codes(user.id)]


@router.post("/me/referral-codes", status_code=status.HTTP_201_CREATED, response_model=ReferralCodeOut)
async def create_referral_code(body: ReferralCodeIn, user: UserDep, services: ServicesDep) -> ReferralCodeOut:
    """Make another code, e.g. one per channel, with a use limit, or for a campaign."""
    row = await services.growth.referrals.create_code(
        user.id, campaign_id=body.campaign_id, max_uses=body.max_uses
    )
    return ReferralCodeOut(**row)


@router.delete("/me/referral-codes/{code_id}", response_model=ReferralCodeOut)
async def revoke_referral_code(code_id: IdPath, user: UserDep, services: ServicesDep) -> ReferralCodeOut:
    """Stop a code from attributing further sign-ups (those made with it stay attributed)."""
    return ReferralCodeOut(**await services.growth.referrals.revoke_code(user.id, code_id))


@router.get("/me/invitees", response_model=InviteesOut)
async def my_invitees(user: UserDep, services: ServicesDep) -> InviteesOut:
    """The people who signed up with the caller's codes, earliest first (the first 200)."""
    return InviteesOut(**await services.growth.referrals.invited_by(user.id))


@router.get("/me/wallet", response_model=WalletOut)
async def my_wallet(
    user: UserDep,
    services: ServicesDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="An entry id: older entries")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> WalletOut:
    """The caller's balance (in fen, 1/100 yuan) and wallet entries, newest first."""
    return WalletOut(**await services.growth.ledger.wallet(user.id, before=before, limit=limit))
