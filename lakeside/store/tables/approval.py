"""Approvals (审批): roles (角色) and their members, templates and their immutable versions,
requests, their steps and tasks (one per approver), the people copied, and the append-only history.

JSON documents (forms, flows, settings, values, history data) are Text holding JSON.
"""

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

approval_roles = Table(
    "approval_roles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(32), nullable=False),
    Column("created_at", Ms, nullable=False),
    UniqueConstraint("organization_id", "name"),
)

approval_role_members = Table(
    "approval_role_members",
    metadata,
    Column("role_id", Id, ForeignKey("approval_roles.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
)

approval_templates = Table(
    "approval_templates",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("description", String(512), nullable=False, server_default=""),
    Column("icon", String(32), nullable=False, server_default=""),
    Column("group_name", String(32), nullable=False, server_default=""),
    Column("builtin", String(16)),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("version_id", Id),  # the current version (no FK: the two tables point at each other)
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_approval_templates_organization_id", "organization_id"),
)

approval_template_versions = Table(
    "approval_template_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("template_id", Id, ForeignKey("approval_templates.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("form", Text, nullable=False),
    Column("flow", Text, nullable=False),
    Column("settings", Text, nullable=False),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    UniqueConstraint("template_id", "version"),
)

approval_requests = Table(
    "approval_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("serial", String(20), nullable=False),
    Column("template_id", Id, ForeignKey("approval_templates.id", ondelete="CASCADE"), nullable=False),
    Column("version_id", Id, ForeignKey("approval_template_versions.id", ondelete="CASCADE"), nullable=False),
    Column("applicant_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("department_id", Id, ForeignKey("departments.id", ondelete="SET NULL")),
    Column("department_name", String(64)),
    Column("title", String(128), nullable=False),
    Column("values", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, returned, approved, rejected, withdrawn
    Column("round", Integer, nullable=False, server_default=text("1")),
    Column("urged_at", Ms),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Column("finished_at", Ms),
    UniqueConstraint("organization_id", "serial"),
    Index("ix_approval_requests_organization_id_applicant_id", "organization_id", "applicant_id", "id"),
    Index("ix_approval_requests_organization_id_template_id", "organization_id", "template_id", "id"),
)

approval_steps = Table(
    "approval_steps",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", Id, ForeignKey("approval_requests.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("mode", String(8), nullable=False),  # any, all
    Column("origin", String(8), nullable=False, server_default="flow"),  # flow, added
    Column("status", String(16), nullable=False),  # waiting, pending, approved, rejected, returned, cancelled
    Column("cc", Text, nullable=False, server_default="[]"),  # user ids copied when it is approved
    Column("started_at", Ms),
    Column("finished_at", Ms),
    Column("remind_at", Ms),  # when its approvers are reminded (the template's remind_after_hours)
    Column("reminded_at", Ms),
    Index("ix_approval_steps_request_id", "request_id", "round", "position"),
    Index("ix_approval_steps_status_remind_at", "status", "remind_at"),
)

approval_tasks = Table(
    "approval_tasks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", Id, ForeignKey("approval_requests.id", ondelete="CASCADE"), nullable=False),
    Column("step_id", Id, ForeignKey("approval_steps.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # waiting, pending, approved, rejected, returned, transferred, auto_approved, cancelled
    Column("status", String(16), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("acted_at", Ms),
    Index("ix_approval_tasks_step_id", "step_id"),
    Index("ix_approval_tasks_organization_id_user_id_status", "organization_id", "user_id", "status"),
    Index("ix_approval_tasks_request_id", "request_id"),
)

approval_ccs = Table(
    "approval_ccs",
    metadata,
    Column("request_id", Id, ForeignKey("approval_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Ms, nullable=False),
    Column("read_at", Ms),
    Index("ix_approval_ccs_organization_id_user_id", "organization_id", "user_id"),
)

approval_history = Table(
    "approval_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", Id, ForeignKey("approval_requests.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("step_id", Id, ForeignKey("approval_steps.id", ondelete="SET NULL")),
    Column("comment", Text, nullable=False, server_default=""),
    Column("file_ids", Text, nullable=False, server_default="[]"),
    Column("data", Text, nullable=False, server_default="{}"),
    Column("created_at", Ms, nullable=False),
    Index("ix_approval_history_request_id", "request_id", "id"),
)

approval_files = Table(
    "approval_files",
    metadata,
    # The files a request's values or comments name: who sees the request downloads them (a file
    # in a field hidden from approvers only its applicant and the admins).
    Column("request_id", Id, ForeignKey("approval_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("file_id", String(32), ForeignKey("files.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("hidden", Boolean, nullable=False, server_default=text("false")),
    Index("ix_approval_files_file_id", "file_id"),
)
