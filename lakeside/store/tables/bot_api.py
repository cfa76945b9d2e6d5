"""API bots' own tables: their scoped tokens, the slash commands they registered, and the
invocations of those commands waiting for a reply.

A bot account (``bots``, kind ``app``) authenticates with a token of ``bot_tokens``: stored as its
SHA-256 (the token itself is shown once), with the actions it may take (``scopes``, space
separated, domain/bot_scopes.py) and, optionally, the only conversations it may touch
(``conversation_ids``, a JSON array; null: every conversation the bot is a member of).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from lakeside.store.tables.base import Id, Ms, metadata

bot_tokens = Table(
    "bot_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("bot_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False, server_default=""),
    # The first characters of the token (``lsb_`` and 8 more), shown in lists to tell tokens apart.
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("scopes", String(500), nullable=False),
    Column("conversation_ids", Text),  # JSON array, or null: any conversation the bot is in
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("expires_at", Ms),
    Column("last_used_at", Ms),
    Column("revoked_at", Ms),
    Index("ix_bot_tokens_bot_id", "bot_id"),
)

bot_commands = Table(
    "bot_commands",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("bot_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(32), nullable=False),  # without the slash, lower case
    Column("description", String(200), nullable=False, server_default=""),
    Column("usage", String(100), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    UniqueConstraint("bot_id", "name"),
)

command_invocations = Table(
    "command_invocations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("bot_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("invoker_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("command", String(32), nullable=False),
    Column("args", Text, nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("replies", Id, nullable=False, server_default="0"),
    Index("ix_command_invocations_bot_id", "bot_id"),
    Index("ix_command_invocations_created_at", "created_at"),
)
