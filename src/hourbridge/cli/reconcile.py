"""``hourbridge reconcile``: a month of hours per source, tracker vs Hourbridge vs invoiced vs
posted, and the entries behind each difference."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .options import JsonOpt
from .output import console, print_json, session, table


def reconcile(
    period: Annotated[str, typer.Option(help="The month of the work date, YYYY-MM.")],
    source: Annotated[str | None, typer.Option(help="Only this intake source.")] = None,
    limit: Annotated[int, typer.Option(help="Entries listed per difference.", min=1,
                                       max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Hours in the tracker (as last synced: the entries taken plus the rows still in the
    exception queue) vs in Hourbridge vs invoiced vs posted to an ERP, per source."""
    with session() as hb:
        report = hb.queries.reconciliation(period, source=source, limit=limit)
    if as_json:
        print_json(report)
        return
    _print(report)


def _print(r: dict[str, Any]) -> None:
    table(f"reconciliation {r['period']} (hours)",
          ["source", "tracker", "hourbridge", "billable", "invoiced", "posted"],
          [(s["source"], *s["hours"].values()) for s in r["sources"]],
          right=["tracker", "hourbridge", "billable", "invoiced", "posted"])
    for s in r["sources"]:
        d = s["differences"]
        tv = d["tracker_vs_hourbridge"]
        console.print(f"[bold]{s['source']}[/bold]: {tv['hours']} h in {tv['count']} row(s) "
                      f"not taken", highlight=False)
        for e in tv["entries"]:
            console.print(f"  exception #{e['exception']} {e['external_id']} {e['work_date']} "
                          f"{e['hours']} h: {e['reason']}", highlight=False, markup=False)
        for e in tv["undated"]:
            console.print(f"  exception #{e['exception']} {e['external_id']}: {e['reason']} "
                          f"(date or hours unreadable)", highlight=False, markup=False)
        bi = d["billable_vs_invoiced"]
        console.print(f"  {bi['hours']} h billable not invoiced in {bi['count']} entr(ies)",
                      highlight=False)
        for e in bi["entries"]:
            console.print(f"  entry {e['entry']} {e['ref']} {e['hours']} h: {e['cause']}",
                          highlight=False, markup=False)
        ip = d["invoiced_vs_posted"]
        console.print(f"  {ip['hours']} h invoiced not posted to an ERP", highlight=False)
        for i in ip["invoices"]:
            console.print(f"  {i['kind']} {i['number']}: {i['hours']} h", highlight=False)
