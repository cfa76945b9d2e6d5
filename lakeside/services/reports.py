"""Daily reports (日志): members write 日报/周报/月报 (or an admin's own template) for a day, a week
or a month and send them to people and/or groups; receivers read them (the author sees who has),
comment with @mentions; a department leader sees who in their team has not written for a period
and reminds them; admins design templates and set reminder rules, which a worker applies.

Rules, as DingTalk has them: a sent report cannot be edited or withdrawn, only commented on (a
draft can be changed and deleted freely). A template's change makes a new version; a report keeps
the fields it was written with. Sending to a group posts the report's card there (through the one
send pipeline, as the author) and makes the group's members who are members of the organization
receivers, as they are at that moment. Receivers, commenters and leaders are told through work
notices (services/work_notices.py). Anyone who is neither the author nor a receiver — another
organization, a departed member, a colleague it was not sent to — gets 404, as if it did not
exist.

Reminder rules and their worker's round are in services/report_reminders.py.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import cards, clock, text
from lakeside.domain import reports as rules
from lakeside.domain.events import to_users
from lakeside.domain.events.reports import ReportCommented, ReportRead, ReportSent, ReportTemplateChanged
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services import audit, work_notices
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.message_writer import Draft, write_batch
from lakeside.services.orgaccess import access_org, emit_to_org, is_manager
from lakeside.services.report_reminders import ReportReminders, remind_card
from lakeside.store import conversations as conversation_store
from lakeside.store import directory as directory_store
from lakeside.store import files as file_store
from lakeside.store import organizations as org_store
from lakeside.store import reports as store

MAX_PAGE = 100
MAX_RECEIVERS = 200
MAX_CONVERSATIONS = 20
MAX_COMMENT_BYTES = 4000
GROUP_KINDS = ("group", "org_all", "department")
PERIOD_WORDS = {"day": "日报", "week": "周报", "month": "月报"}


def _report_not_found() -> NotFound:
    return NotFound("No such report.", code="REPORT_NOT_FOUND")


def _template_not_found() -> NotFound:
    return NotFound("No such report template.", code="REPORT_TEMPLATE_NOT_FOUND")


def template_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "builtin": row.builtin,
        "name": row.name,
        "period": row.period,
        "version": row.version,
        "fields": json.loads(row.fields),
        "archived": row.archived,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def report_view(
    row: Row[Any], *, read_at: int | None = None, counts: tuple[int, int] | None = None
) -> dict[str, Any]:
    total, read = counts or (0, 0)
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "template_id": row.template_id,
        "template_version": row.template_version,
        "template_name": row.template_name,
        "period": row.period,
        "date": row.period_start,
        "author_id": row.author_id,
        "status": row.status,
        "fields": json.loads(row.fields),
        "answers": json.loads(row.answers),
        "user_ids": json.loads(row.draft_user_ids),
        "conversation_ids": json.loads(row.draft_conversation_ids),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "sent_at": row.sent_at,
        "read_at": read_at,
        "receiver_count": total,
        "read_count": read,
    }


def comment_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "report_id": row.report_id,
        "author_id": row.author_id,
        "body": row.body,
        "mention_ids": json.loads(row.mention_ids),
        "created_at": row.created_at,
    }


def _day(period: str, value: str | None, zone: str, now: int) -> str:
    day = rules.parse_date(value) if value else clock.local_date(now, zone)
    return rules.period_start(period, day).isoformat()


def _card(
    author_name: str, row: Row[Any], fields: list[dict[str, Any]], answers: dict[str, Any]
) -> dict[str, Any]:
    title = f"{author_name}的{row.template_name}（{row.period_start}）"
    route = f"/#/reports/{row.id}"
    return {
        "blocks": [
            {
                "type": "section",
                "title": title[:300],
                "title_url": route,
                "fields": [
                    {"title": label[:100], "value": value, "short": False}
                    for label, value in rules.summary(fields, answers)
                ],
            },
            {"type": "buttons", "buttons": [{"title": "查看日志", "url": route}]},
        ]
    }


class Reports:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.reminders = ReportReminders(ctx, self._template)

    @property
    def zone(self) -> str:
        return self.ctx.settings.work_timezone

    # -- templates --------------------------------------------------------------------------------

    async def _ensure_builtins(self, conn: AsyncConnection, organization_id: int) -> None:
        missing = set(rules.BUILTINS) - await store.builtin_keys(conn, organization_id)
        now = now_ms()
        for key in [key for key in rules.BUILTINS if key in missing]:  # 日报, 周报, 月报 in that order
            spec = rules.BUILTINS[key]
            await store.insert_builtin(
                conn,
                {
                    "organization_id": organization_id,
                    "builtin": key,
                    "name": spec["name"],
                    "period": spec["period"],
                    "version": 1,
                    "fields": json.dumps(spec["fields"], ensure_ascii=False),
                    "created_at": now,
                    "updated_at": now,
                },
            )

    async def list_templates(
        self, user: AuthUser, organization_id: int, *, archived: bool
    ) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            _, me = await access_org(conn, user.id, organization_id)
            present = await store.builtin_keys(conn, organization_id)
        if present != set(rules.BUILTINS):
            async with self.ctx.transaction() as uow:
                await self._ensure_builtins(uow.conn, organization_id)
        async with self.ctx.db.read() as conn:
            rows = await store.list_templates(conn, organization_id, archived=archived and is_manager(me))
            return [template_view(row) for row in rows]

    async def _template(self, conn: AsyncConnection, organization_id: int, template_id: int) -> Row[Any]:
        row = await store.get_template(conn, organization_id, template_id)
        if row is None:
            raise _template_not_found()
        return row

    async def get_template(self, user: AuthUser, organization_id: int, template_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            return template_view(await self._template(conn, organization_id, template_id))

    async def do_create_template(
        self, user: AuthUser, organization_id: int, *, name: str, period: str, fields: list[dict[str, Any]]
    ) -> dict[str, Any]:
        name = text.clean_name(name, field="name", max_length=64)
        if period not in rules.PERIODS:
            raise Invalid("The period is day, week or month.", code="INVALID_PERIOD")
        cleaned = rules.check_fields(fields)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True)
            template_id = await store.insert_template(
                uow.conn,
                {
                    "organization_id": organization_id,
                    "name": name,
                    "period": period,
                    "version": 1,
                    "fields": json.dumps(cleaned, ensure_ascii=False),
                    "created_by": user.id,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            view = await self._changed(uow, organization, user, template_id, "report_template.create")
        return view

    async def _changed(
        self, uow: UnitOfWork, organization: Row[Any], user: AuthUser, template_id: int, action: str
    ) -> dict[str, Any]:
        row = await store.get_template(uow.conn, organization.id, template_id)
        assert row is not None
        view = template_view(row)
        await audit.record(
            uow,
            organization_id=organization.id,
            actor_id=user.id,
            action=action,
            target_type="report_template",
            target_id=template_id,
            details={"name": row.name, "version": row.version},
        )
        emit_to_org(uow, organization, ReportTemplateChanged(organization_id=organization.id, template=view))
        return view

    async def do_update_template(
        self, user: AuthUser, organization_id: int, template_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if changes.get("name") is not None:
            values["name"] = text.clean_name(changes["name"], field="name", max_length=64)
        if changes.get("fields") is not None:
            values["fields"] = json.dumps(rules.check_fields(changes["fields"]), ensure_ascii=False)
        if changes.get("archived") is not None:
            values["archived"] = bool(changes["archived"])
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True)
            row = await store.get_template(uow.conn, organization_id, template_id, for_update=True)
            if row is None:
                raise _template_not_found()
            if not values:
                return template_view(row)
            if "name" in values or "fields" in values:
                values["version"] = row.version + 1  # reports already written keep their copy
            await store.update_template(uow.conn, template_id, {**values, "updated_at": now_ms()})
            return await self._changed(uow, organization, user, template_id, "report_template.update")

    # -- writing ----------------------------------------------------------------------------------

    async def _recipients(
        self,
        conn: AsyncConnection,
        user: AuthUser,
        organization_id: int,
        user_ids: list[int],
        conversation_ids: list[int],
    ) -> tuple[list[int], list[int]]:
        """The people (active members, not the author) and the groups (which the author is in)."""
        if len(user_ids) > MAX_RECEIVERS or len(conversation_ids) > MAX_CONVERSATIONS:
            raise Invalid("Too many receivers.", code="TOO_MANY_RECEIVERS")
        people = sorted(set(user_ids) - {user.id})
        members = await org_store.get_members(conn, organization_id, people)
        for person in people:
            if person not in members or members[person].status != "active":
                raise NotFound("No such member.", code="MEMBER_NOT_FOUND", user_id=person)
        groups = sorted(set(conversation_ids))
        for conversation_id in groups:
            conversation = await conversation_store.get_conversation(conn, conversation_id)
            if (
                conversation is None
                or conversation.kind not in GROUP_KINDS
                or await conversation_store.get_membership(conn, conversation_id, user.id) is None
            ):
                raise NotFound(
                    "No such group.", code="CONVERSATION_NOT_FOUND", conversation_id=conversation_id
                )
        return people, groups

    async def _check_files(self, conn: AsyncConnection, user: AuthUser, ids: list[str]) -> None:
        for file_id in ids:
            if await file_store.get_owned_attachment(conn, file_id, user.id) is None:
                raise NotFound("No such file.", code="FILE_NOT_FOUND", file_id=file_id)

    async def do_write(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        template_id: int,
        day: str | None,
        answers: dict[str, Any],
        user_ids: list[int],
        conversation_ids: list[int],
        send: bool,
    ) -> dict[str, Any]:
        """A new report: kept as a draft, or sent at once (``send``)."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id)
            template = await self._template(uow.conn, organization_id, template_id)
            if template.archived:
                raise Conflict("This template is archived.", code="TEMPLATE_ARCHIVED")
            fields = json.loads(template.fields)
            cleaned = rules.check_answers(fields, answers, complete=send)
            people, groups = await self._recipients(
                uow.conn, user, organization_id, user_ids, conversation_ids
            )
            await self._check_files(uow.conn, user, rules.file_ids(fields, cleaned))
            report_id = await store.insert_report(
                uow.conn,
                {
                    "organization_id": organization_id,
                    "template_id": template_id,
                    "template_version": template.version,
                    "template_name": template.name,
                    "period": template.period,
                    "period_start": _day(template.period, day, self.zone, now),
                    "author_id": user.id,
                    "status": "draft",
                    "fields": template.fields,
                    "answers": json.dumps(cleaned, ensure_ascii=False),
                    "draft_user_ids": json.dumps(people),
                    "draft_conversation_ids": json.dumps(groups),
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await store.set_files(uow.conn, report_id, rules.file_ids(fields, cleaned))
            if send:
                return await self._send(uow, user, organization_id, report_id, now)
            row = await store.get_report(uow.conn, organization_id, report_id)
            assert row is not None
            return report_view(row)

    async def do_update_draft(
        self, user: AuthUser, organization_id: int, report_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id)
            row = await self._own_draft(uow.conn, user, organization_id, report_id)
            fields = json.loads(row.fields)
            values: dict[str, Any] = {"updated_at": now}
            if changes.get("answers") is not None:
                cleaned = rules.check_answers(fields, changes["answers"], complete=False)
                await self._check_files(uow.conn, user, rules.file_ids(fields, cleaned))
                await store.set_files(uow.conn, report_id, rules.file_ids(fields, cleaned))
                values["answers"] = json.dumps(cleaned, ensure_ascii=False)
            if changes.get("date") is not None:
                values["period_start"] = _day(row.period, changes["date"], self.zone, now)
            if changes.get("user_ids") is not None or changes.get("conversation_ids") is not None:
                people, groups = await self._recipients(
                    uow.conn,
                    user,
                    organization_id,
                    changes.get("user_ids")
                    if changes.get("user_ids") is not None
                    else json.loads(row.draft_user_ids),
                    changes.get("conversation_ids")
                    if changes.get("conversation_ids") is not None
                    else json.loads(row.draft_conversation_ids),
                )
                values["draft_user_ids"] = json.dumps(people)
                values["draft_conversation_ids"] = json.dumps(groups)
            await store.update_report(uow.conn, report_id, values)
            updated = await store.get_report(uow.conn, organization_id, report_id)
            assert updated is not None
            return report_view(updated)

    async def _own_draft(
        self, conn: AsyncConnection, user: AuthUser, organization_id: int, report_id: int
    ) -> Row[Any]:
        row = await store.get_report(conn, organization_id, report_id, for_update=True)
        if row is None or row.author_id != user.id:
            raise _report_not_found()
        if row.status != "draft":
            raise Conflict(
                "A sent report cannot be changed or withdrawn; comment on it instead.",
                code="REPORT_ALREADY_SENT",
            )
        return row

    async def do_send(self, user: AuthUser, organization_id: int, report_id: int) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id)
            row = await self._own_draft(uow.conn, user, organization_id, report_id)
            rules.check_answers(json.loads(row.fields), json.loads(row.answers), complete=True)
            await self._recipients(
                uow.conn,
                user,
                organization_id,
                json.loads(row.draft_user_ids),
                json.loads(row.draft_conversation_ids),
            )
            return await self._send(uow, user, organization_id, report_id, now)

    async def do_delete_draft(self, user: AuthUser, organization_id: int, report_id: int) -> None:
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id)
            await self._own_draft(uow.conn, user, organization_id, report_id)
            await store.delete_report(uow.conn, report_id)

    async def _send(
        self, uow: UnitOfWork, user: AuthUser, organization_id: int, report_id: int, now: int
    ) -> dict[str, Any]:
        conn = uow.conn
        row = await store.get_report(conn, organization_id, report_id)
        assert row is not None
        people: list[int] = json.loads(row.draft_user_ids)
        groups: list[int] = json.loads(row.draft_conversation_ids)
        if not people and not groups:
            raise Invalid("Send the report to at least one person or group.", code="NO_RECEIVERS")
        receivers = set(people)
        for conversation_id in groups:
            receivers |= set(await conversation_store.member_ids(conn, conversation_id))
        receivers.discard(user.id)
        active = await org_store.get_members(conn, organization_id, sorted(receivers))
        receivers = {uid for uid in receivers if uid in active and active[uid].status == "active"}
        await store.update_report(conn, report_id, {"status": "sent", "sent_at": now, "updated_at": now})
        await store.add_receivers(conn, report_id, sorted(receivers))
        await store.add_conversations(conn, report_id, groups)
        row = await store.get_report(conn, organization_id, report_id)
        assert row is not None
        author = await org_store.get_members(conn, organization_id, [user.id])
        fields, answers = json.loads(row.fields), json.loads(row.answers)
        card = _card(author[user.id].name, row, fields, answers)
        if groups:
            built = cards.build(card, trusted=True)
            body = cards.encode(built)
            drafts = [
                Draft(
                    sender_id=user.id,
                    conversation_id=conversation_id,
                    client_msg_id=f"report-{report_id}",
                    kind="card",
                    body=body,
                    html=None,
                    reply_to_id=None,
                )
                for conversation_id in groups
            ]
            for outcome in await write_batch(uow, drafts, now):
                if isinstance(outcome, Exception):
                    raise outcome
        # People named one by one hear of it in their work notices (the groups saw the card).
        await work_notices.notify(
            uow,
            organization_id=organization_id,
            user_ids=sorted(set(people) & receivers),
            card=card,
            key=f"report:{report_id}",
            now=now,
        )
        view = report_view(row, counts=(len(receivers), 0))
        uow.emit(ReportSent(report=view), to_users(*sorted(receivers | {user.id})))
        return view

    # -- reading ----------------------------------------------------------------------------------

    async def _access(
        self, conn: AsyncConnection, user: AuthUser, organization_id: int, report_id: int
    ) -> Row[Any]:
        await access_org(conn, user.id, organization_id)
        row = await store.get_report(conn, organization_id, report_id)
        if row is None:
            raise _report_not_found()
        if row.author_id == user.id:
            return row
        if row.status != "sent" or not await store.is_receiver(conn, report_id, user.id):
            raise _report_not_found()
        return row

    async def get(self, user: AuthUser, organization_id: int, report_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            row = await self._access(conn, user, organization_id, report_id)
            receivers = await store.receivers(conn, report_id)
            # Who has read it (and how many) is the author's alone.
            read = sum(1 for r in receivers.values() if r is not None) if row.author_id == user.id else 0
            view = report_view(row, read_at=receivers.get(user.id), counts=(len(receivers), read))
            view["conversation_ids"] = (
                await store.conversation_ids(conn, report_id) or view["conversation_ids"]
            )
            return view

    async def do_mark_read(self, user: AuthUser, organization_id: int, report_id: int) -> dict[str, Any]:
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row = await self._access(uow.conn, user, organization_id, report_id)
            if row.author_id != user.id and await store.mark_read(uow.conn, report_id, user.id, now):
                news = ReportRead(report_id=report_id, user_id=user.id, read_at=now)
                uow.emit(news, to_users(*sorted({user.id, row.author_id})))
        return await self.get(user, organization_id, report_id)

    async def readers(self, user: AuthUser, organization_id: int, report_id: int) -> dict[str, Any]:
        """For the author: each receiver, and when they read it (null: not yet)."""
        async with self.ctx.db.read() as conn:
            row = await self._access(conn, user, organization_id, report_id)
            if row.author_id != user.id:
                raise Forbidden("Only the author sees who has read a report.", code="NOT_REPORT_AUTHOR")
            receivers = await store.receivers(conn, report_id)
            members = await org_store.get_members(conn, organization_id, sorted(receivers))
        people = [
            {"user_id": uid, "name": members[uid].name if uid in members else "", "read_at": receivers[uid]}
            for uid in sorted(receivers)
        ]
        return {
            "report_id": report_id,
            "receiver_count": len(people),
            "read_count": sum(1 for p in people if p["read_at"] is not None),
            "receivers": people,
        }

    async def list_reports(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        box: str,
        template_id: int | None,
        sender_id: int | None,
        since: str | None,
        until: str | None,
        unread: bool,
        before_id: int | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        since = rules.parse_date(since, field="since").isoformat() if since else None
        until = rules.parse_date(until, field="until").isoformat() if until else None
        limit = max(1, min(limit, MAX_PAGE))
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            if box == "received":
                rows = await store.list_received(
                    conn,
                    organization_id,
                    user.id,
                    template_id=template_id,
                    sender_id=sender_id,
                    since=since,
                    until=until,
                    unread=unread,
                    before_id=before_id,
                    limit=limit,
                )
            else:
                rows = await store.list_by_author(
                    conn,
                    organization_id,
                    user.id,
                    status="sent" if box == "sent" else "draft",
                    template_id=template_id,
                    since=since,
                    until=until,
                    before_id=before_id,
                    limit=limit,
                )
            counts = await store.read_counts(conn, [row.id for row in rows])
            if box == "received":  # how many have read is the author's alone
                counts = {rid: (total, 0) for rid, (total, _) in counts.items()}
            views = [
                report_view(row, read_at=getattr(row, "read_at", None), counts=counts.get(row.id))
                for row in rows
            ]
            unread_count = await store.count_unread(conn, organization_id, user.id)
        return views, unread_count

    # -- comments ---------------------------------------------------------------------------------

    async def comments(self, user: AuthUser, organization_id: int, report_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            row = await self._access(conn, user, organization_id, report_id)
            if row.status != "sent":
                return []
            return [comment_view(c) for c in await store.list_comments(conn, report_id)]

    async def do_comment(
        self, user: AuthUser, organization_id: int, report_id: int, *, body: str, mention_ids: list[int]
    ) -> dict[str, Any]:
        body = text.clean_body(body, max_bytes=MAX_COMMENT_BYTES)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            row = await self._access(uow.conn, user, organization_id, report_id)
            if row.status != "sent":
                raise Conflict("A draft has no comments.", code="REPORT_NOT_SENT")
            receivers = await store.receivers(uow.conn, report_id)
            audience = set(receivers) | {row.author_id}
            # Only people who can read the report can be mentioned in it.
            mentioned = sorted(set(mention_ids) & audience - {user.id})
            comment_id = await store.insert_comment(
                uow.conn,
                {
                    "report_id": report_id,
                    "author_id": user.id,
                    "body": body,
                    "mention_ids": json.dumps(mentioned),
                    "created_at": now,
                },
            )
            comments = await store.list_comments(uow.conn, report_id)
            view = comment_view(next(c for c in comments if c.id == comment_id))
            uow.emit(ReportCommented(report_id=report_id, comment=view), to_users(*sorted(audience)))
            told = set(mentioned) | ({row.author_id} - {user.id})
            if told:
                names = await org_store.get_members(uow.conn, organization_id, [user.id])
                title = f"{names[user.id].name}评论了{row.template_name}（{row.period_start}）"
                await work_notices.notify(
                    uow,
                    organization_id=organization_id,
                    user_ids=sorted(told),
                    card={
                        "blocks": [
                            {
                                "type": "section",
                                "title": title[:300],
                                "title_url": f"/#/reports/{report_id}",
                                "text": body[:2000],
                            }
                        ]
                    },
                    key=f"report:{report_id}:comment:{comment_id}",
                    now=now,
                )
        return view

    # -- leaders ----------------------------------------------------------------------------------

    async def _team(self, conn: AsyncConnection, user: AuthUser, organization_id: int) -> set[int]:
        paths = await store.led_department_paths(conn, organization_id, user.id)
        if not paths:
            raise Forbidden("Only department leaders see their team's reports.", code="NOT_A_LEADER")
        return await directory_store.subtree_member_ids(conn, organization_id, paths) - {user.id}

    async def team_status(
        self, user: AuthUser, organization_id: int, *, template_id: int, day: str | None
    ) -> dict[str, Any]:
        """For a leader: the members of their departments (and all below) who have and have not
        sent a report of the template for the period of ``day`` (today by default)."""
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            template = await self._template(conn, organization_id, template_id)
            team = sorted(await self._team(conn, user, organization_id))
            period = _day(template.period, day, self.zone, now_ms())
            done = await store.submitted(conn, organization_id, template_id, period, team)
            members = await org_store.get_members(conn, organization_id, team)
        people = [
            {"user_id": uid, "name": members[uid].name, "report_id": done.get(uid)}
            for uid in team
            if uid in members
        ]
        return {
            "template_id": template_id,
            "period": template.period,
            "date": period,
            "submitted": [p for p in people if p["report_id"] is not None],
            "missing": [p for p in people if p["report_id"] is None],
        }

    async def do_remind_team(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        template_id: int,
        day: str | None,
        user_ids: list[int] | None,
    ) -> list[int]:
        """A leader reminds those of their team who have not written (all, or the ones named):
        a work notice each, once per leader, person and period. The ids reminded."""
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id)
            template = await self._template(uow.conn, organization_id, template_id)
            team = await self._team(uow.conn, user, organization_id)
            period = _day(template.period, day, self.zone, now)
            chosen = team if user_ids is None else set(user_ids)
            if not chosen <= team:
                raise NotFound("No such member of your team.", code="MEMBER_NOT_FOUND")
            done = await store.submitted(uow.conn, organization_id, template_id, period, sorted(chosen))
            pending = sorted(chosen - set(done))
            names = await org_store.get_members(uow.conn, organization_id, [user.id])
            await work_notices.notify(
                uow,
                organization_id=organization_id,
                user_ids=pending,
                card=remind_card(template.name, template_id, period, names[user.id].name),
                key=f"report:nudge:{template_id}:{period}:{user.id}",
                now=now,
            )
        return pending
