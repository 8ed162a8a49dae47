"""An acquired firm's XLSX and CSV read through a declarative mapping (issue 11 item 6), on
SQLite and PostgreSQL: the workbook is written here with openpyxl (no binary fixture), kept
verbatim, its ids mapped through value maps and the alias table; a bad cell is an exception
naming the sheet, row and column, and the good rows of the same sheet are taken."""

from __future__ import annotations

import io
from datetime import date, time
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats.bundle import BundleDocument, to_domain
from hourbridge.formats.sheet import SheetFile
from hourbridge.formats.sheet_mapping import parse_mapping
from hourbridge.store import tables as t
from support.trackers import aliases

MAPPING: dict[str, Any] = {
    "source": "nordlicht", "sheet": "Stunden", "header_row": 2,
    "columns": {"external_id": "Nr", "employee": "Mitarbeiter", "project": "Projekt",
                "task": "Tätigkeit", "date": "Datum", "duration": "Dauer",
                "notes": "Beschreibung"},
    "date_formats": ["%d.%m.%Y"], "duration": {"format": "h:mm"},
    "values": {"project": {"ALT-7": "99"}},
}
HEADER = ["Nr", "Mitarbeiter", "Projekt", "Tätigkeit", "Datum", "Dauer", "Beschreibung"]


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    book.active.title = "Deckblatt"  # the data is not on the first sheet
    sheet = book.create_sheet("Stunden")
    sheet.append(["Stundenzettel Nordlicht GmbH, Juli 2026"])  # a title above the header
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROWS = [
    [1, 17, "ALT-7", 5, date(2026, 7, 1), time(1, 30), "Übergabe"],  # typed cells
    [2, 18, "99", "5", "03.07.2026", "2:15", "Review"],  # text cells
    [None] * 7,  # an empty row is no entry
    [3, 17, "99", 5, "31.02.2026", "1:00", "no such day"],
    [4, 17, "99", 5, "06.07.2026", "anderthalb", "no duration"],
    [5, 77, "99", 5, "07.07.2026", "0:45", "no alias for user 77"],
]


@pytest.fixture
def firm(loaded: Hourbridge, small_bundle: dict[str, Any]) -> Hourbridge:
    doc = BundleDocument.model_validate({**small_bundle, "aliases": aliases("nordlicht")})
    loaded.handle(c.LoadMasterData(to_domain([("bundle", doc)])))
    return loaded


def test_an_xlsx_is_read_through_its_mapping_and_bad_cells_are_exceptions(
        firm: Hourbridge) -> None:
    data = workbook(ROWS)
    sheet = SheetFile.from_bytes(parse_mapping(MAPPING), "juli.xlsx", "xlsx", data)
    report = firm.handle(c.IngestTimeEntries("nordlicht", sheet)).as_dict()
    assert (report["rows"], report["accepted"], report["rejected"]) == (5, 2, 3)
    stored = {e["external_id"]: e for e in firm.queries.entries(source="nordlicht")}
    assert {k: (e["employee"], e["project"], e["task"], e["work_date"], e["worked_seconds"])
            for k, e in stored.items()} == {
        "1": ("E1", "P1", "DEV", "2026-07-01", 5400),
        "2": ("E2", "P1", "DEV", "2026-07-03", 8100)}
    problems = {x["external_id"] or x["location"]: x for x in firm.queries.exceptions()}
    messages = " | ".join(f"{x['location']}: {x['message']}" for x in problems.values())
    assert "Stunden row 6 column 'Datum'" in messages and "31.02.2026" in messages
    assert "Stunden row 7 column 'Dauer'" in messages and "anderthalb" in messages
    assert "nordlicht user 77 has no alias" in messages
    with firm.engine.connect() as conn:
        kept = conn.execute(select(t.inbox.c.media_type, t.inbox.c.size_bytes)).one()
        chunks = b"".join(r[0] for r in conn.execute(
            select(t.inbox_chunks.c.data).order_by(t.inbox_chunks.c.seq)))
    assert kept.media_type == "application/vnd.hourbridge.mapped-sheet+xlsx"
    assert chunks == data and kept.size_bytes == len(data)  # kept verbatim
    again = firm.handle(c.IngestTimeEntries("nordlicht", sheet)).as_dict()
    assert again["duplicate_payload"] and again["accepted"] == 0


