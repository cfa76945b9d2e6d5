"""Redis pub/sub bus for several nodes.

Pub/sub is at-most-once: while a node is cut off from Redis, what is published is lost to it.
The subscriber therefore reconnects with back-off and yields ``RESYNC`` once it is back, so that
the gateway back-fills every live connection from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lakeside.bus.base import RESYNC

log = logging.getLogger(__name__)


class RedisBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._client: aioredis.Redis | None = None

    async def connect(self) -> None:
        self._client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=10)

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, channel: str, message: bytes) -> None:
        assert self._client is not None, "connect() first"
        try:
            await self._client.publish(channel, message)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            # The event is committed; other nodes back-fill from the database when they resync.
            log.warning("bus publish failed; other nodes will back-fill", exc_info=True)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)
        return self._iterate(channel, client, pubsub)

    async def _iterate(self, channel: str, client: aioredis.Redis, pubsub: Any) -> AsyncIterator[bytes]:
        delay = 0.05
        while True:
            try:
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is not None and message["type"] == "message":
                        yield message["data"]
            except (RedisConnectionError, RedisTimeoutError, OSError):
                log.warning("bus subscription to %s lost; reconnecting", channel)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()
            while True:  # reconnect with back-off, then tell the subscriber to back-fill
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                try:
                    await pubsub.subscribe(channel)
                except (RedisConnectionError, RedisTimeoutError, OSError):
                    with contextlib.suppress(Exception):
                        await client.aclose()
                    continue
                delay = 0.05
                yield RESYNC
                break
