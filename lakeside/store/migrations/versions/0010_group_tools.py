"""group tools, favourites, and search keys for conversations, people and file names

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14 10:00:00.000000

New tables: ``message_pins``, ``group_notices`` and ``group_notice_acks``, ``group_invitations``
and ``group_join_requests`` (``store/tables/group.py``), ``favorites``
(``store/tables/favorite.py``). New columns: mute-all and join approval on ``conversations``, a
member's mute on ``conversation_members``; search keys (name, full pinyin, initials) on
``conversations`` (titles), ``users`` (display names) and ``friendships`` (remarks); the file name
as search tokens on ``files``. The keys of rows already there are computed here, in batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from lakeside.domain.pinyin import search_key
from lakeside.domain.text import index_tokens

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "favorites",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_kind", sa.String(length=16), nullable=False),
        sa.Column("conversation_title", sa.String(length=64), server_default="", nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("sender_name", sa.String(length=64), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("words", sa.Text(), server_default="", nullable=False),
        sa.Column("chars", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favorites_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favorites")),
        sa.UniqueConstraint("user_id", "message_id", name=op.f("uq_favorites_user_id_message_id")),
    )
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.create_index(
            "ix_favorites_file_id",
            ["file_id"],
            unique=False,
            sqlite_where=sa.text("file_id IS NOT NULL"),
            postgresql_where=sa.text("file_id IS NOT NULL"),
        )
        batch_op.create_index("ix_favorites_user_id_id", ["user_id", "id"], unique=False)

    op.create_table(
        "group_invitations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_group_invitations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_group_invitations_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_invitations")),
        sa.UniqueConstraint("token", name=op.f("uq_group_invitations_token")),
    )
    with op.batch_alter_table("group_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_group_invitations_conversation_id", ["conversation_id"], unique=False)

    op.create_table(
        "group_join_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("invitation_id", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.String(length=256), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_group_join_requests_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_group_join_requests_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_group_join_requests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_join_requests")),
    )
    with op.batch_alter_table("group_join_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_join_requests_conversation_id_status", ["conversation_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_group_join_requests_pending",
            ["conversation_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "group_notice_acks",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("acked_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_group_notice_acks_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_group_notice_acks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("conversation_id", "user_id", name=op.f("pk_group_notice_acks")),
    )
    op.create_table(
        "group_notices",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", ID, nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_group_notices_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_group_notices_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_group_notices")),
    )
    op.create_table(
        "message_pins",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("pinned_by", ID, nullable=True),
        sa.Column("pinned_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_message_pins_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_pins_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pinned_by"], ["users.id"], name=op.f("fk_message_pins_pinned_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("conversation_id", "message_id", name=op.f("pk_message_pins")),
    )

    # New columns are added in place (ALTER TABLE … ADD COLUMN on both engines): these tables are
    # referenced by others, and SQLite's copy-and-rename would cascade deletes through them.
    op.add_column("conversation_members", sa.Column("mute_until", sa.BigInteger(), nullable=True))
    op.add_column(
        "conversations", sa.Column("search_key", sa.String(length=512), server_default="", nullable=False)
    )
    op.add_column(
        "conversations", sa.Column("mute_all", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column(
        "conversations",
        sa.Column("join_approval", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("files", sa.Column("name_words", sa.Text(), server_default="", nullable=False))
    op.add_column("files", sa.Column("name_chars", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "friendships", sa.Column("remark_key", sa.String(length=512), server_default="", nullable=False)
    )
    op.add_column("users", sa.Column("search_key", sa.String(length=512), server_default="", nullable=False))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_conversation_id_id_files",
            ["conversation_id", "id"],
            unique=False,
            sqlite_where=sa.text("file_id IS NOT NULL"),
            postgresql_where=sa.text("file_id IS NOT NULL"),
        )

    _backfill()


def _key(value: str | None) -> str:
    return search_key(value) if value else ""


def _backfill() -> None:
    """Search keys and file name tokens for the rows that existed before this revision."""
    bind = op.get_bind()
    conversations = sa.table(
        "conversations", sa.column("id", sa.BigInteger()), sa.column("title"), sa.column("search_key")
    )
    users = sa.table(
        "users", sa.column("id", sa.BigInteger()), sa.column("display_name"), sa.column("search_key")
    )
    files = sa.table(
        "files",
        sa.column("id", sa.String()),
        sa.column("filename"),
        sa.column("name_words"),
        sa.column("name_chars"),
    )
    friendships = sa.table(
        "friendships",
        sa.column("user_id", sa.BigInteger()),
        sa.column("friend_id", sa.BigInteger()),
        sa.column("remark"),
        sa.column("remark_key"),
    )

    def each(table: Any, keys: list[str], source: str, values: Callable[[Any], dict[str, Any]]) -> None:
        """Rows of ``table`` with a non-empty ``source``, in key order, a batch at a time."""
        columns = [table.c[k] for k in keys]
        after: tuple[Any, ...] | None = None
        while True:
            query = sa.select(*columns, table.c[source]).where(table.c[source].is_not(None))
            if after is not None:
                query = query.where(sa.tuple_(*columns) > sa.tuple_(*after))
            rows = bind.execute(query.order_by(*columns).limit(BATCH)).all()
            if not rows:
                return
            updates = [
                {**{f"k_{k}": getattr(row, k) for k in keys}, **values(getattr(row, source))} for row in rows
            ]
            statement = table.update().where(*(table.c[k] == sa.bindparam(f"k_{k}") for k in keys))
            bind.execute(
                statement.values(
                    {name: sa.bindparam(name) for name in updates[0] if not name.startswith("k_")}
                ),
                updates,
            )
            after = tuple(getattr(rows[-1], k) for k in keys)

    each(conversations, ["id"], "title", lambda title: {"search_key": _key(title)})
    each(users, ["id"], "display_name", lambda name: {"search_key": _key(name)})
    each(friendships, ["user_id", "friend_id"], "remark", lambda remark: {"remark_key": _key(remark)})

    def tokens(filename: str) -> dict[str, Any]:
        words, chars = index_tokens(filename)
        return {"name_words": words, "name_chars": chars}

    each(files, ["id"], "filename", tokens)


def downgrade() -> None:
    op.drop_index("ix_messages_conversation_id_id_files", table_name="messages")
    for table, column in (
        ("users", "search_key"),
        ("friendships", "remark_key"),
        ("files", "name_chars"),
        ("files", "name_words"),
        ("conversations", "join_approval"),
        ("conversations", "mute_all"),
        ("conversations", "search_key"),
        ("conversation_members", "mute_until"),
    ):
        op.drop_column(table, column)
    op.drop_table("message_pins")
    op.drop_table("group_notices")
    op.drop_table("group_notice_acks")
    op.drop_index("uq_group_join_requests_pending", table_name="group_join_requests")
    op.drop_index("ix_group_join_requests_conversation_id_status", table_name="group_join_requests")
    op.drop_table("group_join_requests")
    op.drop_index("ix_group_invitations_conversation_id", table_name="group_invitations")
    op.drop_table("group_invitations")
    op.drop_index("ix_favorites_user_id_id", table_name="favorites")
    op.drop_index("ix_favorites_file_id", table_name="favorites")
    op.drop_table("favorites")
