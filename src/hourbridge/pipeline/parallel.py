"""Intake validation on other cores while this process reads and writes.

Parsing and validating a row is pure and costs about as much as storing it, so a large file
overlaps the two: worker processes run the kind's validation (``IntakeKind.validate``) on
the batches
ahead while this process stores the batch at hand. Results come back in file order, so the
outcome is exactly that of validating here. Small payloads (an API request, a day's export)
never start a pool: the first batches are validated here and the pool starts only when more
follow.

Workers are forked from a fresh ``forkserver`` process, never from this one, so they share
no database connection, lock or thread with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.rating import RateBook
from hourbridge.services.intake import Validate
from hourbridge.services.rows import Candidates, Row
from hourbridge.services.timeentries import validate_batch

if TYPE_CHECKING:
    from concurrent.futures import Future

# what a worker validates against, set once per pool by its initializer
_worker: tuple[Validate, str, int, MasterData, RateBook] | None = None


def _initialise(validate: Validate, source: str, inbox_id: int, md: MasterData) -> None:
    global _worker
    _worker = (validate, source, inbox_id, md, RateBook(md))


def _validate(rows: list[Row]) -> Candidates:
    assert _worker is not None, "pool worker used before its initializer ran"
    validate, source, inbox_id, md, rates = _worker
    return validate(rows, source, inbox_id, md, rates)


@dataclass(frozen=True)
class ParallelValidator:
    workers: int = 1  # bootstrap passes Settings.intake_workers (cores less one)
    start_after_batches: int = 4

    def __call__(self, batches: Iterator[list[Row]], source: str, inbox_id: int,
                 md: MasterData, rates: RateBook, validate: Validate = validate_batch
                 ) -> Iterator[tuple[list[Row], Candidates]]:
        stream = iter(batches)
        head = list(islice(stream, self.start_after_batches))
        for batch in head:
            yield batch, validate(batch, source, inbox_id, md, rates)
        if self.workers < 1 or len(head) < self.start_after_batches:
            for batch in stream:
                yield batch, validate(batch, source, inbox_id, md, rates)
            return
        # imported only when a pool starts: most payloads are validated here (issue 16)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_initialise,
                                 initargs=(validate, source, inbox_id, md)) as pool:
            ahead: deque[tuple[list[Row], Future[Candidates]]] = deque()
            for batch in stream:
                ahead.append((batch, pool.submit(_validate, batch)))
                if len(ahead) > 2 * self.workers:  # bounded: memory holds a few batches
                    done, future = ahead.popleft()
                    yield done, future.result()
            while ahead:
                done, future = ahead.popleft()
                yield done, future.result()
