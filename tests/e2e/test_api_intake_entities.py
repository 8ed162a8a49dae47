"""Intake with a key limited to legal entities (issue 14): an entity's own tracker
integration posts its time and expenses; a row naming another entity's project (by code or
through an alias) is refused exactly as an unknown project is, kept as an exception the
posting key cannot see; another entity's stored row under the same source id is never
revised or deleted by it. Time and expenses go through one parameterised path, and so do
these tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.store.entries import SqlEntries
from hourbridge.store.expenses import SqlExpenses
from support.api import api_client, api_key, bearer
from support.authz import Clock, seed_two_entities

Row = Callable[[str, str, str], dict[str, Any]]


def _time(external_id: str, employee: str, project: str) -> dict[str, Any]:
    return {"external_id": external_id, "employee": employee, "project": project,
            "task": "DEV", "work_date": "2026-08-20", "hours": "1.5",
            "notes": f"{external_id} work"}


def _expense(external_id: str, employee: str, project: str) -> dict[str, Any]:
    return {"external_id": external_id, "employee": employee, "project": project,
            "date": "2026-08-20", "amount": "12.50", "currency": "EUR",
            "category": "meals", "description": f"{external_id} lunch", "billable": False}


# kind -> (intake path, list path, the body's rows key, a row)
KINDS: dict[str, tuple[str, str, str, Row]] = {
    "time": ("/v1/time-entries", "/v1/entries", "time_entries", _time),
    "expenses": ("/v1/expenses", "/v1/expenses", "expenses", _expense),
}


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Hourbridge, TestClient]]:
    hb = bootstrap(Settings(database_url=database_url,
                            secret_key=Fernet.generate_key().decode()), clock=Clock())
    with api_client(hb) as client:
        seed_two_entities(hb, client)
        yield hb, client
    hb.close()


def _keys(hb: Hourbridge) -> dict[str, dict[str, str]]:
    return {e: bearer(api_key(hb, "admin", entities=(e,))) for e in ("DE", "AT")}


def _stored(client: TestClient, path: str, source: str) -> dict[str, dict[str, Any]]:
    items = client.get(f"{path}?limit=500").json()["items"]
    return {x["external_id"]: x for x in items if x["source"] == source}


def _queue(client: TestClient, headers: dict[str, str] | None = None
           ) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The open exceptions a key sees, by external id, and its ``by_reason`` counts."""
    listed = client.get("/v1/exceptions?limit=500", headers=headers).json()
    return {x["external_id"]: x for x in listed["items"]}, listed["by_reason"]


@pytest.mark.parametrize("kind", KINDS)
def test_another_entitys_project_is_refused_as_an_unknown_one(
        world: tuple[Hourbridge, TestClient], kind: str) -> None:
    hb, client = world
    path, listing, key, row = KINDS[kind]
    keys = _keys(hb)
    body = {"source": "de-tracker", key: [row("own", "E1", "P1"), row("foreign", "Z1", "P2"),
                                          row("unknown", "Z1", "P9")]}
    r = client.post(path, headers=keys["DE"], json=body)
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["rows"], report["accepted"], report["rejected"], report["reasons"]) == (
        3, 1, 2, {"unknown_project": 2})
    unlimited = client.post(path, json={"source": "shape", key: [row("x", "E1", "P1")]})
    assert set(report) == set(unlimited.json())  # the report an unlimited key gets
    assert {k: v["entity"] for k, v in _stored(client, listing, "de-tracker").items()} == {
        "own": "DE"}

    # kept as exceptions of the same shape: the foreign row's reads as the unknown one's
    queue, _ = _queue(client)
    foreign, unknown = queue["foreign"], queue["unknown"]
    same = ("reason", "owner_role", "status", "source", "location", "field")
    assert ({k: foreign[k] for k in same}
            == {**{k: unknown[k] for k in same}, "location": foreign["location"]})
    assert foreign["reason"] == "unknown_project"
    assert foreign["message"].replace("P2", "P9") == unknown["message"]

    # the posting key sees neither (an unknown project's row shows to no limited key; the
    # foreign one is the other entity's), the other entity's key sees its project's row
    mine, by_reason = _queue(client, keys["DE"])
    assert not {"foreign", "unknown"} & set(mine) and "unknown_project" not in by_reason
    theirs, _ = _queue(client, keys["AT"])
    assert "foreign" in theirs and "unknown" not in theirs

    # the same payload again adds nothing, as for any key
    again = client.post(path, headers=keys["DE"], json=body)
    assert again.status_code == 200 and again.json()["duplicate_payload"] is True

    # nothing lost: retried by a key that may post to AT, the row is taken there
    retried = client.post("/v1/exceptions/retry", headers=keys["AT"],
                          json={"ids": [foreign["id"]]}).json()
    assert retried["resolved"] == [foreign["id"]], retried
    assert _stored(client, listing, "de-tracker")["foreign"]["entity"] == "AT"
    print(f"{kind}: a DE key's rows own/foreign/unknown -> {report['accepted']} accepted, "
          f"reasons {report['reasons']}; foreign exception seen by DE no, AT yes", flush=True)


