"""Accounts and sessions: register, log in and out, sessions, profiles, finding people.

Passwords are argon2id hashes. A session is an opaque random token; only its SHA-256 is stored,
so a stolen database yields no usable token. Failed log-ins (and wrong current passwords when
changing the password) are limited per account — the account the login names, whichever of its
names is typed; a login that names nobody counts under that login, so the limit looks the same —
and per address. Each attempt reserves its unit before the password is checked, so concurrent
guesses cannot all slip through; a success gives the address's unit back and clears the account's.
An e-mail address or phone number logs in only once proved (services/verification.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from lakeside.domain import text
from lakeside.domain.bot_scopes import TOKEN_PATTERN
from lakeside.domain.events import to_users
from lakeside.domain.events.messaging import SessionRevoked, UserUpdated
from lakeside.domain.tokens import new_token, now_ms, token_hash
from lakeside.errors import Forbidden, Invalid, NotFound, Unauthorized, Unavailable
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.growth import Growth
from lakeside.services.passwords import common_passwords
from lakeside.services.sessions import CachedSession, SessionCache
from lakeside.store import bot_api as bot_store
from lakeside.store import users as user_store
from lakeside.store import verification as verification_store
from lakeside.store.engine import UniqueViolation

SESSION_TOUCH_MS = 60_000
NEVER = 2**62  # the cached "expiry" of a bot token that has none


@dataclass(frozen=True, slots=True)
class AuthUser:
    id: int
    username: str
    display_name: str
    is_admin: bool
    session_id: int
    # A bot's API token (services/bot_accounts.py) rather than a person's session: the scopes it
    # carries (domain/bot_scopes.py) and the only conversations it may touch (None: any the bot
    # is a member of). Its ``session_id`` is the token's id, negated (it never meets a session's).
    scopes: frozenset[str] | None = None
    conversations: frozenset[int] | None = None

    @property
    def is_token(self) -> bool:
        """Whether the caller is a bot's API token (and not a person's session)."""
        return self.scopes is not None

    def may_touch(self, conversation_id: int) -> bool:
        """Whether a bot token's conversation allowlist admits ``conversation_id`` (people: yes)."""
        return self.conversations is None or conversation_id in self.conversations


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
        # A deleted account (services/account_deletion.py): clients show 已注销用户 / "Deleted user".
        "deleted": getattr(row, "deleted_at", None) is not None,
        # A robot or bot (services/bots.py): clients show its badge (机器人 / "Bot").
        "bot": getattr(row, "bot_kind", None),
    }


def own_profile(row: Any) -> dict[str, Any]:
    return {
        **public_user(row),
        "phone": row.phone,
        "phone_verified": row.phone_verified_at is not None,
        "phone_verified_at": row.phone_verified_at,
        "email": row.email,
        "email_verified": row.email_verified_at is not None,
        "email_verified_at": row.email_verified_at,
        "is_admin": row.is_admin,
        "created_at": row.created_at,
    }


def proved_contacts(row: Any) -> tuple[str | None, str | None]:
    """The account's phone and e-mail, each only if proved (None otherwise): what invitations and
    look-ups may match."""
    return (
        row.phone if row.phone_verified_at is not None else None,
        row.email if row.email_verified_at is not None else None,
    )


LOGIN_LIMITED = "Too many failed log-ins; wait before trying again."


class DirectoryLogin(Protocol):
    """Checks the passwords of accounts that log in through an organization's directory (LDAP
    bind, services/ldap_directory.py). ``login_of`` answers None for an account that does not."""

    async def login_of(self, user_id: int) -> Any | None: ...

    async def check_password(self, check: Any, password: str) -> bool: ...


