"""domain/limits: one limit per kind of text field, NUL and control characters refused, and the
row parsers and command checks that use them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain import commands as c
from hourbridge.domain import limits
from hourbridge.domain.command_limits import command_problems
from hourbridge.domain.expenses import parse_expense
from hourbridge.domain.intake import parse_row
from hourbridge.domain.problems import REASON_OWNERS

ROW = {"external_id": "a1", "employee": "E1", "project": "P1", "task": "DEV",
       "date": "2026-08-10", "hours": "1", "notes": "ok"}
EXPENSE = {"external_id": "x1", "employee": "E1", "project": "P1", "date": "2026-08-10",
           "amount": "10", "currency": "EUR", "category": "meals"}


def test_limits_match_the_columns() -> None:
    assert (limits.CODE, limits.EXTERNAL_ID, limits.NAME, limits.ACTOR) == (64, 128, 200, 128)
    assert limits.MAX_ID == 2**63 - 1
    assert REASON_OWNERS["invalid_text"] == "integration"


@pytest.mark.parametrize(("value", "free", "says"), [
    ("x" * 65, False, "x is 65 characters long, more than the 64 allowed"),
    ("a\x00b", False, "x holds NUL at character 2"),
    ("a\x00b", True, "x holds NUL at character 2"),
    ("a\tb", False, "x holds control character U+0009 at character 2"),
    ("a\x7f", True, "x holds control character U+007F at character 2"),
    ("a\x1bb", True, "x holds control character U+001B at character 2"),
])
def test_text_problem(value: str, free: bool, says: str) -> None:
    problem = limits.text_problem(value, "x", 64, "f.csv:2", free_text=free)
    assert problem is not None
    assert (problem.code, problem.message, problem.where, problem.field) == (
        "invalid_text", says, "f.csv:2", "x")


@pytest.mark.parametrize("value", ["", "x" * 64, "Zürich – 東京 😀", "a b"])
def test_text_within_limits(value: str) -> None:
    assert limits.text_problem(value, "x", 64) is None


def test_free_text_keeps_tabs_and_line_breaks() -> None:
    assert limits.text_problem("a\tb\r\nc", "notes", limits.NOTE, free_text=True) is None


@given(st.text(max_size=80))
def test_text_problem_agrees_with_its_definition(value: str) -> None:
    bad = len(value) > 64 or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    assert (limits.text_problem(value, "x", 64) is not None) == bad


@pytest.mark.parametrize(("field", "value"), [
    ("notes", "a\x00b"), ("external_id", "x" * 129), ("project", "P" * 65),
    ("notes", "n" * 100_000), ("employee", "E\x01"), ("task", "T" * 65)])
def test_time_row_names_the_field(field: str, value: str) -> None:
    result = parse_row({**ROW, field: value}, "t.csv:2")
    assert isinstance(result, list)
    assert [(p.code, p.field) for p in result] == [("invalid_text", field)]


def test_time_row_at_the_limits_parses() -> None:
    row = {**ROW, "external_id": "x" * 128, "project": "P" * 64, "notes": "n" * 10_000}
    assert not isinstance(parse_row(row, "t.csv:2"), list)
    tomb = parse_row({"external_id": "x" * 129, "deleted": "true"}, "t.csv:3")
    assert isinstance(tomb, list) and tomb[0].field == "external_id"


@pytest.mark.parametrize(("field", "value"), [
    ("description", "a\x00b"), ("external_id", "x" * 129), ("category", "c" * 65),
    ("receipt_ref", "r" * 201), ("description", "d" * 10_001)])
def test_expense_row_names_the_field(field: str, value: str) -> None:
    result = parse_expense({**EXPENSE, field: value}, "x.csv:2")
    assert isinstance(result, list)
    assert [(p.code, p.field) for p in result] == [("invalid_text", field)]


def test_commands_are_checked() -> None:
    assert command_problems(c.PlaceHold("project", "P1", "other", "am", "fine")) == []
    problems = command_problems(c.IssueCreditNote(0, "a" * 129, "r" * 2001,
                                                  lines=((0, -1), (1, 2**63))))
    assert {p.field for p in problems} == {
        "invoice_id", "actor", "reason", "lines[0].line_no", "lines[0].seconds",
        "lines[1].seconds"}
    assert [p.field for p in command_problems(
        c.ApproveEntries("am", entry_ids=(1, 2**63)))] == ["entry_ids[1]"]
