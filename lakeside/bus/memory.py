"""The in-process bus: one process, no broker, nothing lost."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator


class MemoryBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, message: bytes) -> None:
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._subscribers[channel].add(queue)
        return self._iterate(channel, queue)

    async def _iterate(self, channel: str, queue: asyncio.Queue[bytes]) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[channel].discard(queue)
