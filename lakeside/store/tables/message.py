"""Messages: the messages of every conversation, their reactions, and the search tokens of each
message."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from lakeside.store.tables.base import Id, Ms, metadata

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
    # File search reads the files of the caller's conversations, newest first, through this.
    Index(
        "ix_messages_conversation_id_id_files",
        "conversation_id",
        "id",
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
