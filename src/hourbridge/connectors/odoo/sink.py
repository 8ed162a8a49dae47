"""The Odoo 17+ sink: customers as ``res.partner``, invoices and credit notes as
``account.move`` (``move_type`` ``out_invoice`` / ``out_refund``) with ``invoice_line_ids``
and ``tax_ids``, journal entries as ``account.move`` ``entry`` with ``line_ids``; each posted
with ``action_post`` and its ``payment_state`` read back.

External ids sit in ``ref`` (a partner's "Internal Reference", a move's "Reference"), so a
lookup by external id is one ``search_read``. Odoo's own names (accounts by ``code``, taxes by
``name``, journals by ``code``, currencies by ``name``, countries by ``code``) are resolved
once per sink and kept: a profile names what a bookkeeper sees, never a database id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from hourbridge.domain.erp import (
    ErpCustomer,
    ErpDocument,
    ErpLine,
    ErpParty,
    ErpPayment,
    ErpProfile,
    ErpRecord,
    PaymentState,
)

from .rpc import ErpRefused, OdooRpc

PAGE = 200  # customers read per search_read
MOVE_TYPES = {"invoice": "out_invoice", "credit_note": "out_refund",
              "journal_entry": "entry"}
# Odoo 17 account.move.payment_state values -> ours; in_payment: paid, not yet reconciled
PAYMENT_STATES = {"not_paid": "not_paid", "partial": "partial", "in_payment": "paid",
                  "paid": "paid", "reversed": "reversed", "invoicing_legacy": "paid"}


def _amount(value: Decimal) -> float:
    # JSON-RPC carries numbers only; Odoo keeps amounts as floats rounded to the currency
    return float(value)


class OdooSink:
    def __init__(self, rpc: OdooRpc) -> None:
        self.rpc = rpc
        self._ids: dict[tuple[str, str], int] = {}

    def _id(self, model: str, field: str, value: str, what: str) -> int:
        """The id of the ``model`` record whose ``field`` is ``value`` (kept once found)."""
        key = (model, f"{field}={value}")
        if key not in self._ids:
            found = self.rpc.execute(model, "search", [[[field, "=", value]]], {"limit": 1})
            if not found:
                raise ErpRefused(f"Odoo has no {what} {value!r} ({model}.{field}); fix the "
                                 "ERP profile or the ERP")
            self._ids[key] = int(found[0])
        return self._ids[key]

    def close(self) -> None:
        self.rpc.close()

    def push_customer(self, party: ErpParty, company: str) -> str:
        if party.erp_id:  # the identity map's match
            return party.erp_id
        key = ("res.partner", party.external_id)
        if key in self._ids:
            return str(self._ids[key])
        found = self.rpc.execute("res.partner", "search", [[["ref", "=", party.external_id]]],
                                 {"limit": 1})
        if found:
            self._ids[key] = int(found[0])
        else:
            vals: dict[str, Any] = {"name": party.name, "ref": party.external_id,
                                    "is_company": True, "customer_rank": 1}
            if party.vat_id:
                vals["vat"] = party.vat_id
            if party.email:
                vals["email"] = party.email
            if party.country:
                vals["country_id"] = self._id("res.country", "code", party.country, "country")
            # an answer lost here leaves the partner in Odoo: the next attempt's search by
            # ref finds it, so it is not created twice
            self._ids[key] = int(self.rpc.execute("res.partner", "create", [vals],
                                                  write=True))
        return str(self._ids[key])

    def _move(self, doc: ErpDocument) -> dict[str, Any]:
        vals: dict[str, Any] = {
            "move_type": MOVE_TYPES[doc.kind], "ref": doc.external_id,
            "date": doc.date.isoformat(),
            "journal_id": self._id("account.journal", "code", doc.journal, "journal"),
            "currency_id": self._id("res.currency", "name", doc.currency, "currency"),
        }
        if doc.kind == "journal_entry":
            vals["line_ids"] = [(0, 0, self._entry_line(ln)) for ln in doc.lines]
            return vals
        assert doc.partner is not None
        vals.update({
            "partner_id": int(self.push_customer(doc.partner, doc.company)),
            "invoice_date": doc.date.isoformat(),
            "payment_reference": doc.number or doc.memo,
        })
        if doc.due_date:
            vals["invoice_date_due"] = doc.due_date.isoformat()
        vals["invoice_line_ids"] = [(0, 0, {
            "name": ln.description, "quantity": _amount(ln.quantity),
            "price_unit": _amount(ln.unit_price),
            "account_id": self._id("account.account", "code", ln.account, "account"),
            # (6, 0, ids): replace the line's taxes with exactly these (Odoo x2many commands)
            "tax_ids": [(6, 0, [self._id("account.tax", "name", ln.tax, "tax")]
                         if ln.tax else [])],
        }) for ln in doc.lines]
        return vals

    def _entry_line(self, ln: ErpLine) -> dict[str, Any]:
        """A journal item: debit/credit in the company's currency; a line in another
        currency also carries its own signed ``amount_currency`` and ``currency_id``."""
        line: dict[str, Any] = {
            "name": ln.description, "debit": _amount(ln.debit), "credit": _amount(ln.credit),
            "account_id": self._id("account.account", "code", ln.account, "account")}
        if ln.currency is not None and ln.amount_currency is not None:
            line["currency_id"] = self._id("res.currency", "name", ln.currency, "currency")
            line["amount_currency"] = _amount(ln.amount_currency)
        return line

    def find_many(self, kind: str, external_ids: Sequence[str]) -> dict[str, ErpRecord]:
        """One ``search_read`` for all of them (domain ``ref in [...]``)."""
        rows = self.rpc.execute("account.move", "search_read",
                                [[["ref", "in", list(external_ids)],
                                  ["move_type", "=", MOVE_TYPES[kind]]]],
                                {"fields": ["ref", "name", "state"]})
        return {str(r["ref"]): ErpRecord(str(r["id"]), draft=r["state"] == "draft",
                                         number=r["name"]) for r in rows}

    def create_many(self, docs: Sequence[ErpDocument]) -> list[ErpRecord]:
        """One ``create`` with a list of values (``create(vals_list)``, Odoo 17 ORM; one
        transaction: all created or none), drafts: Odoo refuses to create a move already
        posted, so posting is a second request (``confirm_many``)."""
        ids = self.rpc.execute("account.move", "create", [[self._move(d) for d in docs]],
                               write=True)
        ids = ids if isinstance(ids, list) else [ids]
        if len(ids) != len(docs):
            raise ErpRefused(f"Odoo created {len(ids)} moves for {len(docs)}")
        return [ErpRecord(str(i), draft=True) for i in ids]

    def confirm_many(self, kind: str, records: Sequence[ErpRecord]) -> list[ErpRecord]:
        """One ``action_post`` on all of them (a recordset: posted together or not at all).
        The posted names are not read back: nothing keeps them (``find`` reads one when it
        is asked for)."""
        self.rpc.execute("account.move", "action_post", [[int(r.erp_id) for r in records]],
                         write=True)
        return [ErpRecord(r.erp_id, draft=False, number=r.number) for r in records]

    def push_document(self, doc: ErpDocument) -> ErpRecord:
        move_id = int(self.rpc.execute("account.move", "create", [self._move(doc)],
                                       write=True))
        return self.confirm(doc.kind, ErpRecord(str(move_id), draft=True))

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        self.rpc.execute("account.move", "action_post", [[int(record.erp_id)]], write=True)
        return ErpRecord(record.erp_id, draft=False, number=self._read(record.erp_id)["name"])

    def _read(self, erp_id: str) -> Mapping[str, Any]:
        rows = self.rpc.execute("account.move", "read", [[int(erp_id)]],
                                {"fields": ["name", "state", "payment_state",
                                            "amount_residual", "invoice_payments_widget"]})
        if not rows:
            raise ErpRefused(f"Odoo has no account.move {erp_id}")
        return dict(rows[0])

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        rows = self.rpc.execute("account.move", "search_read",
                                [[["ref", "=", external_id],
                                  ["move_type", "=", MOVE_TYPES[kind]]]],
                                {"fields": ["name", "state"], "limit": 1})
        if not rows:
            return None
        row = rows[0]
        return ErpRecord(str(row["id"]), draft=row["state"] == "draft", number=row["name"])

    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        """The move's payment state and residual, and each payment reconciled with it from
        ``invoice_payments_widget`` (Odoo 17: ``content`` lists each reconciliation with
        its ``partial_id``, ``amount`` in the move's currency and ``date``, and its
        counterpart: ``account_payment_id`` when it is a payment, else only ``move_id``: a
        credit note applied to an invoice, seen from either side); exchange differences are
        not payments."""
        row = self._read(erp_id)
        widget = row.get("invoice_payments_widget") or {}
        payments = tuple(
            ErpPayment(str(p["partial_id"]), date.fromisoformat(str(p["date"])[:10]),
                       abs(Decimal(str(p["amount"]))),
                       "payment" if p.get("account_payment_id") else "offset")
            for p in (widget.get("content") or []) if not p.get("is_exchange"))
        return PaymentState(PAYMENT_STATES.get(str(row["payment_state"]),
                                               str(row["payment_state"])),
                            Decimal(str(row["amount_residual"])), payments)

    def customers(self, company: str) -> Iterator[ErpCustomer]:
        """Companies with a customer rank, ``PAGE`` at a time by id (``search_read`` with
        ``offset``/``order``); ``ref`` is where our external id sits."""
        offset = 0
        while True:
            rows = self.rpc.execute("res.partner", "search_read",
                                    [[["customer_rank", ">", 0]]],
                                    {"fields": ["name", "ref", "vat", "currency_id"],
                                     "offset": offset, "limit": PAGE, "order": "id"})
            for r in rows:
                currency = r.get("currency_id")
                yield ErpCustomer(str(r["id"]), r.get("ref") or None, str(r["name"]),
                                  r.get("vat") or None,
                                  currency[1] if isinstance(currency, list) else None)
            if len(rows) < PAGE:
                return
            offset += PAGE

    def check(self, profile: ErpProfile) -> list[str]:
        wanted = [("account.journal", "code", profile.journal, "journal")]
        if profile.entries_journal:
            wanted.append(("account.journal", "code", profile.entries_journal, "journal"))
        wanted.append(("res.currency", "name", profile.currency, "currency"))
        accounts = [profile.receivable_account, *profile.revenue_accounts.values(),
                    *profile.accounts.values()]
        wanted += [("account.account", "code", a, "account") for a in accounts]
        wanted += [("account.tax", "name", t, "tax") for t in profile.tax_codes.values()]
        wanted += [("product.product", "default_code", i, "product")
                   for i in profile.items.values()]
        missing = []
        for model, field, value, what in dict.fromkeys(wanted):
            if not self.rpc.execute(model, "search", [[[field, "=", value]]], {"limit": 1}):
                missing.append(f"Odoo has no {what} {value!r} ({model}.{field})")
        return missing
