"""Sliding-window counters for abuse limits (failed log-ins per account and per address).

Counters live in the process: on several nodes each keeps its own, so the effective limit is
multiplied by the number of nodes; the argon2 cost per attempt still bounds what a guesser gets.
"""

from __future__ import annotations

import time
from collections import deque

from lakeside.errors import RateLimited


class SlidingWindow:
    def __init__(self, limit: int, window_seconds: float, *, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def _evict(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # still full: drop the oldest half
            for key in list(self._hits)[: self.max_keys // 2]:
                del self._hits[key]

    def check(self, key: str, *, code: str, message: str) -> None:
        """Raise RateLimited if ``key`` has used up its window."""
        now = time.monotonic()
        hits = self._prune(key, now)
        if len(hits) >= self.limit:
            retry_after = max(1, int(hits[0] + self.window - now) + 1)
            raise RateLimited(message, retry_after=retry_after, code=code)

    def hit(self, key: str) -> None:
        now = time.monotonic()
        self._prune(key, now).append(now)

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)
