"""A local imitation of SAP S/4HANA Cloud's APIs the SAP sink uses, for the ERP sink tests
(served by ``support.erp_server``).

What it follows (``/work/shared/samples/sap_s4hana/``, CONNECTORS.md section 4):

- Basic auth of a communication user.
- SOAP ``POST /sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi`` with the SOAPAction of
  ``JournalEntryCreateRequestConfirmation_In`` (``journalEntry.post.sync.request.xml``): posts
  when the company code and G/L accounts exist, DebitCreditCode S carries a positive and H a
  negative amount, and the items balance; otherwise **HTTP 200 with AccountingDocument
  0000000000** and a Log of severity 3 (``...response.error.xml``); a body that is not a
  SOAP envelope gets a SOAP Fault (HTTP 500).
- CSRF (``csrf.fetch_and_post.http``): a GET with ``x-csrf-token: Fetch`` answers a token and
  a session cookie; a POST must carry both, else 403 ``x-csrf-token: Required`` and "CSRF
  token validation failed". ``expire_sessions()`` ends every session (tokens go stale).
- External billing document requests through the asynchronous SOAP service
  ``BillingDocumentRequest_In`` (``POST /sap/bc/srt/scs_ext/sap/billingdocumentrequest_in``;
  path and shape INF, see ``hourbridge.connectors.sap.billing_request``): **202 with no body**
  whatever comes of it; a request whose sold-to party is no business partner, or whose
  reference (``PurchaseOrderByCustomer``) a request already carries, is not stored and only
  noted in ``monitor`` (SAP's message monitor); ``request_delay_reads`` hides a new request
  from that many reads (the asynchronous processing). No CSRF on SOAP (the OData services
  have it).
- OData V2 (``API_BILLING_DOCUMENT_REQUEST_SRV``, ``API_BUSINESS_PARTNER``,
  ``API_JOURNALENTRYITEMBASIC_SRV``, ``API_BILLING_DOCUMENT_SRV``, ``API_COMPANYCODE_SRV``,
  ``API_GLACCOUNTINCHARTOFACCOUNTS_SRV``, ``API_ENTERPRISE_PROJECT_SRV`` ``A_EnterpriseProject``
  with ``Project``, ``ProjectDescription``, ``CompanyCode``): ``{"d": {"results": [...],
  "__next"}}`` paged by
  ``page_size`` (``billingDocumentRequest.read.v2.response.json``), errors in the V2 shape
  (``error.odata_v2.json``); the services other than the billing request's are INF.
- OData V4 ``api_billingdocument``: ``BillingDocument`` paged with ``@odata.nextLink``
  (``collection.odata_v4.page.json``) and ``SAP__self.CreateFromSDDocument``
  (``billingDocument.createFromSDDocument.*``); a request already billed, or unknown, is a V4
  error (``error.odata_v4.json``: the shape is INF). Billing documents keep the request's
  ``PurchaseOrderByCustomer`` and amounts (INF); billing one posts its accounting
  document's customer item (``A_JournalEntryItemBasic``, ``ReferenceDocument``; INF, no tax
  determined), ``apply_credit`` clears a credit memo against an invoice in part (AB) and
  ``pay`` posts a customer payment against one in part (DZ).
- ``$filter`` ``eq`` joined by ``and``; ``$top``; ``$select``.

Faults: ``drop_after_commit`` documents posted (journal entries, billing document requests,
billing documents) commit and the connection closes with no answer (``drop_request_answers``:
billing document requests only); ``unavailable`` requests answer 503; ``latency``.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from .erp_server import DROP, Reply, Request
from .sap_soap import BDR_PATH, SOAP_PATH, billing_request, journal_entry

V2 = "/sap/opu/odata/sap/"
V4 = "/sap/opu/odata4/sap/api_billingdocument/srvd_a2x/sap/billingdocument/0001/"


@dataclass
class Sap:
    user: str = "HB_COMM_USER"
    password: str = "sap-secret"
    latency: float = 0.0
    answer_latency: float = 0.0
    page_size: int = 50
    drop_after_commit: int = 0
    unavailable: int = 0
    url: str = ""
    company_codes: set[str] = field(default_factory=lambda: {"1010"})
    gl_accounts: set[str] = field(default_factory=lambda: {"0012100000", "0041000000",
                                                           "1210", "4000", "1100"})
    billing_requests: list[dict[str, Any]] = field(default_factory=list)
    billing_documents: list[dict[str, Any]] = field(default_factory=list)
    partners: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    journal_entries: list[dict[str, Any]] = field(default_factory=list)
    # customer items of billing documents' accounting documents and of clearings (INF)
    receivable_items: list[dict[str, Any]] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)  # cookie -> token
    monitor: list[str] = field(default_factory=list)  # what the asynchronous service refused
    request_delay_reads: int = 0
    drop_request_answers: int = 0  # billing request posts that commit and are never answered
    calls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.RLock)

    def add_billing_request(self, reference: str, net: Decimal, currency: str,
                            sold_to: str = "10100001") -> str:
        """An external billing document request, as the upload of billing data makes it."""
        number = str(10000000 + next(self._ids))
        self.billing_requests.append({
            "BillingDocumentRequest": number, "SDDocumentCategory": "EBDR",
            "BillingDocumentRequestType": "BDR1", "SalesOrganization": "1010",
            "SoldToParty": sold_to, "PurchaseOrderByCustomer": reference,
            "TotalNetAmount": f"{net:.2f}", "TransactionCurrency": currency})
        return number

    def apply_credit(self, credit: str, invoice: str, amount: Decimal, on: str) -> None:
        """A credit memo cleared against an invoice for ``amount`` (partial-payment
        method, INF as in the sink): one clearing journal entry (type AB) with a customer
        item naming each document's accounting document in ``InvoiceReference``."""
        self._clear("AB", ((invoice, -amount), (credit, amount)), on)

    def pay(self, invoice: str, amount: Decimal, on: str) -> None:
        """A customer payment of ``amount`` posted against an invoice in part (incoming
        payment, partial-payment method, INF as in the sink): one journal entry of type DZ
        whose customer item names the invoice's accounting document."""
        self._clear("DZ", ((invoice, -amount),), on)

    def _clear(self, kind: str, sides: tuple[tuple[str, Decimal], ...], on: str) -> None:
        with self._lock:
            number = f"{100000000 + next(self._ids):010d}"
            ms = int(datetime.fromisoformat(on).replace(tzinfo=UTC).timestamp() * 1000)
            for n, (billing, amount) in enumerate(sides, 1):
                [own] = [i for i in self.receivable_items
                         if i.get("ReferenceDocument") == billing]
                self.receivable_items.append({
                    "CompanyCode": own["CompanyCode"], "FiscalYear": on[:4],
                    "AccountingDocument": number, "AccountingDocumentItem": str(n),
                    "AccountingDocumentType": kind, "FinancialAccountType": "D",
                    "PostingDate": f"/Date({ms})/", "ReferenceDocument": number,
                    "InvoiceReference": own["AccountingDocument"],
                    "InvoiceReferenceFiscalYear": own["FiscalYear"],
                    "AmountInTransactionCurrency": f"{amount:.2f}"})

    def expire_sessions(self) -> None:
        with self._lock:
            self.sessions.clear()

    def entry_items(self) -> list[dict[str, Any]]:
        return [dict(i, **{k: e[k] for k in ("CompanyCode", "FiscalYear", "AccountingDocument",
                                             "DocumentReferenceID")})
                for e in self.journal_entries for i in e["items"]]

    # --- HTTP ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.calls.append(f"{request.method} {request.path}")
            expected = "Basic " + base64.b64encode(
                f"{self.user}:{self.password}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return Reply(401, "Logon failed", {"Content-Type": "text/plain"})
            if self.unavailable > 0:
                self.unavailable -= 1
                return Reply(503, "Service Unavailable", {"Retry-After": "0"})
            if request.path == SOAP_PATH and request.method == "POST":
                reply = journal_entry(self, request)
            elif request.path == BDR_PATH and request.method == "POST":
                reply = billing_request(self, request)
                if self.drop_request_answers > 0:
                    self.drop_request_answers -= 1
                    return DROP
            elif request.path.startswith((V2, V4)):
                reply = self._odata(request)
            else:
                reply = Reply(404, "Not Found")
            document = request.path in (SOAP_PATH, BDR_PATH) or request.path.endswith(
                "FromSDDocument")
            if (document and reply.status < 300 and self.drop_after_commit > 0
                    and "AccountingDocument>0000000000" not in str(reply.body)):
                self.drop_after_commit -= 1
                return DROP
            return reply

    def _odata(self, request: Request) -> Reply:
        v4 = request.path.startswith(V4)
        if request.headers.get("x-csrf-token", "").lower() == "fetch":
            cookie = f"SAP_SESSIONID_HB_100=s{next(self._ids)}"
            token = base64.b64encode(cookie.encode()).decode()
            self.sessions[cookie] = token
            return Reply(200, {} if v4 else {"d": {"EntitySets": []}},
                         {"x-csrf-token": token, "Set-Cookie": f"{cookie}; path=/; HttpOnly"})
        if request.method == "POST":
            cookies = [c.strip() for c in request.headers.get("cookie", "").split(";")]
            token = request.headers.get("x-csrf-token", "")
            if not any(self.sessions.get(c) == token for c in cookies if c):
                return Reply(403, "CSRF token validation failed",
                             {"x-csrf-token": "Required", "Content-Type": "text/plain"})
        path = request.path.removeprefix(V4 if v4 else V2)
        try:
            if v4:
                return self._v4(path, request)
            return self._v2(path, request)
        except KeyError as exc:
            return Reply(404, _v2_error("/IWBEP/CM_MGW_RT/020", f"Resource not found {exc}"))

    def _v2(self, path: str, request: Request) -> Reply:
        service, _, entity = path.partition("/")
        if request.method == "POST" and entity == "A_BusinessPartner":
            vals = request.json()
            if not vals.get("OrganizationBPName1") or vals.get("BusinessPartnerCategory") != "2":
                return Reply(400, _v2_error("R11/401", "Enter a name for the organization"))
            partner = {**vals, "BusinessPartner": str(10100000 + next(self._ids))}
            self.partners.append(partner)
            return Reply(201, {"d": partner})
        if entity == "A_BillingDocumentRequest":  # the asynchronous processing catches up
            for r in self.billing_requests:
                r["_hidden"] = max(0, r.get("_hidden", 0) - 1)
        rows = {
            "API_BILLING_DOCUMENT_REQUEST_SRV/A_BillingDocumentRequest": [
                r for r in self.billing_requests if not r.get("_hidden")],
            "API_BUSINESS_PARTNER/A_BusinessPartner": self.partners,
            "API_JOURNALENTRYITEMBASIC_SRV/A_JournalEntryItemBasic": (
                self.entry_items() + self.receivable_items),
            "API_BILLING_DOCUMENT_SRV/A_BillingDocument": self.billing_documents,
            "API_ENTERPRISE_PROJECT_SRV/A_EnterpriseProject": self.projects,
            "API_COMPANYCODE_SRV/A_CompanyCode": [{"CompanyCode": c}
                                                  for c in sorted(self.company_codes)],
            "API_GLACCOUNTINCHARTOFACCOUNTS_SRV/A_GLAccountInChartOfAccounts": [
                {"ChartOfAccounts": "YCOA", "GLAccount": a} for a in sorted(self.gl_accounts)],
        }[f"{service}/{entity}"]
        page, following = self._page(rows, request, f"{self.url}{V2}{service}/{entity}")
        body: dict[str, Any] = {"results": page}
        if following:
            body["__next"] = following
        return Reply(200, {"d": body})

    def _v4(self, path: str, request: Request) -> Reply:
        if request.method == "POST" and path == "BillingDocument/SAP__self.CreateFromSDDocument":
            return self._bill(request.json())
        if request.method == "GET" and path == "BillingDocument":
            page, following = self._page(self.billing_documents, request, "BillingDocument")
            body: dict[str, Any] = {"@odata.context": "$metadata#BillingDocument", "value": page}
            if following:
                body["@odata.nextLink"] = following.removeprefix(f"{self.url}{V4}")
            return Reply(200, body)
        raise KeyError(path)

    def _bill(self, body: dict[str, Any]) -> Reply:
        [ref] = body["_Reference"]
        request = next((r for r in self.billing_requests
                        if r["BillingDocumentRequest"] == ref["SDDocument"]
                        and r["SDDocumentCategory"] == ref["SDDocumentCategory"]), None)
        if request is None:
            return Reply(400, _v4_error("SD_BIL/001", f"Document {ref['SDDocument']} does not "
                                        "exist", "_Reference(0)/SDDocument"))
        if request.get("billed"):
            return Reply(400, _v4_error("SD_BIL/012", f"Document {ref['SDDocument']} is "
                                        "already being processed", "_Reference(0)/SDDocument"))
        request["billed"] = True
        control = body["_Control"]
        document = {
            "BillingDocument": str(90000000 + next(self._ids)),
            "BillingDocumentType": control["DefaultBillingDocumentType"],
            "SDDocumentCategory": "M", "SalesOrganization": request["SalesOrganization"],
            "BillingDocumentDate": control["DefaultBillingDocumentDate"],
            "TotalNetAmount": float(request["TotalNetAmount"]),
            "TransactionCurrency": request["TransactionCurrency"],
            "PayerParty": request["SoldToParty"],
            "PurchaseOrderByCustomer": request["PurchaseOrderByCustomer"],
            "ReferenceSDDocument": request["BillingDocumentRequest"],
            "InvoiceClearingStatus": "A"}
        self.billing_documents.append(document)
        # its accounting document's customer item (INF; no tax determination here: the
        # receivable is the net amount), a credit memo's negative
        day = str(control["DefaultBillingDocumentDate"])
        net = Decimal(str(request["TotalNetAmount"]))
        credit_memo = document["BillingDocumentType"] == "G2"
        self.receivable_items.append({
            "CompanyCode": "1010", "FiscalYear": day[:4],
            "AccountingDocument": f"{100000000 + next(self._ids):010d}",
            "AccountingDocumentItem": "1", "AccountingDocumentType": "RV",
            "FinancialAccountType": "D", "PostingDate": day,
            "ReferenceDocument": document["BillingDocument"],
            "AmountInTransactionCurrency": f"{-net if credit_memo else net:.2f}"})
        return Reply(200, {"@odata.context": "$metadata#Collection(com.sap.gateway.srvd_a2x."
                           "api_billingdocument.v0001.BillingDocument)", "value": [document]})

    def _page(self, rows: list[dict[str, Any]], request: Request,
              base: str) -> tuple[list[dict[str, Any]], str | None]:
        q = request.query
        for cond in q.get("$filter", "").split(" and ") if q.get("$filter") else []:
            name, op, value = cond.split(" ", 2)
            assert op == "eq", f"operator {op} not imitated"
            value = value[1:-1].replace("''", "'")
            rows = [r for r in rows if str(r.get(name)) == value]
        skip = int(q.get("$skiptoken", 0))
        limit = len(rows) if "$top" not in q else min(int(q["$top"]), len(rows))
        end = min(skip + self.page_size, limit)
        page = [{k: v for k, v in r.items() if k != "billed" and not k.startswith("_")}
                for r in rows[skip:end]]
        if "$select" in q:
            page = [{k: r.get(k) for k in q["$select"].split(",")} for r in page]
        following = None
        if end < limit:
            following = f"{base}?" + urlencode({**{k: v for k, v in q.items()
                                                   if k != "$skiptoken"}, "$skiptoken": end})
        return page, following


def _v2_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": {"lang": "en", "value": message},
                      "innererror": {"transactionid": "1A2B3C4D5E6F70819A0B1C2D3E4F5061",
                                     "errordetails": [{"code": code, "message": message,
                                                       "severity": "error", "target": ""}]}}}


def _v4_error(code: str, message: str, target: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "target": "/BillingDocument",
                      "details": [{"code": code, "message": message, "target": target,
                                   "@Common.numericSeverity": 4}],
                      "innererror": {"ErrorDetails": {"@Common.ExceptionCategory":
                                                      "Client_Error"}}}}
