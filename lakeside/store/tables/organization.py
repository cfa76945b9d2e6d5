"""Organizations (tenants): the organizations, their members, invitations (links and codes, or
addressed to a phone number or an e-mail address) and join requests.

The enterprise workspace's tables (here and in ``directory``, ``ding`` and ``announcement``) carry
``organization_id`` on every row (directly or through its parent), and every query filters on it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from lakeside.store.tables.base import Id, Ms, metadata

organizations = Table(
    "organizations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("logo_file_id", String(32)),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("invite_policy", String(16), nullable=False, server_default="admins"),  # admins, members
    Column("join_approval", Boolean, nullable=False, server_default=text("false")),
    # Null: the server's defaults for organization conversations.
    Column("recall_window_seconds", Integer),
    Column("edit_window_seconds", Integer),
    # Messages of the organization's conversations older than this many days are deleted (null: kept).
    Column("retention_days", Integer),
    Column("members_see_read_receipts", Boolean, nullable=False, server_default=text("true")),
    # The all-staff group (no foreign key: conversations already point here).
    Column("all_staff_conversation_id", BigInteger),
    Column("member_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
)

org_members = Table(
    "org_members",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),  # owner, admin, member
    Column("status", String(16), nullable=False),  # active, deactivated
    Column("name", String(64), nullable=False),  # the name used inside the organization
    # Lower-case name, full pinyin and initials, username, employee number: searched with LIKE.
    Column("search_key", String(512), nullable=False),
    Column("title", String(64)),
    Column("employee_no", String(32)),
    Column("work_phone", String(32)),
    Column("hide_phone", Boolean, nullable=False, server_default=text("false")),
    Column("joined_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    UniqueConstraint("organization_id", "employee_no"),
    Index("ix_org_members_user_id", "user_id"),
    Index("ix_org_members_organization_id_search_key", "organization_id", "search_key"),
)

org_invitations = Table(
    "org_invitations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),  # link, code
    Column("code", String(64), nullable=False, unique=True),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("expires_at", Ms),
    Column("max_uses", Integer),
    Column("use_count", Integer, nullable=False, server_default=text("0")),
    Column("revoked_at", Ms),
    Column("created_at", Ms, nullable=False),
    Index("ix_org_invitations_organization_id", "organization_id"),
)

# An invitation addressed to a phone number or an e-mail address; the account holding it may accept.
org_contact_invitations = Table(
    "org_contact_invitations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("phone", String(16)),
    Column("email", String(320)),
    Column("name", String(64)),
    Column("invited_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False),  # pending, accepted, revoked
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("decided_at", Ms),
    Index("ix_org_contact_invitations_organization_id", "organization_id"),
    Index("ix_org_contact_invitations_phone", "phone"),
    Index("ix_org_contact_invitations_email", "email"),
)

org_join_requests = Table(
    "org_join_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("invitation_id", BigInteger),
    Column("message", String(256), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # pending, approved, rejected, cancelled
    Column("decided_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("decided_at", Ms),
    Index("ix_org_join_requests_organization_id_status", "organization_id", "status"),
    Index(
        "uq_org_join_requests_pending",
        "organization_id",
        "user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)
