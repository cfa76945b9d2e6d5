"""The directory of an organization: departments (a tree by materialised path), who sits in which
(and who leads it), and external contacts."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, text

from lakeside.store.tables.base import Id, Ms, metadata

departments = Table(
    "departments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Id, ForeignKey("departments.id", ondelete="CASCADE")),
    Column("name", String(64), nullable=False),
    Column("search_key", String(256), nullable=False),
    # Materialised path of ids, "/3/7/": a subtree is one LIKE '/3/%' on the index.
    Column("path", String(512), nullable=False),
    Column("depth", Integer, nullable=False),
    Column("sort_order", Integer, nullable=False, server_default=text("0")),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="SET NULL")),
    Column("member_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_departments_organization_id_path", "organization_id", "path"),
    Index("ix_departments_parent_id", "parent_id"),
)

department_members = Table(
    "department_members",
    metadata,
    Column("department_id", Id, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("is_leader", Boolean, nullable=False, server_default=text("false")),
    Column("joined_at", Ms, nullable=False),
    Index("ix_department_members_organization_id_user_id", "organization_id", "user_id"),
)

external_contacts = Table(
    "external_contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("company", String(128), nullable=False, server_default=""),
    Column("title", String(64), nullable=False, server_default=""),
    Column("phone", String(32)),
    Column("email", String(320)),
    Column("tags", String(1024), nullable=False, server_default="|"),  # "|tag one|tag two|"
    Column("note", String(512), nullable=False, server_default=""),
    Column("search_key", String(512), nullable=False),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_external_contacts_organization_id_search_key", "organization_id", "search_key"),
)
