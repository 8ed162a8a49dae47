"""The NetSuite sink: customers as ``customer``, invoices as ``invoice``, credit notes as
``creditmemo`` (item lines ``item.items``), journal entries as ``journalentry`` (``line.items``
with ``debit``/``credit``), over the REST record service v1 (``api``).

Every write is an upsert by external id, ``PUT /record/v1/<type>/eid:<id>`` (Help
``section_156335203191``; sample ``invoice.upsert.request.json``): the id goes in the URL
only, and sending it again after a lost answer updates the record it created instead of
making a second, so a write here is safe to repeat. NetSuite's external ids allow letters,
digits, ``_`` and ``-`` only (Help ``section_156334828635``): ours are escaped (``_3A`` for
``:``, ``_5F`` for ``_``), one to one. Creating answers **204 with no body**: the record's id
is the last segment of ``Location`` (sample ``invoice.create.response.json``).

Journal entries (many lines: where it pays) may go asynchronously instead (connection
``async: journal_entry``): ``POST`` with ``Prefer: respond-async`` and an
``X-NetSuite-Idempotency-Key`` derived from the external id (the key counts only with that
header, Help ``subsect_164494900632``), 202 and a job to poll; the same key sent again
answers 400 ``IDEMPOTENCY_ERROR`` with the earlier job's ``Location``, which is polled
instead. The job's task result carries the record's ``Location`` (INF: not sampled).

A profile names what a bookkeeper sees, resolved once per sink and kept: the subsidiary by
internal id (``company``), accounts by number (``acctnumber``), items and tax codes by name
(``itemid`` of ``serviceitem`` / ``salestaxitem``), the currency by ISO code (``symbol``),
looked up with ``q=<field> IS "<value>"``. Tax: the line's ``taxCode`` (SuiteTax computes the
rest; INF, not sampled). Projects are ``job`` records (``projects``); an invoice whose lines
all belong to one ERP project names it as ``job``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.erp import (
    DEFAULT,
    ErpCustomer,
    ErpDocument,
    ErpParty,
    ErpPayment,
    ErpProfile,
    ErpProject,
    ErpRecord,
    PaymentState,
)

from .api import NetSuiteApi, NetSuiteRefused, NetSuiteUnavailable, idempotency_key

RECORDS = {"invoice": "invoice", "credit_note": "creditmemo", "journal_entry": "journalentry",
           "customer": "customer"}
BASE = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
# the transaction kinds (SuiteQL ``type``) whose application settles a document by another
# document, not money: a credit memo applied to an invoice, seen from either side
OFFSETS = ("CustCred", "CustInvc")
PAGE = 100  # customers per collection page (NetSuite allows up to 1000)
SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")


def ns_external_id(external_id: str) -> str:
    """Ours in NetSuite's alphabet, one to one (``_XX`` for any other character)."""
    return "".join(ch if ch in SAFE else "".join(f"_{b:02X}" for b in ch.encode())
                   for ch in external_id)


def from_ns_external_id(value: str) -> str:
    out, i = bytearray(), 0
    while i < len(value):
        if value[i] == "_" and i + 3 <= len(value):
            out.append(int(value[i + 1:i + 3], 16))
            i += 3
        else:
            out += value[i].encode()
            i += 1
    return out.decode(errors="replace")


def _id_from(location: str | None, where: str) -> str:
    if not location:
        raise NetSuiteRefused(f"NetSuite {where}: no Location in the answer")
    return location.rstrip("/").rsplit("/", 1)[-1]


def _num(value: Decimal) -> float:
    return float(value)


