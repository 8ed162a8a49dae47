"""Deliberately bad rows, the kind a real inbox gets, each made to hit exactly one reason code.

Every noisy row is otherwise clean: an unknown employee logs on a live project inside its
contract, an unassigned consultant uses a real task, and so on, so the expected count of each
reason is exact for validation (duplicates are found by the ingest service, not by it).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from .calendar import workdays
from .timesheets import SOURCE_OF, FileSpec, Index, Project, Row, file_for, unit_for

NOISE = {
    "unknown_project": 6, "unknown_employee": 5, "unknown_task": 6, "project_not_active": 5,
    "not_assigned": 6, "outside_contract_dates": 6, "no_rate": 5, "invalid_quantity": 7,
    "locked_period": 6, "duplicate_entry": 6,
}
_ENTITIES = ("US", "DE")
_BAD_QUANTITY: dict[str, tuple[dict[str, Any], ...]] = {
    "US": ({"hours": "0"}, {"hours": "-1"}, {"hours": "25"}, {"hours": "abc"},
           {"hours": "1,5"}),
    "DE": ({"minutes": 0}, {"hours": 1.5, "minutes": 90}, {"minutes": -30},
           {"hours": "zwei"}),
}


def _staff(index: Index, entity: str) -> list[str]:
    return [e for e, ent, role in index.employees if ent == entity and role != "intern"]


def _billable_task(rng: random.Random, proj: Project) -> str:
    return rng.choice([t for t, billable in proj.tasks.items() if billable])


def _make(index: Index, specs: list[FileSpec], rng: random.Random, employee: str, entity: str,
          project: str, task: str, day: date) -> Row:
    """A row that would be clean but for what the caller put in it."""
    row = Row(employee, project, task, day, rng.choice(range(30, 241, 15)),
              index.notes(rng, entity, task), True, file_for(specs, entity, day),
              unit_for(rng, entity))
    return index.claim(row)


def _working(index: Index, rng: random.Random, entity: str, days: list[date],
             ) -> tuple[str, Project, date]:
    """Someone of ``entity`` who may book billable time on some day of ``days``, and where."""
    for _ in range(1000):
        day, emp = rng.choice(days), rng.choice(_staff(index, entity))
        work = index.billable_work(emp, day)
        if work:
            return emp, rng.choice(work), day
    raise RuntimeError("no staffed project to put a noisy row on")


def _each(count: int, make: Callable[[int, str], Row | None]) -> list[Row]:
    out = [make(i, _ENTITIES[i % 2]) for i in range(count)]
    return [r for r in out if r is not None]


def add_noise(index: Index, specs: list[FileSpec], rows: list[Row], rng: random.Random,
              ) -> tuple[list[Row], dict[str, int]]:
    """Noisy rows to add to ``rows``, and how many of each reason code they should cause."""
    projects = list(index.projects.values())
    made: dict[str, list[Row]] = {}

    def unknown_project(i: int, ent: str) -> Row:
        emp, proj, day = _working(index, rng, ent, index.days[ent])
        bogus = [f"{proj.code[:2]}{proj.code[3:]}", "LEGACY-SUPPORT", "TBD-NEW-CLIENT"][i % 3]
        return _make(index, specs, rng, emp, ent, bogus, "ANALYSIS", day)

    def unknown_employee(i: int, ent: str) -> Row:
        emp, proj, day = _working(index, rng, ent, index.days[ent])
        bogus = ["E9999", emp.lower(), "CONTRACTOR-017", f"X{emp[1:]}", "E0999"][i % 5]
        return _make(index, specs, rng, bogus, ent, proj.code, _billable_task(rng, proj), day)

    def unknown_task(i: int, ent: str) -> Row:
        emp, proj, day = _working(index, rng, ent, index.days[ent])
        bogus = ["DEVELOPMENT", "QA", "MEETING", "Dev", "SUPPORT", "DEV"][i % 6]
        if bogus in proj.tasks:
            bogus = "DEV-OPS"
        return _make(index, specs, rng, emp, ent, proj.code, bogus, day)

    def not_active(i: int, ent: str) -> Row | None:
        closed = [p for p in projects if not p.internal and not p.active]
        proj = closed[i % len(closed)]
        days = [d for d in index.days[proj.entity] if proj.covers(d)]
        for _ in range(1000):
            day = rng.choice(days)
            people = [e for e, _, _ in proj.assignments if proj.assigned(e, day)]
            if people:
                return _make(index, specs, rng, rng.choice(people), proj.entity, proj.code,
                             _billable_task(rng, proj), day)
        return None

    def not_assigned(i: int, ent: str) -> Row | None:
        rolled = [(p, e, b) for p in projects for e, _, b in p.assignments
                  if b is not None and b < index.through and p.active and not p.internal]
        if i % 2 and rolled:  # rolled off the project but kept booking on it
            proj, emp, until = rolled[i // 2 % len(rolled)]
            days = [d for d in index.days[proj.entity]
                    if d > until and proj.covers(d) and not proj.assigned(emp, d)]
            if days:
                return _make(index, specs, rng, emp, proj.entity, proj.code,
                             _billable_task(rng, proj), rng.choice(days))
        for _ in range(1000):
            day, emp = rng.choice(index.days[ent]), rng.choice(_staff(index, ent))
            live = [p for p in projects if p.entity == ent and p.active and not p.internal
                    and p.covers(day) and not p.assigned(emp, day)]
            if live:
                proj = rng.choice(live)
                return _make(index, specs, rng, emp, ent, proj.code, _billable_task(rng, proj),
                             day)
        return None

    def outside_contract(i: int, ent: str) -> Row | None:
        ended = [p for p in projects if p.active and p.contract_until is not None
                 and p.contract_until < index.through]
        proj = ended[i % len(ended)]
        assert proj.contract_until is not None
        days = [d for d in index.days[proj.entity] if d > proj.contract_until]
        for _ in range(1000):
            day = rng.choice(days)
            people = [e for e, _, _ in proj.assignments if proj.assigned(e, day)]
            if people:
                return _make(index, specs, rng, rng.choice(people), proj.entity, proj.code,
                             _billable_task(rng, proj), day)
        return None

    def no_rate(i: int, ent: str) -> Row | None:
        for emp, e_ent, role in index.employees:
            if role != "intern":
                continue
            # only hourly work needs a rate: fee-only hours are taken without one
            days = [d for d in index.days[e_ent]
                    if any(p.hourly for p in index.billable_work(emp, d))]
            if not days:
                return None
            day = days[(i * 7 + rng.randrange(7)) % len(days)]
            proj = next(p for p in index.billable_work(emp, day) if p.hourly)
            return _make(index, specs, rng, emp, e_ent, proj.code, _billable_task(rng, proj),
                         day)
        return None

    def invalid_quantity(i: int, ent: str) -> Row:
        emp, proj, day = _working(index, rng, ent, index.days[ent])
        row = _make(index, specs, rng, emp, ent, proj.code, _billable_task(rng, proj), day)
        row.quantity = _BAD_QUANTITY[ent][i // 2 % len(_BAD_QUANTITY[ent])]
        return row

    def locked(i: int, ent: str) -> Row:
        july = workdays(ent, index.start - timedelta(days=10), index.start - timedelta(days=1))
        emp, proj, day = _working(index, rng, ent, july)
        return _make(index, specs, rng, emp, ent, proj.code, _billable_task(rng, proj), day)

    makers: dict[str, Callable[[int, str], Row | None]] = {
        "unknown_project": unknown_project, "unknown_employee": unknown_employee,
        "unknown_task": unknown_task, "project_not_active": not_active,
        "not_assigned": not_assigned, "outside_contract_dates": outside_contract,
        "no_rate": no_rate, "invalid_quantity": invalid_quantity, "locked_period": locked,
    }
    for reason, maker in makers.items():
        made[reason] = _each(NOISE[reason], maker)
    made["duplicate_entry"] = _duplicates(specs, rows, rng, NOISE["duplicate_entry"])
    noisy = [r for reason in made for r in made[reason]]
    return noisy, {reason: len(made[reason]) for reason in made}


def _duplicates(specs: list[FileSpec], rows: list[Row], rng: random.Random,
                count: int) -> list[Row]:
    """Rows re-exported under a new id in a later file of the same source."""
    later: dict[int, int] = {}
    for source in SOURCE_OF.values():
        mine = [i for i, s in enumerate(specs) if s.source == source]
        later.update(itertools.pairwise(mine))
    candidates = [r for r in rows if r.file in later]
    return [dataclasses.replace(r, file=later[r.file])
            for r in rng.sample(candidates, min(count, len(candidates)))]
