"""Liveness and database health."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from lakeside import __version__
from lakeside.api.deps import ServicesDep
from lakeside.api.responses import JSONResponse

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str
    version: str
    database: str
    dialect: str
    schema_revision: str | None
    bus: str


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def healthz(services: ServicesDep) -> JSONResponse:
    """Reports whether the database answers and its schema is current."""
    ctx = services.ctx
    database, revision = await services.health.database()
    body = HealthOut(
        status="ok" if database == "ok" else "degraded",
        version=__version__,
        database=database,
        dialect=ctx.db.dialect,
        schema_revision=revision,
        bus=ctx.settings.bus_url.split("://", 1)[0],
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
