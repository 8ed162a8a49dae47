"""The operations of the authorization matrix (``tests/e2e/test_api_authorization_matrix.py``):
for each, the scope it needs, what it keeps to (``Keeps``) and how a call tells allowed from
denied for one entity's objects (``Check``); and what the matrix expects of a key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi.testclient import TestClient

from support.api import PROBLEM
from support.authz import invoice_of

Check = Callable[[TestClient, dict[str, str], dict[str, Any], str], bool]
# "object": the operation acts on the entity's object (foreign: hidden); "route": it keeps
# to the key's entities but names none here (a limited key may call it for both); "none":
# it does not keep to entities (a limited key gets 403)
Keeps = Literal["object", "route", "none"]


def _listed(path: str, key: str, value: Callable[[dict[str, Any], str], Any]) -> Check:
    def check(client: TestClient, headers: dict[str, str], seeded: dict[str, Any],
              entity: str) -> bool:
        r = client.get(path, headers=headers)
        assert r.status_code < 500, r.text
        items = r.json()["items"] if r.status_code == 200 else []
        return value(seeded, entity) in [x[key] for x in items]
    return check


def _status(method: str, path: Callable[[dict[str, Any], str], str],
            body: Callable[[dict[str, Any], str], Any] | None = None) -> Check:
    def check(client: TestClient, headers: dict[str, str], seeded: dict[str, Any],
              entity: str) -> bool:
        r = client.request(method, path(seeded, entity), headers=headers,
                           json=body(seeded, entity) if body else None)
        assert r.status_code < 500, r.text
        if r.status_code in (401, 403, 404):
            assert r.headers["content-type"] == PROBLEM
        return r.status_code not in (401, 403, 404)
    return check


def _skips(path: str, ids: str, body: Callable[[dict[str, Any], str], dict[str, Any]],
           ref: Callable[[dict[str, Any], str], int]) -> Check:
    """A report's ``skipped`` lists another entity's object as ``not_found``."""
    def check(client: TestClient, headers: dict[str, str], seeded: dict[str, Any],
              entity: str) -> bool:
        one = ref(seeded, entity)
        r = client.post(path, headers=headers, json={ids: [one], **body(seeded, entity)})
        assert r.status_code < 500, r.text
        return r.status_code == 200 and not any(
            s["id"] == one and s["reason"] == "not_found" for s in r.json()["skipped"])
    return check


def _retried(client: TestClient, headers: dict[str, str], seeded: dict[str, Any],
             entity: str) -> bool:
    """Retrying an exception reports it (still open: its row is still wrong); another
    entity's is left out exactly as an unknown id is."""
    one = seeded["exception"][entity]
    r = client.post("/v1/exceptions/retry", headers=headers, json={"ids": [one]})
    assert r.status_code < 500, r.text
    return r.status_code == 200 and str(one) in r.json()["still_open"]


_POSTED = iter(range(1_000_000))  # every intake case posts new rows, never a resend


def _taken(path: str, key: str, row: Callable[[str, int], dict[str, Any]]) -> Check:
    """Intake of one row naming the entity's project: allowed when it is stored. Another
    entity's project is refused as an unknown one (``unknown_project``, kept as an
    exception); a role without the scope gets 403."""
    def check(client: TestClient, headers: dict[str, str], seeded: dict[str, Any],
              entity: str) -> bool:
        n = next(_POSTED)
        r = client.post(path, headers=headers, json={"source": "m", key: [row(entity, n)]})
        assert r.status_code < 500, r.text
        if r.status_code != 201:
            assert r.headers["content-type"] == PROBLEM
            return False
        report = r.json()
        assert report["rows"] == 1 and report["accepted"] + report["rejected"] == 1, report
        assert report["reasons"] in ({}, {"unknown_project": 1}), report
        return bool(report["accepted"] == 1)
    return check


def _worker(e: str) -> tuple[str, str]:
    return {"DE": ("E1", "P1"), "AT": ("Z1", "P2")}[e]


