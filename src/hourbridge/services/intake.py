"""The one intake: a payload is kept in the inbox, then each row is parsed, validated and
stored, or lands in the exception queue with its reason. Nothing is dropped. Every kind of row
(time, expenses, the connector kinds to come) is an ``IntakeKind``: how its rows validate,
where they are stored, and what it adds to the rule of ``domain.classify``.

The payload streams through three passes (fingerprint, keep, parse), so memory stays bounded
whatever its size. The inbox copy commits first, on its own: a payload that cannot be parsed,
or a crash half-way, still leaves the payload kept, with its status saying what happened.

The same payload twice (by SHA-256 of source, kind and bytes) adds nothing. What a row whose
source id is already stored becomes (unchanged, a revision, a deletion, a correction proposal
or ``changed_after_approval``) is ``domain.classify``'s decision; a row with the same content
as another under a different id is ``duplicate_entry``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from hourbridge.domain.classify import IntakeRules, Outcome, classify, held_elsewhere
from hourbridge.domain.commands import IncomingPayload, ReadThrough
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook
from hourbridge.errors import ConcurrentChange, UnreadablePayload

from .dayrounding import DayRoundingOutcome
from .ports import DayKey, NewException, StoredEntry, UnitOfWork, chunked
from .ports.entries import IntakeRepository
from .rows import BatchValidator, Candidates, Row, Validate
from .timeentries import validate_batch

BATCH = 5000
TIME_ENTRIES = "time_entries"  # the inbox kind of a time payload


@dataclass(frozen=True)
class DayRounding:
    """A kind whose rows round per day (time): the contracts that do, the days a stored or
    incoming row touches, and the recompute of those days after each batch."""

    contracts: Callable[[MasterData], frozenset[str]]
    touched: Callable[[StoredEntry | None, Any, frozenset[str]], Iterable[DayKey]]
    rebalance: Callable[[UnitOfWork, MasterData, RateBook, list[DayKey], datetime],
                        DayRoundingOutcome]


@dataclass(frozen=True)
class IntakeKind:
    """One kind of incoming row. ``validate`` is a module-level function (it may be sent to
    another process); the hooks are what the kind adds to the outcome ``classify`` decides."""

    name: str  # the inbox kind, part of a payload's fingerprint (but for time entries)
    validate: Validate
    repository: Callable[[UnitOfWork], IntakeRepository[Any]]
    rules: IntakeRules
    deleted: Callable[[Any], bool] = lambda row: False  # is the candidate a deletion?
    delete: Callable[[UnitOfWork, StoredEntry, Any, datetime], None] | None = None
    correct: Callable[[UnitOfWork, StoredEntry, Any, datetime], object] | None = None
    rounding: DayRounding | None = None
    renamed: tuple[tuple[str, str], ...] = ()  # (old field name, new) still read


@dataclass
class IntakeReport:
    inbox_id: int | None
    fingerprint: str
    duplicate_payload: bool = False
    rows: int = 0
    accepted: int = 0
    revised: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    corrections: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    # the payload as a whole could not be read (kept, ``failed``, one invalid_format exception)
    unreadable: str | None = None
    day_rounding: DayRoundingOutcome = field(default_factory=DayRoundingOutcome)
    warnings: list[str] = field(default_factory=list)

    def add(self, batch: list[Row], out: BatchOutcome,
            renamed: tuple[tuple[str, str], ...] = ()) -> None:
        """Count what became of one stored batch; note old field names its rows use."""
        for old, new in renamed:
            said = f"field {old!r} is deprecated: name it {new!r}"
            if said not in self.warnings and any(
                    old in raw and new not in raw for _, raw in batch):
                self.warnings.append(said)
        self.rows += len(batch)
        self.accepted += out.accepted
        self.revised += out.revised
        self.unchanged += out.unchanged
        self.deleted += out.deleted
        self.corrections += out.corrections
        self.rejected += len(out.rejected)
        for _, problems in out.rejected:
            self.reasons[problems[0].code] = self.reasons.get(problems[0].code, 0) + 1
        if out.rounding is not None:
            self.day_rounding.days += out.rounding.days
            self.day_rounding.changed += out.rounding.changed
            self.day_rounding.overbilled_seconds += out.rounding.overbilled_seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "inbox_id": self.inbox_id, "fingerprint": self.fingerprint,
            "duplicate_payload": self.duplicate_payload, "rows": self.rows,
            "accepted": self.accepted, "revised": self.revised, "unchanged": self.unchanged,
            "rejected": self.rejected, "deleted": self.deleted,
            "corrections_proposed": self.corrections,
            "reasons": dict(sorted(self.reasons.items())),
            "unreadable": self.unreadable,
            "days_rerounded": self.day_rounding.days,
            "entries_rerounded": self.day_rounding.changed,
            "day_overbilled_seconds": self.day_rounding.overbilled_seconds,
            "warnings": list(self.warnings),
        }


@dataclass
class BatchOutcome:
    accepted: int = 0
    revised: int = 0
    unchanged: int = 0
    deleted: int = 0
    corrections: int = 0
    rejected: list[tuple[int, list[Problem]]] = field(default_factory=list)
    days: list[DayKey] = field(default_factory=list)  # per-day-rounded days it changed
    rounding: DayRoundingOutcome | None = None  # what re-rounding those days changed


def validate_here(batches: Iterator[list[Row]], source: str, inbox_id: int, md: MasterData,
                  rates: RateBook, validate: Validate = validate_batch
                  ) -> Iterator[tuple[list[Row], Candidates]]:
    """The default validator: in this process, one batch after the other."""
    for batch in batches:
        yield batch, validate(batch, source, inbox_id, md, rates)


def store_batch(uow: UnitOfWork, kind: IntakeKind, source: str, rows: list[Row],
                validated: Candidates, now: datetime,
                per_day: frozenset[str] = frozenset(),
                entities: frozenset[str] | None = None) -> BatchOutcome:
    """The stateful half of intake: the batch staged, each candidate as ``classify``
    decides, then the new rows moved in one statement.

    Rows of earlier batches are already stored (same transaction), so duplicates across
    batches are found by the same lookups as duplicates of stored rows. ``per_day`` names
    the contracts that round per day: the days their stored rows touch are collected in
    ``days`` (both days when a revision moves an entry) for the kind's re-rounding.

    ``entities`` (None: all) are those the sender may post to: a stored row of another
    entity is not theirs to revise or delete. Its deletion is as of an unknown id (nothing
    to delete), any other row under its id is refused (``held_elsewhere``). Decided on the
    rows ``stored`` fetched for the whole batch, no query of its own.
    """
    candidates, rejected = validated
    out = BatchOutcome(rejected=list(rejected))
    repo = kind.repository(uow)
    # staged: the ids and contents already stored are found by joins, not row by row
    stored, known_keys = repo.stage([c for _, c in candidates], now)
    touched = kind.rounding.touched if kind.rounding is not None and per_day else None
    skip: list[int] = []  # staged positions not taken as new rows
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    deleted = kind.deleted
    for position, (index, row) in enumerate(candidates):
        before = stored.get(row.external_id)
        if (before is None and row.external_id not in seen_ids and not deleted(row)
                and row.content_key not in known_keys and row.content_key not in seen_keys):
            # the common row, a new one: what ``classify`` decides for it, without asking
            if touched is not None:
                out.days += touched(None, row, per_day)
            seen_ids.add(row.external_id)
            seen_keys.add(row.content_key)
            continue
        if before is not None and entities is not None and before.entity not in entities:
            before = None
            if not kind.deleted(row) and row.external_id not in seen_ids:
                out.rejected.append((index, [held_elsewhere(row.external_id, kind.rules,
                                                            rows[index][0])]))
                seen_ids.add(row.external_id)
                skip.append(position)  # staged, but not a new row
                continue
        outcome, problem = classify(
            row.external_id, row.revision, row.content_key, kind.deleted(row), before,
            id_seen=row.external_id in seen_ids,
            content_seen=row.content_key in known_keys or row.content_key in seen_keys,
            rules=kind.rules, where=rows[index][0])
        if outcome is not Outcome.NEW:
            skip.append(position)
        if problem is not None:
            out.rejected.append((index, [problem]))
        elif outcome is Outcome.UNCHANGED:
            out.unchanged += 1
        elif outcome is Outcome.NEW:
            if touched is not None:
                out.days += touched(None, row, per_day)
        else:
            assert before is not None
            # a revision takes its content as intake key unless another row holds it
            free = row.content_key not in known_keys and row.content_key not in seen_keys
            _change(uow, kind, repo, outcome, before, row, now, out, free)
            if outcome is Outcome.REVISE and touched is not None:
                out.days += touched(before, row, per_day)
        seen_ids.add(row.external_id)
        seen_keys.add(row.content_key)
    out.accepted = repo.move_staged(skip) if len(skip) < len(candidates) else 0
    return out


def _change(uow: UnitOfWork, kind: IntakeKind, repo: IntakeRepository[Any], outcome: Outcome,
            before: StoredEntry, row: Any, now: datetime, out: BatchOutcome,
            content_free: bool) -> None:
    """A stored row revised, deleted, or (on an invoice) proposed for correction."""
    if outcome is Outcome.CORRECTION:
        assert kind.correct is not None
        kind.correct(uow, before, row, now)
        out.corrections += 1
    elif outcome is Outcome.DELETE:
        assert kind.delete is not None
        kind.delete(uow, before, row, now)
        out.deleted += 1
    else:
        repo.replace(before.id, row, now, content_free)
        out.revised += 1


def store_validated(uow: UnitOfWork, kind: IntakeKind, source: str, batch: list[Row],
                    candidates: Candidates, md: MasterData, rates: RateBook,
                    per_day: frozenset[str], now: datetime,
                    entities: frozenset[str] | None = None) -> BatchOutcome:
    """Store one validated batch, then round the days it touched again, as a whole."""
    out = store_batch(uow, kind, source, batch, candidates, now, per_day, entities)
    if out.days and kind.rounding is not None:
        out.rounding = kind.rounding.rebalance(uow, md, rates, out.days, now)
    return out


def process_rows(uow: UnitOfWork, kind: IntakeKind, source: str, inbox_id: int,
                 rows: list[Row], md: MasterData, rates: RateBook,
                 now: datetime, entities: frozenset[str] | None = None) -> BatchOutcome:
    """Validate and store one batch here (the exception queue's retry), as a sender limited
    to ``entities`` (None: all) would post it (``ingest``)."""
    per_day = kind.rounding.contracts(md) if kind.rounding is not None else frozenset()
    validated = kind.validate(rows, source, inbox_id, md.limited_to(entities), rates)
    return store_validated(uow, kind, source, rows, validated, md, rates, per_day, now,
                           entities)


def rejection(inbox_id: int | None, source: str, raw: dict[str, Any],
              problems: list[Problem]) -> NewException:
    """One exception record per rejected row: the first reason is its code, all are listed."""
    first = problems[0]
    message = first.message if len(problems) == 1 else "; ".join(
        f"{p.code}: {p.message}" for p in problems)
    merged = Problem(first.code, message, first.where, first.field,
                     {"codes": ",".join(p.code for p in problems)})
    return NewException(inbox_id, source, str(raw.get("external_id") or "") or None, merged, raw)


def fingerprint_of(source: str, payload: IncomingPayload,
                   kind: str = TIME_ENTRIES) -> tuple[str, int]:
    # The source is part of the fingerprint: the same bytes from two trackers are two payloads;
    # so is the kind (other than time entries): the same bytes as expenses are another payload.
    digest = hashlib.sha256(source.encode() + b"\x00")
    if kind != TIME_ENTRIES:
        digest.update(kind.encode() + b"\x00")
    if isinstance(payload, ReadThrough):  # a sheet's mapping: corrected, it is read anew
        reading = payload.reading()
        digest.update(b"reading\x00" + str(len(reading)).encode() + b"\x00" + reading)
    size = 0
    for block in payload.chunks():
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


# Yields a payload's rows batch by batch, each with a function that stores that batch inside
# the intake transaction (given the inbox id and the master data). The function may run more
# than once: a batch that loses a race to a concurrent intake is rolled back and stored again.
BatchStorer = Callable[[int, MasterData], Iterator[tuple[list[Row], Callable[[], BatchOutcome]]]]
RACE_RETRIES = 5  # attempts of one batch against concurrent intakes of the same ids or content


def _store_racing(uow: UnitOfWork, store: Callable[[], BatchOutcome]) -> BatchOutcome:
    """Store one batch in a savepoint; if a concurrent intake committed one of its ids or
    contents first, undo just this batch and store it again against what is stored now."""
    for attempt in range(1, RACE_RETRIES + 1):
        try:
            with uow.savepoint():
                return store()
        except ConcurrentChange:
            if attempt == RACE_RETRIES:
                raise
    raise AssertionError("unreachable")


def run_intake(source: str, payload: IncomingPayload, uow: UnitOfWork, now: datetime,
               kind: str, store_batches: BatchStorer, wait: bool = True,
               renamed: tuple[tuple[str, str], ...] = (),
               entities: frozenset[str] | None = None) -> IntakeReport:
    """The inbox half of every intake: keep the payload (committed on its own), then store its
    rows (``store_batches``) and queue every rejected row as an exception, in one transaction;
    a payload unreadable as a whole stays kept, ``failed``, with one exception.

    The same bytes again count as a duplicate only once their first intake finished: a
    payload left ``received`` (a crash, a killed process, a lost connection) is processed by
    the next intake of the same bytes, by ``hourbridge inbox retry`` or by the worker. The
    rows' transaction is all or nothing, so a resumed payload starts from its first row and
    nothing of an interrupted attempt is left half-stored. The payload keeps ``entities``
    (those its sender may post to), so a recovery processes it as its sender could."""
    fingerprint, size = fingerprint_of(source, payload, kind)
    with uow:
        inbox_id = uow.inbox.find(fingerprint)
        if inbox_id is None:
            inbox_id = uow.inbox.add(source, fingerprint, payload.filename, payload.media_type,
                                     size, now, kind, entities)
            if inbox_id is None:  # a concurrent intake of the same bytes kept it first
                inbox_id = uow.inbox.find(fingerprint)
                assert inbox_id is not None
            else:
                uow.inbox.keep(inbox_id, payload.chunks())
        uow.inbox.count_attempt(inbox_id)
        uow.commit()
    report = IntakeReport(inbox_id, fingerprint)
    try:
        with uow:
            # held until commit: a concurrent intake of these bytes waits, then finds them
            # processed
            status = uow.inbox.claim(inbox_id, wait)
            if status != "received":
                return IntakeReport(inbox_id, fingerprint, duplicate_payload=True)
            md = uow.masterdata.snapshot()
            for batch, store in store_batches(inbox_id, md):
                out = _store_racing(uow, store)
                report.add(batch, out, renamed)
                items = [rejection(inbox_id, source, batch[i][1], problems)
                         for i, problems in out.rejected]
                uow.exceptions.add(items, now)
            uow.inbox.record_counts(inbox_id, "processed", report.rows,
                                    report.accepted + report.revised, report.rejected,
                                    report.unchanged)
            uow.commit()
    except UnreadablePayload as exc:
        # The payload as a whole is unreadable: nothing from it is taken, the payload is kept.
        # (Any other failure is not bad data: the payload stays kept with status "received".)
        problem = exc.problem
        with uow:
            if uow.inbox.claim(inbox_id) == "received":
                uow.exceptions.add([NewException(inbox_id, source, None, problem, {})], now)
                uow.inbox.record_counts(inbox_id, "failed", 0, 0, 0, 0)
            uow.commit()
        return IntakeReport(inbox_id, fingerprint, rejected=1, reasons={problem.code: 1},
                            unreadable=problem.message)
    return report


def ingest(kind: IntakeKind, source: str, payload: IncomingPayload, uow: UnitOfWork,
           now: datetime, validator: BatchValidator | None = None,
           wait: bool = True, entities: frozenset[str] | None = None) -> IntakeReport:
    """Take one payload of ``kind``: validated batch by batch (``validator``, maybe on other
    cores; by default here), each batch stored in the intake transaction.

    A sender limited to ``entities`` (None: all) validates against their master data only
    (``MasterData.limited_to``): a row naming another entity's project is ``unknown_project``
    exactly as a project nobody has, kept as an exception like any refused row; and it
    changes only their stored rows (``store_batch``)."""
    validate_batches = validator or validate_here

    def store_batches(inbox_id: int, md: MasterData
                      ) -> Iterator[tuple[list[Row], Callable[[], BatchOutcome]]]:
        rates = RateBook(md)
        per_day = kind.rounding.contracts(md) if kind.rounding is not None else frozenset()
        validated = validate_batches(chunked(payload.rows(), BATCH), source, inbox_id,
                                     md.limited_to(entities), rates, validate=kind.validate)
        for batch, candidates in validated:
            yield batch, partial(store_validated, uow, kind, source, batch, candidates, md,
                                 rates, per_day, now, entities)

    return run_intake(source, payload, uow, now, kind.name, store_batches, wait, kind.renamed,
                      entities)
