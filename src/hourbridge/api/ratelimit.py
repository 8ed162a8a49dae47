"""Requests per minute per credential, counted in the database so that every ``serve``
process (and every worker of one) shares one count: a fixed one-minute window per key (or
token subject), one row each, incremented by one atomic UPSERT (``store.rate_limits``).

The in-process part is only a fast path for refusals, and it is exact: the count of a
window never goes down, so once this process has seen a window's count pass the limit,
every later request of that credential in that window is refused too, without asking the
database again. Allowing is never decided locally.

A window of 60 s lets a client spend its limit at the end of one window and again at the
start of the next (at most twice the limit over any 60 s, never more than the limit within
one window); ``Retry-After`` (RFC 9110 section 10.2.3) is the seconds until the window ends.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)
WINDOW = 60  # seconds


class RateWindows(Protocol):
    def hit(self, who: str, window: int) -> int: ...

    def prune(self, before: int) -> int: ...


class RateLimiter:
    def __init__(self, windows: RateWindows, clock: Callable[[], float]) -> None:
        self.windows = windows
        self.clock = clock  # wall time (seconds since the epoch): every process agrees
        self._exhausted: dict[str, int] = {}  # who -> the window it is known past its limit
        self._pruned = -1
        self._lock = threading.Lock()

    def wait(self, who: str, per_minute: int) -> int:
        """0 when ``who`` may make a request now (and count it), else the seconds to wait."""
        if per_minute <= 0:
            return 0
        now = self.clock()
        window = int(now // WINDOW) * WINDOW
        retry = max(1, math.ceil(window + WINDOW - now))
        with self._lock:
            if self._exhausted.get(who) == window:
                return retry
            prune = self._pruned < window
            self._pruned = window
            if prune:
                self._exhausted = {w: n for w, n in self._exhausted.items() if n == window}
        try:
            if prune:
                self.windows.prune(window - WINDOW)
            hits = self.windows.hit(who, window)
        except SQLAlchemyError:  # the database is down: the request fails on its own anyway
            log.warning("rate limit not counted: the database did not answer")
            return 0
        if hits <= per_minute:
            return 0
        with self._lock:
            self._exhausted[who] = window
        return retry
