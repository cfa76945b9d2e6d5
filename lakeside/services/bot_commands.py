"""Slash commands: what API bots offer in their groups, and the way a member's ``/deploy prod``
reaches the bot instead of the group.

A bot registers its commands (name, description, usage hint); they are offered in every group the
bot is a member of. When a member invokes one (``POST /api/v1/conversations/{id}/commands``), the
invocation is NOT a message: nothing is stored in the conversation and nobody else sees it (as in
Slack). It is recorded, and the bot alone receives ``command.invoked`` (with the invoker, the
conversation, the command, its arguments and the invocation id). The invoker's answer from the
server is the acknowledgement. Within 30 minutes the bot answers, up to 5 times, with
``POST /api/v1/commands/{invocation_id}/reply``: a message in the conversation (text or markdown,
posted as the bot through the one send pipeline) or, ``ephemeral``, a ``command.replied`` event
to the invoker alone.

An unknown command is refused with 404 ``COMMAND_NOT_FOUND`` ("not a valid command", as Slack
says) rather than posted as text; the web client offers only the commands the group has, and
sends any other text that starts with ``/`` as an ordinary message. When two bots of a group
register the same name, the invoker names the bot (``bot_id``); without it the call answers
409 ``COMMAND_AMBIGUOUS`` listing them.
"""

from __future__ import annotations

import uuid
from typing import Any

from lakeside.domain.bot_scopes import COMMAND_NAME, INVOCATION_TTL_MS, MAX_COMMANDS, MAX_REPLIES
from lakeside.domain.events import to_users
from lakeside.domain.events.commands import CommandInvoked, CommandReplied
from lakeside.domain.text import clean_body
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services import bots
from lakeside.services.accounts import AuthUser
from lakeside.services.bot_accounts import BotAccounts
from lakeside.services.message_writer import MessageWriter
from lakeside.store import bot_api as store
from lakeside.store import conversations as conversation_store

MAX_ARGS = 2000


def conversation_not_found() -> NotFound:
    return NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")


def command_view(row: Any) -> dict[str, Any]:
    return {"name": row.name, "description": row.description, "usage": row.usage}


