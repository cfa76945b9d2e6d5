"""Conversations: direct chats (one per pair) and groups, their members with role, read cursor
and own settings, and each member's draft."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from lakeside.store.tables.base import Id, Ms, metadata

conversations = Table(
    "conversations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # direct, group
    Column("title", String(64)),
    Column("avatar_file_id", String(32)),
    # "<low id>:<high id>" for a direct conversation, so that a pair has exactly one.
    Column("direct_key", String(48), unique=True),
    Column("member_cap", Integer, nullable=False),
    Column("member_count", Integer, nullable=False, server_default=text("0")),
    # The sequence number of the newest message; bumped in the transaction that inserts messages.
    Column("last_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("last_activity_at", Ms, nullable=False),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    # Set for organization groups (kinds org_all and department); see the enterprise section.
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE")),
    # The title's search key (lower case, full pinyin, initials: domain/pinyin.py), written with
    # the title by store/conversations.py; '' for direct chats, found by their people instead.
    Column("search_key", String(512), nullable=False, server_default=""),
    # 全员禁言: only the owner and admins may send while it is on.
    Column("mute_all", Boolean, nullable=False, server_default=text("false")),
    # 入群验证: joining through the group's invite link files a request the owner or an admin decides.
    Column("join_approval", Boolean, nullable=False, server_default=text("false")),
    Index("ix_conversations_organization_id", "organization_id"),
)

conversation_members = Table(
    "conversation_members",
    metadata,
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),  # owner, admin, member
    # The highest sequence number this member has read; unread = last_seq - read_seq (minus own).
    Column("read_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("joined_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("joined_at", Ms, nullable=False),
    # The last event position before this member joined: catch-up replays the conversation's
    # events after it only, as live delivery only sent those (0: all of them, for memberships
    # older than this column).
    Column("joined_event_id", BigInteger, nullable=False, server_default=text("0")),
    Column("pinned", Boolean, nullable=False, server_default=text("false")),
    Column("muted", Boolean, nullable=False, server_default=text("false")),
    # 禁言, not to be confused with ``muted`` above (the member's own 免打扰): an owner or admin
    # stopped this member from sending until then (ms; 2^63 - 1: until lifted); null: not muted.
    Column("mute_until", BigInteger),
    Index("ix_conversation_members_user_id", "user_id"),
)

# What a member has typed in a conversation and not sent, kept so that it follows them to their
# other devices. Last writer wins by ``updated_at``; a cleared draft stays, with an empty body, so
# that an older write arriving late cannot bring it back. It belongs to the membership: leaving
# (or being removed from) the conversation drops it.
conversation_drafts = Table(
    "conversation_drafts",
    metadata,
    Column("user_id", Id, primary_key=True),
    Column("conversation_id", Id, primary_key=True),
    Column("body", Text, nullable=False),
    Column("updated_at", Ms, nullable=False),
    ForeignKeyConstraint(
        ["conversation_id", "user_id"],
        ["conversation_members.conversation_id", "conversation_members.user_id"],
        ondelete="CASCADE",
    ),
)
