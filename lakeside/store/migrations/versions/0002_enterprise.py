"""enterprise workspace: organizations, directory, invitations, DING, announcements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("logo_file_id", sa.String(length=32), nullable=True),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("invite_policy", sa.String(length=16), server_default="admins", nullable=False),
        sa.Column("join_approval", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("recall_window_seconds", sa.Integer(), nullable=True),
        sa.Column("edit_window_seconds", sa.Integer(), nullable=True),
        sa.Column("members_see_read_receipts", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("all_staff_conversation_id", sa.BigInteger(), nullable=True),
        sa.Column("member_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_organizations_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "announcements",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("ding_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_announcements_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_announcements_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index("ix_announcements_organization_id", ["organization_id", "id"], unique=False)

    op.create_table(
        "ding_policies",
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("app_after_minutes", sa.Integer(), nullable=True),
        sa.Column("email_after_minutes", sa.Integer(), nullable=True),
        sa.Column("sms_after_minutes", sa.Integer(), nullable=True),
        sa.Column("voice_after_minutes", sa.Integer(), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("webhook_secret", sa.String(length=256), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ding_policies_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_ding_policies")),
    )
    op.create_table(
        "external_contacts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("company", sa.String(length=128), server_default="", nullable=False),
        sa.Column("title", sa.String(length=64), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("tags", sa.String(length=1024), server_default="|", nullable=False),
        sa.Column("note", sa.String(length=512), server_default="", nullable=False),
        sa.Column("search_key", sa.String(length=512), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_external_contacts_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_external_contacts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_contacts")),
    )
    with op.batch_alter_table("external_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_external_contacts_organization_id_search_key", ["organization_id", "search_key"], unique=False
        )

    op.create_table(
        "org_contact_invitations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("invited_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_org_contact_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_contact_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_org_contact_invitations_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_contact_invitations")),
    )
    with op.batch_alter_table("org_contact_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_org_contact_invitations_email", ["email"], unique=False)
        batch_op.create_index("ix_org_contact_invitations_organization_id", ["organization_id"], unique=False)
        batch_op.create_index("ix_org_contact_invitations_phone", ["phone"], unique=False)

    op.create_table(
        "org_invitations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("use_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_org_invitations_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_invitations")),
        sa.UniqueConstraint("code", name=op.f("uq_org_invitations_code")),
    )
    with op.batch_alter_table("org_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_org_invitations_organization_id", ["organization_id"], unique=False)

    op.create_table(
        "org_join_requests",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("invitation_id", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.String(length=256), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_org_join_requests_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_join_requests_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_org_join_requests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_join_requests")),
    )
    with op.batch_alter_table("org_join_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_org_join_requests_organization_id_status", ["organization_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_org_join_requests_pending",
            ["organization_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "org_members",
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("search_key", sa.String(length=512), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=True),
        sa.Column("employee_no", sa.String(length=32), nullable=True),
        sa.Column("work_phone", sa.String(length=32), nullable=True),
        sa.Column("hide_phone", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_org_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("organization_id", "user_id", name=op.f("pk_org_members")),
        sa.UniqueConstraint(
            "organization_id", "employee_no", name=op.f("uq_org_members_organization_id_employee_no")
        ),
    )
    with op.batch_alter_table("org_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_org_members_organization_id_search_key", ["organization_id", "search_key"], unique=False
        )
        batch_op.create_index("ix_org_members_user_id", ["user_id"], unique=False)

    op.create_table(
        "announcement_reads",
        sa.Column("announcement_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_reads_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_announcement_reads_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("announcement_id", "user_id", name=op.f("pk_announcement_reads")),
    )
    op.create_table(
        "departments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("search_key", sa.String(length=256), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("member_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_departments_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_departments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["departments.id"],
            name=op.f("fk_departments_parent_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_departments_organization_id_path", ["organization_id", "path"], unique=False
        )
        batch_op.create_index("ix_departments_parent_id", ["parent_id"], unique=False)

    op.create_table(
        "announcement_departments",
        sa.Column("announcement_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("department_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_departments_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_announcement_departments_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", "department_id", name=op.f("pk_announcement_departments")),
    )
    op.create_table(
        "department_members",
        sa.Column("department_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("is_leader", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_department_members_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_department_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_department_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("department_id", "user_id", name=op.f("pk_department_members")),
    )
    with op.batch_alter_table("department_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_department_members_organization_id_user_id", ["organization_id", "user_id"], unique=False
        )

    op.create_table(
        "dings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("sender_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("conversation_id", sa.BigInteger(), nullable=True),
        sa.Column("announcement_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("send_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("confirmed_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_reding_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_dings_message_id_messages"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_dings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_dings_sender_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dings")),
    )
    with op.batch_alter_table("dings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dings_organization_id_sender_id", ["organization_id", "sender_id"], unique=False
        )
        batch_op.create_index("ix_dings_status_send_at", ["status", "send_at"], unique=False)

    op.create_table(
        "ding_attempts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ding_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=512), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ding_id"], ["dings.id"], name=op.f("fk_ding_attempts_ding_id_dings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ding_attempts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ding_attempts")),
    )
    with op.batch_alter_table("ding_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_ding_attempts_ding_id", ["ding_id", "id"], unique=False)

    op.create_table(
        "ding_recipients",
        sa.Column("ding_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("confirmed_at", sa.BigInteger(), nullable=True),
        sa.Column("next_step", sa.String(length=8), nullable=True),
        sa.Column("next_due_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ding_id"], ["dings.id"], name=op.f("fk_ding_recipients_ding_id_dings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ding_recipients_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ding_recipients_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ding_id", "user_id", name=op.f("pk_ding_recipients")),
    )
    with op.batch_alter_table("ding_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_ding_recipients_next_due_at", ["next_due_at"], unique=False)
        batch_op.create_index(
            "ix_ding_recipients_user_id_confirmed_at", ["user_id", "confirmed_at"], unique=False
        )

    _add_conversation_organization()


def _add_conversation_organization() -> None:
    """conversations.organization_id. SQLite adds a column with its reference in place (a batch
    rebuild would drop and re-create conversations, which with foreign keys on cascades into
    members and messages); PostgreSQL adds the column and then the constraint."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE conversations ADD COLUMN organization_id INTEGER "
            "CONSTRAINT fk_conversations_organization_id_organizations "
            "REFERENCES organizations (id) ON DELETE CASCADE"
        )
    else:
        op.add_column("conversations", sa.Column("organization_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            "fk_conversations_organization_id_organizations",
            "conversations",
            "organizations",
            ["organization_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index("ix_conversations_organization_id", "conversations", ["organization_id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_organization_id", table_name="conversations")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE conversations DROP COLUMN organization_id")
    else:
        op.drop_constraint(
            "fk_conversations_organization_id_organizations", "conversations", type_="foreignkey"
        )
        op.drop_column("conversations", "organization_id")
    with op.batch_alter_table("ding_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_ding_recipients_user_id_confirmed_at")
        batch_op.drop_index("ix_ding_recipients_next_due_at")

    op.drop_table("ding_recipients")
    with op.batch_alter_table("ding_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_ding_attempts_ding_id")

    op.drop_table("ding_attempts")
    with op.batch_alter_table("dings", schema=None) as batch_op:
        batch_op.drop_index("ix_dings_status_send_at")
        batch_op.drop_index("ix_dings_organization_id_sender_id")

    op.drop_table("dings")
    with op.batch_alter_table("department_members", schema=None) as batch_op:
        batch_op.drop_index("ix_department_members_organization_id_user_id")

    op.drop_table("department_members")
    op.drop_table("announcement_departments")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index("ix_departments_parent_id")
        batch_op.drop_index("ix_departments_organization_id_path")

    op.drop_table("departments")
    op.drop_table("announcement_reads")
    with op.batch_alter_table("org_members", schema=None) as batch_op:
        batch_op.drop_index("ix_org_members_user_id")
        batch_op.drop_index("ix_org_members_organization_id_search_key")

    op.drop_table("org_members")
    with op.batch_alter_table("org_join_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_org_join_requests_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_org_join_requests_organization_id_status")

    op.drop_table("org_join_requests")
    with op.batch_alter_table("org_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_org_invitations_organization_id")

    op.drop_table("org_invitations")
    with op.batch_alter_table("org_contact_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_org_contact_invitations_phone")
        batch_op.drop_index("ix_org_contact_invitations_organization_id")
        batch_op.drop_index("ix_org_contact_invitations_email")

    op.drop_table("org_contact_invitations")
    with op.batch_alter_table("external_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_external_contacts_organization_id_search_key")

    op.drop_table("external_contacts")
    op.drop_table("ding_policies")
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index("ix_announcements_organization_id")

    op.drop_table("announcements")
    op.drop_table("organizations")
