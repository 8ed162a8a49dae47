"""Time rows as intake validates them: parse (``domain.intake.parse_row``) and validate
(``domain.validation``) each row of a batch into a ``NewEntry``, no stored state involved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

from hourbridge.domain.aliases import canonical_row, is_tracker_row
from hourbridge.domain.intake import ParsedEntry, parse_row
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Approval
from hourbridge.domain.plain_intake import PlainIntake
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook
from hourbridge.domain.validation import content_key, validate_entry

from .ports.entries import NewEntry
from .rows import Candidates, Row, validate_rows


def _parser(source: str, md: MasterData
            ) -> Callable[[Mapping[str, Any], str], ParsedEntry | list[Problem]]:
    """``parse_row``, reading a tracker's row (``connectors.native``) through its id aliases
    and the employee's time zone first (``domain.aliases``)."""
    def parse(raw: Mapping[str, Any], where: str) -> ParsedEntry | list[Problem]:
        if is_tracker_row(raw):
            canonical = canonical_row(raw, source, md, where)
            if isinstance(canonical, list):
                return canonical
            return parse_row(canonical, where)
        return parse_row(raw, where)

    return parse


# the cheap path's memory of one payload (its dates, quantities and master data looked up),
# kept as long as the payload's rate book: a payload's batches are validated one by one
_PLAINS: WeakKeyDictionary[RateBook, PlainIntake] = WeakKeyDictionary()


def _plain(md: MasterData, rates: RateBook) -> PlainIntake:
    kept = _PLAINS.get(rates)
    if kept is None or kept.md is not md:  # the same rates, another (limited) snapshot
        kept = _PLAINS[rates] = PlainIntake(md)
    return kept


def validate_batch(rows: list[Row], source: str, inbox_id: int, md: MasterData,
                   rates: RateBook) -> Candidates:
    """Returns (index, entry) for valid rows and (index, problems) for the others.

    A plainly valid canonical row is read and checked by the cheap path
    (``domain.plain_intake``); any other row, and every row either refuses, by ``parse_row`` and
    ``validate_entry``, which build its problems."""
    def check(parsed: ParsedEntry, where: str) -> NewEntry | list[Problem]:
        if parsed.deleted:
            return tombstone(parsed.external_id, parsed.revision, source, inbox_id)
        checked = validate_entry(parsed, source, md, rates, where)
        if isinstance(checked, list):
            return checked
        e = checked.entry
        return NewEntry(
            source=source, external_id=e.external_id, revision=e.revision, inbox_id=inbox_id,
            employee=e.employee, project=e.project, task=e.task, entity=checked.entity,
            contract=checked.contract, work_date=e.work_date, worked_seconds=e.worked_seconds,
            billable_seconds=e.billable_seconds, billable=e.billable, notes=e.notes,
            content_key=content_key(e.employee, e.project, e.task, e.work_date,
                                    e.worked_seconds, e.notes),
            approval=Approval.SUBMITTED.value, billing=e.billing.value,
        )

    plain = _plain(md, rates).taker(rates, source, inbox_id, NewEntry)
    return validate_rows(rows, _parser(source, md), check, plain)


def tombstone(external_id: str, revision: int, source: str, inbox_id: int) -> NewEntry:
    """The source deleted this entry: only its identity and revision are known."""
    return NewEntry(source=source, external_id=external_id, revision=revision,
                    inbox_id=inbox_id, employee="", project="", task="", entity="",
                    contract=None, work_date=date.min, worked_seconds=0, billable_seconds=0,
                    billable=False, notes="", content_key="", approval=Approval.REJECTED.value,
                    billing="non_billable", deleted=True)
