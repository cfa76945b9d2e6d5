"""Single sign-on providers: the server's (settings ``oidc_providers``, the operator's) and each
organization's own (rows that its owner and admins manage, audited).

Why two places: a server-wide provider is infrastructure like the SMTP server, set where the rest
of the deployment is (environment or TOML file), reviewed with it, and reachable on the company
network; an organization on a shared server brings its own directory (its Keycloak, Authing or
Azure AD tenant) without asking the operator, so its admins keep it through the API, and its
issuer must be a public https address (the guarded client refuses the server's own network).

A provider's key is what URLs and linked identities name: a server provider's configured key,
``org-<id>`` for an organization's. The client secret is stored but never answered: views say
only whether one is set.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Row

from lakeside.domain import text
from lakeside.domain.tokens import now_ms
from lakeside.errors import Invalid, NotFound
from lakeside.services import audit
from lakeside.services.accounts import AuthUser
from lakeside.services.context import Context
from lakeside.services.egress import check_url
from lakeside.services.oidc import OidcClient, ProviderConfig
from lakeside.services.orgaccess import access_org
from lakeside.store import organizations as org_store
from lakeside.store import sso as store

ORG_PREFIX = "org-"
MAX_ORG_PROVIDERS = 5
EDITABLE = (
    "display_name",
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "allow_signup",
    "add_to_org",
    "enabled",
)


def provider_not_found() -> NotFound:
    return NotFound("No such sign-in provider.", code="SSO_PROVIDER_NOT_FOUND")


def org_provider_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": f"{ORG_PREFIX}{row.id}",
        "organization_id": row.organization_id,
        "display_name": row.display_name,
        "issuer": row.issuer,
        "client_id": row.client_id,
        "client_secret_set": bool(row.client_secret),
        "scopes": row.scopes,
        "allow_signup": row.allow_signup,
        "add_to_org": row.add_to_org,
        "enabled": row.enabled,
        "start_url": f"/api/v1/auth/oidc/{ORG_PREFIX}{row.id}/start",
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _org_config(row: Row[Any]) -> ProviderConfig:
    return ProviderConfig(
        key=f"{ORG_PREFIX}{row.id}",
        display_name=row.display_name,
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=row.client_secret,
        scopes=row.scopes,
        allow_signup=row.allow_signup,
        organization_id=row.organization_id,
        org_provider_id=row.id,
        add_to_org=row.add_to_org,
        trusted=False,
    )


class SsoProviders:
    def __init__(self, ctx: Context, client: OidcClient) -> None:
        self.ctx = ctx
        self.client = client

    # -- resolution (the log-in flow) -----------------------------------------------------------

    def server_providers(self) -> list[ProviderConfig]:
        return [
            ProviderConfig(
                key=item.key,
                display_name=item.display_name,
                issuer=item.issuer,
                client_id=item.client_id,
                client_secret=item.client_secret,
                scopes=item.scopes,
                allow_signup=item.allow_signup,
                link_by_email=item.link_by_email,
                link_by_phone=item.link_by_phone,
                trusted=True,
            )
            for item in self.ctx.settings.oidc_providers
        ]

    async def resolve(self, key: str) -> ProviderConfig:
        """The enabled provider ``key`` names (SSO_PROVIDER_NOT_FOUND otherwise)."""
        for provider in self.server_providers():
            if provider.key == key:
                return provider
        if key.startswith(ORG_PREFIX) and key[len(ORG_PREFIX) :].isdigit():
            provider_id = int(key[len(ORG_PREFIX) :])
            if provider_id < 2**63:
                async with self.ctx.db.read() as conn:
                    row = await store.get_provider(conn, provider_id)
                if row is not None and row.enabled:
                    return _org_config(row)
        raise provider_not_found()

    async def list_public(self, organization_id: int | None) -> list[dict[str, Any]]:
        """What the log-in page shows: each provider's name and where its button goes; an
        organization's enabled providers too when the page names the organization."""
        listed = [
            {"key": p.key, "display_name": p.display_name, "organization_id": None}
            for p in self.server_providers()
        ]
        if organization_id is not None and 0 < organization_id < 2**63:
            async with self.ctx.db.read() as conn:
                rows = await store.list_providers(conn, organization_id)
            listed += [
                {
                    "key": f"{ORG_PREFIX}{row.id}",
                    "display_name": row.display_name,
                    "organization_id": row.organization_id,
                }
                for row in rows
                if row.enabled
            ]
        return [{**item, "start_url": f"/api/v1/auth/oidc/{item['key']}/start"} for item in listed]

    # -- an organization's own providers (owner and admins) -------------------------------------

    async def list_org(self, user: AuthUser, organization_id: int) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as conn:
            await access_org(conn, user.id, organization_id, admin=True)
            rows = await store.list_providers(conn, organization_id)
        return [org_provider_view(row) for row in rows]

    def _check(self, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for field in EDITABLE:
            if field not in values or values[field] is None:
                if creating and field in ("display_name", "issuer", "client_id", "client_secret"):
                    raise Invalid(
                        f"Say the provider's {field.replace('_', ' ')}.", code="INVALID_SSO_PROVIDER"
                    )
                continue
            value = values[field]
            if field == "display_name":
                value = text.clean_name(value, field="display name")
            elif field == "issuer":
                value = check_url(value)
                if urlsplit(value).scheme != "https" and not self.ctx.settings.egress_allow_private:
                    raise Invalid("The issuer must be an https:// address.", code="INVALID_URL")
            elif field in ("client_id", "client_secret"):
                value = value.strip()
                if not value or not value.isprintable():
                    raise Invalid(
                        f"The {field.replace('_', ' ')} is empty or unreadable.", code="INVALID_SSO_PROVIDER"
                    )
            elif field == "scopes":
                scopes = value.split()
                if "openid" not in scopes or not all(s.isprintable() and s.isascii() for s in scopes):
                    raise Invalid("The scopes must include 'openid'.", code="INVALID_SSO_PROVIDER")
                value = " ".join(dict.fromkeys(scopes))
            checked[field] = value
        return checked

    async def do_create_org(
        self, user: AuthUser, organization_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        checked = self._check(values, creating=True)
        checked.setdefault("scopes", "openid email profile")
        now = now_ms()
        async with self.ctx.transaction() as uow:
            await access_org(uow.conn, user.id, organization_id, admin=True, lock=True)
            if len(await store.list_providers(uow.conn, organization_id)) >= MAX_ORG_PROVIDERS:
                raise Invalid(
                    f"An organization may have at most {MAX_ORG_PROVIDERS} sign-in providers.",
                    code="TOO_MANY_SSO_PROVIDERS",
                )
            provider_id = await store.insert_provider(
                uow.conn,
                {
                    **checked,
                    "organization_id": organization_id,
                    "created_by": user.id,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="sso_provider.create",
                target_type="sso_provider",
                target_id=provider_id,
                details=_audit_details(checked),
            )
            row = await store.get_provider(uow.conn, provider_id)
        return org_provider_view(row)

    async def _access_provider(
        self, conn: Any, user: AuthUser, organization_id: int, provider_id: int
    ) -> Row[Any]:
        await access_org(conn, user.id, organization_id, admin=True)
        row = await store.get_provider(conn, provider_id)
        if row is None or row.organization_id != organization_id:
            raise provider_not_found()
        return row

    async def do_update_org(
        self, user: AuthUser, organization_id: int, provider_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        checked = self._check(values, creating=False)
        async with self.ctx.transaction() as uow:
            before = await self._access_provider(uow.conn, user, organization_id, provider_id)
            if checked:
                await store.update_provider(uow.conn, provider_id, {**checked, "updated_at": now_ms()})
                await audit.record(
                    uow,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="sso_provider.update",
                    target_type="sso_provider",
                    target_id=provider_id,
                    details=_audit_details(checked),
                )
            row = await store.get_provider(uow.conn, provider_id)
        self.client.forget(before.issuer)
        return org_provider_view(row)

    async def do_delete_org(self, user: AuthUser, organization_id: int, provider_id: int) -> None:
        """Delete the provider and the identities linked through it (accounts stay)."""
        async with self.ctx.transaction() as uow:
            row = await self._access_provider(uow.conn, user, organization_id, provider_id)
            await store.delete_provider(uow.conn, provider_id)
            await audit.record(
                uow,
                organization_id=organization_id,
                actor_id=user.id,
                action="sso_provider.delete",
                target_type="sso_provider",
                target_id=provider_id,
                details={"display_name": row.display_name, "issuer": row.issuer},
            )
        self.client.forget(row.issuer)

    async def organization(self, conn: Any, organization_id: int) -> Row[Any] | None:
        return await org_store.get_organization(conn, organization_id, for_update=True)


def _audit_details(values: dict[str, Any]) -> dict[str, Any]:
    """The change, with the secret replaced by the fact that it changed."""
    details = {key: value for key, value in values.items() if key != "client_secret"}
    if "client_secret" in values:
        details["client_secret_changed"] = True
    return details
