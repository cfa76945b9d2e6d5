"""Group tools: pinned messages (置顶消息), the group notice (群公告) and who acknowledged it,
invite links (and the QR codes made of them) and the join requests they file.

Mute (禁言) lives beside the membership it restricts: ``conversations.mute_all`` and
``conversation_members.mute_until`` (``conversation``), so that the send path reads it in the one
query that reads the sender's membership.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, text

from lakeside.store.tables.base import Id, Ms, metadata

# Messages pinned at the top of a conversation; a recall unpins.
message_pins = Table(
    "message_pins",
    metadata,
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("pinned_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("pinned_at", Ms, nullable=False),
)

# One notice per group; ``version`` grows with every change, and an acknowledgement counts for
# the version it names only: a changed notice asks everyone again.
group_notices = Table(
    "group_notices",
    metadata,
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("body", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("updated_at", Ms, nullable=False),
)

group_notice_acks = Table(
    "group_notice_acks",
    metadata,
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("acked_at", Ms, nullable=False),
)

# A group's invite links: a long unguessable token; at most one is live (not revoked) per group.
group_invitations = Table(
    "group_invitations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("expires_at", Ms),
    Column("revoked_at", Ms),
    Column("created_at", Ms, nullable=False),
    Index("ix_group_invitations_conversation_id", "conversation_id"),
)

group_join_requests = Table(
    "group_join_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("invitation_id", BigInteger),
    Column("message", String(256), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # pending, approved, rejected
    Column("decided_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("decided_at", Ms),
    Index("ix_group_join_requests_conversation_id_status", "conversation_id", "status"),
    Index(
        "uq_group_join_requests_pending",
        "conversation_id",
        "user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)
