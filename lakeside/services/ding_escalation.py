"""DING escalation, the worker's side: send scheduled DINGs when their time comes, and take each
escalation step — re-notify in the app, e-mail, SMS, voice — when it falls due.

Called by ``workers/ding.py`` on every node every few seconds, with "now" as a parameter (tests
pass a clock of their own). Each DING or step is claimed by a conditional UPDATE before anything
is sent, so of several nodes exactly one takes it. The slow part — SMTP or the provider's HTTP
webhook — runs outside any transaction; its outcome is written to the attempt afterwards and
sent live to the DING's sender.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.events import to_users
from lakeside.domain.events.enterprise import DingAttempt
from lakeside.domain.tokens import now_ms
from lakeside.services import ding_channels
from lakeside.services.context import Context
from lakeside.services.ding import Dings, attempt_view, ding_view, next_step
from lakeside.store import ding as store
from lakeside.store import organizations as org_store
from lakeside.store import users as user_store


class DingEscalation:
    def __init__(self, ctx: Context, dings: Dings) -> None:
        self.ctx = ctx
        self.dings = dings

    # -- rounds ----------------------------------------------------------------------

    async def publish_due(self, now: int, limit: int = 100) -> int:
        """Send the scheduled DINGs whose time has come; returns how many this node sent."""
        async with self.ctx.db.read() as conn:
            due = await store.due_scheduled(conn, now, limit)
        sent = 0
        for ding_id in due:
            async with self.ctx.transaction() as uow:
                if not await store.claim_scheduled(uow.conn, ding_id, now):
                    continue  # another node took it
                row = await store.get_ding_by_id(uow.conn, ding_id)
                assert row is not None
                waiting = await store.unconfirmed_ids(uow.conn, ding_id)
                active = sorted(await org_store.active_among(uow.conn, row.organization_id, waiting))
                await self.dings.deliver(uow, row, active, now)
                for user_id in set(waiting) - set(active):
                    await store.stop_escalation_for(uow.conn, row.organization_id, user_id)
                sent += 1
        return sent

    async def escalate_due(self, now: int, limit: int = 100) -> list[int]:
        """Take every escalation step that is due; returns the ids of the attempts made."""
        async with self.ctx.db.read() as conn:
            due = await store.due_steps(conn, now, limit)
        made: list[int] = []
        for recipient in due:
            attempt_id = await self._escalate(recipient, now)
            if attempt_id is not None:
                made.append(attempt_id)
        return made

    async def _escalate(self, recipient: Row[Any], now: int) -> int | None:
        async with self.ctx.transaction() as uow:
            row = await store.get_ding_by_id(uow.conn, recipient.ding_id)
            if row is None or row.status != "sent" or row.sent_at is None:
                return None
            policy = await store.get_policy(uow.conn, row.organization_id)
            following, due = next_step(policy, recipient.next_step, row.sent_at)
            if not await store.claim_step(uow.conn, recipient, following, due):
                return None  # another node took this step
            step = recipient.next_step
            view = await ding_view(uow.conn, row)
            if step == "app":
                await self.dings.app_attempt(
                    uow, row, recipient.user_id, trigger="escalation", view=view, now=now
                )
                return None
            attempt_id = await store.insert_attempt(
                uow.conn,
                {
                    "ding_id": row.id,
                    "user_id": recipient.user_id,
                    "channel": step,
                    "trigger": "escalation",
                    "status": "pending",
                    "created_at": now,
                },
            )
            contact = await self._contact(uow.conn, row, recipient.user_id)
        # The slow part (SMTP, HTTP) runs outside any transaction.
        status, detail = await self._reach(step, row, policy, contact, view, attempt_id, now)
        async with self.ctx.transaction() as uow:
            await store.finish_attempt(uow.conn, attempt_id, status, detail, now_ms())
            attempt = await store.get_attempt(uow.conn, attempt_id)
            assert attempt is not None
            if row.sender_id is not None:
                uow.emit(DingAttempt(**attempt_view(attempt)), to_users(row.sender_id))
        return attempt_id

    @staticmethod
    async def _contact(conn: AsyncConnection, row: Row[Any], user_id: int) -> dict[str, Any]:
        member = await org_store.get_member(conn, row.organization_id, user_id)
        sender = (
            await org_store.get_member(conn, row.organization_id, row.sender_id) if row.sender_id else None
        )
        organization = await org_store.get_organization(conn, row.organization_id)
        account = await user_store.get_user(conn, user_id)
        return {
            "user_id": user_id,
            "name": member.name if member else (account.display_name if account else ""),
            "email": account.email if account else None,
            "phone": (member.work_phone if member and member.work_phone else None)
            or (account.phone if account else None),
            "sender_id": row.sender_id,
            "sender_name": sender.name if sender else "",
            "organization_id": row.organization_id,
            "organization_name": organization.name if organization else "",
        }

    async def _reach(
        self,
        step: str,
        row: Row[Any],
        policy: Row[Any] | None,
        contact: dict[str, Any],
        view: dict[str, Any],
        attempt_id: int,
        now: int,
    ) -> tuple[str, str]:
        settings = self.ctx.settings
        if step == "email":
            subject = f"[DING] {contact['sender_name']} · {contact['organization_name']}"
            link = f"{settings.public_url.rstrip('/')}/#/orgs/{row.organization_id}/dings/{row.id}"
            body = f"{contact['sender_name']}:\n\n{view['body']}\n\nConfirm: {link}\n"
            return await ding_channels.send_email(settings, to=contact["email"], subject=subject, body=body)
        payload = {
            "type": f"ding.{step}",
            "attempt_id": attempt_id,
            "ding_id": row.id,
            "channel": step,
            "organization": {"id": contact["organization_id"], "name": contact["organization_name"]},
            "sender": {"user_id": contact["sender_id"], "name": contact["sender_name"]},
            "recipient": {"user_id": contact["user_id"], "name": contact["name"], "phone": contact["phone"]},
            "text": view["body"],
            "sent_at": row.sent_at,
            "timestamp": now,
        }
        return await ding_channels.send_webhook(
            settings,
            url=policy.webhook_url if policy else None,
            secret=policy.webhook_secret if policy else None,
            payload=payload,
            timestamp=now_ms(),
        )
