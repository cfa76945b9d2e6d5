"""The outbound side of integrations: outgoing robots, bots' event subscriptions, and the one
durable delivery queue both post through.

``outbound_deliveries`` is the queue: one row per HTTP request lakeside owes somebody (a robot
triggered in a group, an event for a subscription, a ping), with its body fixed when it was
enqueued, its owner (``owner_kind`` robot | subscription and ``owner_id``), the attempts made and
when the next is due. ``outbound_attempts`` is the delivery log: one row per try. The dispatcher
enqueues by following the event log; ``outbound_cursors`` holds how far it has read (one row,
``name`` = 'dispatch'), moved in the same transaction as the rows it enqueued.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, text

from lakeside.store.tables.base import Id, Ms, metadata

# An outgoing robot (DingTalk's 企业内部机器人, outgoing mode): a bot of kind 'robot' in one group,
# called back when a message @mentions it or contains one of its keywords.
robots = Table(
    "robots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("bot_user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("callback_url", String(2048), nullable=False),
    # The AppSecret: signs each callback (DingTalk's timestamp + sign headers); shown once.
    Column("secret", String(128), nullable=False),
    Column("on_mention", Boolean, nullable=False, server_default=text("true")),
    Column("keywords", Text, nullable=False, server_default="[]"),  # JSON list of strings
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    # The end of the event log when it was made: only later messages trigger it.
    Column("since_event_id", Id, nullable=False, server_default=text("0")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Column("revoked_at", Ms),
    Index("ix_robots_conversation_id", "conversation_id"),
    Index("ix_robots_bot_user_id", "bot_user_id"),
)

# An app bot's subscription to events, delivered to an HTTPS endpoint.
bot_subscriptions = Table(
    "bot_subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("bot_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_types", Text, nullable=False),  # JSON list of "type.op"
    Column("secret", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # active, paused, disabled
    Column("disabled_reason", String(200), nullable=False, server_default=""),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    # The end of the event log when it was made: only later events are delivered.
    Column("since_event_id", Id, nullable=False, server_default=text("0")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_bot_subscriptions_bot_id", "bot_id"),
)

outbound_deliveries = Table(
    "outbound_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_kind", String(16), nullable=False),  # robot, subscription
    Column("owner_id", Id, nullable=False),
    # What the receiver may deduplicate on: evt_<event id> (one per owner), ping_<random>.
    Column("idempotency_key", String(64), nullable=False),
    Column("event_type", String(80), nullable=False),  # message.created, ping ...
    Column("url", String(2048), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False, server_default="{}"),  # JSON: fixed extra headers
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    # When the next attempt is due; while one is in flight, when its claim lapses.
    Column("next_attempt_at", Ms, nullable=False),
    Column("last_status", Integer),
    Column("last_error", String(500), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Column("finished_at", Ms),
    Index("ix_outbound_deliveries_owner", "owner_kind", "owner_id", "id"),
    Index("ix_outbound_deliveries_due", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)

outbound_attempts = Table(
    "outbound_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", Id, ForeignKey("outbound_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", Ms, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("http_status", Integer),
    Column("outcome", String(16), nullable=False),  # delivered, retry, failed
    Column("error", String(500), nullable=False, server_default=""),
    Column("response", String(500), nullable=False, server_default=""),  # the body's start
    Index("ix_outbound_attempts_delivery_id", "delivery_id"),
)

outbound_cursors = Table(
    "outbound_cursors",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", Id, nullable=False),
    Column("updated_at", Ms, nullable=False),
)