@pytest.mark.parametrize("kind", KINDS)
def test_another_entitys_stored_row_is_not_changed(
        world: tuple[Hourbridge, TestClient], kind: str) -> None:
    hb, client = world
    path, listing, key, row = KINDS[kind]
    keys = _keys(hb)
    r = client.post(path, json={"source": "shared", key: [row("held", "Z1", "P2"),
                                                          row("mine", "E1", "P1")]})
    assert r.json()["accepted"] == 2, r.text
    before = _stored(client, listing, "shared")

    # a row of DE's under the id AT's row holds is refused; DE's own row is revised
    more = {"hours": "3"} if kind == "time" else {"amount": "30"}
    changed = [{**row("held", "E1", "P1"), "revision": 2},
               {**row("mine", "E1", "P1"), "revision": 2, **more}]
    r = client.post(path, headers=keys["DE"], json={"source": "shared", key: changed})
    report = r.json()
    assert (report["accepted"], report["revised"], report["rejected"], report["reasons"]) == (
        0, 1, 1, {"duplicate_key": 1}), report
    queue, _ = _queue(client, keys["DE"])
    assert queue["held"]["reason"] == "duplicate_key"
    for word in ("P2", "Z1", "AT", "approved", "unbilled"):  # nothing of the row holding it
        assert word not in queue["held"]["message"]
    after = _stored(client, listing, "shared")
    assert after["held"] == before["held"]
    assert after["mine"]["revision"] == 2

    if kind == "time":  # a deletion of AT's row is one of an id nobody holds: nothing
        gone = [{"external_id": "held", "deleted": True, "revision": 3},
                {"external_id": "never", "deleted": True, "revision": 3}]
        r = client.post(path, headers=keys["DE"], json={"source": "shared", key: gone})
        report = r.json()
        assert (report["unchanged"], report["deleted"], report["rejected"]) == (2, 0, 0)
        assert _stored(client, listing, "shared")["held"] == before["held"]


