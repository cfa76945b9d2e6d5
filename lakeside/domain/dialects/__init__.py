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
    words: str = field(default="")  # every word the post shows: what keyword checks read

    def __post_init__(self) -> None:
        if not self.words:
            object.__setattr__(self, "words", self.text)


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
