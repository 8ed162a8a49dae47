"""Options and argument parsing shared by the command modules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from hourbridge.domain.limits import id_problem
from hourbridge.errors import InvalidInput

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def parse_date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def whole_seconds(hours: str) -> int | None:
    """Decimal hours as whole seconds, or None when they are not a whole number of seconds."""
    try:
        seconds = Decimal(hours) * 3600
    except InvalidOperation:
        return None
    return int(seconds) if seconds.is_finite() and seconds == int(seconds) else None


def checked_ids(values: Sequence[int], name: str) -> tuple[int, ...]:
    """Ids given on the command line that a query uses as they are: each a stored id (1 to
    2^63-1), else one readable line (commands check theirs in ``Hourbridge.handle``)."""
    for value in values:
        problem = id_problem(value, name)
        if problem is not None:
            raise InvalidInput(problem.message)
    return tuple(values)
