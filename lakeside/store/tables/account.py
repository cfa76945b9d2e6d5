"""Accounts: the users (log-in names, profile, password hash, the server-admin flag) and their sessions."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, text

from lakeside.store.tables.base import Id, Ms, metadata

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
    # The display name's search key (lower case, full pinyin, initials: domain/pinyin.py), written
    # with the name by store/users.py.
    Column("search_key", String(512), nullable=False, server_default=""),
    # The account was deleted (anonymised) at: see services/account_deletion.py.
    Column("deleted_at", Ms),
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
