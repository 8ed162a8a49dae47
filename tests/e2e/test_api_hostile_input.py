"""Hostile input gets a 4xx problem, never a 500: deep JSON, huge integers, NUL, huge ids;
and Idempotency-Key reservations (in progress, abandoned, taken over)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hourbridge.api.bodygate import MAX_JSON_DEPTH
from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.store.engine import make_engine
from hourbridge.store.idempotency import LEASE, SqlIdempotencyKeys
from support.api import api_client
from support.firm import small_firm_bundle

HOLD = {"scope": "project", "ref": "P1", "reason": "missing_po", "actor": "am", "note": "x"}
ENTRY = {"external_id": "a1", "employee": "E1", "project": "P1", "task": "DEV",
         "date": "2026-08-10", "hours": "2"}


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    hb = bootstrap(Settings(database_url=database_url))
    with api_client(hb, raise_server_exceptions=False) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        yield client


def _problem(r: Any, status: int | tuple[int, ...], code: str | None = None) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    if code is not None:
        assert body["code"] == code, body
    return body


def _post_raw(api: TestClient, path: str, body: str, **headers: str) -> Any:
    return api.post(path, content=body.encode(),
                    headers={"content-type": "application/json", **headers})


def test_deep_json_is_refused_naming_the_limit(api: TestClient) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    for path in ("/v1/holds", "/v1/time-entries", "/v1/master-data"):
        body = _problem(_post_raw(api, path, deep), 422, "json_too_deep")
        assert str(MAX_JSON_DEPTH) in body["detail"]
    nested: Any = "x"
    for _ in range(MAX_JSON_DEPTH + 1):
        nested = {"n": nested}
    r = api.post("/v1/holds", json={**HOLD, "note": nested})
    _problem(r, 422, "json_too_deep")


def test_integers_beyond_64_bits_are_refused(api: TestClient) -> None:
    big = str(2**64)
    body = _problem(_post_raw(api, "/v1/time-entries",
                              '{"source": "t", "entries": [{"hours": ' + big + '}]}'),
                    422, "integer_out_of_range")
    assert body["errors"][0]["pointer"] == "#/entries/0/hours"
    _problem(_post_raw(api, "/v1/holds", '{"scope": ' + "9" * 100_000 + "}"),
             422, "integer_out_of_range")
    # in a path: no 500 on either database
    _problem(api.post(f"/v1/holds/{big}/release", json={"actor": "am", "note": "x"}),
             (404, 422))
    _problem(api.post(f"/v1/invoices/{big}/void", json={"actor": "am", "reason": "x"}),
             (404, 409, 422))


def test_nul_characters_are_refused_naming_the_path(api: TestClient) -> None:
    body = _problem(api.post("/v1/holds", json={**HOLD, "note": "a\u0000b"}), 422,
                    "invalid_text")
    assert body["errors"][0]["pointer"] == "#/note"
    body = _problem(api.post("/v1/time-entries", json={
        "source": "t", "entries": [ENTRY, {**ENTRY, "external_id": "a\u0000"}]}),
        422, "invalid_text")
    assert body["errors"][0]["pointer"] == "#/entries/1/external_id"
    _problem(api.post("/v1/time-entries?source=t", content=b"external_id\na\x00\n",
                      headers={"content-type": "text/csv"}), 422, "invalid_text")
    _problem(api.get("/v1/holds", params={"all": "\x00"}), 422, "invalid_text")
    _problem(api.get("/v1/contracts/a%00b"), 422, "invalid_text")
    _problem(_post_raw(api, "/v1/holds", '{"scope": "\\ud800"}'), 422, "invalid_text")


def test_huge_ids_get_a_problem(api: TestClient) -> None:
    huge = "X" * 100_000
    _problem(api.post("/v1/holds", json={**HOLD, "ref": huge}), 422)
    long_id = huge[:60_000]  # the client refuses URLs past 64 KiB
    _problem(api.get(f"/v1/contracts/{long_id}"), (404, 422))
    _problem(api.post(f"/v1/corrections/{long_id}/apply", json={"actor": "am"}), (404, 422))
    bundle = small_firm_bundle()
    bundle["customers"][0]["id"] = huge
    _problem(api.post("/v1/master-data", json=bundle), 422)
    r = api.post("/v1/time-entries", json={
        "source": "t", "entries": [{**ENTRY, "external_id": huge}]})
    assert r.status_code in (201, 422), r.text[:500]  # SQLite keeps it; PostgreSQL refuses


def test_a_failed_request_releases_its_key(api: TestClient) -> None:
    bad = api.post("/v1/holds", json={**HOLD, "ref": "NOPE"}, headers={"Idempotency-Key": "k"})
    assert bad.status_code == 404
    good = api.post("/v1/holds", json={**HOLD, "ref": "NOPE"}, headers={"Idempotency-Key": "k"})
    assert good.status_code == 404 and "idempotent-replayed" not in good.headers


def test_a_request_that_raises_releases_its_key(api: TestClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    hb = api.app.state.hourbridge  # type: ignore[attr-defined]

    def boom(command: Any) -> Any:
        raise RuntimeError("a bug")

    with monkeypatch.context() as patch:
        patch.setattr(hb, "handle", boom)
        failed = api.post("/v1/holds", json=HOLD, headers={"Idempotency-Key": "b"})
        assert failed.status_code == 500
        assert "a bug" not in failed.text
    retry = api.post("/v1/holds", json=HOLD, headers={"Idempotency-Key": "b"})
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers
    again = api.post("/v1/holds", json=HOLD, headers={"Idempotency-Key": "b"})
    assert again.headers["idempotent-replayed"] == "true" and again.json() == retry.json()


def test_reservations_in_progress_abandoned_and_taken_over(database_url: str) -> None:
    hb = bootstrap(Settings(database_url=database_url))  # migrates
    hb.close()
    engine = make_engine(database_url)
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    keys = SqlIdempotencyKeys(engine, lambda: now[0])
    try:
        first = keys.reserve("k", "POST", "/v1/holds", "h1")
        assert first.outcome == "reserved" and first.owner
        busy = keys.reserve("k", "POST", "/v1/holds", "h1")
        assert busy.outcome == "in_progress" and busy.retry_after >= 1
        assert keys.reserve("k", "POST", "/v1/holds", "h2").outcome == "mismatch"
        now[0] += LEASE + timedelta(seconds=1)  # the first process died
        second = keys.reserve("k", "POST", "/v1/holds", "h1")
        assert second.outcome == "reserved" and second.owner != first.owner
        assert keys.reserve("k", "POST", "/v1/holds", "h1").outcome == "in_progress"
        assert not keys.renew("k", first.owner)
        now[0] += LEASE - timedelta(seconds=1)
        assert keys.renew("k", str(second.owner))  # still running: renewed, not abandoned
        now[0] += LEASE - timedelta(seconds=1)
        assert keys.reserve("k", "POST", "/v1/holds", "h1").outcome == "in_progress"
        assert not keys.complete("k", first.owner, 201, {"late": True})  # lost it
        keys.release("k", first.owner)  # no effect either
        assert keys.complete("k", str(second.owner), 201, {"id": 1})
        done = keys.reserve("k", "POST", "/v1/holds", "h1")
        assert done.outcome == "done" and done.stored is not None
        assert done.stored.body == {"id": 1} and done.stored.status_code == 201
        released = keys.reserve("r", "POST", "/v1/holds", "h1")
        keys.release("r", str(released.owner))
        assert keys.reserve("r", "POST", "/v1/holds", "h1").outcome == "reserved"
    finally:
        engine.dispose()
