"""Incoming webhooks (群机器人): a URL with a secret token that posts into one group as a bot.

Each row binds a bot (``bots``/``users``, whose name and avatar the robot shows) to one
conversation and speaks one vendor dialect (DingTalk, Slack/Mattermost, WeCom, Feishu). The token
is stored only as its SHA-256 (``token_hash``) with a short ``token_prefix`` for display; the
signing secret (DingTalk's ``SEC…``, Feishu's) is stored as it is, because verifying an HMAC needs
it — as the vendors themselves must. ``revoked_at`` ends a robot at once: its token is then
unknown to the endpoints.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text, text

from lakeside.store.tables.base import Id, Ms, metadata

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("bot_user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("dialect", String(16), nullable=False),  # dingtalk, slack, wecom, feishu
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("token_prefix", String(16), nullable=False),
    Column("keywords", Text, nullable=False, server_default="[]"),  # JSON list of strings
    Column("ip_allowlist", Text, nullable=False, server_default="[]"),  # JSON list of CIDRs
    Column("secret", String(128)),  # the signing secret, null when signing is off
    # Whether the robot may @所有人: its creator managed the group when they made it.
    Column("may_mention_all", Boolean, nullable=False, server_default=text("false")),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Ms, nullable=False),
    Column("updated_at", Ms, nullable=False),
    Column("last_used_at", Ms),
    Column("revoked_at", Ms),
    Index("ix_webhooks_conversation_id", "conversation_id"),
    Index("ix_webhooks_bot_user_id", "bot_user_id"),
)
