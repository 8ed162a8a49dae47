"""``hourbridge ingest``: canonical time files through the inbox; and the file intake every
kind's command shares (``hourbridge expenses ingest`` too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats.timefile import TimeFile

from .options import JsonOpt
from .output import console, err_console, print_json, session, table

# the columns every intake table shows: (header, key of the report)
COUNTS = (("rows", "rows"), ("accepted", "accepted"), ("revised", "revised"),
          ("unchanged", "unchanged"), ("rejected", "rejected"))


def ingest_files(files: list[Path], as_json: bool, what: str, title: str,
                 command: Callable[[Path], Any],
                 columns: Sequence[tuple[str, str]] = COUNTS) -> None:
    """Take each file through the inbox (``command`` makes its intake command), then report:
    JSON, or a table of ``columns`` and the rejections by reason."""
    with session() as hb:
        for path in files:
            if not path.is_file():
                raise InvalidInput(f"{path}: cannot read: no such file")
        reports: list[dict[str, Any]] = []
        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       console=err_console, transient=True,
                       disable=as_json or not err_console.is_terminal)
        with bar:
            step = bar.add_task(f"ingest {what} files", total=len(files))
            for path in files:
                bar.update(step, description=f"ingest {path.name}")
                report = hb.handle(command(path))
                reports.append({"file": str(path), **report.as_dict()})
                bar.advance(step)
        for r in reports:  # old column names: one line each on stderr, also with --json
            for warning in r.get("warnings", []):
                err_console.print(f"warning: {r['file']}: {warning}")
        if as_json:
            print_json(reports)
            return
        headers = [h for h, _ in columns]
        table(title, ["file", *headers, "note"],
              [(r["file"], *(r[key] for _, key in columns),
                "same payload already taken" if r["duplicate_payload"] else "")
               for r in reports], right=headers)
        reasons: dict[str, int] = {}
        for r in reports:
            for code, n in r["reasons"].items():
                reasons[code] = reasons.get(code, 0) + n
        if reasons:
            console.print("rejected by reason: " + ", ".join(
                f"{code} {n}" for code, n in sorted(reasons.items()))
                + " (see `hourbridge exceptions list`)")


def ingest(
    files: Annotated[list[Path], typer.Argument(help="Canonical CSV or JSON time files.")],
    source: Annotated[str, typer.Option(help="Source system name, part of every entry's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Take canonical time entries through the inbox: kept, validated, stored or queued."""
    ingest_files(files, as_json, "time", "ingest",
                 lambda path: c.IngestTimeEntries(source, TimeFile.from_path(path)),
                 (*COUNTS, ("deleted", "deleted"), ("corrections", "corrections_proposed")))
