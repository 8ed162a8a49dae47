"""The write path against a real server: concurrent Idempotency-Key storms, huge bodies,
and logs that never carry row values."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from hourbridge.store.engine import make_engine
from support.firm import small_firm_bundle
from support.server import Server, serve

HOLD = {"scope": "project", "ref": "P1", "reason": "missing_po", "actor": "am",
        "note": "PO 4711 pending"}


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    with serve(database_url, tmp_path / "server.log") as srv:
        r = httpx.post(f"{srv.url}/v1/master-data", json=small_firm_bundle(), timeout=60,
                       headers=srv.headers)
        assert r.status_code == 200, r.text
        yield srv


def _storm(server: Server, bodies: list[dict[str, str]], key: str) -> list[httpx.Response]:
    """POST every body at once (one thread each) with one key; a 409 in progress is retried
    after its Retry-After. The final response of each thread."""
    barrier = threading.Barrier(len(bodies))
    results: list[httpx.Response | None] = [None] * len(bodies)
    seen_in_progress: list[int] = []

    def client(i: int) -> None:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as http:
            barrier.wait()
            for _ in range(60):
                r = http.post("/v1/holds", json=bodies[i], headers={"Idempotency-Key": key})
                if r.status_code == 409 and r.json()["code"] == "request_in_progress":
                    seen_in_progress.append(i)
                    assert int(r.headers["retry-after"]) >= 1
                    time.sleep(0.2)  # shorter than Retry-After: a test, not a client
                    continue
                results[i] = r
                return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"409 request_in_progress seen {len(seen_in_progress)}")
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_idempotency_storm_runs_once(server: Server) -> None:
    results = _storm(server, [HOLD] * 50, "storm-1")
    executed = sum(1 for r in results
                   if r.status_code == 201 and "idempotent-replayed" not in r.headers)
    replayed = sum(1 for r in results
                   if r.status_code == 201 and r.headers.get("idempotent-replayed") == "true")
    print(f"executed {executed} replayed {replayed}")
    assert (executed, replayed) == (1, 49), Counter(r.status_code for r in results)
    assert len({r.json()["id"] for r in results}) == 1
    holds = httpx.get(f"{server.url}/v1/holds", headers=server.headers,
                      params={"all": "true"}).json()["items"]
    assert len(holds) == 1


def test_one_key_with_different_bodies_runs_one(server: Server) -> None:
    bodies = [{**HOLD, "note": f"body {i}"} for i in range(10)]
    results = _storm(server, bodies, "storm-2")
    statuses = Counter(r.status_code for r in results)
    refused = [r for r in results if r.status_code in (409, 422)]
    print(f"executed {statuses[201]} refused {len(refused)}")
    assert statuses[201] == 1 and len(refused) == 9, statuses
    assert {r.json()["code"] for r in refused} <= {"idempotency_key_reused",
                                                  "request_in_progress"}
    assert len(httpx.get(f"{server.url}/v1/holds", headers=server.headers).json()["items"]) == 1


def _chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    chunk = b" " * size
    for _ in range(total // size):
        yield chunk


@pytest.mark.parametrize("key", [None, "big-1"])
def test_chunked_body_past_the_limit_is_refused_early(server: Server, key: str | None) -> None:
    before = server.memory_kib("VmHWM")
    headers = {**server.headers, "content-type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    started = time.monotonic()
    with server.http as http:
        r = http.post(f"{server.url}/v1/holds", content=_chunks(40 * 1024 * 1024),
                      headers=headers)
    took = time.monotonic() - started
    grown = (server.memory_kib("VmHWM") - before) // 1024
    print(f"chunked 40 MB: {r.status_code} in {took:.2f} s, server peak RSS +{grown} MB")
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "body_too_large"
    assert took < 10
    assert grown < 60  # at most the 32 MB limit buffered, never the 40 MB sent


SECRET = "NOTE-7f3a-SECRET-VALUE"


def _refuse_long_notes(database_url: str) -> str:
    """Make the database itself refuse a hold whose note is longer than 5 characters."""
    engine = make_engine(database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER hb_test_no_notes BEFORE INSERT ON holds "
                              "WHEN length(NEW.note) > 5 "
                              "BEGIN SELECT RAISE(ABORT, 'note refused'); END"))
        else:
            conn.execute(text("ALTER TABLE holds ALTER COLUMN note TYPE varchar(5)"))
    engine.dispose()
    return engine.dialect.name


def test_error_logs_carry_no_row_values(server: Server, database_url: str) -> None:
    dialect = _refuse_long_notes(database_url)
    r = httpx.post(f"{server.url}/v1/holds", json={**HOLD, "note": SECRET},
                   headers={**server.headers, "Idempotency-Key": "log-1"})
    # PostgreSQL: a DataError (422 from the app's translation); SQLite: an IntegrityError,
    # which the command bus reports as retryable (503)
    assert r.status_code == (422 if dialect == "postgresql" else 503), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert SECRET not in r.text and "INSERT" not in r.text
    time.sleep(0.3)  # let the server flush its log
    log = server.log()
    if dialect == "postgresql":
        assert "database refused POST /v1/holds -> 422" in log
    assert SECRET not in log
    # the reservation was released: a retry runs again, it is not "in progress"
    again = httpx.post(f"{server.url}/v1/holds", json={**HOLD, "note": SECRET},
                       headers={**server.headers, "Idempotency-Key": "log-1"})
    assert again.json()["code"] != "request_in_progress"
