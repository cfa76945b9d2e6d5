"""Event subscriptions of app bots (services/bot_subscriptions.py): the events a bot may see,
delivered to its HTTPS endpoint, signed, at least once; the signing secret shown once; a ping;
the delivery log."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.robots import DeliveryOut, LimitQuery
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import IdPath
from lakeside.services.bot_subscriptions import subscribable

router = APIRouter(tags=["bots"], responses=ERRORS)
BASE = "/api/v1/bots/{bot_id}/subscriptions"


class SubscriptionIn(Strict):
    url: str = Field(max_length=2048, description="The HTTPS endpoint events are POSTed to.")
    event_types: list[str] = Field(
        min_length=1,
        max_length=100,
        description="type.op of each event wanted (GET /api/v1/bot-event-types).",
    )


class SubscriptionPatch(Strict):
    url: str | None = Field(default=None, max_length=2048)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=100)
    active: bool | None = Field(
        default=None, description="false pauses; true enables again (also after it was disabled)."
    )
    rotate_secret: bool = Field(default=False, description="A new signing secret, returned this once.")


class SubscriptionOut(BaseModel):
    id: int
    bot_id: int
    url: str
    event_types: list[str]
    status: str = Field(description="active, paused, or disabled (after too many failed deliveries)")
    disabled_reason: str
    consecutive_failures: int
    created_by: int | None
    created_at: int
    updated_at: int
    secret: str | None = Field(
        default=None, description="The signing secret: only in the answer that created or rotated it."
    )


class PingOut(BaseModel):
    delivery_id: int
    event_id: str


@router.get("/api/v1/bot-event-types", response_model=list[str])
async def event_types(user: UserDep) -> list[str]:
    """Every event type a bot may subscribe to (type.op)."""
    del user
    return subscribable()


@router.get(BASE, response_model=list[SubscriptionOut])
async def list_subscriptions(bot_id: IdPath, user: UserDep, services: ServicesDep) -> list[SubscriptionOut]:
    """The bot's subscriptions (whoever manages the bot)."""
    return [
        SubscriptionOut(**row) for row in await services.bot_subscriptions.list_subscriptions(user, bot_id)
    ]


@router.post(BASE, response_model=SubscriptionOut, status_code=status.HTTP_201_CREATED)
async def create_subscription(
    bot_id: IdPath, body: SubscriptionIn, user: UserDep, services: ServicesDep
) -> SubscriptionOut:
    """Subscribe the bot to events; the answer carries the signing secret, shown this once."""
    row = await services.bot_subscriptions.do_create(user, bot_id, url=body.url, event_types=body.event_types)
    return SubscriptionOut(**row)


@router.get(BASE + "/{subscription_id}", response_model=SubscriptionOut)
async def get_subscription(
    bot_id: IdPath, subscription_id: IdPath, user: UserDep, services: ServicesDep
) -> SubscriptionOut:
    return SubscriptionOut(**await services.bot_subscriptions.get_subscription(user, bot_id, subscription_id))


@router.patch(BASE + "/{subscription_id}", response_model=SubscriptionOut)
async def update_subscription(
    bot_id: IdPath, subscription_id: IdPath, body: SubscriptionPatch, user: UserDep, services: ServicesDep
) -> SubscriptionOut:
    """Change the endpoint or the events, pause or enable, or rotate the secret."""
    row = await services.bot_subscriptions.do_update(
        user,
        bot_id,
        subscription_id,
        url=body.url,
        event_types=body.event_types,
        active=body.active,
        rotate_secret=body.rotate_secret,
    )
    return SubscriptionOut(**row)


@router.delete(BASE + "/{subscription_id}", response_model=Ok)
async def delete_subscription(
    bot_id: IdPath, subscription_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Delete the subscription and its delivery log."""
    await services.bot_subscriptions.do_delete(user, bot_id, subscription_id)
    return Ok()


@router.post(BASE + "/{subscription_id}/ping", response_model=PingOut, status_code=status.HTTP_202_ACCEPTED)
async def ping_subscription(
    bot_id: IdPath, subscription_id: IdPath, user: UserDep, services: ServicesDep
) -> PingOut:
    """Send a ``ping`` event to the endpoint (queued, signed and logged like any delivery)."""
    return PingOut(**await services.bot_subscriptions.do_ping(user, bot_id, subscription_id))


@router.get(BASE + "/{subscription_id}/deliveries", response_model=list[DeliveryOut])
async def subscription_deliveries(
    bot_id: IdPath, subscription_id: IdPath, user: UserDep, services: ServicesDep, limit: LimitQuery = 50
) -> list[DeliveryOut]:
    """The subscription's latest deliveries, newest first, each with its attempts."""
    rows = await services.bot_subscriptions.delivery_log(user, bot_id, subscription_id, limit)
    return [DeliveryOut(**row) for row in rows]
