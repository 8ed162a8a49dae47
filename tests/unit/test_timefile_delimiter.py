"""A CSV time file's field separator: sniffed among comma, semicolon and tab, or given."""

from __future__ import annotations

import pytest

from hourbridge.formats.timefile import PayloadFormatError, TimeFile

ROWS = [("T-1", "E1", "P1", "2026-07-01", "7,5"), ("T-2", "E2", "P1", "2026-07-02", "1")]
HEADER = ("external_id", "employee", "project", "date", "hours")


def _csv(sep: str, quote_commas: bool = True) -> bytes:
    def field(value: str) -> str:
        return f'"{value}"' if quote_commas and "," in value else value
    lines = [sep.join(HEADER), *(sep.join(field(v) for v in row) for row in ROWS)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _read(data: bytes, delimiter: str | None = None) -> list[dict[str, str]]:
    return [row for _, row in TimeFile.from_bytes("t.csv", "text/csv", data,
                                                  delimiter=delimiter).rows()]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_each_separator_is_sniffed_and_reads_the_same_rows(sep: str) -> None:
    rows = _read(_csv(sep))
    assert [tuple(r[h] for h in HEADER) for r in rows] == ROWS


def test_a_semicolon_file_with_decimal_commas_is_read_without_quotes() -> None:
    # what a spreadsheet with a comma decimal mark writes: the comma is no separator here
    rows = _read(_csv(";", quote_commas=False))
    assert rows[0]["hours"] == "7,5" and rows[0]["employee"] == "E1"


def test_the_header_decides_between_two_separators_by_its_external_id() -> None:
    # semicolon-separated, a comma inside a column name: only ";" gives an external_id field
    data = b"external_id;notes,more\nT-1;a,b\n"
    assert _read(data) == [{"external_id": "T-1", "notes,more": "a,b"}]


def test_a_given_separator_wins_over_sniffing() -> None:
    data = b"external_id;notes,more\nT-1;a,b\n"
    with pytest.raises(PayloadFormatError) as refused:
        _read(data, delimiter=",")
    assert "separated by commas" in refused.value.problem.message
    assert _read(data.replace(b";", b"\t"), delimiter="\t")[0]["external_id"] == "T-1"


def test_a_one_column_file_needs_no_separator() -> None:
    assert _read(b"external_id\nT-1\n") == [{"external_id": "T-1"}]


def test_a_separator_nothing_decides_is_refused_naming_the_candidates() -> None:
    # two separators in the header, neither gives external_id, no row to sniff
    with pytest.raises(PayloadFormatError) as refused:
        _read(b"id;employee,project\n")
    message = refused.value.problem.message
    assert "commas and semicolons" in message and "--delimiter" in message
