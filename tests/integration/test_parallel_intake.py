"""Validation in worker processes gives exactly the outcome of validating in this one."""

from __future__ import annotations

from typing import Any

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain.rating import RateBook
from hourbridge.pipeline.parallel import ParallelValidator
from hourbridge.services.intake import validate_here

ROWS: list[tuple[str, dict[str, Any]]] = [
    (f"t.csv:{i + 2}", {"external_id": f"r{i}", "employee": ("E1", "E2", "E9")[i % 3],
                        "project": "P1", "task": ("DEV", "TRAVEL")[i % 2],
                        "date": f"2026-08-{1 + i % 28:02d}", "hours": str(1 + i % 5)})
    for i in range(60)
]


def test_worker_processes_validate_like_this_one(loaded: Hourbridge) -> None:
    with loaded.uow() as uow:
        md = uow.masterdata.snapshot()
    batches = [ROWS[i:i + 7] for i in range(0, len(ROWS), 7)]
    here = list(validate_here(iter(batches), "s", 1, md, RateBook(md)))
    pool = ParallelValidator(workers=2, start_after_batches=1)
    there = list(pool(iter(batches), "s", 1, md, RateBook(md)))
    assert there == here
    assert sum(len(ok) for _, (ok, _) in there) == 40  # E9 is unknown: a third is refused
