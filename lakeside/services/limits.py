"""Abuse limits: named policies ("at most N per S seconds") counted per user and per address.

Every policy comes from settings (``rate_limits``, and the log-in failure settings; their names,
defaults and ``COUNT/SECONDS`` syntax are in ``domain/limits.py``) and is counted under a key — a
user id or a client address. ``take`` spends one unit of an action from both its per-user and
per-address policies and raises ``LimitExceeded`` (429 ``RATE_LIMITED`` with a ``Retry-After``)
when either is used up. Log-in failures use ``reserve``/``refund``/``reset``: an attempt spends
its unit *before* the slow password check (in one step: a check and a spend with an await between
them would let forty concurrent guesses all pass the check), and a success gives it back.

Counters live in the process (a token bucket per key: N units, refilled evenly over S seconds),
or, when the bus is Redis, in Redis (fixed windows of S seconds: ``INCR`` + ``EXPIRE``), so
that N nodes do not grant N times the attempts. If Redis cannot be reached the process's own
counters stand in, so an outage of Redis never locks everyone out.

One policy is counted exactly instead: a robot's posts (``webhooks_per_user``), because DingTalk
promises a custom robot "20 messages a minute" and scripts are written to it. A token bucket lets
a robot store its 20 at once and nearly 20 more as the minute refills it, and Redis's fixed windows
let 20 come at the end of one window and 20 at the start of the next; a sliding log (the times of
the last N posts: in the process a deque, in Redis a sorted set) never lets N + 1 fall within any
S seconds.

Sends are the exception: they are counted in each process even with Redis. They are the hot
path (two Redis round trips per message would cost more than storing it), and their limit is a
flood brake, not a security boundary: N nodes allow a sender N times ``sends_per_user``, which a
load balancer that keeps a client on one node makes moot. Sign-ups, failed log-ins, friend
requests, invitations, uploads and DINGs — where a guessing or spamming script would gain from
spreading over nodes — are shared.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from lakeside.domain.limits import Policy, check_limits, parse_policy
from lakeside.errors import RateLimited

log = logging.getLogger(__name__)

# Counted per process even when Redis is there (see the module's docstring).
PER_NODE_ACTIONS = frozenset({"sends"})
# Counted as a sliding log: never more than N in any S seconds (see the module's docstring).
SLIDING_POLICIES = frozenset({"webhooks_per_user"})
MESSAGE = "Too many requests of this kind; wait before trying again."
REDIS_RETRY_SECONDS = 5.0


class LimitExceeded(RateLimited):
    """RateLimited with the wait in milliseconds too, for the socket's nack."""

    def __init__(self, message: str, *, wait: float, code: str | None = None) -> None:
        super().__init__(message, retry_after=max(1, math.ceil(wait)), code=code)
        self.retry_after_ms = max(1, math.ceil(wait * 1000))


class MemoryCounters:
    """Token buckets in this process, at most ``max_keys`` of them (idle ones are dropped), and
    sliding logs for the policies counted exactly (``SLIDING_POLICIES``)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._logs: dict[str, deque[float]] = {}  # key -> the times of the uses within the window

    def _log(self, policy: Policy, key: str, now: float) -> deque[float]:
        log_ = self._logs.get(key)
        if log_ is None:
            if len(self._logs) >= self.max_keys:
                self._logs = {k: v for k, v in self._logs.items() if v and v[-1] > now - policy.window}
            log_ = self._logs[key] = deque()
        while log_ and log_[0] <= now - policy.window:
            log_.popleft()
        return log_

    def _tokens(self, policy: Policy, key: str, now: float) -> float:
        tokens, when = self._buckets.get(key, (float(policy.limit), now))
        return min(float(policy.limit), tokens + (now - when) * policy.limit / policy.window)

    def wait(self, policy: Policy, key: str) -> float:
        """Seconds until one unit is available; 0 when one is."""
        if policy.name in SLIDING_POLICIES:
            now = time.monotonic()
            used = self._log(policy, key, now)
            return 0.0 if len(used) < policy.limit else max(1e-3, used[0] + policy.window - now)
        tokens = self._tokens(policy, key, time.monotonic())
        return 0.0 if tokens >= 1 else (1 - tokens) * policy.window / policy.limit

    def spend(self, policy: Policy, key: str) -> None:
        now = time.monotonic()
        if policy.name in SLIDING_POLICIES:
            self._log(policy, key, now).append(now)
            return
        tokens = self._tokens(policy, key, now)
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._evict(now)
        self._buckets[key] = (tokens - 1, now)

    def _evict(self, now: float) -> None:
        # Buckets idle long enough to be full again carry no information.
        stale = [k for k, (_, when) in self._buckets.items() if now - when > 3600]
        for key in stale or list(self._buckets)[: self.max_keys // 2]:
            del self._buckets[key]

    def reset(self, key: str) -> None:
        self._buckets.pop(key, None)
        self._logs.pop(key, None)

    def refund(self, policy: Policy, key: str) -> None:
        if policy.name in SLIDING_POLICIES:
            if self._logs.get(key):
                self._logs[key].pop()
            return
        if key in self._buckets:
            tokens = self._tokens(policy, key, time.monotonic())
            self._buckets[key] = (min(float(policy.limit), tokens + 1), time.monotonic())


_REFUND_SCRIPT = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end
return 0
"""


