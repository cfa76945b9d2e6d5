"""Friends: requests with a greeting (send, accept, decline, cancel), remark names, unfriending and
blocking, and the events that keep each side's client in step.

Friendship is mutual and stored once per direction, so each side owns its remark. Every change to a
pair runs under the pair lock (``lock_pair`` of ``store/friends.py``), which is what makes "one
pending request per pair", "crossing requests become a friendship" and "never friends while
blocked" hold when both people act at once. Blocking is private: the blocked person is never sent a
``block`` event, and what they do see (a friendship ending, their own request being declined) looks
exactly like an ordinary unfriend or decline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from lakeside.domain import text
from lakeside.domain.events import to_users
from lakeside.domain.events.social import (
    BlockAdded,
    BlockRemoved,
    FriendAdded,
    FriendRemoved,
    FriendRequest,
    FriendRequestAccepted,
    FriendRequestCancelled,
    FriendRequestCreated,
    FriendRequestDeclined,
    FriendUpdated,
)
from lakeside.domain.tokens import now_ms
from lakeside.errors import Conflict, Forbidden, Invalid, NotFound
from lakeside.services.accounts import public_user
from lakeside.services.context import Context, UnitOfWork
from lakeside.store import friends as store
from lakeside.store import users as user_store
from lakeside.store.friends import Direction

GREETING_MAX = 256
REMARK_MAX = 64


def check_greeting(value: str | None) -> str:
    """A greeting is optional; when given it is one clean line of at most 256 characters."""
    if value is None or not value.strip():
        return ""
    return text.clean_name(value, field="greeting", max_length=GREETING_MAX)


def check_remark(value: str | None) -> str | None:
    """``None`` or blank clears the remark, so the friend's own display name shows again."""
    if value is None or not value.strip():
        return None
    return text.clean_name(value, field="remark", max_length=REMARK_MAX)


