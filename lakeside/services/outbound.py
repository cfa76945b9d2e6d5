"""The one outbound delivery queue, for outgoing robots and bots' event subscriptions alike.

At least once, and nothing lost between a commit and the enqueue: deliveries are not enqueued by
the code that causes them but by the dispatcher, which follows the durable event log
(store/events.py) with a stored cursor. The log is written in the same transaction as every
change, and its ids become visible in commit order (its appends are serialised), so reading
``id > cursor`` never skips an event; the dispatcher inserts the deliveries an event causes and
moves its cursor in ONE transaction, so each event is enqueued exactly once even when a node dies
between the two (the transaction rolls back and the next round reads the same events). On
PostgreSQL one node dispatches at a time (a try-lock; the others skip the round).

Sending: ``deliver_due`` claims due deliveries (``store.claim_due``: the oldest pending delivery
of each owner, so one owner's deliveries go out in order; PostgreSQL's ``FOR UPDATE SKIP
LOCKED`` lets nodes share the work) and counts the attempt at once, holding each for a lease; a
node that dies mid-request leaves it to be tried again when the lease ends (at least once: the
receiver deduplicates on the idempotency id). Each attempt goes through the SSRF guard
(services/egress.py) and is written to the delivery log (``outbound_attempts``); when to try
again, and when to give up, is domain/outbound.py's.

Both entry points take ``now``: the tests drive the clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
from sqlalchemy.engine import Row

from lakeside.domain import outbound as rules
from lakeside.domain.tokens import now_ms
from lakeside.errors import LakesideError
from lakeside.services import egress
from lakeside.services import events as event_wire
from lakeside.services.context import Context
from lakeside.store import outbound as store
from lakeside.store import stream
from lakeside.store.dialects import dialect_of

log = logging.getLogger(__name__)

DISPATCH_LOCK = 0x0B0B_DE11  # one dispatcher at a time (PostgreSQL advisory lock)
DISPATCH_PAGE = 500
DELIVERY_BATCH = 10
IDLE_SKIP = 1000  # with no integration at all, the cursor moves only this far behind
LOG_LIMIT = 50
ROBOT, SUBSCRIPTION = "robot", "subscription"

# What enqueues deliveries for a page of the log: (conn, rows, now) -> [(event id, row to insert)].
Source = Callable[[Any, list[Row[Any]], int], Awaitable[list[tuple[int, dict[str, Any]]]]]
# What to do with a delivered robot callback's answer: (robot row, delivery row, body) -> a note.
ReplyHandler = Callable[[Row[Any], Row[Any], bytes], Awaitable[str]]


def delivery_row(
    *,
    owner_kind: str,
    owner_id: int,
    key: str,
    event_type: str,
    url: str,
    body: bytes,
    now: int,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "owner_kind": owner_kind,
        "owner_id": owner_id,
        "idempotency_key": key,
        "event_type": event_type[:80],
        "url": url,
        "body": body,
        "headers": orjson.dumps(headers or {}).decode(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
    }


def _clean(text: str, limit: int = 500) -> str:
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8", "replace")[:limit]


class Outbound:
    def __init__(self, ctx: Context, rand: Callable[[], float] = random.random) -> None:
        self.ctx = ctx
        self.rand = rand
        self.sources: list[Source] = []  # robots and subscriptions register theirs
        self.on_robot_reply: ReplyHandler | None = None
        self.wake: Callable[[], None] | None = None  # set by the worker

    # -- dispatch: the event log into deliveries --------------------------------------------------

    async def dispatch(self, limit: int = DISPATCH_PAGE) -> int:
        """Read one page of the log past the cursor and enqueue what it causes; the number of
        deliveries enqueued (0 too when another node holds the dispatcher's lock).

        A look first, without a write: nothing new, nothing to do (on SQLite a write transaction
        would take the one writer's lock every round). With no robot or subscription at all the
        cursor jumps to the end of the log, now and then: integrations only ever receive what
        happens after they were made, so nothing before is owed to anyone."""
        async with self.ctx.db.read() as conn:
            position = await store.cursor_position(conn, "dispatch")
            newest = (await stream.bounds(conn))[1]
            # After reading newest: an integration that was not there yet by now was made after
            # every event up to newest had committed (its since_event_id decides the rest).
            live = await store.any_live(conn)
        if newest <= position or (not live and newest - position < IDLE_SKIP):
            return 0
        now = now_ms()
        async with self.ctx.db.transaction() as conn:
            if not await dialect_of(conn).try_lock(conn, DISPATCH_LOCK):
                return 0
            position = await store.cursor(conn, "dispatch")
            if not live:
                if newest > position:
                    await store.move_cursor(conn, "dispatch", newest, now)
                return 0
            rows = list(await stream.events_between(conn, position, 2**62, limit=limit))
            if not rows:
                return 0
            found: list[tuple[int, dict[str, Any]]] = []
            for source in self.sources:
                found.extend(await source(conn, rows, now))
            found.sort(key=lambda item: item[0])  # event order, then the order each source gave
            happened = {row[0]: row[6] for row in rows}
            for event_id, row in found:  # due from when the event happened
                row["next_attempt_at"] = min(row["next_attempt_at"], happened.get(event_id, now))
            await store.insert_deliveries(conn, [row for _, row in found])
            await store.move_cursor(conn, "dispatch", rows[-1][0], now)
        return len(found)

    async def dispatch_all(self) -> int:
        """Dispatch until the cursor reaches the end of the log (or stops moving: another node
        is dispatching)."""
        total = 0
        before = -1
        while True:
            total += await self.dispatch()
            async with self.ctx.db.read() as conn:
                position = await store.cursor_position(conn, "dispatch")
                newest = (await stream.bounds(conn))[1]
            if position >= newest or position == before:
                return total
            before = position

    async def enqueue(self, rows: list[dict[str, Any]]) -> list[int]:
        """Enqueue deliveries directly (a ping: caused by a request, not by an event)."""
        async with self.ctx.db.transaction() as conn:
            ids = await store.insert_deliveries(conn, rows)
        if self.wake is not None:
            self.wake()
        return ids

    # -- delivery ---------------------------------------------------------------------------------

    async def deliver_due(self, now: int | None = None, limit: int = DELIVERY_BATCH) -> list[str]:
        """Attempt the deliveries due at ``now`` (at most ``limit``, in parallel); their outcomes."""
        at = now_ms() if now is None else now
        lease = int((self.ctx.settings.egress_timeout_seconds + 60) * 1000)
        async with self.ctx.db.read() as conn:
            if not await store.any_due(conn, at):
                return []
        async with self.ctx.db.transaction() as conn:
            claimed = await store.claim_due(conn, at, limit, at + lease)
        if not claimed:
            return []
        return list(await asyncio.gather(*(self._attempt(row, at) for row in claimed)))

    async def run_once(self, now: int | None = None) -> list[str]:
        """A worker round: dispatch the whole log, then deliver what is due."""
        await self.dispatch_all()
        outcomes: list[str] = []
        while batch := await self.deliver_due(now):
            outcomes.extend(batch)
        return outcomes

    async def _owner(self, row: Row[Any]) -> tuple[Row[Any] | None, str]:
        """The delivery's owner, if it may still be delivered to; else the reason it may not."""
        async with self.ctx.db.read() as conn:
            if row.owner_kind == ROBOT:
                robot = await store.get_robot(conn, row.owner_id)
                if robot is None or robot.revoked_at is not None:
                    return None, "the robot was revoked"
                return robot, ""
            sub = await store.get_subscription(conn, row.owner_id)
            if sub is None:
                return None, "the subscription was deleted"
            if sub.status != "active":
                return None, f"the subscription is {sub.status}"
            return sub, ""

    def _signed_headers(self, row: Row[Any], owner: Row[Any]) -> dict[str, str]:
        headers: dict[str, str] = orjson.loads(row.headers or "{}")
        if row.owner_kind == ROBOT:
            stamp = str(now_ms())  # the real clock: receivers compare it with theirs
            headers.update({"timestamp": stamp, "sign": rules.dingtalk_sign(owner.secret, stamp)})
        else:
            stamp = str(now_ms() // 1000)
            headers.update(
                {
                    "X-Lakeside-Event-Id": row.idempotency_key,
                    "X-Lakeside-Event-Type": row.event_type,
                    "X-Lakeside-Delivery": str(row.id),
                    "X-Lakeside-Timestamp": stamp,
                    "X-Lakeside-Signature": rules.event_signature(owner.secret, stamp, row.body),
                }
            )
        return headers

    async def _attempt(self, row: Row[Any], at: int) -> str:
        attempt = row.attempts + 1  # claim_due counted it
        owner, why_not = await self._owner(row)
        status: int | None = None
        error = ""
        response = b""
        retry_after: str | None = None
        started = now_ms()
        clock = time.monotonic()
        if owner is None:
            outcome, error = rules.FAILED, why_not
        else:
            try:
                answer = await egress.post_json(
                    self.ctx.settings, row.url, row.body, self._signed_headers(row, owner)
                )
                status, response = answer.status, answer.body
                retry_after = answer.headers.get("retry-after")
                outcome = rules.classify(status)
                if outcome != rules.DELIVERED:
                    error = f"HTTP {status}"
            except egress.EgressUnresolved as exc:
                outcome, error = rules.RETRY, str(exc)
            except egress.EgressRefused as exc:
                outcome, error = rules.FAILED, f"refused: {exc}"
            except LakesideError as exc:  # a URL the guard does not take
                outcome, error = rules.FAILED, exc.message
            except (httpx.HTTPError, OSError, TimeoutError) as exc:
                outcome, error = rules.RETRY, f"{type(exc).__name__}: {exc}".rstrip(": ")
        duration = int((time.monotonic() - clock) * 1000)
        note = ""
        if (
            outcome == rules.DELIVERED
            and row.owner_kind == ROBOT
            and owner is not None
            and self.on_robot_reply
        ):
            try:
                note = await self.on_robot_reply(owner, row, response)
            except Exception as exc:  # the delivery stands; the reply is reported in the log
                log.exception("posting a robot's reply failed")
                note = f"reply not posted: {type(exc).__name__}"
        next_at = at
        if outcome == rules.RETRY:
            wait = rules.backoff_ms(attempt, self.rand())
            if wait is None:
                outcome = rules.FAILED
                error = f"{error}; gave up after {attempt} attempts"
            else:
                asked = rules.retry_after_ms(retry_after, at)
                next_at = at + max(wait, asked or 0)
        await self._record(row, attempt, outcome, status, error or note, response, started, duration, next_at)
        return outcome

    async def _record(
        self,
        row: Row[Any],
        attempt: int,
        outcome: str,
        status: int | None,
        error: str,
        response: bytes,
        started: int,
        duration: int,
        next_at: int,
    ) -> None:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await store.insert_attempt(
                uow.conn,
                {
                    "delivery_id": row.id,
                    "attempt": attempt,
                    "started_at": started,
                    "duration_ms": duration,
                    "http_status": status,
                    "outcome": outcome,
                    "error": _clean(error),
                    "response": _clean(response[:500].decode("utf-8", "replace")),
                },
            )
            current = await store.get_delivery(uow.conn, row.id)
            if current is None or current.status != "pending":
                return  # revoked or deleted meanwhile
            values: dict[str, Any] = {"last_status": status, "last_error": _clean(error), "updated_at": now}
            if outcome == rules.RETRY:
                values["next_attempt_at"] = next_at
            else:
                values.update(status=outcome, finished_at=now)
            await store.update_delivery(uow.conn, row.id, values)
            if row.owner_kind == SUBSCRIPTION and outcome != rules.RETRY:
                await self._count(uow.conn, row.owner_id, outcome == rules.DELIVERED, now)

    async def _count(self, conn: Any, subscription_id: int, delivered: bool, now: int) -> None:
        """Consecutive failures of a subscription; past the limit it is disabled (its owner sees
        why in its state) and what it still had pending fails with it."""
        sub = await store.get_subscription(conn, subscription_id)
        if sub is None:
            return
        if delivered:
            if sub.consecutive_failures:
                await store.update_subscription(conn, subscription_id, {"consecutive_failures": 0})
            return
        failures = sub.consecutive_failures + 1
        values: dict[str, Any] = {"consecutive_failures": failures, "updated_at": now}
        limit = self.ctx.settings.bot_subscription_max_failures
        if sub.status == "active" and failures >= limit:
            values.update(status="disabled", disabled_reason=f"{failures} deliveries in a row failed")
            await store.fail_pending(
                conn, SUBSCRIPTION, subscription_id, "the subscription was disabled", now
            )
        await store.update_subscription(conn, subscription_id, values)

    # -- the delivery log -------------------------------------------------------------------------

    async def delivery_log(
        self, owner_kind: str, owner_id: int, limit: int = LOG_LIMIT
    ) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            rows = await store.recent_deliveries(conn, owner_kind, owner_id, min(max(limit, 1), 200))
            attempts = await store.attempts_of(conn, [row.id for row in rows])
        return [
            {
                "id": row.id,
                "event_id": row.idempotency_key,
                "event_type": row.event_type,
                "status": row.status,
                "attempts": row.attempts,
                "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
                "last_status": row.last_status,
                "last_error": row.last_error,
                "created_at": row.created_at,
                "finished_at": row.finished_at,
                "tries": [
                    {
                        "attempt": a.attempt,
                        "started_at": a.started_at,
                        "duration_ms": a.duration_ms,
                        "http_status": a.http_status,
                        "outcome": a.outcome,
                        "error": a.error,
                    }
                    for a in attempts.get(row.id, [])
                ],
            }
            for row in rows
        ]


def event_body(wire: dict[str, Any], bot_id: int, subscription_id: int) -> bytes:
    """An event delivery's JSON: the event as clients receive it, with the bot it is for."""
    return orjson.dumps(
        {
            "id": f"evt_{wire['id']}",
            "type": wire["type"],
            "op": wire["op"],
            "conversation_id": wire["conversation_id"],
            "data": wire["data"],
            "created_at": wire["created_at"],
            "bot_id": bot_id,
            "subscription_id": subscription_id,
        }
    )


async def routed_events(conn: Any, rows: list[Row[Any]]) -> list[event_wire.Routed]:
    return await event_wire.from_log(conn, rows)
