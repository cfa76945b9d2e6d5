"""What an API bot's token may do: its scopes, and the shape of a token and of a slash command.

A token carries a set of scopes (the actions it may take) and, optionally, the conversations it
may touch. Each HTTP route says which scope it needs in lakeside/api/scopes.py, or that bot
tokens are refused there; a route that says nothing refuses them too.
"""

from __future__ import annotations

import re
from typing import Any

TOKEN_PREFIX = "lsb_"  # lakeside bot: log redaction and secret scanners spot it by this
# ``lsb_`` and 43 characters of URL-safe base64 (32 random bytes).
TOKEN_PATTERN = re.compile(r"lsb_[A-Za-z0-9_-]{43}")
SHOWN_PREFIX_LENGTH = 12  # ``lsb_`` and 8 characters: what lists show of a token

SCOPES: dict[str, str] = {
    "messages:read": "Read the history of the conversations the bot is in.",
    "messages:write": "Post text, markdown and card messages, and reply to command invocations.",
    "conversations:read": "List the conversations the bot is in and read their details.",
    "members:read": "List a conversation's members and read people's public profiles.",
    "files:write": "Upload files and images to attach to messages.",
    "events:read": "Open the event stream (WebSocket) and read events with GET /api/v1/sync.",
    "commands:write": "Register the bot's own slash commands.",
}
# What the web client offers ticked for a new token.
DEFAULT_SCOPES = ("messages:read", "messages:write", "conversations:read", "events:read")

COMMAND_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
MAX_COMMANDS = 50
MAX_ALLOWLIST = 200
INVOCATION_TTL_MS = 30 * 60 * 1000  # a command may be answered for 30 minutes (as Slack's)
MAX_REPLIES = 5  # replies to one invocation


def parse_command(text: str) -> tuple[str, str] | None:
    """``"/deploy prod now"`` as ``("deploy", "prod now")``; None when the text is no command."""
    if not text.startswith("/"):
        return None
    head, _, args = text[1:].partition(" ")
    name = head.strip().lower()
    if not COMMAND_NAME.fullmatch(name):
        return None
    return name, args.strip()


def event_conversation(wire: dict[str, Any]) -> int | None:
    """The conversation an event concerns: its audience's, or, for an event addressed to users,
    the one its data names (``conversation_id``); None when it names none."""
    conversation_id = wire.get("conversation_id")
    if conversation_id is None:
        data = wire.get("data")
        if isinstance(data, dict):
            conversation_id = data.get("conversation_id")
    return conversation_id if isinstance(conversation_id, int) else None


def admits_event(wire: dict[str, Any], allowed: frozenset[int] | None) -> bool:
    """Whether a token with conversation allowlist ``allowed`` may receive the event."""
    if allowed is None:
        return True
    conversation_id = event_conversation(wire)
    return conversation_id is None or conversation_id in allowed
