"""approvals

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 02:25:00.000000

New tables (``store/tables/approval.py``): roles and their members, approval templates and their
immutable versions, requests, their steps and tasks, the people copied, and the history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "approval_roles",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_roles_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_roles")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_approval_roles_organization_id_name")),
    )
    op.create_table(
        "approval_templates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=512), server_default="", nullable=False),
        sa.Column("icon", sa.String(length=32), server_default="", nullable=False),
        sa.Column("group_name", sa.String(length=32), server_default="", nullable=False),
        sa.Column("builtin", sa.String(length=16), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("version_id", ID, nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_approval_templates_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_templates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_templates")),
    )
    with op.batch_alter_table("approval_templates", schema=None) as batch_op:
        batch_op.create_index("ix_approval_templates_organization_id", ["organization_id"], unique=False)

    op.create_table(
        "approval_role_members",
        sa.Column("role_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_role_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["approval_roles.id"],
            name=op.f("fk_approval_role_members_role_id_approval_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_approval_role_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("role_id", "user_id", name=op.f("pk_approval_role_members")),
    )
    op.create_table(
        "approval_template_versions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("template_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("flow", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_approval_template_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_template_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["approval_templates.id"],
            name=op.f("fk_approval_template_versions_template_id_approval_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_template_versions")),
        sa.UniqueConstraint(
            "template_id", "version", name=op.f("uq_approval_template_versions_template_id_version")
        ),
    )
    op.create_table(
        "approval_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("template_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("applicant_id", ID, nullable=False),
        sa.Column("department_id", ID, nullable=True),
        sa.Column("department_name", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("urged_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["users.id"],
            name=op.f("fk_approval_requests_applicant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_approval_requests_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_requests_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["approval_templates.id"],
            name=op.f("fk_approval_requests_template_id_approval_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["approval_template_versions.id"],
            name=op.f("fk_approval_requests_version_id_approval_template_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
        sa.UniqueConstraint(
            "organization_id", "serial", name=op.f("uq_approval_requests_organization_id_serial")
        ),
    )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_requests_organization_id_applicant_id",
            ["organization_id", "applicant_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_approval_requests_organization_id_template_id",
            ["organization_id", "template_id", "id"],
            unique=False,
        )

    op.create_table(
        "approval_ccs",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_ccs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_ccs_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_approval_ccs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("request_id", "user_id", name=op.f("pk_approval_ccs")),
    )
    with op.batch_alter_table("approval_ccs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_ccs_organization_id_user_id", ["organization_id", "user_id"], unique=False
        )

    op.create_table(
        "approval_steps",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=8), server_default="flow", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cc", sa.Text(), server_default="[]", nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("remind_at", sa.BigInteger(), nullable=True),
        sa.Column("reminded_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_steps_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_steps_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_steps")),
    )
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_steps_request_id", ["request_id", "round", "position"], unique=False
        )
        batch_op.create_index("ix_approval_steps_status_remind_at", ["status", "remind_at"], unique=False)

    op.create_table(
        "approval_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("step_id", ID, nullable=True),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("file_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("data", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_approval_history_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_history_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_history_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["approval_steps.id"],
            name=op.f("fk_approval_history_step_id_approval_steps"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_history")),
    )
    with op.batch_alter_table("approval_history", schema=None) as batch_op:
        batch_op.create_index("ix_approval_history_request_id", ["request_id", "id"], unique=False)

    op.create_table(
        "approval_tasks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("step_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("acted_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_tasks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_tasks_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["approval_steps.id"],
            name=op.f("fk_approval_tasks_step_id_approval_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_approval_tasks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_tasks")),
    )
    with op.batch_alter_table("approval_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_tasks_organization_id_user_id_status",
            ["organization_id", "user_id", "status"],
            unique=False,
        )
        batch_op.create_index("ix_approval_tasks_request_id", ["request_id"], unique=False)
        batch_op.create_index("ix_approval_tasks_step_id", ["step_id"], unique=False)
    op.create_table(
        "approval_files",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_approval_files_file_id_files"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_files_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_files_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "file_id", name=op.f("pk_approval_files")),
    )
    op.create_index("ix_approval_files_file_id", "approval_files", ["file_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_approval_files_file_id", table_name="approval_files")
    op.drop_table("approval_files")
    with op.batch_alter_table("approval_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_tasks_step_id")
        batch_op.drop_index("ix_approval_tasks_request_id")
        batch_op.drop_index("ix_approval_tasks_organization_id_user_id_status")

    op.drop_table("approval_tasks")
    with op.batch_alter_table("approval_history", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_history_request_id")

    op.drop_table("approval_history")
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_steps_status_remind_at")
        batch_op.drop_index("ix_approval_steps_request_id")

    op.drop_table("approval_steps")
    with op.batch_alter_table("approval_ccs", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_ccs_organization_id_user_id")

    op.drop_table("approval_ccs")
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_requests_organization_id_template_id")
        batch_op.drop_index("ix_approval_requests_organization_id_applicant_id")

    op.drop_table("approval_requests")
    op.drop_table("approval_template_versions")
    op.drop_table("approval_role_members")
    with op.batch_alter_table("approval_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_templates_organization_id")

    op.drop_table("approval_templates")
    op.drop_table("approval_roles")
