"""Prometheus metrics for one node: what an operator watches to know it keeps up.

Off unless ``metrics_enabled`` is set; then ``GET /metrics`` serves them (behind a bearer token
when ``metrics_token`` is set). Each app has its own registry, so several apps in one process
(tests, two nodes in one test) never share counts.

The hot paths pay almost nothing. Request latency is one histogram observation per HTTP request,
with the label child cached per (method, route template, status). Database time is one
observation per transaction through ``Database.on_timing``, and send batch sizes one per
committed batch through ``MessageWriter.on_batch``. What the WebSocket gateway knows —
connections, events dispatched and delivered, slow consumers closed, queue depths — is not
counted on the way at all: the hub keeps plain integers, and a collector reads them (and walks
the connections' queues) only when /metrics is scraped.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from fastapi import FastAPI

    from lakeside.config import Settings

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
DEPTH_BUCKETS = (0, 1, 4, 16, 64, 256, 1024, 4096)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "lakeside_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.db = Histogram(
            "lakeside_db_transaction_duration_seconds",
            "Time inside one database transaction, from begin to commit or rollback.",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batches = Histogram(
            "lakeside_send_batch_size",
            "Messages committed per transaction by the message writer (group commit).",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self._db_children = {kind: self.db.labels(kind) for kind in ("read", "write")}
        self.hub: Any = None
        self.registry.register(HubCollector(self))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.requests.labels(method, route, str(status))
        child.observe(seconds)

    def observe_db(self, kind: str, seconds: float) -> None:
        child = self._db_children.get(kind)
        if child is not None:
            child.observe(seconds)

    def observe_batch(self, size: int) -> None:
        self.batches.observe(size)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HubCollector(Collector):
    """Reads the gateway's own counters at scrape time, so that delivering costs nothing extra."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Any:
        hub = self.metrics.hub
        connections = GaugeMetricFamily(
            "lakeside_websocket_connections", "WebSocket connections open on this node."
        )
        delivered = CounterMetricFamily(
            "lakeside_events_delivered", "Event frames queued to WebSocket connections (one per receiver)."
        )
        dispatched = CounterMetricFamily(
            "lakeside_events_dispatched", "Durable events the hub dispatched in stream order (once each)."
        )
        slow = CounterMetricFamily(
            "lakeside_websocket_slow_consumers_closed", "Connections closed because their queue filled up."
        )
        deepest = GaugeMetricFamily(
            "lakeside_websocket_queue_depth_max", "The longest outgoing queue of any connection, now."
        )
        depths = HistogramMetricFamily(
            "lakeside_websocket_queue_depth", "Outgoing frames queued per connection, sampled at scrape."
        )
        if hub is None:
            return
        sampled = [c.queue_depth for users in list(hub.by_user.values()) for c in list(users)]
        connections.add_metric([], len(sampled))
        delivered.add_metric([], hub.delivered)
        dispatched.add_metric([], hub.dispatched)
        slow.add_metric([], hub.slow_consumers_closed)
        deepest.add_metric([], max(sampled, default=0))
        buckets = []
        for bound in DEPTH_BUCKETS:
            buckets.append((str(bound), sum(1 for depth in sampled if depth <= bound)))
        buckets.append(("+Inf", len(sampled)))
        depths.add_metric([], buckets, sum_value=sum(sampled))
        yield from (connections, delivered, dispatched, slow, deepest, depths)


class RequestMetrics:
    """ASGI middleware: latency of each HTTP request, labelled by the route's template (never the
    raw path, whose ids would make a new series per conversation)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
            self.metrics.observe_request(scope["method"], template, status, time.perf_counter() - started)


def install_metrics(app: FastAPI, settings: Settings) -> None:
    """At build time: the registry and the request middleware, when metrics are enabled."""
    if not settings.metrics_enabled:
        return
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)


def attach_metrics(app: FastAPI, db: Any, services: Any, hub: Any) -> None:
    """In the lifespan, once the parts exist: hook the database, the writer and the hub."""
    metrics: Metrics | None = getattr(app.state, "metrics", None)
    if metrics is None:
        return
    db.on_timing = metrics.observe_db
    services.messages.writer.on_batch = metrics.observe_batch
    metrics.hub = hub
