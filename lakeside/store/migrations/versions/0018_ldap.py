"""ldap: directory connections and the links of their entries and organizational units

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 22:30:00.000000

New tables (``store/tables/ldap.py``): ``ldap_directories`` (an organization's LDAP / Active
Directory connection, sync schedule and last result), ``ldap_entries`` (a directory entry's stable
id → the account it created) and ``ldap_departments`` (an organizational unit's stable id → the
department it created).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ldap_directories",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("url", sa.String(length=512), nullable=False),
        sa.Column("start_tls", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tls_ca_cert", sa.Text(), nullable=True),
        sa.Column("bind_dn", sa.String(length=1024), server_default="", nullable=False),
        sa.Column("bind_password", sa.String(length=1024), server_default="", nullable=False),
        sa.Column("base_dn", sa.String(length=1024), nullable=False),
        sa.Column("user_filter", sa.String(length=1024), nullable=False),
        sa.Column("attr_id", sa.String(length=64), nullable=False),
        sa.Column("attr_username", sa.String(length=64), nullable=False),
        sa.Column("attr_name", sa.String(length=64), nullable=False),
        sa.Column("attr_email", sa.String(length=64), server_default="", nullable=False),
        sa.Column("attr_phone", sa.String(length=64), server_default="", nullable=False),
        sa.Column("attr_title", sa.String(length=64), server_default="", nullable=False),
        sa.Column("attr_employee_no", sa.String(length=64), server_default="", nullable=False),
        sa.Column("sync_interval_minutes", sa.Integer(), server_default=sa.text("60"), nullable=False),
        sa.Column("login_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("next_sync_at", sa.BigInteger(), nullable=True),
        sa.Column("sync_claimed_until", sa.BigInteger(), nullable=True),
        sa.Column("last_sync_at", sa.BigInteger(), nullable=True),
        sa.Column("last_sync_result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ldap_directories_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_ldap_directories_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_ldap_directories")),
    )
    with op.batch_alter_table("ldap_directories", schema=None) as batch_op:
        batch_op.create_index("ix_ldap_directories_next_sync_at", ["next_sync_at"], unique=False)
    op.create_table(
        "ldap_entries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("stable_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("dn", sa.String(length=1024), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("synced_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ldap_entries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ldap_entries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ldap_entries")),
        sa.UniqueConstraint(
            "organization_id", "stable_id", name=op.f("uq_ldap_entries_organization_id_stable_id")
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_ldap_entries_user_id")),
    )
    op.create_table(
        "ldap_departments",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("stable_id", sa.String(length=128), nullable=False),
        sa.Column("department_id", ID, nullable=False),
        sa.Column("dn", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ldap_departments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ldap_departments_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "stable_id", name=op.f("pk_ldap_departments")),
        sa.UniqueConstraint("department_id", name=op.f("uq_ldap_departments_department_id")),
    )


def downgrade() -> None:
    op.drop_table("ldap_departments")
    op.drop_table("ldap_entries")
    with op.batch_alter_table("ldap_directories", schema=None) as batch_op:
        batch_op.drop_index("ix_ldap_directories_next_sync_at")
    op.drop_table("ldap_directories")
