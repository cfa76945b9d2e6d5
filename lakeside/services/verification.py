"""Proving an e-mail address or a phone number: a link sent by e-mail, a code sent by SMS.

Anyone can type any address into their profile, so an address counts — for logging in, for the
organization invitations addressed to it, for being found by it — only once its holder proved it
(``users.email_verified_at``, ``users.phone_verified_at``); changing an address unproves it
(services/accounts.py). The e-mail carries a link with a random 256-bit token; the SMS, sent
through the SMS provider webhook that DING escalation speaks (services/ding_channels.py, signed
with ``sms_webhook_secret``), a six-digit code. Either is stored only as an HMAC under the
server's secret key (bound to the user and the channel), expires (``verification_link_ttl_hours``,
``verification_code_ttl_seconds``), is void once a newer one is sent or the address changes, and
a code allows ``verification_max_attempts`` guesses, counted by a conditional UPDATE so that
concurrent guesses cannot exceed them. Sending spends ``verifications`` per user and address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from lakeside.domain.tokens import new_token, now_ms
from lakeside.errors import Conflict, Invalid, Unavailable
from lakeside.services import ding_channels
from lakeside.services.accounts import AuthUser, own_profile
from lakeside.services.context import Context
from lakeside.store import users as user_store
from lakeside.store import verification as store

CHANNELS = ("email", "phone")


class Verification:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _digest(self, channel: str, user_id: int | None, secret: str) -> str:
        key = self.ctx.settings.ensure_secret().encode()
        message = f"verify:{channel}:{user_id if user_id is not None else ''}:{secret}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    async def do_send(self, user: AuthUser, channel: str, *, address: str = "") -> dict[str, Any]:
        """Send a proof to the caller's current address on ``channel``."""
        settings = self.ctx.settings
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user(conn, user.id)
        assert row is not None
        target = row.email if channel == "email" else row.phone
        if not target:
            raise Invalid(f"Add your {'e-mail address' if channel == 'email' else 'phone number'} first.",
                          code="NO_ADDRESS")  # fmt: skip
        if getattr(row, f"{channel}_verified_at") is not None:
            raise Conflict("That address is verified already.", code="ALREADY_VERIFIED")
        if channel == "email" and not settings.smtp_host:
            raise Unavailable("This server cannot send e-mail.", code="VERIFICATION_UNAVAILABLE")
        if channel == "phone" and not (settings.sms_webhook_url and settings.sms_webhook_secret):
            raise Unavailable("This server cannot send text messages.", code="VERIFICATION_UNAVAILABLE")
        await self.ctx.limits.take("verifications", user_id=user.id, address=address)
        now = now_ms()
        if channel == "email":
            secret = new_token()
            digest, expires_at = (
                self._digest("email", None, secret),
                now + settings.verification_link_ttl_hours * 3_600_000,
            )
        else:
            secret = f"{secrets.randbelow(1_000_000):06d}"
            digest, expires_at = (
                self._digest("phone", user.id, secret),
                now + settings.verification_code_ttl_seconds * 1000,
            )
        values = {"user_id": user.id, "channel": channel, "address": target, "secret_hash": digest,
                  "expires_at": expires_at, "created_at": now}  # fmt: skip
        async with self.ctx.transaction() as uow:
            proof_id = await store.replace_proof(uow.conn, values)
        status, detail = await self._deliver(channel, row, target, secret, proof_id, now)
        if status != "sent":
            async with self.ctx.transaction() as uow:
                await store.delete_proofs(uow.conn, user.id, channel)
            raise Unavailable(f"Could not send it: {detail}", code="VERIFICATION_NOT_SENT")
        return {"channel": channel, "sent_to": target, "expires_at": expires_at}

    async def _deliver(
        self, channel: str, row: Any, target: str, secret: str, proof_id: int, now: int
    ) -> tuple[str, str]:
        settings = self.ctx.settings
        if channel == "email":
            link = f"{settings.public_url.rstrip('/')}/#/settings/profile?verify_email={secret}"
            body = (
                f"{row.display_name}，请打开下面的链接验证你的邮箱地址 / Open this link to verify your "
                f"e-mail address:\n\n{link}\n\n如果不是你本人操作，请忽略本邮件。 / If it was not you, "
                "ignore this message.\n"
            )
            return await ding_channels.send_email(
                settings, to=target, subject="验证邮箱 · Verify your e-mail address", body=body
            )
        minutes = settings.verification_code_ttl_seconds // 60
        payload = {
            "type": "verification.sms",
            "attempt_id": proof_id,
            "channel": "sms",
            "recipient": {"user_id": row.id, "name": row.display_name, "phone": target},
            "code": secret,
            "text": f"【lakeside】验证码 {secret}，{minutes} 分钟内有效。Your code is {secret}.",
            "timestamp": now,
        }
        return await ding_channels.send_webhook(
            settings, url=settings.sms_webhook_url, secret=settings.sms_webhook_secret, payload=payload,
            timestamp=now_ms(),
        )  # fmt: skip

    async def do_confirm_phone(self, user: AuthUser, code: str) -> dict[str, Any]:
        """Check a code sent by SMS; each guess spends one of the code's attempts, right or not."""
        async with self.ctx.transaction() as uow:
            proof = await store.get_proof(uow.conn, user.id, "phone")
            if proof is None or proof.expires_at <= now_ms():
                raise Invalid("No code is waiting, or it expired; send a new one.", code="CODE_EXPIRED")
            spent = await store.spend_attempt(uow.conn, proof.id, self.ctx.settings.verification_max_attempts)
        if not spent:
            raise Invalid("Too many wrong codes; send a new one.", code="CODE_ATTEMPTS_EXHAUSTED")
        if not hmac.compare_digest(self._digest("phone", user.id, code.strip()), proof.secret_hash):
            raise Invalid("That code is wrong.", code="WRONG_CODE")
        return await self._prove(proof)

    async def do_confirm_email(self, token: str, *, address: str = "") -> dict[str, Any]:
        """Follow an e-mailed link (no session needed: the token is the proof)."""
        await self.ctx.limits.take("verifications", address=address)
        async with self.ctx.db.read() as conn:
            proof = await store.get_proof_by_secret(conn, "email", self._digest("email", None, token.strip()))
        if proof is None or proof.expires_at <= now_ms():
            raise Invalid("This link is not valid any more; send a new one.", code="LINK_EXPIRED")
        return await self._prove(proof)

    async def do_mark_proved(self, user_id: int) -> None:
        """Server administration (the demo workspace, ``lakeside user verify``): take the account's
        current e-mail address and phone number as proved, without sending anything."""
        async with self.ctx.transaction() as uow:
            await store.mark_current_verified(uow.conn, user_id, now_ms())
            await store.delete_proofs(uow.conn, user_id)

    async def _prove(self, proof: Any) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            proved = await store.mark_verified(
                uow.conn, proof.user_id, proof.channel, proof.address, now_ms()
            )
            await store.delete_proofs(uow.conn, proof.user_id, proof.channel)
            row = await user_store.get_user(uow.conn, proof.user_id)
        if not proved or row is None:  # the address changed since the proof was sent
            raise Invalid("This address is no longer on the account.", code="LINK_EXPIRED")
        return own_profile(row)
