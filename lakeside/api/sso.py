"""Single sign-on (OpenID Connect): the log-in page's providers, the redirect to a provider and
its return, the caller's linked identities, and an organization's own providers."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from lakeside.api.deps import OptionalUserDep, ServicesDep, UserDep, client_address, set_session_cookies
from lakeside.api.schemas import ERRORS, ErrorOut, Ok, Strict
from lakeside.api.views import MAX_ID, IdPath
from lakeside.domain.inputs import Text
from lakeside.errors import Unauthorized
from lakeside.services.oidc import OidcError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["single sign-on"], responses=ERRORS)

# Ties a log-in to the browser that started it (services/sso.py); read only by the callback.
BROWSER_COOKIE = "lakeside_oidc"
COOKIE_PATH = "/api/v1/auth/oidc"

KeyPath = Annotated[
    str,
    Path(
        max_length=64,
        pattern=r"^[a-z][a-z0-9_-]{0,63}$",
        description="A server provider's key, or `org-<id>` for an organization's.",
    ),
]
REDIRECT: dict[int | str, dict[str, object]] = {
    303: {"description": "To the provider's log-in page."},
    503: {"model": ErrorOut, "description": "The provider's discovery document cannot be fetched."},
}
RETURN: dict[int | str, dict[str, object]] = {
    303: {
        "description": "Into the web client: logged in (session cookies set) at `next`, or to "
        "`/#/login?sso_error=CODE` (`/#/settings/accounts?sso_error=CODE` when linking) on failure."
    }
}


class ProviderOut(BaseModel):
    key: str = Field(examples=["keycloak"])
    display_name: str = Field(examples=["Keycloak"])
    organization_id: int | None = Field(description="Set for an organization's own provider.")
    start_url: str = Field(examples=["/api/v1/auth/oidc/keycloak/start"])


class IdentityOut(BaseModel):
    id: int
    provider_key: str
    provider_name: str
    email: str | None = Field(description="The address the provider gave at the last log-in.")
    name: str
    created_at: int
    last_login_at: int | None


class IdentitiesOut(BaseModel):
    has_password: bool = Field(description="False for an account created by single sign-on.")
    identities: list[IdentityOut]


class OrgProviderOut(BaseModel):
    id: int
    key: str = Field(examples=["org-3"])
    organization_id: int
    display_name: str
    issuer: str
    client_id: str
    client_secret_set: bool = Field(description="The secret is stored; it is never answered.")
    scopes: str
    allow_signup: bool
    add_to_org: bool
    enabled: bool
    start_url: str
    created_at: int
    updated_at: int


class OrgProviderIn(Strict):
    display_name: str = Field(max_length=64, examples=["使用 Keycloak 登录"])
    issuer: str = Field(max_length=512, examples=["https://sso.example.com/realms/acme"])
    client_id: str = Field(max_length=256)
    client_secret: str = Field(max_length=512)
    scopes: str = Field(default="openid email profile", max_length=256)
    allow_signup: bool = Field(default=True, description="Create accounts on first log-in (just in time).")
    add_to_org: bool = Field(default=True, description="Whoever logs in through it joins the organization.")
    enabled: bool = True


class OrgProviderPatch(Strict):
    display_name: str | None = Field(default=None, max_length=64)
    issuer: str | None = Field(default=None, max_length=512)
    client_id: str | None = Field(default=None, max_length=256)
    client_secret: str | None = Field(
        default=None, max_length=512, description="Omit to keep the stored one."
    )
    scopes: str | None = Field(default=None, max_length=256)
    allow_signup: bool | None = None
    add_to_org: bool | None = None
    enabled: bool | None = None


@router.get("/auth/oidc/providers", response_model=list[ProviderOut])
async def list_providers(
    services: ServicesDep,
    organization_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Also this organization's own providers.")
    ] = None,
) -> list[ProviderOut]:
    """The log-in page's buttons (no session needed): names and where they go, nothing else."""
    return [ProviderOut(**item) for item in await services.sso.providers.list_public(organization_id)]


