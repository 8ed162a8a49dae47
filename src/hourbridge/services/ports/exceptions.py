"""Exceptions: problems to record and the repository that keeps them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hourbridge.domain.problems import Problem


@dataclass(frozen=True, slots=True)
class NewException:
    inbox_id: int | None
    source: str
    external_id: str | None
    problem: Problem
    row: dict[str, Any]


class ExceptionRepository(Protocol):
    def add(self, items: Sequence[NewException], at: datetime) -> None: ...
    def add_open_once(self, items: Sequence[NewException], at: datetime) -> int: ...
    def resolve(self, source: str, location: str, at: datetime, by: str) -> None: ...
    def resolve_all(self, source: str, locations: Sequence[str], at: datetime,
                    by: str) -> None: ...
    def open_items(
        self, ids: Sequence[int], entities: Collection[str] | None = None
    ) -> list[tuple[int, int | None, str, dict[str, Any]]]: ...
    def close(self, ids: Sequence[int], status: str, at: datetime, by: str, note: str) -> None: ...
    def reassess(self, items: Sequence[tuple[int, Problem]]) -> dict[int, str]:
        """Give open exceptions the problem found now (reason, field, message, owner; the
        location stays); answer the earlier reason of each whose reason changed."""
        ...
