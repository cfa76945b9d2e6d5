"""Slash commands (lakeside/services/bot_commands.py): a member invokes a bot's command in a group;
the bot alone hears it, and may answer the invoker alone."""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import Event, declare


@declare("command", "invoked", to="users", addressed_to="the bot whose command it is")
class CommandInvoked(Event):
    """`{invocation_id, conversation_id, command, args, invoker}` (`invoker`: `{id, username,
    display_name}`): a member typed `/command args` in a group the bot is in. The bot answers with
    `POST /api/v1/commands/{invocation_id}/reply` within 30 minutes; nobody else sees the
    invocation"""

    invocation_id: int
    conversation_id: int
    command: str
    args: str
    invoker: dict[str, Any]


@declare("command", "replied", to="users", addressed_to="the member who invoked the command")
class CommandReplied(Event):
    """`{invocation_id, conversation_id, command, bot_id, text}`: the bot's answer to the invoker
    alone (an ephemeral reply, never stored as a message)"""

    invocation_id: int
    conversation_id: int
    command: str
    bot_id: int
    text: str
