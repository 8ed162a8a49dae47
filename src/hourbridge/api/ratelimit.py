"""Requests per minute per credential: a token bucket per key (or token subject), in this
process's memory. Several ``serve`` processes each allow the limit: size it per process."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable


class RateLimiter:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # who -> (tokens, as of)
        self._lock = threading.Lock()

    def wait(self, who: str, per_minute: int) -> int:
        """0 when ``who`` may make a request now (and count it), else the seconds to wait."""
        if per_minute <= 0:
            return 0
        rate = per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.get(who, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - since) * rate)
            if tokens >= 1.0:
                self._buckets[who] = (tokens - 1.0, now)
                return 0
            self._buckets[who] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
