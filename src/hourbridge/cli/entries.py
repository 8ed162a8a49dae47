"""``hourbridge approve``, ``reject`` and ``adjust``: decisions on time entries before
billing."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.domain.reasons import ADJUSTMENT_REASONS, REJECTION_REASONS, reason_text
from hourbridge.errors import InvalidInput

from .options import JsonOpt, note_option, parse_date, reason_option, whole_seconds
from .output import console, print_json, session, shown


def approve(
    ids: Annotated[list[int] | None, typer.Option("--id", help="Entry id (repeatable).")] = None,
    employee: Annotated[str | None, typer.Option(help="All of an employee's entries.")] = None,
    project: Annotated[str | None, typer.Option(help="All of a project's entries.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First work date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last work date.")] = None,
    actor: Annotated[str, typer.Option(help="Who approves (kept on the entry).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Approve submitted entries by id, employee, project and/or period."""
    with session() as hb:
        report = hb.handle(c.ApproveEntries(
            actor=actor, entry_ids=tuple(ids or ()), employee=employee, project=project,
            date_from=parse_date(date_from, "--from"), date_to=parse_date(date_to, "--to")))
        if as_json:
            print_json(report.as_dict())
            return
        wip = shown(report.as_dict())["wip"]
        console.print(f"approved {report.approved} entries ({report.billable} billable); "
                      f"WIP booked: {', '.join(f'{v} {k}' for k, v in wip.items()) or '-'}")
        for s in report.skipped[:20]:
            console.print(f"  skipped {s['id']}: {s['reason']} {s.get('message', '')}")


def reject(
    ids: Annotated[list[int], typer.Option("--id", help="Entry id (repeatable).")],
    reason: Annotated[str, reason_option(REJECTION_REASONS, "kept on the entry")],
    note: Annotated[str, note_option("what to fix; the consultant reads it")] = "",
    actor: Annotated[str, typer.Option(help="Who rejects (kept on the entry).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Send entries back: submitted ones are rejected, approved unbilled ones un-approved
    (their booked value is reversed); billed work is refused (void or credit it first)."""
    with session() as hb:
        report = hb.handle(c.RejectEntries(actor, tuple(ids), reason_text(reason, note)))
        if as_json:
            print_json(report.as_dict())
            return
        console.print(f"rejected {report.rejected} entries ({report.unapproved} were approved: "
                      "their value is reversed)")
        for s in report.skipped[:20]:
            console.print(f"  skipped {s['id']}: {s['reason']} {s.get('message', '')}")


def adjust(
    entry_id: Annotated[int, typer.Argument(help="The time entry to write up or down.")],
    hours: Annotated[str, typer.Option(help="New billable hours (decimal, whole seconds).")],
    reason: Annotated[str, reason_option(ADJUSTMENT_REASONS, "kept with the adjustment")],
    note: Annotated[str, note_option("kept with the adjustment")] = "",
    actor: Annotated[str, typer.Option(help="Who adjusts.")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Write billable time up or down before it is billed (worked time stays as recorded)."""
    with session() as hb:
        seconds = whole_seconds(hours)
        if seconds is None:
            raise InvalidInput(f"--hours {hours!r} is not a number of whole seconds")
        report = hb.handle(c.AdjustBillable(entry_id, seconds, reason_text(reason, note), actor))
        if as_json:
            print_json(report.as_dict())
            return
        delta = f", WIP {report.wip_delta:+}" if report.wip_delta is not None else ""
        console.print(f"entry {report.entry}: {report.before_seconds / 3600:.2f} h → "
                      f"{report.after_seconds / 3600:.2f} h billable{delta}")
