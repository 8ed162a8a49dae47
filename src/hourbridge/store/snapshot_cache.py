"""One process's last master-data snapshot (``SnapshotCache``), and what keeping a large one
asks of Python's garbage collector."""

from __future__ import annotations

import gc
import threading

from hourbridge.domain.masterdata import MasterData

# A large firm's snapshot is tens of thousands of objects that live as long as its revision.
# Python's full collections walked them all: on the 1M-entry bench (5,000 projects, 2,000
# contracts) a billing run of 100 new entries, normally 10 ms, took 70-100 ms once the
# previous run's caches had grown the heap by a quarter (issue 16, item 4). So when a large
# snapshot is kept, whatever the process holds is moved out of the collector's generations
# (gc.freeze); the previously frozen objects are first given back and garbage collected, so
# nothing that died since the last freeze is kept. A small firm's snapshot is not worth a
# full collection (and the tests build thousands of them).
FREEZE_FROM = 2_000  # customers, employees, projects, contracts and rate cards together
_FREEZING = threading.Lock()


def _size(snapshot: MasterData) -> int:
    return (len(snapshot.customers) + len(snapshot.employees) + len(snapshot.projects)
            + len(snapshot.contracts) + len(snapshot.rate_cards))


def _freeze_long_lived() -> None:
    with _FREEZING:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


class SnapshotCache:
    """One process's last master-data snapshot and the revision it was read at.

    Reading master data costs a dozen queries and, for a large firm, tens of milliseconds; an
    API intake of a thousand requests would pay it a thousand times. The revision row is
    bumped in every transaction that changes master data, so one tiny query says whether the
    cached snapshot is still the truth.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._snapshot: MasterData | None = None

    def get(self, revision: int) -> MasterData | None:
        with self._lock:
            return self._snapshot if self._revision == revision else None

    def put(self, revision: int, snapshot: MasterData) -> None:
        with self._lock:
            self._revision, self._snapshot = revision, snapshot
        if _size(snapshot) >= FREEZE_FROM:
            _freeze_long_lived()
