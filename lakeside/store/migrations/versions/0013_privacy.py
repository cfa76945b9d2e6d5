"""privacy: scrubbed favourites, deleted accounts, retention, data exports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 10:00:00.000000

New table: ``export_jobs`` (``store/tables/privacy.py``). New columns: ``favorites.recalled_at``
(a favourite whose message was recalled or deleted keeps its entry, not its content),
``users.deleted_at`` (an account deleted by its owner, anonymised) and
``organizations.retention_days`` (messages older than that are deleted by the retention worker).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "export_jobs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=256), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_export_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_export_jobs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_export_jobs_user_id_created_at", ["user_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_export_jobs_organization_id_created_at", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_export_jobs_status_id", ["status", "id"], unique=False)
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recalled_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), never a batch copy: with foreign keys on, dropping the old
    # `users` or `organizations` would cascade into every table that refers to one.
    op.execute("ALTER TABLE organizations DROP COLUMN retention_days")
    op.execute("ALTER TABLE users DROP COLUMN deleted_at")
    op.execute("ALTER TABLE favorites DROP COLUMN recalled_at")
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_export_jobs_status_id")
        batch_op.drop_index("ix_export_jobs_organization_id_created_at")
        batch_op.drop_index("ix_export_jobs_user_id_created_at")
    op.drop_table("export_jobs")
