"""The schema, as SQLAlchemy Core tables, one module per area. Migrations in ``../migrations/``
create exactly this.

``base`` holds the one ``metadata`` and the column types ``Id`` and ``Ms``; each area module
defines its tables on that metadata: ``account`` (users, sessions), ``friend`` (friend requests,
friendships, blocks), ``conversation`` (conversations, their members, the members' drafts),
``message`` (messages, reactions, search tokens), ``file``, ``event`` (the event log),
``organization`` (organizations, members, invitations, join requests), ``directory``
(departments, external contacts), ``ding``, ``announcement``, ``audit``, ``growth`` (activity,
referrals, the wallet ledger), ``campaign`` (campaigns, the leaderboard's state, fraud flags),
``group`` (pinned messages, group notices, group invite links and join requests),
``favorite`` (each user's saved messages), ``bot`` (robots and bots), ``webhook`` (incoming
webhooks), ``outbound`` (outgoing robots, bots' event subscriptions and the delivery queue),
``forward`` (merged forwards' transcripts, voice messages' played state), ``privacy`` (data-export
jobs), ``sso`` (organizations' OpenID providers, linked external identities, log-ins under way)
``ldap`` (directory connections and their links) and ``report`` (daily reports: templates,
reports, receivers, comments, reminder rules). This package imports every area, so
``metadata`` is complete whatever one imports from here (Alembic's environment and the tests
compare the migrations with it), and re-exports every table: ``from lakeside.store.tables import
messages`` names one. A module is named after its area in the singular, so that none shares its
name with a table.
"""

from __future__ import annotations

from lakeside.store.tables.account import contact_verifications, sessions, users
from lakeside.store.tables.announcement import announcement_departments, announcement_reads, announcements
from lakeside.store.tables.approval import (
    approval_ccs,
    approval_files,
    approval_history,
    approval_requests,
    approval_role_members,
    approval_roles,
    approval_steps,
    approval_tasks,
    approval_template_versions,
    approval_templates,
)
from lakeside.store.tables.audit import audit_log
from lakeside.store.tables.base import Id, Ms, metadata
from lakeside.store.tables.bot import bots
from lakeside.store.tables.bot_api import bot_commands, bot_tokens, command_invocations
from lakeside.store.tables.campaign import (
    campaign_cursors,
    campaign_edges,
    campaign_participants,
    campaign_snapshots,
    campaigns,
    fraud_flags,
)
from lakeside.store.tables.conversation import conversation_drafts, conversation_members, conversations
from lakeside.store.tables.ding import ding_attempts, ding_policies, ding_recipients, dings
from lakeside.store.tables.directory import department_members, departments, external_contacts
from lakeside.store.tables.event import events
from lakeside.store.tables.favorite import favorites
from lakeside.store.tables.file import files
from lakeside.store.tables.forward import forward_sources, merged_record_files, merged_records, voice_plays
from lakeside.store.tables.friend import blocks, friend_requests, friendships
from lakeside.store.tables.group import (
    group_invitations,
    group_join_requests,
    group_notice_acks,
    group_notices,
    message_pins,
)
from lakeside.store.tables.growth import (
    activity_daily,
    ledger_accounts,
    ledger_entries,
    ledger_transactions,
    referral_codes,
    registrations,
)
from lakeside.store.tables.ldap import ldap_departments, ldap_directories, ldap_entries
from lakeside.store.tables.message import message_search, messages, reactions
from lakeside.store.tables.organization import (
    org_contact_invitations,
    org_invitations,
    org_join_requests,
    org_members,
    organizations,
)
from lakeside.store.tables.outbound import (
    bot_subscriptions,
    outbound_attempts,
    outbound_cursors,
    outbound_deliveries,
    robots,
)
from lakeside.store.tables.privacy import export_jobs
from lakeside.store.tables.report import (
    report_comments,
    report_conversations,
    report_files,
    report_receivers,
    report_reminders,
    report_templates,
    reports,
)
from lakeside.store.tables.sso import external_identities, oidc_logins, sso_providers
from lakeside.store.tables.todo import todo_assignees, todos
from lakeside.store.tables.webhook import webhooks

__all__ = [
    "Id",
    "Ms",
    "activity_daily",
    "announcement_departments",
    "announcement_reads",
    "announcements",
    "approval_ccs",
    "approval_files",
    "approval_history",
    "approval_requests",
    "approval_role_members",
    "approval_roles",
    "approval_steps",
    "approval_tasks",
    "approval_template_versions",
    "approval_templates",
    "audit_log",
    "blocks",
    "bot_commands",
    "bot_subscriptions",
    "bot_tokens",
    "bots",
    "campaign_cursors",
    "campaign_edges",
    "campaign_participants",
    "campaign_snapshots",
    "campaigns",
    "command_invocations",
    "contact_verifications",
    "conversation_drafts",
    "conversation_members",
    "conversations",
    "department_members",
    "departments",
    "ding_attempts",
    "ding_policies",
    "ding_recipients",
    "dings",
    "events",
    "export_jobs",
    "external_contacts",
    "external_identities",
    "favorites",
    "files",
    "forward_sources",
    "fraud_flags",
    "friend_requests",
    "friendships",
    "group_invitations",
    "group_join_requests",
    "group_notice_acks",
    "group_notices",
    "ldap_departments",
    "ldap_directories",
    "ldap_entries",
    "ledger_accounts",
    "ledger_entries",
    "ledger_transactions",
    "merged_record_files",
    "merged_records",
    "message_pins",
    "message_search",
    "messages",
    "metadata",
    "oidc_logins",
    "org_contact_invitations",
    "org_invitations",
    "org_join_requests",
    "org_members",
    "organizations",
    "outbound_attempts",
    "outbound_cursors",
    "outbound_deliveries",
    "reactions",
    "referral_codes",
    "registrations",
    "report_comments",
    "report_conversations",
    "report_files",
    "report_receivers",
    "report_reminders",
    "report_templates",
    "reports",
    "robots",
    "sessions",
    "sso_providers",
    "todo_assignees",
    "todos",
    "users",
    "voice_plays",
    "webhooks",
]
