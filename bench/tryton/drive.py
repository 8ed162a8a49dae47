"""Drive Tryton 7.0 in-process for the "peer" benchmark (see bench/peer_tryton.py).

Run by the Tryton venv's interpreter, never imported by the project:

    bench/.tryton-venv/bin/python bench/tryton/drive.py SPEC.json

SPEC.json (written by bench/peer_sides.py) names the database (already created and with
``project_invoice`` activated by ``trytond-admin``), the master data and the canonical time
CSV. The script sets up company, currency, fiscal year, the minimal chart of accounts, an
account category, the "Consulting hour" product, the customer, the employees and one project
work per project (invoice method "timesheet", the work's list price = the project's hourly
rate); then, timed, creates one timesheet line per CSV row ("creation") and invoices the
projects with the project work's ``invoice`` button method ("invoicing"), and posts the
invoices (``account.invoice`` ``post``: "posting", the counterpart of issuing). It writes one JSON
object to ``spec["result_path"]`` (and stdout): timings, versions and the invoices read back.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("trytond", "trytond_account", "trytond_account_invoice", "trytond_project",
                 "trytond_timesheet", "trytond_project_invoice", "psycopg2-binary"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    return out


def _transact(pool: Any, user: int, context: dict[str, Any], func: Any,
              readonly: bool = False) -> tuple[Any, int]:
    """Run ``func()`` in one transaction the way Tryton's RPC dispatcher does: a
    ``TransactionError`` (a table or records lock the transaction must take from its start)
    rolls back and retries with that lock; then commit and run the tasks it queued.
    Returns the result and the number of retries."""
    from trytond.transaction import Transaction, TransactionError
    from trytond.worker import run_task

    extras: dict[str, Any] = {}
    retries = 0
    while True:
        with Transaction().start(pool.database_name, user, context=context,
                                 readonly=readonly, **extras) as transaction:
            try:
                result = func()
            except TransactionError as exc:
                transaction.rollback()
                transaction.tasks.clear()
                exc.fix(extras)
                retries += 1
                continue
            if not readonly:
                transaction.commit()
        while transaction.tasks:
            run_task(pool, transaction.tasks.pop())
        return result, retries


def _read_entries(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _setup(pool: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Master data, as an administrator would enter it; returns the ids the timed steps need."""
    from trytond.transaction import Transaction

    Currency = pool.get("currency.currency")
    Rate = pool.get("currency.currency.rate")
    Party = pool.get("party.party")
    Company = pool.get("company.company")
    Employee = pool.get("company.employee")
    User = pool.get("res.user")
    ModelData = pool.get("ir.model.data")
    AccountTemplate = pool.get("account.account.template")
    Account = pool.get("account.account")
    CreateChart = pool.get("account.create_chart", type="wizard")
    SequenceType = pool.get("ir.sequence.type")
    Sequence = pool.get("ir.sequence")
    SequenceStrict = pool.get("ir.sequence.strict")
    FiscalYear = pool.get("account.fiscalyear")
    Category = pool.get("product.category")
    Template = pool.get("product.template")
    PaymentTerm = pool.get("account.invoice.payment_term")
    Work = pool.get("project.work")

    fy_start = dt.date.fromisoformat(spec["fiscal_year"]["start"])
    fy_end = dt.date.fromisoformat(spec["fiscal_year"]["end"])
    cur = spec["currency"]
    usd, = Currency.create([{
        "name": cur["name"], "symbol": cur["symbol"], "code": cur["code"],
        "rounding": Decimal(cur["rounding"]), "digits": int(cur["digits"]),
    }])
    Rate.create([{"currency": usd.id, "rate": Decimal(1), "date": fy_start}])
    company_party, = Party.create([{
        "name": spec["company"]["name"], "addresses": [("create", [{}])]}])
    company = Company(party=company_party, currency=usd)
    company.save()
    User.write([User(Transaction().user)], {
        "companies": [("add", [company.id])], "company": company.id})
    context = User.get_preferences(context_only=True)

    with Transaction().set_context(context):
        # The minimal chart of accounts, through the "Create Chart" wizard's own transitions.
        template = AccountTemplate(ModelData.get_id("account", "account_template_root_en"))
        session_id, _, _ = CreateChart.create()
        wizard = CreateChart(session_id)
        wizard.account.account_template = template
        wizard.account.company = company
        wizard.transition_create_account()
        names = list(wizard.properties._fields.keys())
        defaults = wizard.states["properties"].get_defaults(wizard, "properties", names)
        for name, value in defaults.items():
            if name in wizard.properties._fields:
                setattr(wizard.properties, name, value)
        for kind in ("receivable", "payable"):
            if not getattr(wizard.properties, f"account_{kind}", None):
                account, = Account.search([
                    (f"type.{kind}", "=", True), ("party_required", "=", True),
                    ("company", "=", company.id)], limit=1)
                setattr(wizard.properties, f"account_{kind}", account)
        wizard.transition_create_properties()
        revenue, = Account.search([
            ("type.revenue", "=", True), ("closed", "!=", True),
            ("company", "=", company.id)], limit=1)

        # Fiscal year with its move and invoice sequences, and monthly periods.
        move_type, = SequenceType.search([("name", "=", "Account Move")], limit=1)
        invoice_type, = SequenceType.search([("name", "=", "Invoice")], limit=1)
        move_seq, = Sequence.create([{
            "name": str(fy_start.year), "sequence_type": move_type.id, "company": company.id}])
        invoice_seq, = SequenceStrict.create([{
            "name": str(fy_start.year), "sequence_type": invoice_type.id,
            "company": company.id}])
        fiscalyear, = FiscalYear.create([{
            "name": str(fy_start.year), "company": company.id, "start_date": fy_start,
            "end_date": fy_end, "post_move_sequence": move_seq.id,
            "invoice_sequences": [("create", [{
                "company": company.id,
                "out_invoice_sequence": invoice_seq.id,
                "in_invoice_sequence": invoice_seq.id,
                "out_credit_note_sequence": invoice_seq.id,
                "in_credit_note_sequence": invoice_seq.id,
            }])],
        }])
        FiscalYear.create_period([fiscalyear])

        # Product "Consulting hour" (service, unit Hour, revenue account through its category).
        category, = Category.create([{
            "name": "Consulting", "accounting": True, "account_revenue": revenue.id}])
        hour = ModelData.get_id("product", "uom_hour")
        template, = Template.create([{
            "name": spec["product"]["name"], "type": "service", "default_uom": hour,
            "list_price": Decimal(spec["product"]["list_price"]),
            "account_category": category.id, "products": [("create", [{}])],
        }])
        product, = template.products

        term, = PaymentTerm.create([{
            "name": "Net 30", "lines": [("create", [{"type": "remainder"}])]}])
        customer, = Party.create([{
            "name": spec["customer"]["name"], "addresses": [("create", [{}])],
            "customer_payment_term": term.id}])

        emp_parties = Party.create([
            {"name": e["id"], "addresses": [("create", [{}])]} for e in spec["employees"]])
        employees = Employee.create([
            {"party": p.id, "company": company.id} for p in emp_parties])

        works = Work.create([{
            "name": p["code"], "type": "project", "company": company.id,
            "party": customer.id, "project_invoice_method": "timesheet",
            "product": product.id, "list_price": Decimal(p["rate"]),
            "timesheet_available": True,
        } for p in spec["projects"]])
        return {
            "context": context,
            "company": company.id,
            "employees": {e["id"]: emp.id for e, emp in zip(spec["employees"], employees,
                                                          strict=True)},
            "works": {w.name: w.id for w in works},
            "timesheet_works": {w.name: w.timesheet_works[0].id for w in works},
        }


