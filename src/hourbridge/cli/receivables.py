"""``hourbridge receivables``: what customers owe, aged by days past due."""

from __future__ import annotations

from typing import Annotated

import typer

from .options import JsonOpt, parse_date
from .output import console, print_json, session, table

receivables_app = typer.Typer(help="Receivables: open amounts and their aging.",
                              no_args_is_help=True)


@receivables_app.command("aging")
def aging(
    entity: Annotated[str | None, typer.Option("--entity", help="Only this legal entity.")]
    = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The day to age on (YYYY-MM-DD; default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open amounts by customer and currency in buckets of days past due: current, 1-30,
    31-60, 61-90, 90+ (payments read back from the ERPs count)."""
    with session() as hb:
        day = parse_date(as_of, "--as-of") or hb.clock().date()
        report = hb.queries.receivables_aging(day, entity)
        if as_json:
            print_json(report)
            return
        buckets = report["buckets"]
        table(f"receivables aging on {report['as_of']}",
              ["entity", "customer", "cur", "docs", *buckets, "total"],
              [(r["entity"], r["customer"], r["currency"], r["documents"],
                *(r[b] for b in buckets), r["total"]) for r in report["customers"]],
              right=["docs", *buckets, "total"])
        for r in report["totals"]:
            console.print(f"{r['currency']}: " + ", ".join(f"{b} {r[b]}" for b in buckets)
                          + f"; total {r['total']}")
