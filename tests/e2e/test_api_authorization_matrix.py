"""The authorization matrix (issue 14, "Proof in CI"): every role x operation x own/foreign
legal entity, for a key limited to DE and for an unlimited one. An operation on an
entity-owned object is allowed exactly when the role holds the scope and the object is the
key's to see; another entity's object answers as an unknown one (404 ``not_found``, left out
of lists, ``not_found`` in a report's skips); a route that keeps to no entity refuses a
limited key (403). Also: the classified fields a role reads (projections). The operations
and what each expects: ``support.authz_matrix``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from hourbridge.api.app import create_app
from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain.access import ROLES
from support.api import api_key, bearer
from support.authz import Clock, invoice_of, seed_two_entities
from support.authz_matrix import OPERATIONS, expects


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
                    expected = expects(scopes, scope, keeps, limit, entity)
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
