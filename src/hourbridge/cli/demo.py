"""``hourbridge demo``: a realistic firm run end to end on the configured database."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hourbridge.domain import commands as c

from .output import announce, cli_errors, console, err_console, print_json, table

# the generator, the formats (pydantic) and the composition root come with `hourbridge demo`
# run, not with every command line (start-up, issue 16)
if TYPE_CHECKING:
    from hourbridge.bootstrap import Hourbridge
    from hourbridge.demo.contract_models import ModelPlan


def _end_of_previous_month(day: date) -> date:
    first = day.replace(day=1)
    return first - timedelta(days=1)


def _hold_one_project(hb: Hourbridge, projects: list[str]) -> str | None:
    """A purchase order is missing for one engagement: its work waits (once, not per run)."""
    project = next((p for p in projects if not p.startswith("INTERNAL")), None)
    if project is None:
        return None
    if not any(h["scope"] == "project" and h["ref"] == project
               for h in hb.queries.holds(active_only=False)):
        hb.handle(c.PlaceHold("project", project, "missing_po", "demo",
                              "PO for the next phase not received"))
    return project


def _credit_two_invoices(hb: Hourbridge) -> list[dict[str, Any]]:
    """The first issued invoice had the wrong rate: credited in full, rebilled by the next
    run; the second gets half of its first line written off as goodwill. Once only."""
    documents = hb.queries.invoices()
    if any(d["kind"] == "credit_note" for d in documents):
        return []
    invoices = [d for d in documents if d["kind"] == "invoice" and d["status"] == "issued"]
    notes: list[dict[str, Any]] = []
    if invoices:
        notes.append(hb.handle(c.IssueCreditNote(
            invoices[0]["id"], "demo", "wrong rate on the invoice: credited and rebilled",
        )).as_dict())
    if len(invoices) > 1:
        detail = hb.queries.invoice(invoices[1]["id"])
        assert detail is not None
        line = detail["lines"][0]
        half = max(60, line["seconds"] // 2 // 60 * 60)  # whole minutes
        notes.append(hb.handle(c.IssueCreditNote(
            invoices[1]["id"], "demo", "goodwill: half of the first line written off",
            ((line["line_no"], half),), mode="write_off")).as_dict())
    return notes


def run_demo(hb: Hourbridge, seed: int, show_progress: bool) -> dict[str, Any]:
    from rich.progress import Progress

    from hourbridge.demo import generate_demo_firm
    from hourbridge.demo.contract_models import apply_contract_models, demo_expenses
    from hourbridge.formats import BundleDocument, to_domain
    from hourbridge.formats.timefile import TimeFile

    started = time.perf_counter()
    firm = generate_demo_firm(seed=seed)
    approve_to = firm.through - timedelta(days=7)  # the last week awaits its approvers
    bill_through = _end_of_previous_month(firm.through)
    models = apply_contract_models(firm.bundle, _demo_start(firm.through), firm.through)
    doc = BundleDocument.model_validate(firm.bundle)
    intake: dict[str, int] = defaultdict(int)
    approved = {"approved": 0, "billable": 0}
    wip_booked: dict[str, Decimal] = defaultdict(Decimal)
    with Progress(console=err_console, transient=True, disable=not show_progress) as progress:
        step = progress.add_task("load master data", total=1)
        masterdata = hb.handle(c.LoadMasterData(to_domain([("demo-bundle", doc)]))).counts
        progress.update(step, advance=1)
        step = progress.add_task("ingest time files", total=len(firm.time_files))
        for tf in firm.time_files:
            source = tf.filename.split("-", 1)[0]
            report = hb.handle(c.IngestTimeEntries(
                source, TimeFile.from_bytes(tf.filename, tf.media_type, tf.payload)))
            intake["files"] += 1
            intake["duplicate_payloads"] += int(report.duplicate_payload)
            for key in ("rows", "accepted", "revised", "unchanged", "rejected"):
                intake[key] += getattr(report, key)
            progress.update(step, advance=1)
        expenses = hb.handle(c.IngestExpenses("expensify", TimeFile.from_bytes(
            "expensify-report.csv", "text/csv",
            demo_expenses(firm.bundle, models, _demo_start(firm.through)),
            list_key="expenses")))
        intake["expenses"] = expenses.accepted + expenses.unchanged
        projects = sorted(p.code for p in doc.projects)
        step = progress.add_task("approve (per project manager)", total=len(projects))
        for code in projects:
            report = hb.handle(c.ApproveEntries(actor=f"pm:{code}", project=code,
                                                date_to=approve_to))
            approved["approved"] += report.approved
            approved["billable"] += report.billable
            for cur, amount in report.wip.items():
                wip_booked[cur] += amount
            progress.update(step, advance=1)
        hb.handle(c.ApproveExpenses("demo", date_to=approve_to))
        step = progress.add_task("bill, issue, credit, rebill, post", total=5)
        held = _hold_one_project(hb, projects)
        for contract, milestone, on in models.achievements:  # as the PSA reports them
            hb.handle(c.AchieveMilestone(contract, milestone, on, "psa", "accepted by client"))
        billing = hb.handle(c.RunBilling(bill_through))
        progress.update(step, advance=1)
        issued = hb.handle(c.IssueInvoices(all_drafts=True, actor="demo"))
        progress.update(step, advance=1)
        credits = _credit_two_invoices(hb)
        progress.update(step, advance=1)
        rebilled = hb.handle(c.RunBilling(bill_through))
        reissued = hb.handle(c.IssueInvoices(all_drafts=True, actor="demo"))
        # revenue through the billed month: cumulative, so one run covers the months before
        revenue = hb.handle(c.RunRevenue(bill_through.strftime("%Y-%m"), "demo")).as_dict()
        progress.update(step, advance=1)
        delivery = hb.worker.drain()
        progress.update(step, advance=1)
    return summary(hb, {
        "seed": seed,
        "period": {"through": firm.through.isoformat()},
        "master_data": masterdata,
        "intake": dict(intake),
        "approval": {**approved, "approved_through": approve_to.isoformat(),
                     "wip_booked": {k: str(v) for k, v in sorted(wip_booked.items())}},
        "billing": {"through": bill_through.isoformat(),
                    "invoices_created": len(billing.invoices),
                    "entries_billed": billing.entries_billed,
                    "not_billed": len(billing.skipped),
                    "entries_held": billing.held, "held": held,
                    "invoices_issued": len(issued.issued),
                    "credit_notes": credits,
                    "rebilled_invoices": len(rebilled.invoices),
                    "rebilled_issued": len(reissued.issued)},
        "delivery_this_run": delivery.as_dict(),
        "contract_models": _model_invoices(hb, models),
        "revenue": {"period": revenue["period"], "totals": revenue["totals"]},
    }, started)


def _demo_start(through: date) -> date:
    """The demo's first month: three months up to ``through``."""
    first = through.replace(day=1)
    for _ in range(2):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _model_invoices(hb: Hourbridge, models: ModelPlan) -> list[dict[str, Any]]:
    """Each contract model with the demo invoices that show it."""
    by_contract: dict[str, list[str]] = defaultdict(list)
    for inv in hb.queries.invoices():
        if inv["kind"] == "invoice" and inv["number"]:
            by_contract[inv["contract"]].append(inv["number"])
    return [{"model": model, "contract": contract, "invoices": by_contract.get(contract, [])}
            for model, contract in models.contracts.items()]


