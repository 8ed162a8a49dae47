"""``hourbridge ingest``: canonical time files through the inbox; and the file intake every
kind's command shares (``hourbridge expenses ingest`` too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from hourbridge.bootstrap import Hourbridge
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


FORMATS = ("canonical", "harvest", "toggl", "clockify", "kimai")


def ingest(
    files: Annotated[list[Path], typer.Argument(help="Time files: canonical CSV or JSON, or "
                                                "a tracker's own JSON with --format.")],
    source: Annotated[str | None, typer.Option(
        help="Source system name, part of every entry's id, and the source of the id "
             "aliases a tracker's ids map through (default with --format: the tracker's "
             "name).")] = None,
    file_format: Annotated[str, typer.Option(
        "--format", help="canonical, or a tracker's own API response or export: harvest, "
                         "toggl, clockify, kimai (an entry, a list, or a page).")] = "canonical",
    as_json: JsonOpt = False,
) -> None:
    """Take time entries through the inbox: kept verbatim, validated, stored or queued.

    With --format, a tracker's ids become Hourbridge codes through the bundle's aliases, its
    start times the employee's local dates; a running timer is queued as timer_running."""
    name = source or file_format

    def command(path: Path) -> c.IngestTimeEntries:
        # checked here, inside the session, so a refusal prints as one line with exit 2
        if file_format not in FORMATS:
            raise InvalidInput(f"--format {file_format!r}: one of {', '.join(FORMATS)}")
        if file_format == "canonical" and source is None:
            raise InvalidInput("--source is required for canonical files")
        if file_format == "canonical":
            return c.IngestTimeEntries(name, TimeFile.from_path(path))
        return c.IngestTimeEntries(name, Hourbridge.tracker_payload(file_format, path))

    ingest_files(files, as_json, "time", "ingest", command,
                 (*COUNTS, ("deleted", "deleted"), ("corrections", "corrections_proposed")))
