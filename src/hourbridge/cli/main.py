"""Entry point: ``hourbridge --help``."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from hourbridge.bootstrap import bootstrap
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats import bundle_json_schema, parse_bundle_files, to_domain
from hourbridge.formats.timefile import TimeFile

from .contracts import contracts_app
from .corrections import corrections_app
from .expenses import expenses_app
from .export import export_app
from .holds import holds_app
from .output import cli_errors, console, print_json, session, table
from .revenue import revenue_app

app = typer.Typer(help="Hourbridge: from the billable hour to the booked invoice.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
schema_app = typer.Typer(help="Interchange schemas.", no_args_is_help=True)
invoices_app = typer.Typer(help="Draft and issued invoices.", no_args_is_help=True)
exceptions_app = typer.Typer(help="The exception queue: rows that could not be taken.",
                             no_args_is_help=True)
deadletters_app = typer.Typer(help="Deliveries that failed for good.", no_args_is_help=True)
ledger_app = typer.Typer(help="The built-in ledger.", no_args_is_help=True)
intercompany_app = typer.Typer(help="Charges between legal entities for cross-entity work.",
                               no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(schema_app, name="schema")
app.add_typer(invoices_app, name="invoices")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(ledger_app, name="ledger")
app.add_typer(export_app, name="export")
app.add_typer(holds_app, name="holds")
app.add_typer(contracts_app, name="contracts")
app.add_typer(revenue_app, name="revenue")
app.add_typer(expenses_app, name="expenses")
app.add_typer(intercompany_app, name="intercompany")
app.add_typer(corrections_app, name="corrections")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]



@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (the only way a schema is created)."""
    with cli_errors():
        hb = bootstrap(upgrade=False)
        try:
            hb.upgrade()
            console.print(f"schema at revision {hb.schema_revision()} on {hb.database}")
        finally:
            hb.close()


