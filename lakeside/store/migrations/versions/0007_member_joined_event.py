"""conversation_members: the log position at which each membership began

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 18:00:00.000000

Catch-up follows memberships: a conversation's events replay to its members. It used to replay
every event of the conversation kept in the log, including those from before the member joined
(or from while they were out of it), which live delivery never sent them. Each membership now
records the last event position before it began; existing memberships get 0 (all of the log, as
before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("joined_event_id", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation_members", schema=None) as batch_op:
        batch_op.drop_column("joined_event_id")
