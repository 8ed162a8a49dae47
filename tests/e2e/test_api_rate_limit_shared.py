"""Rate limits shared across processes (issue 14 item 6): two ``hourbridge serve`` processes
on one database together allow a key its limit once, not once each; past it, 429
problem+json with ``Retry-After``. And the limiter's only local decision (a refusal in a
window already known exhausted) never allows what the database would refuse."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from hourbridge.api.app import create_app
from hourbridge.api.ratelimit import WINDOW, RateLimiter
from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import api_key, bearer
from support.server import serve

LIMIT, PER_SERVER = 12, 20


def _window_now() -> int:
    return int(time.time() // WINDOW)


def _check(urls: list[str], answers: list[httpx.Response]) -> None:
    codes = [r.status_code for r in answers]
    by_origin = {u: sum(1 for url, r in zip(urls, answers, strict=True)
                        if url == u and r.status_code == 200) for u in set(urls)}
    refused = [r for r in answers if r.status_code == 429]
    print(f"shared rate limit: {len(by_origin)} apps, {len(answers)} requests, limit {LIMIT}: "
          f"allowed {codes.count(200)} (per app {sorted(by_origin.values())}), "
          f"429 {len(refused)}", flush=True)
    assert codes.count(200) == LIMIT and len(refused) == len(answers) - LIMIT
    for r in refused:
        assert r.headers["content-type"] == "application/problem+json"
        assert 1 <= int(r.headers["retry-after"]) <= WINDOW
        assert r.json()["code"] == "rate_limited"


def test_two_app_instances_on_one_database_share_one_limit(database_url: str) -> None:
    """Two apps, each with its own engine and limiter (as two processes have), hammered at
    once from eight threads."""
    first, second = (bootstrap(Settings(database_url=database_url)) for _ in range(2))
    second.upgrade()
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        warm = bearer(api_key(first, "auditor"))  # routes built before the threads start
        assert a.get("/v1/customers", headers=warm).status_code == 200
        assert b.get("/v1/customers", headers=warm).status_code == 200
        clients = {"a": a, "b": b}
        for _ in range(3):  # a run that straddles a minute boundary counts two windows
            key = bearer(api_key(first, "auditor", rate_limit=LIMIT))
            started = _window_now()
            def call(name: str, key: dict[str, str] = key) -> httpx.Response:
                return clients[name].get("/v1/customers", headers=key)

            names = ["a", "b"] * PER_SERVER
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(call, names))
            if _window_now() == started:
                break
    _check(names, answers)


@pytest.mark.skipif(os.environ.get("HOURBRIDGE_TEST_PROCESSES") != "1",
                    reason="two `serve` processes take a minute on a shared machine: set "
                    "HOURBRIDGE_TEST_PROCESSES=1")
def test_two_server_processes_share_one_limit(database_url: str, tmp_path: Path) -> None:
    with serve(database_url, tmp_path / "a.log") as a, serve(database_url, tmp_path / "b.log") as b:
        hb = bootstrap(Settings(database_url=database_url))
        try:
            for _ in range(3):  # a run that straddles a minute boundary counts two windows
                key = {"Authorization": f"Bearer {api_key(hb, 'auditor', rate_limit=LIMIT)}"}
                started = _window_now()

                def call(url: str, key: dict[str, str] = key) -> httpx.Response:
                    return httpx.get(f"{url}/v1/customers", headers=key, timeout=60)

                urls = [a.url, b.url] * PER_SERVER
                with ThreadPoolExecutor(8) as pool:
                    answers = list(pool.map(call, urls))
                if _window_now() == started:
                    break
        finally:
            hb.close()
    _check(urls, answers)


class _Windows:
    """The database's counts, counting how often it is asked."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, int], int] = {}
        self.asked = 0

    def hit(self, who: str, window: int) -> int:
        self.asked += 1
        self.hits[(who, window)] = self.hits.get((who, window), 0) + 1
        return self.hits[(who, window)]

    def prune(self, before: int) -> int:
        old = [k for k in self.hits if k[1] < before]
        for k in old:
            del self.hits[k]
        return len(old)


def test_local_refusals_are_exact_and_windows_roll_over(database_url: str) -> None:
    now = [1_800_000_010.0]
    shared = _Windows()
    one, two = RateLimiter(shared, lambda: now[0]), RateLimiter(shared, lambda: now[0])
    waits = [(one if i % 2 else two).wait("k", 5) for i in range(10)]
    assert waits.count(0) == 5 and set(waits) - {0} == {50}  # the window ends in 50 s
    asked = shared.asked
    assert one.wait("k", 5) == 50 and two.wait("k", 5) == 50
    assert shared.asked == asked  # known exhausted: refused without asking the database
    assert one.wait("other", 5) == 0  # per credential
    now[0] += 50  # the next window
    assert one.wait("k", 5) == 0 and two.wait("k", 5) == 0
    now[0] += 60  # and the one after: the first window is pruned, the last one kept
    assert one.wait("k", 5) == 0
    assert sorted(w for _, w in shared.hits) == [1_800_000_060, 1_800_000_120]
    assert one.wait("k", 0) == 0  # 0: no limit, nothing counted
    # the same through the database's UPSERT
    hb = bootstrap(Settings(database_url=database_url))
    try:
        rows = hb.rate_windows
        assert [rows.hit("k", 60) for _ in range(3)] == [1, 2, 3]
        assert rows.hit("k", 120) == 1 and rows.prune(120) == 1
    finally:
        hb.close()
