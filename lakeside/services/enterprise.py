"""The enterprise workspace's services, grouped so the shared container holds them as one."""

from __future__ import annotations

from lakeside.services.announcements import Announcements
from lakeside.services.audit import AuditLog
from lakeside.services.contacts import ExternalContacts
from lakeside.services.context import Context
from lakeside.services.ding import Dings
from lakeside.services.ding_escalation import DingEscalation
from lakeside.services.directory import Directory
from lakeside.services.invitations import Invitations
from lakeside.services.organizations import Organizations


class Enterprise:
    def __init__(self, ctx: Context) -> None:
        self.organizations = Organizations(ctx)
        self.invitations = Invitations(ctx, self.organizations)
        self.directory = Directory(ctx)
        self.contacts = ExternalContacts(ctx)
        self.dings = Dings(ctx)
        self.escalation = DingEscalation(ctx, self.dings)
        self.announcements = Announcements(ctx, self.dings)
        self.audit = AuditLog(ctx)
