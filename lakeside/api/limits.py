"""Limits at the HTTP edge: per-user and per-address rate limits as a route dependency, and the
largest request body a JSON endpoint reads.

A route opts in with ``dependencies=[limited("sends")]``: the caller is authenticated (the
dependency is shared with the route, so once), then one ``sends`` unit is spent for the user and
for the client address, or the answer is 429 ``RATE_LIMITED`` with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Depends, Request

from lakeside.api.deps import client_address, get_current_user, get_services
from lakeside.api.errors import error_body
from lakeside.services.accounts import AuthUser

PAYLOAD_TOO_LARGE = 413


def limited(action: str) -> Any:
    """A dependency spending one ``action`` for the authenticated caller and their address."""

    async def spend(request: Request, user: AuthUser = Depends(get_current_user)) -> None:
        await get_services(request).ctx.limits.take(action, user_id=user.id, address=client_address(request))

    return Depends(spend)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413 before a route reads them, except on
    the upload routes, which stream their bodies and enforce their own (larger) limits."""

    def __init__(self, app: Any, limit: int, streamed: frozenset[str]) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self.streamed:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        # Read the body here (it is small or refused), then hand it on as one message.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)

    async def _refuse(self, send: Any) -> None:
        payload = orjson.dumps(
            error_body("TOO_LARGE", f"The request body is larger than {self.limit} bytes.", limit=self.limit)
        )
        await send(
            {
                "type": "http.response.start",
                "status": PAYLOAD_TOO_LARGE,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _replay(messages: list[Any], receive: Any) -> Any:
    pending = list(messages)

    async def replay() -> Any:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
