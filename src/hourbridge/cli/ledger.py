"""``hourbridge ledger``: the built-in ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from .options import JsonOpt
from .output import console, print_json, session, table

ledger_app = typer.Typer(help="The built-in ledger.", no_args_is_help=True)


@ledger_app.command("trial-balance")
def trial_balance(
    as_json: JsonOpt = False,
    functional: Annotated[bool, typer.Option(
        "--functional", help="Only the balances in each entity's functional currency.")] = False,
) -> None:
    """Balances per entity, currency and account, each also in the entity's functional
    currency; each currency sums to zero, and so does each entity in functional currency."""
    with session() as hb:
        if functional:
            frows = hb.queries.functional_trial_balance()
            if as_json:
                print_json(frows)
                return
            table("trial balance in functional currency", ["entity", "cur", "account",
                                                           "balance"],
                  [(r["entity"], r["currency"], r["account"], r["balance"]) for r in frows],
                  right=["balance"])
            return
        rows = hb.queries.trial_balance()
        if as_json:
            print_json(rows)
            return
        table("trial balance", ["entity", "cur", "account", "debit", "credit", "balance",
                                "functional"],
              [(r["entity"], r["currency"], r["account"], r["debit"], r["credit"],
                r["balance"], f"{r['functional_balance']} {r['functional_currency']}")
               for r in rows], right=["debit", "credit", "balance", "functional"])
        totals: dict[str, Decimal] = {}
        for r in rows:
            key = f"{r['entity']} {r['functional_currency']}"
            totals[key] = totals.get(key, Decimal(0)) + Decimal(r["functional_balance"])
        console.print("functional total per entity: " + (", ".join(
            f"{k} {v}" for k, v in sorted(totals.items())) or "-"))
