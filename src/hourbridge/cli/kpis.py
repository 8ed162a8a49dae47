"""``hourbridge kpis``: time to invoice, WIP aging, exceptions, utilization, realization,
margin and DSO for a period (formulas in docs/KPIS.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .options import JsonOpt
from .output import console, print_json, session, table


def kpis(
    entity: Annotated[str | None, typer.Option(help="Only this legal entity.")] = None,
    period: Annotated[str | None, typer.Option(
        help="YYYY-MM, YYYY-Qn or YYYY (default: from the first work date through today).")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Every KPI for the period, computed in the database (an empty period shows zeros)."""
    # holidays (a fifth of a second to import) only for this command, not at start-up
    from hourbridge.observability.kpis import kpi_report

    with session() as hb:
        report = kpi_report(hb.queries, period, entity, hb.clock().date())
    if as_json:
        print_json(report)
        return
    _print(report)


def _print(r: dict[str, Any]) -> None:
    p = r["period"]
    console.print(f"[bold]KPIs {p['label']}[/bold] ({p['from']} to {p['to']}"
                  + (f", entity {r['entity']}" if r["entity"] else "") + ")", highlight=False)
    tti = r["time_to_invoice"]
    table("time to invoice (days)", ["stage", "count", "p50", "p90"],
          [(s["stage"], s["count"], _n(s["p50"]), _n(s["p90"])) for s in tti["stages"]],
          right=["count", "p50", "p90"])
    wip = r["wip"]
    table(f"unbilled approved WIP as of {wip['as_of']}",
          ["entity", "currency", *wip["buckets"], "hours", "value"],
          [(w["entity"], w["currency"] or "-",
            *(f"{b['hours']} h / {b['value']}" for b in w["buckets"]), w["hours"], w["value"])
           for w in wip["by_entity"]], right=["hours", "value"])
    ex = r["exceptions"]
    table(f"exceptions: {ex['exceptions']} of {ex['exceptions'] + ex['entries_taken']} rows "
          f"(rate {_n(ex['rate'])}); resolved p50 {_n(ex['time_to_resolve']['p50'])} h, "
          f"p90 {_n(ex['time_to_resolve']['p90'])} h",
          ["source", "exceptions", "entries", "rate"],
          [(s["source"], s["exceptions"], s["entries_taken"], _n(s["rate"]))
           for s in ex["by_source"]], right=["exceptions", "entries", "rate"])
    table("utilization", ["entity", "employees", "available h", "billable h", "utilization"],
          [(u["entity"], u["employees"], u["available_hours"], u["billable_hours"],
            _n(u["utilization"])) for u in r["utilization"]],
          right=["employees", "available h", "billable h", "utilization"])
    table("realization and effective rate",
          ["entity", "currency", "billed", "standard", "realization", "effective rate"],
          [(x["entity"], x["currency"], x["billed_value"], x["standard_value"],
            _n(x["realization"]), _n(x["effective_rate"])) for x in r["realization"]],
          right=["billed", "standard", "realization", "effective rate"])
    table("margin by entity", ["entity", "currency", "revenue", "cost", "margin", "ratio"],
          [(m["entity"], m["currency"], m["revenue"], m["cost"], m["margin"],
            _n(m["margin_ratio"])) for m in r["margin"]["entity"]],
          right=["revenue", "cost", "margin", "ratio"])
    table("DSO", ["entity", "currency", "receivable", "billed", "days", "DSO"],
          [(d["entity"], d["currency"], d["receivable"], d["billed"], d["days_in_period"],
            _n(d["dso"])) for d in r["dso"]],
          right=["receivable", "billed", "days", "DSO"])
    console.print("margin by customer and project: --json", highlight=False)


def _n(value: Any) -> str:
    return "-" if value is None else str(value)