def test_a_csv_with_codes_decimal_commas_constants_and_value_maps(firm: Hourbridge) -> None:
    mapping = parse_mapping({
        "source": "nordlicht-csv", "delimiter": ";", "ids": "codes",
        "columns": {"employee": "Wer", "project": "Projekt", "date": "Tag",
                    "duration": "Stunden", "billable": "Fakturierbar"},
        "date_formats": ["%d.%m.%Y", "%Y-%m-%d"], "duration": {"decimal_comma": True},
        "constants": {"task": "DEV"},
        "values": {"billable": {"ja": "yes", "nein": "no"}, "project": {"ALT-7": "P1"}},
    })
    text = ("Wer;Projekt;Tag;Stunden;Fakturierbar\n"
            "E1;ALT-7;01.07.2026;1,5;ja\n"
            "E2;P1;2026-07-02;7;nein\n"
            "E1;P1;02.07.2026;1,25;vielleicht\n")
    sheet = SheetFile.from_bytes(mapping, "juli.csv", "csv", text.encode())
    report = firm.handle(c.IngestTimeEntries("nordlicht-csv", sheet)).as_dict()
    assert (report["rows"], report["accepted"], report["rejected"]) == (3, 2, 1)
    stored = sorted((e["employee"], e["project"], e["task"], e["worked_seconds"],
                     e["billable"]) for e in firm.queries.entries(source="nordlicht-csv"))
    assert stored == [("E1", "P1", "DEV", 5400, True), ("E2", "P1", "DEV", 25200, False)]
    [problem] = firm.queries.exceptions()
    assert "juli.csv row 4 column 'Fakturierbar'" in problem["message"]


def test_a_mapping_that_does_not_fit_the_file_names_its_key(firm: Hourbridge) -> None:
    wrong = parse_mapping({**MAPPING, "columns": {**MAPPING["columns"], "date": "Date"}})
    with pytest.raises(InvalidInput, match=r"columns\.date: no column 'Date' in Stunden row 2"):
        SheetFile.from_bytes(wrong, "juli.xlsx", "xlsx", workbook(ROWS)).check()
    elsewhere = parse_mapping({**MAPPING, "sheet": "Hours"})
    with pytest.raises(InvalidInput, match=r"mapping key sheet: juli\.xlsx has no sheet 'Hours'"):
        SheetFile.from_bytes(elsewhere, "juli.xlsx", "xlsx", workbook(ROWS)).check()


def test_the_same_file_through_a_corrected_mapping_is_read_again(firm: Hourbridge) -> None:
    data = workbook([[1, 17, "99", 5, "07/02/2026", "1:30", "x"]])
    wrong = parse_mapping(MAPPING)  # days first: 07/02 is no %d.%m.%Y date
    first = firm.handle(c.IngestTimeEntries("nordlicht", SheetFile.from_bytes(
        wrong, "juli.xlsx", "xlsx", data))).as_dict()
    assert (first["accepted"], first["rejected"]) == (0, 1)
    corrected = parse_mapping({**MAPPING, "date_formats": ["%m/%d/%Y"]})
    again = firm.handle(c.IngestTimeEntries("nordlicht", SheetFile.from_bytes(
        corrected, "juli.xlsx", "xlsx", data))).as_dict()
    assert not again["duplicate_payload"] and again["accepted"] == 1
    [entry] = firm.queries.entries(source="nordlicht")
    assert entry["work_date"] == "2026-07-02"
    same = firm.handle(c.IngestTimeEntries("nordlicht", SheetFile.from_bytes(
        corrected, "juli.xlsx", "xlsx", data))).as_dict()
    assert same["duplicate_payload"]
