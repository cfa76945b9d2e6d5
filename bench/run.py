"""Run the benchmark: every scenario against lakeside and the floor, a table, and a results file.

    .venv/bin/python -m bench --quick     # under 2 minutes, scenarios scaled down
    .venv/bin/python -m bench --full      # under 15 minutes, the sizes the targets are set for
    .venv/bin/python -m bench --smoke     # a few seconds; what tests/test_bench_smoke.py runs

Loopback only. Servers run as subprocesses in a scratch directory that is removed afterwards;
results go to ``bench/results/<UTC timestamp>.json`` (figures with units, the floor's figure and
the ratio, targets met or not, machine facts, git revision). A scenario that fails is reported
as failed and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.common import MODES, Bench, Figure, Result
from bench.loadgen import raise_fd_limit
from bench.servers import ROOT, git_revision, machine_facts, package_versions

RESULTS = ROOT / "bench" / "results"
BUDGET = {"smoke": 120, "quick": 115, "full": 870}  # seconds for the whole run, servers' start included
SCENARIO_BUDGET = {"smoke": 60, "quick": 60, "full": 300}  # seconds for one scenario


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="lakeside's benchmark suite")
    group = parser.add_mutually_exclusive_group()
    for mode in MODES:
        group.add_argument(f"--{mode}", dest="mode", action="store_const", const=mode)
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--skip", default="", help="comma-separated scenario names to leave out")
    parser.add_argument("--output", type=Path, default=RESULTS, help="directory for the results file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (data, logs)")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="record every server with py-spy into DIR (collapsed stacks, <server>.txt)",
    )
    args = parser.parse_args(argv)
    args.mode = args.mode or "quick"
    return args


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "-"
    magnitude = abs(value)
    if magnitude >= 100:
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".rstrip()


def table(results: list[Result], mode: str) -> str:
    header = ("scenario", "figure", "lakeside", "floor", "ratio", "target", "met")
    rows: list[tuple[str, ...]] = [header]
    for result in results:
        name = result.name + (" *" if result.scaled_down else "")
        if result.skipped or result.error:
            rows.append(
                (
                    name,
                    "skipped: " + result.skipped if result.skipped else "FAILED: " + str(result.error)[:90],
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            )
            continue
        for figure in result.figures:
            met = "" if figure.met is None else ("met" if figure.met else "NOT MET")
            rows.append(
                (
                    name,
                    figure.label,
                    fmt(figure.value, figure.unit),
                    fmt(figure.floor, figure.unit) if figure.floor is not None else "n/a",
                    "-" if figure.ratio is None else f"{figure.ratio:.2f}x",
                    figure.target,
                    met,
                )
            )
            name = ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if any(r.scaled_down for r in results):
        lines.append(f"* scaled down or shortened for --{mode}; the targets are set for --full")
    for result in results:
        for note in result.notes:
            lines.append(f"{result.name}: {note}")
    return "\n".join(lines)


async def run_all(args: argparse.Namespace, workdir: Path) -> tuple[list[Result], dict[str, Any]]:
    from bench.scenarios import ALL

    only = {s for s in args.only.split(",") if s}
    skip = {s for s in args.skip.split(",") if s}
    facts = machine_facts()
    facts["fd_limit"] = raise_fd_limit()
    bench = Bench(args.mode, workdir, facts, keep=args.keep, profile_dir=args.profile)
    results: list[Result] = []
    begun = time.monotonic()
    for scenario in ALL:
        if (only and scenario.NAME not in only) or scenario.NAME in skip:
            continue
        remaining = BUDGET[args.mode] - (time.monotonic() - begun)
        if remaining < 15:
            # A loaded machine made the run overrun its budget: the rest is reported skipped.
            result = Result(scenario.NAME, scenario.TITLE, bench.scale(scenario.SCALES), False)
            result.skipped = f"the run's time budget ({BUDGET[args.mode]} s) was spent"
            results.append(result)
            continue
        print(f"[{time.monotonic() - begun:6.1f}s] {scenario.TITLE} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(scenario.run(bench), min(SCENARIO_BUDGET[args.mode], remaining))
        except TimeoutError:
            result = Result(scenario.NAME, scenario.TITLE, bench.scale(scenario.SCALES), False)
            result.skipped = f"stopped: the run's time budget ({BUDGET[args.mode]} s) ran out"
        except Exception as exc:  # one scenario failing must not cost the others
            result = Result(scenario.NAME, scenario.TITLE, bench.scale(scenario.SCALES), False)
            result.error = f"{type(exc).__name__}: {exc}"
            print(f"    failed: {result.error}", file=sys.stderr, flush=True)
        result.seconds = time.monotonic() - started
        results.append(result)
    return results, bench.facts


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    started = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="lakeside-bench-"))
    try:
        import uvloop

        results, facts = uvloop.run(run_all(args, workdir))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"scratch directory kept: {workdir}", file=sys.stderr)
    finished = datetime.now(UTC)
    print(table(results, args.mode))
    targets = [
        {"scenario": r.name, "figure": f.key, "target": f.target, "met": f.met}
        for r in results
        for f in r.figures
        if f.target
    ]
    document = {
        "schema": 1,
        "mode": args.mode,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 1),
        "git": git_revision(),
        "machine": facts,
        "packages": package_versions(),
        "scenarios": {r.name: r.to_json() for r in results},
        "targets": targets,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    with contextlib.suppress(FileExistsError):
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    print(f"\nresults: {path}")
    met = sum(1 for t in targets if t["met"])
    print(f"targets met: {met} of {len(targets)}")
    sys.exit(1 if any(r.error for r in results) else 0)


if __name__ == "__main__":
    main()


__all__ = ["Figure", "main"]
