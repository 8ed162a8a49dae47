"""``hourbridge corrections``: source changes to invoiced work, proposed and acted on."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain import commands as c

from .options import ActorOption
from .output import console, print_json, session, table

corrections_app = typer.Typer(
    help="Correction proposals: source changes or deletions of work already on an invoice.",
    no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _changes(changes: dict[str, list[object]]) -> str:
    return "; ".join(f"{k} {old} -> {new}" for k, (old, new) in changes.items())


@corrections_app.command("list")
def corrections_list(
    status: Annotated[str, typer.Option(
        help="open, applied, rejected, superseded, or all.")] = "open",
    as_json: JsonOpt = False,
) -> None:
    """Proposals with what changed, the invoice line affected, the value difference and the
    proposed action (credit_and_rebill, next_invoice_adjustment or redraft)."""
    with session() as hb:
        rows = hb.queries.corrections(status=None if status == "all" else status)
        if as_json:
            print_json(rows)
            return
        table("corrections", ["id", "status", "entry", "kind", "invoice", "line", "hours",
                              "old", "new", "difference", "action", "changes"],
              [(r["id"], r["status"], r["external_id"], r["kind"], r["invoice_number"] or
                (f"draft {r['invoice']}" if r["invoice"] else ""), r["line_no"] or "",
                f"{r['billed_seconds'] / 3600:.2f}", r["old_amount"], r["new_amount"],
                r["difference"], r["action"], _changes(r["changes"])) for r in rows],
              right=["hours", "old", "new", "difference"])


@corrections_app.command("apply")
def corrections_apply(
    correction_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    note: Annotated[str, typer.Option(help="Kept with the decision.")] = "",
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Carry out a proposal: a credit note to rebill, an adjustment owed to the next run, or
    a voided draft; the entry then takes the new revision and its value is re-booked."""
    with session() as hb:
        report = hb.handle(c.ApplyCorrection(correction_id, actor, note))
        if as_json:
            print_json(report.as_dict())
            return
        notes = ", ".join(n["number"] for n in report.outcome["credit_notes"])
        drafts = ", ".join(str(d["id"]) for d in report.outcome["voided_drafts"])
        console.print(f"correction {report.id} applied ({report.action})"
                      + (f": credit note {notes}" if notes else "")
                      + (f": draft {drafts} voided" if drafts else "")
                      + ("; the next billing run adds the adjustment line"
                         if report.action == "next_invoice_adjustment" else ""))


@corrections_app.command("reject")
def corrections_reject(
    correction_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    note: Annotated[str, typer.Option(help="Why (required, kept with the decision).")],
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Close a proposal: the invoice stands, the revision stays recorded but is not taken."""
    with session() as hb:
        report = hb.handle(c.RejectCorrection(correction_id, actor, note))
        if as_json:
            print_json(report.as_dict())
            return
        console.print(f"correction {report.id} rejected")