# A sliding log in a sorted set: drop the uses older than the window, refuse when N remain (the
# seconds until the oldest leaves), else add this one. Redis's own clock, so nodes agree.
_SLIDING_SCRIPT = """
local t = redis.call('time')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
if redis.call('zcard', KEYS[1]) >= limit then
  local oldest = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(math.max(0.001, tonumber(oldest[2]) + window - now))
end
redis.call('zadd', KEYS[1], now, t[1] .. '.' .. t[2] .. ':' .. ARGV[3])
redis.call('pexpire', KEYS[1], math.ceil(window * 1000) + 1000)
return '0'
"""


@dataclass
class Reservation:
    """Units spent by ``Limits.reserve``, to be given back by ``Limits.refund`` (a success)."""

    units: list[tuple[Policy, str, str | None]] = field(default_factory=list)  # policy, key, Redis key


class RedisCounters:
    """Fixed windows in Redis shared by every node: one key per (policy, key, window)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as aioredis

        self.prefix = prefix
        self._client: Any = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    def _key(self, policy: Policy, key: str) -> tuple[str, float]:
        now = time.time()
        start = math.floor(now / policy.window) * policy.window
        return f"{self.prefix}{key}:{int(start)}", start + policy.window - now

    async def spend(self, policy: Policy, key: str) -> float:
        """Count one use; the seconds to wait when that use was over the limit, else 0."""
        return (await self.spend_named(policy, key))[0]

    async def spend_named(self, policy: Policy, key: str) -> tuple[float, str]:
        """``spend``, with the window's key (for a refund)."""
        if policy.name in SLIDING_POLICIES:
            name = f"{self.prefix}{key}:log"
            nonce = secrets.token_hex(4)  # two uses in the same microsecond are two members
            wait = await self._client.eval(_SLIDING_SCRIPT, 1, name, policy.window, policy.limit, nonce)
            return float(wait), name
        name, left = self._key(policy, key)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, math.ceil(left) + 1)
            count, _ = await pipe.execute()
        return (left if int(count) > policy.limit else 0.0), name

    async def reset(self, policy: Policy, key: str) -> None:
        if policy.name in SLIDING_POLICIES:
            await self._client.delete(f"{self.prefix}{key}:log")
            return
        await self._client.delete(self._key(policy, key)[0])

    async def refund(self, name: str) -> None:
        """Give back one use counted under ``name`` (a window's key), if that window still exists:
        a DECR on an expired key would create one without an expiry. A sliding log gives back its
        newest use."""
        if name.endswith(":log"):
            await self._client.zpopmax(name)
            return
        await self._client.eval(_REFUND_SCRIPT, 1, name)

    async def close(self) -> None:
        await self._client.aclose()


