from __future__ import annotations

from datetime import date

import pytest

from hourbridge.domain.intake import MAX_SECONDS_PER_ENTRY, ParsedEntry, parse_row
from hourbridge.domain.problems import Problem

BASE: dict[str, object] = {
    "external_id": "X-1", "employee": "alice", "project": "P1", "task": "dev",
    "date": "2026-01-15",
}


def parse(**kw: object) -> ParsedEntry | list[Problem]:
    row = {**BASE, **kw}
    return parse_row({k: v for k, v in row.items() if v is not ...}, "file.csv:7")


def ok(result: ParsedEntry | list[Problem]) -> ParsedEntry:
    assert isinstance(result, ParsedEntry), result
    return result


def problems(result: ParsedEntry | list[Problem]) -> list[tuple[str, str]]:
    assert isinstance(result, list), result
    return [(p.code, p.field) for p in result]


def test_happy_path_hours() -> None:
    e = ok(parse(hours="1.5", notes="  pairing  "))
    assert e == ParsedEntry(
        external_id="X-1", employee="alice", project="P1", task="dev",
        work_date=date(2026, 1, 15), worked_seconds=5400, notes="pairing", billable=True,
        revision=1,
    )


@pytest.mark.parametrize(
    ("field", "value", "seconds"),
    [
        ("hours", "2", 7200),
        ("hours", 2, 7200),
        ("hours", 0.25, 900),  # JSON float taken as its decimal text
        ("hours", "24", MAX_SECONDS_PER_ENTRY),
        ("minutes", "90", 5400),
        ("minutes", 1, 60),
        ("minutes", "0.5", 30),
        ("seconds", "59", 59),
        ("seconds", 86400, 86400),
        ("hours", " 1 ", 3600),
    ],
)
def test_quantities(field: str, value: object, seconds: int) -> None:
    assert ok(parse(**{field: value})).worked_seconds == seconds


@pytest.mark.parametrize(
    ("hours", "seconds"),
    [
        ("0.3333", 1200),  # 1199.88 -> 1200
        ("0.33333", 1200),  # 1199.988
        ("0.000125", 0),  # 0.45 s -> 0: refused as not positive (below)
        ("0.000139", 1),  # 0.5004 s
        ("0.0001388888", 0),  # 0.49999968 s
        ("1.00013888888889", 3601),  # 3600.5000000000 -> half-up
        ("0.1", 360),
        (0.1, 360),  # the float 0.1 is read as "0.1", not 0.1000000000000000055...
        ("1e-1", 360),
    ],
)
def test_decimal_hours_to_whole_seconds_half_up(hours: object, seconds: int) -> None:
    result = parse(hours=hours)
    if seconds == 0:
        assert problems(result) == [("invalid_quantity", "hours")]
    else:
        assert ok(result).worked_seconds == seconds


def test_half_second_rounds_up() -> None:
    assert ok(parse(seconds="1.5")).worked_seconds == 2
    assert ok(parse(seconds="2.5")).worked_seconds == 3  # not banker's
    assert ok(parse(minutes="0.025")).worked_seconds == 2  # 1.5 s


@pytest.mark.parametrize(
    "quantities",
    [
        {},
        {"hours": "", "minutes": " ", "seconds": None},
        {"hours": "1", "minutes": "60"},
        {"hours": "1", "seconds": "3600"},
        {"hours": "1", "minutes": "1", "seconds": "1"},
    ],
)
def test_exactly_one_quantity(quantities: dict[str, object]) -> None:
    result = parse(**quantities)
    assert problems(result) == [("invalid_quantity", "hours")]
    assert isinstance(result, list)
    given = [k for k, v in quantities.items() if str(v or "").strip()]
    for name in given:
        assert name in result[0].message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hours", "abc"),
        ("hours", "1,5"),
        ("hours", "0"),
        ("hours", "-1"),
        ("minutes", "-30"),
        ("seconds", "NaN"),
        ("hours", "Infinity"),
        ("hours", float("nan")),
        ("hours", float("inf")),
        ("hours", True),
        ("seconds", "0.4"),
    ],
)
def test_invalid_quantity(field: str, value: object) -> None:
    assert problems(parse(**{field: value})) == [("invalid_quantity", field)]


