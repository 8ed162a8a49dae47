"""``hourbridge mapping check FILE --mapping M``: how a spreadsheet reads through its mapping,
before anything is taken: the first mapped rows and every row a cell makes unreadable. Reads
the file only (no database): ids are shown as the sheet has them; whether they have aliases is
for the ingest to say (``unknown_alias``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hourbridge.errors import InvalidInput

from .options import JsonOpt
from .output import cli_errors, console, print_json, table

mapping_app = typer.Typer(help="Spreadsheet mappings (ingest --mapping).",
                          no_args_is_help=True)
SHOWN = ("external_id", "source_user", "employee", "source_project", "project",
         "source_task", "task", "work_date", "hours", "seconds", "billable", "notes")


@mapping_app.command("check")
def mapping_check(
    file: Annotated[Path, typer.Argument(help="The CSV or XLSX file.")],
    mapping_file: Annotated[Path, typer.Option("--mapping", help="The YAML mapping.")],
    rows: Annotated[int, typer.Option(min=1, help="Mapped rows to show.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Preview the first mapped rows and every unreadable row. Exit 0: every row reads; 1:
    some rows have unreadable cells; 2: the mapping does not fit the file."""
    from hourbridge.formats.sheet import SheetFile  # pydantic, calamine: not at start-up
    from hourbridge.formats.sheet_mapping import load_mapping

    with cli_errors():
        if not file.is_file():
            raise InvalidInput(f"{file}: cannot read: no such file")
        sheet = SheetFile.from_path(load_mapping(mapping_file), file)
        sheet.check()
        preview: list[dict[str, Any]] = []
        problems: list[dict[str, str]] = []
        total = 0
        for where, row in sheet.rows():
            total += 1
            if "not_an_entry" in row:
                problems.append({"where": where, "problem": str(row["not_an_entry"])})
            elif len(preview) < rows:
                preview.append({"where": where, **row})
    if as_json:
        print_json({"rows": total, "preview": preview, "problems": problems})
    else:
        columns = [c for c in SHOWN if any(c in r for r in preview)]
        table(f"{file.name}: {total} rows, first {len(preview)} mapped", ["where", *columns],
              [(r["where"], *(str(r.get(c, "")) for c in columns)) for r in preview])
        for p in problems:
            console.print(f"{p['where']}: {p['problem']}", highlight=False, markup=False)
    if problems:
        raise typer.Exit(1)