def _row(e: str, n: int) -> dict[str, Any]:
    employee, project = _worker(e)
    return {"external_id": f"m{n}", "employee": employee, "project": project, "task": "DEV",
            "work_date": "2026-08-20", "hours": "1", "notes": f"matrix {n}"}


def _expense_row(e: str, n: int) -> dict[str, Any]:
    employee, project = _worker(e)
    return {"external_id": f"m{n}", "employee": employee, "project": project,
            "date": "2026-08-20", "amount": "5", "currency": "EUR", "category": "meals",
            "description": f"matrix {n}", "billable": False}


def _entry(s: dict[str, Any], e: str) -> int:
    return int(s["pending"][e])


def _expense(s: dict[str, Any], e: str) -> int:
    return int(s["expense"][e])


def _contract(_: dict[str, Any], e: str) -> str:
    return {"DE": "K1", "AT": "K2"}[e]


def _entity(_: dict[str, Any], e: str) -> str:
    return e


OPERATIONS: dict[str, tuple[str, Keeps, Check]] = {
    # invoices and credit notes
    "list invoices": ("invoices:read", "object", _listed("/v1/invoices", "id", invoice_of)),
    "invoices updated since": ("invoices:read", "object", _listed(
        "/v1/invoices?updated_since=2000-01-01T00:00:00Z", "id", invoice_of)),
    "read invoice": ("invoices:read", "object", _status(
        "GET", lambda s, e: f"/v1/invoices/{invoice_of(s, e)}")),
    "invoice document": ("invoices:read", "object", _status(
        "GET", lambda s, e: f"/v1/invoices/{invoice_of(s, e)}/document?format=ubl")),
    "issue invoice": ("invoices:issue", "object", _status(
        "POST", lambda s, e: "/v1/invoices/issue",
        lambda s, e: {"invoice_ids": [invoice_of(s, e)], "issue_date": "2026-09-01"})),
    "credit note": ("invoices:issue", "object", _status(
        "POST", lambda s, e: "/v1/credit-notes",
        lambda s, e: {"invoice_id": invoice_of(s, e), "reason": "goodwill"})),
    "receivables aging": ("invoices:read", "object", _status(
        "GET", lambda s, e: f"/v1/receivables/aging?entity={e}")),
    "invoice sequences": ("invoices:read", "object", _listed(
        "/v1/invoice-sequences", "entity", _entity)),
    "one invoice sequence": ("invoices:read", "object", _status(
        "GET", lambda s, e: f"/v1/invoice-sequences?entity={e}")),
    # master data
    "list customers": ("masterdata:read", "object", _listed(
        "/v1/customers", "id", lambda s, e: {"DE": "ACME", "AT": "WIEN"}[e])),
    "list projects": ("masterdata:read", "object", _listed(
        "/v1/projects", "code", lambda s, e: {"DE": "P1", "AT": "P2"}[e])),
    "read contract": ("masterdata:read", "object", _status(
        "GET", lambda s, e: f"/v1/contracts/{_contract(s, e)}")),
    "revenue schedule": ("masterdata:read", "object", _status(
        "GET", lambda s, e: f"/v1/contracts/{_contract(s, e)}/revenue-schedule")),
    "load master data": ("masterdata:write", "none", _status(
        "POST", lambda s, e: "/v1/master-data?dry_run=true", lambda s, e: {})),
    # time and expenses
    "list entries": ("time:read", "object", _listed("/v1/entries", "id", _entry)),
    "read entry": ("time:read", "object", _status(
        "GET", lambda s, e: f"/v1/entries/{_entry(s, e)}")),
    "list expenses": ("time:read", "object", _listed("/v1/expenses", "id", _expense)),
    "ingest time": ("time:write", "object", _taken("/v1/time-entries", "time_entries", _row)),
    "ingest expenses": ("time:write", "object", _taken("/v1/expenses", "expenses",
                                                       _expense_row)),
    "approve time": ("time:approve", "object", _skips(
        "/v1/approvals", "entry_ids", lambda s, e: {}, _entry)),
    "reject time": ("time:approve", "object", _skips(
        "/v1/rejections", "entry_ids", lambda s, e: {"reason": "other"}, _entry)),
    "approve expenses": ("time:approve", "object", _skips(
        "/v1/expense-approvals", "expense_ids", lambda s, e: {}, _expense)),
    # billing and revenue
    "run billing": ("billing:run", "object", _status(
        "POST", lambda s, e: "/v1/billing-runs",
        lambda s, e: {"through": "2026-08-31", "entity": e, "dry_run": True})),
    "run revenue": ("billing:run", "object", _status(
        "POST", lambda s, e: "/v1/revenue-runs",
        lambda s, e: {"period": "2026-08", "entity": e, "dry_run": True})),
    "list holds": ("invoices:read", "object", _listed(
        "/v1/holds", "id", lambda s, e: s["hold"][e])),
    "place hold": ("billing:run", "object", _status(
        "POST", lambda s, e: "/v1/holds",
        lambda s, e: {"scope": "entry", "ref": str(_entry(s, e)), "reason": "missing_po"})),
    "adjust time": ("billing:run", "object", _status(
        "POST", lambda s, e: "/v1/adjustments",
        lambda s, e: {"entry_id": _entry(s, e), "billable_seconds": 3600,
                      "reason": "inefficiency"})),
    "list corrections": ("invoices:read", "route", _status(
        "GET", lambda s, e: "/v1/corrections")),
    # ledger, kpis and the rest
    "read journal": ("ledger:read", "object", _listed("/v1/journal", "entity", _entity)),
    "trial balance": ("ledger:read", "object", _listed(
        "/v1/journal/trial-balance", "entity", _entity)),
    "intercompany charges": ("ledger:read", "route", _status(
        "GET", lambda s, e: "/v1/intercompany-charges")),
    "kpis": ("kpis:read", "object", _status(
        "GET", lambda s, e: f"/v1/kpis?period=2026-08&entity={e}")),
    "reconciliation": ("kpis:read", "object", _status(
        "GET", lambda s, e: f"/v1/reconciliation?period=2026-08&entity={e}")),
    "list exceptions": ("exceptions:read", "object", _listed(
        "/v1/exceptions", "id", lambda s, e: s["exception"][e])),
    "exceptions by reason": ("exceptions:read", "object", _listed(
        "/v1/exceptions?reason=invalid_quantity", "id", lambda s, e: s["exception"][e])),
    "retry exception": ("exceptions:write", "object", _retried),
    "trace entry": ("delivery:read", "object", _status(
        "GET", lambda s, e: f"/v1/trace/entry/{_entry(s, e)}")),
    "trace invoice": ("delivery:read", "object", _status(
        "GET", lambda s, e: f"/v1/trace/invoice/{invoice_of(s, e)}")),
    "trace a row never stored": ("delivery:read", "object", _status(
        "GET", lambda s, e: f"/v1/trace/entry/bad:bad-{e}")),
    "dead letters": ("delivery:read", "object", _listed(
        "/v1/dead-letters", "id", lambda s, e: s["dead"][e])),
    "dead letter": ("delivery:read", "object", _status(
        "GET", lambda s, e: f"/v1/dead-letters/{s['dead'][e]}")),
    "audit log": ("audit:read", "none", _status("GET", lambda s, e: "/v1/audit")),
}


def expects(scopes: frozenset[str], scope: str, keeps: Keeps,
            limit: tuple[str, ...] | None, entity: str) -> bool:
    """Whether a key of ``scopes`` limited to ``limit`` (None: every entity) may do an
    operation needing ``scope`` to ``entity``'s object."""
    if "admin" not in scopes and scope not in scopes:
        return False
    if limit is None or keeps == "route":
        return True
    return keeps == "object" and entity in limit
