"""The loop every worker runs (workers/periodic.py): a round when woken, a failing round does not
end the loop, a worker set to interval 0 never runs, stop ends it."""

from __future__ import annotations

import asyncio

import pytest

from lakeside.workers.periodic import PeriodicWorker


async def test_rounds_run_when_woken_and_survive_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    rounds: list[int] = []
    ran = asyncio.Queue[int]()

    async def round_() -> None:
        rounds.append(len(rounds))
        await ran.put(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("the first round fails")

    worker = PeriodicWorker("test-worker", 3600, round_)  # never by the clock in this test
    await worker.start()
    try:
        worker.wake()
        assert await asyncio.wait_for(ran.get(), 30) == 1
        worker.wake()  # the failure did not end the loop
        assert await asyncio.wait_for(ran.get(), 30) == 2
    finally:
        await worker.stop()
    assert "test-worker: the round failed" in caplog.text
    worker.wake()
    await asyncio.sleep(0)
    assert rounds == [0, 1]  # stopped: a wake runs nothing


async def test_a_worker_with_interval_zero_does_not_run() -> None:
    async def round_() -> None:
        raise AssertionError("ran")

    worker = PeriodicWorker("off", 0, round_)
    await worker.start()
    worker.wake()
    await asyncio.sleep(0)
    assert worker._task is None
    await worker.stop()


async def test_a_service_event_wakes_it() -> None:
    queued = asyncio.Event()
    ran = asyncio.Event()

    async def round_() -> None:
        ran.set()

    worker = PeriodicWorker("exports", 3600, round_, wakes=queued)
    await worker.start()
    try:
        queued.set()
        await asyncio.wait_for(ran.wait(), 30)
        assert not queued.is_set()  # taken
    finally:
        await worker.stop()
