"""``updated_since`` on the lists whose objects carry an update time (issue 14 item 6):
invoices and credit notes, time entries, expenses, exceptions and the audit log take an RFC
3339 date-time with its offset and keep what changed at or after it; anything else is a 422
problem naming the parameter."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hourbridge.api.app import create_app
from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from support.api import api_key, bearer
from support.authz import Clock, invoice_of, seed_two_entities

PROBLEM = "application/problem+json"


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Hourbridge, TestClient, Clock]]:
    clock = Clock()
    hb = bootstrap(Settings(database_url=database_url), clock=clock)
    with TestClient(create_app(hb)) as client:
        yield hb, client, clock


def _ids(client: TestClient, path: str, since: str, headers: dict[str, str],
         **params: str) -> list[int]:
    if path == "/v1/exceptions":
        params["status"] = "all"
    r = client.get(path, params={"updated_since": since, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def test_lists_keep_what_changed_since(world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, clock = world
    seeded = seed_two_entities(hb, client)  # everything at 2026-09-01 09:00 UTC
    admin = seeded["admin"]
    bad = {"source": "s", "time_entries": [{"external_id": "bad", "employee": "E1",
                                            "project": "NOPE", "task": "DEV",
                                            "work_date": "2026-08-20", "hours": "1"}]}
    assert client.post("/v1/time-entries", json=bad, headers=admin).json()["rejected"] == 1
    [exception] = _ids(client, "/v1/exceptions", "2026-09-01T09:00:00Z", admin)
    before = "2026-09-01T09:00:00Z"
    after = "2026-09-01T10:00:00+01:00"  # the same instant as 09:00Z: offsets count
    later = "2026-09-01T09:30:00Z"
    assert len(_ids(client, "/v1/invoices", before, admin)) == 2
    assert len(_ids(client, "/v1/invoices", after, admin)) == 2

    clock.now += timedelta(hours=1)  # 10:00Z: void one invoice, dismiss the exception
    voided = invoice_of(seeded, "AT")
    r = client.post(f"/v1/invoices/{voided}/void", json={"reason": "issued_in_error"},
                    headers=admin)
    assert r.status_code == 200, r.text
    r = client.post("/v1/exceptions/dismiss", json={"ids": [exception], "note": "typo"},
                    headers=admin)
    assert r.status_code == 200, r.text
    changed = {path: _ids(client, path, later, admin)
               for path in ("/v1/invoices", "/v1/exceptions", "/v1/entries", "/v1/expenses")}
    # the void changed the invoice and sent its entries back to billing
    assert changed["/v1/invoices"] == [voided]
    assert changed["/v1/exceptions"] == [exception]
    assert changed["/v1/entries"] and len(changed["/v1/entries"]) < len(
        _ids(client, "/v1/entries", before, admin))
    assert changed["/v1/expenses"] == []
    assert _ids(client, "/v1/invoices", "2026-09-01T10:00:01Z", admin) == []
    assert _ids(client, "/v1/invoices", later, admin, kind="credit_note") == []
    print("updated_since: invoices 2 -> 1 after a void, exceptions 1 -> 1 after a dismiss, "
          f"entries {len(_ids(client, '/v1/entries', before, admin))} -> "
          f"{len(changed['/v1/entries'])}", flush=True)


def test_a_bad_instant_is_a_problem_naming_the_field(
        world: tuple[Hourbridge, TestClient, Clock]) -> None:
    hb, client, _ = world
    admin = bearer(api_key(hb))
    for value, path in itertools.product(
            ("2026-09-01T09:00:00", "yesterday", "2026-13-01T00:00:00Z", "2026-09-01"),
            ("/v1/invoices", "/v1/entries", "/v1/expenses", "/v1/exceptions", "/v1/audit")):
        r = client.get(path, params={"updated_since": value}, headers=admin)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (path, r.text)
        assert [(e["location"], e["field"]) for e in r.json()["errors"]] == [
            ("query", "updated_since")], r.text
