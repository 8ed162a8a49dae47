"""A local imitation of Oracle Fusion Cloud Financials' REST API, for the ERP sink tests
(served by ``support.erp_server``).

What it follows (``/work/shared/samples/oracle_fusion/``, CONNECTORS.md section 3):

- Basic auth; with ``REST-Framework-Version: 4`` an error is JSON ``{title, status,
  o:errorDetails[{detail, o:errorCode, o:errorPath}]}`` (``error.400.framework_v4.json``),
  without it text/plain (``error.400.default_text.txt``); the ``AR-`` codes are placeholders
  there and here.
- ``receivablesInvoices`` (and ``receivablesCreditMemos``, same shape: INF): POST an item
  with its ``receivablesInvoiceLines`` answers 201 with ``CustomerTransactionId`` and
  ``InvoiceStatus`` ``Complete`` (``receivablesInvoice.create.*``); the business unit,
  transaction source and type, bill-to customer and currency must exist; a
  ``TransactionNumber`` is unique per source (manual numbering, ``requests.http``). GET with
  ``q`` (``A='x';B='y'``), ``fields``, ``limit``/``offset`` answering ``items``, ``count``,
  ``hasMore``, ``limit``, ``offset`` (``receivablesInvoices.collection.page.json``).
- ``erpintegrations``: ``importBulkData`` takes a base64 zip that must hold exactly
  ``GlInterface.csv`` and answers ``ReqstId``; the job ends ``job_seconds`` later,
  ``SUCCEEDED`` (a journal batch named by ``REFERENCE1`` appears in ``journalBatches``) or
  ``ERROR`` with a log (unknown source or account, a group id differing from the
  ParameterList's, or debits differing from credits per journal); ``ESSJobStatusRF`` and
  ``ESSExecutionDetailsRF`` finders (INF, as in the sink). CSV columns as
  ``connectors.oracle_fusion.journal.COLUMNS`` (INF: the template is the authority).
- ``receivablesCreditMemoApplications`` (a credit memo applied to an invoice:
  ``apply_credit``; resource and fields INF, as in the sink), read only, paged.
- CX ``accounts`` (INF field names), ``accountCombinationsLOV`` (INF).
- Project Portfolio Management ``projects`` (``ProjectId``, ``ProjectNumber``,
  ``ProjectName``, ``SourceProjectReference``, ``BusinessUnitName``: INF field names), read
  only, paged like every collection.

Faults: ``drop_after_commit`` creates of documents (transactions, imports) commit and then the
connection closes with no answer; ``unavailable`` requests answer 503; ``latency``.
"""

from __future__ import annotations

import base64
import csv
import io
import threading
import time
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hourbridge.connectors.oracle_fusion.journal import COLUMNS

from .erp_server import DROP, Reply, Request

CENT = Decimal("0.01")
FSCM = "/fscmRestApi/resources/11.13.18.05/"
CRM = "/crmRestApi/resources/11.13.18.05/"
LINES = {"receivablesInvoices": "receivablesInvoiceLines",
         "receivablesCreditMemos": "receivablesCreditMemoLines"}


class Refused(Exception):
    def __init__(self, detail: str, path: str, code: str = "AR-XXXXXX") -> None:
        super().__init__(detail)
        self.code, self.path = code, path