class NetSuiteSink:
    def __init__(self, api: NetSuiteApi, *, async_kinds: frozenset[str] = frozenset(),
                 poll_seconds: float = 0.5, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        self.api = api
        self.async_kinds = async_kinds
        self._poll, self._sleep = poll_seconds, sleep
        self._ids: dict[tuple[str, str], str] = {}

    # --- lookups -------------------------------------------------------------------------
    def _find_id(self, record: str, field: str, value: str) -> str | None:
        key = (record, f"{field}={value}")
        if key not in self._ids:
            page = self.api.request("GET", f"{BASE}/{record}",
                                    params={"q": f'{field} IS "{value}"', "limit": 1}).json()
            items = page.get("items") or []
            if not items:
                return None
            self._ids[key] = str(items[0]["id"])
        return self._ids[key]

    def _id(self, record: str, field: str, value: str, what: str) -> str:
        found = self._find_id(record, field, value)
        if found is None:
            raise NetSuiteRefused(f"NetSuite has no {what} {value!r} ({record}.{field}); fix "
                                  "the ERP profile or NetSuite")
        return found

    def _get(self, record: str, ref: str) -> Mapping[str, Any] | None:
        try:
            return dict(self.api.request("GET", f"{BASE}/{record}/{ref}").json())
        except NetSuiteRefused as exc:
            if exc.status == 404:
                return None
            raise

    # --- writes --------------------------------------------------------------------------
    def _upsert(self, record: str, external_id: str, body: Mapping[str, Any]) -> str:
        path = f"{BASE}/{record}/eid:{ns_external_id(external_id)}"
        response = self.api.request("PUT", path, json=body)  # an upsert: safe to repeat
        return _id_from(response.headers.get("Location"), f"PUT {path}")

    def _create_async(self, record: str, external_id: str, body: Mapping[str, Any]) -> str:
        path = f"{BASE}/{record}"
        headers = {"Prefer": "respond-async",
                   "X-NetSuite-Idempotency-Key": idempotency_key(external_id)}
        try:
            response = self.api.request("POST", path, headers=headers, idempotent=True,
                                        json={**body, "externalId":
                                              ns_external_id(external_id)})
            job = response.headers.get("Location")
        except NetSuiteRefused as exc:
            if "IDEMPOTENCY_ERROR" not in exc.codes:
                raise
            job = exc.location  # sent before: the earlier request's job is polled instead
        job_url = f"/services/rest/async/v1/job/{_id_from(job, f'POST {path}')}"
        for _ in range(120):
            status = self.api.request("GET", job_url).json()
            if status.get("completed"):
                break
            self._sleep(self._poll)
        else:
            raise NetSuiteUnavailable(f"NetSuite job {job_url} still running")
        tasks = self.api.request("GET", f"{job_url}/task").json().get("items") or []
        if not tasks:
            raise NetSuiteRefused(f"NetSuite job {job_url} has no task")
        result = self.api.request("GET", f"{job_url}/task/{tasks[0]['id']}/result")
        return _id_from(result.headers.get("Location"), f"job {job_url}")

    def close(self) -> None:
        self.api.close()

    def push_customer(self, party: ErpParty, company: str) -> str:
        if party.erp_id:
            return party.erp_id
        key = ("customer", party.external_id)
        if key not in self._ids:
            found = self._get("customer", f"eid:{ns_external_id(party.external_id)}")
            if found is not None:
                self._ids[key] = str(found["id"])
            else:
                body: dict[str, Any] = {"companyName": party.name, "isPerson": False,
                                        "subsidiary": {"id": company}}
                if party.email:
                    body["email"] = party.email
                if party.vat_id:
                    body["vatRegNumber"] = party.vat_id
                self._ids[key] = self._upsert("customer", party.external_id, body)
        return self._ids[key]

    def _body(self, doc: ErpDocument) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subsidiary": {"id": doc.company}, "tranDate": doc.date.isoformat(),
            "memo": doc.memo,
            "currency": {"id": self._id("currency", "symbol", doc.currency, "currency")}}
        if doc.number:
            body["tranId"] = doc.number
        if doc.kind == "journal_entry":
            body["line"] = {"items": [{
                "account": {"id": self._id("account", "acctnumber", ln.account, "account")},
                **({"debit": _num(ln.debit)} if ln.debit else {"credit": _num(ln.credit)}),
                "memo": ln.description} for ln in doc.lines]}
            return body
        assert doc.partner is not None
        body["entity"] = {"id": self.push_customer(doc.partner, doc.company)}
        if doc.due_date:
            body["dueDate"] = doc.due_date.isoformat()
        if doc.reference:
            body["otherRefNum"] = doc.reference
        items = []
        for ln in doc.lines:
            if not ln.item:
                raise NetSuiteRefused("NetSuite invoice lines are items: the ERP profile names "
                                      "no item for this line (items.default)")
            line: dict[str, Any] = {
                "item": {"id": self._id("serviceitem", "itemid", ln.item, "item")},
                "description": ln.description, "quantity": _num(ln.quantity),
                "rate": _num(ln.unit_price), "amount": _num(ln.amount)}
            if ln.tax:
                line["taxCode"] = {"id": self._id("salestaxitem", "itemid", ln.tax,
                                                  "tax code")}
            items.append(line)
        body["item"] = {"items": items}
        projects = {ln.project for ln in doc.lines if ln.project}
        if len(projects) == 1:
            # the invoice's project (header ``job``, the identity map's NetSuite project;
            # INF: the field name is the job record's, not sampled on the invoice)
            body["job"] = {"id": projects.pop()}
        return body

    def push_document(self, doc: ErpDocument) -> ErpRecord:
        record = RECORDS[doc.kind]
        body = self._body(doc)
        if doc.kind in self.async_kinds:
            erp_id = self._create_async(record, doc.external_id, body)
        else:
            erp_id = self._upsert(record, doc.external_id, body)
        row = self._get(record, erp_id) or {}
        return ErpRecord(erp_id, draft=False, number=row.get("tranId"))

    # --- reads ---------------------------------------------------------------------------
    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        row = self._get(RECORDS[kind], f"eid:{ns_external_id(external_id)}")
        if row is None:
            return None
        return ErpRecord(str(row["id"]), draft=False, number=row.get("tranId"))

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        return record  # a NetSuite transaction is posted when it is saved: no drafts

    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        """The record's ``amountRemaining`` against its ``total``, and what was applied to it
        (``applications``)."""
        row = self._get(RECORDS[kind], erp_id)
        if row is None:
            raise NetSuiteRefused(f"NetSuite has no {RECORDS[kind]} {erp_id}")
        total = Decimal(str(row.get("total") or 0))
        remaining = Decimal(str(row.get("amountRemaining") or 0))
        state = ("paid" if remaining <= 0 else "partial" if remaining < total
                 else "not_paid")
        payments = self.applications(erp_id) if kind != "journal_entry" else ()
        return PaymentState(state, remaining, payments)

    def applications(self, erp_id: str) -> tuple[ErpPayment, ...]:
        """What settled part of a transaction, from either side: on an invoice a customer
        payment (``payment``) or a credit memo applied to it (``offset``); on a credit memo
        the invoices it was applied to (``offset``) or a customer refund (``payment``).

        INF (no sample): SuiteQL (``POST /services/rest/query/v1/suiteql`` with ``Prefer:
        transient``, Help ``section_157909186990``) on ``NextTransactionLineLink``, the link
        NetSuite keeps when one transaction applies to another (``linktype`` ``Payment``;
        ``previousdoc``/``nextdoc`` the two, ``previoustype``/``nexttype`` their kinds:
        ``CustInvc``, ``CustCred``, ``CustPymt``, ``CustRfnd``; ``foreignamount`` in the
        transaction currency, ``linkdate``). One row per line: summed per other
        transaction, whose id is the payment's id."""
        ref = int(erp_id)  # an internal id: a number, never text put into the query
        query = ("SELECT previousdoc, previoustype, nextdoc, nexttype, linkdate, "
                 "foreignamount FROM NextTransactionLineLink WHERE linktype = 'Payment' "
                 f"AND (previousdoc = {ref} OR nextdoc = {ref}) ORDER BY linkdate")
        found: dict[str, tuple[date, Decimal, str]] = {}
        offset = 0
        while True:
            page = self.api.request("POST", SUITEQL, json={"q": query},
                                    params={"limit": PAGE, "offset": offset},
                                    headers={"Prefer": "transient"}).json()
            for r in page.get("items") or []:
                mine = str(r["previousdoc"]) == str(ref)
                other = str(r["nextdoc"] if mine else r["previousdoc"])
                kind = str(r["nexttype"] if mine else r["previoustype"])
                on = _date(str(r["linkdate"]))
                before = found.get(other, (on, Decimal(0), ""))
                found[other] = (min(before[0], on),
                                before[1] + abs(Decimal(str(r["foreignamount"]))),
                                "offset" if kind in OFFSETS else "payment")
            if not page.get("hasMore"):
                break
            offset += PAGE
        return tuple(ErpPayment(f"link:{other}", on, amount, via)
                     for other, (on, amount, via) in found.items())

    def customers(self, company: str) -> Iterator[ErpCustomer]:
        """Every customer of subsidiary ``company``: the collection ``PAGE`` at a time
        (``links`` ``next`` until ``hasMore`` is false), each record read for its fields."""
        page: Mapping[str, Any] = self.api.request(
            "GET", f"{BASE}/customer", params={"limit": PAGE, "offset": 0}).json()
        while True:
            for item in page.get("items") or []:
                row = self._get("customer", str(item["id"]))
                if row is None or str((row.get("subsidiary") or {}).get("id")) != company:
                    continue
                eid = row.get("externalId")
                yield ErpCustomer(str(row["id"]), from_ns_external_id(eid) if eid else None,
                                  str(row.get("companyName") or row.get("entityId") or ""),
                                  row.get("vatRegNumber") or None,
                                  (row.get("currency") or {}).get("refName"))
            following = next((ln["href"] for ln in page.get("links") or []
                              if ln.get("rel") == "next"), None)
            if not page.get("hasMore") or not following:
                return
            page = self.api.request("GET", following).json()

    def projects(self, company: str) -> Iterator[ErpProject]:
        """Every project of subsidiary ``company``, paged like customers: REST record id
        ``job`` (NetSuite Help ``article_83090456314``, which shows ``subsidiary`` and
        ``entityId``; the Projects feature must be on). ``entityId`` is its code,
        ``companyName`` its name, ``parent`` the customer it is for (the job record's
        ``customer`` field is not supported in REST); those two and the collection shape
        (the invoice sample's) are INF for ``job``."""
        page: Mapping[str, Any] = self.api.request(
            "GET", f"{BASE}/job", params={"limit": PAGE, "offset": 0}).json()
        while True:
            for item in page.get("items") or []:
                row = self._get("job", str(item["id"]))
                if row is None or str((row.get("subsidiary") or {}).get("id")) != company:
                    continue
                eid = row.get("externalId")
                yield ErpProject(str(row["id"]), from_ns_external_id(eid) if eid else None,
                                 row.get("entityId") or None,
                                 str(row.get("companyName") or row.get("entityId") or ""),
                                 (row.get("parent") or {}).get("id"))
            following = next((ln["href"] for ln in page.get("links") or []
                              if ln.get("rel") == "next"), None)
            if not page.get("hasMore") or not following:
                return
            page = self.api.request("GET", following).json()

    def check(self, profile: ErpProfile) -> list[str]:
        missing = []
        if self._get("subsidiary", profile.company) is None:
            missing.append(f"NetSuite has no subsidiary {profile.company!r} (company)")
        wanted = [("currency", "symbol", profile.currency, "currency")]
        wanted += [("account", "acctnumber", a, "account") for a in dict.fromkeys(
            [profile.receivable_account, *profile.revenue_accounts.values(),
             *profile.accounts.values()])]
        wanted += [("salestaxitem", "itemid", t, "tax code")
                   for t in dict.fromkeys(profile.tax_codes.values())]
        wanted += [("serviceitem", "itemid", i, "item")
                   for i in dict.fromkeys(profile.items.values())]
        for record, field, value, what in wanted:
            if self._find_id(record, field, value) is None:
                missing.append(f"NetSuite has no {what} {value!r} ({record}.{field})")
        if DEFAULT not in profile.items:
            missing.append("the profile names no item for invoice lines (items.default): "
                           "NetSuite invoice lines are items")
        return missing


def _date(text: str) -> date:
    """A SuiteQL date: ISO 8601, or the account's ``M/D/YYYY`` (SuiteQL answers dates in
    the user's preferred format; INF)."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return datetime.strptime(text, "%m/%d/%Y").date()
