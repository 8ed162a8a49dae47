"""Time intake: a payload is kept in the inbox, then each row is parsed, validated and stored,
or lands in the exception queue with its reason. Nothing is dropped.

The payload streams through three passes (fingerprint, keep, parse), so memory stays bounded
whatever its size. The inbox copy commits first, on its own: a payload that cannot be parsed,
or a crash half-way, still leaves the payload kept, with its status saying what happened.

The same payload twice (by SHA-256 of source and bytes) adds nothing. A row whose source id is
already stored is unchanged (same content), a new revision (replaces the stored entry while it
is not yet approved), or ``changed_after_approval`` (approved or billed work is never
rewritten). A row with the same content as another entry under a different id is
``duplicate_entry``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from hourbridge.domain.commands import IncomingPayload
from hourbridge.domain.intake import overflowing, parse_row
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Approval
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook
from hourbridge.domain.validation import content_key, validate_entry
from hourbridge.errors import ConcurrentChange

from .corrections import propose_correction
from .dayrounding import DayRoundingOutcome, day_contracts, rebalance_days, touched_day
from .ports import DayKey, NewEntry, NewException, UnitOfWork, chunked

BATCH = 5000
TIME_ENTRIES = "time_entries"  # the inbox kind of a time payload
Row = tuple[str, dict[str, Any]]  # (where, raw row)


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
    day_rounding: DayRoundingOutcome = field(default_factory=DayRoundingOutcome)

    def add(self, batch: list[Row], out: _Outcome) -> None:
        """Count what became of one stored batch."""
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
            "days_rerounded": self.day_rounding.days,
            "entries_rerounded": self.day_rounding.changed,
            "day_overbilled_seconds": self.day_rounding.overbilled_seconds,
        }


@dataclass
class _Outcome:
    accepted: int = 0
    revised: int = 0
    unchanged: int = 0
    deleted: int = 0
    corrections: int = 0
    rejected: list[tuple[int, list[Problem]]] = field(default_factory=list)
    days: list[DayKey] = field(default_factory=list)  # per-day-rounded days it changed
    rounding: DayRoundingOutcome | None = None  # what re-rounding those days changed


Candidates = tuple[list[tuple[int, NewEntry]], list[tuple[int, list[Problem]]]]


def validate_batch(rows: list[Row], source: str, inbox_id: int, md: MasterData,
                   rates: RateBook) -> Candidates:
    """The pure half of intake: parse and validate rows, no stored state involved.

    Returns (index, entry) for valid rows and (index, problems) for the others. Being pure,
    it may run in another process (see ``pipeline.parallel``) while this one writes.
    """
    candidates: list[tuple[int, NewEntry]] = []
    rejected: list[tuple[int, list[Problem]]] = []
    for index, (where, raw) in enumerate(rows):
        parsed = parse_row(raw, where)
        if isinstance(parsed, list):
            rejected.append((index, parsed))
            continue
        overflow = overflowing(raw, where)
        if overflow is not None:
            rejected.append((index, [overflow]))
            continue
        if parsed.deleted:
            candidates.append((index, tombstone(parsed.external_id, parsed.revision, source,
                                                inbox_id)))
            continue
        checked = validate_entry(parsed, source, md, rates, where)
        if isinstance(checked, list):
            rejected.append((index, checked))
            continue
        e = checked.entry
        candidates.append((index, NewEntry(
            source=source, external_id=e.external_id, revision=e.revision, inbox_id=inbox_id,
            employee=e.employee, project=e.project, task=e.task, entity=checked.entity,
            contract=checked.contract, work_date=e.work_date, worked_seconds=e.worked_seconds,
            billable_seconds=e.billable_seconds, billable=e.billable, notes=e.notes,
            content_key=content_key(e.employee, e.project, e.task, e.work_date,
                                    e.worked_seconds, e.notes),
            approval=Approval.SUBMITTED.value, billing=e.billing.value,
        )))
    return candidates, rejected


def tombstone(external_id: str, revision: int, source: str, inbox_id: int) -> NewEntry:
    """The source deleted this entry: only its identity and revision are known."""
    return NewEntry(source=source, external_id=external_id, revision=revision,
                    inbox_id=inbox_id, employee="", project="", task="", entity="",
                    contract=None, work_date=date.min, worked_seconds=0, billable_seconds=0,
                    billable=False, notes="", content_key="", approval=Approval.REJECTED.value,
                    billing="non_billable", deleted=True)


class BatchValidator(Protocol):
    """Runs ``validate_batch`` over a stream of batches, yielding results in order."""

    def __call__(self, batches: Iterator[list[Row]], source: str, inbox_id: int,
                 md: MasterData, rates: RateBook) -> Iterator[tuple[list[Row], Candidates]]: ...


def validate_here(batches: Iterator[list[Row]], source: str, inbox_id: int, md: MasterData,
                  rates: RateBook) -> Iterator[tuple[list[Row], Candidates]]:
    """The default validator: in this process, one batch after the other."""
    for batch in batches:
        yield batch, validate_batch(batch, source, inbox_id, md, rates)


def process_rows(uow: UnitOfWork, source: str, inbox_id: int, rows: list[Row],
                 md: MasterData, rates: RateBook, now: datetime) -> _Outcome:
    """Validate and store one batch (see ``store_batch``), then re-round the days it changed."""
    out = store_batch(uow, source, rows, validate_batch(rows, source, inbox_id, md, rates),
                      now, day_contracts(md))
    rebalance_days(uow, md, rates, out.days, now)
    return out


def store_batch(uow: UnitOfWork, source: str, rows: list[Row], validated: Candidates,
                now: datetime, per_day: frozenset[str] = frozenset()) -> _Outcome:
    """The stateful half of intake: new, unchanged, revised or duplicate, then one insert.

    Rows of earlier batches are already in the table (same transaction), so duplicates across
    batches are found by the same lookups as duplicates of stored entries. ``per_day`` names
    the contracts that round per day: the days their stored entries touch are collected in
    ``days`` (both days when a revision moves an entry) for ``rebalance_days``.
    """
    candidates, rejected = validated
    out = _Outcome(rejected=list(rejected))
    stored = uow.entries.stored(source, [c.external_id for _, c in candidates])
    known_keys = uow.entries.existing_content_keys([c.content_key for _, c in candidates])
    inserts: list[NewEntry] = []
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    for index, entry in candidates:
        where = rows[index][0]
        before = stored.get(entry.external_id)
        if entry.external_id in seen_ids:
            out.rejected.append((index, [Problem(
                "duplicate_entry", f"external_id {entry.external_id} appears twice in one batch",
                where, "external_id")]))
        elif entry.deleted and (before is None or before.deleted):
            out.unchanged += 1  # nothing (left) to delete
        elif before is not None:
            if before.content_key == entry.content_key or entry.revision < before.revision:
                out.unchanged += 1
            elif before.on_invoice:
                # already on a draft or an issued invoice: a proposal, never a silent rewrite
                propose_correction(uow, before, entry, now)
                out.corrections += 1
            elif before.approval == Approval.APPROVED.value or before.billing not in (
                "unbilled", "non_billable"
            ):
                out.rejected.append((index, [Problem(
                    "changed_after_approval",
                    f"entry {entry.external_id} "
                    f"{'deleted' if entry.deleted else 'changed'} at the source after it was "
                    f"{before.approval}/{before.billing}; approved work is not rewritten",
                    where, "external_id")]))
            elif entry.deleted:
                uow.entries.mark_deleted(before.id, entry.revision, entry.inbox_id, now)
                out.deleted += 1
            else:
                uow.entries.replace(before.id, entry, now)
                out.revised += 1
                if per_day:
                    for day in (touched_day(before.contract, before.employee, before.work_date,
                                            per_day),
                                touched_day(entry.contract, entry.employee, entry.work_date,
                                            per_day)):
                        if day is not None:
                            out.days.append(day)
        elif entry.content_key in known_keys or entry.content_key in seen_keys:
            out.rejected.append((index, [_duplicate_content(where)]))
        else:
            inserts.append(entry)
            if per_day and entry.contract in per_day:
                out.days.append((entry.contract, entry.employee, entry.work_date))
        seen_ids.add(entry.external_id)
        seen_keys.add(entry.content_key)
    uow.entries.insert(inserts, now)
    out.accepted = len(inserts)
    return out


def _duplicate_content(where: str) -> Problem:
    return Problem("duplicate_entry", "same employee, project, task, date, time and notes as "
                   "an entry already taken", where, "external_id")


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
    size = 0
    for block in payload.chunks():
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


# Yields a payload's rows batch by batch, each with a function that stores that batch inside
# the intake transaction (given the inbox id and the master data). The function may run more
# than once: a batch that loses a race to a concurrent intake is rolled back and stored again.
BatchStorer = Callable[[int, MasterData], Iterator[tuple[list[Row], Callable[[], "_Outcome"]]]]
RACE_RETRIES = 5  # attempts of one batch against concurrent intakes of the same ids or content


def _store_racing(uow: UnitOfWork, store: Callable[[], _Outcome]) -> _Outcome:
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
               kind: str, store_batches: BatchStorer, wait: bool = True) -> IntakeReport:
    """The inbox half of every intake: keep the payload (committed on its own), then store its
    rows (``store_batches``) and queue every rejected row as an exception, in one transaction;
    a payload unreadable as a whole stays kept, ``failed``, with one exception.

    The same bytes again count as a duplicate only once their first intake finished: a
    payload left ``received`` (a crash, a killed process, a lost connection) is processed by
    the next intake of the same bytes, by ``hourbridge inbox retry`` or by the worker. The
    rows' transaction is all or nothing, so a resumed payload starts from its first row and
    nothing of an interrupted attempt is left half-stored."""
    fingerprint, size = fingerprint_of(source, payload, kind)
    with uow:
        inbox_id = uow.inbox.find(fingerprint)
        if inbox_id is None:
            inbox_id = uow.inbox.add(source, fingerprint, payload.filename, payload.media_type,
                                     size, now, kind)
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
                report.add(batch, out)
                items = [rejection(inbox_id, source, batch[i][1], problems)
                         for i, problems in out.rejected]
                uow.exceptions.add(items, now)
            uow.inbox.record_counts(inbox_id, "processed", report.rows,
                                    report.accepted + report.revised, report.rejected,
                                    report.unchanged)
            uow.commit()
    except Exception as exc:
        problem = getattr(exc, "problem", None)
        if not isinstance(problem, Problem):
            raise  # a failure, not bad data: the payload stays kept with status "received"
        # The payload as a whole is unreadable: nothing from it is taken, the payload is kept.
        with uow:
            if uow.inbox.claim(inbox_id) == "received":
                uow.exceptions.add([NewException(inbox_id, source, None, problem, {})], now)
                uow.inbox.record_counts(inbox_id, "failed", 0, 0, 0, 0)
            uow.commit()
        return IntakeReport(inbox_id, fingerprint, rejected=1, reasons={problem.code: 1})
    return report


def ingest_time_entries(source: str, payload: IncomingPayload, uow: UnitOfWork,
                        now: datetime, validator: BatchValidator = validate_here,
                        wait: bool = True) -> IntakeReport:
    def store_batches(inbox_id: int, md: MasterData
                      ) -> Iterator[tuple[list[Row], Callable[[], _Outcome]]]:
        rates = RateBook(md)
        per_day = day_contracts(md)
        validated = validator(chunked(payload.rows(), BATCH), source, inbox_id, md, rates)
        for batch, candidates in validated:
            def store(batch: list[Row] = batch, candidates: Candidates = candidates
                      ) -> _Outcome:
                out = store_batch(uow, source, batch, candidates, now, per_day)
                if out.days:  # the days this batch touched are rounded again as a whole
                    out.rounding = rebalance_days(uow, md, rates, out.days, now)
                return out
            yield batch, store

    return run_intake(source, payload, uow, now, TIME_ENTRIES, store_batches, wait)
