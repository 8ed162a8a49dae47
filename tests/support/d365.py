"""A local imitation of Dynamics 365 Finance & Operations' OData service (``/data/``) and of
Entra ID's token endpoint, for the ERP sink tests (served by ``support.erp_server``).

What it follows (``/work/shared/samples/d365_finance_ops/`` and CONNECTORS.md section 2a):

- ``POST /token`` (client-credentials form, ``requests.http``) gives a bearer token with
  ``expires_in``; a request without a token it issued, or with an expired one, answers 401.
- Entities ``FreeTextInvoiceHeaders`` (key ``dataAreaId`` + ``InvoiceIdentifier`` Int64,
  ``FreeTextNumber`` from a number sequence, ``IsPosted`` ``No``: the create samples),
  ``FreeTextInvoiceLines`` (``ParentRecId`` = the header's ``InvoiceIdentifier``: INF in
  CONNECTORS.md), ``LedgerJournalHeaders`` (``JournalBatchNumber`` from a number sequence)
  and ``LedgerJournalLines`` (the line samples); ``CustomersV3``, ``LegalEntities``,
  ``LedgerJournalNames``, ``MainAccounts``, ``SalesTaxGroups`` and ``Projects``
  (``ProjectID``, ``ProjectName``, ``CustomerAccount``; read only here) with **inferred**
  field names; ``CustTransSettlements`` (a credit note marked against an invoice, one row
  per side: ``apply_credit``; one naming no other invoice for a customer payment: ``pay``;
  the entity and its fields **inferred**, read only here).
- Reads see the user's default company only unless ``cross-company=true``; ``$filter``
  (``eq`` joined by ``and``), ``$select``, ``$top``; server-driven paging of ``page_size``
  rows with ``@odata.nextLink`` carrying ``$skiptoken`` (``collection...page.json``).
- ``POST /data/$batch`` (``multipart/mixed``) with changesets that are all or nothing;
  ``$<n>/<Lines>`` names the entity the n-th request of the changeset created (OData 4.0
  Part 1, 11.7.3.1; that F&O exposes these navigations is **inferred**). The outer answer is
  200; a failed changeset is one 500 part with F&O's write-failed body
  (``error.500.write_failed.json``): an unknown main account, customer, journal name or tax
  group, a missing required field, a duplicate key, or (our rule, checked when a changeset
  ends: F&O checks at posting) a journal whose debits and credits differ.

Faults: ``throttle`` requests answer 429 with ``Retry-After`` and the documented message
(``error.429.throttled.json``; the envelope is INF there); ``drop_after_commit`` changesets
making a document (not a customer) commit and the connection closes with no answer;
``token_seconds`` how long a token lives (counted in requests); ``latency`` before each
answer, ``answer_latency`` after a write is done and before its answer.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from email import message_from_bytes
from email.message import Message
from typing import Any
from urllib.parse import urlencode

from .erp_server import DROP, Reply, Request

CENT = Decimal("0.01")
WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
KEYS = {"CustomersV3": ("dataAreaId", "CustomerAccount"),
        "Projects": ("dataAreaId", "ProjectID"),
        "FreeTextInvoiceHeaders": ("dataAreaId", "InvoiceIdentifier"),
        "FreeTextInvoiceLines": ("dataAreaId", "ParentRecId", "LineNumber"),
        "LedgerJournalHeaders": ("dataAreaId", "JournalBatchNumber"),
        "LedgerJournalLines": ("dataAreaId", "JournalBatchNumber", "LineNumber"),
        "CustTransSettlements": ("dataAreaId", "RecId")}
TABLES = {"CustomersV3": "CustTable", "FreeTextInvoiceHeaders": "CustInvoiceTable",
          "FreeTextInvoiceLines": "CustInvoiceLine", "LedgerJournalHeaders":
          "LedgerJournalTable", "LedgerJournalLines": "LedgerJournalTrans"}


class WriteFailed(Exception):
    def __init__(self, entity: str, message: str) -> None:
        super().__init__(f"Write failed for table row of type '{entity}Entity'. Infolog: "
                         f"Warning: {message}")


@dataclass
class D365:
    client_id: str = "hb-app"
    secret: str = "d365-secret"
    default_company: str = "usmf"
    page_size: int = 10000
    latency: float = 0.0
    answer_latency: float = 0.0
    throttle: int = 0
    drop_after_commit: int = 0
    token_seconds: int = 3599
    url: str = ""
    companies: set[str] = field(default_factory=lambda: {"usmf", "demf"})
    accounts: set[str] = field(default_factory=lambda: {"130100", "401100", "400000", "1210",
                                                        "4000", "1100"})
    journal_names: set[str] = field(default_factory=lambda: {"GenJrn"})
    tax_groups: dict[str, Decimal] = field(default_factory=lambda: {
        "DE19": Decimal(19), "EU0": Decimal(0)})
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)  # token -> requests left
    calls: list[str] = field(default_factory=list)
    _seq: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.RLock)

    def rows(self, entity: str) -> list[dict[str, Any]]:
        return self.tables.setdefault(entity, [])

    def invoices(self) -> list[dict[str, Any]]:
        """Each free-text invoice with its ``lines``."""
        lines = self.rows("FreeTextInvoiceLines")
        return [{**h, "lines": [ln for ln in lines if ln["ParentRecId"] ==
                                h["InvoiceIdentifier"]]}
                for h in self.rows("FreeTextInvoiceHeaders")]

    def journals(self) -> list[dict[str, Any]]:
        lines = self.rows("LedgerJournalLines")
        return [{**h, "lines": [ln for ln in lines if ln["JournalBatchNumber"] ==
                                h["JournalBatchNumber"] and ln["dataAreaId"] == h["dataAreaId"]]}
                for h in self.rows("LedgerJournalHeaders")]

    def pay(self, invoice_id: int, amount: Decimal, on: str) -> None:
        """The posting batch posted the invoice and a customer payment (a payment journal,
        no second document) was settled against it for ``amount``: one
        ``CustTransSettlements`` row naming no other invoice (an Int64 field is never null
        in F&O: 0), and its open amount less it."""
        with self._lock:
            head = next(h for h in self.rows("FreeTextInvoiceHeaders")
                        if h["InvoiceIdentifier"] == invoice_id)
            head["IsPosted"] = "Yes"
            head["InvoiceOpenAmount"] = float(Decimal(str(head["InvoiceOpenAmount"])) - amount)
            self.rows("CustTransSettlements").append({
                "dataAreaId": head["dataAreaId"], "RecId": self._next("rec", 5637144601),
                "InvoiceIdentifier": invoice_id, "OffsetInvoiceIdentifier": 0,
                "SettleAmountCur": float(amount), "TransDate": f"{on}T12:00:00Z"})

    def apply_credit(self, credit_id: int, invoice_id: int, amount: Decimal,
                     on: str) -> None:
        """The posting batch posted both, and the credit note was marked against the invoice
        and settled for ``amount``: one ``CustTransSettlements`` row per side (INF entity,
        see the sink), each signed as its transaction, and both open amounts less it."""
        with self._lock:
            heads = {h["InvoiceIdentifier"]: h for h in self.rows("FreeTextInvoiceHeaders")}
            credit, invoice = heads[credit_id], heads[invoice_id]
            for own, other, sign in ((credit, invoice, 1), (invoice, credit, -1)):
                own["IsPosted"] = "Yes"
                own["InvoiceOpenAmount"] = float(Decimal(str(own["InvoiceOpenAmount"]))
                                                 + sign * amount)
                self.rows("CustTransSettlements").append({
                    "dataAreaId": own["dataAreaId"], "RecId": self._next("rec", 5637144601),
                    "InvoiceIdentifier": own["InvoiceIdentifier"],
                    "OffsetInvoiceIdentifier": other["InvoiceIdentifier"],
                    "SettleAmountCur": float(-sign * amount), "TransDate": f"{on}T12:00:00Z"})

    # --- HTTP ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.calls.append(f"{request.method} {request.path}")
            if request.path == "/token":
                return self._token(request)
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if self.tokens.get(token, 0) <= 0:
                return Reply(401, {"error": {"code": "", "message": "Unauthorized"}})
            self.tokens[token] -= 1
            if self.throttle > 0:
                self.throttle -= 1
                return Reply(429, {"error": {"code": "", "message": (
                    "Number of requests exeeded the limit of 6000 over the time window of "
                    "300 seconds.")}}, {"Retry-After": "0"})
            entity = request.path.removeprefix("/data/")
            if request.method == "POST" and entity == "$batch":
                return self._batch(request)
            if request.method == "GET":
                return self._read(entity, request)
            return Reply(405, {"error": {"code": "", "message": "Method not allowed"}})

    def _token(self, request: Request) -> Reply:
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
                "client_credentials", self.client_id, self.secret):
            return Reply(401, {"error": "invalid_client", "error_description":
                               "AADSTS7000215: Invalid client secret provided."})
        token = f"tok{len(self.tokens) + 1}"
        # the imitation's clock is requests: a token outlives token_seconds of them
        self.tokens[token] = self.token_seconds
        return Reply(200, {"token_type": "Bearer", "expires_in": self.token_seconds,
                           "access_token": token})

    def _lookups(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "LegalEntities": [{"LegalEntityId": c} for c in sorted(self.companies)],
            "LedgerJournalNames": [{"dataAreaId": c, "JournalName": n}
                                   for c in self.companies for n in self.journal_names],
            "MainAccounts": [{"dataAreaId": c, "MainAccountId": a}
                             for c in self.companies for a in self.accounts],
            "SalesTaxGroups": [{"dataAreaId": c, "TaxGroupCode": t}
                               for c in self.companies for t in self.tax_groups]}

    def _read(self, entity: str, request: Request) -> Reply:
        q = request.query
        rows = self._lookups().get(entity)
        if rows is None:
            if entity not in KEYS:
                return Reply(404, {"error": {"code": "", "message": f"No {entity}"}})
            rows = self.rows(entity)
        if q.get("cross-company") != "true":
            rows = [r for r in rows if r.get("dataAreaId", self.default_company)
                    == self.default_company]
        for name, value in _conditions(q.get("$filter", "")):
            rows = [r for r in rows if str(r.get(name)) == value]
        skip = int(q.get("$skiptoken", 0))
        top = int(q["$top"]) if "$top" in q else None
        end = min(skip + self.page_size, len(rows) if top is None else min(top, len(rows)))
        page = rows[skip:end]
        if "$select" in q:
            keep = q["$select"].split(",")
            page = [{k: r.get(k) for k in keep} for r in page]
        body: dict[str, Any] = {"@odata.context": f"{self.url}/data/$metadata#{entity}",
                                "value": page}
        if end < (len(rows) if top is None else min(top, len(rows))):
            body["@odata.nextLink"] = f"{self.url}/data/{entity}?" + urlencode(
                {**{k: v for k, v in q.items() if k != "$skiptoken"}, "$skiptoken": end})
        return Reply(200, body)

    # --- $batch -------------------------------------------------------------------------
    def _batch(self, request: Request) -> Reply:
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        batch = message_from_bytes(head + request.body)
        out: list[str] = []
        dropped = False
        for part in batch.get_payload():  # type: ignore[union-attr]
            assert isinstance(part, Message)
            requests = part.get_payload() if part.is_multipart() else [part]
            saved = (copy.deepcopy(self.tables), dict(self._seq))
            try:
                created: list[dict[str, Any]] = []
                for p in requests:  # type: ignore[union-attr]
                    created.append(self._change(p, created))
                self._check_balanced(created)
                out.append(_changeset([(201, c) for c in created]))
                document = any("InvoiceIdentifier" in c or "JournalBatchNumber" in c
                               for c in created)
                if document and self.drop_after_commit > 0:
                    self.drop_after_commit -= 1
                    dropped = True
            except WriteFailed as exc:
                self.tables, self._seq = saved
                out.append(_part(500, {"error": {
                    "code": "", "message": "An error has occurred.", "innererror": {
                        "message": str(exc), "type": WRITE_EXCEPTION,
                        "stacktrace": "   at ...UpdateProcessor.CreateEntity_Save(...)"}}}))
        if dropped:
            return DROP
        body = "".join(f"--batchresponse_1\r\n{p}" for p in out) + "--batchresponse_1--\r\n"
        return Reply(200, body, {"Content-Type": "multipart/mixed; boundary=batchresponse_1"})

    def _change(self, part: Message, created: list[dict[str, Any]]) -> dict[str, Any]:
        import json

        raw = part.get_payload(decode=True)
        assert isinstance(raw, bytes)
        head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
        _method, url, _ = head.decode().split("\n")[0].split(" ")
        parent = None
        if url.startswith("$"):  # the entity the n-th request of this changeset created
            ref, _, url = url[1:].partition("/")
            parent = created[int(ref) - 1]
        return self._create(url, dict(json.loads(body)), parent)

    def _next(self, key: str, start: int = 1) -> int:
        self._seq[key] = self._seq.get(key, start - 1) + 1
        return self._seq[key]

    def _create(self, entity: str, vals: dict[str, Any],
                parent: dict[str, Any] | None) -> dict[str, Any]:
        company = vals.get("dataAreaId") or self.default_company
        if company not in self.companies:
            raise WriteFailed(entity, f"Company '{company}' does not exist.")
        vals["dataAreaId"] = company

        def need(*names: str) -> None:
            for n in names:
                if vals.get(n) in (None, ""):
                    raise WriteFailed(entity, f"Field '{n}' must be filled in.")

        def account(value: str, what: str = "Account") -> None:
            if value not in self.accounts:
                raise WriteFailed(entity, f"The value '{value}' in field '{what}' is not "
                                  "found in the related table 'Main accounts'.")

        if entity == "CustomersV3":
            need("CustomerAccount", "OrganizationName", "CustomerGroupId")
        elif entity == "FreeTextInvoiceHeaders":
            need("CustomerAccount", "InvoiceDate", "CurrencyCode")
            if not any(c["CustomerAccount"] == vals["CustomerAccount"] and
                       c["dataAreaId"] == company for c in self.rows("CustomersV3")):
                raise WriteFailed(entity, f"Customer account {vals['CustomerAccount']} does "
                                  "not exist.")
            vals.update(InvoiceIdentifier=self._next("rec", 5637144601),
                        FreeTextNumber=f"FTI-{self._next('fti:' + company):06d}",
                        IsPosted="No", InvoiceTotalAmount=0.0, InvoiceOpenAmount=0.0,
                        InvoiceTaxAmount=0.0, InvoiceAmount=0.0)
        elif entity == "FreeTextInvoiceLines":
            if parent is None or "InvoiceIdentifier" not in parent:
                need("ParentRecId")
                parent = next((h for h in self.rows("FreeTextInvoiceHeaders")
                               if h["InvoiceIdentifier"] == vals["ParentRecId"]), None)
                if parent is None:
                    raise WriteFailed(entity, "The parent free text invoice does not exist.")
            need("LineNumber", "MainAccountDisplayValue", "Quantity", "UnitPrice")
            account(vals["MainAccountDisplayValue"], "MainAccountDisplayValue")
            tax = vals.get("SalesTaxGroupId")
            if tax and tax not in self.tax_groups:
                raise WriteFailed(entity, f"Sales tax group {tax} does not exist.")
            vals["ParentRecId"] = parent["InvoiceIdentifier"]
            net = (Decimal(str(vals["Quantity"])) * Decimal(str(vals["UnitPrice"]))).quantize(
                CENT, ROUND_HALF_UP)
            tax_amount = (net * self.tax_groups.get(tax or "", Decimal(0)) / 100).quantize(
                CENT, ROUND_HALF_UP)
            vals["LineAmount"] = float(net)
            for name, add in (("InvoiceAmount", net), ("InvoiceTaxAmount", tax_amount),
                              ("InvoiceTotalAmount", net + tax_amount),
                              ("InvoiceOpenAmount", net + tax_amount)):
                parent[name] = float(Decimal(str(parent[name])) + add)
        elif entity == "LedgerJournalHeaders":
            need("JournalName")
            if vals["JournalName"] not in self.journal_names:
                raise WriteFailed(entity, f"Journal name {vals['JournalName']} does not "
                                  "exist.")
            vals.update(JournalBatchNumber=f"{self._next('jnl:' + company):05d}",
                        IsPosted="No", PostingLayer="Current")
        elif entity == "LedgerJournalLines":
            if parent is not None:
                vals["JournalBatchNumber"] = parent["JournalBatchNumber"]
            need("JournalBatchNumber", "LineNumber", "AccountDisplayValue", "TransDate")
            account(vals["AccountDisplayValue"])
            vals["Voucher"] = f"GNJL{vals['JournalBatchNumber']}"
        else:
            raise WriteFailed(entity, f"Entity {entity} is not imitated.")
        key = tuple(vals.get(k) for k in KEYS[entity])
        if any(tuple(r.get(k) for k in KEYS[entity]) == key for r in self.rows(entity)):
            raise WriteFailed(entity, f"Cannot create a record in {TABLES[entity]}. The "
                              f"record already exists: {key}.")
        self.rows(entity).append(vals)
        return vals

    def _check_balanced(self, created: list[dict[str, Any]]) -> None:
        """Our rule, when a changeset ends (F&O checks at posting): a journal's debits equal
        its credits."""
        for company, batch in {(r["dataAreaId"], r["JournalBatchNumber"]) for r in created
                               if "JournalBatchNumber" in r and "LineNumber" in r}:
            lines = [ln for ln in self.rows("LedgerJournalLines")
                     if (ln["dataAreaId"], ln["JournalBatchNumber"]) == (company, batch)]
            debit = sum(Decimal(str(ln.get("DebitAmount") or 0)) for ln in lines)
            credit = sum(Decimal(str(ln.get("CreditAmount") or 0)) for ln in lines)
            if debit != credit:
                raise WriteFailed("LedgerJournalLine", f"The transactions on voucher "
                                  f"GNJL{batch} do not balance. (debit {debit}, credit "
                                  f"{credit})")


def _conditions(filter_: str) -> list[tuple[str, str]]:
    out = []
    for cond in filter_.split(" and ") if filter_ else []:
        name, op, value = cond.strip().split(" ", 2)
        assert op == "eq", f"operator {op} not imitated"
        out.append((name, value[1:-1].replace("''", "'") if value.startswith("'")
                    else value))
    return out


def _part(status: int, body: Any, content_id: int | None = None) -> str:
    import json

    reason = {200: "OK", 201: "Created", 500: "Internal Server Error"}[status]
    cid = f"Content-ID: {content_id}\r\n" if content_id else ""
    return ("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            f"{cid}\r\nHTTP/1.1 {status} {reason}\r\n"
            "Content-Type: application/json; odata.metadata=minimal\r\n\r\n"
            f"{json.dumps(body)}\r\n")


def _changeset(answers: list[tuple[int, Any]]) -> str:
    parts = "".join(f"--changesetresponse_1\r\n{_part(s, b, n)}"
                    for n, (s, b) in enumerate(answers, 1))
    return ("Content-Type: multipart/mixed; boundary=changesetresponse_1\r\n\r\n"
            f"{parts}--changesetresponse_1--\r\n")
