"""Cells of a mapped spreadsheet (``formats.sheet``): durations as h:mm, decimal hours (comma
or point) and minutes, typed XLSX cells, dates in the mapping's formats, starts taken to the
mapping's time zone (a daylight-saving night included), yes/no flags."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from hourbridge.formats.sheet import CellError, date_of, duration_of, flag_of, start_date_of
from hourbridge.formats.sheet_mapping import SheetMapping, parse_mapping


def mapping(**given: Any) -> SheetMapping:
    return parse_mapping({"source": "x", "columns": {
        "employee": "A", "project": "B", "date": "C", "duration": "D"}, **given})


@pytest.mark.parametrize(("spec", "cell", "expected"), [
    ({"format": "h:mm"}, "1:30", {"seconds": 5400}),
    ({"format": "h:mm"}, "10:05", {"seconds": 36300}),
    ({"format": "h:mm"}, time(0, 45), {"seconds": 2700}),
    ({"format": "hours"}, 1.5, {"hours": "1.5"}),
    ({"format": "hours"}, "1.25", {"hours": "1.25"}),
    ({"format": "hours", "decimal_comma": True}, "1,5", {"hours": "1.5"}),
    ({"format": "hours", "decimal_comma": True}, "1.234,5", {"hours": "1234.5"}),
    ({"format": "minutes"}, 90.0, {"seconds": 5400}),
    ({"format": "minutes"}, "7.5", {"seconds": 450}),
    ({"format": "hours"}, timedelta(hours=26), {"seconds": 93600}),  # intake refuses > 24 h
])
def test_durations(spec: dict[str, Any], cell: Any, expected: dict[str, Any]) -> None:
    assert duration_of(cell, mapping(duration=spec)) == expected


@pytest.mark.parametrize(("spec", "cell"), [
    ({"format": "h:mm"}, "1.5"), ({"format": "h:mm"}, "1:5"), ({"format": "h:mm"}, "a:bc"),
    ({"format": "hours"}, "1,5"), ({"format": "hours"}, "NaN"), ({"format": "hours"}, True),
    ({"format": "minutes"}, date(2026, 7, 1)),
])
def test_unreadable_durations(spec: dict[str, Any], cell: Any) -> None:
    with pytest.raises(CellError):
        duration_of(cell, mapping(duration=spec))


def test_dates_in_the_given_formats_or_typed() -> None:
    m = mapping(date_formats=["%d.%m.%Y", "%m/%d/%y"])
    assert date_of("03.07.2026", m) == "2026-07-03"
    assert date_of("07/03/26", m) == "2026-07-03"
    assert date_of(datetime(2026, 7, 3, 9, 0), m) == "2026-07-03"
    with pytest.raises(CellError, match="none of the date formats"):
        date_of("2026-07-03", m)


def test_starts_become_dates_in_the_mapping_time_zone() -> None:
    berlin = mapping(timezone="Europe/Berlin")
    assert start_date_of("2026-07-01T23:30:00Z", berlin) == "2026-07-02"  # CEST, +2
    assert start_date_of("2026-01-01T22:30:00Z", berlin) == "2026-01-01"  # CET, +1
    # clocks went back that night (25 October 2026, CET +1): 22:30 UTC is 23:30 on the 25th
    assert start_date_of("2026-10-25T22:30:00Z", berlin) == "2026-10-25"
    assert start_date_of("2026-10-25T23:30:00Z", berlin) == "2026-10-26"
    assert start_date_of(datetime(2026, 7, 1, 23, 30), berlin) == "2026-07-01"  # local
    with pytest.raises(CellError):
        start_date_of("gestern", berlin)


def test_flags() -> None:
    assert [flag_of(v) for v in (True, "yes", "X", "1", 1.0, "no", "", 0.0)] == [
        True, True, True, True, True, False, False, False]
    with pytest.raises(CellError):
        flag_of("vielleicht")