def _read_invoices(pool: Any) -> tuple[list[dict[str, Any]], int]:
    Invoice = pool.get("account.invoice")
    Line = pool.get("timesheet.line")
    invoices = []
    for inv in Invoice.search([("type", "=", "out")], order=[("id", "ASC")]):
        invoices.append({
            "id": inv.id, "description": inv.description, "state": inv.state,
            "currency": inv.currency.code, "untaxed_amount": str(inv.untaxed_amount),
            "tax_amount": str(inv.tax_amount), "total_amount": str(inv.total_amount),
            "lines": [{
                "description": ln.description, "quantity": ln.quantity,
                "unit": ln.unit.name if ln.unit else None,
                "unit_price": str(ln.unit_price), "amount": str(ln.amount),
            } for ln in inv.lines],
        })
    linked = Line.search([("invoice_line", "!=", None)], count=True)
    return invoices, linked


def run(spec: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("TRYTOND_DATABASE_URI", spec["database_uri"])
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    db = spec["database"]
    t0 = time.perf_counter()
    Pool.start()
    pool = Pool(db)
    with Transaction().start(db, 0, readonly=True):
        pool.init()
    pool_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    ids, setup_retries = _transact(pool, 1, {}, lambda: _setup(pool, spec))
    setup_seconds = time.perf_counter() - t0
    context = ids["context"]

    # Rows to create, prepared before the clock starts (Tryton gets them as Python values).
    company = ids["company"]
    values = [{
        "company": company,
        "employee": ids["employees"][row["employee"]],
        "work": ids["timesheet_works"][row["project"]],
        "date": dt.date.fromisoformat(row["date"]),
        "duration": dt.timedelta(minutes=int(row["minutes"])),
        "description": row["external_id"],
    } for row in _read_entries(Path(spec["entries_csv"]))]
    batch = int(spec.get("batch", 1000))

    Line = pool.get("timesheet.line")

    def create_lines() -> None:
        for i in range(0, len(values), batch):
            Line.create(values[i:i + batch])

    t0 = time.perf_counter()
    _, creation_retries = _transact(pool, 1, context, create_lines)
    creation_seconds = time.perf_counter() - t0

    Work = pool.get("project.work")
    work_ids = list(ids["works"].values())
    t0 = time.perf_counter()
    _, invoicing_retries = _transact(
        pool, 1, context, lambda: Work.invoice(Work.browse(work_ids)))
    invoicing_seconds = time.perf_counter() - t0

    # Issuing, Tryton's way: post every draft the invoicing made (number from the fiscal
    # year's strict sequence, the account move posted), as Hourbridge's ``invoices issue
    # --all`` numbers its drafts and books them; timed apart, so bill and bill + issue both
    # compare (issue 16). Tryton posts with today's date, inside the fiscal year set up above.
    Invoice = pool.get("account.invoice")

    def post_drafts() -> int:
        drafts = Invoice.search([("type", "=", "out"), ("state", "=", "draft")])
        Invoice.post(drafts)
        return len(drafts)

    t0 = time.perf_counter()
    posted, posting_retries = _transact(pool, 1, context, post_drafts)
    posting_seconds = time.perf_counter() - t0

    (invoices, linked), _ = _transact(pool, 1, context, lambda: _read_invoices(pool),
                                      readonly=True)

    return {
        "versions": _versions(),
        "python": sys.version.split()[0],
        "database": db,
        "lines": len(values),
        "batch": batch,
        "pool_init_seconds": round(pool_seconds, 3),
        "setup_seconds": round(setup_seconds, 3),
        "creation_seconds": creation_seconds,
        "invoicing_seconds": invoicing_seconds,
        "posting_seconds": posting_seconds,
        "invoices_posted": posted,
        "transaction_retries": {"setup": setup_retries, "creation": creation_retries,
                                 "invoicing": invoicing_retries, "posting": posting_retries},
        "lines_linked_to_invoices": linked,
        "invoices": invoices,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: drive.py SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    result = run(spec)
    text = json.dumps(result, indent=2, default=str)
    if spec.get("result_path"):
        Path(spec["result_path"]).write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
