"""Announcements (公告): admins publish to the whole organization or to chosen departments (and
everything below them), optionally pinned and optionally as a DING. Members list what is meant
for them with unread badges and mark them read; the author and admins see how many have read
one and who has not.

The audience is evaluated when asked, from the directory as it is now: someone who joins a
targeted department later sees the announcement too (and counts as not having read it). A read
is one row per reader — announcements are few, so that stays small.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import text
from lakeside.domain.events import to_conversation, to_users
from lakeside.domain.events.enterprise import (
    AnnouncementDeleted,
    AnnouncementPublished,
    AnnouncementRead,
    AnnouncementUpdated,
)
from lakeside.domain.markdown import render_markdown
from lakeside.domain.tokens import now_ms
from lakeside.errors import Forbidden, Invalid, NotFound
from lakeside.services import audit
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.ding import Dings
from lakeside.services.orgaccess import access_org, is_manager
from lakeside.store import announcements as store
from lakeside.store import directory as directory_store
from lakeside.store import organizations as org_store

MAX_BODY_BYTES = 32 * 1024
MAX_PAGE = 100


def _not_found() -> NotFound:
    return NotFound("No such announcement.", code="ANNOUNCEMENT_NOT_FOUND")


def announcement_view(row: Row[Any], department_ids: list[int], read_at: int | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "author_id": row.author_id,
        "title": row.title,
        "body": row.body,
        "html": render_markdown(row.body),
        "pinned": row.pinned,
        "audience": row.audience,
        "department_ids": department_ids,
        "ding_id": row.ding_id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "read_at": read_at,
    }


class Announcements:
    def __init__(self, ctx: Context, dings: Dings) -> None:
        self.ctx = ctx
        self.dings = dings

    async def _audience(
        self, conn: AsyncConnection, organization_id: int, department_ids: list[int]
    ) -> set[int]:
        if not department_ids:
            return set(await org_store.active_member_ids(conn, organization_id))
        departments = await directory_store.get_departments(conn, organization_id, department_ids)
        return await directory_store.subtree_member_ids(
            conn, organization_id, [d.path for d in departments.values()]
        )

    async def do_publish(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        title: str,
        body: str,
        pinned: bool,
        department_ids: list[int],
        as_ding: bool,
    ) -> dict[str, Any]:
        title = text.clean_name(title, field="title", max_length=128)
        body = text.clean_body(body, max_bytes=MAX_BODY_BYTES)
        department_ids = sorted(set(department_ids))
        now = now_ms()
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True)
            found = await directory_store.get_departments(uow.conn, organization_id, department_ids)
            missing = set(department_ids) - set(found)
            if missing:
                raise NotFound("No such department.", code="DEPARTMENT_NOT_FOUND", department_id=min(missing))
            announcement_id = await store.insert_announcement(
                uow.conn,
                {
                    "organization_id": organization_id,
                    "author_id": user.id,
                    "title": title,
                    "body": body,
                    "pinned": pinned,
                    "audience": "departments" if department_ids else "all",
                    "created_at": now,
                    "updated_at": now,
                },
                department_ids,
            )
            audience = await self._audience(uow.conn, organization_id, department_ids)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="announcement.publish",
                target_type="announcement",
                target_id=announcement_id,
                details={"title": title, "department_ids": department_ids, "as_ding": as_ding},
            )
            if as_ding:
                recipients = sorted(audience - {user.id})
                if not recipients:
                    raise Invalid("Nobody besides you would receive this DING.", code="NO_RECIPIENTS")
                ding_id = await self.dings.create(
                    uow,
                    organization_id=organization_id,
                    sender_id=user.id,
                    recipients=recipients,
                    body=_ding_text(title, body),
                    message_id=None,
                    conversation_id=None,
                    announcement_id=announcement_id,
                    send_at=None,
                    now=now,
                )
                await store.update_announcement(uow.conn, announcement_id, {"ding_id": ding_id})
            await store.mark_read(uow.conn, announcement_id, user.id, now)  # the author has read it
            row = await store.get_announcement(uow.conn, organization_id, announcement_id)
            assert row is not None
            view = announcement_view(row, department_ids, None)
            self._emit(uow, organization, AnnouncementPublished(**view), audience)
        return {**view, "read_at": now}

    @staticmethod
    def _emit(
        uow: UnitOfWork,
        organization: Row[Any],
        event: AnnouncementPublished | AnnouncementUpdated | AnnouncementDeleted,
        audience: set[int],
    ) -> None:
        """To all: one event on the all-staff group. To departments (or an organization without
        an all-staff group): one row per person in them."""
        if event.audience == "all" and organization.all_staff_conversation_id:
            uow.emit(event, to_conversation(organization.all_staff_conversation_id))
        elif audience:
            uow.emit(event, to_users(*sorted(audience)))

    async def list(
        self, user: AuthUser, organization_id: int, *, everything: bool, before_id: int | None, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Pinned first, then newest; ``everything`` (admins) includes those meant for others."""
        async with self.ctx.db.read() as conn:
            _, me = await access_org(conn, user.id, organization_id)
            if everything and not is_manager(me):
                raise Forbidden("Only admins list every announcement.", code="NOT_ORG_ADMIN")
            rows = await store.list_visible(
                conn,
                organization_id,
                user.id,
                everything=everything,
                before_id=before_id,
                limit=max(1, min(limit, MAX_PAGE)),
            )
            views = [
                announcement_view(row, await store.department_ids(conn, row.id), row.read_at) for row in rows
            ]
            unread = await store.count_unread(conn, organization_id, user.id)
        return views, unread

    async def _access(
        self, conn: AsyncConnection, user_id: int, organization_id: int, announcement_id: int
    ) -> tuple[Row[Any], Row[Any]]:
        _, me = await access_org(conn, user_id, organization_id)
        row = await store.get_announcement(conn, organization_id, announcement_id)
        if row is None:
            raise _not_found()
        if not is_manager(me) and not await store.is_visible(conn, organization_id, announcement_id, user_id):
            raise _not_found()
        return row, me

    async def get(self, user: AuthUser, organization_id: int, announcement_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            row, _ = await self._access(conn, user.id, organization_id, announcement_id)
            readers = await store.reader_ids(conn, announcement_id)
            return announcement_view(row, await store.department_ids(conn, row.id), readers.get(user.id))

    async def do_mark_read(
        self, user: AuthUser, organization_id: int, announcement_id: int
    ) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            await self._access(uow.conn, user.id, organization_id, announcement_id)
            if await store.mark_read(uow.conn, announcement_id, user.id, now_ms()):
                # The author's read count moves; the reader's other devices clear the badge.
                row = await store.get_announcement(uow.conn, organization_id, announcement_id)
                assert row is not None
                news = AnnouncementRead(announcement_id=announcement_id, user_id=user.id)
                uow.emit(news, to_users(*({user.id, row.author_id} - {None})))
        return await self.get(user, organization_id, announcement_id)

    async def readers(self, user: AuthUser, organization_id: int, announcement_id: int) -> dict[str, Any]:
        """For the author and admins: the audience as it is now, who has read and who has not."""
        async with self.ctx.db.read() as conn:
            row, me = await self._access(conn, user.id, organization_id, announcement_id)
            if row.author_id != user.id and not is_manager(me):
                raise Forbidden(
                    "Only the author and admins see who has read it.", code="NOT_ANNOUNCEMENT_AUTHOR"
                )
            audience = await self._audience(
                conn, organization_id, await store.department_ids(conn, announcement_id)
            )
            reads = await store.reader_ids(conn, announcement_id)
            members = await org_store.get_members(conn, organization_id, sorted(audience))
        read = [
            {"user_id": uid, "name": members[uid].name, "read_at": reads[uid]}
            for uid in sorted(audience)
            if uid in reads and uid in members
        ]
        unread = [
            {"user_id": uid, "name": members[uid].name}
            for uid in sorted(audience)
            if uid not in reads and uid in members
        ]
        return {
            "announcement_id": announcement_id,
            "audience_count": len(read) + len(unread),
            "read_count": len(read),
            "read": read,
            "unread": unread,
        }

    async def do_update(
        self, user: AuthUser, organization_id: int, announcement_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "title" in changes:
            values["title"] = text.clean_name(changes["title"], field="title", max_length=128)
        if "body" in changes:
            values["body"] = text.clean_body(changes["body"], max_bytes=MAX_BODY_BYTES)
        if "pinned" in changes:
            values["pinned"] = bool(changes["pinned"])
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True)
            if await store.get_announcement(uow.conn, organization_id, announcement_id) is None:
                raise _not_found()
            if values:
                await store.update_announcement(uow.conn, announcement_id, {**values, "updated_at": now_ms()})
                row = await store.get_announcement(uow.conn, organization_id, announcement_id)
                assert row is not None
                department_ids = await store.department_ids(uow.conn, announcement_id)
                audience = await self._audience(uow.conn, organization_id, department_ids)
                self._emit(
                    uow,
                    organization,
                    AnnouncementUpdated(**announcement_view(row, department_ids, None)),
                    audience,
                )
                await audit.record(
                    uow,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="announcement.update",
                    target_type="announcement",
                    target_id=announcement_id,
                    details={k: v for k, v in values.items() if k != "body"} | {"title": row.title},
                )
        return await self.get(user, organization_id, announcement_id)

    async def do_delete(self, user: AuthUser, organization_id: int, announcement_id: int) -> None:
        async with self.ctx.transaction() as uow:
            organization, _ = await access_org(uow.conn, user.id, organization_id, admin=True)
            row = await store.get_announcement(uow.conn, organization_id, announcement_id)
            if row is None:
                raise _not_found()
            department_ids = await store.department_ids(uow.conn, announcement_id)
            audience = await self._audience(uow.conn, organization_id, department_ids)
            await store.delete_announcement(uow.conn, organization_id, announcement_id)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="announcement.delete",
                target_type="announcement",
                target_id=announcement_id,
                details={"title": row.title},
            )
            deleted = AnnouncementDeleted(
                id=announcement_id, organization_id=organization_id, audience=row.audience
            )
            self._emit(uow, organization, deleted, audience)


def _ding_text(title: str, body: str) -> str:
    combined = f"【{title}】\n{body}"
    encoded = combined.encode("utf-8")[:4000]
    return encoded.decode("utf-8", "ignore")
