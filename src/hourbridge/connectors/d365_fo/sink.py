"""The Dynamics 365 Finance & Operations sink: customers as ``CustomersV3``, invoices and
credit notes as free-text invoices (``FreeTextInvoiceHeaders`` + ``FreeTextInvoiceLines``),
journal entries as general journals (``LedgerJournalHeaders`` + ``LedgerJournalLines``).
Each document is one ``$batch`` changeset: the header and its lines land together or not at
all, so F&O never holds half a document.

References: F&O has no idempotency key, so each document carries ours (CONNECTORS.md 2a,
caveats): a free-text invoice in ``ExternalInvoiceId``, a journal in every line's
``Document``; both the short ``erp_http.reference`` of the external id (F&O's reference
fields are 20 characters). ``find`` reads them back across companies.

Inferred, not in the samples: that lines may be created through the header's navigation
(``$1/FreeTextInvoiceLines``, ``$1/LedgerJournalLines``) inside the changeset (the samples
post lines on their own with the header's key; the header's key is only known once it is
created); ``CustomersV3``'s field names; a credit note as a free-text invoice with negative
quantities (F&O's own way). Journals are created, not posted: posting a journal is not an
OData action (CONNECTORS.md 2a), a bookkeeper or a batch job posts it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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

from ..erp_http import ErpRefused, odata_quote, reference
from .odata import Change, FnoOData


def _day(value: Any) -> str:
    return f"{value.isoformat()}T12:00:00Z"  # F&O dates are DateTimeOffset; noon stays put


def _money(value: Decimal) -> float:
    return float(value)  # OData JSON numbers; F&O keeps amounts as real, two decimals


class D365Sink:
    def __init__(self, odata: FnoOData, customer_group: str = "HB",
                 tax_item_group: str = "ALL", projects_entity: str = "Projects") -> None:
        self.odata = odata
        self.projects_entity = projects_entity
        self.customer_group = customer_group
        self.tax_item_group = tax_item_group
        self._customers: dict[tuple[str, str], str] = {}

    def push_customer(self, party: ErpParty, company: str) -> str:
        account = reference(party.external_id)
        key = (company, account)
        if key in self._customers:
            return self._customers[key]
        found = list(self.odata.rows("CustomersV3", self._in(company) +
                                     f" and CustomerAccount eq {odata_quote(account)}",
                                     "CustomerAccount", top=1))
        if not found:
            vals: dict[str, Any] = {"dataAreaId": company, "CustomerAccount": account,
                                    "OrganizationName": party.name[:100],
                                    "CustomerGroupId": self.customer_group}
            if party.country:
                vals["AddressCountryRegionId"] = party.country
            if party.vat_id:
                vals["TaxExemptNumber"] = party.vat_id
            if party.email:
                vals["PrimaryContactEmail"] = party.email
            # the account is derived from the external id: a lost answer and a second
            # attempt meet F&O's unique key, never a second customer
            try:
                self.odata.batch([Change("POST", "CustomersV3", vals)])
            except ErpRefused:
                # another worker created it first (F&O's unique key): that one is ours
                if not list(self.odata.rows("CustomersV3", self._in(company) +
                                            f" and CustomerAccount eq {odata_quote(account)}",
                                            "CustomerAccount", top=1)):
                    raise
        self._customers[key] = account
        return account

    @staticmethod
    def _in(company: str) -> str:
        return f"dataAreaId eq {odata_quote(company)}"

    def push_document(self, doc: ErpDocument) -> ErpRecord:
        ref = reference(doc.external_id)
        if doc.kind == "journal_entry":
            changes = [Change("POST", "LedgerJournalHeaders", {
                "dataAreaId": doc.company, "JournalName": doc.journal,
                "Description": f"{doc.memo} ({ref})"[:60]})]
            for n, ln in enumerate(doc.lines, 1):
                # F&O keeps a journal line in one currency: the company's amounts are what
                # balance (ours are functional); a foreign line's own amount stays with us
                changes.append(Change("POST", "$1/LedgerJournalLines", {
                    "dataAreaId": doc.company, "LineNumber": n, "TransDate": _day(doc.date),
                    "AccountType": "Ledger", "AccountDisplayValue": ln.account,
                    "Text": ln.description[:60], "DebitAmount": _money(ln.debit),
                    "CreditAmount": _money(ln.credit), "CurrencyCode": doc.currency,
                    "Document": ref}))
            header = self.odata.batch(changes)[0].body
            return ErpRecord(f"{doc.company}/{header['JournalBatchNumber']}",
                             number=str(header["JournalBatchNumber"]))
        assert doc.partner is not None
        sign = -1 if doc.kind == "credit_note" else 1
        header_vals: dict[str, Any] = {
            "dataAreaId": doc.company,
            "CustomerAccount": self.push_customer(doc.partner, doc.company),
            "InvoiceDate": _day(doc.date), "DocumentDate": _day(doc.date),
            "CurrencyCode": doc.currency, "ExternalInvoiceId": ref,
            "CustomerReference": (doc.reference or doc.number or "")[:60]}
        if doc.due_date:
            header_vals["DueDate"] = _day(doc.due_date)
        changes = [Change("POST", "FreeTextInvoiceHeaders", header_vals)]
        for n, ln in enumerate(doc.lines, 1):
            line: dict[str, Any] = {
                "dataAreaId": doc.company, "LineNumber": n, "Description": ln.description[:60],
                "InvoiceText": ln.description, "MainAccountDisplayValue": ln.account,
                "Quantity": _money(sign * ln.quantity), "UnitPrice": _money(ln.unit_price),
                "TransactionCurrencyAmount": _money(sign * ln.amount)}
            if ln.tax:
                line.update(SalesTaxGroupId=ln.tax, SalesTaxItemGroupId=self.tax_item_group)
            changes.append(Change("POST", "$1/FreeTextInvoiceLines", line))
        header = self.odata.batch(changes)[0].body
        return ErpRecord(self._invoice_id(header), number=header.get("FreeTextNumber"))

    @staticmethod
    def _invoice_id(header: Mapping[str, Any]) -> str:
        return f"{header['dataAreaId']}/{header['InvoiceIdentifier']}"

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        ref = odata_quote(reference(external_id))
        if kind == "journal_entry":
            rows = list(self.odata.rows("LedgerJournalLines", f"Document eq {ref}",
                                        "dataAreaId,JournalBatchNumber", top=1))
            if not rows:
                return None
            return ErpRecord(f"{rows[0]['dataAreaId']}/{rows[0]['JournalBatchNumber']}",
                             number=str(rows[0]["JournalBatchNumber"]))
        rows = list(self.odata.rows("FreeTextInvoiceHeaders", f"ExternalInvoiceId eq {ref}",
                                    "dataAreaId,InvoiceIdentifier,FreeTextNumber", top=1))
        if not rows:
            return None
        return ErpRecord(self._invoice_id(rows[0]), number=rows[0].get("FreeTextNumber"))

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        # a changeset is all or nothing: F&O never holds a document an attempt left half
        # made, so a found document needs nothing more
        return ErpRecord(record.erp_id, draft=False, number=record.number)

    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        """From the free-text invoice's header: ``IsPosted`` and its open amount (inferred
        field ``InvoiceOpenAmount``, negative on a credit note; a journal entry is never
        paid), and its settlements (``_settlements``)."""
        company, _, invoice = erp_id.partition("/")
        rows = list(self.odata.rows(
            "FreeTextInvoiceHeaders", f"{self._in(company)} and InvoiceIdentifier eq "
            f"{int(invoice)}", "IsPosted,InvoiceOpenAmount,InvoiceTotalAmount", top=1))
        if not rows:
            raise ErpRefused(f"D365 F&O has no free-text invoice {erp_id}")
        row = rows[0]
        # a credit note is a free-text invoice of negative amounts: what is open is its size
        total = abs(Decimal(str(row.get("InvoiceTotalAmount") or 0)))
        open_ = abs(Decimal(str(row.get("InvoiceOpenAmount", total))))
        if row.get("IsPosted") != "Yes":
            return PaymentState("not_paid", open_)
        settled = self._settlements(company, int(invoice))
        if open_ == total:
            return PaymentState("not_paid", open_, settled)
        return PaymentState("paid" if open_ == 0 else "partial", open_, settled)

    def _settlements(self, company: str, invoice: int) -> tuple[ErpPayment, ...]:
        """What settled a posted free-text invoice, one row per settlement of its customer
        transaction. INF (not in the samples, which hold no settlement entity): an entity
        ``CustTransSettlements`` over F&O's ``CustSettlement`` table, each row naming the
        free-text invoice it settles (``InvoiceIdentifier``), the other side
        (``OffsetInvoiceIdentifier``: the credit note marked against the invoice, or the
        invoice the credit note was marked against; empty for a customer payment), the
        amount in the transaction's currency (``SettleAmountCur``, signed as the
        transaction: negative on a credit note), ``TransDate`` and its own ``RecId``. A
        settlement against another free-text invoice is an ``offset``, any other a
        ``payment``."""
        out = []
        for row in self.odata.rows(
                "CustTransSettlements", f"{self._in(company)} and InvoiceIdentifier eq "
                f"{invoice}", "RecId,OffsetInvoiceIdentifier,SettleAmountCur,TransDate"):
            amount = abs(Decimal(str(row.get("SettleAmountCur") or 0)))
            if amount == 0:  # a settlement undone leaves a zero row: nothing was paid
                continue
            other = row.get("OffsetInvoiceIdentifier")
            # each side's row has its own RecId: an id per document, stable across pulls
            out.append(ErpPayment(f"settlement:{row['RecId']}",
                                  date.fromisoformat(str(row["TransDate"])[:10]), amount,
                                  "offset" if other else "payment"))
        return tuple(out)

    def customers(self, company: str) -> Iterator[ErpCustomer]:
        for row in self.odata.rows(
                "CustomersV3", self._in(company),
                "CustomerAccount,OrganizationName,TaxExemptNumber,SalesCurrencyCode"):
            account = str(row["CustomerAccount"])
            yield ErpCustomer(account, account if account.startswith("HB") else None,
                              str(row.get("OrganizationName") or ""),
                              row.get("TaxExemptNumber") or None,
                              row.get("SalesCurrencyCode") or None)

    def projects(self, company: str) -> Iterator[ErpProject]:
        """Every project of legal entity ``company``: the entity named by the connection's
        ``projects_entity`` (default ``Projects``; ``ProjectsV2`` in newer releases) with
        ``ProjectID``, ``ProjectName``, ``CustomerAccount``. INF: no sample holds a
        project entity; the field names are the data entity's as commonly published. A
        free-text invoice line takes no project: lines name none."""
        for row in self.odata.rows(self.projects_entity, self._in(company),
                                   "ProjectID,ProjectName,CustomerAccount"):
            code = str(row["ProjectID"])
            yield ErpProject(code, None, code, str(row.get("ProjectName") or ""),
                             row.get("CustomerAccount") or None)

    def check(self, profile: ErpProfile) -> list[str]:
        """The legal entity, journal name, main accounts and tax groups the profile names
        that F&O lacks (``LegalEntities``, ``LedgerJournalNames``, ``MainAccounts``,
        ``SalesTaxGroups``: entity names inferred)."""
        out: list[str] = []
        company = profile.company
        if not list(self.odata.rows("LegalEntities", f"LegalEntityId eq "
                                    f"{odata_quote(company)}", "LegalEntityId", top=1)):
            return [f"D365 F&O has no legal entity (company) {company!r}"]
        journals = {str(r["JournalName"]) for r in self.odata.rows(
            "LedgerJournalNames", self._in(company), "JournalName")}
        for name in {profile.entries_journal or profile.journal}:
            if name not in journals:
                out.append(f"D365 F&O company {company} has no journal name {name!r}")
        accounts = {str(r["MainAccountId"]) for r in self.odata.rows(
            "MainAccounts", self._in(company), "MainAccountId")}
        wanted = {profile.receivable_account, *profile.revenue_accounts.values(),
                  *profile.accounts.values()}
        out += [f"D365 F&O company {company} has no main account {a!r}"
                for a in sorted(wanted - accounts)]
        taxes = {str(r["TaxGroupCode"]) for r in self.odata.rows(
            "SalesTaxGroups", self._in(company), "TaxGroupCode")}
        out += [f"D365 F&O company {company} has no sales tax group {t!r}"
                for t in sorted(set(profile.tax_codes.values()) - taxes)]
        return out
