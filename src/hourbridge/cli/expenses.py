"""``hourbridge expenses``: expense files through the inbox, listing and approval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hourbridge.domain import commands as c

from .intake import DelimiterOpt, delimiter_of, ingest_files
from .options import ActorOption, JsonOpt, parse_date
from .output import cli_errors, console, print_json, session, table

expenses_app = typer.Typer(help="Expenses: intake through the inbox, listing, approval.",
                           no_args_is_help=True)



@expenses_app.command("ingest")
def expenses_ingest(
    files: Annotated[list[Path], typer.Argument(help="Canonical CSV or JSON expense files.")],
    source: Annotated[str, typer.Option(help="Source system name, part of every expense's id.")],
    delimiter: DelimiterOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take expenses through the inbox: kept, validated, stored or queued as exceptions.
    Exit 0: all taken; 1: some rows became exceptions; 2: refused."""
    from hourbridge.formats.timefile import TimeFile  # pydantic: not at start-up (issue 16)

    with cli_errors():
        sep = delimiter_of(delimiter)
    ingest_files(files, as_json, "expense", "expense intake",
                 lambda file: c.IngestExpenses(source, file),
                 lambda path: TimeFile.from_path(path, list_key="expenses", delimiter=sep))


@expenses_app.command("list")
def expenses_list(
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    employee: Annotated[str | None, typer.Option(help="Only this employee.")] = None,
    approval: Annotated[str | None, typer.Option(help="submitted, approved or rejected.")]
    = None,
    billing: Annotated[str | None, typer.Option(
        help="unbilled, billed, written_off or non_billable.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Stored expenses in id order."""
    with session() as hb:
        rows = hb.queries.expenses(project=project, employee=employee, approval=approval,
                                   billing=billing, limit=limit)
        if as_json:
            print_json(rows)
            return
        table("expenses", ["id", "external id", "employee", "project", "date", "category",
                           "amount", "cur", "billable", "approval", "billing"],
              [(r["id"], r["external_id"], r["employee"], r["project"], r["spent_on"],
                r["category"], r["amount"], r["currency"], "yes" if r["billable"] else "no",
                r["approval"], r["billing"]) for r in rows], right=["amount"])


@expenses_app.command("approve")
def expenses_approve(
    ids: Annotated[list[int] | None, typer.Option("--id", help="Expense id (repeatable).")]
    = None,
    employee: Annotated[str | None, typer.Option(help="All of an employee's expenses.")] = None,
    project: Annotated[str | None, typer.Option(help="All of a project's expenses.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First date spent.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date spent.")] = None,
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Approve submitted expenses by id, employee, project and/or period.
    Exit 0: all approved; 1: some skipped (listed with the reason); 2: refused."""
    with session() as hb:
        report = hb.handle(c.ApproveExpenses(
            actor=actor, expense_ids=tuple(ids or ()), employee=employee, project=project,
            date_from=parse_date(date_from, "--from"), date_to=parse_date(date_to, "--to")))
        if as_json:
            print_json(report.as_dict())
        else:
            amounts = ", ".join(f"{v} {k}" for k, v in sorted(report.billable_amount.items()))
            console.print(f"approved {report.approved} expenses ({report.billable} billable: "
                          f"{amounts or '-'})")
            for s in report.skipped[:20]:
                console.print(f"  skipped {s['id']}: {s['reason']}")
        if report.skipped:
            raise typer.Exit(1)
