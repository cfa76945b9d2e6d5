"""The audit log: who did what to an organization (or to the server), when, from where.

Rows are written inside the transaction of the action they record, so an action and its audit
row commit or roll back together. ``details`` is a JSON object of the action's parameters (a new
role, a name before and after) — never message bodies, passwords or tokens. Migration
``0005_audit`` creates exactly this.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from lakeside.store.tables.base import Id, Ms, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True),
    # Null for server-wide actions (an account created by a server administrator).
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE")),
    # Null when the actor's account was since deleted, or for the command line.
    Column("actor_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=False, server_default=""),
    Column("target_id", Id),
    Column("details", Text, nullable=False, server_default="{}"),
    Column("address", String(64), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Index("ix_audit_log_organization_id_id", "organization_id", "id"),
    Index("ix_audit_log_actor_id", "actor_id"),
)
