"""The cheap intake path: ``parse_row`` and ``validate_entry`` for the row they accept, in one
pass over the row's fields, straight to the row to store.

A row that is plainly valid (texts within their limits, a date, one positive quantity, flags
and revision as ``parse_row`` reads them, and every rule of ``validate_entry`` passed) becomes
its entry; any other row gives None, and the caller parses and validates it the full way,
which says why it is refused. So a refused row's problems are built only by the full path,
and a taken one is exactly what the full path makes of it (``tests/unit/domain/
test_plain_intake.py`` holds the two paths to that, field by field).

Why one pass (issue 16): a time file's cost in Python is per row, and the row was walked
three times (read to a ``ParsedEntry``, checked, turned into the row to store) with a call
per field. What does not depend on the row's identity is looked up once per payload, not
once per row: a million rows hold a few hundred dates and quantities, a few thousand
(employee, project, task) and a few hundred (contract, day).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .aliases import is_tracker_row
from .intake import _FALSE, _ISO_DATE, _TRUE, ENTRY_TEXTS, _seconds, _text
from .masterdata import MasterData
from .model import (
    Approval,
    Assignment,
    Billing,
    Contract,
    Employee,
    LegalEntity,
    Project,
    ProjectStatus,
    RoundingPolicy,
    Task,
)
from .problems import Problem
from .rating import RateBook
from .rounding import billable_seconds

_PLAIN_QUANTITIES = (str, int, float, Decimal)
_QUANTITIES = ("hours", "minutes", "seconds")
_TEXT_LIMITS = tuple((name, limit) for name, limit, _ in ENTRY_TEXTS)
# what one (employee, project, task) names, looked up once: the employee, the project, the
# task, the entity, the contract, and the employee's assignments to the project in order
_Named = tuple[Employee, Project, Task | None, LegalEntity, Contract | None, tuple[Assignment, ...]]
# the row a taken entry becomes (``services.ports.entries.NewEntry``), built positionally:
# source, external_id, revision, inbox_id, employee, project, task, entity, contract,
# work_date, worked_seconds, billable_seconds, billable, notes, content_key, approval, billing
Make = Callable[..., Any]
_Rounding = tuple[RoundingPolicy, dict[int, int]]
_MISSING: Any = object()


class PlainIntake:
    """One payload's cheap path: its master data and what it looked up there. (The rate book
    is the caller's key to it, so it is not held here: see ``services.timeentries``.)"""

    def __init__(self, md: MasterData) -> None:
        self.md = md
        self._dates: dict[str, date] = {}
        # (name, type, value) of a quantity: its seconds and their text (for the content key)
        self._seconds: dict[tuple[str, type, object], tuple[int, str]] = {}
        self._revisions: dict[str, int] = {}
        self._named: dict[tuple[str, str, str], _Named | None] = {}
        # (contract id, day): the rounding of the version in force that day and its memo of
        # billable seconds by worked seconds (shared by the days of one rounding), or None:
        # the day is not billable under the contract
        self._billed: dict[tuple[str, date], _Rounding | None] = {}
        self._by_rounding: dict[RoundingPolicy, _Rounding] = {}

    def _lookup(self, employee_id: str, code: str, task_code: str) -> _Named | None:
        """``validate_entry``'s rules that do not depend on the day, passed, or None."""
        md = self.md
        employee = md.employees.get(employee_id)
        project = md.projects.get(code)
        if employee is None or project is None:
            return None
        task = project.task(task_code) if task_code else None
        if (task_code and task is None) or project.status is not ProjectStatus.ACTIVE:
            return None
        contract = md.contracts.get(project.contract) if project.contract else None
        mine = tuple(a for a in project.assignments if a.employee == employee.id)
        return employee, project, task, md.entities[project.entity], contract, mine

    def _billing(self, contract: Contract, day: date) -> _Rounding | None:
        """The contract's rounding on ``day`` (with its memo), or None when the day is
        outside the contract or before its first version."""
        version = contract.version_on(day)
        if not contract.covers(day) or version is None:
            return None
        return self._by_rounding.setdefault(version.rounding, (version.rounding, {}))

    def _quantity(self, name: str, raw: object) -> tuple[int, str] | None:
        key = (name, type(raw), raw)
        found = self._seconds.get(key)
        if found is None:
            seconds = _seconds({name: raw}, "")
            if isinstance(seconds, Problem):
                return None
            found = self._seconds[key] = (seconds, str(seconds))
        return found

    def taker(self, rates: RateBook, source: str, inbox_id: int,
              make: Make) -> Callable[[Mapping[str, Any]], Any | None]:
        """The function taking one raw row of this payload to its entry (``make``'s), or
        None: the full path decides. Its memos are locals: this runs once per row."""
        dates, counts, revisions, named_of, billed_of = (
            self._dates, self._seconds, self._revisions, self._named, self._billed)
        quantity, lookup, billing, applies = (self._quantity, self._lookup, self._billing,
                                              rates.applies)
        sha256 = hashlib.sha256
        submitted, unbilled, non_billable = (Approval.SUBMITTED.value, Billing.UNBILLED.value,
                                             Billing.NON_BILLABLE.value)

        def take(row: Mapping[str, Any]) -> Any | None:
            if "_extra" in row or "_value" in row or is_tracker_row(row):
                return None  # refused as overflowing, or read through the tracker's aliases
            get = row.get
            deleted = get("deleted")
            if deleted is not None and deleted != "" and _text(deleted).lower() not in _FALSE:
                return None  # a tombstone or a bad flag
            texts: list[str] = []  # the row's texts, stripped (each is a str or absent)
            for name, limit in _TEXT_LIMITS:  # text_problems' own fast test
                value = get(name)
                if value is None:
                    texts.append("")
                elif type(value) is str and len(value) <= limit and value.isprintable():
                    texts.append(value.strip())
                else:
                    return None
            external_id, employee, project, task, notes = texts
            day_text = _text(get("work_date" if "work_date" in row or "date" not in row
                                 else "date"))
            day = dates.get(day_text)
            if day is None:
                if not (day_text and _ISO_DATE.fullmatch(day_text)):
                    return None
                try:
                    day = dates[day_text] = date.fromisoformat(day_text)
                except ValueError:
                    return None
            if not (external_id and employee and project):
                return None
            # exactly one quantity given (what _text leaves non-empty), of a plain type
            given, amount = None, None
            for name in _QUANTITIES:
                value = get(name)
                if value is not None and value != "" and (type(value) is not str
                                                          or not value.isspace()):
                    if given is not None:
                        return None
                    given, amount = name, value
            if given is None or type(amount) not in _PLAIN_QUANTITIES or (
                    type(amount) is Decimal and not amount.is_finite()):
                return None
            counted = counts.get((given, type(amount), amount)) or quantity(given, amount)
            if counted is None:
                return None
            seconds, seconds_text = counted
            flag = get("billable")
            flag_text = "" if flag is None else _text(flag).lower()
            if flag_text and flag_text not in _TRUE and flag_text not in _FALSE:
                return None
            revision = get("revision")
            revision_text = "1" if revision is None else (_text(revision) or "1")
            number = revisions.get(revision_text)
            if number is None:
                if not (revision_text.isascii() and revision_text.isdigit()
                        and int(revision_text) >= 1):
                    return None
                number = revisions[revision_text] = int(revision_text)
            # validate_entry's rules, in its terms
            key = (employee, project, task)
            named = named_of.get(key, _MISSING)
            if named is _MISSING:
                named = named_of[key] = lookup(employee, project, task)
            if named is None:
                return None
            person, the_project, the_task, entity, contract, assignments = named
            if entity.lock_date is not None and day <= entity.lock_date:
                return None
            # Project.assignment_on: the first of the employee's assignments covering the day
            for assignment in assignments:
                if assignment.covers(day):
                    break
            else:
                return None
            if (flag_text in _FALSE or contract is None
                    or (the_task is not None and not the_task.billable)):
                billable, to_bill = False, 0
            else:
                rounded = billed_of.get((contract.id, day), _MISSING)
                if rounded is _MISSING:
                    rounded = billed_of[contract.id, day] = billing(contract, day)
                if rounded is None or not applies(the_project, contract, person.id,
                                                  assignment.role or person.role, task, day):
                    return None
                rounding, memo = rounded
                to_bill = memo.get(seconds)
                if to_bill is None:
                    to_bill = memo[seconds] = billable_seconds(seconds, rounding)
                billable = True
            # domain.validation.content_key, of the date's own text (YYYY-MM-DD checked above,
            # so it is the date's isoformat()) and the seconds' text, memoised
            content = sha256("\x1f".join((employee, project, task, day_text, seconds_text,
                                          notes)).encode()).hexdigest()[:32]
            return make(source, external_id, number, inbox_id, employee, project, task,
                        entity.code, contract.id if contract is not None else None, day,
                        seconds, to_bill, billable, notes, content, submitted,
                        unbilled if billable else non_billable)

        return take
