"""Accounts and sessions: register, log in and out, sessions, profiles, finding people.

Passwords are argon2id hashes. A session is an opaque random token; only its SHA-256 is stored,
so a stolen database yields no usable token. Failed log-ins are limited per account and per
address; a success clears the account's counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakeside.domain import text
from lakeside.domain.tokens import new_token, now_ms, token_hash
from lakeside.errors import Forbidden, Invalid, NotFound, Unauthorized
from lakeside.services.context import Context, Event
from lakeside.services.growth import Growth
from lakeside.store import users as user_store
from lakeside.store.engine import UniqueViolation

SESSION_TOUCH_MS = 60_000


@dataclass(frozen=True)
class AuthUser:
    id: int
    username: str
    display_name: str
    is_admin: bool
    session_id: int


@dataclass(frozen=True)
class NewSession:
    user_id: int
    token: str
    session_id: int


def public_user(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "avatar_url": f"/api/v1/files/{row.avatar_file_id}" if row.avatar_file_id else None,
    }


def own_profile(row: Any) -> dict[str, Any]:
    return {
        **public_user(row),
        "phone": row.phone,
        "email": row.email,
        "is_admin": row.is_admin,
        "created_at": row.created_at,
    }


class Accounts:
    def __init__(self, ctx: Context, growth: Growth | None = None) -> None:
        self.ctx = ctx
        self.growth = growth  # sign-ups and log-ins feed attribution and activity
        self._dummy: str | None = None

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.ctx.hasher.hash(new_token())
        return self._dummy

    # -- registration and log-in ------------------------------------------------------------

    async def do_register(
        self,
        *,
        username: str,
        password: str,
        display_name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        invitation_code: str | None = None,
        address: str = "",
        user_agent: str = "",
        make_admin: bool = False,
        device_id: str | None = None,
    ) -> NewSession:
        """Create an account and its first session. The first account on an empty server is
        its administrator."""
        username = text.normalize_username(username)
        text.check_password(password, username)
        name = text.clean_name(display_name or username, field="display name")
        email = text.normalize_email(email)
        phone = text.normalize_phone(phone)
        code = text.clean_name(invitation_code, field="invitation code") if invitation_code else None
        await self.ctx.limits.take("signup", address=address)
        password_hash = await self.ctx.hasher.hash(password)
        now = now_ms()
        try:
            async with self.ctx.transaction() as uow:
                first = await user_store.count_users(uow.conn) == 0
                user_id = await user_store.insert_user(
                    uow.conn,
                    {
                        "username": username,
                        "display_name": name,
                        "phone": phone,
                        "email": email,
                        "password_hash": password_hash,
                        "is_admin": make_admin or first,
                        "invitation_code": code,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                token, session_id = await self._new_session(uow.conn, user_id, address, user_agent, now)
                if self.growth is not None:
                    registered = await self.growth.referrals.record_registration(
                        uow.conn, user_id=user_id, invitation_code=code, ip=address, device=device_id or "",
                        now=now,
                    )  # fmt: skip
        except UniqueViolation as exc:
            raise self._taken(exc.constraint, username, email, phone) from exc
        if self.growth is not None:
            await self.growth.after_registration(registered)
        return NewSession(user_id, token, session_id)

    @staticmethod
    def _taken(constraint: str, username: str, email: str | None, phone: str | None) -> Invalid:
        if "email" in constraint:
            return Invalid("That e-mail address is already registered.", code="EMAIL_TAKEN")
        if "phone" in constraint:
            return Invalid("That phone number is already registered.", code="PHONE_TAKEN")
        return Invalid(f"The username '{username}' is taken.", code="USERNAME_TAKEN")

    async def _new_session(
        self, conn: Any, user_id: int, address: str, user_agent: str, now: int
    ) -> tuple[str, int]:
        token = new_token()
        session_id = await user_store.insert_session(
            conn,
            {
                "user_id": user_id,
                "token_hash": token_hash(token),
                "user_agent": user_agent[:256],
                "address": address[:64],
                "created_at": now,
                "last_seen_at": now,
                "expires_at": now + self.ctx.settings.session_ttl_days * 86_400_000,
            },
        )
        return token, session_id

    async def do_login(
        self, *, login: str, password: str, address: str = "", user_agent: str = ""
    ) -> NewSession:
        key = login.strip().lower()
        limited = "Too many failed log-ins; wait before trying again."
        limits = self.ctx.limits
        await limits.check("login_failures_per_account", key, code="LOGIN_RATE_LIMITED", message=limited)
        await limits.check("login_failures_per_address", address, code="LOGIN_RATE_LIMITED", message=limited)
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user_by_login(conn, key)
        if row is None:
            # Spend the same time as a real check so that timing does not reveal accounts.
            await self.ctx.hasher.verify(await self._dummy_hash(), password)
            ok = False
        else:
            ok = await self.ctx.hasher.verify(row.password_hash, password)
        if not ok or row is None:
            await limits.hit("login_failures_per_account", key)
            await limits.hit("login_failures_per_address", address)
            raise Unauthorized("The login or the password is wrong.", code="BAD_CREDENTIALS")
        if not row.is_active:
            raise Forbidden("This account is deactivated.", code="ACCOUNT_DEACTIVATED")
        await limits.reset("login_failures_per_account", key)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            if self.ctx.hasher.needs_rehash(row.password_hash):
                new_hash = await self.ctx.hasher.hash(password)
                await user_store.update_user(uow.conn, row.id, {"password_hash": new_hash})
            token, session_id = await self._new_session(uow.conn, row.id, address, user_agent, now)
        if self.growth is not None:
            self.growth.activity.record(row.id, "login", at=now)
        return NewSession(row.id, token, session_id)

    # -- sessions ---------------------------------------------------------------------------

    async def authenticate(self, token: str) -> AuthUser:
        if not token:
            raise Unauthorized("Log in first.", code="UNAUTHENTICATED")
        # Every request pays for this look-up, so it takes the store's fast read path (on SQLite a
        # synchronous read on the loop's thread instead of a hand-off to aiosqlite's thread).
        digest = token_hash(token)
        row = await self.ctx.db.run_read(lambda conn: user_store.get_session_by_hash(conn, digest))
        now = now_ms()
        if row is None or row.expires_at < now:
            raise Unauthorized("The session has ended; log in again.", code="SESSION_INVALID")
        if not row.is_active:
            raise Unauthorized("This account is deactivated.", code="ACCOUNT_DEACTIVATED")
        if now - row.last_seen_at > SESSION_TOUCH_MS:
            expires = now + self.ctx.settings.session_ttl_days * 86_400_000
            async with self.ctx.db.transaction() as conn:
                await user_store.touch_session(conn, row.session_id, now, expires)
        return AuthUser(row.id, row.username, row.display_name, row.is_admin, row.session_id)

    async def list_sessions(self, user: AuthUser) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            rows = await user_store.list_sessions(conn, user.id)
        return [
            {
                "id": row.id,
                "current": row.id == user.session_id,
                "user_agent": row.user_agent,
                "address": row.address,
                "created_at": row.created_at,
                "last_seen_at": row.last_seen_at,
                "expires_at": row.expires_at,
            }
            for row in rows
        ]

    async def do_revoke_session(self, user: AuthUser, session_id: int) -> None:
        async with self.ctx.transaction() as uow:
            if not await user_store.delete_session(uow.conn, user.id, session_id):
                raise NotFound("No such session.", code="SESSION_NOT_FOUND")
            # Gateways close sockets opened with this session when they see this event.
            uow.emit(Event("session", "revoked", {"session_id": session_id}, user_id=user.id))

    # -- profiles ---------------------------------------------------------------------------

    async def get_own_profile(self, user_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user(conn, user_id)
        if row is None:
            raise NotFound("No such user.", code="USER_NOT_FOUND")
        return own_profile(row)

    async def get_user(self, user_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user(conn, user_id)
        if row is None or not row.is_active:
            raise NotFound("No such user.", code="USER_NOT_FOUND")
        return public_user(row)

    async def do_update_profile(self, user: AuthUser, changes: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "display_name" in changes:
            values["display_name"] = text.clean_name(changes["display_name"], field="display name")
        if "email" in changes:
            values["email"] = text.normalize_email(changes["email"])
        if "phone" in changes:
            values["phone"] = text.normalize_phone(changes["phone"])
        if "avatar_file_id" in changes:
            values["avatar_file_id"] = changes["avatar_file_id"]
        if not values:
            return await self.get_own_profile(user.id)
        values["updated_at"] = now_ms()
        try:
            async with self.ctx.transaction() as uow:
                await user_store.update_user(uow.conn, user.id, values)
                row = await user_store.get_user(uow.conn, user.id)
                uow.emit(Event("user", "updated", public_user(row), user_id=user.id))
        except UniqueViolation as exc:
            raise self._taken(
                exc.constraint, user.username, values.get("email"), values.get("phone")
            ) from exc
        return own_profile(row)

    async def do_change_password(self, user: AuthUser, current: str, new: str) -> None:
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user(conn, user.id)
        if row is None or not await self.ctx.hasher.verify(row.password_hash, current):
            raise Forbidden("The current password is wrong.", code="BAD_CREDENTIALS")
        text.check_password(new, user.username)
        new_hash = await self.ctx.hasher.hash(new)
        async with self.ctx.transaction() as uow:
            await user_store.update_user(
                uow.conn, user.id, {"password_hash": new_hash, "updated_at": now_ms()}
            )

    async def find_users(self, query: str) -> list[dict[str, Any]]:
        """Exact look-up by username, e-mail or phone, as in WeChat and DingTalk: nobody can list
        the server's users by guessing fragments."""
        query = query.strip()
        if not query:
            raise Invalid("Say whom to look for.", code="EMPTY_QUERY")
        email = phone = None
        username = query.lower()
        try:
            email = text.normalize_email(query) if "@" in query else None
        except Invalid:
            email = None
        try:
            phone = text.normalize_phone(query) if any(c.isdigit() for c in query) else None
        except Invalid:
            phone = None
        async with self.ctx.db.read() as conn:
            rows = await user_store.find_users(conn, username=username, email=email, phone=phone)
        return [public_user(row) for row in rows]
