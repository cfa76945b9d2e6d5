"""The message dialects of the robots and webhooks people already use, translated into lakeside's.

Each module here is pure: it reads a vendor's JSON payload (already parsed) and returns a ``Post``
— what to store (a text, markdown or card message, domain/cards.py) and whom it mentions — or
raises ``DialectError`` with a reason the endpoint answers in the vendor's own envelope. The HTTP
side (tokens, signatures, keywords, IP allowlists, rate limits, the vendor's error codes) is the
integrations' (services/ and api/); the words of a payload are read here once, so an incoming
webhook and an outgoing robot's reply read a DingTalk message the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# Why an incoming webhook refuses a post, in lakeside's words; each dialect's ``answer`` says it
# in the vendor's envelope (its HTTP status, error code and message).
REASONS = (
    "ok",
    "bad_token",  # no such robot (never was, revoked, or another dialect's token)
    "bad_json",  # the body is not JSON (or not the form the dialect takes)
    "too_large",  # the body is over the dialect's limit
    "invalid_payload",  # JSON, but not the dialect's shape (or a card lakeside refuses)
    "unsupported_type",  # a message type lakeside does not translate
    "no_text",  # nothing to show
    "keywords",  # none of the robot's keywords is in the message
    "ip",  # the caller's address is not in the robot's allowlist
    "sign",  # the signature does not match
    "timestamp",  # the signature's timestamp is missing or over an hour off
    "throttled",  # over the robot's rate limit
    "channel_not_found",  # a Slack/Mattermost ``channel`` override names another conversation
)


@dataclass(frozen=True)
class Answer:
    """What a vendor endpoint sends back: status, body and its media type."""

    status: int
    body: bytes
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class DialectError(Exception):
    """A payload the dialect cannot carry. ``reason`` is one of: ``invalid_payload`` (not the
    dialect's shape), ``unsupported_type`` (a message type lakeside does not translate),
    ``no_text`` (nothing to show); ``message`` says what, in English."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Post:
    kind: Literal["text", "markdown", "card"]
    text: str = ""  # the body of a text or markdown post
    card: dict[str, Any] | None = None  # the card of a card post, as domain/cards.build takes it
    at_mobiles: tuple[str, ...] = ()
    at_user_ids: tuple[str, ...] = ()  # the vendor's user ids: lakeside usernames or ids as text
    at_all: bool = False
    sender_name: str | None = None  # a per-post name override (Slack's username), if any
    channel: str = ""  # the channel a post asks for (Slack/Mattermost ``channel``), if any
    words: str = field(default="")  # every word the post shows: what keyword checks read

    def __post_init__(self) -> None:
        if not self.words:
            object.__setattr__(self, "words", self.text)


def has_unstorable(value: Any) -> bool:
    """Whether a parsed payload holds NUL or a lone surrogate anywhere (PostgreSQL stores
    neither): such a payload is refused as invalid, never handed on."""
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(has_unstorable(k) or has_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_unstorable(v) for v in value)
    return False


def string(value: Any, what: str, *, required: bool = False) -> str:
    """A text field of a payload: a string (or absent, as ""); anything else is invalid_payload."""
    if value is None:
        if required:
            raise DialectError("invalid_payload", f"{what} is required.")
        return ""
    if not isinstance(value, str):
        raise DialectError("invalid_payload", f"{what} must be a string.")
    return value


def mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DialectError("invalid_payload", f"{what} must be an object.")
    return value


def strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        raise DialectError("invalid_payload", f"{what} must be a list of strings.")
    return tuple(str(v) for v in value)
