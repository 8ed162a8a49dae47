"""``hourbridge load``: master data from bundle files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput

from .options import JsonOpt
from .output import console, err_console, print_json, session, table

if TYPE_CHECKING:
    from hourbridge.domain.bundle_plan import FieldChange, LoadReport

_SIGN = {"added": "+", "changed": "~", "removed": "-"}


def load(
    files: Annotated[list[Path], typer.Argument(help="Bundle files (YAML or JSON).")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Check the bundle and print what would change; write nothing.")] = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Nested parts (tasks, assignments, versions, rows, ...) become exactly "
        "the file's: stored parts the file does not name are removed (and listed).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Upsert master data from bundle files, all or nothing; nested parts merge by key."""
    from hourbridge.formats import parse_bundle_files, to_domain  # pydantic: not at start-up

    with session() as hb:
        docs, problems = parse_bundle_files(files)
        if problems:
            raise InvalidInput(f"nothing loaded: {len(problems)} problem(s)", list(problems))
        report: LoadReport = hb.handle(c.LoadMasterData(to_domain(docs, replace_parts=replace),
                                                        dry_run=dry_run))
        for warning in report.warnings:  # one line each on stderr, also with --json
            err_console.print(f"warning: {warning}", markup=False, highlight=False)
        if as_json:
            print_json(report.as_dict())
            return
        for line in change_lines(report):
            console.print(line, markup=False, highlight=False)
        title = "dry run: nothing written" if dry_run else "master data loaded"
        table(title, ["kind", "created", "updated", "unchanged"],
              [(k, v["created"], v["updated"], v["unchanged"])
               for k, v in report.counts.items()],
              right=["created", "updated", "unchanged"])
        removed = len(report.removals)
        if removed:
            verb = "would be removed" if dry_run else "removed"
            console.print(f"{removed} nested part(s) {verb}: see the lines marked -",
                          markup=False, highlight=False)


def _fields(fields: tuple[FieldChange, ...]) -> str:
    return ", ".join(f"{f.field}: {json.dumps(f.old)} -> {json.dumps(f.new)}" for f in fields)


def change_lines(report: LoadReport) -> list[str]:
    """One line per added or changed record, then one per nested part that changes (a new
    record's parts are counted on its line)."""
    lines: list[str] = []
    for rec in report.changes:
        head = f"{_SIGN[rec.action]} {rec.kind} {rec.key} {rec.action}"
        if rec.action == "added":
            counts = Counter(p.part for p in rec.parts)
            lines.append(head + (" (" + ", ".join(f"{n} {part}" for part, n in counts.items())
                                 + ")" if counts else ""))
            continue
        lines.append(f"{head}: {_fields(rec.fields)}" if rec.fields else head)
        for part in rec.parts:
            line = f"    {_SIGN[part.action]} {part.part} {part.key} {part.action}"
            lines.append(f"{line}: {_fields(part.fields)}" if part.fields else line)
    return lines
