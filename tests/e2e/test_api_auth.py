"""The governed API (issue 14): every route declares its scope, credentials are checked before
anything else, roles and legal entities limit what a key does, and the actor is the key."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from hourbridge.api.app import create_app
from hourbridge.api.security import OPEN_PATHS, walk_routes
from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain.access import ROLES
from support.api import api_key, bearer
from support.firm import small_firm_bundle

PROBLEM = "application/problem+json"


def _two_entity_firm() -> dict[str, Any]:
    """The small firm (DE) and an Austrian sister with its own customer, contract, project
    and consultant."""
    bundle = small_firm_bundle()
    bundle["entities"].append({"code": "AT", "name": "Beispiel Wien GmbH", "country": "AT",
                               "currency": "EUR", "invoice_prefix": "AT",
                               "tax_rates": {"standard": "20"}})
    bundle["customers"].append({"id": "WIEN", "name": "Wien AG", "entity": "AT",
                                "currency": "EUR", "country": "AT"})
    bundle["employees"][0]["cost_rates"] = [
        {"valid_from": "2026-01-01", "rate": "80.00", "currency": "EUR"}]
    bundle["employees"].append({"id": "Z1", "entity": "AT", "role": "analyst"})
    bundle["contracts"].append({
        "id": "K2", "customer": "WIEN", "entity": "AT", "currency": "EUR",
        "start_date": "2026-07-01", "end_date": "2026-12-31",
        "versions": [{"version": 1, "effective_from": "2026-07-01"}]})
    bundle["projects"].append({
        "code": "P2", "name": "Wien rollout", "customer": "WIEN", "entity": "AT",
        "contract": "K2", "tasks": [{"code": "DEV", "name": "Development"}],
        "assignments": [{"employee": "Z1", "valid_from": "2026-07-01"}]})
    return bundle


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Hourbridge, TestClient, Clock]]:
    clock = Clock()
    hb = bootstrap(Settings(database_url=database_url,
                            secret_key=Fernet.generate_key().decode()), clock=clock)
    with TestClient(create_app(hb)) as client:
        yield hb, client, clock


def _seed(hb: Hourbridge, client: TestClient) -> dict[str, Any]:
    """Two entities with time, approved and billed: one draft invoice each."""
    admin = bearer(api_key(hb, "admin"))
    assert client.post("/v1/master-data", json=_two_entity_firm(),
                       headers=admin).status_code == 200
    entries = [{"external_id": f"t{i}", "employee": e, "project": p, "task": "DEV",
                "work_date": f"2026-08-1{i}", "hours": "2"}
               for i, (e, p) in enumerate([("E1", "P1"), ("E2", "P1"), ("Z1", "P2"),
                                           ("E2", "P1"), ("Z1", "P2")])]
    assert client.post("/v1/time-entries", json={"source": "t", "time_entries": entries},
                       headers=admin).status_code == 201
    ids = {r["external_id"]: r["id"]
           for r in client.get("/v1/entries", headers=admin).json()["items"]}
    approved = client.post("/v1/approvals", headers=admin,
                           json={"entry_ids": [ids["t0"], ids["t1"], ids["t2"]]})
    assert approved.json()["approved"] == 3, approved.text
    assert client.post("/v1/billing-runs", json={"through": "2026-08-31"},
                       headers=admin).json()["invoices_created"] == 2
    invoices = {i["entity"]: i["id"]
                for i in client.get("/v1/invoices", headers=admin).json()["items"]}
    return {"admin": admin, "invoice": invoices, "pending": {"DE": ids["t3"], "AT": ids["t4"]},
            "E1": ids["t0"]}


def test_every_route_declares_its_scope(world: tuple[Hourbridge, TestClient, Clock]) -> None:
    """Deny by default: a route added later without a scope fails here (and answers 403)."""
    hb, client, _ = world
    routes = walk_routes(client.app)  # type: ignore[arg-type]
    undeclared = [f"{sorted(r.methods or [])} {r.path}" for r in routes
                  if r.requirement is None and r.path not in OPEN_PATHS]
    print(f"routes {len(routes)} open {len(OPEN_PATHS)} undeclared {len(undeclared)}",
          flush=True)
    assert undeclared == []
    schema = client.get("/openapi.json", headers=bearer(api_key(hb, "auditor"))).json()
    assert set(schema["components"]["securitySchemes"]) == {"apiKey"}
    operations = [(path, method, op) for path, ops in schema["paths"].items()
                  for method, op in ops.items()]
    for path, method, op in operations:
        if path.startswith(("/v1/webhooks/", "/v1/crm/")) and method == "post":
            assert op["security"] == []  # the tracker's (or CRM relay's) signature instead
            continue
        if path in OPEN_PATHS:
            continue
        scope = op["x-required-scope"]  # "authenticated": any credential, no scope
        assert op["security"] == [{"apiKey": [] if scope == "authenticated" else [scope]}], (
            path, method)
        assert {"401", "403", "429"} <= set(op["responses"]), (path, method)


def test_401_and_403_say_nothing_that_helps_a_guess(
        world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, _ = world
    good = api_key(hb, "approver")
    key_id = good.split("_")[1]
    revoked = api_key(hb, "admin")
    hb.access.revoke(revoked.split("_")[1])
    expiring, expired_text = hb.access.create("old", "admin", "tests")
    hb.access.rotate(expiring.key_id, "tests", timedelta(0))  # the old key ends now
    wrong_secret = f"hbk_{key_id}_{'A' * 43}"
    refusals = {
        "none": {}, "malformed": {"Authorization": "Bearer nope"},
        "basic": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "unknown": bearer(f"hbk_{'0' * 12}_{'A' * 43}"), "wrong secret": bearer(wrong_secret),
        "revoked": bearer(revoked), "expired": bearer(expired_text),
        "jwt without issuer": bearer("eyJhbGciOiJub25lIn0.eyJzY29wZSI6ImFkbWluIn0."),
    }
    bodies = set()
    for name, headers in refusals.items():
        r = client.get("/v1/invoices", headers=headers)
        assert r.status_code == 401, name
        assert r.headers["content-type"] == PROBLEM
        assert r.headers["www-authenticate"].startswith("Bearer")
        bodies.add(json.dumps(r.json(), sort_keys=True))
    assert len(bodies) == 1  # every refusal reads the same
    assert client.get("/v1/nowhere").status_code == 401  # nor does a path exist or not
    assert client.get("/healthz").status_code == 200
    r = client.get("/v1/journal", headers=bearer(good))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "forbidden" and "journal" not in r.json()["detail"]
    assert 'scope="ledger:read"' in r.headers["www-authenticate"]
    assert client.get("/v1/nowhere", headers=bearer(good)).status_code == 404


def test_rotation_overlap_revocation_and_last_use(
        world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, clock = world
    record, old = hb.access.create("erp", "integration", "tests")
    assert client.get("/v1/customers", headers=bearer(old)).status_code == 200
    assert [k.last_used_at for k in hb.access.list() if k.key_id == record.key_id] == [
        clock.now]
    new_record, new = hb.access.rotate(record.key_id, "tests", timedelta(hours=24))
    assert new_record.scopes == record.scopes and new.startswith("hbk_")
    clock.now += timedelta(hours=23)
    assert client.get("/v1/customers", headers=bearer(old)).status_code == 200  # overlap
    assert client.get("/v1/customers", headers=bearer(new)).status_code == 200
    clock.now += timedelta(hours=2)
    assert client.get("/v1/customers", headers=bearer(old)).status_code == 401  # over
    assert client.get("/v1/customers", headers=bearer(new)).status_code == 200
    hb.access.revoke(new_record.key_id)
    assert client.get("/v1/customers", headers=bearer(new)).status_code == 401


def test_rate_limit_is_a_429_problem_with_retry_after(
        world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, _ = world
    limited = bearer(api_key(hb, "auditor", rate_limit=3))
    codes = [client.get("/v1/customers", headers=limited).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/v1/customers", headers=limited)
    assert r.status_code == 429 and r.headers["content-type"] == PROBLEM
    assert int(r.headers["retry-after"]) >= 1 and r.json()["code"] == "rate_limited"
    other = bearer(api_key(hb, "auditor", rate_limit=3))  # per key
    assert client.get("/v1/customers", headers=other).status_code == 200


def test_the_actor_is_the_key_never_the_body(
        world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, _ = world
    seeded = _seed(hb, client)
    record, text = hb.access.create("approvals app", "approver", "tests")
    r = client.post("/v1/approvals", headers=bearer(text),
                    json={"actor": "mallory", "entry_ids": [seeded["pending"]["DE"]]})
    assert r.status_code == 200 and r.json()["approved"] == 1
    assert "deprecation" in r.headers
    entry = client.get(f"/v1/entries/{seeded['pending']['DE']}", headers=seeded["admin"])
    assert entry.json()["approved_by"] == f"key:{record.key_id} (approvals app)"


def test_nobody_approves_their_own_time(world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, _ = world
    _seed(hb, client)
    e2 = bearer(api_key(hb, "approver", employee="E2"))
    r = client.post("/v1/approvals", headers=e2, json={"employee": "E2"})
    assert r.json()["approved"] == 0
    assert {s["reason"] for s in r.json()["skipped"]} == {"own_time"}
    e1 = bearer(api_key(hb, "approver", employee="E1"))
    assert client.post("/v1/approvals", headers=e1,
                       json={"employee": "E2"}).json()["approved"] == 1


def test_four_eyes_issue_where_the_entity_says_so(
        world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, _ = world
    seeded = _seed(hb, client)  # the admin key ran the billing that drafted both invoices
    hb.access.set_four_eyes("DE", True, ["DE", "AT"])
    issue = {"issue_date": "2026-09-01"}
    r = client.post("/v1/invoices/issue", headers=seeded["admin"],
                    json={**issue, "invoice_ids": [_invoice(seeded, "DE")]})
    assert r.status_code == 403 and r.json()["code"] == "segregation_of_duties"
    assert r.headers["content-type"] == PROBLEM
    r = client.post("/v1/invoices/issue", headers=seeded["admin"],
                    json={**issue, "invoice_ids": [_invoice(seeded, "AT")]})
    assert r.status_code != 403, r.text  # AT has no such policy
    other = bearer(api_key(hb, "finance"))
    r = client.post("/v1/invoices/issue", headers=other,
                    json={**issue, "invoice_ids": [_invoice(seeded, "DE")]})
    assert r.status_code == 200 and len(r.json()["issued"]) == 1, r.text


def test_dashboard_login_sets_a_strict_httponly_session(
        world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, _ = world
    record, text = hb.access.create("finance desk", "finance", "tests")
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == \
        "/login?next=/dashboard"
    assert client.get("/login").status_code == 200
    bad = client.post("/login", content="api_key=hbk_nope_x", follow_redirects=False,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers
    r = client.post("/login", content=f"api_key={text}&next=/v1/invoices",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/v1/invoices"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    session = r.cookies["hourbridge_session"]
    browser = TestClient(client.app, cookies={"hourbridge_session": session})
    assert browser.get("/v1/invoices").status_code == 200
    assert browser.get("/v1/journal").status_code == 200  # finance reads the ledger
    forged = session.rsplit(".", 1)[0] + "." + "0" * 64
    assert TestClient(client.app, cookies={"hourbridge_session": forged}).get(
        "/v1/invoices").status_code == 401
    hb.access.revoke(record.key_id)
    assert browser.get("/v1/invoices").status_code == 401  # a revoked key ends its sessions


def test_oauth2_client_credentials_jwts(database_url: str, tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "k1", "use": "sig"}]}))
    hb = bootstrap(Settings(database_url=database_url, oauth_issuer="https://idp.example",
                            oauth_audience="hourbridge", oauth_jwks=str(jwks)))
    now = datetime.now(UTC)

    def token(**claims: Any) -> dict[str, str]:
        body = {"iss": "https://idp.example", "aud": "hourbridge", "client_id": "erp",
                "exp": now + timedelta(minutes=5), "scope": "invoices:read", **claims}
        return bearer(jwt.encode(body, private, algorithm="RS256", headers={"kid": "k1"}))

    with TestClient(create_app(hb)) as client:
        assert client.get("/v1/invoices", headers=token()).status_code == 200
        assert client.get("/v1/journal", headers=token()).status_code == 403
        for bad in (token(aud="other"), token(iss="https://evil.example"),
                    token(exp=now - timedelta(minutes=5))):
            assert client.get("/v1/invoices", headers=bad).status_code == 401
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode({"iss": "https://idp.example", "aud": "hourbridge", "sub": "x",
                             "exp": now + timedelta(minutes=5), "scope": "admin"}, other,
                            algorithm="RS256", headers={"kid": "k1"})
        assert client.get("/v1/invoices", headers=bearer(forged)).status_code == 401
        schema = client.get("/openapi.json", headers=token()).json()
        assert "oauth2" in schema["components"]["securitySchemes"]


# --- the authorization matrix ----------------------------------------------------------------
Check = Callable[[TestClient, dict[str, str], dict[str, Any], str], bool]


def _listed(path: str, key: str, value: Callable[[dict[str, Any], str], Any]) -> Check:
    def check(client: TestClient, headers: dict[str, str], seeded: dict[str, Any],
              entity: str) -> bool:
        r = client.get(path, headers=headers)
        return r.status_code == 200 and value(seeded, entity) in [
            x[key] for x in r.json()["items"]]
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


def _approves(client: TestClient, headers: dict[str, str], seeded: dict[str, Any],
              entity: str) -> bool:
    entry = seeded["pending"][entity]
    r = client.post("/v1/approvals", headers=headers, json={"entry_ids": [entry]})
    if r.status_code != 200:
        return False
    return not any(s["id"] == entry and s["reason"] == "not_found" for s in r.json()["skipped"])


def _invoice(seeded: dict[str, Any], entity: str) -> int:
    return int(seeded["invoice"][entity])


# operation -> (scope it needs, keeps to entities, check that it was allowed on an entity)
OPERATIONS: dict[str, tuple[str, bool, Check]] = {
    "list invoices": ("invoices:read", True, _listed("/v1/invoices", "id", _invoice)),
    "read invoice": ("invoices:read", True, _status(
        "GET", lambda s, e: f"/v1/invoices/{_invoice(s, e)}")),
    "invoice document": ("invoices:read", True, _status(
        "GET", lambda s, e: f"/v1/invoices/{_invoice(s, e)}/document?format=ubl")),
    "issue invoice": ("invoices:issue", True, _status(
        "POST", lambda s, e: "/v1/invoices/issue",
        lambda s, e: {"invoice_ids": [_invoice(s, e)], "issue_date": "2026-09-01"})),
    "list customers": ("masterdata:read", True, _listed(
        "/v1/customers", "id", lambda s, e: {"DE": "ACME", "AT": "WIEN"}[e])),
    "approve time": ("time:approve", True, _approves),
    "read journal": ("ledger:read", False, _status("GET", lambda s, e: "/v1/journal")),
    "load master data": ("masterdata:write", False, _status(
        "POST", lambda s, e: "/v1/master-data?dry_run=true", lambda s, e: {})),
    "list entries": ("time:read", False, _status("GET", lambda s, e: "/v1/entries")),
}


def test_authorization_matrix(world: tuple[Hourbridge, TestClient, Clock]) -> None:
    """Every role x operation x own/foreign entity, for a key limited to DE and for one
    limited to nothing: allowed exactly when the role holds the scope and the object is the
    key's to see."""
    hb, client, _ = world
    seeded = _seed(hb, client)
    cases = allows = unexpected_allows = unexpected_denies = hidden_not_404 = 0
    failures = []
    for role, scopes in ROLES.items():
        for limit in (("DE",), None):
            headers = bearer(api_key(hb, role, entities=limit))
            for operation, (scope, keeps_entities, check) in OPERATIONS.items():
                for entity in ("DE", "AT"):
                    held = "admin" in scopes or scope in scopes
                    expected = held and (limit is None or (keeps_entities
                                                           and entity in limit))
                    allowed = check(client, headers, seeded, entity)
                    cases += 1
                    allows += allowed
                    if allowed and not expected:
                        unexpected_allows += 1
                        failures.append(f"allowed {role} {limit} {operation} {entity}")
                    if expected and not allowed:
                        unexpected_denies += 1
                        failures.append(f"denied {role} {limit} {operation} {entity}")
    # another entity's invoice answers exactly as an unknown one
    finance_de = bearer(api_key(hb, "finance", entities=("DE",)))
    for path in (f"/v1/invoices/{_invoice(seeded, 'AT')}", "/v1/invoices/999999"):
        r = client.get(path, headers=finance_de)
        if r.status_code != 404 or r.json()["code"] != "not_found":
            hidden_not_404 += 1
    employees = client.get("/v1/employees",
                           headers=bearer(api_key(hb, "approver"))).json()["items"]
    shown_pay = [e["id"] for e in employees if "cost_rates" in e]
    print(f"authorization matrix: cases {cases} (allowed {allows}, denied {cases - allows}) "
          f"unexpected allows {unexpected_allows} "
          f"unexpected denies {unexpected_denies} foreign not 404 {hidden_not_404}",
          flush=True)
    assert failures == [] and hidden_not_404 == 0
    assert 0 < allows < cases
    assert shown_pay == []  # cost rates only with people:read
    full = client.get("/v1/employees", headers=bearer(api_key(hb, "finance"))).json()["items"]
    assert any(e.get("cost_rates") for e in full)
