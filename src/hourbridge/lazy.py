"""A collaborator the composition root builds on its first use (issue 16).

Every command line bootstraps the whole application, but most commands never sync a tracker,
pull a CRM or send a webhook: building those adapters up front imported their HTTP, JWT and
crypto stacks into every process (a fifth of a database command's start-up). ``OnFirstUse``
stands in for such an adapter and builds it when a use case first touches it; from then on
it is the adapter, attribute for attribute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class OnFirstUse(Generic[T]):
    """``build()``'s result, built on the first attribute read, once per process even when
    the API's threads reach it together (a second sender would hold its own connections)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._made: T | None = None
        self._lock = threading.Lock()
        self._closed = False

    def made(self) -> T:
        if self._made is None:
            with self._lock:
                if self._made is None:
                    made = self._build()
                    if self._closed:  # used after the app closed: as the adapter would be
                        _close(made)
                    self._made = made
        return self._made

    @property
    def built(self) -> bool:
        return self._made is not None

    def __getattr__(self, name: str) -> Any:
        # only names this class lacks land here: everything the adapter offers
        if name.startswith("__") or name in ("_build", "_made", "_lock", "_closed"):
            raise AttributeError(name)
        return getattr(self.made(), name)

    def close(self) -> None:
        """Close the adapter if it was built (one never used holds nothing to close)."""
        with self._lock:
            self._closed = True
            if self._made is not None:
                _close(self._made)


def _close(adapter: object) -> None:
    closing = getattr(adapter, "close", None)
    if closing is not None:
        closing()
