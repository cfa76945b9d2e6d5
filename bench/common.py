"""What the scenarios share: the run's mode and work directory, figures with units, floor and
target, servers started for a scenario and stopped after it, and measurement windows.

A figure is reported beside the floor's (the minimal hub in bench/floor.py measured in the same
run with the same load generator) as a ratio, because absolute figures drift between runs on a
shared machine while ratios drift much less. For a figure where less is better (latency, memory,
CPU time) the ratio is still lakeside / floor, so 1.0 means "as cheap as the floor".
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.loadgen import http_get
from bench.seed import Population, open_database, seed_population
from bench.servers import Server, floor_server, lakeside_server

MODES = ("smoke", "quick", "full")


@dataclass
class Figure:
    key: str
    label: str
    value: float | None
    unit: str
    floor: float | None = None
    better: str = "higher"  # or "lower"
    target: str = ""  # e.g. ">= 50% of floor", "<= 25 ms"
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor or _bad(self.value) or _bad(self.floor):
            return None
        return self.value / self.floor

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        for key in ("value", "floor"):
            if isinstance(out[key], float):
                out[key] = None if _bad(out[key]) else round(out[key], 4)
        return out


def _bad(value: float) -> bool:
    return isinstance(value, float) and (math.isnan(value) or math.isinf(value))


@dataclass
class Result:
    name: str
    title: str
    scale: dict[str, Any]
    scaled_down: bool
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "scale": self.scale,
            "scaled_down": self.scaled_down,
            "figures": [f.to_json() for f in self.figures],
            "notes": self.notes,
            "skipped": self.skipped,
            "error": self.error,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class Bench:
    mode: str
    workdir: Path
    facts: dict[str, Any] = field(default_factory=dict)
    host: str = "127.0.0.1"
    keep: bool = False
    profile_dir: Path | None = None  # py-spy records every lakeside server into it when set

    def scale(self, scales: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return dict(scales[self.mode])

    def fresh_dir(self, name: str) -> Path:
        path = self.workdir / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    @contextlib.asynccontextmanager
    async def lakeside(
        self,
        name: str,
        *,
        seed: Callable[[Any], Awaitable[Any]] | None = None,
        env: dict[str, str] | None = None,
        database_url: str | None = None,
    ) -> AsyncIterator[tuple[Server, Any]]:
        """A fresh data directory, seeded before the server starts, then ``lakeside serve``."""
        data_dir = self.fresh_dir(name)
        url = database_url or f"sqlite+aiosqlite:///{data_dir / 'lakeside.db'}"
        seeded = None
        if seed is not None:
            db = await open_database(url)
            try:
                seeded = await seed(db)
            finally:
                await db.dispose()
        extra = dict(env or {})
        if database_url:
            extra["LAKESIDE_DATABASE_URL"] = database_url
        server = lakeside_server(name, data_dir, self.workdir / "logs", extra)
        await server.start()
        profiler = None
        try:
            await warm_up(server)
            profiler = self._profile(server)
            yield server, seeded
        finally:
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    profiler.wait(30)
            await server.stop()
            if not self.keep:
                shutil.rmtree(data_dir, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def floor(self, name: str) -> AsyncIterator[Server]:
        server = floor_server(name, self.workdir / "logs")
        await server.start()
        profiler = None
        try:
            profiler = self._profile(server)
            yield server
        finally:
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    profiler.wait(30)
            await server.stop()

    def _profile(self, server: Server) -> subprocess.Popen[bytes] | None:
        """py-spy sampling the server for as long as it runs: a flame graph (SVG) and collapsed
        stacks (``.txt``, one line per stack with its sample count, for grep and sort)."""
        if self.profile_dir is None:
            return None
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        out = self.profile_dir / f"{server.name}.txt"
        argv = [spy, "record", "--pid", str(server.pid), "--rate", "250", "--format", "raw", "-o", str(out)]
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def warm_up(server: Server) -> None:
    """One request for a path no route has: FastAPI builds each router's route table on the
    first request that walks it, which costs the first request dearly (coldstart reports it);
    the measurements after this one should not pay it."""
    began = time.perf_counter()
    await http_get("127.0.0.1", server.port, "/api/v1/bench/warm-up", timeout=60)
    server.extra["first_request_seconds"] = time.perf_counter() - began


async def seeded_population(
    db: Any, count: int, group_plan: list[list[int]], direct_plan: list[list[int]]
) -> Population:
    return await seed_population(db, count, group_plan, direct_plan)


@dataclass
class Window:
    """A measurement window over a server: wall time, its CPU time, and a counter."""

    server: Server
    count: Callable[[], int]
    t0: float = 0.0
    cpu0: float = 0.0
    n0: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    n: int = 0

    def start(self) -> Window:
        self.t0, self.cpu0, self.n0 = time.perf_counter(), self.server.cpu(), self.count()
        return self

    def stop(self) -> Window:
        self.seconds = time.perf_counter() - self.t0
        self.cpu = self.server.cpu() - self.cpu0
        self.n = self.count() - self.n0
        return self

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds else float("nan")

    @property
    def cpu_us_each(self) -> float:
        return self.cpu / self.n * 1e6 if self.n else float("nan")

    @property
    def cpu_share(self) -> float:
        """Cores the server kept busy (1.0 = one core)."""
        return self.cpu / self.seconds if self.seconds else float("nan")


async def ticker(period: float, until: float, step: Callable[[], None]) -> None:
    """Call ``step`` every ``period`` seconds until the loop time ``until``."""
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        step()
        await asyncio.sleep(period)


def ratio_target(figure: Figure, minimum: float) -> None:
    """Mark a figure met when it reaches ``minimum`` times the floor."""
    figure.target = f">= {minimum:.0%} of floor"
    figure.met = None if figure.ratio is None else figure.ratio >= minimum


def absolute_target(figure: Figure, bound: float, text: str) -> None:
    figure.target = text
    if figure.value is None or _bad(figure.value):
        figure.met = False if figure.better == "higher" else None
        return
    figure.met = figure.value >= bound if figure.better == "higher" else figure.value <= bound
