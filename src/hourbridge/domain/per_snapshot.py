"""What is derived from a master-data snapshot alone, kept for the last snapshot asked for.

The store hands out one ``MasterData`` object per master-data revision, so every command
under the same revision gets the same object: whatever is a pure function of it (a rate book
and its decisions, the price basis's digests, which contracts have terms) is built once per
revision instead of once per command. A firm of 5,000 projects and 2,000 contracts paid more
for rebuilding these than for billing 100 new entries (issue 16, item 4). Only the last
snapshot is kept: a new revision replaces it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from .masterdata import MasterData

T = TypeVar("T")


class PerSnapshot(Generic[T]):
    """``build(md)``, kept while ``md`` is the snapshot asked for. What it builds may fill
    caches of its own as it is used: they are pure functions of the snapshot, so two threads
    filling them at once only repeat work."""

    def __init__(self, build: Callable[[MasterData], T]) -> None:
        self._build = build
        self._last: tuple[MasterData, T] | None = None
        self._lock = threading.Lock()

    def __call__(self, md: MasterData) -> T:
        with self._lock:
            last = self._last
            if last is not None and last[0] is md:
                return last[1]
            value = self._build(md)
            self._last = (md, value)
            return value
