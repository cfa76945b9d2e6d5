"""growth engine: campaigns, participants and scores, leaderboard edges, snapshots, fraud flags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_cursors",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_campaign_cursors")),
    )
    op.create_table(
        "campaigns",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.Column("quota_at", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("built_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("scored_day", sa.Integer(), nullable=True),
        sa.Column("frozen_at", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_campaigns_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_campaigns_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index("ix_campaigns_organization_id", ["organization_id"], unique=False)

    op.create_table(
        "campaign_edges",
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("friend_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("excluded", sa.String(length=16), server_default="", nullable=False),
        sa.Column("last_active_day", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_edges_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "participant_id", "friend_id", name=op.f("pk_campaign_edges")),
    )
    with op.batch_alter_table("campaign_edges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_edges_campaign_id_friend_id", ["campaign_id", "friend_id"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_edges_campaign_id_last_active_day", ["campaign_id", "last_active_day"], unique=False
        )

    op.create_table(
        "campaign_participants",
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=True),
        sa.Column("score", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reached_at", sa.BigInteger(), nullable=True),
        sa.Column("outside_friends", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_participants_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "user_id", name=op.f("pk_campaign_participants")),
    )
    with op.batch_alter_table("campaign_participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_participants_campaign_id_score", ["campaign_id", "score"], unique=False
        )
        batch_op.create_index("ix_campaign_participants_user_id", ["user_id"], unique=False)

    op.create_table(
        "campaign_snapshots",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("evaluated_at", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.BigInteger(), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("result_hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_snapshots_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_snapshots")),
        sa.UniqueConstraint("campaign_id", "kind", name=op.f("uq_campaign_snapshots_campaign_id_kind")),
    )
    op.create_table(
        "fraud_flags",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("related_user_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=256), server_default="", nullable=False),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_fraud_flags_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_fraud_flags_decided_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_fraud_flags_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_flags")),
        sa.UniqueConstraint(
            "campaign_id", "user_id", "rule", name=op.f("uq_fraud_flags_campaign_id_user_id_rule")
        ),
    )
    with op.batch_alter_table("fraud_flags", schema=None) as batch_op:
        batch_op.create_index("ix_fraud_flags_campaign_id_status", ["campaign_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fraud_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_fraud_flags_campaign_id_status")

    op.drop_table("fraud_flags")
    op.drop_table("campaign_snapshots")
    with op.batch_alter_table("campaign_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_participants_user_id")
        batch_op.drop_index("ix_campaign_participants_campaign_id_score")

    op.drop_table("campaign_participants")
    with op.batch_alter_table("campaign_edges", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_edges_campaign_id_last_active_day")
        batch_op.drop_index("ix_campaign_edges_campaign_id_friend_id")

    op.drop_table("campaign_edges")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_campaigns_organization_id")

    op.drop_table("campaigns")
    op.drop_table("campaign_cursors")
