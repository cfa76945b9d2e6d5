"""Request dependencies: the service container and the authenticated caller.

Two ways to present a session. Scripts and bots send ``Authorization: Bearer <token>``. The web
client holds its token in an HttpOnly cookie that page scripts cannot read; because a browser
attaches cookies to cross-site requests too, a cookie-authenticated request that changes
anything must also carry the ``X-CSRF-Token`` header with the value of the ``lakeside_csrf``
cookie (double submit): a page on another site can make the browser send the cookies, but cannot
read the CSRF cookie to copy it into the header. The value is bound to the session (an HMAC of the
session token under the server's secret, ``domain/tokens.py:csrf_token``) and checked against the
session cookie, not against the CSRF cookie: a CSRF token of another session — or a cookie planted
by a sibling subdomain — is refused.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from lakeside.api import scopes
from lakeside.domain.tokens import csrf_token
from lakeside.errors import Forbidden, Unauthorized
from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services

SESSION_COOKIE = "lakeside_session"
CSRF_COOKIE = "lakeside_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(
    auto_error=False,
    description="A session token from POST /api/v1/auth/login, or a bot's API token (lsb_...).",
)
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The web client's session (HttpOnly). Unsafe methods also need the X-CSRF-Token header.",
)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _csrf_for(request: Request, session_token: str) -> str:
    return csrf_token(get_services(request).ctx.settings.ensure_secret(), session_token)


def check_csrf(request: Request, session_token: str) -> None:
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not hmac.compare_digest(_csrf_for(request, session_token), given):
        raise Forbidden("Missing or wrong X-CSRF-Token header.", code="CSRF_FAILED")


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> AuthUser:
    if credentials is not None:
        token = credentials.credentials
    elif cookie:
        check_csrf(request, cookie)
        token = cookie
    else:
        token = ""
    user = await get_services(request).accounts.authenticate(token)
    if user.is_token:  # a bot's API token: only where api/scopes.py lets it in
        scopes.check(user, request.method, request.scope.get("route"), request.path_params)
    request.state.user = user
    return user


async def get_optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> AuthUser | None:
    """The caller of a public route, when they present a live session; anyone else (no session,
    an ended one) is served as a visitor rather than refused. Reads only: no CSRF check."""
    token = credentials.credentials if credentials is not None else cookie or ""
    if not token:
        return None
    try:
        user = await get_services(request).accounts.authenticate(token)
    except Unauthorized:
        return None
    if user.is_token:
        scopes.check(user, request.method, request.scope.get("route"), request.path_params)
    request.state.user = user
    return user


def set_session_cookies(request: Request, response: Response, token: str, max_age: int) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, secure=secure, samesite="lax", path="/"
    )
    csrf = _csrf_for(request, token)
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="strict", path="/"
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


ServicesDep = Annotated[Services, Depends(get_services)]
UserDep = Annotated[AuthUser, Depends(get_current_user)]
OptionalUserDep = Annotated[AuthUser | None, Depends(get_optional_user)]
