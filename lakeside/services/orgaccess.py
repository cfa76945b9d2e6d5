"""Access to an organization: the one check every organization endpoint starts with.

``access_org`` returns the organization and the caller's active membership, or answers 404
``ORG_NOT_FOUND`` exactly as for an organization that does not exist: an outsider, an ex-member
and a deactivated member learn nothing, not even that the id is taken. Admin-only actions then
answer 403 to members, who know the organization anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.events import Event, to_conversation
from lakeside.errors import Forbidden, NotFound
from lakeside.services.context import UnitOfWork
from lakeside.store import organizations as store

ORG_MANAGERS = ("owner", "admin")


def org_not_found() -> NotFound:
    return NotFound("No such organization.", code="ORG_NOT_FOUND")


async def access_org(
    conn: AsyncConnection, user_id: int, organization_id: int, *, admin: bool = False, lock: bool = False
) -> tuple[Row[Any], Row[Any]]:
    """The organization and the caller's membership. ``lock`` holds the organization's row until
    the transaction ends, so that membership changes of one organization follow one another."""
    organization = await store.get_organization(conn, organization_id, for_update=lock)
    if organization is None:
        raise org_not_found()
    member = await store.get_member(conn, organization_id, user_id)
    if member is None or member.status != "active":
        raise org_not_found()
    if admin and member.role not in ORG_MANAGERS:
        raise Forbidden("Only the organization's owner and admins may do this.", code="NOT_ORG_ADMIN")
    return organization, member


def is_manager(member: Row[Any]) -> bool:
    return bool(member.role in ORG_MANAGERS)


def logo_url(file_id: str | None) -> str | None:
    return f"/api/v1/files/{file_id}" if file_id else None


def emit_to_org(uow: UnitOfWork, organization: Row[Any], event: Event) -> None:
    """Organization-wide news travels on the all-staff group, whose members are exactly the
    organization's active members: one event row, and it never reaches anyone outside. An
    organization without an all-staff group hears none of it. The event names the organization
    itself (its ``organization_id`` field)."""
    if getattr(event, "organization_id", None) != organization.id:
        raise TypeError(f"{event.type}.{event.op} does not name organization {organization.id}")
    if organization.all_staff_conversation_id:
        uow.emit(event, to_conversation(organization.all_staff_conversation_id))
