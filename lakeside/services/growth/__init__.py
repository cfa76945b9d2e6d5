"""The growth engine's foundation: activity roll-ups, invitations and attribution, the wallet
ledger and analytics. ``Growth`` bundles them for the service container; campaigns build on it."""

from __future__ import annotations

from typing import Any

from lakeside.domain.growth import date_of_day
from lakeside.errors import NotFound
from lakeside.services.context import Context
from lakeside.services.growth.activity import Activity
from lakeside.services.growth.analytics import Analytics
from lakeside.services.growth.ledger import Ledger, wallet_key
from lakeside.services.growth.referrals import Referrals, Registered
from lakeside.store import users as user_store


class Growth:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.activity = Activity(ctx)
        self.referrals = Referrals(ctx)
        self.ledger = Ledger(ctx)
        self.analytics = Analytics(ctx, self.activity)

    async def after_registration(self, registered: Registered) -> None:
        """A sign-up committed: the new user is active today (registering logs in), then
        rewards and listeners (see Referrals.after_registration)."""
        self.activity.record(registered.user_id, "login", at=registered.created_at)
        await self.referrals.after_registration(registered)

    async def admin_profile(self, user_id: int) -> dict[str, Any]:
        """What a server admin sees of a user: the profile, how they came (attribution), how
        many they brought, their wallet and when they were last active."""
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user(conn, user_id)
            if row is None:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
        last_day = await self.activity.last_active_day(user_id)
        return {
            "id": row.id,
            "username": row.username,
            "display_name": row.display_name,
            "avatar_url": f"/api/v1/files/{row.avatar_file_id}" if row.avatar_file_id else None,
            "phone": row.phone,
            "email": row.email,
            "is_admin": row.is_admin,
            "is_active": row.is_active,
            "invitation_code": row.invitation_code,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "last_active_date": date_of_day(last_day).isoformat() if last_day is not None else None,
            "attribution": await self.referrals.attribution(user_id),
            "wallet_balance_fen": await self.ledger.balance(wallet_key(user_id)),
        }

    async def start(self) -> None:
        await self.activity.start()

    async def stop(self) -> None:
        """Flush the activity buffer (the last seconds of counters) before the database closes."""
        await self.activity.stop()


__all__ = ["Growth", "Registered"]
