"""proved e-mail addresses and phone numbers

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-10 10:00:00.000000

An address counts (for logging in, organization invitations and finding people) only once its
holder proved it: ``users.email_verified_at`` and ``users.phone_verified_at``, null until then.
Addresses already on file are not proved by this migration: their holders verify them from the
settings page (logging in by username works meanwhile). ``contact_verifications`` keeps one
pending proof per user and channel, its secret only as a keyed hash.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_verified_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("phone_verified_at", sa.BigInteger(), nullable=True))
    op.create_table(
        "contact_verifications",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_contact_verifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_verifications")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_contact_verifications_secret_hash")),
        sa.UniqueConstraint("user_id", "channel", name=op.f("uq_contact_verifications_user_id_channel")),
    )


def downgrade() -> None:
    op.drop_table("contact_verifications")
    # Plain DROP COLUMN (SQLite 3.35+), never a batch copy of `users`: with foreign keys on, dropping
    # the old table would cascade into every table that refers to a user.
    op.execute("ALTER TABLE users DROP COLUMN phone_verified_at")
    op.execute("ALTER TABLE users DROP COLUMN email_verified_at")
