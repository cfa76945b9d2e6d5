"""bot api: bot tokens, slash commands and their invocations

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 23:30:00.000000

New tables (``store/tables/bot_api.py``): ``bot_tokens`` (an API bot's scoped tokens, stored
hashed), ``bot_commands`` (the slash commands a bot registered) and ``command_invocations`` (a
member's use of one, which the bot answers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bot_tokens",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("bot_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("conversation_ids", sa.Text(), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["users.id"], name=op.f("fk_bot_tokens_bot_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_bot_tokens_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_bot_tokens_token_hash")),
    )
    op.create_index("ix_bot_tokens_bot_id", "bot_tokens", ["bot_id"], unique=False)
    op.create_table(
        "bot_commands",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("bot_id", ID, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=200), server_default="", nullable=False),
        sa.Column("usage", sa.String(length=100), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["users.id"], name=op.f("fk_bot_commands_bot_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_commands")),
        sa.UniqueConstraint("bot_id", "name", name=op.f("uq_bot_commands_bot_id_name")),
    )
    op.create_table(
        "command_invocations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("bot_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("invoker_id", ID, nullable=True),
        sa.Column("command", sa.String(length=32), nullable=False),
        sa.Column("args", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("replies", ID, server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["users.id"], name=op.f("fk_command_invocations_bot_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_command_invocations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoker_id"],
            ["users.id"],
            name=op.f("fk_command_invocations_invoker_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_invocations")),
    )
    op.create_index("ix_command_invocations_bot_id", "command_invocations", ["bot_id"], unique=False)
    op.create_index("ix_command_invocations_created_at", "command_invocations", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_command_invocations_created_at", table_name="command_invocations")
    op.drop_index("ix_command_invocations_bot_id", table_name="command_invocations")
    op.drop_table("command_invocations")
    op.drop_table("bot_commands")
    op.drop_index("ix_bot_tokens_bot_id", table_name="bot_tokens")
    op.drop_table("bot_tokens")
