"""Announcements (公告): the announcements, the departments one is addressed to, and who has read
it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table, Text, text

from lakeside.store.tables.base import Id, Ms, metadata

announcements = Table(
    "announcements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("title", String(128), nullable=False),
    Column("body", Text, nullable=False),
    Column("pinned", Boolean, nullable=False, server_default=text("false")),
    Column("audience", String(16), nullable=False),  # all, departments
    Column("ding_id", BigInteger),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_announcements_organization_id", "organization_id", "id"),
)

announcement_departments = Table(
    "announcement_departments",
    metadata,
    Column("announcement_id", Id, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Id, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)

announcement_reads = Table(
    "announcement_reads",
    metadata,
    Column("announcement_id", Id, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("read_at", Ms, nullable=False),
)
