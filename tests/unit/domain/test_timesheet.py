"""The timesheet CSV (BG-24 attachment) is RFC 4180: any notes read back as written."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.einvoice.timesheet import COLUMNS, timesheet_attachment, timesheet_csv

rows = st.lists(st.fixed_dictionaries({
    "work_date": st.dates().map(lambda d: d.isoformat()),
    "employee": st.sampled_from(["E1", "E2"]), "project": st.just("P1"),
    "task": st.sampled_from(["DEV", ""]), "seconds": st.integers(0, 24 * 3600),
    "notes": st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)}), max_size=6)


@given(rows)
def test_rows_read_back_as_written(entries: list[dict[str, object]]) -> None:
    data = timesheet_csv(entries)
    back = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert back[0] == list(COLUMNS)
    assert [(r[0], r[1], r[3], r[5]) for r in back[1:]] == [
        (e["work_date"], e["employee"], e["task"], e["notes"]) for e in entries]
    # records end in CRLF (RFC 4180 §2.1); a line break inside notes is quoted data
    assert data.endswith(b"\r\n")


def test_hours_have_two_decimals_and_the_reference_names_the_invoice() -> None:
    sheet = timesheet_attachment("DE-000007", [
        {"work_date": "2026-08-10", "employee": "E1", "project": "P1", "task": "DEV",
         "seconds": 1200, "notes": "call"}])
    assert (sheet.id, sheet.filename, sheet.mime_code) == (
        "DE-000007-timesheet", "timesheet-DE-000007.csv", "text/csv")
    assert sheet.content.split(b"\r\n")[1] == b"2026-08-10,E1,P1,DEV,0.33,call"
