"""Rate limits at the HTTP edge: per-user and per-address limits as a route dependency (the
largest request body is enforced by ``lakeside.api.edge``).

A route opts in with ``dependencies=[limited("sends")]``: the caller is authenticated (the
dependency is shared with the route, so once), then one ``sends`` unit is spent for the user and
for the client address, or the answer is 429 ``RATE_LIMITED`` with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from lakeside.api.deps import client_address, get_current_user, get_services
from lakeside.services.accounts import AuthUser


def limited(action: str) -> Any:
    """A dependency spending one ``action`` for the authenticated caller and their address."""

    async def spend(request: Request, user: AuthUser = Depends(get_current_user)) -> None:
        await get_services(request).ctx.limits.take(action, user_id=user.id, address=client_address(request))

    return Depends(spend)
