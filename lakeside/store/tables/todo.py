"""To-dos (待办): the to-dos of an organization and each one's assignees, who mark it done for
themselves."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text

from lakeside.store.tables.base import Id, Ms, metadata

todos = Table(
    "todos",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("creator_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("priority", String(8), nullable=False),  # normal, high, urgent
    Column("due_at", Ms),
    Column("remind_at", Ms),
    # The reminder time whose notices went out (a changed remind_at is due again).
    Column("reminded_at", Ms),
    Column("source", String(8), nullable=False),  # scratch, message, ding
    # No foreign keys: a message recalled or expired, or a DING deleted, leaves the to-do standing.
    Column("message_id", BigInteger),
    Column("conversation_id", BigInteger),
    Column("ding_id", BigInteger),
    Column("done_at", Ms),  # every assignee done, or the creator closed it for everyone
    Column("deleted_at", Ms),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_todos_organization_id_creator_id", "organization_id", "creator_id"),
    Index("ix_todos_remind_at", "remind_at"),
)

todo_assignees = Table(
    "todo_assignees",
    metadata,
    Column("todo_id", Id, ForeignKey("todos.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("assigned_at", Ms, nullable=False),
    Column("done_at", Ms),
    Index("ix_todo_assignees_user_id", "user_id"),
)
