"""Uploaded files: attachments and avatars, with type, size and hash (the bytes live on disk)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table, Text, text

from lakeside.store.tables.base import Id, Ms, metadata

files = Table(
    "files",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("purpose", String(16), nullable=False),  # attachment, avatar
    Column("filename", String(255), nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("has_thumbnail", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", Ms, nullable=False),
    # The file name as search tokens (domain/text.py index_tokens), for finding files by name.
    Column("name_words", Text, nullable=False, server_default=""),
    Column("name_chars", Text, nullable=False, server_default=""),
)