def summary(hb: Hourbridge, run: dict[str, Any], started: float) -> dict[str, Any]:
    q = hb.queries
    tb = q.trial_balance()
    zero: dict[str, str] = {}
    functional_zero: dict[str, str] = {}
    for row in tb:
        key = f"{row['entity']}/{row['currency']}"
        zero[key] = str(Decimal(zero.get(key, "0")) + Decimal(row["balance"]))
        key = f"{row['entity']}/{row['functional_currency']}"
        functional_zero[key] = str(Decimal(functional_zero.get(key, "0"))
                                   + Decimal(row["functional_balance"]))
    return {
        **run,
        "database": hb.database,
        "entries": q.entry_counts(),
        "inbox": q.inbox(),
        "exceptions_by_reason": q.exceptions_by_reason("open"),
        "invoices": q.invoice_totals(),
        "unbilled_approved_wip": q.unbilled_wip(),
        "intercompany": q.intercompany(limit=0)["totals"],
        "day_rounding": q.day_rounding(),
        "outbox": q.outbox_counts(),
        "trial_balance": tb,
        "trial_balance_sum": zero,
        "functional_trial_balance_sum": functional_zero,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _print(s: dict[str, Any]) -> None:
    i = s["intake"]
    console.print(f"[bold]Hourbridge demo[/bold] on {s['database']} (seed {s['seed']}), "
                  f"work through {s['period']['through']}")
    console.print(f"entries in: {i['rows']} rows in {i['files']} files "
                  f"({i['duplicate_payloads']} re-sent payload ignored): {i['accepted']} "
                  f"accepted, {i['rejected']} to the exception queue, {i['unchanged']} unchanged")
    table("exceptions by reason (open)", ["reason", "count"],
          list(s["exceptions_by_reason"].items()), right=["count"])
    a = s["approval"]
    console.print(f"approved {a['approved']} entries through {a['approved_through']} "
                  f"({a['billable']} billable), WIP booked "
                  f"{', '.join(f'{v} {k}' for k, v in a['wip_booked'].items()) or '-'}")
    b = s["billing"]
    console.print(f"billing through {b['through']}: {b['invoices_created']} invoices for "
                  f"{b['entries_billed']} entries; issued {b['invoices_issued']}; "
                  f"{b['entries_held']} entries held (project {b['held']}, missing PO)")
    for note in b["credit_notes"]:
        console.print(f"credit note {note['number']} on {note['invoice_number']}: "
                      f"{note['total']} ({note['mode']})")
    if b["rebilled_invoices"]:
        console.print(f"rebilled {b['rebilled_invoices']} invoice(s) after the credit")
    table("invoices per entity and currency", ["entity", "cur", "kind", "status", "count",
                                               "net", "tax", "total"],
          [(r["entity"], r["currency"], r["kind"].replace("_", " "), r["status"], r["count"],
            r["net"], r["tax"], r["total"]) for r in s["invoices"]],
          right=["count", "net", "tax", "total"])
    table("unbilled approved WIP", ["entity", "cur", "state", "entries", "hours", "amount"],
          [(r["entity"], r["currency"], r["billing"], r["entries"], r["hours"], r["amount"])
           for r in s["unbilled_approved_wip"]], right=["entries", "hours", "amount"])
    for r in s["intercompany"]:
        console.print(f"intercompany {r['seller']} -> {r['buyer']}: {r['charges']} charges, "
                      f"{r['hours']} h, {r['amount']} {r['currency']} ({r['status']}"
                      + (": the buyer's side waits for FX conversion)"
                         if r["status"] == "awaiting_fx" else ")"))
    d = s["day_rounding"]
    console.print(f"per-day rounding: {d['contracts']} contract(s), {d['days']} days, "
                  f"{d['entries']} entries: {d['worked_hours']} h worked billed as "
                  f"{d['billable_hours']} h")
    table("trial balance", ["entity", "cur", "account", "debit", "credit", "balance",
                            "functional"],
          [(r["entity"], r["currency"], r["account"], r["debit"], r["credit"], r["balance"],
            f"{r['functional_balance']} {r['functional_currency']}")
           for r in s["trial_balance"]], right=["debit", "credit", "balance", "functional"])
    console.print("trial balance sum per entity/currency: " + ", ".join(
        f"{k} {v}" for k, v in s["trial_balance_sum"].items()))
    for cur, t in s["revenue"]["totals"].items():
        console.print(f"revenue on fees through {s['revenue']['period']} ({cur}): recognised "
                      f"{t['recognised_to_date']}, billed {t['billed_to_date']}, deferred "
                      f"{t['deferred']}, unbilled {t['unbilled']}")
    table("contract models and the invoices that show them", ["model", "contract", "invoices"],
          [(m["model"].replace("_", " "), m["contract"], ", ".join(m["invoices"]) or "-")
           for m in s["contract_models"]])
    console.print("functional trial balance sum per entity: " + ", ".join(
        f"{k} {v}" for k, v in s["functional_trial_balance_sum"].items()))
    console.print(f"outbox: {s['outbox']}   took {s['seconds']} s")


def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Drop all data first.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the generated firm.")] = 7,
) -> None:
    """Build a demo firm and run load → ingest → approve → bill → issue → post; print a summary."""
    from hourbridge.dbsetup import open_database

    with cli_errors():
        hb = open_database(announce=announce, upgrade_any=True)
        try:
            if reset:
                hb.reset()
            s = run_demo(hb, seed, show_progress=not as_json)
        finally:
            hb.close()
        if as_json:
            print_json(s)
        else:
            _print(s)
        if any(Decimal(v) != 0 for v in (*s["trial_balance_sum"].values(),
                                         *s["functional_trial_balance_sum"].values())):
            err_console.print("[red]trial balance is not zero[/red]")
            raise typer.Exit(1)
