"""Bots: the accounts that robots, incoming webhooks and API bots post as.

A bot is a row of ``users`` (``users.bot_kind`` set) so that everything a message needs — the
sender, membership, fan-out, mentions, history — works for it unchanged; ``bots`` holds what only a
bot has: who made it and answers for it, the organization it belongs to (if any) and a description.
The integrations built on bots (incoming webhooks, outgoing robots, bot accounts' tokens and event
subscriptions) keep their own tables and point here.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from lakeside.store.tables.base import Id, Ms, metadata

bots = Table(
    "bots",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), nullable=False),  # webhook, robot, app (as users.bot_kind)
    # The person who made it and manages it; null once their account is gone (admins still can).
    Column("owner_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE")),
    Column("description", String(500), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Index("ix_bots_owner_id", "owner_id"),
    Index("ix_bots_organization_id", "organization_id"),
)
