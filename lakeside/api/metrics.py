"""``GET /metrics``: this node's Prometheus metrics (lakeside.metrics), off unless enabled.

Disabled, the route answers 404 exactly as an unknown path does. Enabled with ``metrics_token``
set, it wants ``Authorization: Bearer <token>`` and answers 401 otherwise; the token is compared
in constant time.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from lakeside.api.deps import ServicesDep
from lakeside.errors import NotFound, Unauthorized
from lakeside.metrics import CONTENT_TYPE, Metrics

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_model=None, response_class=Response, include_in_schema=False)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus text exposition of this node's metrics."""
    registry: Metrics | None = getattr(request.app.state, "metrics", None)
    if registry is None:
        raise NotFound("Not found.", code="NOT_FOUND")
    token = services.ctx.settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise Unauthorized("Metrics need the bearer token.", code="METRICS_TOKEN_INVALID")
    return Response(registry.render(), media_type=CONTENT_TYPE)
