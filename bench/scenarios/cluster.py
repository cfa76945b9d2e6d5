"""(f) Two nodes on PostgreSQL and Redis: cross-node latency and throughput.

A throwaway database on the local PostgreSQL (127.0.0.1:5432, user postgres) and a bus namespace
of its own on the local Redis (127.0.0.1:6379), so nothing else on those servers is touched or
heard; the database is dropped afterwards. Groups of ``group_size``: the first member of each is
connected to node A and sends, the others are connected to node B and receive — every delivery
crosses from A through PostgreSQL and Redis to B. Throughput: senders flood with a bounded window;
deliveries/s counted on B. Latency: sends at half that rate, each delivery on B timed from the send.
The floor is one process with no bus, so it has no figure here.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from bench.common import Bench, Figure, Result, Window, ticker
from bench.loadgen import Tally, close_all, open_many, percentiles
from bench.seed import Population, plan, seed_population
from bench.servers import lakeside_server

NAME = "cluster"
TITLE = "(f) two nodes on PostgreSQL + Redis: cross-node latency and throughput"
SCALES = {
    "smoke": {"groups": 4, "group_size": 5, "seconds": 1.0, "window": 16},
    "quick": {"groups": 20, "group_size": 10, "seconds": 3.0, "window": 16},
    "full": {"groups": 100, "group_size": 10, "seconds": 8.0, "window": 16},
}
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
REDIS = "redis://127.0.0.1:6379/0"


async def _services() -> tuple[str | None, str]:
    """The PostgreSQL version, or None with the reason the scenario cannot run."""
    try:
        import asyncpg
        import redis.asyncio as aioredis

        conn = await asyncio.wait_for(
            asyncpg.connect(user="postgres", host="127.0.0.1", database="postgres"), 5
        )
        try:
            version = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
        client = aioredis.from_url(REDIS)
        try:
            await asyncio.wait_for(client.ping(), 5)
        finally:
            await client.aclose()
        return str(version), ""
    except Exception as exc:
        return None, f"PostgreSQL or Redis not reachable on 127.0.0.1 ({type(exc).__name__}: {exc})"[:200]


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(user="postgres", host="127.0.0.1", database="postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(bench: Bench) -> Result:
    scale = bench.scale(SCALES)
    result = Result(NAME, TITLE, scale, scaled_down=scale["groups"] < 100 or scale["seconds"] < 8)
    version, reason = await _services()
    if version is None:
        result.skipped = reason
        return result
    bench.facts["postgres_version"] = version
    name = f"lakeside_bench_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        await _run(bench, result, scale, PG.format(name=name))
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result


async def _run(bench: Bench, result: Result, scale: dict[str, Any], url: str) -> None:
    from bench.seed import open_database

    size = scale["group_size"]
    users = scale["groups"] * size
    group_plan, direct_plan = plan(users, size, scale["groups"], 0)
    db = await open_database(url)
    try:
        population: Population = await seed_population(db, users, group_plan, direct_plan)
    finally:
        await db.dispose()
    env = {
        "LAKESIDE_DATABASE_URL": url,
        "LAKESIDE_BUS_URL": REDIS,
        "LAKESIDE_BUS_NAMESPACE": f"bench-{secrets.token_hex(6)}",
        "LAKESIDE_SECRET_KEY": secrets.token_urlsafe(32),
        "LAKESIDE_MIGRATE_ON_START": "false",
    }
    logs = bench.workdir / "logs"
    node_a = lakeside_server("cluster-node-a", bench.fresh_dir("cluster-a"), logs, env)
    node_b = lakeside_server("cluster-node-b", bench.fresh_dir("cluster-b"), logs, env)
    try:
        await asyncio.gather(node_a.start(), node_b.start())
        await _measure(bench, result, scale, population, node_a, node_b)
    finally:
        await asyncio.gather(node_a.stop(), node_b.stop())


async def _measure(
    bench: Bench, result: Result, scale: dict[str, Any], population: Population, node_a: Any, node_b: Any
) -> None:
    loop = asyncio.get_running_loop()
    senders_tally, receivers_tally = Tally(), Tally(latencies=[])
    first = {members[0] for members in population.groups.values()}
    people = population.people
    senders, errors_a = await open_many(
        bench.host,
        node_a.port,
        [(p.index, p.token, p.conversations) for p in people if p.index in first],
        senders_tally,
        deadline=loop.time() + 60,
    )
    receivers, errors_b = await open_many(
        bench.host,
        node_b.port,
        [(p.index, p.token, p.conversations) for p in people if p.index not in first],
        receivers_tally,
        deadline=loop.time() + 60,
    )
    if errors_a or errors_b:
        raise RuntimeError(f"could not connect: {(errors_a + errors_b)[0]}")
    group_of = {p.index: p.conversations[0] for p in people if p.index in first}
    per_message = scale["group_size"] - 1
    window = scale["window"]
    serial = 0
    stopping = False

    def top_up(_: object = None) -> None:
        nonlocal serial
        for client in senders:
            while (
                not stopping
                and client.in_flight < window
                and serial * per_message - receivers_tally.events < window * len(senders) * per_message
            ):
                serial += 1
                client.send_message(group_of[client.index], serial)

    for client in senders:
        client.on_ack = top_up
    end = loop.time() + 0.5 + scale["seconds"]
    flood = asyncio.create_task(ticker(0.002, end, top_up))
    await asyncio.sleep(0.5)
    deliveries = Window(node_b, lambda: receivers_tally.events).start()
    cpu_a = node_a.cpu()
    acks = senders_tally.acks
    await asyncio.sleep(scale["seconds"])
    deliveries.stop()
    cpu_a = node_a.cpu() - cpu_a
    acks = senders_tally.acks - acks
    stopping = True
    await flood
    for client in senders:
        client.on_ack = None
    for _ in range(200):
        if all(c.in_flight <= 0 for c in senders) and receivers_tally.events >= serial * per_message:
            break
        await asyncio.sleep(0.05)
    send_rate = acks / deliveries.seconds

    # Latency at half the measured rate.
    rate = max(1.0, send_rate / 2)
    for client in receivers:
        client.record = True
    begun = loop.time()
    start_serial = serial

    def due() -> None:
        nonlocal serial
        should = int(rate * (loop.time() - begun))
        while serial - start_serial < should:
            sender = senders[(serial - start_serial) % len(senders)]
            serial += 1
            sender.send_message(group_of[sender.index], serial)

    await ticker(0.002, begun + scale["seconds"], due)
    for _ in range(200):
        if all(c.in_flight <= 0 for c in senders):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert receivers_tally.latencies is not None
    points = percentiles(receivers_tally.latencies)
    await close_all(senders + receivers)

    result.add(Figure("cross_node_sends_per_s", "sends/s acked on node A", send_rate, "msg/s"))
    result.add(Figure("cross_node_deliveries_per_s", "deliveries/s on node B", deliveries.rate, "1/s"))
    result.add(
        Figure("node_a_cpu_per_send", "node A CPU per send", cpu_a / max(acks, 1) * 1e6, "µs", better="lower")
    )
    result.add(
        Figure(
            "node_b_cpu_per_delivery", "node B CPU per delivery", deliveries.cpu_us_each, "µs", better="lower"
        )
    )
    for point in ("p50", "p95", "p99"):
        result.add(
            Figure(
                f"cross_node_latency_{point}",
                f"{point} A->B latency at {rate:,.0f} msg/s",
                points[point],
                "ms",
                better="lower",
            )
        )
    closed = senders_tally.closed + receivers_tally.closed
    if closed or senders_tally.nacks:
        result.notes.append(f"{closed} sockets closed, {senders_tally.nacks} nacks")
