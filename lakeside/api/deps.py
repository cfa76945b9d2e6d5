"""Request dependencies: the service container and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services

bearer = HTTPBearer(auto_error=False, description="A session token from POST /api/v1/auth/login.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AuthUser:
    token = credentials.credentials if credentials else ""
    user = await get_services(request).accounts.authenticate(token)
    request.state.user = user
    return user


ServicesDep = Annotated[Services, Depends(get_services)]
UserDep = Annotated[AuthUser, Depends(get_current_user)]
