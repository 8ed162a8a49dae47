"""The rows of an incoming payload, and the loop every kind's validation runs over them.

Pure (no stored state), so a kind's validation may run in another process (see
``pipeline.parallel``) while intake writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from hourbridge.domain.intake import overflowing
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook

Row = tuple[str, dict[str, Any]]  # (where, raw row)
# what validating a batch gives: (index, candidate) for each valid row, (index, problems) for
# the others; the candidate is the kind's row to store (NewEntry, NewExpense)
Candidates = tuple[list[tuple[int, Any]], list[tuple[int, list[Problem]]]]

# a kind's validation of one batch: (rows, source, inbox id, master data, rate book)
Validate = Callable[[list[Row], str, int, MasterData, RateBook], Candidates]
P = TypeVar("P")


class BatchValidator(Protocol):
    """Runs a kind's validation over a stream of batches, yielding results in order (here:
    ``intake.validate_here``; on other cores: ``pipeline.parallel.ParallelValidator``)."""

    def __call__(self, batches: Iterator[list[Row]], source: str, inbox_id: int,
                 md: MasterData, rates: RateBook, validate: Validate = ...
                 ) -> Iterator[tuple[list[Row], Candidates]]: ...


def validate_rows(rows: list[Row], parse: Callable[[dict[str, Any], str], P | list[Problem]],
                  check: Callable[[P, str], Any],
                  plain: Callable[[dict[str, Any]], Any] | None = None) -> Candidates:
    """Parse each row (the kind's row parser), refuse it if a field overflows storage, then
    ``check`` it into the candidate to store, or a list of problems.

    ``plain`` (optional) takes a plainly valid row straight to its candidate, or gives None;
    only then is the row parsed and checked, so problems are built only for refused rows and
    a row it takes must be exactly what parse and check make of it."""
    candidates: list[tuple[int, Any]] = []
    rejected: list[tuple[int, list[Problem]]] = []
    for index, (where, raw) in enumerate(rows):
        if plain is not None:
            taken = plain(raw)
            if taken is not None:
                candidates.append((index, taken))
                continue
        parsed = parse(raw, where)
        if isinstance(parsed, list):
            rejected.append((index, parsed))
            continue
        overflow = overflowing(raw, where)
        if overflow is not None:
            rejected.append((index, [overflow]))
            continue
        checked = check(parsed, where)
        if isinstance(checked, list):
            rejected.append((index, checked))
        else:
            candidates.append((index, checked))
    return candidates, rejected
