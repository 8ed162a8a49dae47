"""Where an exception's and an outbox event's legal entity comes from (issue 14 item 3): the
shapes the authorization matrix does not seed. An exception names its project by a tracker's
id (through the alias), or a contract (a billing run's), or nothing an entity owns; an event
is an ERP document mapping a journal entry (key ``erp:DESTINATION:JOURNAL_KEY``), or a
payments pull about no one entity. A key limited to an entity traces that entity's events
only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import insert

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain.problems import Problem
from hourbridge.services.ports.exceptions import NewException
from hourbridge.store import tables as t
from support.api import api_client, api_key, bearer
from support.authz import Clock, invoice_of, seed_two_entities


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Hourbridge, TestClient]]:
    hb = bootstrap(Settings(database_url=database_url,
                            secret_key=Fernet.generate_key().decode()), clock=Clock())
    with api_client(hb) as client:
        yield hb, client
    hb.close()


def test_exception_entity_from_alias_contract_or_none(
        world: tuple[Hourbridge, TestClient]) -> None:
    hb, client = world
    seed_two_entities(hb, client)
    with hb.engine.begin() as conn:
        conn.execute(insert(t.id_aliases).values(source="trk", kind="project",
                                                 external_id="p-wien", code="P2"))
    rows = [("trk", {"source_project": "p-wien"}), ("billing", {"contract": "K1"}),
            ("erp", {}), ("trk", {"source_project": "p-unknown"})]
    with hb.uow() as uow:
        uow.exceptions.add([NewException(None, source, None, Problem(
            "unknown_project", "test", f"row {i}"), row)
            for i, (source, row) in enumerate(rows)], hb.clock())
        uow.commit()
    listed = client.get("/v1/exceptions?reason=unknown_project").json()["items"]
    ids = [x["id"] for x in listed]
    assert len(ids) == 4
    found = [hb.queries.exception_entities([i]) for i in ids]
    assert found == [["AT"], ["DE"], [None], [None]]
    seen = {}
    for entity in ("DE", "AT"):
        with api_client(hb, "finance", entities=(entity,)) as limited:
            seen[entity] = [x["id"] for x in limited.get(
                "/v1/exceptions?reason=unknown_project").json()["items"]]
    assert seen == {"DE": [ids[1]], "AT": [ids[0]]}
    print(f"exception entities (alias, contract, erp, unknown project): {found}; "
          f"limited keys see {seen}", flush=True)


def test_event_entity_from_the_journal_an_erp_document_maps(
        world: tuple[Hourbridge, TestClient]) -> None:
    hb, client = world
    seeded = seed_two_entities(hb, client)
    r = client.post("/v1/invoices/issue", json={"invoice_ids": [invoice_of(seeded, "AT")],
                                                "issue_date": "2026-09-01"})
    assert r.status_code == 200, r.text
    journal = next(j for j in client.get("/v1/journal").json()["items"]
                   if j["entity"] == "AT")
    with hb.uow() as uow:
        uow.outbox.add(f"erp:odoo:{journal['key']}", "hourbridge.erp.document.ready.v1",
                       "erp/odoo/x", {"data": {"destination": "odoo", "document": {}}},
                       hb.clock())
        uow.outbox.add("pull-1", "hourbridge.erp.payments.pull.v1", "erp/*/payments",
                       {"data": {"destination": None}}, hb.clock())
        uow.commit()
    with hb.engine.connect() as conn:
        events = {k: i for k, i in conn.execute(
            t.outbox.select().with_only_columns(t.outbox.c.key, t.outbox.c.id))}
    erp, pull = events[f"erp:odoo:{journal['key']}"], events["pull-1"]
    assert (hb.queries.event_entity(erp), hb.queries.event_entity(pull)) == ("AT", None)
    number = client.get(f"/v1/invoices/{invoice_of(seeded, 'AT')}").json()["number"]
    assert number
    traced = {}
    for entity in ("DE", "AT"):
        key = bearer(api_key(hb, "admin", entities=(entity,)))
        traced[entity] = client.get(f"/v1/trace/event/{journal['key']}",
                                    headers=key).status_code
        by_number = client.get(f"/v1/trace/invoice/{number}", headers=key)
        assert by_number.status_code == (200 if entity == "AT" else 404), by_number.text
    assert traced == {"DE": 404, "AT": 200}
    print(f"event entities: erp document AT, payments pull none; trace of an AT journal "
          f"event by entity key: {traced}", flush=True)
