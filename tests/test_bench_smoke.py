"""The benchmark suite runs: a tiny mode of two scenarios against real server processes writes a
results file with figures, units, the floor beside them, targets, machine facts and the git
revision. The figures themselves are not judged here (no timing asserts): the benchmark is run
on purpose with ``python -m bench --quick`` or ``--full``, not by the test suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_the_smoke_mode_runs_and_writes_a_results_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESIDE_")}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--only", "fanout,durable", "--output", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "deliveries/s" in run.stdout and "floor" in run.stdout
    (path,) = tmp_path.glob("*.json")
    results = json.loads(path.read_text())
    assert results["mode"] == "smoke"
    assert {
        "schema",
        "started_at",
        "finished_at",
        "git",
        "machine",
        "packages",
        "scenarios",
        "targets",
    } <= set(results)
    assert {"cpu_model", "cores", "memory_bytes", "python", "sqlite_version"} <= set(results["machine"])
    assert "revision" in results["git"]
    assert set(results["scenarios"]) == {"fanout", "durable"}
    for scenario in results["scenarios"].values():
        assert scenario["error"] is None, scenario["error"]
        assert scenario["scaled_down"] is True
        assert scenario["figures"]
        for figure in scenario["figures"]:
            assert {"key", "label", "value", "unit", "floor", "ratio", "target", "met"} <= set(figure)
    fanout = {f["key"]: f for f in results["scenarios"]["fanout"]["figures"]}
    assert fanout["deliveries_per_s"]["unit"] == "1/s"
    assert fanout["deliveries_per_s"]["floor"] is not None
    assert fanout["deliveries_per_s"]["target"] == ">= 50% of floor"
    durable = {f["key"]: f for f in results["scenarios"]["durable"]["figures"]}
    assert {"ws_sends_per_s", "http_sends_per_s"} <= set(durable)
    assert {t["figure"] for t in results["targets"]} >= {
        "deliveries_per_s",
        "ws_sends_per_s",
        "http_sends_per_s",
    }
    # Every send was acknowledged, not refused: a bench whose seeding the server's rules refuse
    # (direct chats between people who are not friends) measured nothing but nacks.
    assert durable["ws_sends_per_s"]["value"] > 0 and durable["http_sends_per_s"]["value"] > 0
    assert "nack" not in run.stdout and "failures, e.g." not in run.stdout, run.stdout[-2000:]