class Accounts:
    def __init__(self, ctx: Context, growth: Growth | None = None) -> None:
        self.ctx = ctx
        self.growth = growth  # sign-ups and log-ins feed attribution and activity
        self._dummy: str | None = None
        # Sessions authenticated in the last few seconds (services/sessions.py).
        self.sessions = SessionCache()
        # Makes the new user and their inviter friends inside the sign-up's unit of work
        # (``Friends.befriend_in``, wired by the container: friends import this module).
        self.befriend_in: Callable[[UnitOfWork, int, int, int], Awaitable[bool]] | None = None
        # Accounts made by an organization's directory with log-in by bind (wired by the container).
        self.directory_login: DirectoryLogin | None = None

    async def start(self) -> None:
        """Follow the bus, so that other nodes' revocations evict cached sessions here too."""
        await self.sessions.start(self.ctx.bus, self.ctx.events_channel)

    async def stop(self) -> None:
        await self.sessions.stop()

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
        name = text.clean_name(display_name or username, field="display name")
        email = text.normalize_email(email)
        phone = text.normalize_phone(phone)
        text.check_password(password, username, email=email, phone=phone, common=common_passwords())
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
                    # A personal invitation is a friend's: the two become friends, as if a request
                    # had been accepted (the inviter's campaign counts friends). An organization's
                    # invitation code is no referral code and makes nobody a friend.
                    if registered.inviter_id is not None and self.befriend_in is not None:
                        await self.befriend_in(uow, registered.inviter_id, user_id, now)
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

    async def open_session(
        self, conn: Any, user_id: int, *, address: str, user_agent: str, now: int
    ) -> NewSession:
        """A new session, inside the caller's transaction, for an account whose holder proved
        themselves another way (single sign-on: services/sso.py)."""
        token, session_id = await self._new_session(conn, user_id, address, user_agent, now)
        return NewSession(user_id, token, session_id)

    async def do_login(
        self, *, login: str, password: str, address: str = "", user_agent: str = ""
    ) -> NewSession:
        key = login.strip().lower()
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user_by_login(conn, key)
        if row is not None and row.bot_kind is not None:
            row = None  # a robot has no password: answered as for no such account
        by_directory = await self._check_password(row, f"login:{key}", password, address)
        assert row is not None
        if not row.is_active:
            raise Forbidden("This account is deactivated.", code="ACCOUNT_DEACTIVATED")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            # A directory's password is never hashed into lakeside: it would outlive a change there.
            if not by_directory and self.ctx.hasher.needs_rehash(row.password_hash):
                new_hash = await self.ctx.hasher.hash(password)
                await user_store.update_user(uow.conn, row.id, {"password_hash": new_hash})
            token, session_id = await self._new_session(uow.conn, row.id, address, user_agent, now)
        if self.growth is not None:
            self.growth.activity.record(row.id, "login", at=now)
        return NewSession(row.id, token, session_id)

    async def _check_password(self, row: Any, unknown_key: str, password: str, address: str) -> bool:
        """Check ``password`` against the account ``row`` (None: no such account, checked against a
        dummy hash so that timing does not reveal accounts), spending one failure of the account's
        and the address's budgets first; raise BAD_CREDENTIALS or LOGIN_RATE_LIMITED. An account
        made by an organization's directory with log-in by bind is checked by the directory (its
        lakeside hash matches nothing); True then. A directory that cannot answer gives the units
        back (no password was tried) and raises DIRECTORY_UNAVAILABLE."""
        limits = self.ctx.limits
        account_key = f"user:{row.id}" if row is not None else unknown_key
        reservation = await limits.reserve(
            [("login_failures_per_address", address), ("login_failures_per_account", account_key)],
            code="LOGIN_RATE_LIMITED",
            message=LOGIN_LIMITED,
        )
        if row is None:
            await self.ctx.hasher.verify(await self._dummy_hash(), password)
            raise Unauthorized("The login or the password is wrong.", code="BAD_CREDENTIALS")
        directory = None
        if self.directory_login is not None:
            directory = await self.directory_login.login_of(row.id)
        if directory is not None:
            try:
                matches = await self.directory_login.check_password(directory, password)  # type: ignore[union-attr]
            except Unavailable:
                await limits.refund(reservation)
                raise
            except Forbidden:  # the right password of a disabled entry: not a failed guess
                await limits.refund(reservation)
                await limits.reset("login_failures_per_account", account_key)
                raise
        else:
            matches = await self.ctx.hasher.verify(row.password_hash, password)
        if not matches:
            raise Unauthorized("The login or the password is wrong.", code="BAD_CREDENTIALS")
        await limits.refund(reservation)
        await limits.reset("login_failures_per_account", account_key)
        return directory is not None

    async def password_matches(self, row: Any, password: str) -> bool:
        """Whether ``password`` is the account's (its directory's, for a directory account), with no
        rate limit of its own: for a signed-in confirmation such as deleting the account."""
        directory = await self.directory_login.login_of(row.id) if self.directory_login is not None else None
        if directory is not None:
            try:
                return await self.directory_login.check_password(directory, password)  # type: ignore[union-attr]
            except Forbidden:
                return False
        return await self.ctx.hasher.verify(row.password_hash, password)

    async def managed_by_directory(self, user_id: int) -> bool:
        """Whether the account's password is its organization directory's (log-in by bind)."""
        return self.directory_login is not None and await self.directory_login.login_of(user_id) is not None

    # -- sessions ---------------------------------------------------------------------------

    async def authenticate(self, token: str) -> AuthUser:
        if not token:
            raise Unauthorized("Log in first.", code="UNAUTHENTICATED")
        digest = token_hash(token)
        cache = self.sessions
        entry = cache.get(digest)
        now = now_ms()
        if entry is None and TOKEN_PATTERN.fullmatch(token):  # 47 characters: never a session
            entry = await self._bot_token(digest, now)
        elif entry is None:
            # A session not seen in the last few seconds: one read on the store's fast path (on
            # SQLite a synchronous read on the loop's thread). See services/sessions.py.
            epoch = cache.epoch
            row = await self.ctx.db.run_read(lambda conn: user_store.get_session_by_hash(conn, digest))
            if row is None or row[1] < now:
                raise Unauthorized("The session has ended; log in again.", code="SESSION_INVALID")
            session_id, expires_at, last_seen_at, user_id, username, display_name, is_admin, is_active = row
            if not is_active:
                raise Unauthorized("This account is deactivated.", code="ACCOUNT_DEACTIVATED")
            user = AuthUser(user_id, username, display_name, bool(is_admin), session_id)
            entry = cache.put(digest, user, expires_at, last_seen_at, epoch)
        elif entry.expires_at < now:
            if entry.user.session_id < 0:
                raise Unauthorized("The bot token is revoked, expired or unknown.", code="TOKEN_INVALID")
            raise Unauthorized("The session has ended; log in again.", code="SESSION_INVALID")
        if now - entry.last_seen_at > SESSION_TOUCH_MS:
            # Moved on before the write, so that concurrent requests do not all touch it.
            entry.last_seen_at = now
            if entry.user.session_id < 0:  # a bot's token: its last use (it expires when it says)
                async with self.ctx.transaction() as uow:
                    await bot_store.touch_token(uow.conn, -entry.user.session_id, now)
                return entry.user
            entry.expires_at = now + self.ctx.settings.session_ttl_days * 86_400_000
            async with self.ctx.transaction() as uow:
                await user_store.touch_session(uow.conn, entry.user.session_id, now, entry.expires_at)
        return entry.user

    async def _bot_token(self, digest: str, now: int) -> CachedSession:
        """A bot's API token not seen in the last seconds (services/bot_accounts.py issues them),
        cached like a session under the negated token id; revoked, expired or of a deactivated
        bot: refused as TOKEN_INVALID."""
        epoch = self.sessions.epoch
        async with self.ctx.db.read() as conn:
            row = await bot_store.token_by_hash(conn, digest)
        if row is None or (row.expires_at is not None and row.expires_at < now) or not row.is_active:
            raise Unauthorized("The bot token is revoked, expired or unknown.", code="TOKEN_INVALID")
        allowed = None if row.conversation_ids is None else frozenset(orjson.loads(row.conversation_ids))
        user = AuthUser(
            row.user_id,
            row.username,
            row.display_name,
            False,
            -row.id,
            scopes=frozenset(row.scopes.split()),
            conversations=allowed,
        )
        expires = row.expires_at if row.expires_at is not None else NEVER
        return self.sessions.put(digest, user, expires, row.last_used_at or 0, epoch)

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
        deleted = False
        try:
            async with self.ctx.transaction() as uow:
                deleted = await user_store.delete_session(uow.conn, user.id, session_id)
                if not deleted:
                    raise NotFound("No such session.", code="SESSION_NOT_FOUND")
                # Gateways close sockets opened with this session, and other nodes drop it from
                # their session caches, when they see this event.
                uow.emit(SessionRevoked(session_id=session_id), to_users(user.id))
        finally:
            if deleted:  # after the commit: evicted earlier, a concurrent look-up could re-cache it
                self.sessions.forget_session(session_id)

    async def do_deactivate_account(self, user_id: int) -> None:
        """Deactivate an account: it can no longer log in, and every session of it ends at once
        (each ``session.revoked``: sockets close, every node forgets the session)."""
        try:
            async with self.ctx.transaction() as uow:
                if await user_store.get_user(uow.conn, user_id) is None:
                    raise NotFound("No such user.", code="USER_NOT_FOUND")
                await user_store.update_user(uow.conn, user_id, {"is_active": False, "updated_at": now_ms()})
                for session_id in await user_store.delete_user_sessions(uow.conn, user_id):
                    uow.emit(SessionRevoked(session_id=session_id), to_users(user_id))
        finally:
            self.sessions.forget_user(user_id)

    async def do_reactivate_account(self, user_id: int) -> None:
        """Let a deactivated account log in again (its ended sessions stay ended)."""
        async with self.ctx.transaction() as uow:
            if await user_store.get_user(uow.conn, user_id) is None:
                raise NotFound("No such user.", code="USER_NOT_FOUND")
            await user_store.update_user(uow.conn, user_id, {"is_active": True, "updated_at": now_ms()})

    async def find_user_id(self, username: str) -> int:
        """The id of the account with this username (server administration)."""
        async with self.ctx.db.read() as conn:
            ids = await user_store.get_ids_by_usernames(conn, {username.strip().lower()})
        if not ids:
            raise NotFound(f"No user is called {username!r}.", code="USER_NOT_FOUND")
        return next(iter(ids.values()))

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
        # A deleted account still answers, anonymised, so that clients can name it "Deleted user";
        # so does a robot that was revoked (deactivated): its messages keep its name and badge.
        if row is None or (not row.is_active and row.deleted_at is None and row.bot_kind is None):
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
                current = await user_store.get_user(uow.conn, user.id)
                assert current is not None
                # A new address is unproved, and a proof sent to the old one is void.
                for channel in ("email", "phone"):
                    if channel in values and values[channel] != getattr(current, channel):
                        values[f"{channel}_verified_at"] = None
                        await verification_store.delete_proofs(uow.conn, user.id, channel)
                await user_store.update_user(uow.conn, user.id, values)
                row = await user_store.get_user(uow.conn, user.id)
                uow.emit(UserUpdated(**public_user(row)), to_users(user.id))
        except UniqueViolation as exc:
            raise self._taken(
                exc.constraint, user.username, values.get("email"), values.get("phone")
            ) from exc
        finally:
            self.sessions.forget_user(user.id)  # the cached caller carries the display name
        return own_profile(row)

    async def do_change_password(self, user: AuthUser, current: str, new: str, *, address: str = "") -> None:
        """Wrong current passwords spend the same budgets as failed log-ins: a stolen session must
        not become a way to guess the password."""
        async with self.ctx.db.read() as conn:
            row = await user_store.get_user(conn, user.id)
        if row is None:
            raise Unauthorized("The session has ended; log in again.", code="SESSION_INVALID")
        if await self.managed_by_directory(user.id):
            raise Forbidden(
                "This account's password is your organization directory's; change it there.",
                code="PASSWORD_MANAGED_BY_DIRECTORY",
            )
        try:
            await self._check_password(row, "", current, address)
        except Unauthorized as exc:
            raise Forbidden("The current password is wrong.", code="BAD_CREDENTIALS") from exc
        text.check_password(new, user.username, email=row.email, phone=row.phone, common=common_passwords())
        new_hash = await self.ctx.hasher.hash(new)
        try:
            async with self.ctx.transaction() as uow:
                await user_store.update_user(
                    uow.conn, user.id, {"password_hash": new_hash, "updated_at": now_ms()}
                )
                # Whoever else held the old password is logged out everywhere; this session stays.
                for session_id in await user_store.delete_user_sessions(
                    uow.conn, user.id, keep=user.session_id
                ):
                    uow.emit(SessionRevoked(session_id=session_id), to_users(user.id))
        finally:
            self.sessions.forget_user(user.id)

    async def find_users(self, query: str) -> list[dict[str, Any]]:
        """Exact look-up by username, e-mail or phone, as in WeChat and DingTalk: nobody can list
        the server's users by guessing fragments."""
        query = query.strip()
        if not query:
            raise Invalid("Say whom to look for.", code="EMPTY_QUERY")
        if not query.isprintable():
            # No username, e-mail or phone has control characters (nor a NUL, which PostgreSQL
            # refuses in text): nobody to find.
            return []
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
