"""A local imitation of Dynamics 365 Business Central API v2.0 (loopback only, a thread per
request), for the Business Central sink tests and fault tests.

What it follows (``/work/shared/samples/CONNECTORS.md`` section 2b and the files of
``samples/business_central/``):

- Entra ID client credentials (``requests.http``): ``POST /{tenant}/oauth2/v2.0/token`` with
  ``grant_type=client_credentials``, ``client_id``, ``client_secret``, ``scope``; a request
  without a valid bearer token answers 401 ``Authentication_InvalidCredentials``.
- Base ``/v2.0/{tenant}/{environment}/api/v2.0``; ``companies`` and, per company,
  ``customers``, ``accounts``, ``items``, ``taxGroups``, ``currencies``, ``salesInvoices``,
  ``salesCreditMemos``, ``journals`` (+ ``journalLines``), ``generalLedgerEntries``,
  ``projects`` (``number``, ``displayName``: the API v2.0 project entity; seeded, read only).
- Errors ``{"error": {"code", "message"}}`` with the documented codes
  (``error.400.*.json``, ``error.404.not_found.json``): ``BadRequest_NotFound``,
  ``Application_DialogException``, ``Application_FieldValidationException``; a message ends
  with its ``CorrelationId``.
- Throttling (``error.429.too_many_requests.json``): 429 ``TooManyRequests`` with
  ``Retry-After`` (its presence INF).
- ``$filter=<field> eq '<value>'`` (``''`` for a quote), ``$top``; server-driven paging with
  ``Prefer: odata.maxpagesize=N``: ``value`` and ``@odata.nextLink`` carrying a
  ``$skiptoken`` (``collection.salesInvoices.page.json``).
- Sales invoices / credit memos: created ``Draft`` with a new ``id`` (201), lines in the same
  request (deep insert, ``salesInvoice.deep_insert.request.json``): ``lineType`` ``Item`` or
  ``Account`` with ``lineObjectNumber`` that must exist, ``quantity``, ``unitPrice``,
  ``taxCode`` (a tax group); amounts ``quantity x unitPrice`` to the cent, tax on the
  document's net per tax group, half up (as BC's VAT on document totals; INF for the detail).
  A customer is required (``customerId`` or ``customerNumber``; ``error.400.dialog.json``).
  ``Microsoft.NAV.post`` (bound action, 204) makes it ``Open`` with a posted number; posting
  one that is not a draft is an ``Application_DialogException``. ``remainingAmount`` falls
  with ``pay``; ``Paid`` at zero.
- Journals: ``journalLines`` (``accountType`` ``G/L Account``, ``accountNumber`` that must
  exist, ``documentNumber``, ``amount`` debit positive) posted with the journal's
  ``Microsoft.NAV.post``: each document number must balance (else an
  ``Application_DialogException``, "out of balance"; INF text); posting moves the lines into
  ``generalLedgerEntries`` (``debitAmount``/``creditAmount``) and empties the journal.
- Customers: ``number`` unique (``Application_DialogException`` when taken).

Faults: ``throttle`` next n requests answer 429 (``Retry-After: 0``); ``drop_after_commit``
next n creates of invoices/credit memos and posting actions commit and close the connection
unanswered; ``post_latency`` seconds before a posting action answers (after it committed);
``latency`` before each answer.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

from support.erp_http import DROP, Reply, Request, problem_reply

CENT = Decimal("0.01")
API = re.compile(r"^/v2\.0/(?P<tenant>[^/]+)/(?P<env>[^/]+)/api/v2\.0(?P<rest>/.*)?$")
SEGMENT = re.compile(r"^(?P<name>\w+)(?:\((?P<key>[^)]*)\))?$")
DOCUMENTS = {"salesInvoices": ("salesInvoiceLines", "invoiceDate", "S-INV"),
             "salesCreditMemos": ("salesCreditMemoLines", "creditMemoDate", "S-CR")}


def bc_error(status: int, code: str, message: str, **headers: str) -> Reply:
    return problem_reply(status, {"error": {"code": code, "message": f"{message}  "
                                            f"CorrelationId:  {uuid.uuid4()}."}}, **headers)


class Refusal(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()
            if not k.startswith("_")}


@dataclass
class BusinessCentral:
    tenant: str = "tenant-1"
    client_id: str = "hb-app"
    secret: str = "bc-secret"
    environment: str = "Production"
    latency: float = 0.0
    post_latency: float = 0.0
    throttle: int = 0
    drop_after_commit: int = 0
    url: str = ""
    companies: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    _sequence: int = 103000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        accounts = ("1200", "1210", "1300", "1400", "1410", "1776", "2100", "2400", "4000",
                    "4100", "4200", "4900", "5100", "8400", "8700")
        for name in ("CRONUS DE", "CRONUS US"):
            company = self.add_company(name)
            for number in accounts:
                self.add(company, "accounts", {"number": number, "displayName": number})
            for code in ("VAT19", "NOVAT"):
                self.add(company, "taxGroups", {"code": code})
            self.add(company, "items", {"number": "CONSULT", "type": "Service"})
            for code in ("EUR", "USD", "CHF"):
                self.add(company, "currencies", {"code": code})

    @property
    def base(self) -> str:
        return f"{self.url}/v2.0/{self.tenant}/{self.environment}/api/v2.0"

    @property
    def token_url(self) -> str:
        return f"{self.url}/{self.tenant}/oauth2/v2.0/token"

    def add_company(self, name: str) -> str:
        cid = str(uuid.uuid4())
        self.companies[cid] = {"_self": {cid: {"id": cid, "name": name}}}
        return cid

    def add(self, company: str, entity: str, row: dict[str, Any]) -> str:
        rid = str(uuid.uuid4())
        self.companies[company].setdefault(entity, {})[rid] = {"id": rid, **row}
        return rid

    def of(self, company: str, entity: str) -> list[dict[str, Any]]:
        return list(self.companies[company].get(entity, {}).values())

    def company(self, name: str) -> str:
        return next(c for c, e in self.companies.items() if e["_self"][c]["name"] == name)

    def pay(self, company: str, invoice: str, amount: Decimal) -> None:
        with self._lock:
            row = self.companies[company]["salesInvoices"][invoice]
            row["remainingAmount"] -= amount
            if row["remainingAmount"] <= 0:
                row["status"] = "Paid"

    def apply_credit(self, company: str, credit: str, invoice: str, amount: Decimal) -> None:
        """A posted credit memo applied to a posted invoice: both open amounts less
        ``amount`` (``Paid`` at zero); the credit memo names the invoice in ``invoiceId`` and
        ``invoiceNumber`` (API v2.0 ``salesCreditMemo``; INF that BC fills them on an
        application made after posting)."""
        with self._lock:
            rows = self.companies[company]
            cm, inv = rows["salesCreditMemos"][credit], rows["salesInvoices"][invoice]
            for row in (cm, inv):
                row["remainingAmount"] -= amount
                if row["remainingAmount"] <= 0:
                    row["status"] = "Paid"
            cm.update(invoiceId=inv["id"], invoiceNumber=inv["number"])

    # --- HTTP ----------------------------------------------------------------------------
    def __call__(self, req: Request) -> Reply:
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            reply, slow = self._route(req)
        if slow and self.post_latency:
            time.sleep(self.post_latency)  # committed; the answer takes its time
        return reply

    def _route(self, req: Request) -> tuple[Reply, bool]:
        self.calls.append((req.method, req.path))
        if req.path == f"/{self.tenant}/oauth2/v2.0/token" and req.method == "POST":
            form = req.form()
            if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
                    "client_credentials", self.client_id, self.secret):
                return problem_reply(401, {"error": "invalid_client"}), False
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return Reply(200, {"token_type": "Bearer", "expires_in": 3599,
                               "access_token": token}), False
        if req.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return bc_error(401, "Authentication_InvalidCredentials",
                            "The server has rejected the client credentials."), False
        if self.throttle:
            self.throttle -= 1
            return bc_error(429, "TooManyRequests", "Too many requests reached.  Actual "
                            "(601).  Maximum (600).", **{"Retry-After": "0"}), False
        m = API.match(req.path)
        if not m or m["tenant"] != self.tenant or m["env"] != self.environment:
            return bc_error(404, "BadRequest_NotFound", "The specified resource was not "
                            "found."), False
        segments = [s for s in (m["rest"] or "").split("/") if s]
        try:
            return self._api(req, segments)
        except Refusal as exc:
            return exc.reply, False

    def _api(self, req: Request, segments: list[str]) -> tuple[Reply, bool]:
        if segments == ["companies"]:
            return self._collection(req, [e["_self"][c] for c, e in self.companies.items()]
                                    ), False
        head = SEGMENT.match(segments[0]) if segments else None
        if not head or head["name"] != "companies" or head["key"] not in self.companies:
            raise Refusal(bc_error(404, "BadRequest_NotFound",
                                   "The specified resource was not found."))
        company = head["key"]
        store = self.companies[company]
        if len(segments) == 1:
            return Reply(200, store["_self"][company]), False
        seg = SEGMENT.match(segments[1])
        assert seg is not None
        entity, key = seg["name"], seg["key"]
        rows = store.setdefault(entity, {})
        if key is None:
            if req.method == "GET":
                return self._collection(req, list(rows.values())), False
            if req.method == "POST":
                return self._create(company, entity, req.json())
            raise Refusal(bc_error(405, "BadRequest_MethodNotAllowed", "Not allowed."))
        row = rows.get(key)
        if row is None:
            raise Refusal(bc_error(404, "BadRequest_NotFound",
                                   "The specified resource was not found."))
        rest = segments[2:]
        if not rest and req.method == "GET":
            return Reply(200, _plain(row)), False
        if rest == ["Microsoft.NAV.post"] and req.method == "POST":
            if entity == "journals":
                self._post_journal(company, row)
            else:
                self._post_document(entity, row)
            return self._written(Reply(204)), True
        if rest and rest[0].startswith("journalLines") and entity == "journals":
            return self._journal_lines(req, company, row, rest), False
        raise Refusal(bc_error(400, "BadRequest_MethodNotFound", f"{rest} is not imitated"))

    def _written(self, reply: Reply) -> Reply:
        if self.drop_after_commit:
            self.drop_after_commit -= 1
            return DROP
        return reply

    def _collection(self, req: Request, rows: list[dict[str, Any]]) -> Reply:
        flt = req.query.get("$filter")
        if flt:
            # a string literal quoted, a GUID (Edm.Guid) bare
            m = (re.fullmatch(r"(\w+) eq '((?:[^']|'')*)'", flt)
                 or re.fullmatch(r"(\w+) eq ([0-9a-fA-F-]{36})", flt))
            if not m:
                raise Refusal(bc_error(400, "BadRequest_InvalidFilter", f"{flt!r}"))
            name, value = m[1], m[2].replace("''", "'")
            rows = [r for r in rows if str(r.get(name)) == value]
        if "$top" in req.query:
            rows = rows[:int(req.query["$top"])]
        size = re.search(r"odata\.maxpagesize=(\d+)", req.headers.get("prefer", ""))
        skip = int(req.query.get("$skiptoken", 0))
        body: dict[str, Any] = {"value": [_plain(r) for r in rows[skip:]]}
        if size and len(rows) - skip > int(size[1]):
            n = int(size[1])
            body["value"] = body["value"][:n]
            query = "&".join(f"{k}={quote(v)}" for k, v in req.query.items()
                             if k != "$skiptoken")
            body["@odata.nextLink"] = (f"{self.url}{req.path}?{query}&$skiptoken={skip + n}"
                                       .replace("?&", "?"))
        return Reply(200, body)

    def _need(self, company: str, entity: str, field_: str, value: Any, what: str) -> None:
        if not any(r.get(field_) == value for r in self.of(company, entity)):
            raise Refusal(bc_error(400, "Application_FieldValidationException",
                                   f"The field {what} of table Sales Line contains a value "
                                   f"({value}) that cannot be found in the related table."))

    def _create(self, company: str, entity: str, body: dict[str, Any]) -> tuple[Reply, bool]:
        if entity == "customers":
            if any(r["number"] == body.get("number") for r in self.of(company, "customers")):
                raise Refusal(bc_error(400, "Application_DialogException",
                                       f"The record in table Customer already exists. "
                                       f"Identification fields and values: No.='"
                                       f"{body.get('number')}'"))
            rid = self.add(company, entity, {"type": "Company", "currencyCode": "", **body})
            return Reply(201, _plain(self.companies[company][entity][rid])), False
        if entity == "journals":
            rid = self.add(company, entity, {**body, "_lines": {}})
            return Reply(201, _plain(self.companies[company][entity][rid])), False
        if entity not in DOCUMENTS:
            raise Refusal(bc_error(405, "BadRequest_MethodNotAllowed", f"POST {entity}"))
        lines_name, date_field, _ = DOCUMENTS[entity]
        customer = next((r for r in self.of(company, "customers")
                         if r["id"] == body.get("customerId")
                         or r["number"] == body.get("customerNumber")), None)
        if customer is None:
            raise Refusal(bc_error(400, "Application_DialogException",
                                   "A customerNumber or a customerID must be provided."))
        if not body.get(date_field):
            raise Refusal(bc_error(400, "Application_FieldValidationException",
                                   f"{date_field} must have a value."))
        lines, nets = [], {}  # type: list[dict[str, Any]], dict[str, Decimal]
        for ln in body.get(lines_name) or []:
            target = ("items", "number") if ln.get("lineType") == "Item" else (
                "accounts", "number")
            self._need(company, *target, ln.get("lineObjectNumber"), "No.")
            if ln.get("taxCode"):
                self._need(company, "taxGroups", "code", ln["taxCode"], "Tax Group Code")
            amount = (Decimal(str(ln["quantity"])) * Decimal(str(ln["unitPrice"]))).quantize(
                CENT, ROUND_HALF_UP)
            lines.append({**ln, "amountExcludingTax": amount})
            code = ln.get("taxCode") or ""
            nets[code] = nets.get(code, Decimal(0)) + amount
        net = sum(nets.values(), Decimal(0))
        tax = sum(((v * (19 if k == "VAT19" else 0) / Decimal(100)).quantize(
            CENT, ROUND_HALF_UP) for k, v in nets.items()), Decimal(0))
        row = {k: v for k, v in body.items() if k != lines_name}
        rid = self.add(company, entity, {
            **row, "number": f"{DOCUMENTS[entity][2]}-DRAFT", "status": "Draft",
            "customerId": customer["id"], "customerNumber": customer["number"],
            "customerName": customer.get("displayName"), "_lines": lines,
            "totalAmountExcludingTax": net, "totalTaxAmount": tax,
            "totalAmountIncludingTax": net + tax, "remainingAmount": net + tax})
        return self._written(Reply(201, _plain(self.companies[company][entity][rid]))), False

    def _post_document(self, entity: str, row: dict[str, Any]) -> None:
        if row["status"] != "Draft":
            raise Refusal(bc_error(400, "Application_DialogException",
                                   f"The {entity} {row['number']} is already posted."))
        if not row["_lines"]:
            raise Refusal(bc_error(400, "Application_DialogException",
                                   "There is nothing to post."))
        self._sequence += 1
        row.update(status="Open", number=f"{DOCUMENTS[entity][2]}{self._sequence}",
                   postingDate=row.get(DOCUMENTS[entity][1]))

    def _journal_lines(self, req: Request, company: str, journal: dict[str, Any],
                       rest: list[str]) -> Reply:
        lines = journal["_lines"]
        seg = SEGMENT.match(rest[0])
        assert seg is not None
        if seg["key"] is None and req.method == "GET":
            return self._collection(req, list(lines.values()))
        if seg["key"] is None and req.method == "POST":
            body = req.json()
            if body.get("accountType") != "G/L Account":
                raise Refusal(bc_error(400, "Application_FieldValidationException",
                                       "accountType must be G/L Account here (imitated)"))
            self._need(company, "accounts", "number", body.get("accountNumber"),
                       "Account No.")
            lid = str(uuid.uuid4())
            lines[lid] = {"id": lid, **body, "amount": Decimal(str(body["amount"]))}
            return Reply(201, _plain(lines[lid]))
        if seg["key"] in lines and req.method == "DELETE":
            del lines[seg["key"]]
            return Reply(204)
        raise Refusal(bc_error(404, "BadRequest_NotFound", "The specified resource was not "
                               "found."))

    def _post_journal(self, company: str, journal: dict[str, Any]) -> None:
        lines = list(journal["_lines"].values())
        if not lines:
            raise Refusal(bc_error(400, "Application_DialogException",
                                   "There is nothing to post."))
        totals: dict[str, Decimal] = {}
        for ln in lines:
            totals[ln["documentNumber"]] = totals.get(ln["documentNumber"], Decimal(0)) + \
                ln["amount"]
        for number, total in totals.items():
            if total != 0:
                raise Refusal(bc_error(400, "Application_DialogException",
                                       f"Document No. {number} is out of balance by {total}."))
        for ln in lines:
            self._sequence += 1
            self.add(company, "generalLedgerEntries", {
                "entryNumber": self._sequence, "documentNumber": ln["documentNumber"],
                "externalDocumentNumber": ln.get("externalDocumentNumber"),
                "accountNumber": ln["accountNumber"], "postingDate": ln["postingDate"],
                "debitAmount": max(ln["amount"], Decimal(0)),
                "creditAmount": max(-ln["amount"], Decimal(0)),
                "description": ln.get("description")})
        journal["_lines"] = {}
