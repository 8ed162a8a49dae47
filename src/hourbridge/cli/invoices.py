"""``hourbridge invoices``: list, show, void, check the sequence, issue, credit."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hourbridge.domain import commands as c
from hourbridge.domain.reasons import CREDIT_REASONS, VOID_REASONS, reason_text
from hourbridge.errors import InvalidInput

from .options import (
    ActorOption,
    JsonOpt,
    checked_ids,
    cli_actor,
    deprecated_option,
    note_option,
    parse_date,
    reason_option,
    renamed,
    whole_seconds,
)
from .output import console, print_json, progress, session, shown, table

invoices_app = typer.Typer(help="Draft and issued invoices.", no_args_is_help=True)


@invoices_app.command("list")
def invoices_list(
    status: Annotated[str | None, typer.Option(
        help="draft, held, issued, posted, paid or void.")] = None,
    kind: Annotated[str | None, typer.Option(help="invoice or credit_note.")] = None,
    entity: Annotated[str | None, typer.Option(help="Only this legal entity.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First issue date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last issue date.")] = None,
    payment: Annotated[str | None, typer.Option(
        help="paid, or unpaid (issued or posted invoices).")] = None,
    after: Annotated[int | None, typer.Option(help="Invoices after this id (next page).")]
    = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """List invoices and credit notes: kind, status, payment, amounts."""
    with session() as hb:
        checked_ids([after] if after is not None else [], "--after")
        if not 1 <= limit <= 1000:
            raise InvalidInput(f"--limit {limit}: give 1 to 1000")
        rows = hb.queries.invoices(
            status=status, kind=kind, entity=entity, customer=customer,
            date_from=parse_date(date_from, "--from"), date_to=parse_date(date_to, "--to"),
            payment=payment, after=after, limit=limit)
        if as_json:
            print_json(rows)
            return
        # a credit note says so, and names the invoice it credits (by id); net, tax and a
        # void's reason are in --json and `invoices show` (the table fits 140 columns)
        table("invoices", ["id", "number", "kind", "status", "payment", "entity", "customer",
                           "period", "issued", "due", "total", "cur", "credits"],
              [(r["id"], r["number"] or "", r["kind"].replace("_", " "), r["status"],
                r["payment"] or "", r["entity"], r["customer"], r["period"],
                r["issue_date"] or "", r["due_date"] or "", r["total"], r["currency"],
                r["credits"] or "") for r in rows],
              right=["total"])


@invoices_app.command("show")
def invoices_show(invoice_id: int, as_json: JsonOpt = False) -> None:
    """One invoice with its lines, each linked to the entries it bills."""
    with session() as hb:
        checked_ids([invoice_id], "invoice id")
        inv = hb.queries.invoice(invoice_id)
        if inv is None:
            from hourbridge.errors import NotFound

            raise NotFound("invoice", invoice_id)
        if as_json:
            print_json(inv)
            return
        console.print(f"[bold]invoice {inv['number'] or '(draft)'}[/bold] id {inv['id']} "
                      f"{inv['status']} {inv['entity']} → {inv['customer']} period "
                      f"{inv['period']}")
        table("lines", ["#", "description", "hours", "rate", "amount", "entries", "why"],
              [(ln["line_no"], ln["description"], ln["quantity_hours"], ln["rate"],
                ln["amount"], len(ln["entries"]), _why(ln)) for ln in inv["lines"]],
              right=["hours", "rate", "amount", "entries"])
        console.print(f"net {inv['net']}  tax {inv['tax']} ({inv['tax_code']})  "
                      f"total {inv['total']} {inv['currency']}")
        if inv["status"] == "void":
            console.print(f"[bold]void[/bold] since {inv['void_date'] or inv['voided_at'][:10]}"
                          f" by {inv['voided_by']}: {inv['void_reason']}")


def _why(line: dict[str, Any]) -> str:
    """Where a line's amount comes from: the rate's card, row, rule and contract version, and
    for expenses spent in another currency what was spent and the rate it was converted at."""
    why = (f"{line['rate_card']}/{line['rate_row']} ({line['rate_rule']}, v"
           f"{line['contract_version']})")
    if line.get("original_currency"):
        why += (f"; {line['original_amount']} {line['original_currency']} at "
                f"{line['original_rate']}")
    return why


@invoices_app.command("void")
def invoices_void(
    invoice_id: Annotated[int, typer.Argument(help="The draft or issued invoice to void.")],
    reason: Annotated[str, reason_option(VOID_REASONS, "kept on the invoice")],
    note: Annotated[str, note_option("kept on the invoice")] = "",
    on: Annotated[str | None, typer.Option(
        "--void-date", help="Void date (default: the entity's today).")] = None,
    old_on: Annotated[str | None, deprecated_option("--date")] = None,
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Void a draft, or an issued invoice nothing credits yet in an open period: the number
    stays in the sequence as void, the posting is reversed and the work bills again.
    Otherwise (credited, closed period) issue a credit note instead."""
    with session() as hb:
        on = renamed(on, old_on, "--date", "--void-date")
        report = hb.handle(c.VoidInvoice(invoice_id, actor, reason_text(reason, note),
                                         parse_date(on, "--void-date")))
        if as_json:
            print_json(report.as_dict())
            return
        what = f"invoice {report.number}" if report.number else f"draft {report.id}"
        restored = shown(report.as_dict())["wip_restored"]
        console.print(f"{what} is void: {report.entries} entries "
                      f"({report.seconds / 3600:.2f} h) bill again"
                      + (f", WIP restored {restored} {report.currency}, reversal "
                         f"{report.journal_key}" if report.journal_key else ""))


