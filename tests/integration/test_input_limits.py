"""Input limits on a real database (SQLite and PostgreSQL): a time or expense file mixing good
rows with over-long or NUL-holding texts keeps its good rows, and each bad row becomes an
``invalid_text`` exception naming its field; the outcome is the same on both databases."""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.formats.bundle import parse_bundle_text
from hourbridge.formats.timefile import TimeFile

from .conftest import load

LONG_ID = "x" * 129
TIME_ROWS: list[dict[str, Any]] = [
    {"external_id": "g1", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-10", "hours": "1.5", "notes": "design\tlayout"},
    {"external_id": "b-nul", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-11", "hours": "1", "notes": "a\x00b"},
    {"external_id": LONG_ID, "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-11", "hours": "2", "notes": "long id"},
    {"external_id": "b-project", "employee": "E1", "project": "P" * 65, "task": "DEV",
     "date": "2026-08-12", "hours": "1", "notes": ""},
    {"external_id": "b-huge", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-12", "hours": "1", "notes": "n" * 100_000},
    {"external_id": "g2", "employee": "E2", "project": "P1", "task": "DEV",
     "date": "2026-08-13", "hours": "3", "notes": "line one\nline two"},
]
# external id (None: not storable) -> the field its exception names
TIME_BAD = {("b-nul", "notes"), (None, "external_id"), ("b-project", "project"),
            ("b-huge", "notes")}

EXPENSE_ROWS: list[dict[str, Any]] = [
    {"external_id": "g1", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-10", "amount": "12.50", "currency": "EUR", "category": "meals",
     "description": "lunch"},
    {"external_id": "b-nul", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-10", "amount": "10", "currency": "EUR", "category": "meals",
     "description": "a\x00b"},
    {"external_id": LONG_ID, "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-11", "amount": "11", "currency": "EUR", "category": "meals"},
    {"external_id": "b-project", "employee": "E1", "project": "P" * 65, "task": "DEV",
     "date": "2026-08-11", "amount": "12", "currency": "EUR", "category": "meals"},
    {"external_id": "b-huge", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-12", "amount": "13", "currency": "EUR", "category": "meals",
     "description": "n" * 100_000},
    {"external_id": "b-receipt", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-12", "amount": "14", "currency": "EUR", "category": "c" * 65,
     "receipt_ref": "r" * 201},
    {"external_id": "g2", "employee": "E2", "project": "P1", "date": "2026-08-13",
     "amount": "20", "currency": "EUR", "category": "travel", "receipt_ref": "R-1"},
]
EXPENSE_BAD = {("b-nul", "description"), (None, "external_id"), ("b-project", "project"),
               ("b-huge", "description"), ("b-receipt", "category")}


def _csv(rows: list[dict[str, Any]]) -> bytes:
    names = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _payload(rows: list[dict[str, Any]], kind: str, key: str) -> TimeFile:
    if kind == "csv":
        return TimeFile.from_bytes("f.csv", "text/csv", _csv(rows), list_key=key)
    return TimeFile.from_bytes("f.json", "application/json", json.dumps({key: rows}).encode(),
                               list_key=key)


def _outcome(hb: Hourbridge) -> set[tuple[str | None, str, str]]:
    return {(e["external_id"], e["field"], e["reason"]) for e in hb.queries.exceptions()}


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_time_file_keeps_good_rows_and_refuses_bad_texts(loaded: Hourbridge, kind: str) -> None:
    hb = loaded
    report = hb.handle(c.IngestTimeEntries("harvest", _payload(TIME_ROWS, kind,
                                                                "time_entries")))
    assert (report.rows, report.accepted, report.rejected) == (6, 2, 4)
    assert report.reasons == {"invalid_text": 4}
    stored = {e["external_id"]: e for e in hb.queries.entries(limit=100)}
    assert set(stored) == {"g1", "g2"}
    assert stored["g2"]["notes"] == "line one\nline two"  # free text keeps line breaks
    assert _outcome(hb) == {(x, f, "invalid_text") for x, f in TIME_BAD}
    items = hb.queries.exceptions()
    assert {i["owner_role"] for i in items} == {"integration"}
    assert all(len(i["message"]) < 200 and "\x00" not in i["message"] for i in items)
    [huge] = [i for i in items if i["external_id"] == "b-huge"]
    assert huge["message"] == "notes is 100,000 characters long, more than the 10,000 allowed"
    assert hb.queries.inbox()["payloads"] == 1


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_expense_file_keeps_good_rows_and_refuses_bad_texts(loaded: Hourbridge,
                                                            kind: str) -> None:
    hb = loaded
    report = hb.handle(c.IngestExpenses("expensify", _payload(EXPENSE_ROWS, kind, "expenses")))
    assert (report.rows, report.accepted, report.rejected) == (7, 2, 5)
    assert report.reasons == {"invalid_text": 5}
    assert {e["external_id"] for e in hb.queries.expenses(limit=100)} == {"g1", "g2"}
    assert _outcome(hb) == {(x, f, "invalid_text") for x, f in EXPENSE_BAD}
    [both] = [i for i in hb.queries.exceptions() if i["external_id"] == "b-receipt"]
    assert "receipt_ref" in both["message"]  # every reason of the row is listed


def test_tombstone_with_an_over_long_id_is_an_exception(loaded: Hourbridge) -> None:
    rows = [{"external_id": LONG_ID, "deleted": "true"},
            {"external_id": "g1", "employee": "E1", "project": "P1", "task": "DEV",
             "date": "2026-08-10", "hours": "1"}]
    report = loaded.handle(c.IngestTimeEntries("harvest", _payload(rows, "json",
                                                                   "time_entries")))
    assert (report.accepted, report.rejected) == (1, 1)
    assert _outcome(loaded) == {(None, "external_id", "invalid_text")}


def _bad_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(bundle)
    bad["customers"][1]["name"] = "N" * 201
    bad["projects"][0]["name"] = "Project\x00one"
    bad["employees"][2]["department"] = "ops\tteam"
    bad["customers"][0]["po_number"] = "PO" * 40
    return bad


def test_bundle_texts_refused_naming_the_field(hb: Hourbridge,
                                               small_bundle: dict[str, Any]) -> None:
    docs = parse_bundle_text(json.dumps(_bad_bundle(small_bundle)), "firm.json")
    assert isinstance(docs, BundleDocument)
    with pytest.raises(InvalidInput) as caught:
        hb.handle(c.LoadMasterData(to_domain([("firm.json", docs)])))
    got = {(p.where, p.code) for p in caught.value.problems}  # type: ignore[attr-defined]
    assert got == {("firm.json: customers[1].name", "invalid_text"),
                   ("firm.json: projects[0].name", "invalid_text"),
                   ("firm.json: employees[2].department", "invalid_text"),
                   ("firm.json: customers[0].po_number", "invalid_text")}
    at_limit = copy.deepcopy(small_bundle)
    at_limit["customers"][1]["name"] = "N" * 200  # the limit itself is kept
    at_limit["projects"][0]["name"] = "Projekt \u00e9 \U0001f600"
    assert load(hb, at_limit)


def test_bundle_ids_over_their_limit_are_refused_at_the_edge(
        small_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(small_bundle)
    bad["customers"][1]["id"] = "C" * 65
    problems = parse_bundle_text(json.dumps(bad), "firm.json")
    assert isinstance(problems, list)
    assert [p.where for p in problems] == ["firm.json: customers[1].id"]
