"""Privacy: the data-export jobs (a user's own data, an organization's) that the export worker
builds into zip archives (data_dir/exports/<user>/<job>.zip), each downloadable by whoever asked
for it until ``expires_at``; then housekeeping deletes the file (services/exports.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table

from lakeside.store.tables.base import Id, Ms, metadata

export_jobs = Table(
    "export_jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # Null for a user's own data; an organization's export names it.
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE")),
    Column("status", String(16), nullable=False),  # queued, running, ready, failed, expired
    Column("size", BigInteger),  # the archive's bytes, once ready
    Column("error", String(256), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("started_at", Ms),
    Column("finished_at", Ms),
    Column("expires_at", Ms),
    Index("ix_export_jobs_user_id_created_at", "user_id", "created_at"),
    Index("ix_export_jobs_organization_id_created_at", "organization_id", "created_at"),
    Index("ix_export_jobs_status_id", "status", "id"),
)
