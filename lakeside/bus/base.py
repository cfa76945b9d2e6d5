"""The bus interface: publish bytes on a channel; subscribers receive them.

The bus carries notifications, the database carries truth. A backend that may lose messages
(Redis pub/sub is at-most-once) yields ``RESYNC`` to its subscribers after it reconnects, and
they back-fill from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final, Protocol

RESYNC: Final = b"\x00resync"


class Bus(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, message: bytes) -> None: ...

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        """Subscribe; returns once the subscription is in place. Iterating yields the messages
        published on ``channel`` from then on, and ``RESYNC`` after a gap."""
        ...
