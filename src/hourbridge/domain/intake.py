"""The canonical time-entry format: one row (CSV line or JSON object) to a ``ParsedEntry``.

Fields (CSV header names = JSON keys):

    external_id   required, the source system's id of the entry
    employee      required, employee id
    project       required, project code
    task          optional, task code within the project
    date          required, ISO 8601 local date of the worker (YYYY-MM-DD)
    hours | minutes | seconds   exactly one: worked time (hours may be decimal; converted to
                  whole seconds half-up, since trackers store 1/3 h as 0.3333)
    notes         optional
    billable      optional, true/false/1/0/yes/no (default true)
    revision      optional positive integer (default 1)
    deleted       optional, true/false (default false): true makes the row a tombstone, the
                  source deleted the entry; only external_id (and revision) are read then.
                  A tracker's own marker maps to it (Toggl's ``server_deleted_at``, a Harvest
                  entry gone from a full sync, Kimai's delete webhook).

Parsing is pure: a row in, a value or a list of problems out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from . import limits
from .problems import Problem

MAX_SECONDS_PER_ENTRY = 24 * 3600
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
FIELDS = ("external_id", "employee", "project", "task", "work_date", "hours", "minutes",
          "seconds", "notes", "billable", "revision", "deleted")
# fields renamed to the names of docs/GLOSSARY.md, still read under the old name for one
# version (old name, new name); the ingest report says when a file used one
RENAMED_FIELDS = (("date", "work_date"),)


class ParsedEntry(NamedTuple):
    """One parsed row (a NamedTuple: immutable and cheap to build a million times)."""

    external_id: str
    employee: str
    project: str
    task: str
    work_date: date
    worked_seconds: int
    notes: str
    billable: bool
    revision: int
    deleted: bool = False


def _text(value: object) -> str:
    if type(value) is str:  # the common case (CSV cells), checked first: this is a hot path
        return value.strip()
    if value is None:
        return ""
    return str(value).strip()


def _seconds(row: Mapping[str, object], where: str) -> int | Problem:
    given = [k for k in ("hours", "minutes", "seconds") if _text(row.get(k)) != ""]
    if len(given) != 1:
        return Problem(
            "invalid_quantity",
            "give exactly one of hours, minutes or seconds"
            + (f" (got {', '.join(given)})" if given else ""),
            where, "hours",
        )
    name = given[0]
    raw = row[name]
    if isinstance(raw, bool):
        return Problem("invalid_quantity", f"{name} must be a number", where, name)
    if isinstance(raw, float):
        # JSON floats are taken as their shortest decimal text, never as binary values.
        raw = repr(raw)
    text = _text(raw)
    # ASCII decimals only: Decimal() would also take "1_5", "NaN" or other scripts' digits,
    # and a typo must not become a valid quantity.
    if not _NUMBER.fullmatch(text):
        return Problem("invalid_quantity", f"{name} {text!r} is not a number", where, name)
    try:
        amount = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return Problem("invalid_quantity", f"{name} {text!r} is not a number", where, name)
    if amount.adjusted() > 9:  # beyond any day; also keeps the multiplication from overflowing
        return Problem(
            "invalid_quantity", f"{name} {amount} is more than 24 hours in one entry", where, name
        )
    factor = {"hours": 3600, "minutes": 60, "seconds": 1}[name]
    seconds = int((amount * factor).to_integral_value(rounding=ROUND_HALF_UP))
    if seconds <= 0:
        return Problem("invalid_quantity", f"{name} must be positive, got {amount}", where, name)
    if seconds > MAX_SECONDS_PER_ENTRY:
        return Problem(
            "invalid_quantity", f"{name} {amount} is more than 24 hours in one entry", where, name
        )
    return seconds


def overflowing(row: Mapping[str, object], where: str) -> Problem | None:
    """A CSV row with more cells than the header (the reader keeps them under ``_extra``, a
    JSON scalar under ``_value``) is refused rather than read by position."""
    if "_extra" in row or "_value" in row:
        return Problem("invalid_format", "row has values outside the header", where)
    return None


def required_texts(row: Mapping[str, object], names: tuple[str, ...],
                   where: str) -> list[Problem]:
    return [Problem("invalid_format", f"{name} is required", where, name)
            for name in names if _text(row.get(name)) == ""]


def local_date(row: Mapping[str, object], where: str, problems: list[Problem],
               name: str = "date") -> date | None:
    """The row's field ``name`` (YYYY-MM-DD exactly), or None with a problem added when it is
    given but not a date (a missing date is reported by ``required_texts``)."""
    text = _text(row.get(name))
    if not text:
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("invalid_format", f"{name} {text!r} is not YYYY-MM-DD",
                                where, name))
        return None


def billable_flag(row: Mapping[str, object], where: str, problems: list[Problem]) -> bool:
    """The row's ``billable`` flag (default true); a problem is added when it is not a flag."""
    text = _text(row.get("billable")).lower()
    if text and text not in _TRUE | _FALSE:
        problems.append(Problem(
            "invalid_format", f"billable {text!r} is not true or false", where, "billable"))
    return text not in _FALSE


