"""A local imitation of the Salesforce REST API (loopback only, port 0, a thread per request)
for the won-deals tests: the OAuth token endpoint (client credentials), SOQL queries of
Opportunity / OpportunityLineItem / Account paged by ``nextRecordsUrl`` until ``done``, the
JSON error array, 401 ``INVALID_SESSION_ID`` once tokens are expired, 403
``REQUEST_LIMIT_EXCEEDED`` once the day's requests are used up, and ``INVALID_FIELD`` for a
field a single-currency org lacks. Records are shaped like samples/salesforce (the
``_comment`` keys stripped). Every request is kept in ``calls``."""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SAMPLES = Path(__file__).parent.parent / "unit" / "connectors" / "salesforce_samples"
API = "/services/data/v62.0"


def sample(name: str) -> Any:
    """A sample file without its ``_comment`` keys (they are not part of the payload)."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "_comment"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(json.loads((SAMPLES / name).read_text()))


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@dataclass
class Org:
    """What the org holds, and how it misbehaves."""

    client_id: str = "3MVG9-test-client"
    client_secret: str = "s3cr3t"
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_size: int = 2
    multi_currency: bool = True
    limit_after: int | None = None  # API requests allowed before 403 REQUEST_LIMIT_EXCEEDED
    refuse_all_sessions: bool = False  # every API call 401 (a revoked app)
    calls: list[tuple[str, str]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    issued: int = 0
    api_requests: int = 0
    _locators: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def win(self, opp_id: str, account_id: str, name: str, modstamp: str, *,
            currency: str = "EUR", won: bool = True, close: str = "2026-09-01") -> None:
        self.opportunities[opp_id] = {
            "attributes": {"type": "Opportunity", "url": f"{API}/sobjects/Opportunity/{opp_id}"},
            "Id": opp_id, "Name": name, "AccountId": account_id, "Amount": 48000.0,
            "CloseDate": close, "StageName": "Closed Won" if won else "Negotiation",
            "IsWon": won, "IsClosed": won, "CurrencyIsoCode": currency,
            "LastModifiedDate": modstamp, "SystemModstamp": modstamp}

    # --- the HTTP side ----------------------------------------------------------------------
    def token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        if form.get("grant_type") != ["client_credentials"] or form.get("client_id") != [
                self.client_id] or form.get("client_secret") != [self.client_secret]:
            return 400, {"error": "invalid_client", "error_description": "invalid client "
                         "credentials"}
        with self.lock:
            self.issued += 1
            token = f"00DRO000000AbCd!tok{self.issued}"
            self.tokens.add(token)
        return 200, {"access_token": token, "instance_url": self.base, "id": "x",
                     "token_type": "Bearer", "issued_at": "1741968131000", "signature": "x"}

    base: str = ""

    def api(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any]:
        with self.lock:
            self.api_requests += 1
            used = self.api_requests
        if self.refuse_all_sessions or auth.removeprefix("Bearer ") not in self.tokens:
            return 401, sample("error.401.invalid_session.json")
        if self.limit_after is not None and used > self.limit_after:
            return 403, sample("error.403.request_limit_exceeded.json")
        if path == f"{API}/query":
            return self.query(query.get("q", [""])[0])
        if path.startswith(f"{API}/query/"):
            rest = self._locators.pop(path.rsplit("/", 1)[1], None)
            if rest is None:
                return 400, [{"message": "invalid query locator",
                              "errorCode": "INVALID_QUERY_LOCATOR"}]
            return 200, self.page(rest)
        return 404, [{"message": "The requested resource does not exist",
                      "errorCode": "NOT_FOUND"}]

    def page(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        head, rest = records[:self.page_size], records[self.page_size:]
        out: dict[str, Any] = {"totalSize": len(records), "done": not rest, "records": head}
        if rest:
            locator = f"01gRO0000016PIAYA2-{next(self._ids)}"
            self._locators[locator] = rest
            out["nextRecordsUrl"] = f"{API}/query/{locator}"
        return out

    def query(self, soql: str) -> tuple[int, Any]:
        found = re.match(r"SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY .*)?$", soql)
        if not found:
            return 400, sample("error.400.malformed_query.json")
        fields, sobject, where = found.group(1), found.group(2), found.group(3) or ""
        if "CurrencyIsoCode" in fields and not self.multi_currency:
            return 400, [{"message": f"\n{soql[:40]}\n^\nERROR at Row:1:Column:8\nNo such "
                          "column 'CurrencyIsoCode' on entity 'Opportunity'.",
                          "errorCode": "INVALID_FIELD"}]
        rows: list[dict[str, Any]] = {
            "Opportunity": list(self.opportunities.values()), "OpportunityLineItem": self.lines,
            "Account": list(self.accounts.values())}.get(sobject, [])
        ids = re.search(r"(\w+) IN \(([^)]*)\)", where)
        if ids:
            wanted = set(re.findall(r"'([A-Za-z0-9]+)'", ids.group(2)))
            rows = [r for r in rows if str(r.get(ids.group(1))) in wanted]
        if "IsWon = true" in where:
            rows = [r for r in rows if r.get("IsWon")]
        since = re.search(r"SystemModstamp > (\S+)", where)
        if since:
            floor = since.group(1).replace("Z", "")
            rows = [r for r in rows if r["SystemModstamp"][:19] > floor[:19]]
        rows = sorted(rows, key=lambda r: (str(r.get("SystemModstamp", "")), str(r["Id"])))
        if not self.multi_currency:
            rows = [{k: v for k, v in r.items() if k != "CurrencyIsoCode"} for r in rows]
        return 200, self.page(copy.deepcopy(rows))


def acme_org() -> Org:
    """Three won opportunities (one more open), the sample line items and accounts; dates
    moved into the test firm's open period."""
    org = Org()
    org.win("006RO00000A1b2cYAB", "001RO00000Xy9zQYAR", "Acme - FY25 Advisory Retainer",
            "2026-09-01T16:02:11.000+0000")
    org.win("006RO00000A9x8wYAB", "001RO00000Ab1cDYAR", "Globex - Implementation Phase 2",
            "2026-09-02T09:40:57.000+0000")
    org.win("006RO00000A7x7xYAB", "001RO00000Ab1cDYAR", "Globex - Support",
            "2026-09-03T09:00:00.000+0000")
    org.win("006RO00000A5x5xYAB", "001RO00000Ab1cDYAR", "Globex - Maybe",
            "2026-09-03T10:00:00.000+0000", won=False)
    for line in sample("opportunityLineItem.query.response.json")["records"]:
        line = dict(line)
        if line["ServiceDate"]:
            line["ServiceDate"] = "2026-09-01"
        org.lines.append(line)
    org.lines.append({"attributes": {"type": "OpportunityLineItem"}, "Id": "00kRO00000Gx1aAYAR",
                      "OpportunityId": "006RO00000A9x8wYAB", "ProductCode": "SVC-IMPL",
                      "Name": "Implementation consultant hours", "Quantity": 100.0,
                      "UnitPrice": 120.0, "TotalPrice": 10800.0, "Discount": 10.0,
                      "ServiceDate": "2026-09-02", "Description": None, "SortOrder": 1})
    org.accounts = {
        "001RO00000Xy9zQYAR": {"attributes": {"type": "Account"}, "Id": "001RO00000Xy9zQYAR",
                               "Name": "Acme AG", "BillingCountry": "Germany",
                               "BillingCountryCode": "DE", "VAT_Number__c": "DE 123456788"},
        "001RO00000Ab1cDYAR": {"attributes": {"type": "Account"}, "Id": "001RO00000Ab1cDYAR",
                               "Name": "Globex Corporation", "BillingCountry": "Austria",
                               "BillingCountryCode": "AT", "VAT_Number__c": None},
    }
    return org


def _handler(org: Org) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Sforce-Limit-Info", f"api-usage={org.api_requests}/100000")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            org.calls.append(("POST", self.path))
            if urlsplit(self.path).path == "/services/oauth2/token":
                self._send(*org.token(form))
            else:
                self._send(404, [{"message": "no", "errorCode": "NOT_FOUND"}])

        def do_GET(self) -> None:
            org.calls.append(("GET", self.path))
            url = urlsplit(self.path)
            self._send(*org.api(url.path, parse_qs(url.query),
                                self.headers.get("Authorization", "")))

    return Handler


@contextmanager
def serving(org: Org) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(org))
    server.daemon_threads = True
    org.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield org.base
    finally:
        server.shutdown()
        server.server_close()
