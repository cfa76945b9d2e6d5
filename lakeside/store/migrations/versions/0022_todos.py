"""to-dos: todos and their assignees

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-08 02:30:00.000000

New tables (``store/tables/todo.py``): ``todos`` (an organization's to-dos: title, markdown
description, priority, due and reminder times, where it came from — a message or a DING — and
when it was done or deleted) and ``todo_assignees`` (who it is assigned to, each with their own
done time).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "todos",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("creator_id", ID, nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=True),
        sa.Column("remind_at", sa.BigInteger(), nullable=True),
        sa.Column("reminded_at", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("conversation_id", sa.BigInteger(), nullable=True),
        sa.Column("ding_id", sa.BigInteger(), nullable=True),
        sa.Column("done_at", sa.BigInteger(), nullable=True),
        sa.Column("deleted_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_todos_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_todos_creator_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_todos")),
    )
    op.create_index("ix_todos_organization_id_creator_id", "todos", ["organization_id", "creator_id"])
    op.create_index("ix_todos_remind_at", "todos", ["remind_at"])
    op.create_table(
        "todo_assignees",
        sa.Column("todo_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("assigned_at", sa.BigInteger(), nullable=False),
        sa.Column("done_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["todo_id"], ["todos.id"], name=op.f("fk_todo_assignees_todo_id_todos"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_todo_assignees_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("todo_id", "user_id", name=op.f("pk_todo_assignees")),
    )
    op.create_index("ix_todo_assignees_user_id", "todo_assignees", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_todo_assignees_user_id", table_name="todo_assignees")
    op.drop_table("todo_assignees")
    op.drop_index("ix_todos_remind_at", table_name="todos")
    op.drop_index("ix_todos_organization_id_creator_id", table_name="todos")
    op.drop_table("todos")
