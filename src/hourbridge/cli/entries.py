"""``hourbridge entries list|show``, and ``approve``, ``reject`` and ``adjust``: time entries
and the decisions on them before billing.

Wherever an entry is named, its id or ``SOURCE:EXTERNAL_ID`` (``harvest:T-1``) is taken,
resolved in one place (``ReadModels.entry_ids``); an unknown or ambiguous one exits 2 naming
it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hourbridge.domain import commands as c
from hourbridge.domain.reasons import ADJUSTMENT_REASONS, REJECTION_REASONS, reason_text
from hourbridge.errors import InvalidInput, NotFound

from .options import (
    ActorOption,
    JsonOpt,
    checked_ids,
    note_option,
    parse_date,
    reason_option,
    whole_seconds,
)
from .output import console, print_json, session, shown, table

entries_app = typer.Typer(help="Time entries: list and show.", no_args_is_help=True)

EntryRefs = Annotated[list[str] | None, typer.Option(
    "--id", help="Entry id or SOURCE:EXTERNAL_ID (repeatable).")]


@entries_app.command("list")
def entries_list(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    external_id: Annotated[str | None, typer.Option(help="Only this external id.")] = None,
    state: Annotated[str | None, typer.Option(
        help="live, or deleted (the source deleted it).")] = None,
    approval: Annotated[str | None, typer.Option(
        help="submitted, approved or rejected.")] = None,
    billing: Annotated[str | None, typer.Option(
        help="unbilled, on_draft, invoiced, credited, written_off, non_billable, covered.")]
    = None,
    employee: Annotated[str | None, typer.Option(help="Only this employee.")] = None,
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer's projects.")]
    = None,
    invoice: Annotated[int | None, typer.Option(help="Only entries on this invoice (id).")]
    = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First work date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last work date.")] = None,
    after: Annotated[int | None, typer.Option(help="Entries after this id (next page).")]
    = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Stored time entries in id order, with open WIP and the invoice each is on."""
    with session() as hb:
        checked_ids([i for i in (invoice, after) if i is not None], "id")
        if not 1 <= limit <= 1000:
            raise InvalidInput(f"--limit {limit}: give 1 to 1000")
        rows = hb.queries.entries(
            source=source, external_id=external_id, state=state, approval=approval,
            billing=billing, employee=employee, project=project, customer=customer,
            invoice=invoice, date_from=parse_date(date_from, "--from"),
            date_to=parse_date(date_to, "--to"), after=after, limit=limit)
        if as_json:
            print_json(rows)
            return
        table("entries", ["id", "source:external_id", "employee", "project", "date", "hours",
                          "billable h", "approval", "billing", "wip", "cur", "invoice"],
              [(r["id"], f"{r['source']}:{r['external_id']}", r["employee"], r["project"],
                r["work_date"], f"{r['worked_seconds'] / 3600:.2f}",
                f"{r['billable_seconds'] / 3600:.2f}", r["approval"],
                "deleted" if r["deleted_at"] else r["billing"], r["wip_open"] or "",
                r["wip_currency"] or "", _invoices(r)) for r in rows],
              right=["hours", "billable h", "wip"])
        if len(rows) == limit:
            console.print(f"more: --after {rows[-1]['id']}")


def _invoices(row: dict[str, Any]) -> str:
    return ", ".join(i["number"] or f"draft {i['id']}" for i in row["invoices"])


@entries_app.command("show")
def entries_show(
    entry: Annotated[str, typer.Argument(help="Entry id or SOURCE:EXTERNAL_ID.")],
    as_json: JsonOpt = False,
) -> None:
    """One time entry: what was worked, its approval, billing, open WIP and invoices."""
    with session() as hb:
        [entry_id] = hb.queries.entry_ids([entry])
        row = hb.queries.entry(entry_id)
        if row is None:  # deleted between the two reads
            raise NotFound("entry", entry_id)
        if as_json:
            print_json(row)
            return
        for key in ("id", "source", "external_id", "revision", "employee", "project", "task",
                    "entity", "contract", "work_date", "worked_seconds", "billable_seconds",
                    "billable", "notes", "approval", "approved_by", "rejection_reason",
                    "billing", "billed_seconds", "written_off_seconds", "wip_amount",
                    "wip_open", "wip_currency", "deleted_at"):
            if row.get(key) not in (None, ""):
                console.print(f"{key:20} {row[key]}", highlight=False, markup=False)
        console.print(f"{'invoices':20} {_invoices(row) or '-'}", highlight=False)