class Limits:
    """The server's abuse limits; one per process, on the service context."""

    def __init__(self, settings: Any, namespace: str) -> None:
        self.enabled: bool = settings.rate_limits_enabled
        self.policies: dict[str, Policy] = {}
        for name, spec in check_limits(dict(settings.rate_limits)).items():
            policy = parse_policy(name, spec)
            if policy is not None:
                self.policies[name] = policy
        window = settings.login_failure_window_seconds
        for name, limit in (
            ("login_failures_per_account", settings.login_failures_per_account),
            ("login_failures_per_address", settings.login_failures_per_address),
        ):
            if limit > 0:
                self.policies[name] = Policy(name, limit, float(window))
        self.memory = MemoryCounters()
        self.redis: RedisCounters | None = None
        self._redis_down_until = 0.0
        if str(settings.bus_url).startswith(("redis://", "rediss://")):
            self.redis = RedisCounters(settings.bus_url, f"lakeside.{namespace}.limit.")

    def _active(self, name: str, key: str) -> Policy | None:
        return self.policies.get(name) if self.enabled and key else None

    def _shared(self) -> RedisCounters | None:
        """Redis, unless it failed in the last few seconds (then requests do not each wait for
        a connection timeout while it is down)."""
        return self.redis if self.redis is not None and time.monotonic() >= self._redis_down_until else None

    def _redis_failed(self) -> None:
        if time.monotonic() >= self._redis_down_until:
            log.warning("rate limit counters in Redis unavailable; counting in process", exc_info=True)
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS

    async def _spend(self, policy: Policy, key: str, *, shared: bool = True) -> float:
        full = f"{policy.name}:{key}"
        if shared and (redis := self._shared()) is not None:
            try:
                return await redis.spend(policy, full)
            except Exception:
                self._redis_failed()
        wait = self.memory.wait(policy, full)
        if not wait:
            self.memory.spend(policy, full)
        return wait

    async def take(self, action: str, *, user_id: int | None = None, address: str = "") -> None:
        """Spend one ``action`` for the user and for the address, or raise LimitExceeded."""
        keys = [(f"{action}_per_user", str(user_id or "")), (f"{action}_per_address", address)]
        active = [(policy, key) for name, key in keys if (policy := self._active(name, key))]
        shared = action not in PER_NODE_ACTIONS and self._shared() is not None
        # In process: look first, spend only if every policy allows, so a refused request costs
        # nothing. In Redis the increments are the check (one round trip each, no race).
        if not shared:
            waits = [self.memory.wait(policy, f"{policy.name}:{key}") for policy, key in active]
            if any(waits):
                raise LimitExceeded(MESSAGE, wait=max(waits), code="RATE_LIMITED")
        waits = [await self._spend(policy, key, shared=shared) for policy, key in active]
        if any(waits):
            raise LimitExceeded(MESSAGE, wait=max(waits), code="RATE_LIMITED")

    async def reserve(self, names: list[tuple[str, str]], *, code: str, message: str) -> Reservation:
        """Spend one unit of each policy ``name`` under its ``key`` *now*, before the work they
        guard, or raise LimitExceeded and spend nothing. Atomic per counter: in process no await
        separates the look from the spend; in Redis the INCR is the look (a refused attempt's
        increments are given back at once)."""
        reservation = Reservation()
        active = [(policy, key) for name, key in names if (policy := self._active(name, key))]
        if (redis := self._shared()) is not None:
            try:
                waits = []
                for policy, key in active:
                    wait, window = await redis.spend_named(policy, f"{policy.name}:{key}")
                    reservation.units.append((policy, key, window))
                    waits.append(wait)
            except Exception:
                self._redis_failed()
                await self.refund(reservation)
                reservation = Reservation()
            else:
                if any(waits):
                    await self.refund(reservation)
                    raise LimitExceeded(message, wait=max(waits), code=code)
                return reservation
        waits = [self.memory.wait(policy, f"{policy.name}:{key}") for policy, key in active]
        if any(waits):
            raise LimitExceeded(message, wait=max(waits), code=code)
        for policy, key in active:
            self.memory.spend(policy, f"{policy.name}:{key}")
            reservation.units.append((policy, key, None))
        return reservation

    async def refund(self, reservation: Reservation) -> None:
        """Give back what ``reserve`` spent (the attempt turned out not to count)."""
        for policy, key, window in reservation.units:
            if window is None:
                self.memory.refund(policy, f"{policy.name}:{key}")
            elif self.redis is not None:
                try:
                    await self.redis.refund(window)
                except Exception:
                    log.warning("could not refund a rate limit counter in Redis", exc_info=True)
        reservation.units.clear()

    async def reset(self, name: str, key: str) -> None:
        policy = self._active(name, key)
        if policy is None:
            return
        full = f"{name}:{key}"
        self.memory.reset(full)
        if self.redis is not None:
            try:
                await self.redis.reset(policy, full)
            except Exception:
                log.warning("could not reset a rate limit counter in Redis", exc_info=True)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()