@pytest.mark.parametrize(
    ("field", "value"),
    [("hours", "24.0003"), ("hours", "25"), ("minutes", "1441"), ("seconds", "86401"),
     ("hours", "1e30")],
)
def test_more_than_24_hours(field: str, value: str) -> None:
    result = parse(**{field: value})
    assert problems(result) == [("invalid_quantity", field)]
    assert isinstance(result, list) and "24 hours" in result[0].message


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "15.01.2026", "yesterday"])
def test_invalid_date(value: str) -> None:
    result = parse(hours="1", date=value)
    assert problems(result) == [("invalid_format", "date")]
    assert isinstance(result, list) and value in result[0].message


def test_missing_required_fields_are_all_reported() -> None:
    result = parse_row({"task": "dev"}, "file.csv:9")
    assert problems(result) == [
        ("invalid_format", "external_id"),
        ("invalid_format", "employee"),
        ("invalid_format", "project"),
        ("invalid_format", "work_date"),  # the name of docs/GLOSSARY.md
        ("invalid_quantity", "hours"),
    ]
    assert all(p.where == "file.csv:9" for p in result)  # type: ignore[union-attr]


def test_the_work_date_is_read_under_its_name_and_its_old_one() -> None:
    new = ok(parse(date=..., work_date="2026-01-16", hours="1"))
    old = ok(parse(hours="1"))  # BASE names it `date`, as files did before
    assert (new.work_date, old.work_date) == (date(2026, 1, 16), date(2026, 1, 15))
    # both given: the new name wins
    assert ok(parse(work_date="2026-01-17", hours="1")).work_date == date(2026, 1, 17)
    assert problems(parse(date=..., work_date="17.1.2026", hours="1")) == [
        ("invalid_format", "work_date")]


def test_blank_required_fields_count_as_missing() -> None:
    result = parse(hours="1", external_id="  ", employee=None, project="")
    assert problems(result) == [
        ("invalid_format", "external_id"),
        ("invalid_format", "employee"),
        ("invalid_format", "project"),
    ]


def test_all_problems_of_a_row_at_once() -> None:
    result = parse(hours="x", date="2026-99-99", billable="maybe", revision="0")
    assert problems(result) == [
        ("invalid_format", "date"),
        ("invalid_quantity", "hours"),
        ("invalid_format", "billable"),
        ("invalid_format", "revision"),
    ]


@pytest.mark.parametrize(
    ("text", "billable"),
    [
        ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("Y", True), ("t", True),
        ("false", False), ("False", False), ("0", False), ("no", False), ("N", False),
        ("f", False), ("", True), (None, True), (True, True), (False, False), (1, True),
        (0, False), (" no ", False),
    ],
)
def test_billable_parsing(text: object, billable: bool) -> None:
    assert ok(parse(hours="1", billable=text)).billable is billable


def test_billable_default_when_column_absent() -> None:
    assert ok(parse(hours="1")).billable is True


@pytest.mark.parametrize("text", ["maybe", "2", "-1", "on"])
def test_billable_invalid(text: str) -> None:
    assert problems(parse(hours="1", billable=text)) == [("invalid_format", "billable")]


@pytest.mark.parametrize(("text", "revision"), [(None, 1), ("", 1), ("1", 1), ("7", 7), (3, 3),
                                                ("007", 7)])
def test_revision(text: object, revision: int) -> None:
    assert ok(parse(hours="1", revision=text)).revision == revision


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "two", "1e3"])
def test_revision_invalid(text: str) -> None:
    assert problems(parse(hours="1", revision=text)) == [("invalid_format", "revision")]


def test_optional_task_and_notes_default_to_empty() -> None:
    e = ok(parse(hours="1", task=...))
    assert (e.task, e.notes) == ("", "")


def test_values_are_stripped() -> None:
    e = ok(parse(hours="1", external_id=" X-1 ", employee=" alice", project="P1 ",
                 date=" 2026-01-15 "))
    assert (e.external_id, e.employee, e.project, e.work_date) == (
        "X-1", "alice", "P1", date(2026, 1, 15))


# --- bugs: untrusted input must give problems, never crash ---------------------------------

def test_revision_with_unicode_digit_is_a_problem_not_a_crash() -> None:
    assert problems(parse(hours="1", revision="²")) == [("invalid_format", "revision")]


def test_huge_exponent_is_a_problem_not_a_crash() -> None:
    assert problems(parse(hours="1e999999")) == [("invalid_quantity", "hours")]
