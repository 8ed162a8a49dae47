"""``hourbridge db`` and ``hourbridge schema``: the database schema and the interchange
schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .output import cli_errors, console, err_console

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
schema_app = typer.Typer(help="Interchange schemas.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (the only way a schema is created). Warns on stderr when the
    server will not vacuum what the engine relies on (PostgreSQL's autovacuum)."""
    # not at start-up: `--help` needs no database
    from hourbridge.dbsetup import maintenance_warnings, upgrade

    with cli_errors():
        hb, state = upgrade()
        try:
            console.print(f"schema at revision {state.current} on {hb.database}")
            for warning in maintenance_warnings(hb):
                err_console.print(f"warning: {warning}", markup=False, highlight=False)
        finally:
            hb.close()


@schema_app.command("export")
def schema_export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write.")] = None,
) -> None:
    """Write the JSON Schema of the master-data bundle."""
    from hourbridge.formats import bundle_json_schema  # pydantic: only for this command

    text = json.dumps(bundle_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
