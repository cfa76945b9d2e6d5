"""Friends: friend requests with a greeting, friendships (one row per direction, so that each side
keeps its own remark name) and blocks."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, text

from lakeside.store.tables.base import Id, Ms, metadata

friend_requests = Table(
    "friend_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("from_user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("to_user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("greeting", String(256), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # pending, accepted, declined, cancelled
    Column("created_at", Ms, nullable=False),
    Column("decided_at", Ms),
    Index("ix_friend_requests_to_status", "to_user_id", "status"),
    Index("ix_friend_requests_from_status", "from_user_id", "status"),
    # At most one pending request per ordered pair.
    Index(
        "uq_friend_requests_pending",
        "from_user_id",
        "to_user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

# One row per direction, so that each side keeps its own remark name.
friendships = Table(
    "friendships",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("friend_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("remark", String(64)),
    Column("created_at", Ms, nullable=False),
    # The remark's search key (as users.search_key), written with the remark; '' without one.
    Column("remark_key", String(512), nullable=False, server_default=""),
    Index("ix_friendships_friend_id", "friend_id"),
)

blocks = Table(
    "blocks",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("blocked_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", Ms, nullable=False),
    Index("ix_blocks_blocked_id", "blocked_id"),
)
