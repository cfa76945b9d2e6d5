"""drafts that follow their author across devices

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14 10:00:00.000000

One row per (member, conversation) with unsent text: the body (empty once cleared, so that an
older write arriving late loses to the clearing) and the author's time of writing, by which the
last writer wins. The row belongs to the membership (a foreign key to ``conversation_members``,
cascading), so leaving or being removed from a conversation drops its draft.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "conversation_drafts",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id", "user_id"],
            ["conversation_members.conversation_id", "conversation_members.user_id"],
            name=op.f("fk_conversation_drafts_conversation_id_conversation_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "conversation_id", name=op.f("pk_conversation_drafts")),
    )


def downgrade() -> None:
    op.drop_table("conversation_drafts")
