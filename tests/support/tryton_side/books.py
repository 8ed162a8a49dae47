"""Set up, pay into and read back a Tryton 7.0 database in-process (run by the Tryton venv's
python, never imported by the project; see ``tests/support/tryton.py``).

    TRYTOND_DATABASE_URI=postgresql://... python books.py ACTION SPEC.json OUT.json

``setup``: per company (one per Hourbridge legal entity) the currency, the company, the
minimal chart of accounts, fiscal years with their sequences and monthly periods, accounts
with the codes the ERP profile names (receivable, revenue, tax, journal-entry accounts), the
taxes (by name, a percentage and their account), a cash account and an invoice payment method.
Writes each company's id and name.

``pay``: the customer pays: ``payments`` [{invoice, amount, date}] through the invoice's own
``pay_invoice`` (a payment move on the cash journal) and, when nothing is left to pay,
reconciled as the "Pay" wizard does (the invoice becomes ``paid``).

``read``: what Tryton holds per company: invoices and credit notes (count, untaxed, tax and
total per currency, states), journal entries not made by an invoice, and the balance of every
account with a code (posted moves only, debit - credit) as decimal strings.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any


def _transact(pool: Any, user: int, context: dict[str, Any], func: Any) -> Any:
    from trytond.transaction import Transaction, TransactionError
    from trytond.worker import run_task

    extras: dict[str, Any] = {}
    while True:
        with Transaction().start(pool.database_name, user, context=context,
                                 **extras) as transaction:
            try:
                result = func()
            except TransactionError as exc:
                transaction.rollback()
                transaction.tasks.clear()
                exc.fix(extras)
                continue
            transaction.commit()
        while transaction.tasks:
            run_task(pool, transaction.tasks.pop())
        return result


def _company(pool: Any, spec: dict[str, Any], currency: Any) -> Any:
    from trytond.transaction import Transaction

    Party = pool.get("party.party")
    Company = pool.get("company.company")
    User = pool.get("res.user")
    party, = Party.create([{"name": spec["name"], "addresses": [("create", [{}])]}])
    company = Company(party=party, currency=currency)
    company.save()
    User.write([User(Transaction().user)], {"companies": [("add", [company.id])],
                                            "company": company.id})
    return company


def _chart(pool: Any, company: Any) -> None:
    ModelData = pool.get("ir.model.data")
    AccountTemplate = pool.get("account.account.template")
    Account = pool.get("account.account")
    CreateChart = pool.get("account.create_chart", type="wizard")
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
            account, = Account.search([(f"type.{kind}", "=", True),
                                       ("party_required", "=", True),
                                       ("company", "=", company.id)], limit=1)
            setattr(wizard.properties, f"account_{kind}", account)
    wizard.transition_create_properties()


def _fiscal_years(pool: Any, company: Any, years: list[int]) -> None:
    SequenceType = pool.get("ir.sequence.type")
    Sequence = pool.get("ir.sequence")
    SequenceStrict = pool.get("ir.sequence.strict")
    FiscalYear = pool.get("account.fiscalyear")
    move_type, = SequenceType.search([("name", "=", "Account Move")], limit=1)
    invoice_type, = SequenceType.search([("name", "=", "Invoice")], limit=1)
    for year in years:
        move_seq, = Sequence.create([{"name": f"{year}", "sequence_type": move_type.id,
                                      "company": company.id}])
        out_seq, credit_seq = SequenceStrict.create([
            {"name": f"{year} {kind}", "sequence_type": invoice_type.id,
             "company": company.id, "prefix": f"{prefix}{year}-"}
            for kind, prefix in (("invoices", "INV"), ("credit notes", "CN"))])
        fiscalyear, = FiscalYear.create([{
            "name": f"{year}", "company": company.id, "start_date": dt.date(year, 1, 1),
            "end_date": dt.date(year, 12, 31), "post_move_sequence": move_seq.id,
            "invoice_sequences": [("create", [{
                "company": company.id, "out_invoice_sequence": out_seq.id,
                "in_invoice_sequence": out_seq.id,
                "out_credit_note_sequence": credit_seq.id,
                "in_credit_note_sequence": credit_seq.id}])]}])
        FiscalYear.create_period([fiscalyear])


def _accounts(pool: Any, company: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Accounts with codes, typed like the minimal chart's: the receivable (reconciled, a
    party on each line), revenue, tax, cash, and the journal-entry accounts (current assets:
    a balance, no party)."""
    Account = pool.get("account.account")
    Type = pool.get("account.account.type")

    def kind(**flags: Any) -> Any:
        found = Type.search([("company", "=", company.id), *[(k, "=", v)
                                                             for k, v in flags.items()]],
                            order=[("id", "ASC")], limit=1)
        return found[0]

    types = {"receivable": kind(receivable=True), "revenue": kind(revenue=True),
             "tax": kind(name="Tax"), "cash": kind(name="Cash"),
             "other": kind(name="Current", statement="balance")}
    out = {}
    for group, codes in spec["accounts"].items():
        for code in codes:
            if code in out:
                continue
            values = {"name": f"{group} {code}", "code": code, "company": company.id,
                      "type": types[group].id}
            if group == "receivable":
                values.update(reconcile=True, party_required=True)
            out[code], = Account.create([values])
    return out


