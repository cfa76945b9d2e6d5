"""Forwarding (转发), parsed, and the shapes of what it stores: pure rules, no I/O.

``ForwardMessages`` is the body of ``POST /api/v1/messages/forward``: messages of one
conversation, in any order (they are forwarded in the conversation's order), to up to nine
conversations (WeChat's limit), one by one (逐条转发: each a new message of the forwarder's) or
as one merged record (合并转发: one message of kind ``forward`` whose transcript is a snapshot).

A merged record's *payload* is ``{"source": SOURCE, "items": [ITEM, ...]}``: SOURCE says whose
chat it was without saying which (``{"kind": "direct", "names": ["张三", "李四"]}`` or
``{"kind": "group"}`` — a group's name stays in the group), an ITEM is a message as it was
(``sender_name``, ``sent_at``, ``kind``, ``body``, ``file_id``, ``duration_ms``, and for a record
forwarded inside a record its own payload as ``record``). Nothing else of the source conversation
— its id, its members, the messages' ids or senders' ids — is shown. Each item keeps its message's
id as ``source_id``, on the server only (never rendered), so that a recall of that message reaches
the copy (``without``). The card the chat shows (the
message's body) is ``summary(payload)``: the source, the count and the first lines.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import ConfigDict, Field

from lakeside.domain.inputs import StrictInput
from lakeside.domain.messages import MAX_BODY_CHARS, Id

MAX_FORWARD_MESSAGES = 100
MAX_FORWARD_TARGETS = 9
# A transcript's stored size: a hundred long messages fit; records nested in records cannot grow
# without bound.
MAX_RECORD_BYTES = 1024 * 1024
MAX_NESTING = 3
PREVIEW_LINES = 4
PREVIEW_CHARS = 60
FORWARDABLE_KINDS = ("text", "markdown", "image", "file", "voice", "forward")


class ForwardMessages(StrictInput):
    """Messages to forward."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    client_msg_id: str = Field(
        min_length=1,
        max_length=32,
        description=(
            "Chosen by the client, unique per sender: the forward's idempotency key. Each message the "
            "forward writes gets the client_msg_id `{client_msg_id}:{conversation_id}:{n}`, so a retry "
            "answers the messages stored the first time."
        ),
    )
    message_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_FORWARD_MESSAGES,
        description="Messages of one conversation you are in; forwarded in the conversation's order.",
    )
    conversation_ids: list[Id] = Field(
        min_length=1, max_length=MAX_FORWARD_TARGETS, description="Where to: conversations you may write in."
    )
    mode: Literal["separate", "merged"] = Field(
        default="separate",
        description="separate: 逐条转发, one new message each; merged: 合并转发, one record.",
    )
    comment: str = Field(
        default="",
        max_length=MAX_BODY_CHARS,
        description="Optional words of your own (留言), sent after the forward as a text message.",
    )


def source_of(kind: str, names: list[str]) -> dict[str, Any]:
    """Whose chat a record is: the two people of a direct chat by name, a group as a group."""
    if kind == "direct":
        return {"kind": "direct", "names": names[:2]}
    return {"kind": "group"}


def nesting(payload: dict[str, Any]) -> int:
    """How deep records sit inside records (a record of plain messages is 1)."""
    inner = [nesting(item["record"]) for item in payload["items"] if item.get("record")]
    return 1 + max(inner, default=0)


def record_files(payload: dict[str, Any]) -> set[str]:
    """Every file a payload shows, nested records included."""
    found: set[str] = set()
    for item in payload["items"]:
        if item.get("file_id"):
            found.add(item["file_id"])
        if item.get("record"):
            found |= record_files(item["record"])
    return found


def summary(payload: dict[str, Any]) -> dict[str, Any]:
    """The card a chat shows for a record: the source, how many messages, the first lines (a
    kind the client names in its language, and a text's first characters)."""
    lines = []
    for item in payload["items"][:PREVIEW_LINES]:
        text = item["body"] if item["kind"] in ("text", "markdown") else ""
        lines.append({"name": item["sender_name"], "kind": item["kind"], "text": text[:PREVIEW_CHARS]})
    return {"source": payload["source"], "count": len(payload["items"]), "preview": lines}


def without(payload: dict[str, Any], recalled: set[int]) -> dict[str, Any] | None:
    """The payload with the items copied from ``recalled`` messages emptied (shown as recalled,
    kept in their place with their sender's name and time), nested records included; None when
    nothing of theirs is in it."""
    changed = False
    items = []
    for item in payload["items"]:
        if item.get("source_id") in recalled:
            item = {
                "source_id": item["source_id"],
                "sender_name": item["sender_name"],
                "sent_at": item["sent_at"],
                "kind": "recalled",
                "body": "",
                "file_id": None,
                "duration_ms": None,
            }
            changed = True
        elif item.get("record"):
            inner = without(item["record"], recalled)
            if inner is not None:
                item = {**item, "record": inner}
                changed = True
        items.append(item)
    return {**payload, "items": items} if changed else None


def encode(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()


def decode(body: str) -> dict[str, Any] | None:
    """A structured body (voice, forward) as stored; None for anything unreadable."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
