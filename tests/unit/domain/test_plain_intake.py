"""The cheap intake path (``domain.plain_intake``) takes exactly the rows the full one
(``parse_row``, ``validate_entry``) takes, as the same entries, and leaves every other row to
it: a batch of rows varied field by field validates the same with and without it."""

from __future__ import annotations

import gc
import itertools
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.domain.intake import parse_row
from hourbridge.domain.model import Assignment, ProjectStatus
from hourbridge.domain.plain_intake import PlainIntake
from hourbridge.domain.rating import RateBook
from hourbridge.services import timeentries
from hourbridge.services.rows import validate_rows

BASE = {"external_id": "T-1", "employee": "alice", "project": "P1", "task": "dev",
        "work_date": "2026-01-20", "hours": "1.5", "notes": "work", "billable": "",
        "revision": ""}
# per field, values that pass, fail, or only look odd (types a JSON payload brings)
VARIANTS: dict[str, list[Any]] = {
    "external_id": ["T-2", "", " ", "x" * 300, "a\x00b", 17, None],
    "employee": ["bob", "carol", "nobody", "", " alice ", None],
    "project": ["P2", "P3", "LOCKED", "NONE", "", None],
    "task": ["", "admin", "nope", None],
    "work_date": ["2026-01-31", "2026-02-01", "2025-12-31", "2026-1-5", "2026-02-30", "",
                  " 2026-01-20 "],
    "hours": ["0", "-1", "25", "24", "0.0001", "1e1", "abc", "", " ", 2, 1.25, Decimal("0.5"),
              Decimal("NaN"), True, ["1"]],
    "notes": ["", "a\tb", "\x07", None, 12],
    "billable": ["no", "YES", "maybe", " f ", True, 0],
    "revision": ["3", "0", "-2", "x", " 2 ", 4],
    "deleted": ["", "false", "true", "maybe", " no ", False],
}


def rows_varied() -> list[tuple[str, dict[str, Any]]]:
    rows: list[dict[str, Any]] = [dict(BASE)]
    for name, values in VARIANTS.items():
        for value in values:
            rows.append({**BASE, "external_id": f"T-{len(rows)}", name: value}
                        if name != "external_id" else {**BASE, name: value})
    for hours, minutes in itertools.product(["", "1"], ["", "30"]):
        rows.append({**BASE, "external_id": f"T-{len(rows)}", "hours": hours,
                     "minutes": minutes})
    old = dict(BASE, external_id="T-date")
    old["date"] = old.pop("work_date")  # the field's old name
    rows += [old, {**BASE, "_extra": ["x"]}, {**BASE, "source_user": "u1"}]
    return [(f"f.csv:{i + 2}", row) for i, row in enumerate(rows)]


@pytest.fixture
def md(build):
    p1 = build.project()
    return build.md(
        entities=[build.entity(), build.entity(code="AT", lock_date=date(2026, 3, 1))],
        projects=[p1, build.project("P2", contract=None),
                  build.project("P3", status=ProjectStatus.CLOSED),
                  build.project("LOCKED", entity="AT",
                                assignments=(Assignment("alice", build.JAN1),))])


def test_the_cheap_path_takes_what_the_full_one_takes(md, monkeypatch) -> None:
    rows = rows_varied()
    rates = RateBook(md)
    taken = timeentries.validate_batch(rows, "csv", 7, md, rates)
    monkeypatch.setattr(timeentries, "validate_rows",
                        lambda rows, parse, check, plain=None: validate_rows(rows, parse, check))
    full = timeentries.validate_batch(rows, "csv", 7, md, RateBook(md))
    assert taken == full
    accepted, rejected = full
    assert len(accepted) > 20 and len(rejected) > 20  # both kinds of row are covered


def test_the_cheap_path_gives_way_on_every_row_the_full_one_refuses(md) -> None:
    rates = RateBook(md)
    take = PlainIntake(md).taker(rates, "csv", 7, lambda *fields: fields)
    for where, row in rows_varied():
        taken = take(row)
        parsed = parse_row(row, where)
        refused = isinstance(parsed, list) or isinstance(
            timeentries.validate_entry(parsed, "csv", md, rates, where), list)
        if refused:
            assert taken is None, row


def test_a_payloads_memory_goes_with_its_rate_book(md) -> None:
    """The memos are kept by the payload's rate book, weakly: they must not keep it alive."""
    rates = RateBook(md)
    timeentries.validate_batch(rows_varied(), "csv", 7, md, rates)
    assert rates in timeentries._PLAINS
    kept = len(timeentries._PLAINS)
    del rates
    gc.collect()
    assert len(timeentries._PLAINS) == kept - 1
