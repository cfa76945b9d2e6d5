"""The schema, as SQLAlchemy Core tables. Migrations in ``migrations/`` create exactly this.

Conventions: ids are 64-bit integers (rowid on SQLite); times are integer milliseconds since the
epoch (portable, sortable, no time-zone surprises on SQLite); booleans are real booleans.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import sqlite

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A 64-bit id that is SQLite's rowid there (so it autoincrements) and BIGSERIAL-like elsewhere.
Id = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
Ms = BigInteger  # milliseconds since the epoch

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("phone", String(16), unique=True),
    Column("email", String(320), unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("avatar_file_id", String(32)),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("invitation_code", String(64)),
    Column("last_seen_at", Ms),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_agent", String(256), nullable=False, server_default=""),
    Column("address", String(64), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("last_seen_at", Ms, nullable=False),
    Column("expires_at", Ms, nullable=False),
)

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
    Column("pinned", Boolean, nullable=False, server_default=text("false")),
    Column("muted", Boolean, nullable=False, server_default=text("false")),
    Index("ix_conversation_members_user_id", "user_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("sender_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("client_msg_id", String(64)),
    Column("kind", String(16), nullable=False),  # text, markdown, image, file, system
    Column("body", Text, nullable=False, server_default=""),
    Column("html", Text),
    Column("reply_to_id", BigInteger),
    Column("mentions", Text),  # JSON list of user ids
    Column("mention_all", Boolean, nullable=False, server_default=text("false")),
    Column("file_id", String(32)),
    Column("created_at", Ms, nullable=False),
    Column("edited_at", Ms),
    Column("recalled_at", Ms),
    Column("recalled_by", BigInteger),
    UniqueConstraint("conversation_id", "seq"),
    # A retried send finds the original through this, across processes and restarts.
    UniqueConstraint("sender_id", "client_msg_id"),
    # Downloads check that a file is attached to a message the caller can see.
    Index(
        "ix_messages_file_id",
        "file_id",
        sqlite_where=text("file_id IS NOT NULL"),
        postgresql_where=text("file_id IS NOT NULL"),
    ),
    sqlite_autoincrement=True,
)

reactions = Table(
    "reactions",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("emoji", String(32), primary_key=True),
    Column("created_at", Ms, nullable=False),
)

files = Table(
    "files",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("purpose", String(16), nullable=False),  # attachment, avatar
    Column("filename", String(255), nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("has_thumbnail", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", Ms, nullable=False),
)

# The append-only log of durable events. A client's stream position is the id of the last event it
# has seen; resume reads ``id > position`` for the conversations it belongs to and the events
# addressed to it. A message event stores only the message id and is filled in on read, so that a
# recall leaves no copy of the content here.
events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("op", String(32), nullable=False),
    Column("conversation_id", BigInteger),
    Column("user_id", BigInteger),
    Column("data", LargeBinary, nullable=False),  # orjson
    Column("created_at", Ms, nullable=False),
    Index("ix_events_conversation_id_id", "conversation_id", "id"),
    Index("ix_events_user_id_id", "user_id", "id"),
    # Positions must never be reused, even after pruning empties the table.
    sqlite_autoincrement=True,
)

# Index tokens for full-text search (see domain/text.py). The engine-specific index over it
# (FTS5 on SQLite, GIN over tsvector on PostgreSQL) is created by the migration.
message_search = Table(
    "message_search",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("conversation_id", BigInteger, nullable=False),
    Column("sender_id", BigInteger),
    Column("created_at", Ms, nullable=False),
    Column("words", Text, nullable=False),
    Column("chars", Text, nullable=False),
    Index("ix_message_search_conversation_id", "conversation_id", "created_at"),
)
