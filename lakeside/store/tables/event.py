"""The event log: every durable event in stream order, which resuming clients read back."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, String, Table

from lakeside.store.tables.base import Id, Ms, metadata

# The append-only log of durable events. A client's stream position is the id of the last event it
# has seen; resume reads ``id > position`` for the conversations it belongs to and the events
# addressed to it. A message event stores only the message id and is filled in on read, so that a
# recall leaves no copy of the content here.
events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("op", String(32), nullable=False),
    Column("conversation_id", BigInteger),
    Column("user_id", BigInteger),
    Column("data", LargeBinary, nullable=False),  # orjson
    Column("created_at", Ms, nullable=False),
    # What the two columns above cannot say of who receives it (domain.events.Audience.extra):
    # orjson, NULL for most events.
    Column("audience", LargeBinary),
    Index("ix_events_conversation_id_id", "conversation_id", "id"),
    Index("ix_events_user_id_id", "user_id", "id"),
    # Positions must never be reused, even after pruning empties the table.
    sqlite_autoincrement=True,
)
