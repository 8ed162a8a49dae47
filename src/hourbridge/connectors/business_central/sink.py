"""The Business Central sink: customers as ``customers``, invoices as ``salesInvoices`` and
credit notes as ``salesCreditMemos`` created with their lines in one request (deep insert,
sample ``salesInvoice.deep_insert.request.json``) and posted with the bound action
``Microsoft.NAV.post`` (204); journal entries as ``journalLines`` of a journal (batch) of
their own, posted with the journal's ``Microsoft.NAV.post``.

BC has no idempotency header: a document's external id sits in ``externalDocumentNumber``
(Text[35]: ours, or ``hb:`` and a digest when longer) and is looked up with ``$filter``
before anything is created again. A journal entry's lines carry a ``documentNumber`` derived
from its external id (Code[20]) and post to a journal whose code is derived from it too
(Code[10]): found in ``generalLedgerEntries`` once posted (its record's id is that
document number; an invoice's is BC's own id, its company looked up when not known); lines
an interrupted attempt left in its journal are deleted and added again, never posted twice.
A customer we create gets ``number`` ``HB`` + a digest of its external id (Code[20]) and
is found by it; BC has no field for our external id itself, so ``customers`` reports none
and the identity map matches BC's customers by VAT id (``taxRegistrationNumber``) or name.

A profile names what a bookkeeper sees: accounts and items by ``number``, tax codes by
``taxGroups`` ``code``, the company by its id (``company``); the company's local currency
(connection ``local_currency``) is sent as BC's blank currency code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from hourbridge.domain.erp import (
    ErpCustomer,
    ErpDocument,
    ErpParty,
    ErpPayment,
    ErpProfile,
    ErpProject,
    ErpRecord,
    PaymentState,
)

from .api import BcApi, BcRefused

DOCUMENTS = {"invoice": ("salesInvoices", "salesInvoiceLines", "invoiceDate"),
             "credit_note": ("salesCreditMemos", "salesCreditMemoLines", "creditMemoDate")}
EXTERNAL_DOCUMENT_MAX = 35


def _digest(value: str, n: int) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:n].upper()


def bc_external(external_id: str) -> str:
    """Our external id as ``externalDocumentNumber`` holds it (Text[35])."""
    if len(external_id) <= EXTERNAL_DOCUMENT_MAX:
        return external_id
    return "hb:" + _digest(external_id, EXTERNAL_DOCUMENT_MAX - 3).lower()


def bc_number(external_id: str) -> str:
    """A customer's ``number`` / a journal entry's ``documentNumber`` (Code[20])."""
    return "HB" + _digest(external_id, 18)


def bc_journal(external_id: str) -> str:
    return "HB" + _digest(external_id, 8)  # Code[10]


def _q(value: str) -> str:
    return value.replace("'", "''")  # an OData string literal


def _num(value: Decimal) -> float:
    return float(value)


class BusinessCentralSink:
    def __init__(self, api: BcApi, local_currency: str | None = None) -> None:
        self.api = api
        self.local_currency = local_currency
        self._ids: dict[tuple[str, str], str] = {}
        self._company_ids: list[str] | None = None
        self._company: dict[str, str] = {}  # document id -> its company

    def _base(self, company: str) -> str:
        return f"/companies({company})"

    def _first(self, path: str, field: str, value: str) -> dict[str, Any] | None:
        rows = self.api.request("GET", path, params={
            "$filter": f"{field} eq '{_q(value)}'", "$top": 1}).json().get("value") or []
        return dict(rows[0]) if rows else None

    def close(self) -> None:
        self.api.close()

    def push_customer(self, party: ErpParty, company: str) -> str:
        if party.erp_id:
            return party.erp_id
        key = (company, party.external_id)
        if key not in self._ids:
            path = f"{self._base(company)}/customers"
            number = bc_number(party.external_id)
            found = self._first(path, "number", number)
            if found is None:
                body: dict[str, Any] = {"number": number, "displayName": party.name[:100],
                                        "type": "Company"}
                if party.email:
                    body["email"] = party.email
                if party.vat_id:
                    body["taxRegistrationNumber"] = party.vat_id
                # a lost answer leaves the customer in BC: the next attempt finds its number
                found = self.api.request("POST", path, json=body).json()
            self._ids[key] = str(found["id"])
        return self._ids[key]

    def _currency(self, code: str) -> str:
        return "" if code == self.local_currency else code

    def _document(self, doc: ErpDocument) -> ErpRecord:
        entity, lines_name, date_field = DOCUMENTS[doc.kind]
        assert doc.partner is not None
        body: dict[str, Any] = {
            "externalDocumentNumber": bc_external(doc.external_id),
            date_field: doc.date.isoformat(), "postingDate": doc.date.isoformat(),
            "customerId": self.push_customer(doc.partner, doc.company),
            "currencyCode": self._currency(doc.currency)}
        if doc.due_date:
            body["dueDate"] = doc.due_date.isoformat()
        if doc.reference and doc.kind == "invoice":
            body["customerPurchaseOrderReference"] = doc.reference[:35]
        body[lines_name] = [{
            "lineType": "Item" if ln.item else "Account",
            "lineObjectNumber": ln.item or ln.account, "description": ln.description[:100],
            "quantity": _num(ln.quantity), "unitPrice": _num(ln.unit_price),
            **({"taxCode": ln.tax} if ln.tax else {})} for ln in doc.lines]
        created = self.api.request("POST", f"{self._base(doc.company)}/{entity}", json=body
                                   ).json()
        return self._post(doc.kind, doc.company, str(created["id"]))

    def _post(self, kind: str, company: str, erp_id: str) -> ErpRecord:
        entity = DOCUMENTS[kind][0]
        path = f"{self._base(company)}/{entity}({erp_id})"
        self.api.request("POST", f"{path}/Microsoft.NAV.post")
        row = self.api.request("GET", path).json()
        self._company[erp_id] = company
        return ErpRecord(erp_id, draft=False, number=row.get("number"))

    def _company_of(self, kind: str, erp_id: str) -> str:
        """The company holding document ``erp_id`` (a record's id is the document's own
        id, short enough for the posting record; its company is remembered or looked up)."""
        if erp_id not in self._company:
            for company in self._companies():
                try:
                    self.api.request("GET",
                                     f"{self._base(company)}/{DOCUMENTS[kind][0]}({erp_id})")
                except BcRefused as exc:
                    if exc.status == 404:
                        continue
                    raise
                self._company[erp_id] = company
                break
            else:
                raise BcRefused(f"Business Central has no {DOCUMENTS[kind][0]} {erp_id}", 404)
        return self._company[erp_id]

    def _journal(self, doc: ErpDocument) -> ErpRecord:
        base = self._base(doc.company)
        code, number = bc_journal(doc.external_id), bc_number(doc.external_id)
        journal = self._first(f"{base}/journals", "code", code)
        if journal is None:
            journal = self.api.request("POST", f"{base}/journals", json={
                "code": code, "displayName": doc.external_id[:50]}).json()
        path = f"{base}/journals({journal['id']})"
        for line in list(self.api.rows(f"{path}/journalLines")):  # left by a broken attempt
            self.api.request("DELETE", f"{path}/journalLines({line['id']})", idempotent=True)
        for i, ln in enumerate(doc.lines, start=1):
            self.api.request("POST", f"{path}/journalLines", json={
                "lineNumber": 10000 * i, "accountType": "G/L Account",
                "accountNumber": ln.account, "postingDate": doc.date.isoformat(),
                "documentNumber": number,
                "externalDocumentNumber": bc_external(doc.external_id),
                "amount": _num(ln.debit - ln.credit), "description": ln.description[:100]})
        self.api.request("POST", f"{path}/Microsoft.NAV.post")
        return ErpRecord(number, draft=False, number=number)

    def push_document(self, doc: ErpDocument) -> ErpRecord:
        if doc.kind == "journal_entry":
            return self._journal(doc)
        return self._document(doc)

    def _companies(self) -> list[str]:
        """The environment's companies (``GET companies``), read once: a document is looked
        up in each, since the port names no company."""
        if self._company_ids is None:
            self._company_ids = [str(r["id"]) for r in self.api.rows("/companies")]
        return self._company_ids

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        for company in self._companies():
            base = self._base(company)
            if kind == "journal_entry":
                number = bc_number(external_id)
                if self._first(f"{base}/generalLedgerEntries", "documentNumber", number):
                    return ErpRecord(number, draft=False, number=number)
                continue
            row = self._first(f"{base}/{DOCUMENTS[kind][0]}", "externalDocumentNumber",
                              bc_external(external_id))
            if row is not None:
                self._company[str(row["id"])] = company
                return ErpRecord(str(row["id"]), draft=row.get("status") == "Draft",
                                 number=row.get("number"))
        return None

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        if kind == "journal_entry":
            return record  # posted once found: a journal entry is never left a draft
        return self._post(kind, self._company_of(kind, record.erp_id), record.erp_id)

    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        if kind not in DOCUMENTS:
            return PaymentState("not_paid")
        company = self._company_of(kind, erp_id)
        row = self.api.request("GET", f"{self._base(company)}/{DOCUMENTS[kind][0]}({erp_id})"
                               ).json()
        status = str(row.get("status"))
        total = Decimal(str(row.get("totalAmountIncludingTax") or 0))
        remaining = Decimal(str(row.get("remainingAmount") or 0))
        offsets = self._offsets(company, kind, erp_id, row)
        if status in ("Canceled", "Corrective"):
            return PaymentState("reversed", remaining, offsets)
        if status == "Paid" or (status == "Open" and remaining <= 0):
            return PaymentState("paid", Decimal(0), offsets)
        return PaymentState("partial" if remaining < total else "not_paid", remaining, offsets)

    def _offsets(self, company: str, kind: str, erp_id: str, row: dict[str, Any]
                 ) -> tuple[ErpPayment, ...]:
        """Credit memos applied to an invoice, seen from either side. INF (not in the
        samples): a posted ``salesCreditMemos`` record names the invoice it is applied to in
        ``invoiceId`` (API v2.0 ``salesCreditMemo``), and what it settled is its total less
        its ``remainingAmount``, on its ``postingDate``. Money received is not offered by
        API v2.0 (customer payments are journal lines until posted): an invoice's payments
        show only in its state and ``remainingAmount``."""
        if kind == "credit_note":
            credits = [row] if str(row.get("invoiceId") or "").strip("0-") else []
        else:
            credits = list(self.api.rows(
                f"{self._base(company)}/salesCreditMemos",
                {"$filter": f"invoiceId eq {_guid(erp_id)}"}))
        out = []
        for cm in credits:
            applied = (Decimal(str(cm.get("totalAmountIncludingTax") or 0))
                       - Decimal(str(cm.get("remainingAmount") or 0)))
            if str(cm.get("status")) in ("Draft", "Canceled") or applied <= 0:
                continue
            other = (f"invoice:{cm['invoiceId']}" if kind == "credit_note"
                     else f"creditMemo:{cm['id']}")
            on = str(cm.get("postingDate") or cm.get("creditMemoDate"))
            out.append(ErpPayment(other, date.fromisoformat(on[:10]), applied, "offset"))
        return tuple(out)

    def customers(self, company: str) -> Iterator[ErpCustomer]:
        for row in self.api.rows(f"{self._base(company)}/customers"):
            yield ErpCustomer(str(row["id"]), None, str(row.get("displayName") or ""),
                              row.get("taxRegistrationNumber") or None,
                              row.get("currencyCode") or self.local_currency)

    def projects(self, company: str) -> Iterator[ErpProject]:
        """Every project of ``company`` (API v2.0 entity ``projects``: ``id``, ``number``,
        ``displayName``; it carries no external id), ``@odata.nextLink`` paged. A sales
        invoice line of API v2.0 documents no project field: lines name none."""
        for row in self.api.rows(f"{self._base(company)}/projects"):
            yield ErpProject(str(row["id"]), None, row.get("number") or None,
                             str(row.get("displayName") or ""))

    def check(self, profile: ErpProfile) -> list[str]:
        base = self._base(profile.company)
        try:
            self.api.request("GET", base)
        except BcRefused as exc:
            if exc.status != 404:
                raise
            return [f"Business Central has no company {profile.company!r}"]
        wanted = [("accounts", "number", a, "account") for a in dict.fromkeys(
            [profile.receivable_account, *profile.revenue_accounts.values(),
             *profile.accounts.values()])]
        wanted += [("taxGroups", "code", t, "tax group")
                   for t in dict.fromkeys(profile.tax_codes.values())]
        wanted += [("items", "number", i, "item") for i in dict.fromkeys(profile.items.values())]
        if profile.currency != self.local_currency:
            wanted.append(("currencies", "code", profile.currency, "currency"))
        return [f"Business Central has no {what} {value!r} ({entity}.{field})"
                for entity, field, value, what in wanted
                if self._first(f"{base}/{entity}", field, value) is None]


def _guid(value: str) -> str:
    """An Edm.Guid literal for ``$filter`` (unquoted in OData v4): only hex digits and
    dashes, never text put into the query."""
    if not value or set(value.lower()) - set("0123456789abcdef-"):
        raise BcRefused(f"Business Central id {value!r} is not a GUID")
    return value
