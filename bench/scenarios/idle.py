"""(d) Idle connections on one node: resident memory per connection.

Each person is in a group and a direct chat (the server keeps each connection's conversation set).
A few connections warm the server up first; then the rest connect, the server settles, and the
growth of its resident set divided by the number of new connections is the cost of one. The
load generator and the servers raise their open-file limit to the hard limit; if the machine
refuses some connections, the largest count reached is what is reported, and said so.
Connections send an application ping every 25 s, as clients do, while they are held.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from bench.common import Bench, Figure, Result, absolute_target
from bench.loadgen import Tally, close_all, open_many, raise_fd_limit
from bench.seed import Population, floor_population, plan, seed_population
from bench.servers import Server, open_fds

NAME = "idle"
TITLE = "(d) idle connections on one node: resident memory per connection"
SCALES = {
    "smoke": {"connections": 200, "deadline": 30.0, "concurrency": 32},
    "quick": {"connections": 1000, "deadline": 30.0, "concurrency": 64},
    "full": {"connections": 10_000, "deadline": 240.0, "concurrency": 64},
}
WARM = 20


async def measure(
    bench: Bench, server: Server, population: Population, scale: dict[str, Any]
) -> dict[str, Any]:
    tally = Tally()
    loop = asyncio.get_running_loop()
    specs = [(p.index, p.token, p.conversations) for p in population.people]
    warm, errors = await open_many(bench.host, server.port, specs[:WARM], tally, deadline=loop.time() + 30)
    if errors:
        raise RuntimeError(f"warm-up connections failed: {errors[0]}")
    await asyncio.sleep(1.0)
    rss0 = server.rss()
    cpu0 = server.cpu()
    begun = loop.time()
    rest, errors = await open_many(
        bench.host,
        server.port,
        specs[WARM:],
        tally,
        concurrency=scale["concurrency"],
        deadline=loop.time() + scale["deadline"],
    )
    connect_seconds = loop.time() - begun
    cpu1 = server.cpu()
    clients = warm + rest

    async def keepalive() -> None:
        while True:
            await asyncio.sleep(25)
            for client in clients:
                client.send_raw(b'{"op":"ping"}')

    pinger = asyncio.create_task(keepalive())
    await asyncio.sleep(2.0)
    rss1 = server.rss()
    fds = open_fds(server.pid)
    pinger.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pinger
    await close_all(clients, timeout=20)
    added = len(rest)
    return {
        "connected": len(clients),
        "wanted": len(specs),
        "errors": errors[:3],
        "error_count": len(errors),
        "rss_before": rss0,
        "rss_after": rss1,
        "bytes_each": (rss1 - rss0) / added if added else float("nan"),
        "connect_rate": added / connect_seconds if connect_seconds else float("nan"),
        "cpu_us_per_connect": (cpu1 - cpu0) / added * 1e6 if added else float("nan"),
        "server_fds": fds,
    }


async def run(bench: Bench) -> Result:
    scale = bench.scale(SCALES)
    count = scale["connections"]
    group_plan, direct_plan = plan(count, 20, count // 20, count // 2)
    limit = raise_fd_limit()
    result = Result(NAME, TITLE, {**scale, "fd_limit": limit}, scaled_down=count < 10_000)
    if limit < count + 200:
        result.notes.append(f"the open-file limit is {limit}: at most about {limit - 200} connections")
    async with bench.floor("idle-floor") as server:
        floor = await measure(bench, server, floor_population(count, group_plan, direct_plan), scale)

    async def seed(db: Any) -> Population:
        return await seed_population(db, count, group_plan, direct_plan)

    async with bench.lakeside("idle-lakeside", seed=seed) as (server, population):
        ours = await measure(bench, server, population, scale)
    result.add(
        Figure("connections", "connections held", float(ours["connected"]), "", float(floor["connected"]))
    )
    figure = result.add(
        Figure(
            "kib_per_connection",
            "resident memory per connection",
            ours["bytes_each"] / 1024,
            "KiB",
            floor["bytes_each"] / 1024,
            "lower",
        )
    )
    absolute_target(figure, 32.0, "<= 32 KiB")
    result.add(
        Figure(
            "rss_total",
            "server resident memory, all connected",
            ours["rss_after"] / 2**20,
            "MiB",
            floor["rss_after"] / 2**20,
            "lower",
        )
    )
    result.add(
        Figure(
            "connect_rate",
            "connections opened/s (hello to live)",
            ours["connect_rate"],
            "1/s",
            floor["connect_rate"],
        )
    )
    result.add(
        Figure(
            "cpu_per_connect",
            "server CPU per connection opened",
            ours["cpu_us_per_connect"],
            "µs",
            floor["cpu_us_per_connect"],
            "lower",
        )
    )
    for who, figures in (("lakeside", ours), ("floor", floor)):
        if figures["connected"] < figures["wanted"]:
            result.notes.append(
                f"{who}: {figures['connected']} of {figures['wanted']} connected "
                f"({figures['error_count']} refused, e.g. {figures['errors'][:1]})"
            )
    return result
