"""(a) Fan-out: one group whose members are all connected, one member flooding it with messages.

The figure is deliveries per second: message events received by all members' sockets together
(the sender's own socket included, as a client shows its own message from the stream). The
sender keeps at most ``window`` sends unacknowledged and at most ``window`` messages' worth of
deliveries outstanding, so it floods as fast as the server delivers without filling the
per-connection queues (a full queue closes the socket, which would be counted).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import Bench, Figure, Result, Window, ratio_target, ticker
from bench.loadgen import Tally, close_all, open_many
from bench.seed import Population, floor_population, plan, seed_population
from bench.servers import Server

NAME = "fanout"
TITLE = "(a) fan-out: one group, every member connected, one sender flooding"
SCALES = {
    "smoke": {"members": 20, "seconds": 1.0, "warmup": 0.3, "window": 32},
    "quick": {"members": 200, "seconds": 5.0, "warmup": 1.0, "window": 128},
    "full": {"members": 200, "seconds": 15.0, "warmup": 2.0, "window": 128},
}


async def measure(
    bench: Bench, server: Server, population: Population, scale: dict[str, Any]
) -> dict[str, float]:
    (group_id,) = population.groups
    tally = Tally()
    loop = asyncio.get_running_loop()
    specs = [(p.index, p.token, [group_id]) for p in population.people]
    clients, errors = await open_many(bench.host, server.port, specs, tally, deadline=loop.time() + 60)
    if errors:
        raise RuntimeError(f"{len(errors)} members could not connect: {errors[0]}")
    sender = next(c for c in clients if c.index == 0)
    receivers = len(clients)
    window = scale["window"]
    sent = 0
    stopping = False

    def pump(_: object = None) -> None:
        nonlocal sent
        while (
            not stopping
            and sender.in_flight < window
            and sent * receivers - tally.events < window * receivers
            and sent < 10_000_000
        ):
            sender.send_message(group_id, sent)
            sent += 1

    sender.on_ack = pump
    end = loop.time() + scale["warmup"] + scale["seconds"]
    pumping = asyncio.create_task(ticker(0.001, end, pump))
    await asyncio.sleep(scale["warmup"])
    deliveries = Window(server, lambda: tally.events).start()
    acks = tally.acks
    await asyncio.sleep(scale["seconds"])
    deliveries.stop()
    acks = tally.acks - acks
    stopping = True
    await pumping
    # Let what is in flight land, so the next measurement starts from a quiet server.
    for _ in range(100):
        if sender.in_flight <= 0 and tally.events >= sent * receivers:
            break
        await asyncio.sleep(0.05)
    await close_all(clients)
    return {
        "rate": deliveries.rate,
        "cpu_us": deliveries.cpu_us_each,
        "cpu_share": deliveries.cpu_share,
        "sends": acks / deliveries.seconds,
        "closed": float(tally.closed),
        "nacks": float(tally.nacks),
    }


async def run(bench: Bench) -> Result:
    scale = bench.scale(SCALES)
    members = scale["members"]
    result = Result(NAME, TITLE, scale, scaled_down=members < 200 or scale["seconds"] < 15)
    group_plan, direct_plan = plan(members, members, 1, 0)
    async with bench.floor("fanout-floor") as server:
        floor = await measure(bench, server, floor_population(members, group_plan, direct_plan), scale)

    async def seed(db: Any) -> Population:
        return await seed_population(db, members, group_plan, direct_plan)

    async with bench.lakeside("fanout-lakeside", seed=seed) as (server, population):
        ours = await measure(bench, server, population, scale)
    rate = result.add(Figure("deliveries_per_s", "deliveries/s", ours["rate"], "1/s", floor["rate"]))
    ratio_target(rate, 0.5)
    result.add(
        Figure(
            "server_cpu_per_delivery",
            "server CPU per delivery",
            ours["cpu_us"],
            "µs",
            floor["cpu_us"],
            better="lower",
        )
    )
    result.add(Figure("sends_per_s", "messages sent/s (acked)", ours["sends"], "1/s", floor["sends"]))
    result.add(
        Figure(
            "server_cores_busy", "server CPU busy", ours["cpu_share"], "cores", floor["cpu_share"], "lower"
        )
    )
    if ours["closed"] or ours["nacks"]:
        result.notes.append(f"lakeside: {ours['closed']:.0f} sockets closed, {ours['nacks']:.0f} nacks")
    if floor["closed"]:
        result.notes.append(f"floor: {floor['closed']:.0f} sockets closed")
    return result