def test_a_trackers_alias_to_another_entitys_project_is_unknown(
        world: tuple[Hourbridge, TestClient]) -> None:
    """``POST /v1/sources/{source}/time-entries``: the alias of an AT project reads as an
    unknown project for a DE key, and an id without an alias suggests DE's codes only."""
    hb, client = world
    keys = _keys(hb)
    for kind, external_id, code in (("user", "17", "E1"), ("user", "26", "Z1"),
                                    ("project", "99", "P1"), ("project", "77", "P2"),
                                    ("task", "5", "DEV")):
        r = client.post("/v1/aliases", json={"source": "harvest-de", "kind": kind,
                                             "external_id": external_id, "code": code})
        assert r.status_code == 201, r.text

    def page(first: int, *projects: tuple[int, str, int]) -> dict[str, Any]:
        return {"time_entries": [
            {"id": first + n, "spent_date": "2026-08-21", "hours": 2.0, "notes": f"h{n}",
             "user": {"id": user}, "project": {"id": project, "name": name},
             "task": {"id": 5}, "billable": True, "is_running": False,
             "updated_at": "2026-08-21T10:00:00Z"}
            for n, (project, name, user) in enumerate(projects)], "links": {"next": None}}

    url = "/v1/sources/harvest-de/time-entries?format=harvest"
    r = client.post(url, headers=keys["DE"], json=page(1, (99, "Blueprint", 17),
                                                       (77, "Wien rollout", 26)))
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["reasons"]) == (1, {"unknown_project": 1})
    # a project id with no alias: its suggestions come from the key's own projects
    for n, headers in ((10, keys["DE"]), (20, None)):
        r = client.post(url, headers=headers, json=page(n, (2, "Wien rollout", 17)))
        assert r.json()["reasons"] == {"unknown_alias": 1}, r.text
    queue, _ = _queue(client)
    assert "P2" not in queue["10"]["message"] and "P2" in queue["20"]["message"]
    # the row the AT alias named: AT's key sees it, the DE key that posted it does not
    assert "2" not in _queue(client, keys["DE"])[0] and "2" in _queue(client, keys["AT"])[0]


@pytest.mark.parametrize("kind", KINDS)
def test_a_payload_a_crash_left_is_recovered_as_its_sender_could_post_it(
        world: tuple[Hourbridge, TestClient], kind: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker or ``inbox retry`` processes a kept payload without its request: the inbox
    keeps the sender's entities, so a DE key's payload is not taken firm-wide later."""
    hb, client = world
    path, listing, key, row = KINDS[kind]
    repository = SqlEntries if kind == "time" else SqlExpenses
    real_insert = repository.move_staged

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(repository, "move_staged", crash)
    with api_client(hb, "admin", entities=("DE",), raise_server_exceptions=False) as de:
        failed = de.post(path, json={"source": "crashed", key: [row("own", "E1", "P1"),
                                                                row("foreign", "Z1", "P2")]})
    assert failed.status_code == 500
    monkeypatch.setattr(repository, "move_staged", real_insert)
    assert isinstance(hb.clock, Clock)
    hb.clock.now += timedelta(minutes=1)  # kept before now: the worker's recovery takes it
    [report] = hb.recover_intake()
    assert (report["source"], report["accepted"], report["reasons"]) == (
        "crashed", 1, {"unknown_project": 1}), report
    assert {k: v["entity"] for k, v in _stored(client, listing, "crashed").items()} == {
        "own": "DE"}


def test_an_idempotency_key_replays_only_to_the_credential_that_made_it(
        world: tuple[Hourbridge, TestClient]) -> None:
    """Another key sending the same Idempotency-Key and request runs its own request: it
    never reads a response made for another key's grants (here: another entity's intake
    report). The key that made it, and its rotated successor, get the replay."""
    hb, client = world
    record, de_text = hb.access.create("de-tracker", "integration", "tests", entities=("DE",),
                                       rate_limit=0)
    at = bearer(api_key(hb, "integration", entities=("AT",), name="at-tracker"))
    de = bearer(de_text)
    body = {"source": "idem", "time_entries": [_time("i1", "E1", "P1")]}
    same = {"Idempotency-Key": "batch-0001"}
    first = client.post("/v1/time-entries", headers={**de, **same}, json=body)
    assert first.status_code == 201 and first.json()["accepted"] == 1, first.text

    other = client.post("/v1/time-entries", headers={**at, **same}, json=body)
    assert "idempotent-replayed" not in other.headers
    assert other.json() != first.json()  # its own outcome: P1 is not AT's project
    assert other.json()["accepted"] == 0

    again = client.post("/v1/time-entries", headers={**de, **same}, json=body)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    _, rotated = hb.access.rotate(record.key_id, "tests")
    after = client.post("/v1/time-entries", headers={**bearer(rotated), **same}, json=body)
    assert after.headers["idempotent-replayed"] == "true" and after.json() == first.json()
