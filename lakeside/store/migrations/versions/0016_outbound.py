"""outbound: outgoing robots, bots' event subscriptions, the delivery queue

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:30:00.000000

New tables (store/tables/outbound.py): ``robots``, ``bot_subscriptions``, ``outbound_deliveries``,
``outbound_attempts`` and ``outbound_cursors``. The dispatcher's cursor starts at the end of the
event log as it is now, so an upgrade never replays old events to new integrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "robots",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("bot_user_id", ID, nullable=False),
        sa.Column("callback_url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("on_mention", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("keywords", sa.Text(), server_default="[]", nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("since_event_id", ID, server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_robots_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bot_user_id"], ["users.id"], name=op.f("fk_robots_bot_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_robots_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robots")),
    )
    op.create_index("ix_robots_conversation_id", "robots", ["conversation_id"], unique=False)
    op.create_index("ix_robots_bot_user_id", "robots", ["bot_user_id"], unique=False)
    op.create_table(
        "bot_subscriptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("bot_id", ID, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_types", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("since_event_id", ID, server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["users.id"], name=op.f("fk_bot_subscriptions_bot_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_bot_subscriptions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_subscriptions")),
    )
    op.create_index("ix_bot_subscriptions_bot_id", "bot_subscriptions", ["bot_id"], unique=False)
    op.create_table(
        "outbound_deliveries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.Text(), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_deliveries")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_outbound_deliveries_owner", "outbound_deliveries", ["owner_kind", "owner_id", "id"], unique=False
    )
    op.create_index(
        "ix_outbound_deliveries_due", "outbound_deliveries", ["status", "next_attempt_at"], unique=False
    )
    op.create_table(
        "outbound_attempts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("response", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["outbound_deliveries.id"],
            name=op.f("fk_outbound_attempts_delivery_id_outbound_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_attempts")),
    )
    op.create_index("ix_outbound_attempts_delivery_id", "outbound_attempts", ["delivery_id"], unique=False)
    op.create_table(
        "outbound_cursors",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", ID, nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbound_cursors")),
    )
    op.execute(
        "INSERT INTO outbound_cursors (name, position, updated_at) "
        "SELECT 'dispatch', COALESCE(MAX(id), 0), 0 FROM events"
    )


def downgrade() -> None:
    op.drop_table("outbound_cursors")
    op.drop_index("ix_outbound_attempts_delivery_id", table_name="outbound_attempts")
    op.drop_table("outbound_attempts")
    op.drop_index("ix_outbound_deliveries_due", table_name="outbound_deliveries")
    op.drop_index("ix_outbound_deliveries_owner", table_name="outbound_deliveries")
    op.drop_table("outbound_deliveries")
    op.drop_index("ix_bot_subscriptions_bot_id", table_name="bot_subscriptions")
    op.drop_table("bot_subscriptions")
    op.drop_index("ix_robots_bot_user_id", table_name="robots")
    op.drop_index("ix_robots_conversation_id", table_name="robots")
    op.drop_table("robots")
