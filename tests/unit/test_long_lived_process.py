"""What a long-lived process keeps between commands (issue 16, item 4): the idle-contract
records per snapshot and date, the large snapshot frozen out of the collector's walks, the
SQLite log checkpointed by a thread of its own."""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Contract, Customer
from hourbridge.services.billing_report import idle_contracts, why_nothing
from hourbridge.store import snapshot_cache
from hourbridge.store.snapshot_cache import SnapshotCache
from hourbridge.store.wal import WalCheckpointer


def _firm(contracts: int) -> MasterData:
    return MasterData(contracts={
        f"K{n:03d}": Contract(f"K{n:03d}", "C1", "US" if n % 2 else "DE", "USD",
                              date(2026, 1, 1), date(2026, 5, 31) if n % 5 == 0 else None)
        for n in range(contracts)})


def test_idle_contracts_are_the_general_records_built_once_per_snapshot_and_date() -> None:
    md = _firm(40)
    through = date(2026, 8, 31)
    idle = idle_contracts(md, None, through, {"K001", "K002"})
    # in force in August (those ending in May are quiet), not looked at, by contract
    assert [r["contract"] for r in idle] == sorted(
        k for k in md.contracts if k not in ("K001", "K002") and int(k[1:]) % 5)
    assert all(r == why_nothing(r["contract"], [], []) for r in idle)
    again = idle_contracts(md, None, through, {"K003"})
    assert [r["contract"] for r in again][:2] == ["K001", "K002"]
    assert idle[1] is again[2]  # K004's record: built once for the snapshot and date
    assert [r["contract"] for r in idle_contracts(md, "DE", through, set())] == sorted(
        k for k in md.contracts if int(k[1:]) % 2 == 0 and int(k[1:]) % 5)
    fresh = _firm(40)  # a new snapshot builds its own
    assert idle_contracts(fresh, None, through, set())[0] is not again[0]
    assert idle_contracts(fresh, None, through, set())[0] == again[0]


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process does not keep anything frozen


def test_a_large_snapshot_moves_the_heap_out_of_the_collectors_walks(
        unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = SnapshotCache()
    cache.put(1, MasterData(customers={"C1": Customer("C1", "One", "US", "USD", "US")}))
    assert gc.get_freeze_count() == 0  # a small firm: no full collection for it
    monkeypatch.setattr(snapshot_cache, "FREEZE_FROM", 10)
    large = _firm(12)
    cache.put(2, large)
    assert gc.get_freeze_count() > 0
    assert cache.get(2) is large and cache.get(1) is None


def test_garbage_frozen_earlier_is_collected_at_the_next_freeze(
        unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_cache, "FREEZE_FROM", 10)

    class Node:
        pass

    cycle = Node()
    cycle.me = cycle  # type: ignore[attr-defined]
    probe = [cycle]
    SnapshotCache().put(1, _firm(12))  # the cycle is alive: frozen with the rest
    del cycle, probe
    frozen = gc.get_freeze_count()
    SnapshotCache().put(2, _firm(12))  # given back, collected, the living frozen again
    assert not any(type(o) is Node for o in gc.get_objects())
    assert gc.get_freeze_count() <= frozen + 1_000


def test_the_log_reaches_the_database_file_without_any_commit_checkpointing(
        tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # this writer never checkpoints
    writer.execute("CREATE TABLE t (v TEXT)")
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.execute("INSERT INTO t VALUES ('marker')")

    def in_database_file() -> bool:
        # immutable: the database file alone, the log ignored
        reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return reader.execute("SELECT count(*) FROM t").fetchone()[0] == 1
        finally:
            reader.close()

    assert not in_database_file()  # only in the log so far
    checkpointer = WalCheckpointer(str(path), interval=0.05)
    try:
        deadline = time.monotonic() + 5
        while not in_database_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert in_database_file()
    finally:
        checkpointer.close()
        writer.close()
    assert not checkpointer._thread.is_alive()


def test_only_a_sqlite_file_gets_a_checkpointer() -> None:
    from sqlalchemy import create_engine

    assert WalCheckpointer.of(create_engine("sqlite://")) is None
    assert WalCheckpointer.of(create_engine("postgresql+psycopg://u@h/db")) is None


class _Conn:  # what note_bulk_write touches of a connection
    def __init__(self) -> None:
        self.info: dict[str, object] = {}


def test_statistics_are_refreshed_for_the_columns_updated_or_all_after_an_insert() -> None:
    from hourbridge.store.bulk import note_bulk_write

    conn = _Conn()
    note_bulk_write(conn, "time_entries", 30_000, ("billing", "billing_open"))  # type: ignore[arg-type]
    note_bulk_write(conn, "time_entries", 10, ("approval",))  # type: ignore[arg-type]
    assert conn.info["bulk_rows"] == {
        "time_entries": (30_010, frozenset({"approval", "billing", "billing_open"}))}
    note_bulk_write(conn, "time_entries", 5)  # type: ignore[arg-type]  # rows inserted
    note_bulk_write(conn, "time_entries", 5, ("billing",))  # type: ignore[arg-type]
    assert conn.info["bulk_rows"] == {"time_entries": (30_020, None)}  # every column