def approve(
    ids: EntryRefs = None,
    employee: Annotated[str | None, typer.Option(help="All of an employee's entries.")] = None,
    project: Annotated[str | None, typer.Option(help="All of a project's entries.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First work date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last work date.")] = None,
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Approve submitted entries by id (or SOURCE:EXTERNAL_ID), employee, project and/or
    period. Exit 0: all approved; 1: some skipped (listed with the reason); 2: refused."""
    with session() as hb:
        report = hb.handle(c.ApproveEntries(
            actor=actor, entry_ids=hb.queries.entry_ids(ids or (), "--id"), employee=employee,
            project=project, date_from=parse_date(date_from, "--from"),
            date_to=parse_date(date_to, "--to")))
        if as_json:
            print_json(report.as_dict())
        else:
            wip = shown(report.as_dict())["wip"]
            console.print(f"approved {report.approved} entries ({report.billable} billable); "
                          f"WIP booked: {', '.join(f'{v} {k}' for k, v in wip.items()) or '-'}")
            _skips(report.skipped)
        if report.skipped:
            raise typer.Exit(1)


def _skips(skipped: list[Any]) -> None:
    for s in skipped[:20]:
        console.print(f"  skipped {s['id']}: {s['reason']} {s.get('message', '')}")
    if skipped:
        console.print(f"skipped {len(skipped)}")


def reject(
    ids: Annotated[list[str], typer.Option(
        "--id", help="Entry id or SOURCE:EXTERNAL_ID (repeatable).")],
    reason: Annotated[str, reason_option(REJECTION_REASONS, "kept on the entry")],
    note: Annotated[str, note_option("what to fix; the consultant reads it")] = "",
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Send entries back: submitted ones are rejected, approved unbilled ones un-approved
    (their booked value is reversed); billed work is refused (void or credit it first).
    Exit 1 when some were skipped."""
    with session() as hb:
        report = hb.handle(c.RejectEntries(actor, hb.queries.entry_ids(ids, "--id"),
                                           reason_text(reason, note)))
        if as_json:
            print_json(report.as_dict())
        else:
            console.print(f"rejected {report.rejected} entries ({report.unapproved} were "
                          "approved: their value is reversed)")
            _skips(report.skipped)
        if report.skipped:
            raise typer.Exit(1)


def adjust(
    entry: Annotated[str, typer.Argument(
        help="The time entry to write up or down: id or SOURCE:EXTERNAL_ID.")],
    hours: Annotated[str, typer.Option(help="New billable hours (decimal, whole seconds).")],
    reason: Annotated[str, reason_option(ADJUSTMENT_REASONS, "kept with the adjustment")],
    note: Annotated[str, note_option("kept with the adjustment")] = "",
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Write billable time up or down before it is billed (worked time stays as recorded)."""
    with session() as hb:
        seconds = whole_seconds(hours)
        if seconds is None:
            raise InvalidInput(f"--hours {hours!r} is not a number of whole seconds")
        [entry_id] = hb.queries.entry_ids([entry])
        report = hb.handle(c.AdjustBillable(entry_id, seconds, reason_text(reason, note), actor))
        if as_json:
            print_json(report.as_dict())
            return
        delta = f", WIP {report.wip_delta:+}" if report.wip_delta is not None else ""
        console.print(f"entry {report.entry}: {report.before_seconds / 3600:.2f} h → "
                      f"{report.after_seconds / 3600:.2f} h billable{delta}")
