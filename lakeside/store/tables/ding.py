"""DING (urgent messages): each organization's escalation rules, the DINGs, their recipients and
every delivery attempt."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, text

from lakeside.store.tables.base import Id, Ms, metadata

# The escalation rules of an organization's DINGs; minutes after sending, null = step off.
ding_policies = Table(
    "ding_policies",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("app_after_minutes", Integer),
    Column("email_after_minutes", Integer),
    Column("sms_after_minutes", Integer),
    Column("voice_after_minutes", Integer),
    Column("webhook_url", String(2048)),
    Column("webhook_secret", String(256)),
    Column("updated_at", Ms, nullable=False),
)

dings = Table(
    "dings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("sender_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("body", Text, nullable=False, server_default=""),
    # A DING made from a message shows that message as it is now (a recall empties it).
    Column("message_id", Id, ForeignKey("messages.id", ondelete="SET NULL")),
    Column("conversation_id", BigInteger),
    Column("announcement_id", BigInteger),
    Column("status", String(16), nullable=False),  # scheduled, sent, cancelled
    Column("send_at", Ms, nullable=False),
    Column("sent_at", Ms),
    Column("recipient_count", Integer, nullable=False),
    Column("confirmed_count", Integer, nullable=False, server_default=text("0")),
    Column("last_reding_at", Ms),
    Column("created_at", Ms, nullable=False),
    Index("ix_dings_organization_id_sender_id", "organization_id", "sender_id"),
    Index("ix_dings_status_send_at", "status", "send_at"),
)

ding_recipients = Table(
    "ding_recipients",
    metadata,
    Column("ding_id", Id, ForeignKey("dings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("confirmed_at", Ms),
    # The next escalation step (app, email, sms, voice) and when it is due; null: nothing left.
    Column("next_step", String(8)),
    Column("next_due_at", Ms),
    Index("ix_ding_recipients_user_id_confirmed_at", "user_id", "confirmed_at"),
    Index("ix_ding_recipients_next_due_at", "next_due_at"),
)

ding_attempts = Table(
    "ding_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ding_id", Id, ForeignKey("dings.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(8), nullable=False),  # app, email, sms, voice
    Column("trigger", String(16), nullable=False),  # send, manual, escalation
    Column("status", String(16), nullable=False),  # pending, sent, failed, skipped
    Column("detail", String(512), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("finished_at", Ms),
    Index("ix_ding_attempts_ding_id", "ding_id", "id"),
)
