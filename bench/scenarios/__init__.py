"""The benchmark's scenarios, in the order they run: each module has ``NAME``, ``TITLE``,
``SCALES`` (per mode) and ``async def run(bench) -> Result``."""

from bench.scenarios import catchup, cluster, coldstart, durable, fanout, idle, workday

# Most telling first: when a loaded machine makes a run overrun its budget, the tail is skipped.
ALL = [fanout, durable, workday, catchup, idle, coldstart, cluster]
