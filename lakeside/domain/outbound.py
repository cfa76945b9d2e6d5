"""The rules of outbound delivery, without I/O: when to try again, what an answer means, how a
request is signed, what triggers a robot and what a session webhook's token says.

Retries: a failed attempt is tried again after 10 s, 1 min, 5 min, 30 min, 2 h, 6 h and 12 h
(each ±20 % at random, so that receivers coming back are not hit by everyone at once): eight
attempts over about 21 hours, then the delivery has failed. A ``Retry-After`` the receiver sends
is honoured when it asks for longer (up to a day). 2xx is delivered; 408, 429, 5xx and network
errors are tried again; any other answer (4xx, 3xx: redirects are never followed) is final.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import struct
from collections.abc import Iterable

BACKOFF_SECONDS = (10, 60, 300, 1800, 7200, 21600, 43200)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
JITTER = 0.2
MAX_RETRY_AFTER_MS = 24 * 3600 * 1000
RETRIABLE_4XX = frozenset({408, 429})

DELIVERED, RETRY, FAILED = "delivered", "retry", "failed"


def backoff_ms(attempts: int, rand: float) -> int | None:
    """The wait after ``attempts`` failed attempts (1 = the first), ``rand`` in [0, 1) choosing the
    jitter; None when no attempt is left."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
    return int(base * 1000 * (1 - JITTER + 2 * JITTER * rand))


def classify(status: int) -> str:
    """What an HTTP answer means for the delivery."""
    if 200 <= status < 300:
        return DELIVERED
    if status in RETRIABLE_4XX or status >= 500:
        return RETRY
    return FAILED


def retry_after_ms(value: str | None, now: int) -> int | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a wait in ms, capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = int(value) * 1000
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None or when.tzinfo is None:
            return None
        wait = int(when.timestamp() * 1000) - now
    return max(0, min(wait, MAX_RETRY_AFTER_MS))


# -- signatures --------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp: int | str) -> str:
    """DingTalk's signature of an outgoing robot's callback (and of a custom robot's webhook):
    Base64 of HMAC-SHA256 over ``timestamp + "\\n" + secret``, keyed with the secret."""
    message = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def event_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """An event delivery's ``X-Lakeside-Signature``: ``sha256=`` and the hex HMAC-SHA256 of
    ``"<timestamp>.<body>"`` keyed with the subscription's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# -- robots ------------------------------------------------------------------------------------

MAX_KEYWORDS = 10
MAX_KEYWORD_LENGTH = 32


def clean_keywords(words: Iterable[str]) -> list[str]:
    """Keywords as stored: trimmed, non-empty, distinct (case-insensitively), in the order given."""
    out: list[str] = []
    seen: set[str] = set()
    for word in words:
        word = word.strip()
        if word and word.casefold() not in seen:
            seen.add(word.casefold())
            out.append(word)
    return out


def keyword_hit(text: str, keywords: Iterable[str]) -> bool:
    folded = text.casefold()
    return any(word.casefold() in folded for word in keywords)


# -- session webhooks ----------------------------------------------------------------------------
# A robot's reply address for one conversation, for a while: the robot, the conversation and the
# expiry, signed with the server's secret (so it needs no storage and no node has to remember it).

_SESSION = struct.Struct(">QQQ")


def session_token(secret: str, robot_id: int, conversation_id: int, expires_at: int) -> str:
    payload = _SESSION.pack(robot_id, conversation_id, expires_at)
    mac = hmac.new(secret.encode(), b"robot-session:" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def read_session_token(secret: str, token: str) -> tuple[int, int, int] | None:
    """(robot id, conversation id, expiry in ms) of a token this server made; None otherwise."""
    if not token or len(token) > 100:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != _SESSION.size + 16:
        return None
    payload, mac = raw[: _SESSION.size], raw[_SESSION.size :]
    expected = hmac.new(secret.encode(), b"robot-session:" + payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(mac, expected):
        return None
    robot_id, conversation_id, expires_at = _SESSION.unpack(payload)
    return robot_id, conversation_id, expires_at
