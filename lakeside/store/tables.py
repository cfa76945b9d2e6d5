"""The schema, as SQLAlchemy Core tables. Migrations in ``migrations/`` create exactly this.

Conventions: ids are 64-bit integers (rowid on SQLite); times are integer milliseconds since the
epoch (portable, sortable, no time-zone surprises on SQLite); booleans are real booleans.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import sqlite

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A 64-bit id that is SQLite's rowid there (so it autoincrements) and BIGSERIAL-like elsewhere.
Id = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
Ms = BigInteger  # milliseconds since the epoch

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("phone", String(16), unique=True),
    Column("email", String(320), unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("avatar_file_id", String(32)),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("invitation_code", String(64)),
    Column("last_seen_at", Ms),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_agent", String(256), nullable=False, server_default=""),
    Column("address", String(64), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("last_seen_at", Ms, nullable=False),
    Column("expires_at", Ms, nullable=False),
)

friend_requests = Table(
    "friend_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("from_user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("to_user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("greeting", String(256), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # pending, accepted, declined, cancelled
    Column("created_at", Ms, nullable=False),
    Column("decided_at", Ms),
    Index("ix_friend_requests_to_status", "to_user_id", "status"),
    Index("ix_friend_requests_from_status", "from_user_id", "status"),
    # At most one pending request per ordered pair.
    Index(
        "uq_friend_requests_pending",
        "from_user_id",
        "to_user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

# One row per direction, so that each side keeps its own remark name.
friendships = Table(
    "friendships",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("friend_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("remark", String(64)),
    Column("created_at", Ms, nullable=False),
    Index("ix_friendships_friend_id", "friend_id"),
)

blocks = Table(
    "blocks",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("blocked_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", Ms, nullable=False),
    Index("ix_blocks_blocked_id", "blocked_id"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # direct, group
    Column("title", String(64)),
    Column("avatar_file_id", String(32)),
    # "<low id>:<high id>" for a direct conversation, so that a pair has exactly one.
    Column("direct_key", String(48), unique=True),
    Column("member_cap", Integer, nullable=False),
    Column("member_count", Integer, nullable=False, server_default=text("0")),
    # The sequence number of the newest message; bumped in the transaction that inserts messages.
    Column("last_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("last_activity_at", Ms, nullable=False),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    # Set for organization groups (kinds org_all and department); see the enterprise section.
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE")),
    Index("ix_conversations_organization_id", "organization_id"),
)

conversation_members = Table(
    "conversation_members",
    metadata,
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),  # owner, admin, member
    # The highest sequence number this member has read; unread = last_seq - read_seq (minus own).
    Column("read_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("joined_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("joined_at", Ms, nullable=False),
    Column("pinned", Boolean, nullable=False, server_default=text("false")),
    Column("muted", Boolean, nullable=False, server_default=text("false")),
    Index("ix_conversation_members_user_id", "user_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("sender_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("client_msg_id", String(64)),
    Column("kind", String(16), nullable=False),  # text, markdown, image, file, system
    Column("body", Text, nullable=False, server_default=""),
    Column("html", Text),
    Column("reply_to_id", BigInteger),
    Column("mentions", Text),  # JSON list of user ids
    Column("mention_all", Boolean, nullable=False, server_default=text("false")),
    Column("file_id", String(32)),
    Column("created_at", Ms, nullable=False),
    Column("edited_at", Ms),
    Column("recalled_at", Ms),
    Column("recalled_by", BigInteger),
    UniqueConstraint("conversation_id", "seq"),
    # A retried send finds the original through this, across processes and restarts.
    UniqueConstraint("sender_id", "client_msg_id"),
    # Downloads check that a file is attached to a message the caller can see.
    Index(
        "ix_messages_file_id",
        "file_id",
        sqlite_where=text("file_id IS NOT NULL"),
        postgresql_where=text("file_id IS NOT NULL"),
    ),
    sqlite_autoincrement=True,
)

reactions = Table(
    "reactions",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("emoji", String(32), primary_key=True),
    Column("created_at", Ms, nullable=False),
)

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
)

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

# Index tokens for full-text search (see domain/text.py). The engine-specific index over it
# (FTS5 on SQLite, GIN over tsvector on PostgreSQL) is created by the migration.
message_search = Table(
    "message_search",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("conversation_id", BigInteger, nullable=False),
    Column("sender_id", BigInteger),
    Column("created_at", Ms, nullable=False),
    Column("words", Text, nullable=False),
    Column("chars", Text, nullable=False),
    Index("ix_message_search_conversation_id", "conversation_id", "created_at"),
)


# -- enterprise -----------------------------------------------------------------------------------
# Organizations (tenants), their directory, invitations, DING and announcements. Every row below
# carries ``organization_id`` (directly or through its parent), and every query filters on it.

organizations = Table(
    "organizations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("logo_file_id", String(32)),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("invite_policy", String(16), nullable=False, server_default="admins"),  # admins, members
    Column("join_approval", Boolean, nullable=False, server_default=text("false")),
    # Null: the server's defaults for organization conversations.
    Column("recall_window_seconds", Integer),
    Column("edit_window_seconds", Integer),
    Column("members_see_read_receipts", Boolean, nullable=False, server_default=text("true")),
    # The all-staff group (no foreign key: conversations already point here).
    Column("all_staff_conversation_id", BigInteger),
    Column("member_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
)

org_members = Table(
    "org_members",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),  # owner, admin, member
    Column("status", String(16), nullable=False),  # active, deactivated
    Column("name", String(64), nullable=False),  # the name used inside the organization
    # Lower-case name, full pinyin and initials, username, employee number: searched with LIKE.
    Column("search_key", String(512), nullable=False),
    Column("title", String(64)),
    Column("employee_no", String(32)),
    Column("work_phone", String(32)),
    Column("hide_phone", Boolean, nullable=False, server_default=text("false")),
    Column("joined_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    UniqueConstraint("organization_id", "employee_no"),
    Index("ix_org_members_user_id", "user_id"),
    Index("ix_org_members_organization_id_search_key", "organization_id", "search_key"),
)

departments = Table(
    "departments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Id, ForeignKey("departments.id", ondelete="CASCADE")),
    Column("name", String(64), nullable=False),
    Column("search_key", String(256), nullable=False),
    # Materialised path of ids, "/3/7/": a subtree is one LIKE '/3/%' on the index.
    Column("path", String(512), nullable=False),
    Column("depth", Integer, nullable=False),
    Column("sort_order", Integer, nullable=False, server_default=text("0")),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="SET NULL")),
    Column("member_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_departments_organization_id_path", "organization_id", "path"),
    Index("ix_departments_parent_id", "parent_id"),
)

department_members = Table(
    "department_members",
    metadata,
    Column("department_id", Id, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("is_leader", Boolean, nullable=False, server_default=text("false")),
    Column("joined_at", Ms, nullable=False),
    Index("ix_department_members_organization_id_user_id", "organization_id", "user_id"),
)

org_invitations = Table(
    "org_invitations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),  # link, code
    Column("code", String(64), nullable=False, unique=True),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("expires_at", Ms),
    Column("max_uses", Integer),
    Column("use_count", Integer, nullable=False, server_default=text("0")),
    Column("revoked_at", Ms),
    Column("created_at", Ms, nullable=False),
    Index("ix_org_invitations_organization_id", "organization_id"),
)

# An invitation addressed to a phone number or an e-mail address; the account holding it may accept.
org_contact_invitations = Table(
    "org_contact_invitations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("phone", String(16)),
    Column("email", String(320)),
    Column("name", String(64)),
    Column("invited_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False),  # pending, accepted, revoked
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("decided_at", Ms),
    Index("ix_org_contact_invitations_organization_id", "organization_id"),
    Index("ix_org_contact_invitations_phone", "phone"),
    Index("ix_org_contact_invitations_email", "email"),
)

org_join_requests = Table(
    "org_join_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("invitation_id", BigInteger),
    Column("message", String(256), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # pending, approved, rejected, cancelled
    Column("decided_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("decided_at", Ms),
    Index("ix_org_join_requests_organization_id_status", "organization_id", "status"),
    Index(
        "uq_org_join_requests_pending",
        "organization_id",
        "user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

external_contacts = Table(
    "external_contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("company", String(128), nullable=False, server_default=""),
    Column("title", String(64), nullable=False, server_default=""),
    Column("phone", String(32)),
    Column("email", String(320)),
    Column("tags", String(1024), nullable=False, server_default="|"),  # "|tag one|tag two|"
    Column("note", String(512), nullable=False, server_default=""),
    Column("search_key", String(512), nullable=False),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_external_contacts_organization_id_search_key", "organization_id", "search_key"),
)

# The escalation rules of an organization's DINGs; minutes after sending, null = step off.
ding_policies = Table(
    "ding_policies",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("app_after_minutes", Integer),
    Column("email_after_minutes", Integer),
    Column("sms_after_minutes", Integer),
    Column("voice_after_minutes", Integer),
    Column("webhook_url", String(2048)),
    Column("webhook_secret", String(256)),
    Column("updated_at", Ms, nullable=False),
)

dings = Table(
    "dings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("sender_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("body", Text, nullable=False, server_default=""),
    # A DING made from a message shows that message as it is now (a recall empties it).
    Column("message_id", Id, ForeignKey("messages.id", ondelete="SET NULL")),
    Column("conversation_id", BigInteger),
    Column("announcement_id", BigInteger),
    Column("status", String(16), nullable=False),  # scheduled, sent, cancelled
    Column("send_at", Ms, nullable=False),
    Column("sent_at", Ms),
    Column("recipient_count", Integer, nullable=False),
    Column("confirmed_count", Integer, nullable=False, server_default=text("0")),
    Column("last_reding_at", Ms),
    Column("created_at", Ms, nullable=False),
    Index("ix_dings_organization_id_sender_id", "organization_id", "sender_id"),
    Index("ix_dings_status_send_at", "status", "send_at"),
)

ding_recipients = Table(
    "ding_recipients",
    metadata,
    Column("ding_id", Id, ForeignKey("dings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("confirmed_at", Ms),
    # The next escalation step (app, email, sms, voice) and when it is due; null: nothing left.
    Column("next_step", String(8)),
    Column("next_due_at", Ms),
    Index("ix_ding_recipients_user_id_confirmed_at", "user_id", "confirmed_at"),
    Index("ix_ding_recipients_next_due_at", "next_due_at"),
)

ding_attempts = Table(
    "ding_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ding_id", Id, ForeignKey("dings.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(8), nullable=False),  # app, email, sms, voice
    Column("trigger", String(16), nullable=False),  # send, manual, escalation
    Column("status", String(16), nullable=False),  # pending, sent, failed, skipped
    Column("detail", String(512), nullable=False, server_default=""),
    Column("created_at", Ms, nullable=False),
    Column("finished_at", Ms),
    Index("ix_ding_attempts_ding_id", "ding_id", "id"),
)

announcements = Table(
    "announcements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("title", String(128), nullable=False),
    Column("body", Text, nullable=False),
    Column("pinned", Boolean, nullable=False, server_default=text("false")),
    Column("audience", String(16), nullable=False),  # all, departments
    Column("ding_id", BigInteger),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Index("ix_announcements_organization_id", "organization_id", "id"),
)

announcement_departments = Table(
    "announcement_departments",
    metadata,
    Column("announcement_id", Id, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Id, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)

announcement_reads = Table(
    "announcement_reads",
    metadata,
    Column("announcement_id", Id, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("read_at", Ms, nullable=False),
)

# Tables defined in their own modules on this same ``metadata`` (imported last: they import from here).
from lakeside.store import tables_audit, tables_campaigns, tables_growth  # noqa: E402, F401
