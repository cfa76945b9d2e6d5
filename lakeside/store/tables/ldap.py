"""LDAP / Active Directory: an organization's directory connection (``ldap_directories``), and the
links from the directory's stable ids (entryUUID, objectGUID) to the accounts it created
(``ldap_entries``) and the departments it created for its organizational units
(``ldap_departments``). A link is by stable id, never by DN: a renamed or moved entry stays the same
person or department. See services/ldap_sync.py and docs/integrations/ldap.md."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from lakeside.store.tables.base import Id, Ms, metadata

ldap_directories = Table(
    "ldap_directories",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("url", String(512), nullable=False),  # ldap://host:389 or ldaps://host:636
    Column("start_tls", Boolean, nullable=False, server_default=text("false")),
    Column("tls_ca_cert", Text),  # PEM certificates to trust instead of the system's
    Column("bind_dn", String(1024), nullable=False, server_default=""),
    # The service account's password: stored to be used, never returned by the API.
    Column("bind_password", String(1024), nullable=False, server_default=""),
    Column("base_dn", String(1024), nullable=False),
    Column("user_filter", String(1024), nullable=False),
    Column("attr_id", String(64), nullable=False),
    Column("attr_username", String(64), nullable=False),
    Column("attr_name", String(64), nullable=False),
    Column("attr_email", String(64), nullable=False, server_default=""),
    Column("attr_phone", String(64), nullable=False, server_default=""),
    Column("attr_title", String(64), nullable=False, server_default=""),
    Column("attr_employee_no", String(64), nullable=False, server_default=""),
    Column("sync_interval_minutes", Integer, nullable=False, server_default=text("60")),  # 0: on demand only
    Column("login_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("next_sync_at", Ms),
    Column("sync_claimed_until", Ms),  # a node running the sync holds it until then
    Column("last_sync_at", Ms),
    Column("last_sync_result", Text),  # JSON: counts, ok, the first errors
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Column("updated_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Index("ix_ldap_directories_next_sync_at", "next_sync_at"),
)

ldap_entries = Table(
    "ldap_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("stable_id", String(128), nullable=False),
    # One directory entry per account: the account was created by this directory.
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("dn", String(1024), nullable=False),
    Column("state", String(16), nullable=False),  # active, disabled (in the directory), gone
    Column("created_at", Ms, nullable=False),
    Column("synced_at", Ms, nullable=False),
    UniqueConstraint("organization_id", "stable_id", name="uq_ldap_entries_organization_id_stable_id"),
)

ldap_departments = Table(
    "ldap_departments",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("stable_id", String(128), primary_key=True),
    Column(
        "department_id", Id, ForeignKey("departments.id", ondelete="CASCADE"), nullable=False, unique=True
    ),
    Column("dn", String(1024), nullable=False),
)
