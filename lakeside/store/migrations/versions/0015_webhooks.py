"""webhooks: incoming webhooks (群机器人) in four vendor dialects

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:30:00.000000

New table ``webhooks`` (``store/tables/webhook.py``): a robot's token (hashed), the group it posts
to, its dialect and its security settings (keywords, IP allowlist, signing secret).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("bot_user_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("dialect", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("keywords", sa.Text(), server_default="[]", nullable=False),
        sa.Column("ip_allowlist", sa.Text(), server_default="[]", nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=True),
        sa.Column("may_mention_all", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bot_user_id"], ["users.id"], name=op.f("fk_webhooks_bot_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_webhooks_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_webhooks_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_webhooks_token_hash")),
    )
    op.create_index("ix_webhooks_conversation_id", "webhooks", ["conversation_id"], unique=False)
    op.create_index("ix_webhooks_bot_user_id", "webhooks", ["bot_user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhooks_bot_user_id", table_name="webhooks")
    op.drop_index("ix_webhooks_conversation_id", table_name="webhooks")
    op.drop_table("webhooks")
