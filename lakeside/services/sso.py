"""Single sign-on log-ins: from the button on the log-in page to a lakeside session.

``do_start`` keeps the log-in server-side (a row: the state's hash, the nonce, the PKCE verifier,
where to go after) bound to the browser that started it (the hash of a random value in an
HttpOnly cookie), and answers the provider's authorization URL. ``do_callback`` takes that row
(deleting it: a replayed callback finds nothing), checks the browser, exchanges the code, checks
the ID token (services/oidc.py) and decides who this is:

1. an identity already linked (provider key + ``sub``) logs its account in;
2. a logged-in user who started from settings links the identity to their own account;
3. otherwise an account whose *proved* e-mail the provider says it *verified* (``email_verified``
   true), or whose proved phone it verified (``phone_number_verified``), is linked and logged in;
   an address that matches an account but is unproved on either side links nothing and is
   refused (SSO_EMAIL_UNVERIFIED): whoever typed an address they do not hold must not gain the
   account that holds it, nor the other way round;
4. otherwise, where the provider allows it, an account is created just in time;
5. otherwise the log-in is refused (SSO_SIGNUP_DISABLED).

Deactivated and deleted accounts never log in. An organization's provider may add whoever logs
in through it to that organization (``add_to_org``), inside the same transaction.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Row

from lakeside.domain import text
from lakeside.domain.tokens import now_ms, token_hash
from lakeside.errors import Conflict, Invalid, NotFound
from lakeside.services.accounts import Accounts, AuthUser, NewSession
from lakeside.services.context import Context, UnitOfWork
from lakeside.services.oidc import OidcClient, OidcError, ProviderConfig
from lakeside.services.organizations import Organizations
from lakeside.services.sso_providers import SsoProviders
from lakeside.store import organizations as org_store
from lakeside.store import sso as store
from lakeside.store import users as user_store
from lakeside.store.engine import UniqueViolation, savepoint

log = logging.getLogger(__name__)

# An account that only single sign-on opens: no argon2 hash, so no password ever matches.
NO_PASSWORD = "!sso"
MAX_NEXT_LENGTH = 512
ID_TOKEN_ONLY = frozenset({"iss", "sub", "aud", "azp", "exp", "iat", "nbf", "nonce", "auth_time"})


def has_password(password_hash: str) -> bool:
    return not password_hash.startswith("!")


def safe_next(value: str | None) -> str:
    """Where to land after the log-in: a path on this server only (no other host, no scheme)."""
    if (
        not value
        or len(value) > MAX_NEXT_LENGTH
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
    ):
        return "/"
    if not value.isprintable() or "\\" in value:
        return "/"
    return value


def _verified(claims: dict[str, Any], name: str) -> bool:
    # Some providers send the JSON boolean, a few the string.
    return claims.get(name) is True or claims.get(name) == "true"


@dataclass(frozen=True)
class Started:
    authorization_url: str
    browser_secret: str


@dataclass(frozen=True)
class Finished:
    next_path: str
    session: NewSession | None  # None when an identity was linked to the logged-in caller
    linked: bool


class Sso:
    def __init__(self, ctx: Context, accounts: Accounts, organizations: Organizations) -> None:
        self.ctx = ctx
        self.accounts = accounts
        self.organizations = organizations
        self.client = OidcClient(ctx.settings)
        self.providers = SsoProviders(ctx, self.client)

    def redirect_uri(self, key: str) -> str:
        return f"{self.ctx.settings.public_url.rstrip('/')}/api/v1/auth/oidc/{key}/callback"

    # -- the redirect to the provider -----------------------------------------------------------

    async def do_start(
        self,
        key: str,
        *,
        next_path: str | None,
        browser_secret: str | None,
        link_user: AuthUser | None,
        address: str = "",
    ) -> Started:
        provider = await self.providers.resolve(key)
        await self.ctx.limits.take("sso_logins", address=address)
        try:
            document = await self.client.discover(provider)
        except OidcError as exc:
            log.warning("sso: %s cannot start: %s", key, exc.detail)
            raise _unavailable(exc) from exc
        secret = (
            browser_secret
            if browser_secret and 20 <= len(browser_secret) <= 64
            else secrets.token_urlsafe(32)
        )
        state, nonce, verifier = (
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(64),
        )
        redirect_uri = self.redirect_uri(key)
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await store.delete_expired_logins(uow.conn, now)
            await store.insert_login(
                uow.conn,
                {
                    "state_hash": token_hash(state),
                    "browser_hash": token_hash(secret),
                    "provider_key": key,
                    "nonce": nonce,
                    "code_verifier": verifier,
                    "redirect_uri": redirect_uri,
                    "next_path": safe_next(next_path),
                    "link_user_id": link_user.id if link_user is not None else None,
                    "created_at": now,
                    "expires_at": now + self.ctx.settings.oidc_login_ttl_seconds * 1000,
                },
            )
        url = self.client.authorization_url(
            provider, document, state=state, nonce=nonce, verifier=verifier, redirect_uri=redirect_uri
        )
        return Started(url, secret)

    # -- the provider's answer ------------------------------------------------------------------

    async def do_callback(
        self,
        key: str,
        *,
        state: str | None,
        code: str | None,
        error: str | None,
        issuer: str | None,
        browser_secret: str | None,
        address: str,
        user_agent: str,
    ) -> Finished:
        """Raise OidcError (its code for the web client) unless the log-in completes; NotFound
        for a provider that does not exist (or no longer does)."""
        provider = await self.providers.resolve(key)
        login = await self._take_login(key, state, browser_secret)
        try:
            return await self._finish(provider, login, code=code, error=error, issuer=issuer,
                                      address=address, user_agent=user_agent)  # fmt: skip
        except OidcError as exc:
            exc.linking = login.link_user_id is not None
            raise

    async def _finish(
        self,
        provider: ProviderConfig,
        login: Row[Any],
        *,
        code: str | None,
        error: str | None,
        issuer: str | None,
        address: str,
        user_agent: str,
    ) -> Finished:
        if error:
            code_name = "SSO_ACCESS_DENIED" if error == "access_denied" else "SSO_PROVIDER_ERROR"
            raise OidcError(code_name, f"the provider answered {error[:64]!r}")
        if not code:
            raise OidcError("SSO_PROVIDER_ERROR", "no code in the callback")
        document = await self.client.discover(provider)
        # RFC 9207: where the provider names itself in the answer, it must be the one we asked.
        if issuer is not None and issuer != document["issuer"]:
            raise OidcError("SSO_TOKEN_INVALID", "the answer names another issuer")
        tokens = await self.client.exchange_code(
            provider, document, code=code, verifier=login.code_verifier, redirect_uri=login.redirect_uri
        )
        claims = await self.client.validate_id_token(
            provider, document, tokens["id_token"], nonce=login.nonce
        )
        info = await self.client.userinfo(
            provider, document, str(tokens.get("access_token") or ""), claims["sub"]
        )
        # Profile claims from userinfo; what the ID token proved (issuer, audience, subject) stays.
        claims = {**claims, **{k: v for k, v in info.items() if k not in ID_TOKEN_ONLY}}
        now = now_ms()
        async with self.ctx.transaction() as uow:
            if login.link_user_id is not None:
                await self._link_to_caller(uow, provider, claims, login.link_user_id, now)
                return Finished(login.next_path, None, True)
            user_id, created = await self._account_for(uow, provider, claims, now)
            if provider.add_to_org and provider.organization_id is not None:
                await self._join_org(uow, provider.organization_id, user_id, now)
            session = await self.accounts.open_session(
                uow.conn, user_id, address=address, user_agent=user_agent, now=now
            )
            registered = None
            if created and self.accounts.growth is not None:
                registered = await self.accounts.growth.referrals.record_registration(
                    uow.conn, user_id=user_id, invitation_code=None, ip=address, device="", now=now
                )
        if self.accounts.growth is not None:
            if registered is not None:
                await self.accounts.growth.after_registration(registered)
            else:
                self.accounts.growth.activity.record(user_id, "login", at=now)
        return Finished(login.next_path, session, False)

    async def _take_login(self, key: str, state: str | None, browser_secret: str | None) -> Row[Any]:
        if not state or len(state) > 128:
            raise OidcError("SSO_STATE_INVALID", "no state")
        async with self.ctx.transaction() as uow:
            login = await store.take_login(uow.conn, token_hash(state))
        if login is None:
            raise OidcError("SSO_STATE_INVALID", "unknown or used state")
        if not browser_secret or not hmac.compare_digest(token_hash(browser_secret), login.browser_hash):
            raise OidcError("SSO_STATE_INVALID", "the log-in was started in another browser")
        if login.provider_key != key:
            raise OidcError("SSO_STATE_INVALID", "the state belongs to another provider")
        if login.expires_at < now_ms():
            raise OidcError("SSO_LOGIN_EXPIRED", "the log-in took too long")
        return login

    # -- who this is ----------------------------------------------------------------------------

    async def _account_for(
        self, uow: UnitOfWork, provider: ProviderConfig, claims: dict[str, Any], now: int
    ) -> tuple[int, bool]:
        """The account this identity logs in (linking or creating it); and whether it is new."""
        subject = claims["sub"]
        identity = await store.get_identity(uow.conn, provider.key, subject)
        if identity is not None:
            account = await user_store.get_user(uow.conn, identity.user_id)
            self._check_can_log_in(account)
            await store.touch_identity(uow.conn, identity.id, {**_snapshot(claims), "last_login_at": now})
            return identity.user_id, False
        email, phone = _email(claims), _phone(claims)
        email_ok = provider.link_by_email and email is not None and _verified(claims, "email_verified")
        phone_ok = provider.link_by_phone and phone is not None and _verified(claims, "phone_number_verified")
        match = await user_store.get_user_by_contact(
            uow.conn, phone if phone_ok else None, email if email_ok else None
        )
        if match is not None:
            self._check_can_log_in(match)
            await self._insert_identity(uow, provider, claims, match.id, now)
            return match.id, False
        if email is not None and await store.holder_of(uow.conn, email=email) is not None:
            # The address is someone's, but proved on only one side (or not at all): no link, and
            # no second account with the same address.
            raise OidcError(
                "SSO_EMAIL_UNVERIFIED",
                "an account has this e-mail address, but it is not proved on both sides",
            )
        if not provider.allow_signup:
            raise OidcError("SSO_SIGNUP_DISABLED", "no linked account and sign-up is off")
        user_id = await self._create_account(
            uow, claims, email if email_ok else None, phone if phone_ok else None, now
        )
        await self._insert_identity(uow, provider, claims, user_id, now)
        return user_id, True

    @staticmethod
    def _check_can_log_in(account: Row[Any] | None) -> None:
        if account is None or not account.is_active or account.deleted_at is not None:
            raise OidcError("SSO_ACCOUNT_DEACTIVATED", "the account is deactivated or deleted")

    async def _link_to_caller(
        self, uow: UnitOfWork, provider: ProviderConfig, claims: dict[str, Any], user_id: int, now: int
    ) -> None:
        account = await user_store.get_user(uow.conn, user_id)
        self._check_can_log_in(account)
        identity = await store.get_identity(uow.conn, provider.key, claims["sub"])
        if identity is not None:
            if identity.user_id != user_id:
                raise OidcError("SSO_IDENTITY_TAKEN", "this identity is linked to another account")
            return
        await self._insert_identity(uow, provider, claims, user_id, now)

    async def _insert_identity(
        self, uow: UnitOfWork, provider: ProviderConfig, claims: dict[str, Any], user_id: int, now: int
    ) -> None:
        try:
            async with savepoint(uow.conn):
                await store.insert_identity(
                    uow.conn,
                    {
                        "user_id": user_id,
                        "provider_key": provider.key,
                        "org_provider_id": provider.org_provider_id,
                        "subject": claims["sub"][:255],
                        "issuer": str(claims.get("iss", provider.issuer))[:512],
                        "created_at": now,
                        "last_login_at": now,
                        **_snapshot(claims),
                    },
                )
        except UniqueViolation as exc:  # the same person's two log-ins at once
            raise OidcError("SSO_IDENTITY_TAKEN", "this identity was linked meanwhile") from exc

    async def _create_account(
        self, uow: UnitOfWork, claims: dict[str, Any], email: str | None, phone: str | None, now: int
    ) -> int:
        # A verified phone number that another account has typed (unproved) stays off the new one.
        phone_free = phone is not None and await store.holder_of(uow.conn, phone=phone) is None
        base = _username_base(claims)
        name = _display_name(claims, base)
        for attempt in range(20):
            username = base if attempt == 0 else f"{base[:26]}{secrets.randbelow(10**5):05d}"
            if username in text.RESERVED_USERNAMES:
                continue
            if await user_store.get_ids_by_usernames(uow.conn, {username}):
                continue
            try:
                async with savepoint(uow.conn):
                    return await user_store.insert_user(
                        uow.conn,
                        {
                            "username": username,
                            "display_name": name,
                            "email": email,
                            "email_verified_at": now if email else None,
                            "phone": phone if phone_free else None,
                            "phone_verified_at": now if phone_free else None,
                            "password_hash": NO_PASSWORD,
                            "is_admin": False,
                            "created_at": now,
                            "updated_at": now,
                        },
                    )
            except UniqueViolation as exc:
                if "username" not in exc.constraint:
                    raise OidcError("SSO_EMAIL_UNVERIFIED", "the address was registered meanwhile") from exc
        raise OidcError("SSO_PROVIDER_ERROR", "no free username")

    async def _join_org(self, uow: UnitOfWork, organization_id: int, user_id: int, now: int) -> None:
        organization = await org_store.get_organization(uow.conn, organization_id, for_update=True)
        if organization is None:
            return
        member = await org_store.get_member(uow.conn, organization_id, user_id)
        if member is not None:
            if member.status != "active":
                # An admin deactivated this membership; signing in does not undo it.
                raise OidcError("SSO_MEMBER_DEACTIVATED", "the organization deactivated this membership")
            return
        await self.organizations.admit(uow, organization, user_id, role="member", by=user_id, now=now)

    # -- the caller's linked identities ---------------------------------------------------------

    async def list_identities(self, user: AuthUser) -> dict[str, Any]:
        names = {p.key: p.display_name for p in self.providers.server_providers()}
        async with self.ctx.db.read() as conn:
            rows = await store.list_identities(conn, user.id)
            account = await user_store.get_user(conn, user.id)
            for row in rows:
                if row.org_provider_id is not None and row.provider_key not in names:
                    provider = await store.get_provider(conn, row.org_provider_id)
                    names[row.provider_key] = (
                        provider.display_name if provider is not None else row.provider_key
                    )
        return {
            "has_password": account is not None and has_password(account.password_hash),
            "identities": [
                {
                    "id": row.id,
                    "provider_key": row.provider_key,
                    "provider_name": names.get(row.provider_key, row.provider_key),
                    "email": row.email,
                    "name": row.name,
                    "created_at": row.created_at,
                    "last_login_at": row.last_login_at,
                }
                for row in rows
            ],
        }

    async def do_unlink(self, user: AuthUser, identity_id: int) -> None:
        async with self.ctx.transaction() as uow:
            account = await user_store.get_user(uow.conn, user.id)
            rows = await store.list_identities(uow.conn, user.id)
            if not any(row.id == identity_id for row in rows):
                raise NotFound("No such linked account.", code="IDENTITY_NOT_FOUND")
            if (account is None or not has_password(account.password_hash)) and len(rows) <= 1:
                raise Conflict(
                    "This is your only way to log in: set a password or link another account first.",
                    code="LAST_LOGIN_METHOD",
                )
            await store.delete_identity(uow.conn, user.id, identity_id)


def _unavailable(exc: OidcError) -> Exception:
    from lakeside.errors import Unavailable

    return Unavailable("The sign-in provider cannot be reached; try again later.", code=exc.code)


def _snapshot(claims: dict[str, Any]) -> dict[str, Any]:
    email = claims.get("email")
    name = claims.get("name") or claims.get("preferred_username") or ""
    return {
        "email": email[:320] if isinstance(email, str) else None,
        "name": name[:256] if isinstance(name, str) else "",
    }


def _email(claims: dict[str, Any]) -> str | None:
    value = claims.get("email")
    if not isinstance(value, str):
        return None
    try:
        return text.normalize_email(value)
    except Invalid:
        return None


def _phone(claims: dict[str, Any]) -> str | None:
    value = claims.get("phone_number")
    if not isinstance(value, str):
        return None
    try:
        return text.normalize_phone(value)
    except Invalid:
        return None


def _username_base(claims: dict[str, Any]) -> str:
    """A username from what the provider calls the person: preferred_username, the e-mail's local
    part or the name, folded to lakeside's alphabet (a letter first, 3 to 32 characters)."""
    for field in ("preferred_username", "email", "nickname", "name"):
        value = claims.get(field)
        if not isinstance(value, str) or not value:
            continue
        if field == "email":
            value = value.split("@", 1)[0]
        folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
        folded = re.sub(r"[^a-z0-9_.-]+", "", folded)
        folded = re.sub(r"^[^a-z]+", "", folded)[:32]
        if len(folded) >= 3:
            return folded
    return "user" + secrets.token_hex(4)


def _display_name(claims: dict[str, Any], username: str) -> str:
    for field in ("name", "preferred_username", "nickname"):
        value = claims.get(field)
        if isinstance(value, str):
            cleaned = text.strip_invisible(value).strip()[:64]
            if cleaned and cleaned.isprintable():
                return cleaned
    return username
