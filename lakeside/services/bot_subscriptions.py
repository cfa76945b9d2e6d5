"""Event subscriptions of app bots: the events a bot may see, POSTed to its HTTPS endpoint.

Whoever may manage the bot (services/bots.py ``may_manage``) subscribes it to event types
declared in lakeside/domain/events — those that reach clients — and gets the signing secret once.
Which events reach the bot is the stream's own rule: events of conversations the bot is a member
of (from the event that made it one, as the audience admits it) and events addressed to the bot
itself. The dispatcher (services/outbound.py) enqueues one delivery per event and subscription
(idempotency id ``evt_<event id>``), in event order; the queue signs each attempt
(``X-Lakeside-Signature``, lakeside/webhook_signature.py verifies it), retries with backoff and
logs every attempt. After ``bot_subscription_max_failures`` deliveries in a row have failed for
good the subscription is disabled: its state says so and why, until someone enables it again.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.events import EVENTS
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid, NotFound
from lakeside.services import audit, bots, egress
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.outbound import SUBSCRIPTION, Outbound, delivery_row, event_body, routed_events
from lakeside.store import events as event_store
from lakeside.store import outbound as store

MAX_SUBSCRIPTIONS = 10
STATUSES = ("active", "paused", "disabled")


def subscribable() -> list[str]:
    """Every event type a bot may subscribe to: the declared ones that reach clients."""
    return [f"{t}.{o}" for (t, o), cls in EVENTS.items() if cls.audiences != {"nobody"}]


def _not_found() -> NotFound:
    return NotFound("No such subscription.", code="SUBSCRIPTION_NOT_FOUND")


def subscription_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "bot_id": row.bot_id,
        "url": row.url,
        "event_types": orjson.loads(row.event_types),
        "status": row.status,
        "disabled_reason": row.disabled_reason,
        "consecutive_failures": row.consecutive_failures,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


class BotSubscriptions:
    def __init__(self, ctx: Context, outbound: Outbound) -> None:
        self.ctx = ctx
        self.outbound = outbound
        outbound.sources.append(self.deliveries_for)

    async def _managed_bot(self, conn: AsyncConnection, user: AuthUser, bot_id: int) -> bots.Bot:
        bot = await bots.get_bot(conn, bot_id)
        if bot is None or bot.kind != "app" or not await bots.may_manage(conn, user, bot):
            raise NotFound("No such bot.", code="BOT_NOT_FOUND")
        return bot

    async def _managed(
        self, conn: AsyncConnection, user: AuthUser, bot_id: int, subscription_id: int
    ) -> Row[Any]:
        await self._managed_bot(conn, user, bot_id)
        row = await store.get_subscription(conn, subscription_id)
        if row is None or row.bot_id != bot_id:
            raise _not_found()
        return row

    def _check_url(self, url: str) -> str:
        url = egress.check_url(url)
        if not url.startswith("https://") and not self.ctx.settings.egress_allow_private:
            raise Invalid("The endpoint must use https://.", code="INVALID_URL")
        return url

    @staticmethod
    def _check_types(types: list[str]) -> list[str]:
        known = set(subscribable())
        unknown = sorted({t for t in types if t not in known})
        if unknown:
            raise Invalid(f"Unknown event types: {', '.join(unknown)[:200]}.", code="UNKNOWN_EVENT_TYPE")
        if not types:
            raise Invalid("Subscribe to at least one event type.", code="NO_EVENT_TYPES")
        return list(dict.fromkeys(types))

    async def list_subscriptions(self, user: AuthUser, bot_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await self._managed_bot(conn, user, bot_id)
            return [subscription_view(row) for row in await store.list_subscriptions(conn, bot_id)]

    async def get_subscription(self, user: AuthUser, bot_id: int, subscription_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            return subscription_view(await self._managed(conn, user, bot_id, subscription_id))

    async def do_create(
        self, user: AuthUser, bot_id: int, *, url: str, event_types: list[str]
    ) -> dict[str, Any]:
        url = self._check_url(url)
        types = self._check_types(event_types)
        secret = "whsec_" + secrets.token_hex(24)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            bot = await self._managed_bot(uow.conn, user, bot_id)
            if len(await store.list_subscriptions(uow.conn, bot_id)) >= MAX_SUBSCRIPTIONS:
                raise Invalid(
                    f"A bot has at most {MAX_SUBSCRIPTIONS} subscriptions.", code="TOO_MANY_SUBSCRIPTIONS"
                )
            subscription_id = await store.insert_subscription(
                uow.conn,
                {
                    "bot_id": bot_id,
                    "url": url,
                    "event_types": orjson.dumps(types).decode(),
                    "secret": secret,
                    "status": "active",
                    "created_by": user.id,
                    "since_event_id": await event_store.latest_id(uow.conn),
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await audit.record(
                uow,
                organization_id=bot.organization_id,
                actor_id=user.id,
                action="bot_subscription.create",
                target_type="bot_subscription",
                target_id=subscription_id,
                details={"bot_id": bot_id, "url": url, "event_types": types},
            )
            row = await store.get_subscription(uow.conn, subscription_id)
        assert row is not None
        return {**subscription_view(row), "secret": secret}

    async def do_update(
        self,
        user: AuthUser,
        bot_id: int,
        subscription_id: int,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        active: bool | None = None,
        rotate_secret: bool = False,
    ) -> dict[str, Any]:
        """Change a subscription. ``active`` pauses it (false) or enables it again (true, also after
        it was disabled for failing: its failure count starts again)."""
        checked_url = self._check_url(url) if url is not None else None
        types = self._check_types(event_types) if event_types is not None else None
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row = await self._managed(uow.conn, user, bot_id, subscription_id)
            bot = await self._managed_bot(uow.conn, user, bot_id)
            values: dict[str, Any] = {"updated_at": now}
            changed: dict[str, Any] = {}
            if checked_url is not None:
                values["url"] = changed["url"] = checked_url
            if types is not None:
                values["event_types"] = orjson.dumps(types).decode()
                changed["event_types"] = types
            if active is True and row.status != "active":
                since = await event_store.latest_id(uow.conn)  # what happened meanwhile is not sent
                values.update(
                    status="active", disabled_reason="", consecutive_failures=0, since_event_id=since
                )
                changed["status"] = "active"
            elif active is False and row.status == "active":
                values.update(status="paused")
                changed["status"] = "paused"
                await store.fail_pending(
                    uow.conn, SUBSCRIPTION, subscription_id, "the subscription was paused", now
                )
            secret = None
            if rotate_secret:
                secret = values["secret"] = "whsec_" + secrets.token_hex(24)
                changed["secret"] = "rotated"
            await store.update_subscription(uow.conn, subscription_id, values)
            await audit.record(
                uow,
                organization_id=bot.organization_id,
                actor_id=user.id,
                action="bot_subscription.update",
                target_type="bot_subscription",
                target_id=subscription_id,
                details=changed,
            )
            fresh = await store.get_subscription(uow.conn, subscription_id)
        assert fresh is not None
        view = subscription_view(fresh)
        if secret is not None:
            view["secret"] = secret
        return view

    async def do_delete(self, user: AuthUser, bot_id: int, subscription_id: int) -> None:
        async with self.ctx.transaction() as uow:
            await self._managed(uow.conn, user, bot_id, subscription_id)
            bot = await self._managed_bot(uow.conn, user, bot_id)
            await store.delete_deliveries(uow.conn, SUBSCRIPTION, subscription_id)
            await store.delete_subscription(uow.conn, subscription_id)
            await audit.record(
                uow,
                organization_id=bot.organization_id,
                actor_id=user.id,
                action="bot_subscription.delete",
                target_type="bot_subscription",
                target_id=subscription_id,
                details={"bot_id": bot_id},
            )

    async def do_ping(self, user: AuthUser, bot_id: int, subscription_id: int) -> dict[str, Any]:
        """Queue a ``ping`` event to the endpoint (signed and logged like any delivery)."""
        async with self.ctx.db.read() as conn:
            row = await self._managed(conn, user, bot_id, subscription_id)
        if row.status != "active":
            raise Invalid("Enable the subscription first.", code="SUBSCRIPTION_NOT_ACTIVE")
        now = now_ms()
        key = f"ping_{secrets.token_hex(8)}"
        body = orjson.dumps(
            {
                "id": key,
                "type": "ping",
                "op": "ping",
                "conversation_id": None,
                "data": {"by": user.id},
                "created_at": now,
                "bot_id": bot_id,
                "subscription_id": subscription_id,
            }
        )
        (delivery_id,) = await self.outbound.enqueue(
            [
                delivery_row(
                    owner_kind=SUBSCRIPTION,
                    owner_id=subscription_id,
                    key=key,
                    event_type="ping",
                    url=row.url,
                    body=body,
                    now=now,
                )
            ]
        )
        return {"delivery_id": delivery_id, "event_id": key}

    async def delivery_log(
        self, user: AuthUser, bot_id: int, subscription_id: int, limit: int
    ) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await self._managed(conn, user, bot_id, subscription_id)
        return await self.outbound.delivery_log(SUBSCRIPTION, subscription_id, limit)

    # -- the dispatcher's source ---------------------------------------------------------------

    async def deliveries_for(
        self, conn: Any, rows: list[Row[Any]], now: int
    ) -> list[tuple[int, dict[str, Any]]]:
        subs = await store.active_subscriptions(conn)
        if not subs:
            return []
        wanted_types = {sub.id: set(orjson.loads(sub.event_types)) for sub in subs}
        relevant = [
            row for row in rows if any(f"{row[1]}.{row[2]}" in types for types in wanted_types.values())
        ]
        if not relevant:
            return []
        routed = await routed_events(conn, relevant)
        bot_ids = sorted({sub.bot_id for sub in subs})
        cids = sorted({r.wire["conversation_id"] for r in routed if r.wire["conversation_id"] is not None})
        joined = await store.memberships(conn, bot_ids, cids)
        out: list[tuple[int, dict[str, Any]]] = []
        for event in routed:
            wire = event.wire
            key = f"{wire['type']}.{wire['op']}"
            for sub in subs:
                if key not in wanted_types[sub.id] or wire["id"] <= sub.since_event_id:
                    continue
                if wire["user_id"] is not None:
                    if wire["user_id"] != sub.bot_id:
                        continue
                elif wire["conversation_id"] is not None:
                    since = joined.get((wire["conversation_id"], sub.bot_id))
                    if since is None or since >= wire["id"] or not event.audience.admits(sub.bot_id):
                        continue
                else:
                    continue
                out.append(
                    (
                        wire["id"],
                        delivery_row(
                            owner_kind=SUBSCRIPTION,
                            owner_id=sub.id,
                            key=f"evt_{wire['id']}",
                            event_type=key,
                            url=sub.url,
                            body=event_body(wire, sub.bot_id, sub.id),
                            now=now,
                        ),
                    )
                )
        return out
