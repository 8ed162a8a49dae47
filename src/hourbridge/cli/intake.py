"""``hourbridge ingest``: canonical time files through the inbox; and the file intake every
kind's command shares (``hourbridge expenses ingest`` too).

Exit codes (README, "Exit codes"): 0 every row taken, 1 some rows became exceptions (the
report counts them by reason code), 2 refused: a file that cannot be opened or read as a whole
(not UTF-8, no header, no JSON list, a CSV separator that cannot be told), or bad usage.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput

from .options import JsonOpt
from .output import cli_errors, console, err_console, print_json, progress, session, table

# the columns every intake table shows: (header, key of the report)
COUNTS = (("rows", "rows"), ("accepted", "accepted"), ("revised", "revised"),
          ("unchanged", "unchanged"), ("rejected", "rejected"))

DelimiterOpt = Annotated[str | None, typer.Option(
    help="CSV field separator: ',', ';' or 'tab' (default: sniffed from the first lines).")]


def delimiter_of(text: str | None) -> str | None:
    """The ``--delimiter`` given, as the character; anything but the three is refused."""
    if text is None:
        return None
    # formats (pydantic) and bootstrap are imported where a command runs, not when the CLI
    # starts: `--help` and every other command stay without them (start-up, issue 16)
    from hourbridge.formats.timefile import DELIMITERS

    value = "\t" if text.lower() in ("tab", "\\t") else text
    if len(value) != 1 or value not in DELIMITERS:
        raise InvalidInput(f"--delimiter {text!r}: give ',', ';' or 'tab'")
    return value


class _Counted(io.RawIOBase):
    """A file that reports how far it has been read (to the progress bar), once per MiB
    passed: the bar moves per block of rows, never per row or per read."""

    def __init__(self, raw: IO[bytes], moved: Callable[[int], None]) -> None:
        from hourbridge.formats.timefile import CHUNK

        self._chunk = CHUNK
        self._raw = raw
        self._moved = moved
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        before, self._at = self._at, self._at + n
        if before // self._chunk != self._at // self._chunk or n == 0:
            self._moved(self._at)
        return int(n)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _watched(file: Any, moved: Callable[[int], None]) -> Any:
    """``file`` (a dataclass payload read through its ``opener``: a canonical ``TimeFile`` or a
    tracker's file) whose every read (fingerprint, keep, rows) reports its position."""
    from hourbridge.formats.timefile import CHUNK

    opener = file.opener
    return dataclasses.replace(file, opener=lambda: io.BufferedReader(  # type: ignore[arg-type]
        _Counted(opener(), moved), CHUNK))


def exit_code(reports: Sequence[dict[str, Any]]) -> int:
    """2 if a payload was unreadable as a whole, 1 if rows became exceptions, else 0."""
    if any(r.get("unreadable") for r in reports):
        return 2
    return 1 if any(r["rejected"] for r in reports) else 0


def ingest_files(files: list[Path], as_json: bool, what: str, title: str,
                 command: Callable[[Any], Any], file_of: Callable[[Path], Any],
                 columns: Sequence[tuple[str, str]] = COUNTS) -> None:
    """Take each file through the inbox (``command`` makes the kind's intake command of the
    file ``file_of`` reads), report (JSON, or a table of ``columns`` and the rejections by
    reason), then exit with ``exit_code``."""
    with session() as hb:
        for path in files:
            if not path.is_file():
                raise InvalidInput(f"{path}: cannot read: no such file")
        reports: list[dict[str, Any]] = []
        with progress(as_json) as bar:
            for path in files:
                # the file is read three times (fingerprint, keep, rows), rows being the slow
                # pass: the bar shows the position of the pass under way
                step = bar.add_task(f"ingest {what} {path.name}", total=path.stat().st_size)
                report = hb.handle(command(_watched(
                    file_of(path), lambda at, step=step: bar.update(step, completed=at))))
                reports.append({"file": str(path), **report.as_dict()})
                bar.remove_task(step)
        for r in reports:  # old column names: one line each on stderr, also with --json
            for warning in r.get("warnings", []):
                err_console.print(f"warning: {r['file']}: {warning}")
        if as_json:
            print_json(reports)
        else:
            _print_reports(reports, title, columns)
        for r in reports:
            if r["unreadable"]:
                err_console.print(f"error: {r['file']}: cannot read: {r['unreadable']} "
                                  "(kept in the inbox as failed)", highlight=False, markup=False)
        code = exit_code(reports)
        if code:
            raise typer.Exit(code)


def _print_reports(reports: list[dict[str, Any]], title: str,
                   columns: Sequence[tuple[str, str]]) -> None:
    headers = [h for h, _ in columns]
    table(title, ["file", *headers, "note"],
          [(r["file"], *(r[key] for _, key in columns),
            "same payload already taken" if r["duplicate_payload"] else
            "unreadable" if r["unreadable"] else "")
           for r in reports], right=headers)
    reasons: dict[str, int] = {}
    for r in reports:
        for code, n in r["reasons"].items():
            reasons[code] = reasons.get(code, 0) + n
    if reasons:
        console.print(f"rejected {sum(reasons.values())} by reason: " + ", ".join(
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
    delimiter: DelimiterOpt = None,
    mapping_file: Annotated[Path | None, typer.Option(
        "--mapping", help="A YAML mapping: read the files as an acquired firm's CSV or XLSX "
                          "sheets (columns, date formats, durations, value maps, aliases).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Take time entries through the inbox: kept verbatim, validated, stored or queued.
    Exit 0: all taken; 1: some rows became exceptions; 2: refused.

    With --format, a tracker's ids become Hourbridge codes through the bundle's aliases, its
    start times the employee's local dates; a running timer is queued as timer_running.
    With --mapping, a spreadsheet's columns are read as its mapping says; a mapping that does
    not fit the file is refused naming the mapping key (exit 2), a bad cell queues its row."""
    from hourbridge.bootstrap import Hourbridge
    from hourbridge.formats.timefile import TimeFile

    with cli_errors():  # refusals of the options: one line, exit 2
        sep = delimiter_of(delimiter)
        if file_format not in FORMATS:
            raise InvalidInput(f"--format {file_format!r}: one of {', '.join(FORMATS)}")
        mapping = None
        if mapping_file is not None:
            if file_format != "canonical" or delimiter is not None:
                raise InvalidInput("--mapping says how to read the files: no --format or "
                                   "--delimiter with it")
            # spreadsheets (calamine, YAML, pydantic): only with a mapping
            from hourbridge.formats.sheet import SheetFile
            from hourbridge.formats.sheet_mapping import load_mapping

            mapping = load_mapping(mapping_file)
            for path in files:  # the mapping must fit every file before any is taken
                if path.is_file():
                    SheetFile.from_path(mapping, path).check()
        if file_format == "canonical" and source is None and mapping is None:
            raise InvalidInput("--source is required for canonical files")
    name = source or (mapping.source if mapping is not None else file_format)

    def file_of(path: Path) -> Any:
        if mapping is not None:
            from hourbridge.formats.sheet import SheetFile

            return SheetFile.from_path(mapping, path)
        if file_format == "canonical":
            return TimeFile.from_path(path, delimiter=sep)
        return Hourbridge.tracker_payload(file_format, path)

    ingest_files(files, as_json, "time", "ingest",
                 lambda file: c.IngestTimeEntries(name, file), file_of,
                 (*COUNTS, ("deleted", "deleted"), ("corrections", "corrections_proposed")))
