"""Servers under test as subprocesses, and what /proc says about them and about the machine.

Each server runs in its own process (``lakeside serve`` with a fresh data directory, or the
floor), so its CPU time (utime + stime in /proc/<pid>/stat) and resident memory (VmRSS) are its
own and not the load generator's. Every wait here is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.loadgen import http_get

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# What every benchmark server gets: cheap password hashing, so that setting up users is not what
# is measured, and nothing from the developer's own LAKESIDE_* environment.
BENCH_ENV = {
    "LAKESIDE_PASSWORD_HASH_TIME_COST": "1",
    "LAKESIDE_PASSWORD_HASH_MEMORY_KIB": "1024",
    # The benchmark floods sends and sign-ups from one address on purpose: abuse limits off.
    "LAKESIDE_RATE_LIMITS_ENABLED": "false",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESIDE_")}
    env.update(BENCH_ENV)
    env.update(extra or {})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


@dataclass
class Server:
    """A server process: ``lakeside serve`` or the floor."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0  # seconds from spawn to the first healthy answer
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115, ASYNC230 - handed to the child, closed in stop()
        self.extra["log"] = log
        begun = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: ASYNC220 - spawning returns at once
            self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
        deadline = begun + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError, TimeoutError, ConnectionError, ValueError):
                status, _ = await http_get("127.0.0.1", self.port, "/healthz", timeout=2)
                if status == 200:
                    self.started_in = time.perf_counter() - begun
                    return
            await asyncio.sleep(0.02)
        await self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s; see {self.log_path}")

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    async def stop(self, timeout: float = 15.0) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if process.poll() is None:
                process.kill()
                process.wait(5)
        log = self.extra.pop("log", None)
        if log is not None:
            log.close()


def lakeside_server(
    name: str, data_dir: Path, log_dir: Path, env: dict[str, str] | None = None, port: int | None = None
) -> Server:
    port = port or free_port()
    argv = [PYTHON, "-m", "lakeside.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--data-dir", str(data_dir)]
    return Server(name, argv, clean_env(env), port, log_dir / f"{name}.log")


def floor_server(name: str, log_dir: Path) -> Server:
    port = free_port()
    argv = [PYTHON, "-m", "bench.floor", "--port", str(port)]
    return Server(name, argv, clean_env(), port, log_dir / f"{name}.log")


# -- facts about the machine ----------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    cpu_model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    load = os.getloadavg()
    return {
        "cpu_model": cpu_model,
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite_version": sqlite3.sqlite_version,
        "load_average_at_start": [round(x, 2) for x in load],
        "fd_limit": None,
    }


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"revision": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in (
        "uvicorn",
        "uvloop",
        "httptools",
        "websockets",
        "starlette",
        "fastapi",
        "sqlalchemy",
        "orjson",
    ):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out