def setup(pool: Any, spec: dict[str, Any]) -> dict[str, Any]:
    Currency = pool.get("currency.currency")
    Rate = pool.get("currency.currency.rate")
    Tax = pool.get("account.tax")
    Journal = pool.get("account.journal")
    Method = pool.get("account.invoice.payment.method")
    currencies = {}
    for cur in spec["currencies"]:
        currencies[cur["code"]], = Currency.create([{
            "name": cur["code"], "symbol": cur["code"], "code": cur["code"],
            "rounding": Decimal("0.01"), "digits": 2}])
        Rate.create([{"currency": currencies[cur["code"]].id, "rate": Decimal(cur["rate"]),
                      "date": dt.date(1970, 1, 1)}])
    User = pool.get("res.user")
    # this database's password, drawn anew; and the admin sees the records of every company
    # it belongs to (Tryton's default shows only the current one's), as an accountant
    # posting for several companies through the API does
    User.write([User(1)], {"password": spec["password"], "company_filter": "all"})
    cash_journal, = Journal.search([("code", "=", "CASH")], limit=1)
    out = []
    for cspec in spec["companies"]:
        from trytond.transaction import Transaction

        company = _company(pool, cspec, currencies[cspec["currency"]])
        with Transaction().set_context(company=company.id, companies=[company.id]):
            _chart(pool, company)
            _fiscal_years(pool, company, spec["years"])
            accounts = _accounts(pool, company, cspec)
            for tax in cspec["taxes"]:
                account = accounts[tax["account"]]
                Tax.create([{"name": tax["name"], "description": tax["name"],
                             "company": company.id, "type": "percentage",
                             "rate": Decimal(tax["rate"]), "invoice_account": account.id,
                             "credit_note_account": account.id}])
            cash = accounts[cspec["cash_account"]]
            method, = Method.create([{"name": "Bank", "company": company.id,
                                      "journal": cash_journal.id, "debit_account": cash.id,
                                      "credit_account": cash.id}])
        out.append({"name": cspec["name"], "id": company.id, "payment_method": method.id})
    return {"companies": out}


