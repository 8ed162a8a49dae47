"""``hourbridge trace KIND ID``: where a time entry, expense, invoice or event came from and
went, and why unbilled work did not bill."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .options import JsonOpt
from .output import console, print_json, session, table

KINDS = ("entry", "expense", "invoice", "credit-note", "event")


def trace(
    kind: Annotated[str, typer.Argument(help=f"What to trace: {', '.join(KINDS)}.")],
    ref: Annotated[str, typer.Argument(
        metavar="ID", help="An id; an entry or expense also as SOURCE:EXTERNAL_ID, an invoice "
        "as its number, an event as its key.")],
    after: Annotated[int | None, typer.Option(
        help="Invoices: list the entries after this entry id (the next page).", min=1)] = None,
    limit: Annotated[int, typer.Option(
        help="Invoices: entries per page.", min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """The lineage of one record: payloads and revisions, the entry, problems, approval, the
    priced line with why that rate, the invoice, journal entries and their deliveries, with
    times and actors; an invoice also lists every entry it bills, a page at a time."""
    with session() as hb:
        tr = hb.queries.trace(kind, ref, after=after, limit=limit)
    if as_json:
        print_json(tr)
        return
    _print(tr)


def _print(tr: dict[str, Any]) -> None:
    console.print(f"[bold]{tr['kind']} {tr['ref']}[/bold]"
                  + (f" (id {tr['id']})" if tr.get("id") else ""), highlight=False)
    table("timeline", ["at", "step", "actor", "detail"],
          [(s["at"], s["step"], s["actor"], s["detail"]) for s in tr["timeline"]])
    for ln in tr.get("priced_lines", []):
        why = ln.get("why") or {}
        console.print(f"line {ln['line_no']} of invoice #{ln['invoice']}: {ln.get('amount')} "
                      f"at {ln.get('rate', '-')}; rate from card {why.get('rate_card')} row "
                      f"{why.get('rate_row')} ({why.get('rate_rule')}, {why.get('rate_scope')}, "
                      f"contract v{why.get('contract_version')})", highlight=False)
    if "lines" in tr:
        table("lines", ["#", "kind", "hours", "rate", "amount", "why (card / row / rule)"],
              [(ln["line_no"], ln["kind"], ln["quantity_hours"], ln["rate"], ln["amount"],
                f"{ln['why']['rate_card']} / {ln['why']['rate_row']} / {ln['why']['rate_rule']}")
               for ln in tr["lines"]], right=["hours", "rate", "amount"])
        page = tr["entries"]
        table(f"entries ({page['total']}, {page['seconds']} s)",
              ["id", "ref", "employee", "date", "seconds", "approved by"],
              [(e["id"], f"{e['source']}:{e['external_id']}", e["employee"], e["work_date"],
                e["seconds"], e["approved_by"]) for e in page["items"]],
              right=["seconds"])
        if page["next_after"] is not None:
            console.print(f"more: --after {page['next_after']}", highlight=False)
    for d in tr.get("deliveries", []):
        console.print(f"event #{d['id']} {d['type']}: {d['status']} after {d['attempts']} "
                      f"attempt(s)" + (f"; last error {d['last_error']}" if d["last_error"]
                                       else ""), highlight=False, markup=False)
    for later in ("erp_postings", "payments"):
        console.print(f"{later.replace('_', ' ')}: {tr[later]['note']}", highlight=False)
    if "billed" in tr:
        if tr["billed"]:
            console.print("billed: yes", highlight=False)
        for w in tr["why_not_billed"]:
            console.print(f"not billed: {w['reason']}: {w['message']}", highlight=False,
                          markup=False)
