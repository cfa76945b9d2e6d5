"""Reminders to write daily reports (日志): a template's rule (admins: at hh:mm on chosen weekdays,
in a time zone; monthly templates on the month's last day) and the worker's round, which sends a
work notice to each active member who has not sent a report of the template for the period — once
per person per period, since the rule's period is claimed by a conditional UPDATE before anyone is
told (several nodes may run the worker)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import clock
from lakeside.domain import reports as rules
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid
from lakeside.services import audit, work_notices
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.orgaccess import access_org
from lakeside.store import organizations as org_store
from lakeside.store import reports as store

TemplateLookup = Callable[[AsyncConnection, int, int], Awaitable[Row[Any]]]


class ReportReminders:
    def __init__(self, ctx: Context, template: TemplateLookup) -> None:
        self.ctx = ctx
        self.template = template  # the template of the organization, or 404

    @property
    def zone(self) -> str:
        return self.ctx.settings.work_timezone

    async def get_reminder(self, user: AuthUser, organization_id: int, template_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            template = await self.template(conn, organization_id, template_id)
            row = await store.get_reminder(conn, template_id)
        if row is None:
            default = "12345" if template.period == "day" else ("5" if template.period == "week" else "")
            return {
                "template_id": template_id,
                "enabled": False,
                "hour": 18,
                "minute": 0,
                "weekdays": [int(d) for d in default],
                "timezone": self.zone,
                "last_period": None,
            }
        return _reminder_view(row)

    async def do_set_reminder(
        self,
        user: AuthUser,
        organization_id: int,
        template_id: int,
        *,
        enabled: bool,
        hour: int,
        minute: int,
        weekdays: list[int],
        timezone: str | None,
    ) -> dict[str, Any]:
        if not 0 <= hour <= 23 or not 0 <= minute <= 59:
            raise Invalid("The time is hh:mm, 00:00 to 23:59.", code="INVALID_TIME")
        if any(not 1 <= d <= 7 for d in weekdays):
            raise Invalid("Weekdays are 1 (Monday) to 7 (Sunday).", code="INVALID_WEEKDAYS")
        zone = timezone or self.zone
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid("Unknown time zone.", code="INVALID_TIMEZONE") from None
        days = "".join(str(d) for d in sorted(set(weekdays)))
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True)
            template = await self.template(uow.conn, organization_id, template_id)
            if template.period == "month" and days:
                raise Invalid(
                    "A monthly reminder is on the month's last day; give no weekdays.",
                    code="INVALID_WEEKDAYS",
                )
            if enabled and template.period != "month" and not days:
                raise Invalid("Choose at least one weekday.", code="INVALID_WEEKDAYS")
            await store.save_reminder(
                uow.conn,
                {
                    "template_id": template_id,
                    "organization_id": organization_id,
                    "enabled": enabled,
                    "hour": hour,
                    "minute": minute,
                    "weekdays": days,
                    "timezone": zone,
                    "updated_at": now_ms(),
                },
            )
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="report_template.reminder",
                target_type="report_template",
                target_id=template_id,
                details={"enabled": enabled, "at": f"{hour:02d}:{minute:02d}", "weekdays": days},
            )
            row = await store.get_reminder(uow.conn, template_id)
            assert row is not None
            return _reminder_view(row)

    async def remind_due(self, now: int | None = None) -> int:
        """One round of the reminder worker: for each rule whose time has come in its zone today
        (and whose period it has not reminded yet), a work notice to each active member who has
        not sent a report for the period. The number of people reminded."""
        at = now_ms() if now is None else now
        async with self.ctx.db.read() as conn:
            rules_now = await store.enabled_reminders(conn)
        reminded = 0
        for rule in rules_now:
            moment = clock.local(at, rule.timezone)
            today = moment.date()
            if (moment.hour, moment.minute) < (rule.hour, rule.minute):
                continue
            if rule.period == "month":
                if (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) != today:
                    continue  # on the month's last day
            elif str(today.isoweekday()) not in rule.weekdays:
                continue
            period = rules.period_start(rule.period, today).isoformat()
            async with self.ctx.transaction() as uow:
                if not await store.claim_reminder(uow.conn, rule.template_id, period):
                    continue
                members = sorted(await org_store.active_member_ids(uow.conn, rule.organization_id))
                done = await store.submitted(
                    uow.conn, rule.organization_id, rule.template_id, period, members
                )
                pending = [m for m in members if m not in done]
                reminded += len(
                    await work_notices.notify(
                        uow,
                        organization_id=rule.organization_id,
                        user_ids=pending,
                        card=remind_card(rule.name, rule.template_id, period, None),
                        key=f"report:remind:{rule.template_id}:{period}",
                        now=at,
                    )
                )
        return reminded


def _reminder_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "template_id": row.template_id,
        "enabled": row.enabled,
        "hour": row.hour,
        "minute": row.minute,
        "weekdays": [int(d) for d in row.weekdays],
        "timezone": row.timezone,
        "last_period": row.last_period,
    }


def remind_card(name: str, template_id: int, period: str, leader: str | None) -> dict[str, Any]:
    who = f"{leader}提醒你" if leader else "提醒"
    return {
        "blocks": [
            {
                "type": "section",
                "title": f"{who}：请提交{name}（{period}）"[:300],
                "title_url": f"/#/reports/write/{template_id}?date={period}",
            },
            {
                "type": "buttons",
                "buttons": [{"title": "写日志", "url": f"/#/reports/write/{template_id}?date={period}"}],
            },
        ]
    }
