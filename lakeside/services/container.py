"""The service container that the composition root builds and the API layer reaches through."""

from __future__ import annotations

from lakeside.services.account_deletion import AccountDeletion
from lakeside.services.accounts import Accounts
from lakeside.services.approvals import Approvals
from lakeside.services.bot_accounts import BotAccounts
from lakeside.services.bot_commands import BotCommands
from lakeside.services.bot_subscriptions import BotSubscriptions
from lakeside.services.context import Context
from lakeside.services.conversations import Conversations
from lakeside.services.drafts import Drafts
from lakeside.services.enterprise import Enterprise
from lakeside.services.exports import Exports
from lakeside.services.favorites import Favorites
from lakeside.services.files import Files
from lakeside.services.forwards import Forwards
from lakeside.services.friends import Friends
from lakeside.services.group_invites import GroupInvites
from lakeside.services.group_notices import GroupNotices
from lakeside.services.growth import Growth
from lakeside.services.growth.campaigns import Campaigns
from lakeside.services.growth.fraud import Fraud
from lakeside.services.growth.leaderboard import Leaderboard
from lakeside.services.health import Health
from lakeside.services.housekeeping import Housekeeping
from lakeside.services.ldap_client import Client as LdapClient
from lakeside.services.ldap_directory import LdapDirectories
from lakeside.services.ldap_sync import LdapSync
from lakeside.services.messages import Messages
from lakeside.services.mutes import Mutes
from lakeside.services.outbound import Outbound
from lakeside.services.pins import Pins
from lakeside.services.presence import Presence
from lakeside.services.receipts import Receipts
from lakeside.services.reports import Reports
from lakeside.services.retention import Retention
from lakeside.services.robots import Robots
from lakeside.services.search import Search
from lakeside.services.sso import Sso
from lakeside.services.sync import Sync
from lakeside.services.todos import Todos
from lakeside.services.verification import Verification
from lakeside.services.voice import Voice
from lakeside.services.webhook_delivery import WebhookDelivery
from lakeside.services.webhooks import Webhooks


class Services:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.growth = Growth(ctx)
        self.accounts = Accounts(ctx, self.growth)
        self.friends = Friends(ctx)
        self.accounts.befriend_in = self.friends.befriend_in  # a referral makes two friends
        self.verification = Verification(ctx)
        self.files = Files(ctx, self.accounts)
        self.conversations = Conversations(ctx)
        self.drafts = Drafts(ctx, self.conversations)
        self.messages = Messages(ctx, self.conversations, self.files, self.growth.activity)
        self.forwards = Forwards(self.messages)
        self.voice = Voice(self.messages)
        self.sync = Sync(ctx)
        self.receipts = Receipts(ctx, self.conversations)
        self.presence = Presence(ctx)
        self.search = Search(ctx, self.conversations)
        # Group tools and favourites.
        self.pins = Pins(ctx, self.conversations)
        self.group_notices = GroupNotices(ctx, self.conversations)
        self.mutes = Mutes(ctx, self.conversations)
        self.group_invites = GroupInvites(ctx, self.conversations)
        self.favorites = Favorites(ctx, self.conversations, self.files)
        self.webhooks = Webhooks(ctx, self.conversations)
        self.webhook_delivery = WebhookDelivery(ctx, self.messages.writer)
        self.enterprise = Enterprise(ctx)
        self.approvals = Approvals(ctx, self.enterprise.dings)
        # LDAP / Active Directory: sync into the organization, log-in by bind.
        ldap_client = LdapClient(ctx.settings)
        self.ldap_sync = LdapSync(
            ctx,
            self.enterprise.organizations,
            self.enterprise.directory,
            ldap_client,
            self.accounts.sessions.forget_user,
        )
        self.ldap = LdapDirectories(ctx, self.ldap_sync, ldap_client)
        self.accounts.directory_login = self.ldap
        self.leaderboard = Leaderboard(ctx)
        self.campaigns = Campaigns(ctx, self.leaderboard)
        self.fraud = Fraud(ctx, self.campaigns)
        self.housekeeping = Housekeeping(ctx)
        # Privacy: account deletion, data exports, retention.
        self.account_deletion = AccountDeletion(
            ctx, self.accounts, self.enterprise.organizations, self.conversations, self.friends, self.files
        )
        self.exports = Exports(ctx)
        self.account_deletion.on_deleted.append(self.exports.forget_user)
        self.retention = Retention(ctx, self.files)
        self.health = Health(ctx)
        # Integrations, outbound: one delivery queue for outgoing robots and bots' subscriptions.
        self.outbound = Outbound(ctx)
        self.robots = Robots(ctx, self.outbound, self.messages.writer)
        self.bot_subscriptions = BotSubscriptions(ctx, self.outbound)
        # API bots: their accounts and tokens, and their slash commands.
        self.bot_accounts = BotAccounts(ctx, self.accounts)
        self.bot_commands = BotCommands(ctx, self.bot_accounts, self.messages.writer)
        # Single sign-on (OpenID Connect).
        self.sso = Sso(ctx, self.accounts, self.enterprise.organizations)
        # Work apps: daily reports (日志).
        self.reports = Reports(ctx)
        # Work apps: to-dos (待办).
        self.todos = Todos(ctx)

    async def start(self) -> None:
        """Start background tasks (the message writer, deferred jobs)."""
        await self.messages.writer.start()
        await self.growth.start()
        await self.accounts.start()

    async def stop(self) -> None:
        """Stop background tasks, letting work in flight finish."""
        await self.accounts.stop()
        await self.messages.writer.stop()
        await self.growth.stop()
        await self.ctx.limits.close()