def pay(pool: Any, spec: dict[str, Any]) -> dict[str, Any]:
    from trytond.transaction import Transaction

    Invoice = pool.get("account.invoice")
    Method = pool.get("account.invoice.payment.method")
    Line = pool.get("account.move.line")
    done = []
    for p in spec["payments"]:
        invoice = Invoice(p["invoice"])
        company = invoice.company.id
        with Transaction().set_context(company=company, companies=[company]):
            method, = Method.search([("company", "=", company)], limit=1)
            invoice.pay_invoice(Decimal(p["amount"]), method, dt.date.fromisoformat(p["date"]))
            invoice = Invoice(invoice.id)
            if invoice.amount_to_pay == 0:
                lines = [ln for ln in invoice.payment_lines + invoice.lines_to_pay
                         if not ln.reconciliation]
                Line.reconcile(lines)
                Invoice.process([invoice])  # what the reconciliation queues: now "paid"
            invoice = Invoice(invoice.id)
            done.append({"invoice": invoice.id, "state": invoice.state,
                         "amount_to_pay": str(invoice.amount_to_pay)})
    return {"paid": done}


def read(pool: Any, spec: dict[str, Any]) -> dict[str, Any]:
    from trytond.transaction import Transaction

    Company = pool.get("company.company")
    Invoice = pool.get("account.invoice")
    Move = pool.get("account.move")
    Line = pool.get("account.move.line")
    out = []
    for company in Company.search([], order=[("id", "ASC")]):
        with Transaction().set_context(company=company.id, companies=[company.id]):
            docs: dict[str, dict[str, Any]] = {}
            for inv in Invoice.search([("company", "=", company.id), ("type", "=", "out")]):
                kind = "credit_note" if inv.total_amount < 0 else "invoice"
                key = f"{kind}/{inv.currency.code}"
                d = docs.setdefault(key, {"count": 0, "untaxed": Decimal(0),
                                          "tax": Decimal(0), "total": Decimal(0),
                                          "states": defaultdict(int)})
                d["count"] += 1
                d["untaxed"] += inv.untaxed_amount
                d["tax"] += inv.tax_amount
                d["total"] += inv.total_amount
                d["states"][inv.state] += 1
            moves = Move.search([("company", "=", company.id), ("origin", "=", None),
                                 ("journal.code", "!=", "CASH")])
            balances: dict[str, Decimal] = defaultdict(Decimal)  # company currency
            by_currency: dict[str, Decimal] = defaultdict(Decimal)  # "account/currency"
            entries: dict[str, Decimal] = defaultdict(Decimal)  # journal entries' lines
            for ln in Line.search([("move.company", "=", company.id),
                                   ("move.state", "=", "posted")]):
                code = ln.account.code or f"#{ln.account.id}"
                balances[code] += ln.debit - ln.credit
                if ln.second_currency:
                    by_currency[f"{code}/{ln.second_currency.code}"] += (
                        ln.amount_second_currency)
                else:
                    by_currency[f"{code}/{company.currency.code}"] += ln.debit - ln.credit
                if ln.move.origin is None and ln.move.journal.code != "CASH":
                    entries[code] += ln.debit - ln.credit
            out.append({
                "company": company.party.name, "id": company.id,
                "currency": company.currency.code,
                "documents": {k: {**v, "untaxed": str(v["untaxed"]), "tax": str(v["tax"]),
                                  "total": str(v["total"]), "states": dict(v["states"])}
                              for k, v in sorted(docs.items())},
                "journal_entries": len(moves),
                "journal_entries_posted": sum(m.state == "posted" for m in moves),
                "balances": {k: str(v) for k, v in sorted(balances.items())},
                "balances_by_currency": {k: str(v) for k, v in sorted(by_currency.items())},
                "entry_balances": {k: str(v) for k, v in sorted(entries.items())},
            })
    return {"companies": out}


ACTIONS = {"setup": setup, "pay": pay, "read": read}


def main(argv: list[str]) -> int:
    action, spec_path, out_path = argv[1], Path(argv[2]), Path(argv[3])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(spec["database"])
    with Transaction().start(spec["database"], 0, readonly=True):
        pool.init()
    context: dict[str, Any] = {}
    if action != "setup":
        User = pool.get("res.user")
        context = _transact(pool, 1, {}, lambda: User.get_preferences(context_only=True))
    result = _transact(pool, 1, context, lambda: ACTIONS[action](pool, spec))
    out_path.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