@invoices_app.command("check-sequence")
def invoices_check_sequence(as_json: JsonOpt = False) -> None:
    """Check each entity's numbers 1..N are all used once (voids included); exit 1 if not."""
    with session() as hb:
        rows = hb.queries.sequence_check()
        if as_json:
            print_json(rows)
        else:
            table("invoice sequences", ["entity", "last", "documents", "voids", "missing",
                                        "duplicated", "gapless"],
                  [(r["entity"], r["last_number"], r["documents"], r["voids"],
                    ",".join(map(str, r["missing"])), ",".join(map(str, r["duplicated"])),
                    "yes" if r["gapless"] else "NO") for r in rows])
        if not all(r["gapless"] for r in rows):
            raise typer.Exit(1)


@invoices_app.command("issue")
def invoices_issue(
    ids: Annotated[list[int] | None, typer.Argument(help="Draft invoice ids.")] = None,
    all_drafts: Annotated[bool, typer.Option("--all", help="Issue every draft.")] = False,
    entity: Annotated[str | None, typer.Option(help="With --all: one entity only.")] = None,
    on: Annotated[str | None, typer.Option(
        "--issue-date", help="Issue date (default: the entity's today).")] = None,
    old_on: Annotated[str | None, deprecated_option("--date")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue drafts: gapless numbers per legal entity, receivables booked."""
    with session() as hb:
        on = renamed(on, old_on, "--date", "--issue-date")
        with progress(as_json) as bar:
            bar.add_task("issuing", total=None)
            report = hb.handle(c.IssueInvoices(tuple(ids or ()), all_drafts, entity,
                                               parse_date(on, "--issue-date"), cli_actor()))
        if as_json:
            print_json(report.as_dict())
            return
        table("issued", ["id", "number", "customer", "total", "cur", "due"],
              [(i["id"], i["number"], i["customer"], i["total"], i["currency"], i["due_date"])
               for i in shown(report.as_dict())["issued"]], right=["total"])


def _credit_lines(specs: list[str]) -> tuple[tuple[int, int], ...]:
    out = []
    for spec in specs:
        line, sep, amount = spec.partition("=")
        seconds = whole_seconds(amount) if sep else 0  # LINE alone: the whole line
        if not line.isdigit() or seconds is None or (sep and seconds <= 0):
            raise InvalidInput(f"--line {spec!r}: write LINE=HOURS, e.g. 2=1.5 (whole "
                               "seconds), or LINE for all that is left of a line")
        out.append((int(line), seconds))
    return tuple(out)


@invoices_app.command("credit")
def invoices_credit(
    invoice_id: Annotated[int, typer.Argument(help="The issued invoice to credit.")],
    reason: Annotated[str, reason_option(CREDIT_REASONS, "kept on the credit note")],
    note: Annotated[str, note_option("kept on the credit note")] = "",
    line: Annotated[list[str] | None, typer.Option(
        help="LINE=HOURS to credit part of a line, LINE for all of it (fees, milestones "
             "and expenses credit whole); repeatable; none: everything left.")]
    = None,
    mode: Annotated[str, typer.Option(
        help="rebill (the work bills again) or write_off (it never will).")] = "rebill",
    on: Annotated[str | None, typer.Option(
        "--issue-date", help="Credit note's issue date (default: the entity's today).")]
    = None,
    old_on: Annotated[str | None, deprecated_option("--date")] = None,
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Issue a credit note that releases exactly the quantities it credits."""
    with session() as hb:
        on = renamed(on, old_on, "--date", "--issue-date")
        report = hb.handle(c.IssueCreditNote(
            invoice_id, actor, reason_text(reason, note), _credit_lines(line or []), mode,
            parse_date(on, "--issue-date")))
        if as_json:
            print_json(report.as_dict())
            return
        total = shown(report.as_dict())["total"]
        console.print(f"credit note {report.number} for invoice {report.invoice_number}: "
                      f"{total} {report.currency} ({report.mode}, {report.entries} entries, "
                      f"{report.seconds / 3600:.2f} h)")