@dataclass
class Oracle:
    login: str = "hb.integration"
    password: str = "oracle-secret"
    latency: float = 0.0
    answer_latency: float = 0.0
    job_seconds: float = 0.1
    drop_after_commit: int = 0
    unavailable: int = 0
    url: str = ""
    business_units: set[str] = field(default_factory=lambda: {"Vision Operations", "DE BU"})
    sources: set[str] = field(default_factory=lambda: {"Hourbridge"})
    types: set[str] = field(default_factory=lambda: {"Invoice", "Credit Memo"})
    je_sources: set[str] = field(default_factory=lambda: {"Hourbridge"})
    ledgers: set[str] = field(default_factory=lambda: {"300000046975971"})
    accounts: set[str] = field(default_factory=lambda: {"101-1210", "101-4000", "101-1100",
                                                        "101-4100"})
    tax_rates: dict[str, Decimal] = field(default_factory=lambda: {
        "VAT19": Decimal(19), "VAT0": Decimal(0)})
    transactions: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {
        "receivablesInvoices": [], "receivablesCreditMemos": []})
    parties: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    _next: int = 300100170996400
    _lock: threading.Lock = field(default_factory=threading.RLock)

    def _id(self) -> int:
        self._next += 1
        return self._next

    def apply_credit(self, credit_id: int, invoice_id: int, amount: Decimal,
                     on: str) -> None:
        """A credit memo applied to an invoice for ``amount``: both balances less it (the
        credit memo's is negative) and one application row."""
        with self._lock:
            [credit] = [t for t in self.transactions["receivablesCreditMemos"]
                        if t["CustomerTransactionId"] == credit_id]
            [invoice] = [t for t in self.transactions["receivablesInvoices"]
                         if t["CustomerTransactionId"] == invoice_id]
            for row, sign in ((credit, 1), (invoice, -1)):
                row["InvoiceBalanceAmount"] = float(
                    Decimal(str(row["InvoiceBalanceAmount"])) + sign * amount)
            self.applications.append({
                "ApplicationId": self._id(), "CreditMemoId": credit_id,
                "CreditMemoNumber": credit["TransactionNumber"],
                "AppliedTransactionId": invoice_id,
                "AppliedTransactionNumber": invoice["TransactionNumber"],
                "AmountApplied": float(amount), "ApplicationDate": on, "ReversalDate": None})

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.calls.append(f"{request.method} {request.path}")
            v4 = request.headers.get("rest-framework-version") == "4"
            expected = "Basic " + base64.b64encode(
                f"{self.login}:{self.password}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return Reply(401, "Authentication failed", {"Content-Type": "text/plain"})
            if self.unavailable > 0:
                self.unavailable -= 1
                return Reply(503, "Service Unavailable", {"Retry-After": "0"})
            self._run_jobs()
            try:
                reply = self._route(request)
            except Refused as exc:
                if not v4:
                    return Reply(400, f"{exc} ({exc.code})", {"Content-Type": "text/plain"})
                return Reply(400, {"title": "Bad Request", "status": "400", "o:errorDetails": [
                    {"detail": f"{exc} ({exc.code})", "o:errorCode": exc.code,
                     "o:errorPath": exc.path}]})
            document = request.path.endswith(("erpintegrations", *LINES))
            if request.method == "POST" and document and self.drop_after_commit > 0:
                self.drop_after_commit -= 1
                return DROP
            return reply

    def _route(self, request: Request) -> Reply:
        path, q = request.path, request.query
        if path.startswith(FSCM):
            resource, _, rest = path.removeprefix(FSCM).partition("/")
            if resource in LINES:
                if request.method == "POST":
                    return Reply(201, self._transaction(resource, request.json()))
                rows = self.transactions[resource]
                if rest:
                    rows = [r for r in rows if str(r["CustomerTransactionId"]) == rest]
                    if not rows:
                        return Reply(404, "Not Found")
                    return Reply(200, _fields(rows[0], q))
                return _page(rows, q)
            if resource == "erpintegrations":
                if request.method == "POST":
                    return Reply(201, self._import(request.json()))
                return self._finder(q.get("finder", ""))
            if resource == "journalBatches":
                return _page(self.batches, q)
            if resource == "receivablesCreditMemoApplications":
                return _page(self.applications, q)
            if resource == "projects":
                return _page(self.projects, q)
            if resource == "accountCombinationsLOV":
                return _page([{"ConcatenatedSegments": a, "_CHART_OF_ACCOUNTS_ID": 101}
                              for a in sorted(self.accounts)], q)
        if path == CRM + "accounts":
            if request.method == "POST":
                return Reply(201, self._party(request.json()))
            return _page(self.parties, q)
        return Reply(404, "Not Found")

    def _party(self, vals: dict[str, Any]) -> dict[str, Any]:
        if not vals.get("OrganizationName"):
            raise Refused("OrganizationName is required.", "/accounts/OrganizationName",
                          "ZCA-001")
        key = (vals.get("SourceSystem"), vals.get("SourceSystemReferenceValue"))
        if key[1] and any((p.get("SourceSystem"), p.get("SourceSystemReferenceValue")) == key
                          for p in self.parties):
            raise Refused(f"The source system reference {key[1]} already exists.",
                          "/accounts/SourceSystemReferenceValue", "ZCA-002")
        party = {**vals, "PartyId": self._id(), "PartyNumber": str(1000 + len(self.parties))}
        self.parties.append(party)
        return party

    def _transaction(self, resource: str, vals: dict[str, Any]) -> dict[str, Any]:
        where = f"/{resource}/"
        for name, known in (("BusinessUnit", self.business_units),
                            ("TransactionSource", self.sources),
                            ("TransactionType", self.types)):
            if vals.get(name) not in known:
                raise Refused(f"The value of the attribute {name} isn't valid.", where + name)
        if not any(p["PartyNumber"] == vals.get("BillToCustomerNumber") for p in self.parties):
            raise Refused(f"An invalid value was specified for BillToCustomerNumber: "
                          f"{vals.get('BillToCustomerNumber')}.", where + "BillToCustomerNumber")
        if vals.get("InvoiceCurrencyCode") not in ("EUR", "USD", "CHF"):
            raise Refused("The value of the attribute InvoiceCurrencyCode isn't valid.",
                          where + "InvoiceCurrencyCode")
        number = vals.get("TransactionNumber")
        if any(t["TransactionNumber"] == number and t["TransactionSource"] ==
               vals["TransactionSource"] for rows in self.transactions.values() for t in rows):
            raise Refused(f"The transaction number {number} already exists for the source "
                          f"{vals['TransactionSource']}.", where + "TransactionNumber")
        lines = vals.pop(LINES[resource], [])
        if not lines:
            raise Refused("A transaction needs at least one line.", where + LINES[resource])
        net = tax = Decimal(0)
        for ln in lines:
            for name in ("Description", "Quantity", "UnitSellingPrice"):
                if ln.get(name) in (None, ""):
                    raise Refused(f"The attribute {name} is required.",
                                  f"{where}{LINES[resource]}/{name}")
            code = ln.get("TaxClassificationCode")
            if code and code not in self.tax_rates:
                raise Refused(f"The tax classification code {code} isn't valid.",
                              f"{where}{LINES[resource]}/TaxClassificationCode")
            amount = (Decimal(str(ln["Quantity"])) * Decimal(str(ln["UnitSellingPrice"]))
                      ).quantize(CENT, ROUND_HALF_UP)
            ln["LineAmount"] = float(amount)
            net += amount
            tax += (amount * self.tax_rates.get(code or "", Decimal(0)) / 100).quantize(
                CENT, ROUND_HALF_UP)
        row = {**vals, "CustomerTransactionId": self._id(), "InvoiceStatus": "Complete",
               "lines": lines, "LineAmount": float(net), "TaxAmount": float(tax),
               "EnteredAmount": float(net + tax), "InvoiceBalanceAmount": float(net + tax)}
        self.transactions[resource].append(row)
        return {k: v for k, v in row.items() if k != "lines"}

    # --- journal import -----------------------------------------------------------------
    def _import(self, vals: dict[str, Any]) -> dict[str, Any]:
        if vals.get("OperationName") != "importBulkData":
            raise Refused("Unknown operation.", "/erpintegrations/OperationName")
        request = str(2451800 + len(self.jobs) + 1)
        status, log, batches = self._journal_import(vals)
        self.jobs[request] = {"done_at": time.monotonic() + self.job_seconds,
                              "outcome": (status, log), "batches": batches}
        return {**vals, "ReqstId": request, "RequestStatus": None}

    def _journal_import(self, vals: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
        """(status, log, batches): what the import job ends with once it has run."""
        try:
            archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(vals["DocumentContent"])))
            if archive.namelist() != ["GlInterface.csv"]:
                return "ERROR", "The zip must hold exactly GlInterface.csv.", []
            rows = [dict(zip(COLUMNS, r, strict=False)) for r in csv.reader(
                io.StringIO(archive.read("GlInterface.csv").decode()))]
        except (ValueError, KeyError, zipfile.BadZipFile) as exc:
            return "ERROR", f"Cannot read the data file: {exc}", []
        _das, source, ledger, group, *_ = vals["ParameterList"].split(",")
        problems = []
        if source not in self.je_sources:
            problems.append(f"Journal source {source} does not exist.")
        if ledger not in self.ledgers:
            problems.append(f"Ledger {ledger} does not exist.")
        journals: dict[str, Decimal] = {}
        for r in rows:
            account = "-".join(r[f"SEGMENT{i}"] for i in range(1, 7) if r[f"SEGMENT{i}"])
            if account not in self.accounts:
                problems.append(f"EF04 The account {account} is not valid.")
            if r["GROUP_ID"] != group:
                problems.append(f"The group id {r['GROUP_ID']} is not {group}.")
            journals[r["REFERENCE4"]] = journals.get(r["REFERENCE4"], Decimal(0)) + Decimal(
                r["ENTERED_DR"] or 0) - Decimal(r["ENTERED_CR"] or 0)
        problems += [f"EU02 The journal {j} is unbalanced by {d}." for j, d in journals.items()
                     if d != 0]
        if problems:
            return "ERROR", "Journal Import: " + " ".join(problems), []
        batches = [{"JeBatchId": self._id(), "BatchName": rows[0]["REFERENCE1"],
                    "JeSource": source, "lines": rows}] if rows else []
        return "SUCCEEDED", "Journal Import completed.", batches

    def _run_jobs(self) -> None:
        """Import jobs whose time has come end (whether or not anyone polls them)."""
        now = time.monotonic()
        for job in self.jobs.values():
            if now >= job["done_at"] and not job.get("posted"):
                job["posted"] = True
                if job["outcome"][0] == "SUCCEEDED":
                    self.batches += job["batches"]

    def _finder(self, finder: str) -> Reply:
        name, _, args = finder.partition(";")
        params = dict(a.split("=", 1) for a in args.split(",") if "=" in a)
        job = self.jobs.get(params.get("requestId", ""))
        if job is None:
            return _page([], {})
        running = not job.get("posted")
        status, log = job["outcome"]
        if name == "ESSJobStatusRF":
            return _page([{"OperationName": "getESSJobStatus", "ReqstId": params["requestId"],
                           "RequestStatus": "RUNNING" if running else status}], {})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"{params['requestId']}.log", log)
        return _page([{"ReqstId": params["requestId"], "DocumentContent":
                       base64.b64encode(buffer.getvalue()).decode()}], {})


def _conditions(q: str) -> list[tuple[str, str]]:
    out = []
    for cond in q.split(";") if q else []:
        if ">" in cond and "=" not in cond.split(">")[0]:
            continue  # a range condition (>0) every row meets here
        name, _, value = cond.partition("=")
        out.append((name, value.strip("'").replace("''", "'")))
    return out


def _fields(row: dict[str, Any], q: dict[str, str]) -> dict[str, Any]:
    row = {k: v for k, v in row.items() if k != "lines"}
    if "fields" in q:
        return {k: row.get(k) for k in q["fields"].split(",")}
    return row


def _page(rows: list[dict[str, Any]], q: dict[str, str]) -> Reply:
    for name, value in _conditions(q.get("q", "")):
        rows = [r for r in rows if str(r.get(name)) == value]
    limit, offset = int(q.get("limit", 25)), int(q.get("offset", 0))
    page = [_fields(r, q) for r in rows[offset:offset + limit]]
    return Reply(200, {"items": page, "count": len(page),
                       "hasMore": offset + limit < len(rows), "limit": limit,
                       "offset": offset})
