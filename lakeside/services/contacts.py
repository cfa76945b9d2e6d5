"""External contacts: people an organization deals with who are not its members (customers,
partners, suppliers), with company, title, phone, e-mail, tags and a note. Every member sees
them; admins keep them. Search uses a stored key (name with pinyin and initials, company, phone,
e-mail, tags) with a LIKE inside the organization's rows; a tag filter matches whole tags.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import text
from lakeside.domain.pinyin import like_pattern, search_key
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid, NotFound
from lakeside.services import audit
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.directory import MAX_PAGE, optional_name
from lakeside.services.orgaccess import access_org
from lakeside.store import directory as store


def contact_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "name": row.name,
        "company": row.company,
        "title": row.title,
        "phone": row.phone,
        "email": row.email,
        "tags": [tag for tag in row.tags.split("|") if tag],
        "note": row.note,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _clean_tags(tags: list[str]) -> str:
    cleaned: list[str] = []
    for tag in tags:
        value = text.clean_name(tag, field="tag", max_length=32)
        if "|" in value:
            raise Invalid("A tag may not contain '|'.", code="INVALID_TAG")
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > 20:
        raise Invalid("At most 20 tags.", code="TOO_MANY_TAGS")
    return "|" + "".join(f"{tag}|" for tag in cleaned)


class ExternalContacts:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading and keeping --------------------------------------------------------------------

    async def list_contacts(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        query: str | None,
        tag: str | None,
        after_id: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int | None]:
        limit = max(1, min(limit, MAX_PAGE))
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            rows = await store.list_contacts(
                conn,
                organization_id,
                pattern=like_pattern(query) if query and query.strip() else None,
                tag=tag.strip() if tag and tag.strip() else None,
                after_id=after_id,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        return [contact_view(row) for row in rows], (rows[-1].id if more and rows else None)

    async def get_contact(self, user: AuthUser, organization_id: int, contact_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id)
            return contact_view(await self._contact(conn, organization_id, contact_id))

    @staticmethod
    async def _contact(conn: AsyncConnection, organization_id: int, contact_id: int) -> Row[Any]:
        row = await store.get_contact(conn, organization_id, contact_id)
        if row is None:
            raise NotFound("No such contact.", code="CONTACT_NOT_FOUND")
        return row

    @staticmethod
    def _contact_values(fields: dict[str, Any], current: Row[Any] | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "name" in fields:
            values["name"] = text.clean_name(fields["name"], field="name")
        for field, limit in (("company", 128), ("title", 64), ("note", 512)):
            if field in fields:
                values[field] = optional_name(fields[field], field, limit) or ""
        if "phone" in fields:
            values["phone"] = text.normalize_phone(fields["phone"])
        if "email" in fields:
            values["email"] = text.normalize_email(fields["email"])
        if "tags" in fields:
            values["tags"] = _clean_tags(fields["tags"] or [])

        def pick(field: str) -> Any:
            return (
                values[field]
                if field in values
                else (getattr(current, field) if current is not None else None)
            )

        values["search_key"] = search_key(
            pick("name"), pick("company"), pick("phone"), pick("email"), pick("tags")
        )
        return values

    async def do_create_contact(
        self, user: AuthUser, organization_id: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        values = self._contact_values(fields, None)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True)
            contact_id = await store.insert_contact(
                uow.conn,
                {
                    "organization_id": organization_id,
                    "created_by": user.id,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                },
            )
            await _audit(uow, user, organization_id, "contact.create", contact_id, values["name"])
            return contact_view(await self._contact(uow.conn, organization_id, contact_id))

    async def do_update_contact(
        self, user: AuthUser, organization_id: int, contact_id: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True)
            current = await self._contact(uow.conn, organization_id, contact_id)
            values = self._contact_values(fields, current)
            await store.update_contact(uow.conn, contact_id, {**values, "updated_at": now_ms()})
            await _audit(uow, user, organization_id, "contact.update", contact_id, current.name)
            return contact_view(await self._contact(uow.conn, organization_id, contact_id))

    async def do_delete_contact(self, user: AuthUser, organization_id: int, contact_id: int) -> None:
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True)
            current = await self._contact(uow.conn, organization_id, contact_id)
            if not await store.delete_contact(uow.conn, organization_id, contact_id):
                raise NotFound("No such contact.", code="CONTACT_NOT_FOUND")
            await _audit(uow, user, organization_id, "contact.delete", contact_id, current.name)


async def _audit(
    uow: UnitOfWork, user: AuthUser, organization_id: int, action: str, contact_id: int, name: str
) -> None:
    await audit.record(
        uow,
        organization_id=organization_id,
        actor_id=user.id,
        action=action,
        target_type="contact",
        target_id=contact_id,
        details={"name": name},
    )
