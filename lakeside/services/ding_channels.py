"""How a DING escalation step reaches a person outside the app: e-mail through SMTP, SMS and
voice through the organization's provider webhook.

The webhook receives a JSON body (documented in docs/admin-guide.md) signed with the
organization's secret: ``X-Lakeside-Signature: sha256=<hex>`` is HMAC-SHA256 over
``"<timestamp>.<raw body>"``, where ``<timestamp>`` is the ``X-Lakeside-Timestamp`` header (Unix
seconds). Signing the timestamp with the body lets a receiver refuse replays of old requests.
Each function returns ``(status, detail)`` for the attempt record: ``sent``, ``failed`` or
``skipped`` (nothing to send to, or the channel is not configured).
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
from typing import Any

import orjson

from lakeside.config import Settings
from lakeside.services import egress, mailer

Outcome = tuple[str, str]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


async def send_email(settings: Settings, *, to: str | None, subject: str, body: str) -> Outcome:
    if not to:
        return "skipped", "the recipient has no e-mail address"
    if not settings.smtp_host:
        return "skipped", "e-mail is not configured on this server (LAKESIDE_SMTP_HOST)"
    try:
        message_id = await mailer.send_mail(settings, to=to, subject=subject, body=body)
    except (smtplib.SMTPException, OSError) as exc:
        return "failed", f"SMTP: {type(exc).__name__}: {exc}"
    return "sent", f"accepted by {settings.smtp_host} as {message_id}"


async def send_webhook(
    settings: Settings, *, url: str | None, secret: str | None, payload: dict[str, Any], timestamp: int
) -> Outcome:
    import httpx  # as in egress: loaded with the first webhook call, not at start-up

    if not url or not secret:
        return "skipped", "no provider webhook is configured for this organization"
    if not payload["recipient"]["phone"]:
        return "skipped", "the recipient has no phone number"
    body = orjson.dumps(payload)
    stamp = str(timestamp // 1000)
    headers = {
        "X-Lakeside-Timestamp": stamp,
        "X-Lakeside-Signature": sign(secret, stamp, body),
        "X-Lakeside-Event": str(payload["type"]),
        "X-Lakeside-Delivery": str(payload["attempt_id"]),
    }
    try:
        response = await egress.post_json(settings, url, body, headers)
    except egress.EgressRefused as exc:
        return "failed", f"refused: {exc}"
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        return "failed", f"{type(exc).__name__}: {exc}"
    if 200 <= response.status < 300:
        return "sent", f"HTTP {response.status}"
    excerpt = response.body[:200].decode("utf-8", "replace")
    return "failed", f"HTTP {response.status}: {excerpt}"
