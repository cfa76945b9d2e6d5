"""Daily reports (日志): templates (with a version that moves when they change), reports with
the snapshot of the fields they were written with, who each report was sent to (and when they
read it), the groups it was posted in, its files, its comments, and the reminder rules."""

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

report_templates = Table(
    "report_templates",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    # daily, weekly, monthly for the built-in 日报/周报/月报; null for an admin's own.
    Column("builtin", String(16)),
    Column("name", String(64), nullable=False),
    Column("period", String(8), nullable=False),  # day, week, month
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("fields", Text, nullable=False),  # JSON: [{key, label, type, required}]
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    UniqueConstraint("organization_id", "builtin"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("template_id", Id, ForeignKey("report_templates.id", ondelete="CASCADE"), nullable=False),
    Column("template_version", Integer, nullable=False),
    Column("template_name", String(64), nullable=False),
    Column("period", String(8), nullable=False),
    Column("period_start", String(10), nullable=False),  # YYYY-MM-DD: the day, the Monday, the 1st
    Column("author_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(8), nullable=False),  # draft, sent
    Column("fields", Text, nullable=False),  # the template's fields as written with (JSON)
    Column("answers", Text, nullable=False),  # JSON: {key: value}
    Column("draft_user_ids", Text, nullable=False, server_default="[]"),
    Column("draft_conversation_ids", Text, nullable=False, server_default="[]"),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Column("sent_at", Ms),
    Index("ix_reports_author", "organization_id", "author_id", "id"),
    Index("ix_reports_period", "organization_id", "template_id", "period_start"),
)

report_receivers = Table(
    "report_receivers",
    metadata,
    Column("report_id", Id, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("read_at", Ms),
    Index("ix_report_receivers_user_id", "user_id", "report_id"),
)

report_conversations = Table(
    "report_conversations",
    metadata,
    Column("report_id", Id, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
)

report_files = Table(
    "report_files",
    metadata,
    Column("report_id", Id, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("file_id", String(32), ForeignKey("files.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_report_files_file_id", "file_id"),
)

report_comments = Table(
    "report_comments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("report_id", Id, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("body", Text, nullable=False),
    Column("mention_ids", Text, nullable=False, server_default="[]"),
    Column("created_at", Ms, nullable=False),
    Index("ix_report_comments_report_id", "report_id", "id"),
)

report_reminders = Table(
    "report_reminders",
    metadata,
    Column("template_id", Id, ForeignKey("report_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("hour", Integer, nullable=False),
    Column("minute", Integer, nullable=False),
    Column("weekdays", String(16), nullable=False),  # ISO weekdays, e.g. "12345" (Mon–Fri)
    Column("timezone", String(64), nullable=False),
    Column("last_period", String(10)),  # the period last reminded: once per person per period
    Column("updated_at", Ms, nullable=False),
)
