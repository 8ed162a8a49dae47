"""The Oracle Fusion Cloud sink: invoices as ``receivablesInvoices`` with their
``receivablesInvoiceLines`` (one POST: the item with its child lines), credit notes as
``receivablesCreditMemos`` (the same shape, negative quantities: INF), journals through the
file-based import (``journal``), customers as CX ``accounts`` (INF: ``SourceSystem`` and
``SourceSystemReferenceValue`` hold our reference; the party number is the bill-to customer
number).

References: Oracle has no idempotency key (CONNECTORS.md section 3); a transaction's
``TransactionNumber`` is our ``erp_http.reference`` of the external id, unique per
transaction source when the source numbers manually, so ``find`` asks for
``TransactionNumber`` and ``TransactionSource``; a journal's batch is named by it.

The connection names the transaction source (``transaction_source``, a manual-numbering
source set up for Hourbridge), the GL source (``journal_source``), ``ledger_id`` and
``data_access_set``; the profile's ``journal`` is the transaction type, ``entries_journal``
the GL category; ``company`` is the business unit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
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

from ..erp_http import ErpRefused, reference
from ..http import UnknownOutcome
from .journal import DONE, FAILED, import_payload, job_log
from .rest import FusionRest, quote

RESOURCES = {"invoice": ("receivablesInvoices", "receivablesInvoiceLines"),
             "credit_note": ("receivablesCreditMemos", "receivablesCreditMemoLines")}
SOURCE_SYSTEM = "HOURBRIDGE"
REQUIRED = ("ledger_id", "data_access_set")  # the sources default to "Hourbridge"


class OracleSink:
    def __init__(self, rest: FusionRest, connection: Mapping[str, str], *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rest = rest
        self.source = connection.get("transaction_source", "Hourbridge")
        self.journal_source = connection.get("journal_source", "Hourbridge")
        self.ledger_id = connection.get("ledger_id", "")
        self.data_access_set = connection.get("data_access_set", "")
        self.credit_type = connection.get("credit_memo_type", "Credit Memo")
        self.payment_terms = connection.get("payment_terms", "30 Net")
        self.poll_seconds = float(connection.get("poll_seconds", 5))
        self.poll_timeout = float(connection.get("poll_timeout", 900))
        # how long a journal import may take to show its batch after its answer was lost:
        # a retry after a 503 waits it too (correct over quick: journals are few)
        self.settle_seconds = float(connection.get("import_settle_seconds", 300))
        self.connection = connection
        self._sleep = sleep
        self._customers: dict[str, str] = {}

    # --- customers ----------------------------------------------------------------------
    def _account(self, ref: str) -> dict[str, Any] | None:
        rows = self.rest.get(self.rest.crm + "accounts", onlyData="true", limit=1,
                             q=f"SourceSystem={quote(SOURCE_SYSTEM)};"
                               f"SourceSystemReferenceValue={quote(ref)}") or {}
        items: list[dict[str, Any]] = rows.get("items") or []
        return items[0] if items else None

    def push_customer(self, party: ErpParty, company: str) -> str:
        ref = reference(party.external_id)
        if ref not in self._customers:
            found = self._account(ref)
            if found is None:
                vals: dict[str, Any] = {"OrganizationName": party.name, "Type": "ZCA_CUSTOMER",
                                        "SourceSystem": SOURCE_SYSTEM,
                                        "SourceSystemReferenceValue": ref}
                if party.vat_id:
                    vals["TaxpayerIdentificationNumber"] = party.vat_id
                if party.country:
                    vals["Country"] = party.country
                try:
                    found = self.rest.create(self.rest.crm + "accounts", vals)
                except ErpRefused:  # another worker created it first: the reference is unique
                    found = self._account(ref)
                    if found is None:
                        raise
            self._customers[ref] = str(found["PartyNumber"])
        return self._customers[ref]

    def customers(self, company: str) -> Iterator[ErpCustomer]:
        """Every CX account (customers are shared by all business units: ``company`` does
        not narrow them)."""
        for row in self.rest.items(self.rest.crm + "accounts",
                                   fields="PartyNumber,OrganizationName,"
                                          "TaxpayerIdentificationNumber,CurrencyCode,"
                                          "SourceSystemReferenceValue"):
            yield ErpCustomer(str(row["PartyNumber"]),
                              row.get("SourceSystemReferenceValue") or None,
                              str(row.get("OrganizationName") or ""),
                              row.get("TaxpayerIdentificationNumber") or None,
                              row.get("CurrencyCode") or None)

    def projects(self, company: str) -> Iterator[ErpProject]:
        """Every project of business unit ``company`` in Project Portfolio Management's
        REST resource ``projects`` (``ProjectId``, ``ProjectNumber``, ``ProjectName``,
        ``SourceProjectReference`` our external id when we created it,
        ``BusinessUnitName``), ``limit``/``offset`` paged. INF: no sample holds projects;
        the attribute names are the resource's as commonly published. A receivables
        invoice line takes no project here: lines name none."""
        for row in self.rest.items(self.rest.fscm + "projects",
                                   fields="ProjectId,ProjectNumber,ProjectName,"
                                          "SourceProjectReference,BusinessUnitName"):
            if row.get("BusinessUnitName") not in (None, "", company):
                continue
            yield ErpProject(str(row["ProjectId"]), row.get("SourceProjectReference") or None,
                             row.get("ProjectNumber") or None,
                             str(row.get("ProjectName") or ""))

    # --- documents ----------------------------------------------------------------------
    def push_document(self, doc: ErpDocument) -> ErpRecord:
        if doc.kind == "journal_entry":
            return self._journal(doc)
        assert doc.partner is not None
        resource, lines = RESOURCES[doc.kind]
        sign = -1 if doc.kind == "credit_note" else 1
        item: dict[str, Any] = {
            "BusinessUnit": doc.company, "TransactionSource": self.source,
            "TransactionType": self.credit_type if sign < 0 else doc.journal,
            "TransactionNumber": reference(doc.external_id),
            "TransactionDate": doc.date.isoformat(), "AccountingDate": doc.date.isoformat(),
            "BillToCustomerNumber": self.push_customer(doc.partner, doc.company),
            "InvoiceCurrencyCode": doc.currency,
            "Comments": doc.memo, "InternalNotes": f"Hourbridge {doc.external_id}"[:240],
            lines: [{"LineNumber": n, "Description": ln.description[:240],
                     "Quantity": float(sign * ln.quantity),
                     "UnitSellingPrice": float(ln.unit_price),
                     **({"TaxClassificationCode": ln.tax} if ln.tax else {})}
                    for n, ln in enumerate(doc.lines, 1)]}
        if sign > 0:
            item["PaymentTerms"] = self.payment_terms
            if doc.due_date:
                item["DueDate"] = doc.due_date.isoformat()
        if doc.reference:
            item["PurchaseOrder"] = doc.reference[:50]
        made = self.rest.create(self.rest.fscm + resource, item) or {}
        return ErpRecord(f"{resource}/{made['CustomerTransactionId']}",
                         draft=made.get("InvoiceStatus") == "Incomplete",
                         number=made.get("TransactionNumber"))

    def _journal(self, doc: ErpDocument) -> ErpRecord:
        batch = reference(doc.external_id)
        payload = import_payload(doc, ledger_id=self.ledger_id,
                                 data_access_set=self.data_access_set,
                                 source=self.journal_source, batch=batch,
                                 created=datetime.now(UTC).date())
        answer = self.rest.create(self.rest.fscm + "erpintegrations", payload) or {}
        request = str(answer.get("ReqstId") or "")
        if not request:
            raise UnknownOutcome("Oracle Fusion importBulkData answered no ReqstId")
        deadline = time.monotonic() + self.poll_timeout
        while True:
            status = self._job_status(request)
            if status in DONE:
                break
            if status in FAILED:
                log = self._job_log(request)
                raise ErpRefused(f"Oracle Fusion journal import {request} ended {status}: "
                                 f"{log or 'no log'}")
            if time.monotonic() >= deadline:
                # the import may still post it: the next attempt looks for the batch first
                raise UnknownOutcome(f"Oracle Fusion journal import {request} still "
                                     f"{status} after {self.poll_timeout:g} s")
            self._sleep(self.poll_seconds)
        found = self._batch(batch)
        if found is None:
            raise ErpRefused(f"Oracle Fusion journal import {request} succeeded but made no "
                             f"batch {batch}: its rows are in GL_INTERFACE with an error")
        return found

    def _job_status(self, request: str) -> str:
        page = self.rest.get(self.rest.fscm + "erpintegrations",
                             finder=f"ESSJobStatusRF;requestId={request}") or {}
        items = page.get("items") or [{}]
        return str(items[0].get("RequestStatus") or "UNKNOWN")

    def _job_log(self, request: str) -> str:
        page = self.rest.get(self.rest.fscm + "erpintegrations",
                             finder=f"ESSExecutionDetailsRF;requestId={request},"
                                    "fileType=log") or {}
        items = page.get("items") or [{}]
        return job_log(items[0].get("DocumentContent"))

    def _batch(self, name: str) -> ErpRecord | None:
        page = self.rest.get(self.rest.fscm + "journalBatches", onlyData="true",
                             q=f"BatchName={quote(name)}", fields="JeBatchId,BatchName")
        rows = (page or {}).get("items") or []
        return ErpRecord(f"journalBatches/{rows[0]['JeBatchId']}", number=name) if rows \
            else None

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        """The transaction or journal batch carrying ``external_id``'s reference. A journal
        import runs after its answer: an earlier attempt whose answer was lost may have
        started one that has not made its batch yet, so a journal not found is looked for
        again until ``import_settle_seconds`` (default 300) have passed; only
        then is it taken as never imported (an import running longer still could post it
        twice: the one case this cannot rule out)."""
        ref = reference(external_id)
        if kind == "journal_entry":
            deadline = time.monotonic() + self.settle_seconds
            while (found := self._batch(ref)) is None and time.monotonic() < deadline:
                self._sleep(self.poll_seconds)
            return found
        resource, _ = RESOURCES[kind]
        page = self.rest.get(self.rest.fscm + resource, onlyData="true",
                             q=f"TransactionNumber={quote(ref)};"
                               f"TransactionSource={quote(self.source)}",
                             fields="CustomerTransactionId,TransactionNumber,InvoiceStatus")
        rows = (page or {}).get("items") or []
        if not rows:
            return None
        return ErpRecord(f"{resource}/{rows[0]['CustomerTransactionId']}",
                         draft=rows[0].get("InvoiceStatus") == "Incomplete",
                         number=rows[0].get("TransactionNumber"))

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        """Complete a transaction an attempt left ``Incomplete`` (PATCH ``InvoiceStatus``)."""
        self.rest.api.send("PATCH", self.rest.fscm + record.erp_id, write=True,
                           json={"InvoiceStatus": "Complete"},
                           headers={"Content-Type": "application/vnd.oracle.adf."
                                                    "resourceitem+json"})
        return ErpRecord(record.erp_id, draft=False, number=record.number)

    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        """From the transaction's ``InvoiceBalanceAmount`` against its total (INF; both
        negative on a credit memo: what is open is its size), and the credit memo
        applications on either side (``_applications``)."""
        row = self.rest.get(self.rest.fscm + erp_id, onlyData="true",
                            fields="EnteredAmount,InvoiceBalanceAmount") or {}
        total = abs(Decimal(str(row.get("EnteredAmount") or 0)))
        balance = abs(Decimal(str(row.get("InvoiceBalanceAmount", total))))
        state = ("paid" if balance == 0 else "not_paid" if balance == total else "partial")
        return PaymentState(state, balance, self._applications(kind, erp_id))

    def _applications(self, kind: str, erp_id: str) -> tuple[ErpPayment, ...]:
        """Credit memos applied to invoices, seen from either side: an ``offset`` each.
        INF (not in the samples, which hold no application resource): a collection
        ``receivablesCreditMemoApplications`` with ``ApplicationId``, ``CreditMemoId`` and
        ``AppliedTransactionId`` (the two ``CustomerTransactionId``), ``AmountApplied``
        (positive, the credit memo's currency), ``ApplicationDate`` and ``ReversalDate``
        (set when the application was unapplied), found by either id with ``q``. Money
        received (standard receipts) is shown only in the balance."""
        resource, _, tx = erp_id.partition("/")
        if not tx.isdigit() or resource not in (r for r, _ in RESOURCES.values()):
            raise ErpRefused(f"Oracle Fusion transaction id {erp_id!r} is not one")
        side = "CreditMemoId" if kind == "credit_note" else "AppliedTransactionId"
        out = []
        for app in self.rest.items(self.rest.fscm + "receivablesCreditMemoApplications",
                                   q=f"{side}={tx}"):
            amount = Decimal(str(app.get("AmountApplied") or 0))
            if app.get("ReversalDate") or amount <= 0:
                continue  # unapplied: nothing of it settles either document
            # one id for the application on both documents: each records it once
            out.append(ErpPayment(f"application:{app['ApplicationId']}",
                                  date.fromisoformat(str(app["ApplicationDate"])[:10]),
                                  amount, "offset"))
        return tuple(out)

    def check(self, profile: ErpProfile) -> list[str]:
        """The connection settings the import needs, and the GL accounts the profile names
        that Oracle lacks (``accountCombinationsLOV``: INF)."""
        out = [f"Oracle Fusion profile lacks connection.{k}" for k in REQUIRED
               if not self.connection.get(k)]
        wanted = {profile.receivable_account, *profile.revenue_accounts.values(),
                  *profile.accounts.values()}
        for account in sorted(wanted):
            page = self.rest.get(self.rest.fscm + "accountCombinationsLOV", onlyData="true",
                                 q=f"_CHART_OF_ACCOUNTS_ID>0;ConcatenatedSegments="
                                   f"{quote(account)}", limit=1) or {}
            if not page.get("items"):
                out.append(f"Oracle Fusion has no account combination {account!r}")
        return out
