"""Options and argument parsing shared by the command modules."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

import typer

from hourbridge.domain.limits import id_problem
from hourbridge.errors import InvalidInput

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
T = TypeVar("T")


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


def reason_option(codes: Sequence[str], kept: str) -> Any:
    """``--reason``: always a code from the action's listed set (shown in ``--help``; any other
    value is a usage error, exit 2, listing the valid ones). Free text goes in ``--note``."""
    listed = ", ".join(codes)

    def listed_code(value: str | None) -> str | None:
        if value is not None and value not in codes:
            raise typer.BadParameter(f"{value!r} is not a reason code; use one of {listed} "
                                     "(free text goes in --note)")
        return value

    return typer.Option("--reason", callback=listed_code, metavar="CODE",
                        help=f"Reason code ({kept}): {listed}.")


def note_option(kept: str) -> Any:
    """``--note``: always free text, kept beside the reason code."""
    return typer.Option("--note", help=f"Free text ({kept}).")


def deprecated_option(old: str) -> Any:
    """A hidden old name of an option, accepted for one version (``renamed``)."""
    return typer.Option(old, hidden=True, help=f"Deprecated name ({old}).")


def renamed(new_value: T | None, old_value: T | None, old: str, new: str) -> T | None:
    """The value of an option under its new name, or under its old one with one warning line
    on stderr (docs/GLOSSARY.md lists the names); both at once is refused."""
    if old_value is None:
        return new_value
    if new_value is not None:
        raise InvalidInput(f"{old} is the deprecated name of {new}: give {new} only")
    sys.stderr.write(f"warning: {old} is deprecated and will be removed in the next version; "
                     f"use {new}\n")
    return old_value


def cli_actor() -> str:
    """Who acts on the command line: ``HOURBRIDGE_ACTOR``, else the operating system user."""
    from hourbridge.config import load_settings  # pydantic: only for a command that runs

    configured = load_settings().actor
    if configured and configured.strip():
        return configured.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"uid:{os.getuid()}"


def _actor_or_default(value: str) -> str:
    return value or cli_actor()


# ``--actor`` names who acts; left out, it is HOURBRIDGE_ACTOR or the OS user (kept on what
# the command changes)
ActorOption = Annotated[str, typer.Option(
    "--actor", callback=_actor_or_default, show_default="HOURBRIDGE_ACTOR or the OS user",
    help="Who acts (kept).")]
