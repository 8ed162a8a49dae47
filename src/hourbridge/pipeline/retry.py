"""Retry as an object that returns a decision: exponential backoff with full jitter, capped,
honouring a server's Retry-After, then dead letter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hourbridge.errors import Permanent, Retryable


@dataclass(frozen=True, slots=True)
class Decision:
    dead: bool
    delay_seconds: float = 0.0


@dataclass
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    # seeded from the OS: workers that fail together must not all draw the same jitter (a
    # test that wants a fixed sequence passes its own seeded Random)
    rng: random.Random = field(default_factory=random.Random)

    def decide(self, attempts: int, error: BaseException) -> Decision:
        """``attempts`` counts the one that just failed."""
        if isinstance(error, Permanent) or attempts >= self.max_attempts:
            return Decision(dead=True)
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** (attempts - 1)))
        delay = self.rng.uniform(0, ceiling)
        if isinstance(error, Retryable) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return Decision(dead=False, delay_seconds=delay)
