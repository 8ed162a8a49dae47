"""Input limits: one documented maximum per kind of text field, the same on every database.

The store's columns are sized to these limits (``store/tables.py``): an id or code is
``String(64)``, a source's external id ``String(128)``, free text ``Text``. SQLite would keep
any length and PostgreSQL refuses a longer value (and any NUL character) with an error that
costs a whole statement, so every value is checked here, before it reaches a database, and
the answer is the same on both: a ``Problem`` naming the field (reason ``invalid_text``).

Lengths count characters (Unicode code points), as PostgreSQL's ``varchar(n)`` does.
"""

from __future__ import annotations

import re
from typing import Final

from .problems import Problem

CODE: Final = 64  # ids and codes: employee, project, task, customer, entity, contract, source
EXTERNAL_ID: Final = 128  # a source system's id of a time entry or expense; a hold's ref
NAME: Final = 200  # names of entities, customers, projects, tasks; a department
ACTOR: Final = 128  # who acts: approved_by, placed_by, voided_by, ...
CATEGORY: Final = 64  # an expense's category
RECEIPT_REF: Final = 200  # an expense's receipt id in the expense tool
NOTE: Final = 10_000  # free text from a source: a time entry's notes, an expense's description
REASON: Final = 2_000  # free text of a command: a reason, a note on a hold, void or dismissal
OWNER_ROLE: Final = 64  # a role that owns an exception or a hold
MAX_ID: Final = 2**63 - 1  # stored ids and numbers are signed 64-bit integers

# Single-line text (ids, codes, names) refuses every C0 control character and DEL; free text
# (notes, descriptions, reasons) allows tab, line feed and carriage return.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_FREE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _describe(char: str) -> str:
    return "NUL" if char == "\x00" else f"control character U+{ord(char):04X}"


def text_problem(value: str, field: str, limit: int, where: str = "", *,
                 free_text: bool = False) -> Problem | None:
    """What is wrong with a text ``value`` of ``field``: longer than ``limit`` characters, or
    holding NUL or another control character (free text may hold tab and line breaks).

    The message never repeats the value: it may be 100,000 characters or hold a NUL."""
    if len(value) <= limit and value.isprintable():  # the common case, at C speed
        return None
    if len(value) > limit:
        return Problem("invalid_text", f"{field} is {len(value):,} characters long, more "
                       f"than the {limit:,} allowed", where, field,
                       {"limit": str(limit), "length": str(len(value))})
    control = control_error(value, free_text=free_text)
    if control is not None:
        return Problem("invalid_text", f"{field} {control}", where, field)
    return None


def control_error(value: str, *, free_text: bool = False) -> str | None:
    """What control character ``value`` holds (NUL first among them), or None."""
    bad = (_CONTROL_FREE if free_text else _CONTROL_LINE).search(value)
    return None if bad is None else f"holds {_describe(bad.group())} at character " \
        f"{bad.start() + 1}"


def text_error(value: str, field: str, limit: int, *, free_text: bool = False) -> str | None:
    """``text_problem``'s message alone, for the edges (API models, CLI options)."""
    problem = text_problem(value, field, limit, free_text=free_text)
    return None if problem is None else problem.message


def storable(value: str | None, limit: int) -> str | None:
    """``value`` when a column of ``limit`` characters keeps it as it is, else None (for
    descriptive copies of refused input, such as an exception's external id)."""
    if value is None or text_problem(value, "", limit) is not None:
        return None
    return value


def id_problem(value: int, field: str, where: str = "") -> Problem | None:
    """A stored id (entry, invoice, line, hold, ...): a positive signed 64-bit integer."""
    if 1 <= value <= MAX_ID:
        return None
    return Problem("invalid_field", f"{field} {value} is not an id (1 to {MAX_ID})", where,
                   field)
