"""/metrics: off by default, behind a bearer token when one is set, and in Prometheus text format
with the metrics the operator's documentation promises, fed by real traffic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client.parser import text_string_to_metric_families

from lakeside.app import build_app
from lakeside.config import Settings
from tests.conftest import befriend, register

NAMES = {
    "lakeside_http_request_duration_seconds",
    "lakeside_db_transaction_duration_seconds",
    "lakeside_send_batch_size",
    "lakeside_websocket_connections",
    "lakeside_events_delivered",
    "lakeside_events_dispatched",
    "lakeside_websocket_slow_consumers_closed",
    "lakeside_websocket_queue_depth",
    "lakeside_websocket_queue_depth_max",
}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 4242))
        async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
            yield http


def families(text: str) -> dict[str, object]:
    return {family.name: family for family in text_string_to_metric_families(text)}


async def test_metrics_are_off_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 404


async def test_metrics_with_a_token(settings: Settings) -> None:
    settings.metrics_enabled = True
    settings.metrics_token = "s3cret-scrape-token"
    async with serving(settings) as http:
        alice = await register(http, "alice", "Alice")
        bob = await register(http, "bob", "Bob")
        await befriend(alice, bob)
        group = await alice.post("/api/v1/conversations", json={"title": "指标", "member_ids": [bob.id]})
        assert group.status_code == 201, group.text
        sent = await alice.post(
            f"/api/v1/conversations/{group.json()['id']}/messages",
            json={"client_msg_id": "m1", "body": "看看指标"},
        )
        assert sent.status_code == 201, sent.text

        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        response = await http.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        found = families(response.text)
        assert set(found) >= NAMES, NAMES - set(found)
        # Latency is labelled by the route's template, never by the raw path with its ids.
        routes = {
            sample.labels.get("route")
            for sample in found["lakeside_http_request_duration_seconds"].samples  # type: ignore[attr-defined]
        }
        assert "/api/v1/conversations/{conversation_id}/messages" in routes
        assert not any(route and route.endswith(f"/{group.json()['id']}/messages") for route in routes)
        batches = [
            sample.value
            for sample in found["lakeside_send_batch_size"].samples  # type: ignore[attr-defined]
            if sample.name == "lakeside_send_batch_size_count"
        ]
        assert batches and batches[0] >= 1
        writes = [
            sample.value
            for sample in found["lakeside_db_transaction_duration_seconds"].samples  # type: ignore[attr-defined]
            if sample.name.endswith("_count") and sample.labels.get("kind") == "write"
        ]
        assert writes and writes[0] >= 1


async def test_metrics_without_a_token_are_open_when_enabled(settings: Settings) -> None:
    settings.metrics_enabled = True
    async with serving(settings) as http:
        response = await http.get("/metrics")
        assert response.status_code == 200
        assert "lakeside_websocket_connections 0.0" in response.text
