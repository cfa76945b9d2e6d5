"""DING: send (now or scheduled), pending and sent lists, confirm, re-DING, cancel, attempts,
and the organization's escalation rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.limits import limited
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath
from lakeside.domain.inputs import MAX_ID, Id, Int32, Int64

router = APIRouter(prefix="/api/v1/orgs/{org_id}", tags=["ding"], responses=ERRORS)


class DingIn(Strict):
    recipient_ids: list[Id] = Field(min_length=1, max_length=1000)
    body: str | None = Field(default=None, max_length=16384, description="The text; or give message_id.")
    message_id: Id | None = Field(default=None, description="Turn this message into a DING.")
    send_at: Int64 | None = Field(default=None, description="Epoch ms to send later; null: now.")


class RecipientOut(BaseModel):
    user_id: int
    name: str | None
    confirmed_at: int | None
    next_step: str | None = Field(description="The next escalation step: app, email, sms, voice; null: none.")


class AttemptOut(BaseModel):
    id: int
    ding_id: int
    user_id: int
    channel: str = Field(description="app, email, sms or voice")
    trigger: str = Field(description="send, manual (re-DING) or escalation")
    status: str = Field(description="pending, sent, failed or skipped")
    detail: str
    created_at: int
    finished_at: int | None


class DingOut(BaseModel):
    id: int
    organization_id: int
    sender_id: int | None
    body: str
    recalled: bool = Field(description="The DING's message was recalled; its text is gone.")
    message_id: int | None
    conversation_id: int | None
    announcement_id: int | None
    status: str = Field(description="scheduled, sent or cancelled")
    send_at: int
    sent_at: int | None
    recipient_count: int
    confirmed_count: int
    created_at: int
    confirmed_at: int | None = Field(description="When you confirmed (recipients).")
    recipients: list[RecipientOut] | None = Field(default=None, description="For the sender.")
    attempts: list[AttemptOut] | None = Field(default=None, description="For the sender.")


class RedingOut(BaseModel):
    ding_id: int
    renotified: list[int]
    next_allowed_at: int


class PolicyIn(Strict):
    app_after_minutes: Int32 | None = Field(
        default=None, description="Re-notify in the app (≥ 5), null: off."
    )
    email_after_minutes: Int32 | None = None
    sms_after_minutes: Int32 | None = None
    voice_after_minutes: Int32 | None = None
    webhook_url: str | None = Field(
        default=None, max_length=2048, description="The SMS/voice provider webhook."
    )
    webhook_secret: str | None = Field(
        default=None, max_length=256, description="Signs each call (HMAC-SHA256)."
    )


class PolicyOut(BaseModel):
    app_after_minutes: int | None
    email_after_minutes: int | None
    sms_after_minutes: int | None
    voice_after_minutes: int | None
    webhook_url: str | None
    has_webhook_secret: bool


@router.post(
    "/dings", status_code=status.HTTP_201_CREATED, response_model=DingOut, dependencies=[limited("dings")]
)
async def send_ding(org_id: IdPath, body: DingIn, user: UserDep, services: ServicesDep) -> DingOut:
    """Send a DING to colleagues now or at ``send_at``; with ``message_id``, DING a message to
    members of its conversation."""
    row = await services.enterprise.dings.do_send(
        user,
        org_id,
        recipient_ids=body.recipient_ids,
        body=body.body,
        message_id=body.message_id,
        send_at=body.send_at,
    )
    return DingOut(**row)


@router.get("/dings/pending", response_model=list[DingOut])
async def pending_dings(org_id: IdPath, user: UserDep, services: ServicesDep) -> list[DingOut]:
    """DINGs waiting for your confirmation (keep them pinned until confirmed)."""
    return [DingOut(**row) for row in await services.enterprise.dings.list_pending(user, org_id)]


@router.get("/dings/received", response_model=list[DingOut])
async def received_dings(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Page back from this DING id.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[DingOut]:
    """DINGs sent to you, confirmed or not, newest first; ``confirmed_at`` says when you confirmed."""
    dings = services.enterprise.dings
    return [DingOut(**row) for row in await dings.list_received(user, org_id, before_id=before, limit=limit)]


@router.get("/dings/sent", response_model=list[DingOut])
async def sent_dings(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Page back from this DING id.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[DingOut]:
    """DINGs you sent, newest first, with confirmation counts."""
    return [
        DingOut(**row)
        for row in await services.enterprise.dings.list_sent(user, org_id, before_id=before, limit=limit)
    ]


@router.get("/dings/{ding_id}", response_model=DingOut)
async def get_ding(org_id: IdPath, ding_id: IdPath, user: UserDep, services: ServicesDep) -> DingOut:
    """A DING; its sender also gets every recipient's confirmation and every delivery attempt."""
    return DingOut(**await services.enterprise.dings.get(user, org_id, ding_id))


@router.post("/dings/{ding_id}/confirm", response_model=DingOut)
async def confirm_ding(org_id: IdPath, ding_id: IdPath, user: UserDep, services: ServicesDep) -> DingOut:
    """Confirm a DING you received (once; repeating is harmless). Escalation to you stops."""
    return DingOut(**await services.enterprise.dings.do_confirm(user, org_id, ding_id))


@router.post("/dings/{ding_id}/reding", response_model=RedingOut, dependencies=[limited("dings")])
async def reding(org_id: IdPath, ding_id: IdPath, user: UserDep, services: ServicesDep) -> RedingOut:
    """Notify the unconfirmed again (the sender; at most once every five minutes, else 429)."""
    return RedingOut(**await services.enterprise.dings.do_reding(user, org_id, ding_id))


@router.delete("/dings/{ding_id}", response_model=Ok)
async def cancel_ding(org_id: IdPath, ding_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Cancel a scheduled DING before it is sent."""
    await services.enterprise.dings.do_cancel(user, org_id, ding_id)
    return Ok()


@router.get("/dings/{ding_id}/attempts", response_model=list[AttemptOut])
async def ding_attempts(
    org_id: IdPath, ding_id: IdPath, user: UserDep, services: ServicesDep
) -> list[AttemptOut]:
    """Every delivery attempt and its outcome (the sender)."""
    return [AttemptOut(**row) for row in await services.enterprise.dings.list_attempts(user, org_id, ding_id)]


@router.get("/ding-policy", response_model=PolicyOut)
async def get_ding_policy(org_id: IdPath, user: UserDep, services: ServicesDep) -> PolicyOut:
    """The escalation rules (admins). The webhook secret is never shown."""
    return PolicyOut(**await services.enterprise.dings.get_policy(user, org_id))


@router.put("/ding-policy", response_model=PolicyOut)
async def set_ding_policy(org_id: IdPath, body: PolicyIn, user: UserDep, services: ServicesDep) -> PolicyOut:
    """Set escalation rules (admins): minutes after sending for each step; fields left out keep
    their value, null turns a step off."""
    return PolicyOut(
        **await services.enterprise.dings.do_set_policy(user, org_id, body.model_dump(exclude_unset=True))
    )
