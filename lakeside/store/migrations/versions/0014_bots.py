"""bots: robot and bot accounts, and card messages

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:00:00.000000

New column ``users.bot_kind`` (null for people; webhook, robot or app for bots) and new table
``bots`` (``store/tables/bot.py``): who made each bot and the organization it belongs to. Card
messages (kind ``card``, domain/cards.py) need no schema change: the kind column is free text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of users: on SQLite that would cascade).
    op.add_column("users", sa.Column("bot_kind", sa.String(length=16), nullable=True))
    op.create_table(
        "bots",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("organization_id", ID, nullable=True),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bots_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_bots_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_bots_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_bots")),
    )
    op.create_index("ix_bots_owner_id", "bots", ["owner_id"], unique=False)
    op.create_index("ix_bots_organization_id", "bots", ["organization_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_bots_organization_id", table_name="bots")
    op.drop_index("ix_bots_owner_id", table_name="bots")
    op.drop_table("bots")
    op.execute("ALTER TABLE users DROP COLUMN bot_kind")
