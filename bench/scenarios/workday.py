"""(b) A working day: many people connected across direct chats and groups, sending at a fixed rate.

Everyone is connected; everyone is in one group and one direct chat. First the maximum: every
person may send, with at most ``in_flight`` sends unacknowledged in total, and the acked rate is
the maximum. Then messages go out at 25%, 50% and 75% of lakeside's maximum from random people
into random conversations of theirs, and every delivery to a receiver other than the sender is
timed from the moment the send left the client (end-to-end: through commit and fan-out to the
receiver's socket). The floor is driven at the same absolute rates, so its latencies show what
the server stack itself costs at that load.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from bench.common import Bench, Figure, Result, Window, absolute_target, ticker
from bench.loadgen import Tally, WSClient, close_all, open_many, percentiles
from bench.seed import Population, floor_population, plan, seed_population
from bench.servers import Server

NAME = "workday"
TITLE = "(b) working day: users in direct chats and groups, fixed total send rate"
SCALES = {
    "smoke": {"users": 40, "group_size": 10, "max_seconds": 1.0, "level_seconds": 1.0, "in_flight": 64},
    "quick": {"users": 500, "group_size": 20, "max_seconds": 3.0, "level_seconds": 3.0, "in_flight": 256},
    "full": {"users": 1000, "group_size": 20, "max_seconds": 8.0, "level_seconds": 10.0, "in_flight": 256},
}
LEVELS = (0.25, 0.5, 0.75)


class Load:
    def __init__(self, clients: list[WSClient], population: Population, seed: int) -> None:
        self.clients = clients
        self.by_index = {c.index: c for c in clients}
        self.people = [p for p in population.people if p.index in self.by_index]
        self.rng = random.Random(seed)
        self.serial = 0

    def send_one(self) -> None:
        person = self.people[self.rng.randrange(len(self.people))]
        conversation = person.conversations[self.rng.randrange(len(person.conversations))]
        self.serial += 1
        self.by_index[person.index].send_message(conversation, self.serial)

    def in_flight(self) -> int:
        return sum(c.in_flight for c in self.clients)


async def measure(
    bench: Bench, server: Server, population: Population, scale: dict[str, Any], rates: list[float] | None
) -> dict[str, Any]:
    """The maximum send rate, then latencies at ``rates`` (default: fractions of the maximum)."""
    tally = Tally(latencies=[])
    loop = asyncio.get_running_loop()
    specs = [(p.index, p.token, p.conversations) for p in population.people]
    clients, errors = await open_many(bench.host, server.port, specs, tally, deadline=loop.time() + 90)
    if len(errors) > len(specs) // 100:
        raise RuntimeError(f"{len(errors)} of {len(specs)} could not connect: {errors[0]}")
    load = Load(clients, population, 7)
    out: dict[str, Any] = {"connected": len(clients)}

    # The maximum: a closed loop with a bounded number of sends outstanding.
    cap = scale["in_flight"]
    outstanding = 0
    stopping = False

    def top_up(_: object = None) -> None:
        nonlocal outstanding
        outstanding = tally.acks + tally.nacks
        while not stopping and load.serial - outstanding < cap:
            load.send_one()

    for client in clients:
        client.on_ack = top_up
    flood = asyncio.create_task(ticker(0.002, loop.time() + 0.5 + scale["max_seconds"], top_up))
    await asyncio.sleep(0.5)
    window = Window(server, lambda: tally.acks).start()
    await asyncio.sleep(scale["max_seconds"])
    window.stop()
    stopping = True
    await flood
    for client in clients:
        client.on_ack = None
    await _settle(load)
    out["max_rate"] = window.rate
    out["max_cpu_us_per_send"] = window.cpu_us_each

    # Fixed rates.
    levels = []
    for rate in rates or [out["max_rate"] * f for f in LEVELS]:
        levels.append(await _at_rate(load, tally, server, rate, scale["level_seconds"]))
        await _settle(load)
    out["levels"] = levels
    out["closed"] = tally.closed
    out["nacks"] = tally.nacks
    await close_all(clients)
    return out


async def _at_rate(load: Load, tally: Tally, server: Server, rate: float, seconds: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    assert tally.latencies is not None
    tally.latencies.clear()
    for client in load.clients:
        client.record = True
    begun = loop.time()
    sent_at_start = load.serial
    budget = int(rate * seconds) + 1

    def due() -> None:
        should = min(budget, int(rate * (loop.time() - begun)))
        while load.serial - sent_at_start < should:
            load.send_one()

    window = Window(server, lambda: load.serial).start()
    await ticker(0.002, begun + seconds, due)
    window.stop()
    await _settle(load)
    for client in load.clients:
        client.record = False
    samples = list(tally.latencies)
    return {
        "rate": rate,
        "achieved": window.rate,
        "deliveries": len(samples),
        "cpu_us_per_send": window.cpu_us_each,
        **percentiles(samples),
    }


async def _settle(load: Load, timeout: float = 10.0) -> None:
    """Wait until every send is answered and the deliveries behind it have landed."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end and load.in_flight() > 0:  # noqa: ASYNC110 - polled counters, no event
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)


async def run(bench: Bench) -> Result:
    scale = bench.scale(SCALES)
    users, size = scale["users"], scale["group_size"]
    group_plan, direct_plan = plan(users, size, users // size, users // 2)
    result = Result(
        NAME,
        TITLE,
        {**scale, "groups": len(group_plan), "direct_chats": len(direct_plan)},
        scaled_down=users < 1000 or scale["level_seconds"] < 10,
    )

    async def seed(db: Any) -> Population:
        return await seed_population(db, users, group_plan, direct_plan)

    async with bench.lakeside("workday-lakeside", seed=seed) as (server, population):
        ours = await measure(bench, server, population, scale, None)
    rates = [level["rate"] for level in ours["levels"]]
    async with bench.floor("workday-floor") as server:
        floor = await measure(bench, server, floor_population(users, group_plan, direct_plan), scale, rates)
    result.add(Figure("max_send_rate", "max send rate (acked)", ours["max_rate"], "msg/s", floor["max_rate"]))
    result.add(
        Figure(
            "cpu_per_send_at_max",
            "server CPU per send at max",
            ours["max_cpu_us_per_send"],
            "µs",
            floor["max_cpu_us_per_send"],
            "lower",
        )
    )
    for fraction, mine, theirs in zip(LEVELS, ours["levels"], floor["levels"], strict=True):
        pct = f"{fraction:.0%}"
        for point in ("p50", "p95", "p99"):
            figure = result.add(
                Figure(
                    f"latency_{point}_at_{int(fraction * 100)}pct",
                    f"{point} latency at {pct} ({mine['rate']:,.0f} msg/s)",
                    mine[point],
                    "ms",
                    theirs[point],
                    "lower",
                )
            )
            if fraction == 0.5 and point == "p99":
                absolute_target(figure, 25.0, "<= 25 ms")
    if ours["closed"] or ours["nacks"]:
        result.notes.append(f"lakeside: {ours['closed']} sockets closed, {ours['nacks']} nacks")
    result.notes.append(
        "latency: per delivery to each receiver but the sender; "
        + ", ".join(f"{lvl['deliveries']:,} deliveries at {lvl['rate']:,.0f}/s" for lvl in ours["levels"])
    )
    return result
