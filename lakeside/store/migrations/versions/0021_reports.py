"""reports: daily reports (日志)

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-08 02:50:00.000000

New tables (``store/tables/report.py``): ``report_templates`` (日报/周报/月报 and admins' own, with
a version), ``reports`` (a draft or a sent report, with the fields it was written with),
``report_receivers`` (who it was sent to and when they read it), ``report_conversations`` (the
groups it was posted in), ``report_files`` (its attachments and images), ``report_comments`` and
``report_reminders`` (a template's reminder rule).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_templates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("builtin", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_templates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_report_templates_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_templates")),
        sa.UniqueConstraint(
            "organization_id", "builtin", name=op.f("uq_report_templates_organization_id_builtin")
        ),
    )
    op.create_table(
        "reports",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("template_id", ID, nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("template_name", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.String(length=10), nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("draft_user_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("draft_conversation_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_reports_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["report_templates.id"],
            name=op.f("fk_reports_template_id_report_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_reports_author_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index("ix_reports_author", "reports", ["organization_id", "author_id", "id"])
    op.create_index("ix_reports_period", "reports", ["organization_id", "template_id", "period_start"])
    op.create_table(
        "report_receivers",
        sa.Column("report_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_receivers_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_receivers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "user_id", name=op.f("pk_report_receivers")),
    )
    op.create_index("ix_report_receivers_user_id", "report_receivers", ["user_id", "report_id"])
    op.create_table(
        "report_conversations",
        sa.Column("report_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_conversations_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_report_conversations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "conversation_id", name=op.f("pk_report_conversations")),
    )
    op.create_table(
        "report_files",
        sa.Column("report_id", ID, nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_files_report_id_reports"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_report_files_file_id_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "file_id", name=op.f("pk_report_files")),
    )
    op.create_index("ix_report_files_file_id", "report_files", ["file_id"])
    op.create_table(
        "report_comments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("report_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mention_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_comments_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_report_comments_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_comments")),
    )
    op.create_index("ix_report_comments_report_id", "report_comments", ["report_id", "id"])
    op.create_table(
        "report_reminders",
        sa.Column("template_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("last_period", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["report_templates.id"],
            name=op.f("fk_report_reminders_template_id_report_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_reminders_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("template_id", name=op.f("pk_report_reminders")),
    )


def downgrade() -> None:
    op.drop_table("report_reminders")
    op.drop_index("ix_report_comments_report_id", table_name="report_comments")
    op.drop_table("report_comments")
    op.drop_index("ix_report_files_file_id", table_name="report_files")
    op.drop_table("report_files")
    op.drop_table("report_conversations")
    op.drop_index("ix_report_receivers_user_id", table_name="report_receivers")
    op.drop_table("report_receivers")
    op.drop_index("ix_reports_period", table_name="reports")
    op.drop_index("ix_reports_author", table_name="reports")
    op.drop_table("reports")
    op.drop_table("report_templates")
