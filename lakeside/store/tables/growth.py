"""Growth-engine tables: activity roll-ups, registrations and referral codes, the wallet ledger.

On the shared ``metadata`` (``base``); migration ``0003_growth`` creates exactly this. How they are
used, and what the campaign tables (migration 0004) take from them: ``docs/growth.md`` and
``docs/growth-campaigns.md``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, text

from lakeside.store.tables.base import Id, Ms, metadata

# One row per user per day the user was active ("active on day D" == the row exists). ``day`` is
# the number of days since 1970-01-01 in the growth time zone (setting ``growth_timezone``).
activity_daily = Table(
    "activity_daily",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Integer, primary_key=True, autoincrement=False),
    Column("logins", Integer, nullable=False, server_default=text("0")),
    Column("messages", Integer, nullable=False, server_default=text("0")),
    Column("opens", Integer, nullable=False, server_default=text("0")),
    Column("first_at", Ms, nullable=False),
    Column("last_at", Ms, nullable=False),
    Index("ix_activity_daily_day_user_id", "day", "user_id"),
    Index("ix_activity_daily_first_at", "first_at"),
)

# Personal invitation codes; a link is ``<public_url>/#/register?ref=CODE``.
referral_codes = Table(
    "referral_codes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("campaign_id", BigInteger),  # campaigns are B2's table (migration 0004): no foreign key
    Column("uses", Integer, nullable=False, server_default=text("0")),
    Column("max_uses", Integer),
    Column("revoked_at", Ms),
    Column("created_at", Ms, nullable=False),
    Index("ix_referral_codes_user_id", "user_id"),
)

# One row per account created, referred or not: attribution, and the data fraud screening reads.
registrations = Table(
    "registrations",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("inviter_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("referral_code_id", Id, ForeignKey("referral_codes.id", ondelete="SET NULL")),
    Column("campaign_id", BigInteger),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("device", String(64), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Index("ix_registrations_inviter_id", "inviter_id"),
    Index("ix_registrations_ip_created_at", "ip", "created_at"),
    Index("ix_registrations_device_created_at", "device", "created_at"),
    Index("ix_registrations_created_at", "created_at"),
)

# Double-entry wallet ledger. Every account has a unique ``key`` ("issuer", "budget:default",
# "budget:campaign:7", "wallet:42"), so get-or-create is race-free. The single issuer account is
# the only one allowed below zero: funding moves value from it, so the sum of all balances is
# always exactly 0 and -issuer.balance is the total ever funded.
ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # issuer, budget, wallet
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("campaign_id", BigInteger),
    Column("name", String(64), nullable=False, server_default=""),
    Column("balance_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("allow_negative", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_ledger_accounts_user_id", "user_id"),
)

# One row per transfer; ``idempotency_key`` makes a retried grant count once.
ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # fund, grant, referral_reward, campaign_reward, transfer
    Column("ref", String(128), nullable=False, server_default=""),
    Column("idempotency_key", String(128), unique=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("from_account_id", Id, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("to_account_id", Id, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Index("ix_ledger_transactions_kind_created_at", "kind", "created_at"),
)

# Balanced entries: each transaction writes one debit (negative) and one credit (positive) row.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("account_id", Id, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # signed
    Column("balance_after", BigInteger, nullable=False),
    Column("created_at", Ms, nullable=False),
    Index("ix_ledger_entries_account_id_id", "account_id", "id"),
    Index("ix_ledger_entries_transaction_id", "transaction_id"),
)
