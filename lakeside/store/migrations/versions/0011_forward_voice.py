"""merged forwards' transcripts and voice messages' played state

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-20 10:00:00.000000

New tables (``store/tables/forward.py``): ``merged_records`` (a merged forward's transcript, one
per message of kind ``forward``), ``merged_record_files`` (the files a transcript shows, by which
downloads are allowed) and ``voice_plays`` (who has played a voice message). Messages of the new
kinds ``voice`` and ``forward`` need no new column: a voice message's duration and a merged
forward's card are the message's body, as JSON.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "merged_records",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_merged_records_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_merged_records")),
    )
    op.create_table(
        "merged_record_files",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_merged_record_files_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "file_id", name=op.f("pk_merged_record_files")),
    )
    with op.batch_alter_table("merged_record_files", schema=None) as batch_op:
        batch_op.create_index("ix_merged_record_files_file_id", ["file_id"], unique=False)
    op.create_table(
        "forward_sources",
        sa.Column("copy_id", ID, nullable=False),
        sa.Column("source_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["copy_id"], ["messages.id"], name=op.f("fk_forward_sources_copy_id_messages"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["messages.id"],
            name=op.f("fk_forward_sources_source_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("copy_id", "source_id", name=op.f("pk_forward_sources")),
    )
    with op.batch_alter_table("forward_sources", schema=None) as batch_op:
        batch_op.create_index("ix_forward_sources_source_id", ["source_id"], unique=False)
    op.create_table(
        "voice_plays",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("played_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_voice_plays_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_voice_plays_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_id", "user_id", name=op.f("pk_voice_plays")),
    )


def downgrade() -> None:
    op.drop_table("voice_plays")
    op.drop_index("ix_forward_sources_source_id", table_name="forward_sources")
    op.drop_table("forward_sources")
    op.drop_index("ix_merged_record_files_file_id", table_name="merged_record_files")
    op.drop_table("merged_record_files")
    op.drop_table("merged_records")
