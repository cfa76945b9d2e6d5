"""Favourites (收藏): each user's saved messages, as copies made when saved.

A favourite keeps what the message said, who sent it and where, at the moment of saving, so it
stays readable after the saver leaves the conversation (and after the sender recalls the message:
the copy is the saver's, as in WeChat). An attachment stays downloadable for the saver: the
favourite names the file, ``store/files.py`` lets the saver read a file a favourite of theirs
names, and a file is deleted only once no message and no favourite refers to it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text

from lakeside.store.tables.base import Id, Ms, metadata

favorites = Table(
    "favorites",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # Where it came from; no foreign keys: the copy outlives the message's conversation.
    Column("message_id", BigInteger, nullable=False),
    Column("conversation_id", BigInteger, nullable=False),
    Column("conversation_kind", String(16), nullable=False),
    Column("conversation_title", String(64), nullable=False, server_default=""),
    Column("sender_id", BigInteger),
    Column("sender_name", String(64), nullable=False, server_default=""),
    Column("kind", String(16), nullable=False),  # text, markdown, image, file
    Column("body", Text, nullable=False, server_default=""),
    Column("html", Text),
    Column("file_id", String(32)),
    Column("sent_at", Ms, nullable=False),
    Column("created_at", Ms, nullable=False),
    # The message was recalled (or deleted) since: the copy is scrubbed, the entry stays as a tombstone.
    Column("recalled_at", Ms),
    # Search tokens (domain/text.py) of the body, the file name, the sender and the source.
    Column("words", Text, nullable=False, server_default=""),
    Column("chars", Text, nullable=False, server_default=""),
    UniqueConstraint("user_id", "message_id"),
    Index("ix_favorites_user_id_id", "user_id", "id"),
    Index(
        "ix_favorites_file_id",
        "file_id",
        sqlite_where=text("file_id IS NOT NULL"),
        postgresql_where=text("file_id IS NOT NULL"),
    ),
)