@router.get(
    "/auth/oidc/{key}/start",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=REDIRECT,
)
async def start(
    key: KeyPath,
    request: Request,
    services: ServicesDep,
    caller: OptionalUserDep,
    next: Annotated[
        Text | None, Query(max_length=512, description="A path on this server to land on.")
    ] = None,
    link: Annotated[bool, Query(description="Add the identity to the logged-in caller's account.")] = False,
) -> RedirectResponse:
    """Send the browser to the provider (authorization code flow with PKCE S256, state and nonce)."""
    if link and caller is None:
        raise Unauthorized("Log in first.", code="UNAUTHENTICATED")
    started = await services.sso.do_start(
        key,
        next_path=next,
        browser_secret=request.cookies.get(BROWSER_COOKIE),
        link_user=caller if link else None,
        address=client_address(request),
    )
    response = RedirectResponse(started.authorization_url, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        BROWSER_COOKIE,
        started.browser_secret,
        max_age=services.ctx.settings.oidc_login_ttl_seconds,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",  # the provider's redirect back is a top-level GET: Lax cookies go along
        path=COOKIE_PATH,
    )
    return response


@router.get(
    "/auth/oidc/{key}/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=RETURN,
)
async def callback(
    key: KeyPath,
    request: Request,
    services: ServicesDep,
    code: Annotated[Text | None, Query(max_length=2048)] = None,
    state: Annotated[Text | None, Query(max_length=128)] = None,
    error: Annotated[Text | None, Query(max_length=256)] = None,
    iss: Annotated[Text | None, Query(max_length=512)] = None,
) -> RedirectResponse:
    """Where the provider sends the browser back; a person never calls it by hand."""
    try:
        finished = await services.sso.do_callback(
            key,
            state=state,
            code=code,
            error=error,
            issuer=iss,
            browser_secret=request.cookies.get(BROWSER_COOKIE),
            address=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except OidcError as exc:
        log.info("sso: log-in through %s refused: %s (%s)", key, exc.code, exc.detail)
        page = "settings/accounts" if exc.linking else "login"
        return RedirectResponse(
            f"/#/{page}?sso_error={quote(exc.code)}", status_code=status.HTTP_303_SEE_OTHER
        )
    if finished.session is None:
        return RedirectResponse("/#/settings/accounts?sso_linked=1", status_code=status.HTTP_303_SEE_OTHER)
    response = RedirectResponse(finished.next_path, status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookies(
        request, response, finished.session.token, services.ctx.settings.session_ttl_days * 86_400
    )
    return response


@router.get("/me/identities", response_model=IdentitiesOut)
async def list_identities(user: UserDep, services: ServicesDep) -> IdentitiesOut:
    """The accounts at sign-in providers linked to yours."""
    return IdentitiesOut(**await services.sso.list_identities(user))


@router.delete("/me/identities/{identity_id}", response_model=Ok)
async def unlink_identity(identity_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Unlink one; refused (409 ``LAST_LOGIN_METHOD``) when it is your only way to log in."""
    await services.sso.do_unlink(user, identity_id)
    return Ok()


@router.get("/orgs/{org_id}/sso/providers", response_model=list[OrgProviderOut])
async def list_org_providers(org_id: IdPath, user: UserDep, services: ServicesDep) -> list[OrgProviderOut]:
    """The organization's own sign-in providers (owner and admins)."""
    return [OrgProviderOut(**row) for row in await services.sso.providers.list_org(user, org_id)]


@router.post(
    "/orgs/{org_id}/sso/providers", status_code=status.HTTP_201_CREATED, response_model=OrgProviderOut
)
async def create_org_provider(
    org_id: IdPath, body: OrgProviderIn, user: UserDep, services: ServicesDep
) -> OrgProviderOut:
    """Add a provider (audited). Register `{public_url}/api/v1/auth/oidc/org-{id}/callback` at it."""
    return OrgProviderOut(**await services.sso.providers.do_create_org(user, org_id, body.model_dump()))


@router.patch("/orgs/{org_id}/sso/providers/{provider_id}", response_model=OrgProviderOut)
async def update_org_provider(
    org_id: IdPath, provider_id: IdPath, body: OrgProviderPatch, user: UserDep, services: ServicesDep
) -> OrgProviderOut:
    changes = body.model_dump(exclude_unset=True)
    return OrgProviderOut(**await services.sso.providers.do_update_org(user, org_id, provider_id, changes))


@router.delete("/orgs/{org_id}/sso/providers/{provider_id}", response_model=Ok)
async def delete_org_provider(
    org_id: IdPath, provider_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Remove the provider and the identities linked through it (the accounts stay)."""
    await services.sso.providers.do_delete_org(user, org_id, provider_id)
    return Ok()
