"""``hourbridge intercompany``: charges between legal entities."""

from __future__ import annotations

from typing import Annotated

import typer

from .options import JsonOpt
from .output import print_json, session, table

intercompany_app = typer.Typer(help="Charges between legal entities for cross-entity work.",
                               no_args_is_help=True)


@intercompany_app.command("list")
def intercompany_list(
    period: Annotated[str | None, typer.Option(help="Month of the work date, YYYY-MM.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Totals per selling entity, buying entity and currency (awaiting_fx: the buyer's side
    waits for FX conversion)."""
    with session() as hb:
        report = hb.queries.intercompany(period=period, limit=0)
        if as_json:
            print_json({"period": report["period"], "totals": report["totals"]})
            return
        table(f"intercompany charges{' ' + period if period else ''}",
              ["seller", "buyer", "currency", "status", "charges", "hours", "amount"],
              [(r["seller"], r["buyer"], r["currency"], r["status"], r["charges"], r["hours"],
                r["amount"]) for r in report["totals"]],
              right=["charges", "hours", "amount"])
