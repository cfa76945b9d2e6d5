"""The composition root: ``build_app(settings)`` wires database, bus, services and routes.

Nothing is built at import time, so tests (and several nodes in one test) build as many
independent apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakeside import __version__
from lakeside.api import (
    accounts,
    analytics,
    announcements,
    apidocs,
    approvals,
    audit,
    bot_subscriptions,
    bots,
    campaigns,
    commands,
    conversations,
    ding,
    directory,
    exports,
    favorites,
    files,
    forwards,
    friends,
    group_invites,
    groups,
    growth,
    growth_admin,
    health,
    hooks,
    ldap,
    messages,
    metrics,
    organizations,
    privacy,
    receipts,
    reports,
    robots,
    search,
    sso,
    sync,
    todos,
    web,
    webhooks,
)
from lakeside.api.edge import Edge, websocket_context
from lakeside.api.errors import install_error_handlers
from lakeside.bus import create_bus
from lakeside.config import Settings
from lakeside.metrics import attach_metrics, install_metrics
from lakeside.realtime.gateway import stream_endpoint
from lakeside.realtime.hub import Hub
from lakeside.services.container import Services
from lakeside.services.context import Context
from lakeside.store import migrate
from lakeside.store.engine import Database
from lakeside.workers.approvals import ApprovalWorker
from lakeside.workers.ding import DingWorker
from lakeside.workers.exports import ExportWorker
from lakeside.workers.housekeeping import HousekeepingWorker
from lakeside.workers.ldap import LdapSyncWorker
from lakeside.workers.leaderboard import LeaderboardWorker
from lakeside.workers.outbound import OutboundWorker
from lakeside.workers.reports import ReportReminderWorker
from lakeside.workers.todos import TodoReminderWorker

log = logging.getLogger("lakeside")

# A request walks the routes in this order: the messages router, whose first route is the send,
# goes first.
ROUTERS = [
    messages.router,
    apidocs.router,
    health.router,
    accounts.router,
    friends.router,
    conversations.router,
    groups.router,
    group_invites.router,
    favorites.router,
    forwards.router,
    files.router,
    search.router,
    sync.router,
    receipts.router,
    organizations.router,
    directory.router,
    ldap.router,
    ding.router,
    announcements.router,
    approvals.router,
    reports.router,
    audit.router,
    privacy.router,
    exports.router,
    robots.router,
    robots.session_router,
    bot_subscriptions.router,
    campaigns.router,
    growth.router,
    growth_admin.router,
    analytics.router,
    webhooks.router,
    hooks.router,
    bots.router,
    commands.router,
    sso.router,
    todos.router,
    web.router,
    metrics.router,
]

# Upload routes stream their bodies and enforce max_upload_bytes / max_avatar_bytes themselves.
STREAMED_BODIES = frozenset({"/api/v1/files", "/api/v1/me/avatar"})


STREAM_PATH = "/api/v1/stream"


class LakesideApp(FastAPI):
    """FastAPI, with the event stream's sockets handed straight to the gateway. A socket lives
    for hours, and each layer of the middleware stack it would pass through (error handling,
    body limits, the exit stack of FastAPI's dependencies, routing) keeps objects alive for its
    whole life: ~2 KiB per idle connection, measured with tracemalloc at 1,000 connections. The
    gateway needs none of them: it answers its own errors as close codes."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            path, root = scope["path"], scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path == STREAM_PATH:
                scope["app"] = self
                websocket_context(scope)
                await stream_endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _warm_up(app: ASGIApp) -> None:
    """FastAPI builds each router's route table on the first request that walks them (1.5-4.5 s
    on a loaded two-core machine): walk them all once, in-process, just after start-up, so that
    no user's first request pays for it. (A request arriving meanwhile waits as it would have.)"""
    path = "/api/v1/_warm-up"
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "state": {},
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_: Message) -> None:
        return None

    await asyncio.sleep(0)  # after the server has started listening
    with contextlib.suppress(Exception):
        await app(scope, receive, send)
    settle_garbage_collector()


def settle_garbage_collector() -> None:
    """Keep the cyclic garbage collector's pauses short. Python 3.11 collects its oldest
    generation by walking every tracked object, and a started lakeside holds ~200,000 of them
    (modules, pydantic and SQLAlchemy structures, route tables) that live as long as the
    process: in the working-day benchmark those full collections stopped the event loop for
    250-320 ms each, most of its p99 latency. Frozen after start-up (``gc.freeze``), they
    are never walked again; later objects are collected as before. Young collections are made
    rarer too (every 20,000 allocations instead of 700): each walks only young objects, and
    fewer of them means fewer reasons to walk the old. Once per process: a process that
    starts several apps (the tests) pays for the full collection only once."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def build_app(settings: Settings) -> FastAPI:
    settings.ensure_secret()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.effective_database_url, sqlite_synchronous=settings.sqlite_synchronous)
        if settings.migrate_on_start:
            await migrate.upgrade(db)
        bus = create_bus(settings.bus_url)
        await bus.connect()
        services = Services(Context(settings, db, bus))
        await services.start()
        hub = Hub(services)
        await hub.start()
        workers = [
            HousekeepingWorker(services),
            DingWorker(services),
            ApprovalWorker(services),
            LeaderboardWorker(services),
            ExportWorker(services),
            OutboundWorker(services),
            LdapSyncWorker(services),
            ReportReminderWorker(services),
            TodoReminderWorker(services),
        ]
        for worker in workers:
            await worker.start()
        app.state.services = services
        app.state.hub = hub
        attach_metrics(app, db, services, hub)
        log.info("lakeside %s ready on %s with %s", __version__, db.dialect, settings.bus_url)
        warm_up = asyncio.create_task(_warm_up(app), name="lakeside-warm-up")
        try:
            yield
        finally:
            warm_up.cancel()
            for worker in reversed(workers):
                await worker.stop()
            await hub.stop()
            await services.stop()
            await bus.disconnect()
            await db.dispose()

    app = LakesideApp(
        title="lakeside",
        version=__version__,
        description="Self-hosted messaging and collaboration. See docs/api.md for a walk-through.",
        lifespan=lifespan,
        docs_url=None,  # served by lakeside.api.apidocs: local files under a CSP, not a CDN's
        redoc_url=None,
        # FastAPI's own OpenTelemetry hooks are unused (lakeside.metrics serves Prometheus); off, a
        # request no longer asks the OpenTelemetry globals whether they are configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # The web client is read, hashed and gzipped once per process, here rather than on the
    # first visit (and a broken page template fails the start, not a visitor).
    web.client()
    # Sockets are handed to the gateway before the middleware stack (LakesideApp); the route
    # stays, first, for anything that routes through the router (mounts, url_path_for).
    app.router.routes.insert(0, WebSocketRoute(STREAM_PATH, stream_endpoint, name="stream"))
    # Security headers, request ids, the client address and the body limit, in one layer.
    app.add_middleware(Edge, limit=settings.max_request_body_bytes, streamed=STREAMED_BODIES)
    install_metrics(app, settings)
    return app
