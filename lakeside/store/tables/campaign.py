"""Campaign tables: the campaigns, their participants and scores, the per-friendship state the live
leaderboard maintains, frozen snapshots, fraud flags and the leaderboard worker's cursors.

On the shared ``metadata`` (``base``); migration ``0004_campaigns`` creates exactly this. See
``docs/growth-campaigns.md`` for how they are used.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from lakeside.store.tables.base import Id, Ms, metadata

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("spec", Text, nullable=False),  # the validated CampaignSpec as JSON (departments resolved)
    Column("starts_at", Ms, nullable=False),
    Column("ends_at", Ms, nullable=False),
    Column("quota_at", Ms),
    # Bumped by every change of the spec; the worker rebuilds while built_version lags behind.
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("built_version", Integer, nullable=False, server_default=text("0")),
    # The day the participants' scores were last brought up to (the window's slide).
    Column("scored_day", Integer),
    Column("frozen_at", Ms),  # the final snapshot is taken; nothing changes any more
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_campaigns_organization_id", "organization_id"),
)

# Participants with their live score: the leaderboard is one ordered read of this table.
campaign_participants = Table(
    "campaign_participants",
    metadata,
    Column("campaign_id", Id, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger),  # a department id, per the campaign's team rule
    Column("score", Integer, nullable=False, server_default=text("0")),
    Column("reached_at", Ms),  # when the newest counted friend became a friend (the tie-break)
    Column("outside_friends", Integer, nullable=False, server_default=text("0")),  # eligible, any activity
    Column("updated_at", Ms, nullable=False),
    Index("ix_campaign_participants_campaign_id_score", "campaign_id", "score"),
    Index("ix_campaign_participants_user_id", "user_id"),
)

# One row per (participant, friend): whether the friend may count and when it was last active.
# A participant's score is the number of eligible rows whose last active day is in the window.
campaign_edges = Table(
    "campaign_edges",
    metadata,
    Column("campaign_id", Id, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("friend_id", BigInteger, primary_key=True, autoincrement=False),
    Column("since", Ms, nullable=False),
    Column("excluded", String(16), nullable=False, server_default=""),  # "" = eligible, else why not
    Column("last_active_day", Integer),
    Index("ix_campaign_edges_campaign_id_friend_id", "campaign_id", "friend_id"),
    Index("ix_campaign_edges_campaign_id_last_active_day", "campaign_id", "last_active_day"),
)

# Frozen results: ``final`` at the deadline, ``quota`` at the quota date. ``document`` holds the
# inputs and the result; the hashes let a re-run prove it reproduces them.
campaign_snapshots = Table(
    "campaign_snapshots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", Id, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # final, quota
    Column("evaluated_at", Ms, nullable=False),
    Column("taken_at", Ms, nullable=False),
    Column("inputs_hash", String(64), nullable=False),
    Column("result_hash", String(64), nullable=False),
    Column("document", Text, nullable=False),
    UniqueConstraint("campaign_id", "kind"),
)

fraud_flags = Table(
    "fraud_flags",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", Id, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("params", Text, nullable=False),  # JSON; with the rule, the human-readable reason
    Column("related_user_id", BigInteger),
    Column("status", String(16), nullable=False),  # open, confirmed, cleared
    Column("note", String(256), nullable=False, server_default=""),
    Column("decided_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("decided_at", Ms),
    Column("created_at", Ms, nullable=False),
    UniqueConstraint("campaign_id", "user_id", "rule"),
    Index("ix_fraud_flags_campaign_id_status", "campaign_id", "status"),
)

# Positions of the leaderboard worker in its inputs: the event log (an id) and activity rows (a
# first_at time in ms). Shared by every node; the worker holding the lock advances them.
campaign_cursors = Table(
    "campaign_cursors",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", Ms, nullable=False),
)
