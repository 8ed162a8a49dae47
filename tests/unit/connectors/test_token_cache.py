"""``erp_http.TokenCache``, the one OAuth token cache of the NetSuite, Business Central and
F&O clients: kept until ``margin`` before it expires, fetched once for many threads, fetched
again on demand (after a 401)."""

from __future__ import annotations

import threading

from hourbridge.connectors.erp_http import TokenCache


def test_kept_until_the_margin_then_fetched_again_and_fresh_on_demand() -> None:
    now = [1000.0]
    issued: list[str] = []

    def fetch() -> tuple[str, float]:
        issued.append(f"t{len(issued) + 1}")
        return issued[-1], 3600.0

    cache = TokenCache(fetch, clock=lambda: now[0], margin=60)
    assert cache.get() == cache.get() == "t1"
    now[0] += 3600 - 61  # still a minute and a second to go
    assert cache.get() == "t1"
    now[0] += 1  # within the margin: a request might outlive it
    assert cache.get() == "t2"
    assert cache.get(fresh=True) == "t3" and cache.get() == "t3"
    assert cache.fetched == 3


def test_threads_share_one_fetch() -> None:
    calls = []
    gate = threading.Event()

    def fetch() -> tuple[str, float]:
        calls.append(1)
        gate.wait(1)
        return "shared", 3600.0

    cache = TokenCache(fetch)
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get())) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert got == ["shared"] * 8 and len(calls) == 1
