"""Work notices (工作通知): what the organization's apps tell one person — an approval waiting for
them, the outcome of their request, a to-do's reminder, a report to write.

Each organization has one notice bot (a bot of kind ``notice``, named 工作通知, made on first use),
and each member has one notice conversation with it (kind ``notice``), made on first use too. The
member reads it and cannot write in it (it is muted for everyone but the bot, as 全员禁言 is); the
conversation list, unread counts, search, sync and the socket treat it like any conversation, since
the notices are messages written through the one send pipeline (``write_batch``).

``notify`` writes inside the caller's transaction, so a notice commits with the action that caused
it, or not at all. It posts a card (domain/cards.py) built as trusted: its buttons may carry an
``action`` (a POST to this server's API, e.g. approve) and its links may be in-app routes
(``/#/approvals/5``). ``key`` makes a notice idempotent per person: notifying again with the same
key writes nothing. People who are not (or no longer) active members of the organization are
skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from lakeside.domain import cards
from lakeside.domain.events import to_conversation
from lakeside.domain.events.messaging import ConversationCreated
from lakeside.errors import Conflict
from lakeside.services import bots
from lakeside.services.context import UnitOfWork
from lakeside.services.conversations import conversation_summary
from lakeside.services.message_writer import write_batch
from lakeside.store import conversations as conversation_store
from lakeside.store import organizations as org_store
from lakeside.store import work_notices as store

BOT_NAME = "工作通知"
# A notice is a card the server makes: generous, but bounded like any message.
MAX_NOTICE_BYTES = 64 * 1024


def client_id(key: str, user_id: int) -> str:
    """The notice's client message id (at most 64 characters, unique per bot): a digest of the
    caller's key and the person."""
    return "wn-" + hashlib.sha256(f"{key}\x1f{user_id}".encode()).hexdigest()[:40]


async def notify(
    uow: UnitOfWork,
    *,
    organization_id: int,
    user_ids: Iterable[int],
    card: dict[str, Any],
    key: str,
    now: int,
) -> list[int]:
    """Post ``card`` to each person's notice conversation; the ids of the messages written (a
    notice already sent under ``key`` is not written again and not counted)."""
    built = cards.build(card, trusted=True)
    conn = uow.conn
    recipients = await store.active_members(conn, organization_id, user_ids)
    if not recipients:
        return []
    bot_id = await store.notice_bot_id(conn, organization_id)
    places = await store.notice_conversations(conn, organization_id, recipients)
    if bot_id is None or len(places) < len(recipients):
        # Made once: the organization's row serialises the first notices of two transactions.
        await org_store.get_organization(conn, organization_id, for_update=True)
        bot_id = await store.notice_bot_id(conn, organization_id)
        if bot_id is None:
            bot_id = await _create_bot(uow, organization_id)
        places = await store.notice_conversations(conn, organization_id, recipients)
        for user_id in sorted(recipients - set(places)):
            places[user_id] = await _open(uow, organization_id, bot_id, user_id, now)
    bot = await bots.get_bot(conn, bot_id)
    assert bot is not None
    drafts = [
        bots.card_draft(
            bot, places[user_id], client_id(key, user_id), built, max_bytes=MAX_NOTICE_BYTES, trusted=True
        )
        for user_id in sorted(recipients)
    ]
    written: list[int] = []
    for outcome in await write_batch(uow, drafts, now):
        if isinstance(outcome, Conflict) and outcome.code == "IDEMPOTENCY_CONFLICT":
            continue  # sent before under this key, with other words: once is enough
        if isinstance(outcome, Exception):
            raise outcome
        if outcome.created:
            written.append(outcome.message["id"])
    return written


async def _create_bot(uow: UnitOfWork, organization_id: int) -> int:
    bot = await bots.create_bot(
        uow,
        kind=store.NOTICE_BOT_KIND,
        display_name=BOT_NAME,
        owner_id=None,
        organization_id=organization_id,
        description="Work notifications: approvals, to-dos, reports.",
    )
    return bot.user_id


async def _open(uow: UnitOfWork, organization_id: int, bot_id: int, user_id: int, now: int) -> int:
    conversation_id = await conversation_store.insert_conversation(
        uow.conn,
        {
            "kind": "notice",
            "title": BOT_NAME,
            "direct_key": store.notice_key(organization_id, user_id),
            "organization_id": organization_id,
            "member_cap": 2,
            "mute_all": True,  # the person reads; only the bot (its owner) writes
            "last_activity_at": now,
            "created_by": bot_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    await conversation_store.add_members(
        uow.conn, conversation_id, {bot_id: "owner", user_id: "member"}, joined_seq=0, now=now
    )
    conversation = await conversation_store.get_conversation(uow.conn, conversation_id)
    assert conversation is not None
    uow.emit(
        ConversationCreated(**conversation_summary(conversation), member_ids=[bot_id, user_id]),
        to_conversation(conversation_id, joining=[bot_id, user_id]),
    )
    return conversation_id
