"""(c) Durable sends: how many messages a second one node on SQLite stores and acknowledges.

Over WebSocket, ``senders`` connections each keep ``window`` sends outstanding (each answered by
an ack only after its batch committed); over HTTP, ``connections`` keep-alive connections each
send one ``POST /api/v1/conversations/{id}/messages`` at a time (201 only after commit). Each
sender writes into its own direct chat, whose other member is not connected. The floor acks at
once and stores nothing: the ratio is what durability and the rules cost.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from bench.common import Bench, Figure, Result, Window, absolute_target, ticker
from bench.loadgen import Tally, close_all, http_request, open_http, open_many
from bench.seed import Population, floor_population, plan, seed_population
from bench.servers import Server

NAME = "durable"
TITLE = "(c) durable send throughput, SQLite, one node: WebSocket and HTTP"
SCALES = {
    "smoke": {"senders": 8, "window": 16, "connections": 8, "seconds": 1.0, "warmup": 0.3},
    "quick": {"senders": 64, "window": 32, "connections": 64, "seconds": 3.0, "warmup": 1.0},
    "full": {"senders": 64, "window": 32, "connections": 64, "seconds": 10.0, "warmup": 2.0},
}


async def over_ws(
    bench: Bench, server: Server, population: Population, scale: dict[str, Any]
) -> dict[str, float]:
    tally = Tally()
    loop = asyncio.get_running_loop()
    senders = population.people[0 : scale["senders"] * 2 : 2]
    specs = [(p.index, p.token, p.conversations) for p in senders]
    clients, errors = await open_many(bench.host, server.port, specs, tally, deadline=loop.time() + 60)
    if errors:
        raise RuntimeError(f"{len(errors)} senders could not connect: {errors[0]}")
    conversation = {p.index: p.conversations[0] for p in senders}
    serials = {c.index: 0 for c in clients}
    stopping = False
    window = scale["window"]

    def top_up(client: Any) -> None:
        while not stopping and client.in_flight < window:
            serials[client.index] += 1
            client.send_message(conversation[client.index], serials[client.index])

    for client in clients:
        client.on_ack = top_up

    def all_up() -> None:
        for client in clients:
            top_up(client)

    end = loop.time() + scale["warmup"] + scale["seconds"]
    flood = asyncio.create_task(ticker(0.005, end, all_up))
    await asyncio.sleep(scale["warmup"])
    acks = Window(server, lambda: tally.acks).start()
    nacks = tally.nacks
    await asyncio.sleep(scale["seconds"])
    acks.stop()
    stopping = True
    await flood
    for _ in range(200):
        if all(c.in_flight <= 0 for c in clients):
            break
        await asyncio.sleep(0.05)
    await close_all(clients)
    return {
        "rate": acks.rate,
        "cpu_us": acks.cpu_us_each,
        "nacks": float(tally.nacks - nacks),
        "sample": tally.nack_samples[0].decode(errors="replace") if tally.nack_samples else "",
    }


async def over_http(
    bench: Bench, server: Server, population: Population, scale: dict[str, Any]
) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    senders = population.people[0 : scale["connections"] * 2 : 2]
    done = 0
    failed: list[str] = []
    stopping = False

    async def worker(person: Any) -> None:
        nonlocal done
        client = await open_http(bench.host, server.port)
        path = f"/api/v1/conversations/{person.conversations[0]}/messages"
        serial = 0
        try:
            while not stopping:
                serial += 1
                body = orjson.dumps(
                    {"client_msg_id": f"h{person.index}-{serial}", "body": f"durable {serial}"}
                )
                raw = http_request("POST", path, bench.host, server.port, body, token=person.token)
                status, reply = await asyncio.wait_for(client.request(raw), 30)
                if status == 201:
                    done += 1
                elif len(failed) < 5:
                    failed.append(f"{status} {reply[:200]!r}")
        finally:
            assert client.transport is not None
            client.transport.close()

    workers = [asyncio.create_task(worker(p)) for p in senders]
    await asyncio.sleep(scale["warmup"])
    window = Window(server, lambda: done).start()
    await asyncio.sleep(scale["seconds"])
    window.stop()
    stopping = True
    await asyncio.wait(workers, timeout=30)
    for task in workers:
        if task.done() and task.exception() is not None and len(failed) < 5:
            failed.append(repr(task.exception()))
    del loop
    return {
        "rate": window.rate,
        "cpu_us": window.cpu_us_each,
        "failed": float(len(failed)),
        "sample": failed[0] if failed else "",
    }


async def run(bench: Bench) -> Result:
    scale = bench.scale(SCALES)
    people = 2 * max(scale["senders"], scale["connections"])
    group_plan, direct_plan = plan(people, 2, 0, people // 2)
    result = Result(NAME, TITLE, scale, scaled_down=scale["seconds"] < 10)
    floor_people = floor_population(people, group_plan, direct_plan)
    async with bench.floor("durable-floor") as server:
        floor_ws = await over_ws(bench, server, floor_people, scale)
        floor_http = await over_http(bench, server, floor_people, scale)

    async def seed(db: Any) -> Population:
        return await seed_population(db, people, group_plan, direct_plan)

    async with bench.lakeside("durable-lakeside", seed=seed) as (server, population):
        ws = await over_ws(bench, server, population, scale)
        http = await over_http(bench, server, population, scale)
    figure = result.add(
        Figure("ws_sends_per_s", "durable sends/s over WebSocket", ws["rate"], "msg/s", floor_ws["rate"])
    )
    absolute_target(figure, 20_000, ">= 20,000/s")
    result.add(
        Figure(
            "ws_cpu_per_send",
            "server CPU per WebSocket send",
            ws["cpu_us"],
            "µs",
            floor_ws["cpu_us"],
            "lower",
        )
    )
    figure = result.add(
        Figure("http_sends_per_s", "durable sends/s over HTTP", http["rate"], "msg/s", floor_http["rate"])
    )
    absolute_target(figure, 5_000, ">= 5,000/s")
    result.add(
        Figure(
            "http_cpu_per_send",
            "server CPU per HTTP send",
            http["cpu_us"],
            "µs",
            floor_http["cpu_us"],
            "lower",
        )
    )
    if ws["nacks"]:
        result.notes.append(f"WebSocket: {ws['nacks']:.0f} nacks, e.g. {ws['sample']}")
    if http["failed"]:
        result.notes.append(f"HTTP: failures, e.g. {http['sample']}")
    result.notes.append(
        "SQLite with synchronous=FULL (the default): every acked message survives a power cut"
    )
    return result
