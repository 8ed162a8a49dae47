"""A local imitation of NetSuite's SuiteTalk REST record service v1 (loopback only, a
thread per request), for the NetSuite sink tests and fault tests.

What it follows (``/work/shared/samples/CONNECTORS.md`` section 1 and the files of
``samples/netsuite/``):

- OAuth 2.0 M2M (``auth.oauth2_m2m.*``): ``POST /services/rest/auth/oauth2/v1/token`` with
  ``grant_type=client_credentials``, ``client_assertion_type`` jwt-bearer and a JWT whose
  ``kid`` is the certificate id, ``iss`` the client id, ``aud`` the token URL and
  ``exp - iat`` at most 3600, checked against the certificate's public key (PS256 or
  RS256); answers ``{"access_token", "expires_in": "3600", "token_type": "Bearer"}`` and no
  refresh token. A request with an unknown or expired token answers 401 ``INVALID_LOGIN``
  (``error.401.invalid_login.json``).
- Errors as ``{type, title, status, o:errorDetails: [{detail, o:errorCode, o:errorPath}]}``
  (``error.400.invalid_content.json``); the account's concurrency limit: more than
  ``limit`` requests in flight answer 429 ``CONCURRENCY_LIMIT_EXCEEDED``
  (``error.429.concurrency.json``, INF body).
- ``PUT /record/v1/<type>/eid:<id>`` upserts by external id (letters, digits, ``_``, ``-``
  only: anything else is ``INVALID_CONTENT``); ``POST /record/v1/<type>`` creates, with a
  duplicate ``externalId`` refused (``error.400.duplicate_external_id.json``, INF text);
  both answer **204 with the id only in ``Location``** (``invoice.create.response.json``).
- ``Prefer: respond-async`` with ``X-NetSuite-Idempotency-Key``: 202 and a job
  ``Location`` (``async.accepted.response.json``); the job
  (``async.job.status.response.json``) completes after ``job_polls`` reads; its task's
  result answers as the synchronous request would have (INF: not sampled). A key sent again
  answers 400 ``IDEMPOTENCY_ERROR`` with the first job's ``Location``
  (``error.400.idempotency_conflict.json``); without ``Prefer`` the key is ignored.
- ``GET /record/v1/<type>`` collections: ``limit``/``offset``, ``links`` ``next``,
  ``hasMore``, ``count``, ``totalResults``, ``items[{links, id}]``
  (``collection.invoice.page.json``); ``q=<field> IS "<value>"`` filters.
- ``GET /record/v1/<type>/<id>`` and ``/eid:<id>`` (``invoice.get.response.json``: ``id``,
  ``externalId``, ``tranId``, ``entity{id, refName}``, ``status``, ``total``,
  ``amountRemaining``); 404 ``NONEXISTENT_ID`` for an unknown one.
- ``job`` (project) records (``entityId``, ``companyName``, ``externalId``, ``parent`` the
  customer, ``subsidiary``; seeded, read only); an invoice's ``job`` must exist and belong to
  its ``entity`` (INF).
- Rules (``support.netsuite_records``): an invoice or credit memo needs an existing
  ``entity``, ``subsidiary``, currency and at least one item line whose ``item`` exists
  (else ``INVALID_CONTENT`` naming the path); amounts are ``quantity x rate`` rounded to the
  cent, tax per tax code on the document's net per code, half up (INF); a journal entry
  needs existing accounts and balanced debits and credits (``USER_ERROR``, INF text).

Faults: ``throttle`` next n requests answer 429; ``unavailable`` next n answer 503;
``drop_after_commit`` next n transaction writes commit and close the connection unanswered;
an async request's 202 is lost instead (its job runs); ``commit_latency`` seconds between a
transaction write's commit and its answer; ``latency`` seconds inside each request (so
concurrency shows).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jwt

from support.erp_http import DROP, Reply, Request, problem_reply
from support.netsuite_records import TRANSACTIONS, Refusal, error, validate

RECORD = "/services/rest/record/v1/"
JOB = "/services/rest/async/v1/job/"
TOKEN = "/services/rest/auth/oauth2/v1/token"
EID = re.compile(r"^[A-Za-z0-9_\-]+$")
SUITEQL = "/services/rest/query/v1/suiteql"
TYPES = {"invoice": "CustInvc", "creditmemo": "CustCred"}  # SuiteQL transaction types
QUERY = re.compile(r"FROM NextTransactionLineLink WHERE linktype = 'Payment' AND "
                   r"\(previousdoc = (\d+) OR nextdoc = (\d+)\)")


@dataclass
class NetSuite:
    public_key: str
    client_id: str = "hb-client"
    certificate_id: str = "cert-1"
    limit: int = 3
    latency: float = 0.0
    throttle: int = 0
    unavailable: int = 0
    drop_after_commit: int = 0
    job_polls: int = 1
    commit_latency: float = 0.0  # after a transaction write committed, before its answer
    url: str = ""
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)  # NextTransactionLineLink
    _next: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        seed: dict[str, list[dict[str, Any]]] = {
            "subsidiary": [{"id": "1", "name": "Hourbridge GmbH"},
                           {"id": "2", "name": "Hourbridge Inc."}],
            "currency": [{"symbol": c} for c in ("EUR", "USD", "CHF")],
            "account": [{"acctnumber": a} for a in (
                "121000", "400000", "400200", "1100", "1200", "1210", "1300", "1400", "1410",
                "1776", "2100", "2200", "2400", "4000", "4100", "4200", "4900", "5100",
                "8400", "8700")],
            "serviceitem": [{"itemid": "CONSULT"}, {"itemid": "EXPENSE"}],
            "salestaxitem": [{"itemid": "DE19", "rate": Decimal(19)},
                             {"itemid": "EU0", "rate": Decimal(0)},
                             {"itemid": "EXEMPT", "rate": Decimal(0)}],
        }
        for record, rows in seed.items():
            for row in rows:
                self._add(record, dict(row))

    def _add(self, record: str, row: dict[str, Any]) -> str:
        rid = row.get("id") or str(self._next)
        self._next += 1
        self.records.setdefault(record, {})[rid] = {**row, "id": rid}
        return rid

    def of(self, record: str) -> list[dict[str, Any]]:
        return list(self.records.get(record, {}).values())

    def pay(self, record: str, rid: str, amount: Decimal, on: str = "11/20/2026") -> None:
        """A customer payment on an invoice, or a customer refund of a credit memo: its
        open amount less ``amount``, and the link SuiteQL shows (``suiteql``)."""
        with self._lock:
            self._settle(record, rid, amount)
            other = str(self._next)
            self._next += 1
            kind = "CustRfnd" if record == "creditmemo" else "CustPymt"
            self.links.append({"previousdoc": rid, "previoustype": TYPES[record],
                               "nextdoc": other, "nexttype": kind, "linkdate": on,
                               "foreignamount": amount})

    def apply_credit(self, credit: str, invoice: str, amount: Decimal,
                     on: str = "11/20/2026") -> None:
        """A credit memo applied to an invoice: both open amounts less ``amount``; the link
        runs from the invoice to the credit memo (the credit memo's ``apply`` sublist)."""
        with self._lock:
            self._settle("creditmemo", credit, amount)
            self._settle("invoice", invoice, amount)
            self.links.append({"previousdoc": invoice, "previoustype": "CustInvc",
                               "nextdoc": credit, "nexttype": "CustCred", "linkdate": on,
                               "foreignamount": amount})

    def _settle(self, record: str, rid: str, amount: Decimal) -> None:
        row = self.records[record][rid]
        row["amountRemaining"] -= amount
        row["status"] = ({"id": "B", "refName": "Paid In Full" if record == "invoice"
                          else "Fully Applied"}
                         if row["amountRemaining"] <= 0 else row["status"])

    def _suiteql(self, req: Request) -> Reply:
        """The one query the sink sends (its applications), answered from ``links``:
        ``{links, count, hasMore, items, offset, totalResults}``, values as text and dates
        as the user's ``M/D/YYYY`` (INF); without ``Prefer: transient``, 400."""
        if req.headers.get("prefer") != "transient":
            return error(400, "INVALID_REQUEST", "Provide the Prefer: transient header.")
        query = str(req.json().get("q", ""))
        found = QUERY.search(query)
        if found is None or found[1] != found[2]:
            return error(400, "INVALID_PARAMETER", f"Invalid search query: {query[:80]}")
        rid = found[1]
        rows = [{k: str(v) for k, v in ln.items()} for ln in self.links
                if rid in (ln["previousdoc"], ln["nextdoc"])]
        offset, limit = int(req.query.get("offset", 0)), int(req.query.get("limit", 1000))
        page = rows[offset:offset + limit]
        return Reply(200, {"links": [], "count": len(page),
                           "hasMore": offset + limit < len(rows),
                           "items": [{"links": [], **r} for r in page], "offset": offset,
                           "totalResults": len(rows)})

    # --- HTTP ----------------------------------------------------------------------------
    def __call__(self, req: Request) -> Reply:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            over = self.in_flight > self.limit
        try:
            if self.latency:
                time.sleep(self.latency)
            if over:
                return error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit "
                             "exceeded. Request blocked.", title="Too Many Requests")
            with self._lock:
                reply = self._route(req)
            if (self.commit_latency and req.method in ("PUT", "POST") and reply.status < 300
                    and any(f"/{t}" in req.path for t in TRANSACTIONS)):
                time.sleep(self.commit_latency)  # a worker killed now leaves it committed
            return reply
        finally:
            with self._lock:
                self.in_flight -= 1

    def _route(self, req: Request) -> Reply:
        self.calls.append((req.method, req.path))
        if req.path == TOKEN and req.method == "POST":
            return self._token(req)
        token = req.headers.get("authorization", "").removeprefix("Bearer ")
        if self.tokens.get(token, 0) < time.time():
            return error(401, "INVALID_LOGIN", "Invalid login attempt.", title="Unauthorized")
        if self.throttle:
            self.throttle -= 1
            return error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit "
                         "exceeded. Request blocked.", title="Too Many Requests",
                         **{"Retry-After": "0"})
        if self.unavailable:
            self.unavailable -= 1
            return error(503, "SERVICE_UNAVAILABLE", "Service unavailable.",
                         title="Service Unavailable")
        try:
            if req.path.startswith(JOB):
                return self._job(req.path.removeprefix(JOB).split("/"))
            if req.path == SUITEQL and req.method == "POST":
                return self._suiteql(req)
            if req.path.startswith(RECORD):
                return self._record(req, req.path.removeprefix(RECORD).split("/"))
        except Refusal as exc:
            return exc.reply
        return error(404, "INVALID_URL", f"Unknown path {req.path}", title="Not Found")

    def _token(self, req: Request) -> Reply:
        form = req.form()
        try:
            if (form.get("grant_type") != "client_credentials" or form.get(
                    "client_assertion_type") != "urn:ietf:params:oauth:client-assertion-"
                    "type:jwt-bearer"):
                raise jwt.InvalidTokenError("wrong grant")
            assertion = form.get("client_assertion", "")
            if jwt.get_unverified_header(assertion).get("kid") != self.certificate_id:
                raise jwt.InvalidTokenError("unknown certificate")
            claims = jwt.decode(assertion, self.public_key, algorithms=["PS256", "RS256"],
                                audience=self.url + TOKEN, issuer=self.client_id,
                                options={"require": ["exp", "iat", "iss", "aud"]})
            if claims["exp"] - claims["iat"] > 3600:
                raise jwt.InvalidTokenError("more than 60 minutes")
        except jwt.PyJWTError as exc:
            return problem_reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + 3600
        return Reply(200, {"access_token": token, "expires_in": "3600", "token_type": "Bearer"})

    def _location(self, record: str, rid: str) -> str:
        return f"{self.url}{RECORD}{record}/{rid}"

    def _find(self, record: str, ref: str) -> dict[str, Any] | None:
        rows = self.records.get(record, {})
        if ref.startswith("eid:"):
            return next((r for r in rows.values() if r.get("externalId") == ref[4:]), None)
        return rows.get(ref)

    def _record(self, req: Request, parts: list[str]) -> Reply:
        record = parts[0]
        if req.method == "GET" and len(parts) == 1:
            return self._collection(req, record)
        if req.method == "GET":
            row = self._find(record, parts[1])
            if row is None:
                return error(404, "NONEXISTENT_ID", "The record instance does not exist. "
                             "Provide a valid record instance ID.", title="Not Found")
            return Reply(200, self._show(record, row))
        if req.method == "PUT" and len(parts) == 2 and parts[1].startswith("eid:"):
            eid = parts[1][4:]
            if not EID.match(eid):
                return error(400, "INVALID_CONTENT", f"Invalid external ID {eid!r}: use "
                             "letters, digits, _ and -, or q=externalId IS.", "externalId")
            existing = self._find(record, parts[1])
            return self._write(record, {**req.json(), "externalId": eid},
                               existing["id"] if existing else None)
        if req.method == "POST" and len(parts) == 1:
            body = req.json()
            if req.headers.get("prefer") == "respond-async":
                return self._async(req, record, body)
            return self._create(record, body)
        return error(405, "INVALID_REQUEST", f"{req.method} not allowed here")

    def _create(self, record: str, body: dict[str, Any]) -> Reply:
        eid = body.get("externalId")
        if eid and self._find(record, f"eid:{eid}") is not None:
            return error(400, "USER_ERROR", "Error while accessing resource: A record with "
                         "the same external ID already exists.")
        return self._write(record, body, None)

    def _write(self, record: str, body: dict[str, Any], rid: str | None) -> Reply:
        row = validate(self.records, record, body)
        if rid is None:
            rid = self._add(record, row)
            if record in TRANSACTIONS and not row.get("tranId"):
                prefix = {"invoice": "INV", "creditmemo": "CM", "journalentry": "JE"}[record]
                self.records[record][rid]["tranId"] = f"{prefix}{rid}"
        else:
            old = self.records[record][rid]
            self.records[record][rid] = {**row, "id": rid,
                                         "tranId": row.get("tranId") or old.get("tranId")}
        if record in TRANSACTIONS and self.drop_after_commit:
            self.drop_after_commit -= 1
            return DROP
        return Reply(204, None, {"Location": self._location(record, rid)})

    def _show(self, record: str, row: dict[str, Any]) -> dict[str, Any]:
        out = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()
               if k not in ("item", "line")}
        if "currencySymbol" in row:
            out["currency"] = {"id": row["currency"]["id"], "refName": row["currencySymbol"]}
        out["links"] = [{"rel": "self", "href": self._location(record, row["id"])}]
        return out

    def _collection(self, req: Request, record: str) -> Reply:
        rows = self.of(record)
        q = req.query.get("q")
        if q:
            m = re.fullmatch(r'(\w+) IS "(.*)"', q)
            if not m:
                return error(400, "INVALID_PARAMETER", f"Invalid query {q!r}", "q")
            name, value = m.groups()
            rows = [r for r in rows if str(next((v for k, v in r.items()
                                                 if k.lower() == name.lower()), "")) == value]
        limit, offset = int(req.query.get("limit", 1000)), int(req.query.get("offset", 0))
        page = rows[offset:offset + limit]
        more = offset + limit < len(rows)
        base = f"{self.url}{RECORD}{record}"
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"}]
        if more:
            links.insert(0, {"rel": "next",
                             "href": f"{base}?limit={limit}&offset={offset + limit}"})
        return Reply(200, {"links": links, "count": len(page), "hasMore": more,
                           "items": [{"links": [{"rel": "self",
                                                 "href": self._location(record, r["id"])}],
                                      "id": r["id"]} for r in page],
                           "offset": offset, "totalResults": len(rows)})

    def _async(self, req: Request, record: str, body: dict[str, Any]) -> Reply:
        key = req.headers.get("x-netsuite-idempotency-key")
        if key and key in self.keys:
            location = f"{JOB}{self.keys[key]}"
            return error(400, "IDEMPOTENCY_ERROR", "A request with the same idempotency key "
                         "is already submitted. See the \"Location\" header for a link to the "
                         "previously submitted job", title="Conflict",
                         **{"Location": location, "Preference-Applied": "respond-async"})
        drop, self.drop_after_commit = self.drop_after_commit, 0
        try:
            result = self._create(record, body)
        except Refusal as exc:
            result = exc.reply
        job = str(len(self.jobs) + 1)
        self.jobs[job] = {"polls": self.job_polls, "result": result}
        if key:
            self.keys[key] = job
        self.drop_after_commit = max(0, drop - 1)
        if drop:  # the job is queued (and its record made); the 202 is lost
            return DROP
        return Reply(202, None, {"Location": f"{self.url}{JOB}{job}",
                                 "Preference-Applied": "respond-async"})

    def _job(self, parts: list[str]) -> Reply:
        job = self.jobs.get(parts[0])
        if job is None:
            return error(404, "NONEXISTENT_ID", "No such job.", title="Not Found")
        if len(parts) == 1:
            done = job["polls"] <= 0
            job["polls"] -= 1
            return Reply(200, {"links": [{"rel": "self", "href": f"{self.url}{JOB}{parts[0]}"}],
                               "completed": done, "id": parts[0],
                               "progress": "succeeded" if done else "pending",
                               "task": {"links": [{"rel": "self", "href":
                                                   f"{self.url}{JOB}{parts[0]}/task"}]}})
        if len(parts) == 2:
            return Reply(200, {"items": [{"id": "1", "links": []}], "count": 1,
                               "hasMore": False})
        return job["result"]  # type: ignore[no-any-return]
