"""DING (urgent messages): send now or later to chosen colleagues, or turn a message into one;
confirm; watch confirmations; re-DING the unconfirmed by hand (at most once every five minutes);
and escalation — re-notify in the app, then e-mail, SMS and voice — on the organization's rules.

Everything that must happen later is a due time in the database (``dings.send_at`` for a
scheduled DING, ``ding_recipients.next_due_at`` for the next escalation step), so a restart
loses nothing; ``workers/ding.py`` calls ``publish_due`` and ``escalate_due`` every few seconds
on every node, and the conditional UPDATEs in ``store/ding.py`` let exactly one node take each
step. Delivery is at most once per step: a node that dies between claiming a step and sending
it leaves the attempt ``pending`` rather than risk calling someone twice.

Who hears what: the recipients get ``ding.created`` (and ``ding.renotified``) addressed to each
of them; the sender gets ``ding.created``, ``ding.confirmed`` and ``ding.attempt``, so their view
of confirmations and delivery attempts stays live.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import text
from lakeside.domain.events import to_users
from lakeside.domain.events.enterprise import (
    DingAttempt,
    DingCancelled,
    DingConfirmed,
    DingCreated,
    DingRenotified,
    DingScheduled,
)
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from lakeside.services import audit
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.orgaccess import access_org
from lakeside.store import conversations as conversation_store
from lakeside.store import ding as store
from lakeside.store import messages as message_store
from lakeside.store import organizations as org_store

STEPS = ("app", "email", "sms", "voice")
REDING_GAP_MS = 5 * 60_000
MAX_RECIPIENTS = 1000
MAX_SCHEDULE_MS = 30 * 86_400_000
MAX_BODY_BYTES = 4096
DINGABLE_KINDS = ("text", "markdown")


def _not_found() -> NotFound:
    return NotFound("No such DING.", code="DING_NOT_FOUND")


def attempt_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "ding_id": row.ding_id,
        "user_id": row.user_id,
        "channel": row.channel,
        "trigger": row.trigger,
        "status": row.status,
        "detail": row.detail,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
    }


def policy_view(row: Row[Any] | None) -> dict[str, Any]:
    return {
        "app_after_minutes": row.app_after_minutes if row else None,
        "email_after_minutes": row.email_after_minutes if row else None,
        "sms_after_minutes": row.sms_after_minutes if row else None,
        "voice_after_minutes": row.voice_after_minutes if row else None,
        "webhook_url": row.webhook_url if row else None,
        "has_webhook_secret": bool(row and row.webhook_secret),
    }


def next_step(policy: Row[Any] | None, after: str | None, sent_at: int) -> tuple[str | None, int | None]:
    """The first enabled step after ``after`` (None: from the start), and when it is due."""
    if policy is None:
        return None, None
    start = 0 if after is None else STEPS.index(after) + 1
    for step in STEPS[start:]:
        minutes = getattr(policy, f"{step}_after_minutes")
        if minutes is not None:
            return step, sent_at + minutes * 60_000
    return None, None


async def ding_text(conn: AsyncConnection, row: Row[Any]) -> tuple[str, bool]:
    """The DING's text as it is now: a DING made from a message shows the message, and shows
    nothing once the message is recalled (the recall deleted the content everywhere)."""
    if row.message_id is None:
        return row.body, False
    message = await message_store.get_message(conn, row.message_id)
    if message is None or message.recalled_at is not None:
        return "", True
    return message.body, False


async def ding_view(
    conn: AsyncConnection, row: Row[Any], *, confirmed_at: int | None = None
) -> dict[str, Any]:
    body, recalled = await ding_text(conn, row)
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "sender_id": row.sender_id,
        "body": body,
        "recalled": recalled,
        "message_id": row.message_id,
        "conversation_id": row.conversation_id,
        "announcement_id": row.announcement_id,
        "status": row.status,
        "send_at": row.send_at,
        "sent_at": row.sent_at,
        "recipient_count": row.recipient_count,
        "confirmed_count": row.confirmed_count,
        "created_at": row.created_at,
        "confirmed_at": confirmed_at,
    }


class Dings:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- sending ------------------------------------------------------------------------------

    async def do_send(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        recipient_ids: list[int],
        body: str | None,
        message_id: int | None,
        send_at: int | None,
    ) -> dict[str, Any]:
        now = now_ms()
        if (body is None or not body.strip()) == (message_id is None):
            raise Invalid("Give either a body or a message_id.", code="BODY_OR_MESSAGE")
        if body is not None and message_id is None:
            body = text.clean_body(body, max_bytes=MAX_BODY_BYTES)
        if send_at is not None and not now < send_at <= now + MAX_SCHEDULE_MS:
            raise Invalid("send_at is in the future, at most 30 days ahead.", code="INVALID_SEND_AT")
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id)
            conversation_id = None
            if message_id is not None:
                conversation_id = await self._check_message(uow.conn, user.id, message_id)
            recipients = await self.check_recipients(
                uow.conn, organization_id, user.id, recipient_ids, conversation_id
            )
            ding_id = await self.create(
                uow,
                organization_id=organization_id,
                sender_id=user.id,
                recipients=recipients,
                body=body or "",
                message_id=message_id,
                conversation_id=conversation_id,
                announcement_id=None,
                send_at=send_at,
                now=now,
            )
            row = await store.get_ding_by_id(uow.conn, ding_id)
            assert row is not None
            return await ding_view(uow.conn, row)

    async def _check_message(self, conn: AsyncConnection, user_id: int, message_id: int) -> int:
        message = await message_store.get_message(conn, message_id)
        if (
            message is None
            or await conversation_store.get_membership(conn, message.conversation_id, user_id) is None
        ):
            raise NotFound("No such message.", code="MESSAGE_NOT_FOUND")
        if message.recalled_at is not None or message.kind not in DINGABLE_KINDS:
            raise Invalid("Only a text message that is not recalled can become a DING.", code="NOT_DINGABLE")
        return int(message.conversation_id)

    @staticmethod
    async def check_recipients(
        conn: AsyncConnection,
        organization_id: int,
        sender_id: int,
        user_ids: list[int],
        conversation_id: int | None,
    ) -> list[int]:
        wanted = sorted(set(user_ids) - {sender_id})
        if not wanted:
            raise Invalid("Choose at least one recipient besides yourself.", code="NO_RECIPIENTS")
        if len(wanted) > MAX_RECIPIENTS:
            raise Invalid(f"A DING reaches at most {MAX_RECIPIENTS} people.", code="TOO_MANY_RECIPIENTS")
        members = await org_store.active_among(conn, organization_id, wanted)
        for user_id in wanted:
            if user_id not in members:
                raise Invalid(
                    "Recipients are members of the organization.",
                    code="RECIPIENT_NOT_MEMBER",
                    user_id=user_id,
                )
        if conversation_id is not None:
            # A DING of a message only goes to people who can read that message anyway.
            in_chat = await conversation_store.existing_members(conn, conversation_id, wanted)
            for user_id in wanted:
                if user_id not in in_chat:
                    raise Invalid(
                        "Recipients of a message's DING are members of its conversation.",
                        code="RECIPIENT_NOT_IN_CONVERSATION",
                        user_id=user_id,
                    )
        return wanted

    async def create(
        self,
        uow: UnitOfWork,
        *,
        organization_id: int,
        sender_id: int,
        recipients: list[int],
        body: str,
        message_id: int | None,
        conversation_id: int | None,
        announcement_id: int | None,
        send_at: int | None,
        now: int,
    ) -> int:
        """Store a DING and, unless it is scheduled, deliver it; inside the caller's transaction."""
        scheduled = send_at is not None
        ding_id = await store.insert_ding(
            uow.conn,
            {
                "organization_id": organization_id,
                "sender_id": sender_id,
                "body": body,
                "message_id": message_id,
                "conversation_id": conversation_id,
                "announcement_id": announcement_id,
                "status": "scheduled" if scheduled else "sent",
                "send_at": send_at if scheduled else now,
                "sent_at": None if scheduled else now,
                "recipient_count": len(recipients),
                "created_at": now,
            },
        )
        await store.insert_recipients(uow.conn, ding_id, organization_id, recipients)
        row = await store.get_ding_by_id(uow.conn, ding_id)
        assert row is not None
        if scheduled:
            uow.emit(DingScheduled(**await ding_view(uow.conn, row)), to_users(sender_id))
        else:
            await self.deliver(uow, row, recipients, now)
        return ding_id

    async def deliver(self, uow: UnitOfWork, row: Row[Any], recipients: list[int], now: int) -> None:
        policy = await store.get_policy(uow.conn, row.organization_id)
        step, due = next_step(policy, None, now)
        await store.schedule_first_step(uow.conn, row.id, step, due)
        view = await ding_view(uow.conn, row)
        for user_id in recipients:
            await store.insert_attempt(
                uow.conn,
                {
                    "ding_id": row.id,
                    "user_id": user_id,
                    "channel": "app",
                    "trigger": "send",
                    "status": "sent",
                    "created_at": now,
                    "finished_at": now,
                },
            )
        # Each recipient, then the sender (when the account is still there).
        told = [*recipients, *([row.sender_id] if row.sender_id is not None else [])]
        if told:
            uow.emit(DingCreated(**view), to_users(*told))

    # -- reading ------------------------------------------------------------------------------

    async def _access(
        self, conn: AsyncConnection, user_id: int, organization_id: int, ding_id: int
    ) -> tuple[Row[Any], Row[Any] | None]:
        """The DING and the caller's recipient row; 404 unless the caller sent or received it."""
        await access_org(conn, user_id, organization_id)
        row = await store.get_ding(conn, organization_id, ding_id)
        if row is None:
            raise _not_found()
        recipient = await store.get_recipient(conn, ding_id, user_id)
        if row.sender_id != user_id and (recipient is None or row.status != "sent"):
            raise _not_found()
        return row, recipient

    async def get(self, user: AuthUser, organization_id: int, ding_id: int) -> dict[str, Any]:
        """A recipient sees the DING and their own confirmation; the sender also sees every
        recipient's confirmation and every delivery attempt."""
        async with self.ctx.db.read() as conn:
            row, recipient = await self._access(conn, user.id, organization_id, ding_id)
            view = await ding_view(conn, row, confirmed_at=recipient.confirmed_at if recipient else None)
            if row.sender_id == user.id:
                view["recipients"] = [
                    {
                        "user_id": r.user_id,
                        "name": r.name,
                        "confirmed_at": r.confirmed_at,
                        "next_step": r.next_step,
                    }
                    for r in await store.list_recipients(conn, ding_id)
                ]
                view["attempts"] = [attempt_view(a) for a in await store.list_attempts(conn, ding_id)]
        return view

    async def list_attempts(self, user: AuthUser, organization_id: int, ding_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            row, _ = await self._access(conn, user.id, organization_id, ding_id)
            if row.sender_id != user.id:
                raise Forbidden("Only the sender sees delivery attempts.", code="NOT_DING_SENDER")
            return [attempt_view(a) for a in await store.list_attempts(conn, ding_id)]

    async def list_pending(self, user: AuthUser, organization_id: int) -> list[dict[str, Any]]:
        """DINGs waiting for the caller's confirmation: pinned in the client until confirmed."""
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            rows = await store.list_pending(conn, organization_id, user.id)
            return [await ding_view(conn, row) for row in rows]

    async def list_received(
        self, user: AuthUser, organization_id: int, *, before_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """DINGs sent to the caller, confirmed or not, newest first (the inbox's history)."""
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            rows = await store.list_received(
                conn, organization_id, user.id, before_id, max(1, min(limit, 100))
            )
            return [await ding_view(conn, row, confirmed_at=row.confirmed_at) for row in rows]

    async def list_sent(
        self, user: AuthUser, organization_id: int, *, before_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            rows = await store.list_sent(conn, organization_id, user.id, before_id, max(1, min(limit, 100)))
            return [await ding_view(conn, row) for row in rows]

    # -- confirming, re-DING, cancelling ------------------------------------------------------

    async def do_confirm(self, user: AuthUser, organization_id: int, ding_id: int) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row, recipient = await self._access(uow.conn, user.id, organization_id, ding_id)
            if recipient is None:
                raise Forbidden("Only a recipient confirms a DING.", code="NOT_DING_RECIPIENT")
            if await store.confirm(uow.conn, ding_id, user.id, now):
                row = await store.get_ding_by_id(uow.conn, ding_id)
                assert row is not None
                news = {
                    "ding_id": ding_id,
                    "user_id": user.id,
                    "confirmed_at": now,
                    "confirmed_count": row.confirmed_count,
                }
                uow.emit(DingConfirmed(**news), to_users(*({user.id, row.sender_id} - {None})))
                confirmed_at = now
            else:
                confirmed_at = recipient.confirmed_at
            return await ding_view(uow.conn, row, confirmed_at=confirmed_at)

    async def do_reding(self, user: AuthUser, organization_id: int, ding_id: int) -> dict[str, Any]:
        """Notify the unconfirmed again, in the app, at most once every five minutes."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row, _ = await self._access(uow.conn, user.id, organization_id, ding_id)
            if row.sender_id != user.id:
                raise Forbidden("Only the sender may DING again.", code="NOT_DING_SENDER")
            if row.status != "sent":
                raise Conflict("The DING has not been sent yet.", code="DING_NOT_SENT")
            waiting = await store.unconfirmed_ids(uow.conn, ding_id)
            waiting = sorted(await org_store.active_among(uow.conn, organization_id, waiting))
            if not waiting:
                raise Conflict("Everyone has confirmed.", code="ALL_CONFIRMED")
            if not await store.claim_reding(uow.conn, ding_id, now, REDING_GAP_MS):
                retry = max(1, math.ceil((row.last_reding_at + REDING_GAP_MS - now) / 1000))
                raise RateLimited(
                    "A DING may be repeated once every five minutes.",
                    retry_after=retry,
                    code="REDING_TOO_SOON",
                )
            view = await ding_view(uow.conn, row)
            for user_id in waiting:
                await self.app_attempt(uow, row, user_id, trigger="manual", view=view, now=now)
        return {"ding_id": ding_id, "renotified": waiting, "next_allowed_at": now + REDING_GAP_MS}

    async def app_attempt(
        self, uow: UnitOfWork, row: Row[Any], user_id: int, *, trigger: str, view: dict[str, Any], now: int
    ) -> None:
        attempt_id = await store.insert_attempt(
            uow.conn,
            {
                "ding_id": row.id,
                "user_id": user_id,
                "channel": "app",
                "trigger": trigger,
                "status": "sent",
                "created_at": now,
                "finished_at": now,
            },
        )
        uow.emit(DingRenotified(**view), to_users(user_id))
        attempt = await store.get_attempt(uow.conn, attempt_id)
        assert attempt is not None
        if row.sender_id is not None:
            uow.emit(DingAttempt(**attempt_view(attempt)), to_users(row.sender_id))

    async def do_cancel(self, user: AuthUser, organization_id: int, ding_id: int) -> None:
        async with self.ctx.transaction() as uow:
            row, _ = await self._access(uow.conn, user.id, organization_id, ding_id)
            if row.sender_id != user.id:
                raise Forbidden("Only the sender may cancel a DING.", code="NOT_DING_SENDER")
            if not await store.cancel_scheduled(uow.conn, ding_id):
                raise Conflict(
                    "Only a DING that is still scheduled can be cancelled.", code="DING_ALREADY_SENT"
                )
            uow.emit(DingCancelled(ding_id=ding_id), to_users(user.id))

    # -- escalation rules ---------------------------------------------------------------------

    async def get_policy(self, user: AuthUser, organization_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            return policy_view(await store.get_policy(conn, organization_id))

    async def do_set_policy(
        self, user: AuthUser, organization_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        from lakeside.services.egress import check_url

        values: dict[str, Any] = {}
        for step in STEPS:
            key = f"{step}_after_minutes"
            if key in changes:
                minutes = changes[key]
                if minutes is not None and not 1 <= minutes <= 7 * 24 * 60:
                    raise Invalid(
                        f"{key} is 1 to 10080 minutes, or null to skip the step.", code="INVALID_MINUTES"
                    )
                values[key] = minutes
        if "webhook_url" in changes:
            values["webhook_url"] = check_url(changes["webhook_url"]) if changes["webhook_url"] else None
        if "webhook_secret" in changes:
            secret = changes["webhook_secret"]
            if secret is not None and not 16 <= len(secret) <= 256:
                raise Invalid("The webhook secret is 16 to 256 characters.", code="INVALID_SECRET")
            values["webhook_secret"] = secret
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True)
            current = policy_view(await store.get_policy(uow.conn, organization_id))
            merged = {**current, **{k: v for k, v in values.items() if k.endswith("_minutes")}}
            app = merged["app_after_minutes"]
            if app is not None and app < 5:
                raise Invalid(
                    "In-app re-notification comes at most once every five minutes.", code="INVALID_MINUTES"
                )
            chain = [merged[f"{s}_after_minutes"] for s in STEPS if merged[f"{s}_after_minutes"] is not None]
            if chain != sorted(chain):
                raise Invalid("Steps come in order: app, e-mail, SMS, voice.", code="STEPS_OUT_OF_ORDER")
            await store.save_policy(uow.conn, organization_id, {**values, "updated_at": now_ms()})
            # The secret itself never enters the log; only that it changed.
            logged = {k: ("[changed]" if k == "webhook_secret" and v else v) for k, v in values.items()}
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="ding_policy.update",
                target_type="organization",
                target_id=organization_id,
                details=logged,
            )
            return policy_view(await store.get_policy(uow.conn, organization_id))
