"""The SAP S/4HANA Cloud sink: journal entries through SOAP (``soap``); invoices and credit
notes as billing documents, made over OData V4 (``BillingDocument/SAP__self.
CreateFromSDDocument``, with CSRF) from the external billing document request that carries
the invoice; customers as business partners (V2 ``API_BUSINESS_PARTNER``).

References: SAP has no idempotency key (CONNECTORS.md section 4: "use DocumentReferenceID /
reference fields and read back"). A journal entry's ``DocumentReferenceID`` (16 characters)
is our ``erp_http.reference`` of the external id; ``find`` reads it back through
``API_JOURNALENTRYITEMBASIC_SRV`` (INF). An invoice or credit note becomes an external billing
document request (``billing_request``: SOAP ``BillingDocumentRequest_In``, asynchronous)
carrying that reference as ``PurchaseOrderByCustomer``, read back through
``API_BILLING_DOCUMENT_REQUEST_SRV`` (``billingDocumentRequest.read.v2.response.json`` shows
the hub's reference there), then billed over OData V4 with the CSRF token. Every step looks
the reference up first: a request created by an attempt that never heard back is billed, not
created again; a billing document made from it is found by ``find``.

Inferred: ``SDDocumentCategory`` ``EBDR`` (CONNECTORS.md open question 5), billing type
``F2`` for invoices and ``G2`` for credit notes, that the billing document keeps the
request's ``PurchaseOrderByCustomer``, business partner field names, and the request's
SOAP shape (``billing_request``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
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

from ..erp_http import ErpHttp, ErpRefused, ErpUnavailable, odata_quote, reference
from ..http import UnknownOutcome
from . import billing_request
from .odata import SapOData
from .soap import ACTION, NO_DOCUMENT, PATH, confirmation, envelope

V2 = "/sap/opu/odata/sap/"
BILLING = "/sap/opu/odata4/sap/api_billingdocument/srvd_a2x/sap/billingdocument/0001/"
REQUESTS = V2 + "API_BILLING_DOCUMENT_REQUEST_SRV/"
PARTNERS = V2 + "API_BUSINESS_PARTNER/"
ITEMS = V2 + "API_JOURNALENTRYITEMBASIC_SRV/"
GL = V2 + "API_GLACCOUNTINCHARTOFACCOUNTS_SRV/"
COMPANIES = V2 + "API_COMPANYCODE_SRV/"
PROJECTS = V2 + "API_ENTERPRISE_PROJECT_SRV/"


class SapSink:
    def __init__(self, api: ErpHttp, user: str, connection: Mapping[str, str]) -> None:
        self.api = api
        self.odata = SapOData(api)
        self.user = user
        self.invoice_type = connection.get("billing_type", "F2")
        self.credit_type = connection.get("credit_billing_type", "G2")
        self.request_category = connection.get("request_category", "EBDR")
        self.chart = connection.get("chart_of_accounts", "YCOA")
        self.settings = dict(connection)
        # the asynchronous request service: how often, and how far apart, to read back a
        # request it accepted before leaving it to the next attempt
        self.request_reads = int(connection.get("request_reads", 5))
        self.request_wait = float(connection.get("request_wait_seconds", 0.5))
        self._partners: dict[str, str] = {}

    # --- customers ----------------------------------------------------------------------
    def _partner(self, ref: str) -> dict[str, Any] | None:
        return next(self.odata.rows(PARTNERS, "A_BusinessPartner", **{
            "$filter": f"BusinessPartnerIDByExtSystem eq {odata_quote(ref)}", "$top": 1}),
            None)

    def push_customer(self, party: ErpParty, company: str) -> str:
        ref = reference(party.external_id)
        if ref not in self._partners:
            found = self._partner(ref)
            if found is None:
                body = {"BusinessPartnerCategory": "2",
                        "OrganizationBPName1": party.name[:40],
                        "SearchTerm1": party.name[:20].upper(),
                        "BusinessPartnerIDByExtSystem": ref,
                        # deep insert of the FI customer role (INF: the role a billing
                        # request's sold-to party needs is the tenant's configuration)
                        "to_BusinessPartnerRole": {"results": [
                            {"BusinessPartnerRole": "FLCU00"}]}}
                try:
                    made = self.odata.post(PARTNERS, "A_BusinessPartner", body) or {}
                    found = made.get("d", made)
                except ErpRefused:  # another worker created it first
                    found = self._partner(ref)
                    if found is None:
                        raise
            self._partners[ref] = str(found["BusinessPartner"])
        return self._partners[ref]

    def customers(self, company: str) -> Iterator[ErpCustomer]:
        """Every organisation business partner (partners are client-wide: ``company`` does
        not narrow them)."""
        for row in self.odata.rows(PARTNERS, "A_BusinessPartner", **{
                "$filter": "BusinessPartnerCategory eq '2'",
                "$select": "BusinessPartner,OrganizationBPName1,BusinessPartnerIDByExtSystem"}):
            yield ErpCustomer(str(row["BusinessPartner"]),
                              row.get("BusinessPartnerIDByExtSystem") or None,
                              str(row.get("OrganizationBPName1") or ""), None, None)

    def projects(self, company: str) -> Iterator[ErpProject]:
        """Every enterprise project of company code ``company`` (V2
        ``API_ENTERPRISE_PROJECT_SRV`` ``A_EnterpriseProject``: ``Project`` its external
        id and code, ``ProjectDescription``, ``CompanyCode``; INF, not sampled). The
        project's code is what a billing request item names (``ProjectReference``)."""
        for row in self.odata.rows(PROJECTS, "A_EnterpriseProject", **{
                "$filter": f"CompanyCode eq {odata_quote(company)}",
                "$select": "Project,ProjectDescription,CompanyCode"}):
            code = str(row["Project"])
            yield ErpProject(code, None, code, str(row.get("ProjectDescription") or ""))

    # --- documents ----------------------------------------------------------------------
    def push_document(self, doc: ErpDocument) -> ErpRecord:
        if doc.kind == "journal_entry":
            return self._journal(doc)
        ref = reference(doc.external_id)
        request = self._billing_request(ref)
        if request is None:
            assert doc.partner is not None
            sold_to = doc.partner.erp_id or self.push_customer(doc.partner, doc.company)
            self.api.send("POST", billing_request.PATH, write=True,
                          content=billing_request.request_envelope(doc, ref, sold_to,
                                                                   self.settings),
                          headers={"Content-Type": "text/xml; charset=utf-8",
                                   "SOAPAction": f'"{billing_request.ACTION}"'})
            for n in range(self.request_reads):
                request = self._billing_request(ref)
                if request is not None or n + 1 == self.request_reads:
                    break
                time.sleep(self.request_wait * (n + 1))
            if request is None:
                # accepted and not (yet) there: SAP's monitor says why; the next attempt
                # looks it up before it creates anything
                raise ErpUnavailable(f"SAP accepted billing document request {ref} for "
                                     f"{doc.memo} but does not show it yet (see its message "
                                     "monitor if it never does)")
        net = Decimal(str(request.get("TotalNetAmount") or 0))
        if (net, request.get("TransactionCurrency")) != (doc.net, doc.currency):
            raise ErpRefused(f"SAP billing document request {request['BillingDocumentRequest']}"
                             f" is {net} {request.get('TransactionCurrency')}, {doc.memo} is "
                             f"{doc.net} {doc.currency}: not billed")
        answer = self.odata.post(BILLING, "BillingDocument/SAP__self.CreateFromSDDocument", {
            "_Control": {"DefaultBillingDocumentDate": doc.date.isoformat(),
                         "DefaultBillingDocumentType": self.credit_type
                         if doc.kind == "credit_note" else self.invoice_type,
                         "AutomPostingToAcctgIsDisabled": False},
            "_Reference": [{"SDDocument": str(request["BillingDocumentRequest"]),
                            "SDDocumentCategory": self.request_category}]}) or {}
        made = (answer.get("value") or [{}])[0]
        if not made.get("BillingDocument"):
            raise UnknownOutcome(f"SAP CreateFromSDDocument answered no billing document for "
                                 f"{request['BillingDocumentRequest']}")
        return ErpRecord(str(made["BillingDocument"]), number=str(made["BillingDocument"]))

    def _billing_request(self, ref: str) -> dict[str, Any] | None:
        return next(self.odata.rows(REQUESTS, "A_BillingDocumentRequest", **{
            "$filter": f"PurchaseOrderByCustomer eq {odata_quote(ref)}", "$top": 1}), None)

    def _journal(self, doc: ErpDocument) -> ErpRecord:
        ref = reference(doc.external_id)
        response = self.api.send("POST", PATH, write=True,
                                 content=envelope(doc, ref, self.user),
                                 headers={"Content-Type": "text/xml; charset=utf-8",
                                          "SOAPAction": f'"{ACTION}"'})
        number, company, year, log = confirmation(response.content)
        if not number or number == NO_DOCUMENT:
            # SAP answered 200 and posted nothing: the log says why
            raise ErpRefused(f"SAP refused journal entry {ref}: {log or 'no log'}")
        return ErpRecord(f"{company}/{year}/{number}", number=number)

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        ref = odata_quote(reference(external_id))
        if kind == "journal_entry":
            row = next(self.odata.rows(ITEMS, "A_JournalEntryItemBasic", **{
                "$filter": f"DocumentReferenceID eq {ref}", "$top": 1,
                "$select": "CompanyCode,FiscalYear,AccountingDocument"}), None)
            if row is None:
                return None
            return ErpRecord(f"{row['CompanyCode']}/{row['FiscalYear']}/"
                             f"{row['AccountingDocument']}", number=row["AccountingDocument"])
        row = next(self.odata.rows(BILLING, "BillingDocument", **{
            "$filter": f"PurchaseOrderByCustomer eq {ref}", "$top": 1,
            "$select": "BillingDocument"}), None)
        if row is None:
            return None
        return ErpRecord(str(row["BillingDocument"]), number=str(row["BillingDocument"]))

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        # a journal entry or billing document exists posted or not at all
        return ErpRecord(record.erp_id, draft=False, number=record.number)

    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        """A billing document's clearing (``InvoiceClearingStatus`` C: INF) and what its
        accounting document's customer item shows (``_receivable``); a journal entry is
        never paid."""
        row = next(self.odata.rows(V2 + "API_BILLING_DOCUMENT_SRV/", "A_BillingDocument", **{
            "$filter": f"BillingDocument eq {odata_quote(erp_id)}", "$top": 1}), None)
        if row is None:
            raise ErpRefused(f"SAP has no billing document {erp_id}")
        cleared = row.get("InvoiceClearingStatus") == "C"
        total = abs(Decimal(str(row.get("TotalGrossAmount") or row.get("TotalNetAmount")
                                or 0)))
        item, partial = self._receivable(erp_id)
        if item is not None:
            total = abs(Decimal(str(item.get("AmountInTransactionCurrency") or 0)))
        if cleared:
            return PaymentState("paid", Decimal(0), partial)
        applied = sum((p.amount for p in partial), Decimal(0))
        return PaymentState("partial" if applied else "not_paid", total - applied, partial)

    def _receivable(self, billing_document: str
                    ) -> tuple[dict[str, Any] | None, tuple[ErpPayment, ...]]:
        """The billing document's customer item and the items that settled part of it. INF
        (not in the samples): ``A_JournalEntryItemBasic`` holds the accounting document of a
        billing document with ``ReferenceDocument`` = the billing document and the customer
        item as ``FinancialAccountType`` D; a credit memo cleared against an invoice, or a
        payment, in part (SAP's partial-payment method) posts a customer item naming the
        document it settles in ``InvoiceReference`` / ``InvoiceReferenceFiscalYear``, one on
        each side, in the clearing journal entry: ``DZ`` (customer payment) is money,
        another type (``AB``, the clearing of the credit memo against the invoice) an
        ``offset``. The last clearing (``InvoiceClearingStatus`` C) shows only as paid."""
        item = next(self.odata.rows(ITEMS, "A_JournalEntryItemBasic", **{
            "$filter": f"ReferenceDocument eq {odata_quote(billing_document)} and "
                       "FinancialAccountType eq 'D'", "$top": 1,
            "$select": "CompanyCode,FiscalYear,AccountingDocument,"
                       "AmountInTransactionCurrency"}), None)
        if item is None:  # not in accounting yet: nothing can have settled it
            return None, ()
        out = []
        for part in self.odata.rows(ITEMS, "A_JournalEntryItemBasic", **{
                "$filter": f"CompanyCode eq {odata_quote(str(item['CompanyCode']))} and "
                           "InvoiceReference eq "
                           f"{odata_quote(str(item['AccountingDocument']))} and "
                           "InvoiceReferenceFiscalYear eq "
                           f"{odata_quote(str(item['FiscalYear']))} and "
                           "FinancialAccountType eq 'D'",
                "$select": "CompanyCode,FiscalYear,AccountingDocument,"
                           "AccountingDocumentItem,AccountingDocumentType,PostingDate,"
                           "AmountInTransactionCurrency"}):
            amount = abs(Decimal(str(part.get("AmountInTransactionCurrency") or 0)))
            if amount == 0:
                continue
            # the settling item's own key: each side has its own item, stable across pulls
            key = "/".join(str(part[k]) for k in ("CompanyCode", "FiscalYear",
                                                   "AccountingDocument",
                                                   "AccountingDocumentItem"))
            out.append(ErpPayment(f"item:{key}", _v2_date(part["PostingDate"]), amount,
                                  "payment" if part.get("AccountingDocumentType") == "DZ"
                                  else "offset"))
        return item, tuple(out)

    def check(self, profile: ErpProfile) -> list[str]:
        """The company code and G/L accounts the profile names that SAP lacks."""
        company = profile.company
        if next(self.odata.rows(COMPANIES, "A_CompanyCode", **{
                "$filter": f"CompanyCode eq {odata_quote(company)}", "$top": 1}), None) is None:
            return [f"SAP has no company code {company!r}"]
        known = {str(r["GLAccount"]) for r in self.odata.rows(
            GL, "A_GLAccountInChartOfAccounts", **{
                "$filter": f"ChartOfAccounts eq {odata_quote(self.chart)}",
                "$select": "GLAccount"})}
        wanted = {profile.receivable_account, *profile.revenue_accounts.values(),
                  *profile.accounts.values()}
        return [f"SAP chart of accounts {self.chart} has no G/L account {a!r}"
                for a in sorted(wanted - known)]


def _v2_date(value: Any) -> date:
    """An OData V2 JSON date (``/Date(ms)/``, UTC) or an ISO date."""
    text = str(value)
    if text.startswith("/Date("):
        ms = int(text[6:].split(")")[0].split("+")[0])
        return datetime.fromtimestamp(ms / 1000, UTC).date()
    return date.fromisoformat(text[:10])
