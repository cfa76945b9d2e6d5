"""Check that a request really comes from lakeside: the signatures of event subscriptions and of
outgoing robots' callbacks, for the receiving side (a bot's web server).

Standalone on purpose (the standard library only): copy this file into a bot's code base as it is.

Event subscriptions send ``X-Lakeside-Timestamp`` (seconds) and ``X-Lakeside-Signature:
sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<raw body>"`` keyed with the subscription's
secret::

    from lakeside.webhook_signature import verify_event
    if not verify_event(secret, request.headers, raw_body):
        return 401

Outgoing robots send DingTalk's ``timestamp`` (ms) and ``sign`` headers: Base64 of HMAC-SHA256 over
``timestamp + "\\n" + AppSecret``, keyed with the AppSecret (``verify_dingtalk``).

Both refuse a timestamp further than ``tolerance`` seconds from now (5 minutes for events; DingTalk
says one hour for robots), so a captured request cannot be replayed later; deduplicate on the
event id (``X-Lakeside-Event-Id``) for the retries lakeside itself makes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

__all__ = ["dingtalk_sign", "event_signature", "verify_dingtalk", "verify_event"]


def event_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # a plain dict with other capitalisation
        lowered = {key.lower(): item for key, item in headers.items()}
        value = lowered.get(name.lower(), "")
    return value or ""


def verify_event(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: float = 300, now: float | None = None
) -> bool:
    """Whether an event delivery's headers sign ``body`` (the raw bytes received) with ``secret``,
    at a time within ``tolerance`` seconds of ``now``."""
    timestamp = _header(headers, "X-Lakeside-Timestamp")
    given = _header(headers, "X-Lakeside-Signature")
    if not timestamp.isdigit() or not given:
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(event_signature(secret, timestamp, body), given)


def dingtalk_sign(app_secret: str, timestamp: str | int) -> str:
    message = f"{timestamp}\n{app_secret}".encode()
    return base64.b64encode(hmac.new(app_secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_dingtalk(
    app_secret: str, headers: Mapping[str, str], *, tolerance: float = 3600, now: float | None = None
) -> bool:
    """Whether an outgoing robot's callback carries the ``timestamp`` and ``sign`` of ``app_secret``."""
    timestamp = _header(headers, "timestamp")
    given = _header(headers, "sign")
    if not timestamp.isdigit() or not given:
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp) / 1000) > tolerance:
        return False
    return hmac.compare_digest(dingtalk_sign(app_secret, timestamp), given)
