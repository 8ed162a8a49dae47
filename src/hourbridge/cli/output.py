"""Printing: rich tables for people, JSON for scripts, one readable line per error."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from hourbridge.domain.display import shown as shown  # re-exported for the commands
from hourbridge.errors import HourbridgeError, InvalidInput

# Start-up (issue 16): every command, even `--help`, imports this module, so what only a
# command that runs needs (the composition root, the database set-up, rich's tables and
# progress bars) is imported where it is used. tests/e2e/test_cli_startup.py guards it.
if TYPE_CHECKING:
    from rich.progress import Progress

    from hourbridge.bootstrap import Hourbridge

# emoji codes off: an entry reference such as "a:b:X" or "harvest:smile:1" must print as
# written, not as an emoji
console = Console(emoji=False)
if not console.is_terminal:  # piped or captured: 80 columns would cut money columns short
    console = Console(width=140, emoji=False)
# Errors are never wrapped: a path or a file:line must stay on one line for grep and people.
err_console = Console(stderr=True, soft_wrap=True, emoji=False)


def _as_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "as_dict"):
        return shown(value.as_dict())
    return str(value)


def print_json(data: Any) -> None:
    """JSON on stdout, every amount shown as money (``domain.display``): the same strings on
    SQLite and PostgreSQL."""
    sys.stdout.write(json.dumps(shown(data), indent=2, default=_as_json, ensure_ascii=False)
                     + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
          right: Sequence[str] = ()) -> None:
    from rich.table import Table

    t = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        t.add_column(col, justify="right" if col in right else "left")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    console.print(t)


def progress(as_json: bool) -> Progress:
    """A progress bar on stderr for long work (ingest, billing runs, issuing), shown only to
    a person at a terminal: silent when stderr is piped or captured and with ``--json``, so
    scripts read exactly what they read before. A task without a total pulses (elapsed time
    shown). Transient: the report that follows replaces it."""
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TaskProgressColumn(), TimeElapsedColumn(), console=err_console,
                    transient=True, disable=as_json or not err_console.is_terminal)


MAX_PROBLEM_CHARS = 500


def _shortened(text: str) -> str:
    """A problem line stays a line: one quoting a 100,000-character value is cut short."""
    if len(text) <= MAX_PROBLEM_CHARS:
        return text
    return f"{text[:MAX_PROBLEM_CHARS]}... ({len(text):,} characters)"


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn our exceptions into a readable line on stderr and exit code 2 (1 for bugs)."""
    try:
        yield
    except InvalidInput as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        for problem in exc.problems:
            err_console.print(f"  {_shortened(str(problem))}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    except HourbridgeError as exc:
        err_console.print(f"[red]error ({exc.code}):[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def announce(line: str) -> None:
    """Something the set-up did on its own (the SQLite database created): once, on stderr."""
    err_console.print(line, highlight=False, markup=False)


@contextmanager
def session() -> Iterator[Hourbridge]:
    """The bootstrapped app for one command: errors printed readably, engine closed after."""
    from hourbridge.dbsetup import open_database

    with cli_errors():
        hb = open_database(announce=announce)
        try:
            yield hb
        finally:
            hb.close()