def revision_number(row: Mapping[str, object], where: str, problems: list[Problem]) -> int:
    """The row's ``revision`` (default 1); a problem is added when it is not positive."""
    text = _text(row.get("revision")) or "1"
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        problems.append(Problem(
            "invalid_format", f"revision {text!r} is not a positive integer", where, "revision"))
        return 1
    return int(text)


# (field, limit, free text) of the texts of a time-entry row: see domain/limits
ENTRY_TEXTS: tuple[tuple[str, int, bool], ...] = (
    ("external_id", limits.EXTERNAL_ID, False), ("employee", limits.CODE, False),
    ("project", limits.CODE, False), ("task", limits.CODE, False),
    ("notes", limits.NOTE, True))


def text_problems(row: Mapping[str, object], fields: tuple[tuple[str, int, bool], ...],
                  where: str) -> list[Problem]:
    """Texts too long for their field or holding NUL or control characters (domain/limits):
    the row is refused naming the field, so no database is ever handed what it cannot keep."""
    problems: list[Problem] = []
    for name, limit, free_text in fields:
        value = row.get(name)
        # the common case at C speed (a hot path: a million rows)
        if type(value) is str and len(value) <= limit and value.isprintable():
            continue
        if value is None or value == "":
            continue
        problem = limits.text_problem(_text(value), name, limit, where, free_text=free_text)
        if problem is not None:
            problems.append(problem)
    return problems


def _tombstone(row: Mapping[str, object], where: str) -> ParsedEntry | list[Problem]:
    """A deleted entry: its id and revision are all that count."""
    problems = text_problems(row, ENTRY_TEXTS[:1], where)
    if _text(row.get("external_id")) == "":
        problems.append(Problem("invalid_format", "external_id is required", where,
                                "external_id"))
    revision_text = _text(row.get("revision")) or "1"
    if not (revision_text.isascii() and revision_text.isdigit()) or int(revision_text) < 1:
        problems.append(Problem(
            "invalid_format", f"revision {revision_text!r} is not a positive integer",
            where, "revision",
        ))
    if problems:
        return problems
    return ParsedEntry(_text(row.get("external_id")), "", "", "", date.min, 0, "", False,
                       int(revision_text), deleted=True)


def parse_row(row: Mapping[str, object], where: str) -> ParsedEntry | list[Problem]:
    deleted_text = _text(row.get("deleted")).lower()
    if deleted_text and deleted_text not in _TRUE | _FALSE:
        return [Problem("invalid_format", f"deleted {deleted_text!r} is not true or false",
                        where, "deleted")]
    if deleted_text in _TRUE:
        return _tombstone(row, where)
    # the work date: `work_date`, or `date` as files named it before
    named = "work_date" if "work_date" in row or "date" not in row else "date"
    problems = required_texts(row, ("external_id", "employee", "project", named), where)
    problems += text_problems(row, ENTRY_TEXTS, where)
    work_date = local_date(row, where, problems, named)
    seconds = _seconds(row, where)
    if isinstance(seconds, Problem):
        problems.append(seconds)
    billable = billable_flag(row, where, problems)
    revision = revision_number(row, where, problems)
    if problems or work_date is None or isinstance(seconds, Problem):
        return problems
    return ParsedEntry(
        external_id=_text(row.get("external_id")),
        employee=_text(row.get("employee")),
        project=_text(row.get("project")),
        task=_text(row.get("task")),
        work_date=work_date,
        worked_seconds=seconds,
        notes=_text(row.get("notes")),
        billable=billable,
        revision=revision,
    )
