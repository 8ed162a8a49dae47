"""A CSV time file's rows and their locations are what ``csv.DictReader`` makes of the file
(the reader builds them from the plain reader for speed): blank lines skipped, short rows'
missing fields None, long rows' surplus cells under ``_extra``, rows numbered as DictReader
numbers them, and a broken file refused naming the same line."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hourbridge.formats.timefile import PayloadFormatError, TimeFile

HEADER = ["external_id", "employee", "hours", "notes"]
cells = st.sampled_from(["", "a", "1.5", "x,y", 'say "hi"', "two\nlines", " ", "ü"])
records = st.one_of(
    st.just([]),  # a blank line
    st.lists(cells, min_size=1, max_size=6),  # short, exact or long rows
)


def dict_reader_rows(data: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    """The rows as the reader made them before: DictReader's, located by its line_num."""
    reader = csv.DictReader(io.StringIO(data, newline=""), delimiter=",")
    rows = []
    for record in reader:
        extra = record.pop(None, None)  # type: ignore[call-overload]
        if extra:
            record["_extra"] = extra
        rows.append((f"{name}:{reader.line_num}", record))
    return rows


def written(header: list[str], body: list[list[str]], ending: str) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(header)
    for record in body:
        if record:
            writer.writerow(record)
        else:
            out.write(ending)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=12), st.sampled_from(["\r\n", "\n"]))
def test_rows_and_locations_are_dict_readers(body: list[list[str]], ending: str) -> None:
    data = written(HEADER, body, ending)
    file = TimeFile.from_bytes("t.csv", "text/csv", data.encode(), delimiter=",")
    assert list(file.rows()) == dict_reader_rows(data, "t.csv")


def test_rows_are_located_by_their_last_line() -> None:
    data = 'external_id,hours\nA,1\n\n\nB,2\nC\nD,1,9\n"E\nF",1\n'
    rows = list(TimeFile.from_bytes("t.csv", "text/csv", data.encode()).rows())
    assert rows == [("t.csv:2", {"external_id": "A", "hours": "1"}),
                    ("t.csv:5", {"external_id": "B", "hours": "2"}),
                    ("t.csv:6", {"external_id": "C", "hours": None}),
                    ("t.csv:7", {"external_id": "D", "hours": "1", "_extra": ["9"]}),
                    ("t.csv:9", {"external_id": "E\nF", "hours": "1"})]


HUGE = b"1" * (csv.field_size_limit() + 1) + b"\n"  # a cell csv refuses
LONG = b"external_id,hours\n" + b"A,1\n" * 5000  # past the text reader's first chunk


@pytest.mark.parametrize(("data", "message"), [
    # the last row's line, or the first blank line read since
    (b"external_id,hours\nA,1\nB," + HUGE, "CSV error at line 2: field larger than"),
    (b"external_id,hours\nA,1\n\n\nB," + HUGE, "CSV error at line 3: field larger than"),
    (LONG + b"B,\xff\n", "payload is not UTF-8 (near line 4093)"),
    (LONG + b"\n\n" + b"B,\xff\n", "payload is not UTF-8 (near line 4093)"),
])
def test_a_broken_file_names_the_line_dict_reader_named(data: bytes, message: str) -> None:
    with pytest.raises(PayloadFormatError) as refused:
        list(TimeFile.from_bytes("t.csv", "text/csv", data, delimiter=",").rows())
    assert refused.value.problem.message.startswith(message)
