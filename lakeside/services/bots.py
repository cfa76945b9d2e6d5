"""Bots: the accounts that incoming webhooks, outgoing robots and API bots post as.

A bot is a user (``users.bot_kind`` set; its own row in ``bots`` says who made it and which
organization it belongs to), so a robot's message goes through the one send pipeline like anyone's:
the writer checks its membership, stores the message with gapless sequence numbers, indexes it and
fans it out. What differs is said here once:

- a bot never logs in with a password (its hash is unusable and the log-in refuses it by name),
  is never found by a search for people and is nobody's friend;
- it joins a group as an ordinary member, by the hand of someone who manages the group, and says
  so in the chat (``member.added`` and the system message, as for a person);
- ``post`` hands the writer a draft as the bot: a text, markdown or card message (domain/cards.py),
  with a client message id the integration chooses (a retried delivery is stored once) and, where
  the robot's creator could, the right to notify everyone.

Who may manage a bot: the person who made it, a server admin, and for an organization's bot that
organization's owner and admins. The integrations (webhooks, robots, bot tokens) check that with
``may_manage`` before changing one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import cards
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import MemberRemoved, MembersAdded
from lakeside.domain.markdown import render_markdown
from lakeside.domain.mentions import find_mentions
from lakeside.domain.text import clean_body, clean_name
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Invalid, NotFound
from lakeside.services.accounts import AuthUser
from lakeside.services.context import UnitOfWork
from lakeside.services.conversations import ORG_GROUP_KINDS
from lakeside.services.message_writer import Draft, MessageWriter, SendResult
from lakeside.services.timeline import append_system_message
from lakeside.store import bots as store
from lakeside.store import conversations as conversation_store
from lakeside.store import organizations as org_store
from lakeside.store import users as user_store

# ``notice``: an organization's 工作通知 bot, made and used by the server only (work_notices.py).
BOT_KINDS = ("webhook", "robot", "app", "notice")
GROUP_KINDS = ("group", *ORG_GROUP_KINDS)
# Never a valid argon2 hash: nothing verifies against it (and the log-in refuses bots first).
UNUSABLE_PASSWORD = "!bot"


@dataclass(frozen=True, slots=True)
class Bot:
    user_id: int
    kind: str
    username: str
    display_name: str
    avatar_file_id: str | None
    owner_id: int | None
    organization_id: int | None
    description: str
    is_active: bool
    created_at: int


def bot_of(row: Any) -> Bot:
    return Bot(
        user_id=row.user_id,
        kind=row.kind,
        username=row.username,
        display_name=row.display_name,
        avatar_file_id=row.avatar_file_id,
        owner_id=row.owner_id,
        organization_id=row.organization_id,
        description=row.description,
        is_active=row.is_active,
        created_at=row.created_at,
    )


async def create_bot(
    uow: UnitOfWork,
    *,
    kind: str,
    display_name: str,
    owner_id: int | None,
    organization_id: int | None = None,
    avatar_file_id: str | None = None,
    description: str = "",
) -> Bot:
    """A new bot account; its username is generated (``bot_`` and 16 hex digits)."""
    if kind not in BOT_KINDS:
        raise ValueError(f"unknown bot kind {kind!r}")
    name = clean_name(display_name, field="robot's name")
    now = now_ms()
    user_id = await user_store.insert_user(
        uow.conn,
        {
            "username": f"bot_{secrets.token_hex(8)}",
            "display_name": name,
            "password_hash": UNUSABLE_PASSWORD,
            "avatar_file_id": avatar_file_id,
            "bot_kind": kind,
            "created_at": now,
            "updated_at": now,
        },
    )
    await store.insert_bot(
        uow.conn,
        {
            "user_id": user_id,
            "kind": kind,
            "owner_id": owner_id,
            "organization_id": organization_id,
            "description": description[:500],
            "created_at": now,
        },
    )
    bot = await get_bot(uow.conn, user_id)
    assert bot is not None
    return bot


async def get_bot(conn: AsyncConnection, user_id: int) -> Bot | None:
    row = await store.get_bot(conn, user_id)
    return None if row is None else bot_of(row)


async def may_manage(conn: AsyncConnection, user: AuthUser, bot: Bot) -> bool:
    if user.is_admin or (bot.owner_id is not None and bot.owner_id == user.id):
        return True
    if bot.organization_id is None:
        return False
    member = await org_store.get_member(conn, bot.organization_id, user.id)
    return member is not None and member.status == "active" and member.role in ("owner", "admin")


async def rename(uow: UnitOfWork, bot: Bot, display_name: str, avatar_file_id: str | None) -> None:
    name = clean_name(display_name, field="robot's name")
    values: dict[str, Any] = {"display_name": name, "avatar_file_id": avatar_file_id, "updated_at": now_ms()}
    await user_store.update_user(uow.conn, bot.user_id, values)


async def join(uow: UnitOfWork, bot: Bot, conversation_id: int, *, by: int) -> None:
    """Add the bot to a group as a member, as ``by`` (who manages the group) would add a person."""
    conversation = await conversation_store.get_conversation(uow.conn, conversation_id, for_update=True)
    if conversation is None:
        raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
    if conversation.kind not in GROUP_KINDS:
        raise Invalid("Robots post to groups, not to direct chats.", code="NOT_A_GROUP")
    if await conversation_store.get_membership(uow.conn, conversation_id, bot.user_id) is not None:
        return
    if conversation.member_count + 1 > conversation.member_cap:
        raise Conflict("The group is full.", code="MEMBER_CAP_REACHED", cap=conversation.member_cap)
    now = now_ms()
    await conversation_store.add_members(
        uow.conn, conversation_id, {bot.user_id: "member"}, joined_seq=conversation.last_seq, now=now
    )
    audience = to_conversation(conversation_id, joining=[bot.user_id])
    uow.emit(MembersAdded(user_ids=[bot.user_id], by=by), audience)
    await append_system_message(
        uow, conversation_id, by, {"action": "members_added", "user_ids": [bot.user_id]}, now
    )


async def leave(uow: UnitOfWork, bot: Bot, conversation_id: int, *, by: int) -> None:
    """Take the bot out of a conversation (a robot removed or revoked), saying so in the chat."""
    if await conversation_store.get_membership(uow.conn, conversation_id, bot.user_id) is None:
        return
    now = now_ms()
    # As for a person removed (services/conversations.py): the clients' system line reads user_ids.
    audience = to_conversation(conversation_id, leaving=[bot.user_id])
    uow.emit(MemberRemoved(user_id=bot.user_id, by=by), audience)
    await append_system_message(
        uow, conversation_id, by, {"action": "member_removed", "user_ids": [bot.user_id]}, now
    )
    await conversation_store.remove_member(uow.conn, conversation_id, bot.user_id, now)


async def deactivate(uow: UnitOfWork, bot: Bot) -> None:
    """The bot posts no more; what it posted stays, under its name and badge."""
    await user_store.update_user(uow.conn, bot.user_id, {"is_active": False, "updated_at": now_ms()})


def text_draft(
    bot: Bot,
    conversation_id: int,
    client_msg_id: str,
    body: str,
    *,
    markdown: bool = False,
    mention_ids: tuple[int, ...] = (),
    everyone: bool = False,
    max_bytes: int,
) -> Draft:
    """A text or markdown message from the bot. ``mention_ids`` are people the robot @s (DingTalk's
    atUserIds/atMobiles, WeCom's mentioned_list): each is mentioned where '@' and their name or
    username stands in the body, as for a person's send. ``everyone`` is @所有人."""
    body = clean_body(body, max_bytes=max_bytes)
    mentioned = find_mentions(body)
    return Draft(
        sender_id=bot.user_id,
        conversation_id=conversation_id,
        client_msg_id=client_msg_id,
        kind="markdown" if markdown else "text",
        body=body,
        html=render_markdown(body) if markdown else None,
        reply_to_id=None,
        mention_names=mentioned.usernames,
        mention_everyone=mentioned.everyone or everyone,
        mention_ids=mention_ids,
        everyone_allowed=everyone,
    )


def card_draft(
    bot: Bot,
    conversation_id: int,
    client_msg_id: str,
    card: dict[str, Any],
    *,
    mention_ids: tuple[int, ...] = (),
    everyone: bool = False,
    max_bytes: int,
    trusted: bool = False,
) -> Draft:
    """A card message from the bot: ``card`` as a dialect translated it, validated and rendered
    here (domain/cards.py). The stored card must fit the server's message limit. ``trusted``: a
    card the server made itself (work notices), whose buttons may act on its API."""
    built = cards.build(card, trusted=trusted)
    body = cards.encode(built)
    if len(body.encode()) > max_bytes:
        raise Invalid(
            f"The card is larger than the message limit of {max_bytes} bytes.",
            code="MESSAGE_TOO_LARGE",
            limit=max_bytes,
        )
    words = cards.plain_text(built)
    mentioned = find_mentions(words)
    return Draft(
        sender_id=bot.user_id,
        conversation_id=conversation_id,
        client_msg_id=client_msg_id,
        kind="card",
        body=body,
        html=None,
        reply_to_id=None,
        mention_names=mentioned.usernames,
        mention_everyone=mentioned.everyone or everyone,
        mention_ids=mention_ids,
        everyone_allowed=everyone,
    )


async def post(writer: MessageWriter, draft: Draft) -> SendResult:
    """Send a bot's draft through the one send pipeline (membership, sequence, fan-out)."""
    return await writer.submit(draft)
