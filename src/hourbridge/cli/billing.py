"""``hourbridge bill``: the billing run."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain import commands as c

from .options import JsonOpt, cli_actor, parse_date
from .output import console, print_json, progress, session, shown, table


def bill(
    through: Annotated[str, typer.Option(help="Bill approved work up to this date.")],
    entity: Annotated[str | None, typer.Option(help="Only this legal entity.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Billing run: approved, unbilled, billable time to draft invoices.
    Exit 0: all billed; 1: some work was not billed (listed with its reason); 2: refused."""
    with session() as hb:
        cutoff = parse_date(through, "--through")
        assert cutoff is not None
        with progress(as_json) as bar:
            bar.add_task(f"billing run through {cutoff}", total=None)
            report = hb.handle(c.RunBilling(cutoff, entity, dry_run, cli_actor()))
        if as_json:
            print_json(report.as_dict())
            raise typer.Exit(1 if report.skipped else 0)
        title = "billing run (dry run: nothing written)" if dry_run else "billing run"
        table(title, ["id", "entity", "contract", "customer", "period", "lines", "net", "tax",
                      "total", "cur"],
              [(i["id"] or "-", i["entity"], i["contract"], i["customer"], i["period"],
                i["lines"], i["net"], i["tax"], i["total"], i["currency"])
               for i in shown(report.as_dict())["invoices"]],
              right=["lines", "net", "tax", "total"])
        made = "would make" if dry_run else "made"
        console.print(f"{made} {len(report.invoices)} invoice(s), {report.entries_billed} "
                      "entries billed")
        if report.changes:
            table("invoiced per contract and month since the last run",
                  ["contract", "period", "change", "invoiced before", "credited before",
                   "net before", "invoiced now", "credited now", "net now", "net Δ"],
                  [(ch["contract"], ch["period"], ch["change"],
                    *_figures(ch["before"]), *_figures(ch["after"]), ch["net_delta"])
                   for ch in report.changes],
                  right=["invoiced before", "credited before", "net before", "invoiced now",
                         "credited now", "net now", "net Δ"])
        idle = [n["contract"] for n in report.not_invoiced if n["reason"] == "nothing_open"]
        for n in report.not_invoiced:
            if n["reason"] != "nothing_open":
                console.print(f"  no invoice for {n['contract']}: {n['reason']} {n['message']}")
        if idle:  # the common case, one line rather than one per contract
            console.print(f"  no invoice for {', '.join(idle)}: nothing_open (no approved "
                          "unbilled work, expense, fee, milestone or retainer fee due)")
        for s in report.skipped[:20]:
            console.print(f"  not billed {s.get('id')}: {s['reason']} {s.get('message', '')}")
        if report.skipped:
            console.print(f"not billed: {len(report.skipped)}")
            raise typer.Exit(1)


def _figures(side: dict[str, str] | None) -> tuple[str, str, str]:
    if side is None:
        return ("", "", "")
    return (side["invoiced"], side["credited"], side["net"])
