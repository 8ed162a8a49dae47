"""The authorization matrix (issue 14, "Proof in CI"): every role x operation x own/foreign
legal entity, for a key limited to DE and for an unlimited one. An operation on an
entity-owned object is allowed exactly when the role holds the scope and the object is the
key's to see; another entity's object answers as an unknown one (404 ``not_found``, left out
of lists, ``not_found`` in a report's skips); a route that keeps to no entity refuses a
limited key (403). Also: the classified fields a role reads (projections)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from hourbridge.api.app import create_app
from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain.access import ROLES
from support.api import api_key, bearer
from support.authz import Clock, invoice_of, seed_two_entities

PROBLEM = "application/problem+json"
Check = Callable[[TestClient, dict[str, str], dict[str, Any], str], bool]
# "object": the operation acts on the entity's object (foreign: hidden); "route": it keeps
# to the key's entities but names none here (a limited key may call it for both); "none":
# it does not keep to entities (a limited key gets 403)
Keeps = Literal["object", "route", "none"]


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Hourbridge, TestClient]]:
    hb = bootstrap(Settings(database_url=database_url,
                            secret_key=Fernet.generate_key().decode()), clock=Clock())
    with TestClient(create_app(hb)) as client:
        yield hb, client


def _seed(hb: Hourbridge, client: TestClient) -> dict[str, Any]:
    seeded = seed_two_entities(hb, client)
    expenses = [{"external_id": f"x-{e}", "employee": emp, "project": p, "date": "2026-08-12",
                 "amount": "10", "currency": "EUR", "category": "meals", "billable": False}
                for e, emp, p in (("DE", "E1", "P1"), ("AT", "Z1", "P2"))]
    r = client.post("/v1/expenses", json={"source": "x", "expenses": expenses},
                    headers=seeded["admin"])
    assert r.status_code == 201 and r.json()["accepted"] == 2, r.text
    stored = client.get("/v1/expenses", headers=seeded["admin"]).json()["items"]
    seeded["expense"] = {x["external_id"][2:]: x["id"] for x in stored}
    seeded["hold"] = {}
    for entity in ("DE", "AT"):
        r = client.post("/v1/holds", headers=seeded["admin"], json={
            "scope": "entry", "ref": str(seeded["pending"][entity]), "reason": "dispute"})
        assert r.status_code == 201, r.text
        seeded["hold"][entity] = r.json()["id"]
    # a row each entity's project refuses: an exception about that entity
    bad = [{"external_id": f"bad-{e}", "employee": emp, "project": p, "task": "DEV",
            "work_date": "2026-08-12", "hours": "many"}
           for e, emp, p in (("DE", "E1", "P1"), ("AT", "Z1", "P2"))]
    r = client.post("/v1/time-entries", json={"source": "bad", "time_entries": bad},
                    headers=seeded["admin"])
    assert r.status_code == 201 and r.json()["rejected"] == 2, r.text
    listed = client.get("/v1/exceptions", headers=seeded["admin"]).json()["items"]
    seeded["exception"] = {x["external_id"][4:]: x["id"] for x in listed
                           if x["source"] == "bad"}
    # a dead letter each: a journal entry's event (DE), a webhook delivery of one (AT)
    with hb.uow() as uow:
        uow.outbox.add("je-DE", "hourbridge.unknown.v1", "journal/je-DE",
                       {"id": "je-DE", "data": {"entity": "DE"}}, hb.clock())
        uow.outbox.add("wh-AT", "hourbridge.unknown.v1", "erp",
                       {"subscription": "erp", "event": {"data": {"entity": "AT"}}},
                       hb.clock())
        uow.commit()
    hb.worker.drain()
    dead = client.get("/v1/dead-letters", headers=seeded["admin"]).json()["items"]
    seeded["dead"] = {"DE": next(d["id"] for d in dead if d["key"] == "je-DE"),
                      "AT": next(d["id"] for d in dead if d["key"] == "wh-AT")}
    return seeded


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


def _expected(scopes: frozenset[str], scope: str, keeps: Keeps,
              limit: tuple[str, ...] | None, entity: str) -> bool:
    if "admin" not in scopes and scope not in scopes:
        return False
    if limit is None or keeps == "route":
        return True
    return keeps == "object" and entity in limit


def test_authorization_matrix(world: tuple[Hourbridge, TestClient]) -> None:
    hb, client = world
    seeded = _seed(hb, client)
    cases = allows = unexpected_allows = unexpected_denies = 0
    failures = []
    for role, scopes in ROLES.items():
        for limit in (("DE",), None):
            headers = bearer(api_key(hb, role, entities=limit))
            for operation, (scope, keeps, check) in OPERATIONS.items():
                for entity in ("DE", "AT"):
                    expected = _expected(scopes, scope, keeps, limit, entity)
                    allowed = check(client, headers, seeded, entity)
                    cases += 1
                    allows += allowed
                    if allowed and not expected:
                        unexpected_allows += 1
                        failures.append(f"allowed {role} {limit} {operation} {entity}")
                    if expected and not allowed:
                        unexpected_denies += 1
                        failures.append(f"denied {role} {limit} {operation} {entity}")
    print(f"authorization matrix: {len(ROLES)} roles x {len(OPERATIONS)} operations x "
          f"own/foreign entity x limited/unlimited key: cases {cases} (allowed {allows}, "
          f"denied {cases - allows}) unexpected allows {unexpected_allows} "
          f"unexpected denies {unexpected_denies}", flush=True)
    assert failures == []
    assert 0 < allows < cases


def test_another_entitys_object_answers_as_an_unknown_one(
        world: tuple[Hourbridge, TestClient]) -> None:
    """Same status, same code, and a detail that names only what the caller sent."""
    hb, client = world
    seeded = _seed(hb, client)
    de = bearer(api_key(hb, "finance", entities=("DE",)))
    foreign, unknown = {}, {}
    for name, (method, path, body) in {
        "invoice": ("GET", "/v1/invoices/{}", None),
        "entry": ("GET", "/v1/entries/{}", None),
        "credit note": ("POST", "/v1/credit-notes", lambda i: {"invoice_id": i,
                                                                "reason": "goodwill"}),
        "void": ("POST", "/v1/invoices/{}/void", lambda i: {"reason": "issued_in_error"}),
        "adjust": ("POST", "/v1/adjustments", lambda i: {
            "entry_id": i, "billable_seconds": 60, "reason": "inefficiency"}),
        "place hold": ("POST", "/v1/holds", lambda i: {"scope": "entry", "ref": str(i),
                                                        "reason": "dispute"}),
        "release hold": ("POST", "/v1/holds/{}/release", lambda i: {"note": "ok"}),
        "trace entry": ("GET", "/v1/trace/entry/{}", None),
        "trace invoice": ("GET", "/v1/trace/invoice/{}", None),
        "trace credit note": ("GET", "/v1/trace/credit-note/{}", None),
        "dead letter": ("GET", "/v1/dead-letters/{}", None),
        "contract": ("GET", "/v1/contracts/{}", None),
        "revenue schedule": ("GET", "/v1/contracts/{}/revenue-schedule", None),
        "achieve milestone": ("POST", "/v1/contracts/{}/milestones/M1/achievement",
                              lambda i: {"achieved_on": "2026-08-31"}),
    }.items():
        ref = (seeded["pending"]["AT"] if name in ("entry", "adjust", "place hold",
                                                   "trace entry")
               else seeded["hold"]["AT"] if name == "release hold"
               else seeded["dead"]["AT"] if name == "dead letter"
               else "K2" if name in ("contract", "revenue schedule",
                                   "achieve milestone")
               else invoice_of(seeded, "AT"))
        for out, target in ((foreign, ref), (unknown, 999_999)):
            r = client.request(method, path.format(target), headers=de,
                               json=body(target) if body else None)
            out[name] = (r.status_code, r.headers["content-type"], r.json()["code"])
    assert foreign == unknown
    assert {v[0] for v in foreign.values()} == {404}
    for path, body in (("/v1/billing-runs", {"through": "2026-08-31", "entity": "AT"}),
                       ("/v1/revenue-runs", {"period": "2026-08", "entity": "AT"})):
        r = client.post(path, headers=de, json=body)
        assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    r = client.get("/v1/kpis?entity=AT", headers=de)
    assert r.status_code == 404
    # a limited key's lists hold its own entity's objects only
    for path in ("/v1/invoices", "/v1/entries", "/v1/expenses", "/v1/journal",
                 "/v1/journal/trial-balance", "/v1/holds"):
        items = client.get(path, headers=de).json()["items"]
        assert items and {i["entity"] for i in items} == {"DE"}, path
    # exceptions: another entity's is retried and dismissed exactly as an unknown id is
    at = seeded["exception"]["AT"]
    for path, body in (("/v1/exceptions/retry", {}),
                       ("/v1/exceptions/dismiss", {"note": "not ours"})):
        answers = [client.post(path, headers=de, json={"ids": [i], **body}).json()
                   for i in (at, 999_999)]
        assert answers[0] == answers[1], answers
    assert client.post("/v1/exceptions/retry", headers=de, json={}).json()["retried"] == 1
    queue = client.get("/v1/exceptions", headers=de).json()
    assert [x["id"] for x in queue["items"]] == [seeded["exception"]["DE"]]
    assert queue["by_reason"] == {"invalid_quantity": 1}
    # dead letters: another entity's is `not_dead` on replay, as an unknown id is
    replays = [client.post("/v1/dead-letters/replay", headers=de,
                           json={"ids": [i], "note": "x"}).json()["not_dead"]
               for i in (seeded["dead"]["AT"], 999_999)]
    assert replays == [[seeded["dead"]["AT"]], [999_999]]
    everything = client.post("/v1/dead-letters/replay", headers=de,
                             json={"reason": "no_handler", "note": "ours only"}).json()
    assert everything["replayed"] == [seeded["dead"]["DE"]]
    assert client.post("/v1/worker/drain", headers=de).status_code == 403
    # reconciliation: the key's entity only, and naming another is a 404
    assert client.get("/v1/reconciliation?period=2026-08&entity=AT",
                      headers=de).status_code == 404
    hours = {who: {s["source"]: s["hours"]["hourbridge"] for s in client.get(
        "/v1/reconciliation?period=2026-08", headers=key).json()["sources"]}
        for who, key in (("DE", de), ("all", seeded["admin"]))}
    assert (hours["DE"]["t"], hours["all"]["t"]) == ("6.00", "10.00"), hours
    admin_queue = client.get("/v1/exceptions", headers=seeded["admin"]).json()
    assert at in [x["id"] for x in admin_queue["items"]]  # still open: not dismissed
    print(f"foreign objects answered as unknown ones: {len(foreign)} of {len(foreign)} "
          "reads/writes identical, 2 of 2 exception writes and 2 of 2 replays; 7 lists "
          "and 3 runs keep to the key's entity", flush=True)


def test_classified_fields_by_role(world: tuple[Hourbridge, TestClient]) -> None:
    """Cost rates only with `people:read`; an entry's notes to whoever reads people or
    approves time; null in their place for everyone else."""
    hb, client = world
    seeded = _seed(hb, client)
    admin = seeded["admin"]
    entry = seeded["pending"]["DE"]
    shown: dict[str, tuple[bool, bool]] = {}
    for role in ROLES:
        key = bearer(api_key(hb, role))
        employees = client.get("/v1/employees", headers=key)
        pay = employees.status_code == 200 and any(
            e.get("cost_rates") for e in employees.json()["items"])
        r = client.get(f"/v1/entries/{entry}", headers=key)
        notes = r.status_code == 200 and r.json()["notes"] is not None
        shown[role] = (pay, notes)
    assert client.get(f"/v1/entries/{entry}", headers=admin).json()["notes"] is not None
    assert shown == {"admin": (True, True), "finance": (True, True),
                     "approver": (False, True), "integration": (False, False),
                     "auditor": (False, False)}
    print(f"classified fields by role (cost rates, notes): {shown}", flush=True)
