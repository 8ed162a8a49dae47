"""What is derived from a master-data snapshot is built once per snapshot (domain.per_snapshot):
the same snapshot object gets the same value, a new snapshot (a new revision) a new one."""

from __future__ import annotations

import threading

from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.per_snapshot import PerSnapshot
from hourbridge.domain.pricing import PriceBasis
from hourbridge.domain.rating import RateBook


def test_the_same_snapshot_gets_the_same_value_and_a_new_one_a_new_value() -> None:
    built: list[MasterData] = []

    def build(md: MasterData) -> object:
        built.append(md)
        return object()

    memo = PerSnapshot(build)
    first, second = MasterData(), MasterData()
    assert first == second and first is not second  # equal, yet another revision's object
    value = memo(first)
    assert memo(first) is value
    other = memo(second)
    assert other is not value
    assert memo(second) is other
    assert memo(first) is not value  # only the last snapshot is kept
    assert built == [first, second, first]


def test_threads_asking_at_once_share_one_value() -> None:
    memo = PerSnapshot(lambda md: object())
    md = MasterData()
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(memo(md))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(seen) == 8 and all(v is seen[0] for v in seen)


def test_rate_books_and_price_bases_are_shared_per_snapshot() -> None:
    md = MasterData()
    assert RateBook.of_snapshot(md) is RateBook.of_snapshot(md)
    assert PriceBasis.of_snapshot(md) is PriceBasis.of_snapshot(md)
    assert RateBook.of_snapshot(MasterData()) is not RateBook.of_snapshot(md)
