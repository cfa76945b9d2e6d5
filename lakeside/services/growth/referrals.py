"""Personal invitation codes, attribution of sign-ups to inviters, the invitation tree.

Every user may hold personal codes (one is made on first request); a code's link is
``<public_url>/#/register?invite=CODE``, which the web client's registration form reads. At sign-up
the ``invitation_code`` is looked up case-insensitively: a live referral code (not revoked, uses
left) records the inviter, the code and its campaign in ``registrations``; any other text is kept
on the account as before (``users.invitation_code``) with no attribution. Every sign-up writes a
``registrations`` row with the address and the client's device id, which fraud screening reads.

After the sign-up commits, an optional reward is paid from the default budget (settings
``referral_reward_fen`` to the new user, ``referral_inviter_reward_fen`` to the inviter) and then
every ``on_registered`` listener runs (campaigns hook in there); a failing reward or listener is
logged and never undoes the sign-up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain.growth import new_code, normalize_code
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Invalid, NotFound
from lakeside.services.context import Context
from lakeside.services.growth import ledger
from lakeside.store.engine import UniqueViolation
from lakeside.store.growth import referrals as store

log = logging.getLogger(__name__)

MAX_LIVE_CODES = 20
TREE_MAX_DEPTH = 5
TREE_MAX_ROOTS = 100
TREE_MAX_CHILDREN = 200


@dataclass(frozen=True)
class Registered:
    """A committed sign-up, as listeners see it."""

    user_id: int
    inviter_id: int | None
    referral_code_id: int | None
    campaign_id: int | None
    ip: str
    device: str
    created_at: int


Listener = Callable[[Registered], Awaitable[None]]
CampaignCheck = Callable[[int, int], Awaitable[None]]


def _user_view(row: Any) -> dict[str, Any]:
    avatar = f"/api/v1/files/{row.avatar_file_id}" if row.avatar_file_id else None
    return {"id": row.id, "username": row.username, "display_name": row.display_name, "avatar_url": avatar}


class Referrals:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.on_registered: list[Listener] = []
        # Set by the campaign service: raises unless user (1st) may hand out codes of campaign (2nd).
        self.campaign_check: CampaignCheck | None = None

    def link(self, code: str) -> str:
        return f"{self.ctx.settings.public_url.rstrip('/')}/#/register?invite={code}"

    def _view(self, row: Any) -> dict[str, Any]:
        return {
            "id": row.id,
            "code": row.code,
            "link": self.link(row.code),
            "campaign_id": row.campaign_id,
            "uses": row.uses,
            "max_uses": row.max_uses,
            "revoked_at": row.revoked_at,
            "created_at": row.created_at,
        }

    # -- codes --------------------------------------------------------------------------------

    async def list_codes(self, user_id: int, *, ensure: bool = True) -> list[dict[str, Any]]:
        """The user's codes, oldest first; with ``ensure``, a personal code is made when the user
        holds no live one without a campaign."""
        async with self.ctx.db.read() as conn:
            rows = await store.list_codes(conn, user_id)
        if ensure and not any(row.revoked_at is None and row.campaign_id is None for row in rows):
            await self.create_code(user_id)
            async with self.ctx.db.read() as conn:
                rows = await store.list_codes(conn, user_id)
        return [self._view(row) for row in rows]

    async def create_code(
        self, user_id: int, *, campaign_id: int | None = None, max_uses: int | None = None
    ) -> dict[str, Any]:
        if max_uses is not None and not 1 <= max_uses <= 1_000_000:
            raise Invalid("max_uses is from 1 to 1,000,000.", code="BAD_MAX_USES")
        if campaign_id is not None:
            if self.campaign_check is None:
                raise Invalid("Campaigns are not available on this server.", code="CAMPAIGN_NOT_FOUND")
            await self.campaign_check(user_id, campaign_id)
        for _ in range(5):
            now = now_ms()
            try:
                async with self.ctx.transaction() as uow:
                    if await store.count_live_codes(uow.conn, user_id) >= MAX_LIVE_CODES:
                        raise Conflict(
                            f"Revoke a code first: at most {MAX_LIVE_CODES} are live at once.",
                            code="TOO_MANY_CODES",
                        )
                    values = {
                        "user_id": user_id,
                        "code": new_code(),
                        "campaign_id": campaign_id,
                        "max_uses": max_uses,
                        "uses": 0,
                        "created_at": now,
                    }
                    code_id = await store.insert_code(uow.conn, values)
                    row = await store.get_code_by_id(uow.conn, code_id)
                return self._view(row)
            except UniqueViolation:  # 31^8 codes: a collision is rare, two in a row rarer still
                continue
        raise Conflict("Could not make a unique code; try again.", code="CODE_COLLISION")

    async def revoke_code(self, user_id: int, code_id: int) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            if not await store.revoke_code(uow.conn, user_id, code_id, now_ms()):
                row = await store.get_code_by_id(uow.conn, code_id)
                if row is None or row.user_id != user_id:
                    raise NotFound("No such invitation code.", code="CODE_NOT_FOUND")
            row = await store.get_code_by_id(uow.conn, code_id)
        return self._view(row)

    # -- sign-up ------------------------------------------------------------------------------

    async def record_registration(
        self,
        conn: AsyncConnection,
        *,
        user_id: int,
        invitation_code: str | None,
        ip: str,
        device: str,
        now: int,
    ) -> Registered:
        """Inside the sign-up's transaction: attribute it (when the code is a live referral code)
        and write its ``registrations`` row."""
        inviter_id = code_id = campaign_id = None
        if invitation_code:
            row = await store.get_code(conn, normalize_code(invitation_code)[:32])
            if row is not None and row.user_id != user_id and await store.claim_code(conn, row.id):
                inviter_id, code_id, campaign_id = row.user_id, row.id, row.campaign_id
        registered = Registered(user_id, inviter_id, code_id, campaign_id, ip[:64], device[:64], now)
        await store.insert_registration(
            conn,
            {
                "user_id": user_id,
                "inviter_id": inviter_id,
                "referral_code_id": code_id,
                "campaign_id": campaign_id,
                "ip": registered.ip,
                "device": registered.device,
                "created_at": now,
            },
        )
        return registered

    async def after_registration(self, registered: Registered) -> None:
        """After the sign-up commits: rewards, then listeners. Never raises."""
        if registered.inviter_id is not None:
            settings = self.ctx.settings
            rewards = (
                (registered.user_id, settings.referral_reward_fen, "invitee"),
                (registered.inviter_id, settings.referral_inviter_reward_fen, "inviter"),
            )
            for user_id, amount, role in rewards:
                if amount > 0:
                    await self._reward(registered, user_id, amount, role)
        for listener in list(self.on_registered):
            try:
                await listener(registered)
            except Exception:
                log.exception("a registration listener failed for user %d", registered.user_id)

    async def _reward(self, registered: Registered, user_id: int, amount: int, role: str) -> None:
        try:
            await ledger.prepare(self.ctx, ledger.DEFAULT_BUDGET, ledger.wallet_key(user_id))
            async with self.ctx.transaction() as uow:
                await ledger.grant(
                    uow,
                    from_account=ledger.DEFAULT_BUDGET,
                    to_account=ledger.wallet_key(user_id),
                    amount_fen=amount,
                    kind="referral_reward",
                    ref=f"registration:{registered.user_id}:{role}",
                    idempotency_key=f"referral:{registered.user_id}:{role}",
                )
        except ledger.InsufficientFunds:
            log.warning("the default budget cannot pay the %s reward for user %d", role, registered.user_id)
        except Exception:
            log.exception("paying the %s reward for user %d failed", role, registered.user_id)

    async def invited_by(self, user_id: int, *, limit: int = 200) -> dict[str, Any]:
        """The people the user brought, earliest first (at most ``limit``), and how many in all."""
        async with self.ctx.db.read() as conn:
            rows = await store.children(conn, [user_id], None, limit)
            people = await store.user_rows(conn, [int(row.user_id) for row in rows])
            total = await store.count_invited(conn, user_id)
        return {
            "invited_count": total,
            "people": [
                {
                    "user": _user_view(people[int(row.user_id)]),
                    "registered_at": row.created_at,
                    "campaign_id": row.campaign_id,
                }
                for row in rows
            ],
        }

    # -- admin views --------------------------------------------------------------------------

    async def attribution(self, user_id: int) -> dict[str, Any] | None:
        """How the user came: inviter, code, campaign, address, device; None before tracking."""
        async with self.ctx.db.read() as conn:
            row = await store.get_registration(conn, user_id)
            invited = await store.count_invited(conn, user_id)
        if row is None:
            return {
                "registered_at": None,
                "inviter": None,
                "code": None,
                "campaign_id": None,
                "ip": "",
                "device": "",
                "invited_count": invited,
            }
        inviter = None
        if row.inviter_id is not None:
            inviter = {
                "id": row.inviter_id,
                "username": row.inviter_username,
                "display_name": row.inviter_display_name,
            }
        return {
            "registered_at": row.created_at,
            "inviter": inviter,
            "code": row.code,
            "campaign_id": row.campaign_id,
            "ip": row.ip,
            "device": row.device,
            "invited_count": invited,
        }

    async def tree(
        self,
        *,
        campaign_id: int | None = None,
        root_id: int | None = None,
        depth: int = 2,
        after: int | None = None,
        limit: int = 20,
        children: int = 20,
    ) -> dict[str, Any]:
        """Who invited whom, nested ``depth`` levels below each root.

        Roots are the inviters in scope who were not invited in scope themselves (or the one
        ``root_id``), ``limit`` at a time by id (``next_after`` pages on); each node lists at most
        ``children`` of the people it invited, earliest first, with ``invited`` (direct) and,
        for roots, ``descendants`` (at any depth) so a truncated branch still shows its size.
        """
        if not 1 <= depth <= TREE_MAX_DEPTH:
            raise Invalid(f"depth is from 1 to {TREE_MAX_DEPTH}.", code="BAD_DEPTH")
        if not 1 <= limit <= TREE_MAX_ROOTS or not 1 <= children <= TREE_MAX_CHILDREN:
            raise Invalid(
                f"limit is 1 to {TREE_MAX_ROOTS}, children 1 to {TREE_MAX_CHILDREN}.", code="BAD_LIMIT"
            )
        async with self.ctx.db.read() as conn:
            if root_id is not None:
                root_ids, more = [root_id], False
            else:
                root_ids = await store.roots(conn, campaign_id, after, limit + 1)
                more = len(root_ids) > limit
                root_ids = root_ids[:limit]
            levels: list[list[Any]] = []
            parents = root_ids
            for _ in range(depth):
                rows = await store.children(conn, parents, campaign_id, children)
                levels.append(rows)
                parents = [int(row.user_id) for row in rows]
            everyone = root_ids + [int(row.user_id) for rows in levels for row in rows]
            direct = await store.direct_counts(conn, everyone, campaign_id)
            below = await store.descendant_counts(conn, root_ids, campaign_id)
            people = await store.user_rows(conn, everyone)
            invited, inviters = await store.edge_totals(conn, campaign_id)
        if root_id is not None and root_id not in people:
            raise NotFound("No such user.", code="USER_NOT_FOUND")

        def node(user_id: int, joined_at: int | None) -> dict[str, Any]:
            return {
                "user": _user_view(people[user_id]),
                "registered_at": joined_at,
                "invited": direct.get(user_id, 0),
                "children": [],
            }

        nodes = {user_id: node(user_id, None) for user_id in root_ids}
        for user_id in root_ids:
            nodes[user_id]["descendants"] = below.get(user_id, 0)
        current = nodes
        for rows in levels:
            following: dict[int, dict[str, Any]] = {}
            for row in rows:
                child = node(int(row.user_id), int(row.created_at))
                current[int(row.inviter_id)]["children"].append(child)
                following[int(row.user_id)] = child
            current = following
        return {
            "campaign_id": campaign_id,
            "roots": [nodes[user_id] for user_id in root_ids],
            "next_after": root_ids[-1] if more and root_ids else None,
            "total_invited": invited,
            "total_inviters": inviters,
        }
