"""``hourbridge expenses``: expense files through the inbox, listing and approval."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats.timefile import TimeFile

from .output import console, err_console, print_json, session, table

expenses_app = typer.Typer(help="Expenses: intake through the inbox, listing, approval.",
                           no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


@expenses_app.command("ingest")
def expenses_ingest(
    files: Annotated[list[Path], typer.Argument(help="Canonical CSV or JSON expense files.")],
    source: Annotated[str, typer.Option(help="Source system name, part of every expense's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Take expenses through the inbox: kept, validated, stored or queued as exceptions."""
    with session() as hb:
        for path in files:
            if not path.is_file():
                raise InvalidInput(f"{path}: cannot read: no such file")
        reports: list[dict[str, Any]] = []
        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       console=err_console, transient=True,
                       disable=as_json or not err_console.is_terminal)
        with bar:
            step = bar.add_task("ingest expense files", total=len(files))
            for path in files:
                bar.update(step, description=f"ingest {path.name}")
                payload = TimeFile.from_path(path, list_key="expenses")
                report = hb.handle(c.IngestExpenses(source, payload))
                reports.append({"file": str(path), **report.as_dict()})
                bar.advance(step)
        if as_json:
            print_json(reports)
            return
        table("expense intake", ["file", "rows", "accepted", "revised", "unchanged", "rejected",
                                 "note"],
              [(r["file"], r["rows"], r["accepted"], r["revised"], r["unchanged"],
                r["rejected"], "same payload already taken" if r["duplicate_payload"] else "")
               for r in reports], right=["rows", "accepted", "revised", "unchanged", "rejected"])
        reasons: dict[str, int] = {}
        for r in reports:
            for code, n in r["reasons"].items():
                reasons[code] = reasons.get(code, 0) + n
        if reasons:
            console.print("rejected by reason: " + ", ".join(
                f"{code} {n}" for code, n in sorted(reasons.items()))
                + " (see `hourbridge exceptions list`)")


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
    actor: Annotated[str, typer.Option(help="Who approves (kept on the expense).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Approve submitted expenses by id, employee, project and/or period."""
    with session() as hb:
        report = hb.handle(c.ApproveExpenses(
            actor=actor, expense_ids=tuple(ids or ()), employee=employee, project=project,
            date_from=_date(date_from, "--from"), date_to=_date(date_to, "--to")))
        if as_json:
            print_json(report.as_dict())
            return
        amounts = ", ".join(f"{v} {k}" for k, v in sorted(report.billable_amount.items()))
        console.print(f"approved {report.approved} expenses ({report.billable} billable: "
                      f"{amounts or '-'})")
        for s in report.skipped[:20]:
            console.print(f"  skipped {s['id']}: {s['reason']}")
