"""The audit log of admin actions: what an organization's owner and admins (and the server's
administrators) changed, recorded inside the transaction that made the change.

``record(uow, ...)`` is the one way to write an entry; services call it next to the change, so an
action and its entry commit or roll back together. The client address comes from the request
being served (``request_address``, set at the HTTP edge); actions without a request (the command
line, workers) record an empty address. Entries hold the parameters of the action — a role, a
name, a setting's new value — never message bodies, passwords or tokens. Only the organization's
owner and admins read them (members 403, everyone else 404 as for any organization endpoint).
"""

from __future__ import annotations

import csv
import io
from contextvars import ContextVar
from typing import Any

import orjson
from sqlalchemy.engine import Row

from lakeside.domain.spreadsheet import safe_cell
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.orgaccess import access_org
from lakeside.store import audit as store

# Every action the log knows, by family. A family name (``member``) filters on all its actions.
ACTIONS = frozenset(
    {
        "org.create",
        "org.update",
        "org.transfer",
        "member.role",
        "member.remove",
        "member.deactivate",
        "member.reactivate",
        "member.update",
        "member.departments",
        "member.leave",
        "member.account_deleted",
        "org.export",
        "org.retention",
        "department.create",
        "department.update",
        "department.delete",
        "department.seat",
        "department.unseat",
        "invitation.create",
        "invitation.revoke",
        "contact_invitation.create",
        "contact_invitation.revoke",
        "join_request.approve",
        "join_request.reject",
        "contact.create",
        "contact.update",
        "contact.delete",
        "ding_policy.update",
        "announcement.publish",
        "announcement.update",
        "announcement.delete",
        "approval_template.create",
        "approval_template.update",
        "approval_role.create",
        "approval_role.update",
        "approval_role.delete",
        "report_template.create",
        "report_template.update",
        "report_template.reminder",
        "webhook.create",
        "webhook.update",
        "webhook.revoke",
        "robot.create",
        "robot.update",
        "robot.revoke",
        "bot_subscription.create",
        "bot_subscription.update",
        "bot_subscription.delete",
        "sso_provider.create",
        "sso_provider.update",
        "sso_provider.delete",
        "ldap.update",
        "ldap.delete",
        "ldap.sync",
        "member.ldap_add",
    }
)
MAX_PAGE = 200
MAX_EXPORT = 50_000
CSV_COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor_id",
    "actor_username",
    "actor_name",
    "target_type",
    "target_id",
    "target_name",
    "details",
    "address",
)

request_address: ContextVar[str] = ContextVar("lakeside_request_address", default="")


async def record(
    uow: UnitOfWork,
    *,
    organization_id: int | None,
    actor_id: int | None,
    action: str,
    target_type: str = "",
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    await store.insert_entry(
        uow.conn,
        {
            "organization_id": organization_id,
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "details": orjson.dumps(details or {}).decode(),
            "address": request_address.get()[:64],
            "created_at": now_ms(),
        },
    )


def entry_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "action": row.action,
        "actor": (
            {"id": row.actor_id, "username": row.actor_username, "display_name": row.actor_name}
            if row.actor_id is not None and row.actor_username is not None
            else None
        ),
        "target_type": row.target_type or None,
        "target_id": row.target_id,
        "target_name": row.target_user_name,
        "details": orjson.loads(row.details),
        "address": row.address,
        "created_at": row.created_at,
    }


class AuditLog:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def list(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        action: str | None = None,
        actor_id: int | None = None,
        since: int | None = None,
        until: int | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of entries, newest first, and the cursor of the next page (None at the end)."""
        before_id = self._cursor(cursor)
        limit = max(1, min(limit, MAX_PAGE))
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            rows = await store.list_entries(
                conn,
                organization_id,
                action=self._action(action),
                actor_id=actor_id,
                since=since,
                until=until,
                before_id=before_id,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        return [entry_view(row) for row in rows], (str(rows[-1].id) if more and rows else None)

    async def export_csv(
        self,
        user: AuthUser,
        organization_id: int,
        *,
        action: str | None = None,
        actor_id: int | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> str:
        """Every matching entry (up to MAX_EXPORT, newest first) as CSV with a header row."""
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            rows = await store.list_entries(
                conn,
                organization_id,
                action=self._action(action),
                actor_id=actor_id,
                since=since,
                until=until,
                limit=MAX_EXPORT,
            )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            view = entry_view(row)
            actor = view["actor"] or {}
            writer.writerow(
                safe_cell(value)
                for value in (
                    view["id"],
                    view["created_at"],
                    view["action"],
                    row.actor_id,
                    actor.get("username"),
                    actor.get("display_name"),
                    view["target_type"],
                    view["target_id"],
                    view["target_name"],
                    orjson.dumps(view["details"]).decode(),
                    view["address"],
                )
            )
        return out.getvalue()

    @staticmethod
    def _action(action: str | None) -> str | None:
        if not action:
            return None
        families = {name.split(".")[0] for name in ACTIONS}
        if action not in ACTIONS and action not in families:
            raise Invalid(f"Unknown action {action!r}.", code="INVALID_ACTION")
        return action

    @staticmethod
    def _cursor(cursor: str | None) -> int | None:
        if cursor is None or cursor == "":
            return None
        if not cursor.isdigit() or not 0 < int(cursor) < 2**63:
            raise Invalid("That cursor is not one this endpoint gave out.", code="INVALID_CURSOR")
        return int(cursor)
