"""(e) Catch-up: a client that missed a long history resumes — time until it is current.

A group holds ``events`` messages the client has not seen (written into the database before the
server starts, each with its event in the log, as the writer stores them). The client connects
with ``since`` = its position before them, asking for the replay in batch frames as the web
client does, and the clock runs until the server says ``live`` with every missed event
received. The same replay one frame per event (a client that does not ask for batches) and the
same catch-up over HTTP (``GET /api/v1/sync`` pages of 1,000) are timed as well. The floor
stores nothing, so it has no figure here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from bench.common import Bench, Figure, Result, absolute_target
from bench.loadgen import Tally, http_request, open_http, open_ws
from bench.seed import plan, seed_history, seed_population

NAME = "catchup"
TITLE = "(e) catch-up: a client that missed a long history resumes"
SCALES = {
    "smoke": {"events": 2_000},
    "quick": {"events": 20_000},
    "full": {"events": 100_000},
}
TARGET_SECONDS_PER_100K = 3.0


async def run(bench: Bench) -> Result:
    scale = bench.scale(SCALES)
    count = scale["events"]
    result = Result(NAME, TITLE, scale, scaled_down=count < 100_000)
    group_plan, direct_plan = plan(3, 3, 1, 0)

    async def seed(db: Any) -> tuple[Any, int]:
        population = await seed_population(db, 3, group_plan, direct_plan)
        (group_id,) = population.groups
        senders = [p.user_id for p in population.people[1:]]
        began = time.perf_counter()
        since = await seed_history(db, group_id, senders, count)
        result.notes.append(
            f"seeded {count:,} messages with their events in {time.perf_counter() - began:.1f} s"
        )
        return population, since

    async with bench.lakeside("catchup-lakeside", seed=seed) as (server, seeded):
        population, since = seeded
        reader = population.people[0]
        cpu0 = server.cpu()
        tally = Tally()
        began = time.perf_counter()
        client = await open_ws(
            bench.host, server.port, 0, tally, token=reader.token, since=since, timeout=120, batch=True
        )
        ws_seconds = time.perf_counter() - began
        ws_cpu = server.cpu() - cpu0
        received = client.events
        client.close()

        cpu0 = server.cpu()
        began = time.perf_counter()
        client = await open_ws(
            bench.host, server.port, 1, Tally(), token=reader.token, since=since, timeout=120
        )
        single_seconds = time.perf_counter() - began
        single_cpu = server.cpu() - cpu0
        single_received = client.events
        client.close()

        http = await open_http(bench.host, server.port)
        position, pages, events = since, 0, 0
        cpu0 = server.cpu()
        began = time.perf_counter()
        while pages < 10_000:
            raw = http_request(
                "GET",
                f"/api/v1/sync?since={position}&limit=1000",
                bench.host,
                server.port,
                token=reader.token,
            )
            status, body = await asyncio.wait_for(http.request(raw), 60)
            if status != 200:
                raise RuntimeError(f"sync answered {status}: {body[:200]!r}")
            page = orjson.loads(body)
            pages += 1
            events += len(page["events"])
            position = page["position"]
            if not page["has_more"]:
                break
        http_seconds = time.perf_counter() - began
        http_cpu = server.cpu() - cpu0
        assert http.transport is not None
        http.transport.close()
    target = TARGET_SECONDS_PER_100K * count / 100_000
    figure = result.add(Figure("ws_seconds", f"WebSocket resume, {count:,} events", ws_seconds, "s"))
    absolute_target(figure, target, f"<= {target:.2f} s" + ("" if count == 100_000 else " (3 s per 100k)"))
    figure.better = "lower"
    figure.met = ws_seconds <= target
    result.add(Figure("ws_events_per_s", "WebSocket resume rate", received / ws_seconds, "events/s"))
    result.add(
        Figure(
            "ws_cpu_per_event",
            "server CPU per replayed event",
            ws_cpu / max(received, 1) * 1e6,
            "µs",
            better="lower",
        )
    )
    result.add(
        Figure(
            "ws_single_seconds",
            f"WebSocket resume, one frame per event, {count:,} events",
            single_seconds,
            "s",
            better="lower",
        )
    )
    result.add(
        Figure(
            "ws_single_cpu_per_event",
            "server CPU per replayed event, one frame per event",
            single_cpu / max(single_received, 1) * 1e6,
            "µs",
            better="lower",
        )
    )
    result.add(Figure("http_seconds", f"HTTP sync, {pages} pages", http_seconds, "s", better="lower"))
    result.add(
        Figure(
            "http_cpu_per_event",
            "server CPU per event over HTTP sync",
            http_cpu / max(events, 1) * 1e6,
            "µs",
            better="lower",
        )
    )
    if received != count or single_received != count or events != count:
        result.notes.append(
            f"expected {count:,} events; WebSocket gave {received:,} in batches and"
            f" {single_received:,} one per frame, HTTP {events:,}"
        )
    return result
