"""Accounts: the users (log-in names, profile, password hash, the server-admin flag), their sessions,
and the pending proofs that they hold their e-mail address and phone number."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint, text

from lakeside.store.tables.base import Id, Ms, metadata

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("phone", String(16), unique=True),
    Column("email", String(320), unique=True),
    # When the address was proved to be the user's (a link followed, a code typed); null until
    # then, and again whenever the address changes. Only proved addresses log in, receive
    # organization invitations and find people (services/verification.py).
    Column("email_verified_at", Ms),
    Column("phone_verified_at", Ms),
    Column("password_hash", String(256), nullable=False),
    Column("avatar_file_id", String(32)),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("invitation_code", String(64)),
    Column("last_seen_at", Ms),
    # The display name's search key (lower case, full pinyin, initials: domain/pinyin.py), written
    # with the name by store/users.py.
    Column("search_key", String(512), nullable=False, server_default=""),
    # Null for a person. A robot or bot (services/bots.py) says which kind it is: ``webhook`` (an
    # incoming webhook's identity), ``robot`` (a group's outgoing robot) or ``app`` (a bot account
    # driven through the API). Bots never log in with a password and are never anyone's friend.
    Column("bot_kind", String(16)),
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

# One pending proof per user and channel: the e-mail link's token or the SMS code, as a keyed hash,
# for the address it was sent to (a changed address no longer matches it).
contact_verifications = Table(
    "contact_verifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("address", String(320), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("expires_at", Ms, nullable=False),
    Column("created_at", Ms, nullable=False),
    UniqueConstraint("user_id", "channel"),
)
