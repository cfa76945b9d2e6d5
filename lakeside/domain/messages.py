"""A message send, parsed: the one command that every transport builds.

``SendMessage`` is the request body of ``POST /api/v1/conversations/{id}/messages`` (so it is
what the OpenAPI document shows) and what the socket's ``send`` frame is parsed into
(``parse_send``). It checks shape only — types and lengths. The rules a send must pass (a body
that is not empty and fits the server's byte limit, a file for image and file messages, a reply
in the same conversation, membership, blocks, mentions) are the messages service's, applied to
the command whichever way it came.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from lakeside.domain.inputs import MAX_ID, Id, StrictInput
from lakeside.domain.mentions import MAX_MENTION_IDS
from lakeside.errors import Invalid, validation_failed

__all__ = ["MAX_ID", "Id"]  # re-exported: ids are declared once, in lakeside.domain.inputs

EDITABLE_KINDS = ("text", "markdown")
# Kinds whose body is the server's JSON, not the sender's text: a voice message's duration, a
# merged forward's card (services/forwards.py). Never indexed for search, never edited.
STRUCTURED_KINDS = ("voice", "forward", "card")
MIN_VOICE_MS = 1_000
MAX_VOICE_MS = 60_000
MAX_BODY_CHARS = 65_536  # the byte limit (settings.max_message_bytes) is applied by the service


class SendMessage(StrictInput):
    """A message to send."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    client_msg_id: str = Field(
        min_length=1,
        max_length=64,
        description=(
            "Chosen by the client, unique per sender: the message's idempotency key. A retry with the "
            "same id and the same message (conversation, kind, body after normalisation, reply_to_id, "
            "file_id, duration_ms) answers 200 with the original; the same id with a different message is "
            "refused with 409 IDEMPOTENCY_CONFLICT. A retry of a message recalled since answers its "
            "tombstone."
        ),
    )
    kind: Literal["text", "markdown", "image", "file", "voice"] = "text"
    body: str = Field(
        default="", max_length=MAX_BODY_CHARS, description="Text, markdown, or a caption (none for voice)."
    )
    reply_to_id: Id | None = None
    file_id: str | None = Field(default=None, max_length=32)
    duration_ms: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ID,
        description=(
            f"A voice message's length in milliseconds, {MIN_VOICE_MS} to {MAX_VOICE_MS} (1 to 60 seconds); "
            "required for kind voice, refused for every other kind."
        ),
    )
    mention_ids: list[Id] = Field(
        default_factory=list,
        max_length=MAX_MENTION_IDS,
        description=(
            "People picked by name (e.g. from a member list): each is mentioned when they are a member "
            "other than the sender and '@' with their display name or username stands in the body, so "
            "the text can say @张伟 and mean that exact 张伟. @username in the body works without it."
        ),
    )


SEND_FIELDS = frozenset(SendMessage.model_fields)


def parse_send(fields: Mapping[str, Any]) -> SendMessage:
    """The command from a mapping of its fields (a socket frame; keys that are not fields, such as
    the frame's ``op``, are not the command's concern). Raises ``Invalid`` VALIDATION_FAILED."""
    try:
        return SendMessage.model_validate({k: v for k, v in fields.items() if k in SEND_FIELDS})
    except ValidationError as exc:
        raise validation_failed(exc.errors(include_url=False, include_context=False)) from None


def check_id(value: Any) -> int:
    """A 64-bit database id from a frame: anything else would only fail deeper, in the driver."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    raise Invalid("Ids are integers from 1 to 2**63 - 1.", code="INVALID")
