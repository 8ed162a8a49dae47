"""Every command's texts and ids against the input limits (domain/limits), whatever edge
built it (CLI options, API bodies, the worker): a value no database could keep, or one holding
NUL or a control character, is refused naming the field before any use case runs."""

from __future__ import annotations

import dataclasses
from typing import Any

from . import limits
from .problems import Problem

# field name -> (limit, free text); a field not named here is not text a person types
TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "actor": (limits.ACTOR, False), "source": (limits.CODE, False),
    "employee": (limits.CODE, False), "project": (limits.CODE, False),
    "entity": (limits.CODE, False), "contract": (limits.CODE, False),
    "milestone": (limits.CODE, False), "scope": (limits.CODE, False),
    "ref": (limits.EXTERNAL_ID, False), "owner_role": (limits.OWNER_ROLE, False),
    "mode": (limits.CODE, False), "period": (limits.CODE, False),
    "reason": (limits.REASON, True), "note": (limits.REASON, True),
}
# fields holding stored ids, one or many; credit-note lines are (line number, seconds)
ID_FIELDS = ("entry_id", "invoice_id", "hold_id", "correction_id")
ID_LISTS = ("entry_ids", "expense_ids", "invoice_ids", "exception_ids")


def _seconds_problem(value: int, field: str) -> Problem | None:
    if 0 <= value <= limits.MAX_ID:
        return None
    return Problem("invalid_field", f"{field} {value} is out of range (0 to {limits.MAX_ID})",
                   "", field)


def _id_problems(command: Any) -> list[Problem]:
    out: list[tuple[str, int]] = []
    for name in ID_FIELDS:
        value = getattr(command, name, None)
        if isinstance(value, int):
            out.append((name, value))
    for name in ID_LISTS:
        out += [(f"{name}[{i}]", v) for i, v in enumerate(getattr(command, name, ()) or ())
                if isinstance(v, int)]
    problems = [p for name, value in out if (p := limits.id_problem(value, name)) is not None]
    for i, line in enumerate(getattr(command, "lines", ()) or ()):
        if isinstance(line, tuple) and len(line) == 2:
            problems += [p for p in (limits.id_problem(line[0], f"lines[{i}].line_no"),
                                     _seconds_problem(line[1], f"lines[{i}].seconds"))
                         if p is not None]
    return problems


def command_problems(command: Any) -> list[Problem]:
    """What about ``command``'s values no database would keep the same on SQLite and
    PostgreSQL: texts over their limit or holding NUL or control characters, ids out of range."""
    if not dataclasses.is_dataclass(command):
        return []
    problems: list[Problem] = []
    for f in dataclasses.fields(command):
        rule = TEXT_FIELDS.get(f.name)
        value = getattr(command, f.name)
        if rule is None or not isinstance(value, str):
            continue
        problem = limits.text_problem(value, f.name, rule[0], free_text=rule[1])
        if problem is not None:
            problems.append(problem)
    return problems + _id_problems(command)
