"""Fan-out of committed events between processes: in-process by default, Redis for several nodes."""

from __future__ import annotations

from lakeside.bus.base import RESYNC, Bus


def create_bus(url: str) -> Bus:
    """The URL scheme picks the backend, as in encode/broadcaster."""
    if url.startswith("memory://"):
        from lakeside.bus.memory import MemoryBus

        return MemoryBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from lakeside.bus.redis import RedisBus

        return RedisBus(url)
    raise ValueError(f"Unknown bus URL scheme in {url!r}: use memory:// or redis://")


__all__ = ["RESYNC", "Bus", "create_bus"]
