"""The Tryton 7.0 sink: customers as ``party.party``, invoices and credit notes as
``account.invoice`` (type ``out``; a credit note is an out invoice of negative quantities, as
Tryton keeps them) with lines and taxes, posted with ``post``; journal entries as
``account.move`` (created, then ``post``); payments read back from the invoice's ``state``,
``amount_to_pay`` and its payment and reconciliation lines.

External ids sit in fields Tryton has: a party's ``code``, an invoice's ``reference``, a
move's ``description``; so a lookup by external id is one ``search``. Tryton's own names
(the company by its party's name, accounts by ``code``, taxes by ``name``, journals by
``code``, currencies by ``code``) are resolved once per sink and kept: a profile names what
a bookkeeper sees, never a database id.

The login must belong to every company its profiles name, with its company filter on "all"
(Tryton's record rules otherwise show only the user's current company's records).

A ``UserWarning`` on posting (Tryton asks whether to post an invoice whose payment date is
already past, as an issued invoice posted later is) is confirmed the way its client does:
a ``res.user.warning`` for that key, then the call again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from hourbridge.domain.erp import (
    ErpDocument,
    ErpParty,
    ErpPayment,
    ErpRecord,
    PaymentState,
)
from hourbridge.domain.iso4217 import MINOR_UNITS

from .rpc import ErpRefused, TrytonRpc, TrytonWarning

INVOICE_KINDS = ("invoice", "credit_note")
# the digits Tryton keeps by default: a line's quantity without a unit (2), a unit price
# (trytond's ``price_decimal``, 4)
QUANTITY_STEP, PRICE_STEP = Decimal("0.01"), Decimal("0.0001")
PAYMENT_FIELDS = ["state", "amount_to_pay", "total_amount", "currency", "payment_lines",
                  "reconciliation_lines", "number"]


def _minor(currency: str) -> Decimal:
    """One minor unit of ``currency``: Tryton refuses more digits than the currency has,
    trailing zeros included."""
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


class TrytonSink:
    def __init__(self, rpc: TrytonRpc) -> None:
        self.rpc = rpc
        self._ids: dict[tuple[str, ...], int] = {}

    # --- names to ids ---------------------------------------------------------------------
    def _id(self, model: str, domain: list[Any], what: str, company: int | None = None) -> int:
        key = (model, repr(domain), str(company))
        if key not in self._ids:
            found = self.rpc.call(f"model.{model}.search", domain, 0, 1, None,
                                  self._context(company))
            if not found:
                raise ErpRefused(f"Tryton has no {what} ({model} {domain}); fix the ERP "
                                 "profile or the ERP")
            self._ids[key] = int(found[0])
        return self._ids[key]

    def _context(self, company: int | None) -> dict[str, Any]:
        return {} if company is None else {"company": company, "companies": [company]}

    def _company(self, name: str) -> int:
        return self._id("company.company", [["party.name", "=", name]], f"company {name!r}")

    def _account(self, code: str, company: int) -> int:
        return self._id("account.account", [["code", "=", code], ["company", "=", company]],
                        f"account {code!r}", company)

    # --- customers ------------------------------------------------------------------------
    def push_customer(self, party: ErpParty, company: str) -> str:
        key = ("party.party", party.external_id)
        if key not in self._ids:
            ctx = self._context(self._company(company))
            found = self.rpc.call("model.party.party.search",
                                  [["code", "=", party.external_id]], 0, 1, None, ctx)
            if found:
                self._ids[key] = int(found[0])
            else:
                vals: dict[str, Any] = {"name": party.name, "code": party.external_id,
                                        "addresses": [["create", [{}]]]}
                if party.email:
                    vals["contact_mechanisms"] = [["create", [{"type": "email",
                                                               "value": party.email}]]]
                # an answer lost here leaves the party in Tryton: the next attempt's search
                # by code finds it, so it is not created twice
                [created] = self.rpc.call("model.party.party.create", [vals], ctx,
                                          write=True)
                self._ids[key] = int(created)
        return str(self._ids[key])

    # --- documents ------------------------------------------------------------------------
    def push_document(self, doc: ErpDocument) -> ErpRecord:
        company = self._company(doc.company)
        ctx = self._context(company)
        if doc.kind == "journal_entry":
            [move] = self.rpc.call("model.account.move.create", [self._move(doc, company)],
                                   ctx, write=True)
            return self.confirm(doc.kind, ErpRecord(str(move), draft=True))
        [invoice] = self.rpc.call("model.account.invoice.create",
                                  [self._invoice(doc, company)], ctx, write=True)
        return self.confirm(doc.kind, ErpRecord(str(invoice), draft=True))

    def _invoice(self, doc: ErpDocument, company: int) -> dict[str, Any]:
        assert doc.partner is not None
        ctx = self._context(company)
        party = int(self.push_customer(doc.partner, doc.company))
        if ("address", str(party)) not in self._ids:
            [row] = self.rpc.call("model.party.party.read", [party], ["addresses"], ctx)
            if not row["addresses"]:
                raise ErpRefused(f"Tryton party {party} has no address to invoice")
            self._ids[("address", str(party))] = int(row["addresses"][0])
        address = self._ids[("address", str(party))]
        currency = self._id("currency.currency", [["code", "=", doc.currency]],
                            f"currency {doc.currency!r}")
        sign = Decimal(-1) if doc.kind == "credit_note" else Decimal(1)
        tax: int | None = None
        lines = []
        for ln in doc.lines:
            quantity, price = ln.quantity, ln.unit_price
            if (quantity != quantity.quantize(QUANTITY_STEP)
                    or price != price.quantize(PRICE_STEP)):
                # more digits than Tryton keeps: one unit of the line's amount, so its
                # total is the line's to the cent
                quantity, price = Decimal(1), ln.amount
            # Tryton counts the digits written: 150.00000000 is too many for 4
            quantity, price = quantity.quantize(QUANTITY_STEP), price.quantize(PRICE_STEP)
            line: dict[str, Any] = {
                "type": "line", "description": ln.description,
                "quantity": quantity * sign, "unit_price": price,
                "account": self._account(ln.account, company), "currency": currency,
                "company": company}
            if ln.tax:
                tax = self._id("account.tax", [["name", "=", ln.tax],
                                               ["company", "=", company]],
                               f"tax {ln.tax!r}", company)
                line["taxes"] = [["add", [tax]]]
            lines.append(line)
        taxes = []
        if tax is not None:
            # the tax as issued: Tryton keeps a tax line whose account, tax and base are
            # what it computes, with its amount (Tryton rounds half to even, the issued
            # document half up: a cent apart on some documents otherwise)
            cent = _minor(doc.currency)
            base = (sign * doc.net).quantize(cent)
            side = "invoice_account" if base >= 0 else "credit_note_account"
            if (side, str(tax)) not in self._ids:
                [acc] = self.rpc.call("model.account.tax.read", [tax],
                                      ["invoice_account", "credit_note_account"], {})
                for name in ("invoice_account", "credit_note_account"):
                    self._ids[(name, str(tax))] = int(acc[name])
            taxes.append({"tax": tax, "base": base, "amount": (sign * doc.tax).quantize(cent),
                          "account": self._ids[(side, str(tax))],
                          "description": doc.lines[0].tax, "manual": False})
        vals: dict[str, Any] = {
            "type": "out", "company": company, "party": party,
            "invoice_address": address, "currency": currency,
            "journal": self._id("account.journal", [["code", "=", doc.journal]],
                                f"journal {doc.journal!r}"),
            "account": self._account(self._receivable(doc), company),
            "invoice_date": doc.date, "reference": doc.external_id,
            "description": " ".join(filter(None, [doc.memo, doc.reference])),
            "lines": [["create", lines]]}
        if taxes:
            vals["taxes"] = [["create", taxes]]
        if doc.due_date:
            vals["payment_term_date"] = doc.due_date
        return vals

    def _receivable(self, doc: ErpDocument) -> str:
        if not doc.receivable:
            raise ErpRefused(f"{doc.external_id}: no receivable account (queued before the "
                             "profile named one; push it again)")
        return doc.receivable

    def _move(self, doc: ErpDocument, company: int) -> dict[str, Any]:
        period = self._id("account.period", [["company", "=", company],
                                             ["start_date", "<=", doc.date],
                                             ["end_date", ">=", doc.date],
                                             ["type", "=", "standard"]],
                          f"open period on {doc.date}", company)
        lines = []
        for ln in doc.lines:
            cent = _minor(doc.currency)
            line: dict[str, Any] = {"account": self._account(ln.account, company),
                                    "debit": ln.debit.quantize(cent),
                                    "credit": ln.credit.quantize(cent),
                                    "description": ln.description}
            if ln.currency is not None and ln.amount_currency is not None:
                line["second_currency"] = self._id(
                    "currency.currency", [["code", "=", ln.currency]],
                    f"currency {ln.currency!r}")
                line["amount_second_currency"] = ln.amount_currency.quantize(
                    _minor(ln.currency))
            lines.append(line)
        return {"company": company, "period": period, "date": doc.date,
                "journal": self._id("account.journal", [["code", "=", doc.journal]],
                                    f"journal {doc.journal!r}"),
                "description": doc.external_id, "lines": [["create", lines]]}

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        model = "account.move" if kind == "journal_entry" else "account.invoice"
        self._post(model, int(record.erp_id))
        [row] = self.rpc.call(f"model.{model}.read", [int(record.erp_id)],
                              ["number", "state"], {})
        return ErpRecord(record.erp_id, draft=row["state"] not in ("posted", "paid"),
                         number=row["number"])

    def _post(self, model: str, erp_id: int) -> None:
        if model == "account.invoice":
            # confirm ahead the one warning posting an issued (back-dated) invoice raises:
            # its key is Tryton's (``res.user.warning.format``: md5 of the records, then
            # the name); were it another, the loop below confirms what Tryton names
            digest = hashlib.md5(f"{model},{erp_id}".encode(), usedforsecurity=False)
            self._confirm_warning(f"{digest.hexdigest()}.invoice_payment_term")
        for _ in range(3):
            try:
                self.rpc.call(f"model.{model}.post", [erp_id], {}, write=True)
                return
            except TrytonWarning as warning:
                self._confirm_warning(warning.name)
        raise ErpRefused(f"Tryton kept warning on posting {model} {erp_id}")

    def _confirm_warning(self, name: str) -> None:
        self.rpc.call("model.res.user.warning.create",
                      [{"user": self.rpc.user, "name": name, "always": False}], {},
                      write=True)

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        if kind == "journal_entry":
            model, domain = "account.move", [["description", "=", external_id]]
        else:
            model, domain = "account.invoice", [["reference", "=", external_id],
                                                ["type", "=", "out"]]
        found = self.rpc.call(f"model.{model}.search", domain, 0, 1, None, {})
        if not found:
            return None
        [row] = self.rpc.call(f"model.{model}.read", [int(found[0])], ["number", "state"], {})
        return ErpRecord(str(found[0]), draft=row["state"] not in ("posted", "paid"),
                         number=row["number"])

    # --- payments -------------------------------------------------------------------------
    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        if kind not in INVOICE_KINDS:
            return PaymentState("not_paid")
        rows = self.rpc.call("model.account.invoice.read", [int(erp_id)], PAYMENT_FIELDS, {})
        if not rows:
            raise ErpRefused(f"Tryton has no account.invoice {erp_id}")
        inv = rows[0]
        total, to_pay = abs(Decimal(inv["total_amount"])), abs(Decimal(inv["amount_to_pay"]))
        line_ids = sorted(set(inv["payment_lines"]) | set(inv["reconciliation_lines"]))
        payments = []
        if line_ids:
            for ln in self.rpc.call("model.account.move.line.read", line_ids,
                                    ["date", "debit", "credit", "second_currency",
                                     "amount_second_currency", "move_origin"], {}):
                if ln["second_currency"] == inv["currency"] and ln["amount_second_currency"]:
                    amount = abs(Decimal(ln["amount_second_currency"]))
                else:
                    amount = abs(Decimal(ln["debit"]) - Decimal(ln["credit"]))
                paid_on = ln["date"]
                assert isinstance(paid_on, dt.date)
                # a line of another invoice's move (a credit note applied, or the invoice
                # it was applied to) is an offset, anything else a payment
                origin = str(ln.get("move_origin") or "")
                payments.append(ErpPayment(str(ln["id"]), paid_on, amount,
                                           "offset" if origin.startswith("account.invoice,")
                                           else "payment"))
        state = inv["state"]
        if state == "paid" or (state == "posted" and to_pay == 0 and total != 0):
            ours = "paid"
        elif state == "cancelled":
            ours = "reversed"
        elif state == "posted" and to_pay < total:
            ours = "partial"
        else:
            ours = "not_paid"
        return PaymentState(ours, Decimal(0) if ours == "paid" else to_pay, tuple(payments))