class BotCommands:
    def __init__(self, ctx: Any, bot_accounts: BotAccounts, writer: MessageWriter) -> None:
        self.ctx = ctx
        self.bot_accounts = bot_accounts
        self.writer = writer

    # -- registering ------------------------------------------------------------------------------

    async def _own_or_managed(self, conn: Any, user: AuthUser, bot_id: int) -> bots.Bot:
        """The bot itself (its token) or a person who manages it."""
        if user.is_token:
            if user.id != bot_id:
                raise NotFound("No such bot.", code="BOT_NOT_FOUND")
            bot = await bots.get_bot(conn, bot_id)
            assert bot is not None
            return bot
        return await self.bot_accounts.managed(conn, user, bot_id)

    async def list_commands(self, user: AuthUser, bot_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            bot = await self._own_or_managed(conn, user, bot_id)
            return [command_view(row) for row in await store.list_commands(conn, bot.user_id)]

    async def do_set_commands(
        self, user: AuthUser, bot_id: int, commands: list[dict[str, str]]
    ) -> list[dict[str, Any]]:
        """Replace the bot's commands with ``commands`` (each: name, description, usage)."""
        if len(commands) > MAX_COMMANDS:
            raise Invalid(f"At most {MAX_COMMANDS} commands.", code="TOO_MANY_COMMANDS")
        rows, seen, now = [], set(), now_ms()
        for command in commands:
            name = command["name"].strip().lstrip("/").lower()
            if not COMMAND_NAME.fullmatch(name):
                raise Invalid(
                    "A command's name is 1 to 32 of a-z, 0-9, - and _, starting with a letter or digit.",
                    code="INVALID_COMMAND_NAME",
                    name=command["name"][:40],
                )
            if name in seen:
                raise Invalid("Each command's name once.", code="DUPLICATE_COMMAND", name=name)
            seen.add(name)
            rows.append(
                {
                    "name": name,
                    "description": " ".join(command.get("description", "").split())[:200],
                    "usage": " ".join(command.get("usage", "").split())[:100],
                    "created_at": now,
                }
            )
        async with self.ctx.transaction() as uow:
            bot = await self._own_or_managed(uow.conn, user, bot_id)
            await store.replace_commands(uow.conn, bot.user_id, rows)
            return [command_view(row) for row in await store.list_commands(uow.conn, bot.user_id)]

    # -- offering and invoking --------------------------------------------------------------------

    async def conversation_commands(self, user: AuthUser, conversation_id: int) -> list[dict[str, Any]]:
        """The commands the bots of a conversation offer, for its members (the composer's picker)."""
        async with self.ctx.db.read() as conn:
            if await conversation_store.get_membership(conn, conversation_id, user.id) is None:
                raise conversation_not_found()
            rows = await store.conversation_commands(conn, conversation_id)
        return [
            {**command_view(row), "bot_id": row.bot_id, "bot_name": row.bot_name}
            for row in rows
            if row.bot_id != user.id
        ]

    async def do_invoke(
        self, user: AuthUser, conversation_id: int, name: str, args: str, *, bot_id: int | None, address: str
    ) -> dict[str, Any]:
        """Deliver ``/name args`` to the bot that offers it in the conversation."""
        await self.ctx.limits.take("sends", user_id=user.id, address=address)
        name = name.strip().lstrip("/").lower()
        args = clean_body(args, max_bytes=MAX_ARGS * 4).strip() if args.strip() else ""
        if len(args) > MAX_ARGS:
            raise Invalid(f"Arguments are at most {MAX_ARGS} characters.", code="ARGS_TOO_LONG")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            if await conversation_store.get_membership(uow.conn, conversation_id, user.id) is None:
                raise conversation_not_found()
            offered = [
                row
                for row in await store.conversation_commands(uow.conn, conversation_id)
                if row.name == name and (bot_id is None or row.bot_id == bot_id)
            ]
            if not offered:
                raise NotFound(f"/{name[:32]} is not a valid command here.", code="COMMAND_NOT_FOUND")
            if len(offered) > 1:
                raise Conflict(
                    f"Several bots here offer /{name}; say which (bot_id).",
                    code="COMMAND_AMBIGUOUS",
                    bots=[{"id": row.bot_id, "display_name": row.bot_name} for row in offered],
                )
            chosen = offered[0]
            invocation_id = await store.insert_invocation(
                uow.conn,
                {
                    "bot_id": chosen.bot_id,
                    "conversation_id": conversation_id,
                    "invoker_id": user.id,
                    "command": name,
                    "args": args,
                    "created_at": now,
                },
            )
            invoker = {"id": user.id, "username": user.username, "display_name": user.display_name}
            uow.emit(
                CommandInvoked(
                    invocation_id=invocation_id,
                    conversation_id=conversation_id,
                    command=name,
                    args=args,
                    invoker=invoker,
                ),
                to_users(chosen.bot_id),
            )
        return {
            "invocation_id": invocation_id,
            "command": name,
            "args": args,
            "bot": {"id": chosen.bot_id, "display_name": chosen.bot_name},
            "created_at": now,
        }

    # -- answering --------------------------------------------------------------------------------

    async def do_reply(
        self,
        user: AuthUser,
        invocation_id: int,
        *,
        text: str,
        markdown: bool,
        ephemeral: bool,
        client_msg_id: str | None,
    ) -> dict[str, Any]:
        """The bot's answer to one of its invocations: a message in the conversation, or
        (``ephemeral``) a ``command.replied`` event to the invoker alone."""
        if not user.is_token:
            raise Forbidden("Only the bot answers its commands.", code="BOTS_ONLY")
        max_bytes = self.ctx.settings.max_message_bytes
        # Checked before the reply is counted: a text the server refuses uses up none of the five.
        body = clean_body(text, max_bytes=max_bytes)
        async with self.ctx.transaction() as uow:
            invocation = await store.get_invocation(uow.conn, invocation_id, for_update=True)
            if (
                invocation is None
                or invocation.bot_id != user.id
                or not user.may_touch(invocation.conversation_id)
            ):
                raise NotFound("No such invocation.", code="INVOCATION_NOT_FOUND")
            if invocation.created_at + INVOCATION_TTL_MS < now_ms():
                raise Conflict("The invocation is older than 30 minutes.", code="INVOCATION_EXPIRED")
            if invocation.replies >= MAX_REPLIES:
                raise Conflict(f"At most {MAX_REPLIES} replies to an invocation.", code="TOO_MANY_REPLIES")
            await store.count_reply(uow.conn, invocation_id)
            if ephemeral:
                if invocation.invoker_id is None:
                    raise NotFound("The invoker's account is gone.", code="INVOCATION_NOT_FOUND")
                uow.emit(
                    CommandReplied(
                        invocation_id=invocation_id,
                        conversation_id=invocation.conversation_id,
                        command=invocation.command,
                        bot_id=user.id,
                        text=body,
                    ),
                    to_users(invocation.invoker_id),
                )
                return {"ephemeral": True, "message": None}
            conversation_id = invocation.conversation_id
        await self.ctx.limits.take("bot_sends", user_id=user.id)
        bot = await self._bot(user.id)
        draft = bots.text_draft(
            bot,
            conversation_id,
            client_msg_id or f"cmd-{invocation_id}-{uuid.uuid4().hex[:12]}",
            body,
            markdown=markdown,
            max_bytes=max_bytes,
        )
        result = await bots.post(self.writer, draft)
        return {"ephemeral": False, "message": result.message}

    async def do_post_card(
        self, user: AuthUser, conversation_id: int, client_msg_id: str, card: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """A card message from the bot (domain/cards.py); (the message, created)."""
        if not user.is_token:
            raise Forbidden("Cards are posted by bots.", code="BOTS_ONLY")
        if not user.may_touch(conversation_id):
            raise conversation_not_found()
        await self.ctx.limits.take("bot_sends", user_id=user.id)
        bot = await self._bot(user.id)
        draft = bots.card_draft(
            bot, conversation_id, client_msg_id, card, max_bytes=self.ctx.settings.max_message_bytes
        )
        result = await bots.post(self.writer, draft)
        return result.message, result.created

    async def _bot(self, bot_id: int) -> bots.Bot:
        async with self.ctx.db.read() as conn:
            bot = await bots.get_bot(conn, bot_id)
        if bot is None:
            raise NotFound("No such bot.", code="BOT_NOT_FOUND")
        return bot