def request_out(row: Row[Any], people: dict[int, Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "from_user": public_user(people[row.from_user_id]),
        "to_user": public_user(people[row.to_user_id]),
        "greeting": row.greeting,
        "status": row.status,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }


def friend_out(row: Row[Any]) -> dict[str, Any]:
    return {"user": public_user(row), "remark": row.remark, "since": row.since}


def block_out(row: Row[Any]) -> dict[str, Any]:
    return {"user": public_user(row), "since": row.since}


def friend_sort_key(entry: dict[str, Any]) -> tuple[str, int]:
    """Remark, else display name, case-folded; ties by id so the order is stable.

    Chinese names sort by code point here, which groups them but is not the pinyin order Chinese
    users expect; pinyin ordering arrives with the directory feature.
    """
    return ((entry["remark"] or entry["user"]["display_name"]).casefold(), entry["user"]["id"])


# How a pending request closes, other than by acceptance.
CLOSED: dict[str, type[FriendRequest]] = {
    "declined": FriendRequestDeclined,
    "cancelled": FriendRequestCancelled,
}


def _to_both(uow: UnitOfWork, event: FriendRequest, a: int, b: int) -> None:
    """The same request to both sides of a pair, one row each so each user's stream carries it."""
    uow.emit(event, to_users(a, b))


class Friends:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- requests ---------------------------------------------------------------------------

    async def do_send_request(
        self, user_id: int, target_id: int, greeting: str | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Ask ``target_id`` to be friends. Returns the request and whether it is new: a repeated
        request returns the pending one, and a request crossing the target's own pending request
        accepts that one instead."""
        greeting = check_greeting(greeting)
        if target_id == user_id:
            raise Invalid("You cannot send yourself a friend request.", code="CANNOT_FRIEND_SELF")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            conn = uow.conn
            people = await store.lock_pair(conn, user_id, target_id)
            target = people.get(target_id)
            if target is None or not target.is_active:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
            if target.bot_kind is not None:
                raise Invalid("A robot is nobody's friend.", code="CANNOT_FRIEND_BOT")
            if await store.has_blocked(conn, user_id, target_id):
                raise Conflict("You have blocked this user; unblock them first.", code="YOU_BLOCKED_THEM")
            if await store.has_blocked(conn, target_id, user_id):
                raise Forbidden("You cannot send this user a friend request.", code="BLOCKED")
            if await store.are_friends(conn, user_id, target_id):
                raise Conflict("You are friends already.", code="ALREADY_FRIENDS")
            crossing = await store.get_pending_request(conn, target_id, user_id)
            if crossing is not None:
                return await self._accept(uow, crossing, people, now), False
            existing = await store.get_pending_request(conn, user_id, target_id)
            if existing is not None:
                return request_out(existing, people), False
            request_id = await store.insert_request(conn, user_id, target_id, greeting, now)
            out = request_out(await self._get_request(conn, request_id), people)
            _to_both(uow, FriendRequestCreated(**out), target_id, user_id)
        return out, True

    async def list_requests(self, user_id: int, direction: Direction = "incoming") -> list[dict[str, Any]]:
        """Pending requests to (incoming) or from (outgoing) the user, newest first."""
        async with self.ctx.db.read() as conn:
            rows = await store.list_pending_requests(conn, user_id, direction)
            ids = {row.from_user_id for row in rows} | {row.to_user_id for row in rows}
            people = await user_store.get_users(conn, ids)
        return [request_out(row, people) for row in rows]

    async def do_accept_request(self, user_id: int, request_id: int) -> dict[str, Any]:
        """The recipient accepts: both become friends. Returns the request and the new friend."""
        async with self.ctx.transaction() as uow:
            conn = uow.conn
            row, people = await self._access_pending(conn, request_id, user_id, "to_user_id")
            sender = people.get(row.from_user_id)
            if sender is None or not sender.is_active:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
            request = await self._accept(uow, row, people, now_ms())
            friend = await store.get_friend(conn, user_id, row.from_user_id)
            assert friend is not None
        return {"request": request, "friend": friend_out(friend)}

    async def do_decline_request(self, user_id: int, request_id: int) -> dict[str, Any]:
        return await self._close_request(user_id, request_id, "to_user_id", "declined")

    async def do_cancel_request(self, user_id: int, request_id: int) -> dict[str, Any]:
        return await self._close_request(user_id, request_id, "from_user_id", "cancelled")

    async def _close_request(self, user_id: int, request_id: int, side: str, status: str) -> dict[str, Any]:
        async with self.ctx.transaction() as uow:
            row, people = await self._access_pending(uow.conn, request_id, user_id, side)
            await store.decide_request(uow.conn, row.id, status, now_ms())
            out = request_out(await self._get_request(uow.conn, row.id), people)
            _to_both(uow, CLOSED[status](**out), row.from_user_id, row.to_user_id)
        return out

    async def _access_pending(
        self, conn: AsyncConnection, request_id: int, user_id: int, side: str
    ) -> tuple[Row[Any], dict[int, Any]]:
        """The request, if ``user_id`` is on ``side`` of it, re-read under the pair lock and still
        pending. Anyone else gets the same 404 as for a request that does not exist."""
        row = await store.get_request(conn, request_id)
        if row is None or getattr(row, side) != user_id:
            raise NotFound("No such friend request.", code="REQUEST_NOT_FOUND")
        people = await store.lock_pair(conn, row.from_user_id, row.to_user_id)
        row = await self._get_request(conn, request_id)
        if row.status != "pending":
            raise Conflict(f"This request is {row.status} already.", code="REQUEST_NOT_PENDING")
        return row, people

    async def _accept(
        self, uow: UnitOfWork, row: Row[Any], people: dict[int, Any], now: int
    ) -> dict[str, Any]:
        """Accept a pending request; the caller holds the pair lock."""
        await store.decide_request(uow.conn, row.id, "accepted", now)
        out = request_out(await self._get_request(uow.conn, row.id), people)
        _to_both(uow, FriendRequestAccepted(**out), row.from_user_id, row.to_user_id)
        await self._befriend(uow, row.from_user_id, row.to_user_id, now)
        return out

    @staticmethod
    async def _get_request(conn: AsyncConnection, request_id: int) -> Row[Any]:
        row = await store.get_request(conn, request_id)
        assert row is not None, "read back inside the transaction that holds it"
        return row

    # -- friendships ------------------------------------------------------------------------

    async def _befriend(self, uow: UnitOfWork, a: int, b: int, now: int) -> None:
        if await store.are_friends(uow.conn, a, b):
            return
        await store.insert_friendship(uow.conn, a, b, now)
        for owner, other in ((a, b), (b, a)):
            entry = await store.get_friend(uow.conn, owner, other)
            assert entry is not None
            uow.emit(FriendAdded(**friend_out(entry)), to_users(owner))

    async def _unfriend(self, uow: UnitOfWork, a: int, b: int) -> bool:
        """Remove the friendship both ways, telling each side with its own (remarked) entry."""
        entries = [
            (owner, await store.get_friend(uow.conn, owner, other)) for owner, other in ((a, b), (b, a))
        ]
        if await store.delete_friendship(uow.conn, a, b) == 0:
            return False
        for owner, entry in entries:
            if entry is not None:
                uow.emit(FriendRemoved(**friend_out(entry)), to_users(owner))
        return True

    async def list_friends(self, user_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            rows = await store.list_friends(conn, user_id)
        return sorted((friend_out(row) for row in rows), key=friend_sort_key)

    async def do_set_remark(self, user_id: int, friend_id: int, remark: str | None) -> dict[str, Any]:
        """Set or clear the caller's private name for a friend; only the caller ever sees it."""
        remark = check_remark(remark)
        async with self.ctx.transaction() as uow:
            if not await store.set_remark(uow.conn, user_id, friend_id, remark):
                raise NotFound("This user is not your friend.", code="FRIEND_NOT_FOUND")
            entry = await store.get_friend(uow.conn, user_id, friend_id)
            assert entry is not None
            out = friend_out(entry)
            uow.emit(FriendUpdated(**out), to_users(user_id))
        return out

    async def do_unfriend(self, user_id: int, friend_id: int) -> None:
        async with self.ctx.transaction() as uow:
            await store.lock_pair(uow.conn, user_id, friend_id)
            if not await self._unfriend(uow, user_id, friend_id):
                raise NotFound("This user is not your friend.", code="FRIEND_NOT_FOUND")

    async def befriend_in(self, uow: UnitOfWork, a: int, b: int, now: int) -> bool:
        """Inside the caller's unit of work, make ``a`` and ``b`` friends as an accepted request
        does (pending requests between them are accepted; both get ``friend.added``), unless
        one has blocked the other. Whether they are friends now. (A sign-up through a personal
        invitation: ``Accounts.befriend_in``.)"""
        people = await store.lock_pair(uow.conn, a, b)
        if a == b or a not in people or b not in people or not people[a].is_active:
            return False
        if await store.blocked_between(uow.conn, a, b):
            return False
        for row in await store.pending_requests_between(uow.conn, a, b):
            await self._accept(uow, row, people, now)
        await self._befriend(uow, a, b, now)
        return True

    async def do_make_friends(self, a: int, b: int) -> None:
        """Make two users friends directly (the demo seeder, imports). Idempotent; pending requests
        between them count as accepted. Refused when either has blocked the other."""
        if a == b:
            raise Invalid("A user cannot befriend themselves.", code="CANNOT_FRIEND_SELF")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            people = await store.lock_pair(uow.conn, a, b)
            if a not in people or b not in people:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
            if await store.blocked_between(uow.conn, a, b):
                raise Conflict("One of the two has blocked the other.", code="BLOCKED")
            for row in await store.pending_requests_between(uow.conn, a, b):
                await self._accept(uow, row, people, now)
            await self._befriend(uow, a, b, now)

    # -- blocks -----------------------------------------------------------------------------

    async def list_blocks(self, user_id: int) -> list[dict[str, Any]]:
        """The users the caller has blocked, most recent first."""
        async with self.ctx.db.read() as conn:
            rows = await store.list_blocks(conn, user_id)
        return [block_out(row) for row in rows]

    async def do_block(self, user_id: int, target_id: int) -> dict[str, Any]:
        """Block a user (idempotent): ends any friendship and settles pending requests both ways.

        The blocked person's own pending request becomes ``declined`` rather than ``cancelled``:
        they did not cancel it, and an ordinary decline tells them nothing about a block.
        """
        if target_id == user_id:
            raise Invalid("You cannot block yourself.", code="CANNOT_BLOCK_SELF")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            conn = uow.conn
            people = await store.lock_pair(conn, user_id, target_id)
            target = people.get(target_id)
            if target is None or not target.is_active:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
            existing = await store.get_block(conn, user_id, target_id)
            if existing is not None:
                return block_out(existing)
            await self._unfriend(uow, user_id, target_id)
            for row in await store.pending_requests_between(conn, user_id, target_id):
                status = "cancelled" if row.from_user_id == user_id else "declined"
                await store.decide_request(conn, row.id, status, now)
                out = request_out(await self._get_request(conn, row.id), people)
                _to_both(uow, CLOSED[status](**out), row.from_user_id, row.to_user_id)
            await store.insert_block(conn, user_id, target_id, now)
            entry = await store.get_block(conn, user_id, target_id)
            assert entry is not None
            out = block_out(entry)
            # Only the blocker hears of the block.
            uow.emit(BlockAdded(**out), to_users(user_id))
        return out

    async def do_unblock(self, user_id: int, target_id: int) -> None:
        """Lift a block. A friendship it ended stays ended."""
        async with self.ctx.transaction() as uow:
            entry = await store.get_block(uow.conn, user_id, target_id)
            if entry is None or not await store.delete_block(uow.conn, user_id, target_id):
                raise NotFound("You have not blocked this user.", code="BLOCK_NOT_FOUND")
            uow.emit(BlockRemoved(**block_out(entry)), to_users(user_id))