@schema_app.command("export")
def schema_export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write.")] = None,
) -> None:
    """Write the JSON Schema of the master-data bundle."""
    text = json.dumps(bundle_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


@app.command("load")
def load(
    files: Annotated[list[Path], typer.Argument(help="Bundle files (YAML or JSON).")],
    as_json: JsonOpt = False,
) -> None:
    """Upsert master data from bundle files, all or nothing."""
    with session() as hb:
        docs, problems = parse_bundle_files(files)
        if problems:
            raise InvalidInput(f"nothing loaded: {len(problems)} problem(s)", list(problems))
        counts = hb.handle(c.LoadMasterData(to_domain(docs)))
        if as_json:
            print_json(counts)
            return
        table("master data loaded", ["kind", "created", "updated", "unchanged"],
              [(k, v["created"], v["updated"], v["unchanged"]) for k, v in counts.items()],
              right=["created", "updated", "unchanged"])


@app.command("ingest")
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Canonical CSV or JSON time files.")],
    source: Annotated[str, typer.Option(help="Source system name, part of every entry's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Take canonical time entries through the inbox: kept, validated, stored or queued."""
    with session() as hb:
        reports = []
        for path in files:
            if not path.is_file():
                raise InvalidInput(f"{path}: cannot read: no such file")
            report = hb.handle(c.IngestTimeEntries(source, TimeFile.from_path(path)))
            reports.append({"file": str(path), **report.as_dict()})
        if as_json:
            print_json(reports)
            return
        table("ingest", ["file", "rows", "accepted", "revised", "unchanged", "rejected",
                         "deleted", "corrections", "note"],
              [(r["file"], r["rows"], r["accepted"], r["revised"], r["unchanged"],
                r["rejected"], r["deleted"], r["corrections_proposed"],
                "same payload already taken" if r["duplicate_payload"] else "")
               for r in reports], right=["rows", "accepted", "revised", "unchanged", "rejected",
                                         "deleted", "corrections"])


@app.command("approve")
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
            date_from=_date(date_from, "--from"), date_to=_date(date_to, "--to")))
        if as_json:
            print_json(report.as_dict())
            return
        console.print(f"approved {report.approved} entries ({report.billable} billable); "
                      f"WIP booked: {', '.join(f'{v} {k}' for k, v in report.wip.items()) or '-'}")
        for s in report.skipped[:20]:
            console.print(f"  skipped {s['id']}: {s['reason']} {s.get('message', '')}")


@app.command("reject")
def reject(
    ids: Annotated[list[int], typer.Option("--id", help="Entry id (repeatable).")],
    reason: Annotated[str, typer.Option(help="Why (the consultant reads it).")],
    actor: Annotated[str, typer.Option(help="Who rejects (kept on the entry).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Send entries back: submitted ones are rejected, approved unbilled ones un-approved
    (their booked value is reversed); billed work is refused (void or credit it first)."""
    with session() as hb:
        report = hb.handle(c.RejectEntries(actor, tuple(ids), reason))
        if as_json:
            print_json(report.as_dict())
            return
        console.print(f"rejected {report.rejected} entries ({report.unapproved} were approved: "
                      "their value is reversed)")
        for s in report.skipped[:20]:
            console.print(f"  skipped {s['id']}: {s['reason']} {s.get('message', '')}")


@app.command("adjust")
def adjust(
    entry_id: Annotated[int, typer.Argument(help="The time entry to write up or down.")],
    hours: Annotated[str, typer.Option(help="New billable hours (decimal, whole seconds).")],
    reason: Annotated[str, typer.Option(help="Why (kept with the adjustment).")],
    actor: Annotated[str, typer.Option(help="Who adjusts.")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Write billable time up or down before it is billed (worked time stays as recorded)."""
    with session() as hb:
        seconds = _seconds(hours)
        if seconds is None:
            raise InvalidInput(f"--hours {hours!r} is not a number of whole seconds")
        report = hb.handle(c.AdjustBillable(entry_id, seconds, reason, actor))
        if as_json:
            print_json(report.as_dict())
            return
        delta = f", WIP {report.wip_delta:+}" if report.wip_delta is not None else ""
        console.print(f"entry {report.entry}: {report.before_seconds / 3600:.2f} h → "
                      f"{report.after_seconds / 3600:.2f} h billable{delta}")


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


@app.command("bill")
def bill(
    through: Annotated[str, typer.Option(help="Bill approved work up to this date.")],
    entity: Annotated[str | None, typer.Option(help="Only this legal entity.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Billing run: approved, unbilled, billable time to draft invoices."""
    with session() as hb:
        cutoff = _date(through, "--through")
        assert cutoff is not None
        report = hb.handle(c.RunBilling(cutoff, entity, dry_run))
        if as_json:
            print_json(report.as_dict())
            return
        title = "billing run (dry run: nothing written)" if dry_run else "billing run"
        table(title, ["id", "entity", "contract", "customer", "period", "lines", "net", "tax",
                      "total", "cur"],
              [(i["id"] or "-", i["entity"], i["contract"], i["customer"], i["period"],
                i["lines"], i["net"], i["tax"], i["total"], i["currency"])
               for i in report.invoices], right=["lines", "net", "tax", "total"])
        console.print(f"{len(report.invoices)} invoice(s), {report.entries_billed} entries")
        if report.changes:
            table("changes since the last run", ["contract", "period", "change", "net before",
                                                 "net now", "entries Δ"],
                  [(ch["contract"], ch["period"], ch["change"],
                    (ch["before"] or {}).get("net", ""), (ch["after"] or {}).get("net", ""),
                    ch.get("entries_delta", "")) for ch in report.changes],
                  right=["net before", "net now", "entries Δ"])
        for s in report.skipped[:20]:
            console.print(f"  not billed {s['id']}: {s['reason']} {s.get('message', '')}")


@invoices_app.command("list")
def invoices_list(
    status: Annotated[str | None, typer.Option(help="draft, issued, ...")] = None,
    entity: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """List invoices."""
    with session() as hb:
        rows = hb.queries.invoices(status=status, entity=entity)
        if as_json:
            print_json(rows)
            return
        table("invoices", ["id", "number", "status", "entity", "customer", "period", "net",
                           "tax", "total", "cur", "void reason"],
              [(r["id"], r["number"] or "", r["status"], r["entity"], r["customer"],
                r["period"], r["net"], r["tax"], r["total"], r["currency"],
                r["void_reason"] or "") for r in rows],
              right=["net", "tax", "total"])


@invoices_app.command("show")
def invoices_show(invoice_id: int, as_json: JsonOpt = False) -> None:
    """One invoice with its lines, each linked to the entries it bills."""
    with session() as hb:
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
                ln["amount"], len(ln["entries"]),
                f"{ln['rate_card']}/{ln['rate_row']} ({ln['rate_rule']}, v"
                f"{ln['contract_version']})") for ln in inv["lines"]],
              right=["hours", "rate", "amount", "entries"])
        console.print(f"net {inv['net']}  tax {inv['tax']} ({inv['tax_code']})  "
                      f"total {inv['total']} {inv['currency']}")
        if inv["status"] == "void":
            console.print(f"[bold]void[/bold] since {inv['void_date'] or inv['voided_at'][:10]}"
                          f" by {inv['voided_by']}: {inv['void_reason']}")


@invoices_app.command("void")
def invoices_void(
    invoice_id: Annotated[int, typer.Argument(help="The draft or issued invoice to void.")],
    reason: Annotated[str, typer.Option(help="Why (kept on the invoice).")],
    on: Annotated[str | None, typer.Option("--date", help="Void date (default today).")]
    = None,
    actor: Annotated[str, typer.Option(help="Who voids.")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Void a draft, or an issued invoice nothing credits yet in an open period: the number
    stays in the sequence as void, the posting is reversed and the work bills again.
    Otherwise (credited, closed period) issue a credit note instead."""
    with session() as hb:
        report = hb.handle(c.VoidInvoice(invoice_id, actor, reason, _date(on, "--date")))
        if as_json:
            print_json(report.as_dict())
            return
        what = f"invoice {report.number}" if report.number else f"draft {report.id}"
        console.print(f"{what} is void: {report.entries} entries "
                      f"({report.seconds / 3600:.2f} h) bill again"
                      + (f", WIP restored {report.wip_restored}, reversal {report.journal_key}"
                         if report.journal_key else ""))


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
    on: Annotated[str | None, typer.Option("--date", help="Issue date (default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue drafts: gapless numbers per legal entity, receivables booked."""
    with session() as hb:
        report = hb.handle(c.IssueInvoices(tuple(ids or ()), all_drafts, entity,
                                               _date(on, "--date")))
        if as_json:
            print_json(report.as_dict())
            return
        table("issued", ["id", "number", "customer", "total", "cur", "due"],
              [(i["id"], i["number"], i["customer"], i["total"], i["currency"], i["due_date"])
               for i in report.issued], right=["total"])


def _seconds(hours: str) -> int | None:
    """Decimal hours as whole seconds, or None when they are not a whole number of seconds."""
    try:
        seconds = Decimal(hours) * 3600
    except InvalidOperation:
        return None
    return int(seconds) if seconds.is_finite() and seconds == int(seconds) else None


def _credit_lines(specs: list[str]) -> tuple[tuple[int, int], ...]:
    out = []
    for spec in specs:
        line, sep, amount = spec.partition("=")
        seconds = _seconds(amount) if sep else 0  # LINE alone: the whole line
        if not line.isdigit() or seconds is None or (sep and seconds <= 0):
            raise InvalidInput(f"--line {spec!r}: write LINE=HOURS, e.g. 2=1.5 (whole "
                               "seconds), or LINE for all that is left of a line")
        out.append((int(line), seconds))
    return tuple(out)


@invoices_app.command("credit")
def invoices_credit(
    invoice_id: Annotated[int, typer.Argument(help="The issued invoice to credit.")],
    reason: Annotated[str, typer.Option(help="Why (kept on the credit note).")],
    line: Annotated[list[str] | None, typer.Option(
        help="LINE=HOURS to credit part of a line, LINE for all of it (fees, milestones "
             "and expenses credit whole); repeatable; none: everything left.")]
    = None,
    mode: Annotated[str, typer.Option(
        help="rebill (the work bills again) or write_off (it never will).")] = "rebill",
    on: Annotated[str | None, typer.Option("--date", help="Credit date (default today).")]
    = None,
    actor: Annotated[str, typer.Option(help="Who credits.")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Issue a credit note that releases exactly the quantities it credits."""
    with session() as hb:
        report = hb.handle(c.IssueCreditNote(
            invoice_id, actor, reason, _credit_lines(line or []), mode, _date(on, "--date")))
        if as_json:
            print_json(report.as_dict())
            return
        console.print(f"credit note {report.number} for invoice {report.invoice_number}: "
                      f"{report.net + report.tax} ({report.mode}, {report.entries} entries, "
                      f"{report.seconds / 3600:.2f} h)")


@exceptions_app.command("list")
def exceptions_list(
    status: Annotated[str, typer.Option(help="open, resolved, dismissed or all")] = "open",
    reason: Annotated[str | None, typer.Option(help="Reason code.")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner role.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Rows that could not be taken, with reason and owner role."""
    with session() as hb:
        q = hb.queries
        st = None if status == "all" else status
        rows = q.exceptions(status=st, reason=reason, owner=owner, limit=limit)
        if as_json:
            print_json({"by_reason": q.exceptions_by_reason(st), "items": rows})
            return
        table("exceptions by reason", ["reason", "count"],
              list(q.exceptions_by_reason(st).items()), right=["count"])
        table("exceptions", ["id", "reason", "owner", "where", "message"],
              [(r["id"], r["reason"], r["owner_role"], r["location"], r["message"])
               for r in rows])


@exceptions_app.command("retry")
def exceptions_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Ids (default: every open one).")] = None,
    actor: Annotated[str, typer.Option()] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Validate the kept rows again (after master data was fixed)."""
    with session() as hb:
        report = hb.handle(c.RetryExceptions(tuple(ids or ()), actor))
        if as_json:
            print_json(report.as_dict())
            return
        console.print(f"retried {report.retried}: {len(report.resolved)} resolved, "
                      f"{len(report.still_open)} still open")


@exceptions_app.command("dismiss")
def exceptions_dismiss(
    ids: Annotated[list[int], typer.Argument(help="Exception ids.")],
    note: Annotated[str, typer.Option(help="Why (kept with the record).")],
    actor: Annotated[str, typer.Option()] = "cli",
) -> None:
    """Close exceptions without taking the rows, with a note."""
    with session() as hb:
        n = hb.handle(c.DismissExceptions(tuple(ids), actor, note))
        console.print(f"dismissed {n}")


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="Drain what is due, then stop.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
) -> None:
    """Deliver outbox events (journal postings) to their sinks."""
    import time

    with session() as hb:
        while True:
            stats = hb.worker.drain()
            if stats.delivered or stats.retried or stats.dead or once:
                console.print(f"delivered {stats.delivered}, retried {stats.retried}, "
                              f"dead {stats.dead}")
            if once:
                return
            time.sleep(interval)


@deadletters_app.command("list")
def deadletters_list(as_json: JsonOpt = False) -> None:
    """Events that failed for good, with their last error."""
    with session() as hb:
        rows = hb.queries.dead_letters()
        if as_json:
            print_json(rows)
            return
        table("dead letters", ["id", "key", "type", "attempts", "last error"],
              [(r["id"], r["key"], r["type"], r["attempts"], r["last_error"]) for r in rows])


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


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Run the REST API (OpenAPI at /openapi.json) with an in-process worker."""
    import uvicorn

    # By name, not by import: the CLI and the API are siblings that do not import each other.
    uvicorn.run("hourbridge.api.app:app_from_environment", factory=True, host=host, port=port)


from .demo import demo  # noqa: E402  (registers the demo command)

app.command("demo")(demo)
