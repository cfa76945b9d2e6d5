"""(g) Cold start and resident memory of an idle server with the demo workspace.

``lakeside demo --no-serve`` seeds the demo workspace into a fresh data directory; then
``lakeside serve`` starts on it, several times: start time is from spawning the process to its
first healthy answer on /healthz (interpreter start, imports, migrations check, services), and
memory is the resident set after it has sat idle for two seconds. The floor, started the same
way, shows what the interpreter and the server stack cost before any of lakeside.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
from collections.abc import Callable

from bench.common import Bench, Figure, Result, absolute_target, warm_up
from bench.servers import PYTHON, ROOT, Server, clean_env, floor_server, lakeside_server

NAME = "coldstart"
TITLE = "(g) cold start and idle memory with the demo workspace"
SCALES = {"smoke": {"starts": 1}, "quick": {"starts": 1}, "full": {"starts": 3}}


async def run(bench: Bench) -> Result:
    scale = bench.scale(SCALES)
    result = Result(NAME, TITLE, scale, scaled_down=scale["starts"] < 3)
    data_dir = bench.fresh_dir("demo")
    began = time.perf_counter()
    seeded = await asyncio.to_thread(
        subprocess.run,
        [PYTHON, "-m", "lakeside.cli", "demo", "--no-serve", "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        timeout=180,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"lakeside demo failed: {seeded.stderr.decode(errors='replace')[-300:]}")
    result.notes.append(f"demo workspace seeded in {time.perf_counter() - began:.1f} s")
    ours = await _starts(
        bench, scale["starts"], lambda i: lakeside_server(f"demo-{i}", data_dir, bench.workdir / "logs")
    )
    floor = await _starts(
        bench, scale["starts"], lambda i: floor_server(f"floor-start-{i}", bench.workdir / "logs")
    )
    figure = result.add(
        Figure("start_seconds", "start to first healthy answer", ours[0], "s", floor[0], "lower")
    )
    absolute_target(figure, 2.0, "<= 2 s")
    figure = result.add(
        Figure("idle_rss", "resident memory, idle", ours[1] / 2**20, "MiB", floor[1] / 2**20, "lower")
    )
    absolute_target(figure, 150.0, "<= 150 MiB")
    result.add(Figure("first_request", "first request after start", ours[2], "s", floor[2], "lower"))
    return result


async def _starts(bench: Bench, count: int, make: Callable[[int], Server]) -> tuple[float, float, float]:
    """Median start time, idle resident memory, and time of the first request after start."""
    starts, sizes, firsts = [], [], []
    for i in range(count):
        server = make(i)
        await server.start()
        try:
            starts.append(server.started_in)
            await asyncio.sleep(2.0)
            sizes.append(server.rss())
            await warm_up(server)
            firsts.append(server.extra["first_request_seconds"])
        finally:
            await server.stop()
    return statistics.median(starts), statistics.median(sizes), statistics.median(firsts)
