"""Hourbridge's own bulk inserts on SQLite (intake's move of a batch, a billing run's and a
credit note's invoice-entry links) keep the KPI rollups by one grouped upsert per rollup,
with the row triggers told to stand aside by a mark in ``kpi_rollup_deferred``
(``store/kpi_bulk.py``, migration 0027). The rollups still equal their written formulas, a
writer without the mark is still counted by the triggers, and the mark never outlives the
bulk insert: not after a commit, a failed insert, a rollback or a kill -9."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import IntegrityError

from hourbridge.store import tables as t
from hourbridge.store.bulk import bulk_insert
from hourbridge.store.kpi_bulk import ROLLUPS, TRIGGERS_BELOW, set_based_rollups
from integration.test_kpi_rollups import (
    PG_ENV,
    START,
    PostgresRollupMachine,
    RollupMachine,
    assert_rollup_equals_definition,
)


def _marks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.kpi_rollup_deferred))
                   .scalar_one())


def _machine(database: str) -> RollupMachine:
    if database == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    return PostgresRollupMachine() if database == "postgres" else RollupMachine()


def _work(m: RollupMachine, n: int) -> None:
    """``n`` entries ingested in one batch, approved, billed and issued."""
    m.ingest([(("E1", "E2")[i % 2], ("P1", "P1", "INT")[i % 3], START + timedelta(days=i % 40),
               15 + i % 300) for i in range(n)])
    m.approve(2, START + timedelta(days=45), None)
    m.bill_and_issue(START + timedelta(days=45))


def _copy_entry(conn: Any, entry_id: int, suffix: str) -> None:
    """A raw INSERT of a copy of an entry under new keys: an outside writer, no mark."""
    te = t.time_entries
    names = [col.name for col in te.c if col.name != "id" and col.computed is None]
    values = ", ".join(
        f"external_id || '{suffix}'" if n == "external_id"
        else f"CASE WHEN {n} IS NULL THEN NULL ELSE '{suffix}' || substr({n}, 1, 20) END"
        if n == "intake_key" else n for n in names)
    conn.execute(text(f"INSERT INTO time_entries ({', '.join(names)}) "
                      f"SELECT {values} FROM time_entries WHERE id = :id"), {"id": entry_id})


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_bulk_ingest_and_bill_keep_rollups_and_outside_writers_are_counted(
        database: str) -> None:
    m = _machine(database)
    try:
        _work(m, 240)
        assert assert_rollup_equals_definition(m.hb) > 200
        assert _marks(m.hb.engine) == 0
        # an outside writer: approved entries and links inserted by plain SQL, no mark
        with m.hb.engine.begin() as conn:
            ids = conn.execute(select(t.time_entries.c.id).where(
                t.time_entries.c.approval == "approved").order_by(t.time_entries.c.id)
                .limit(3)).scalars().all()
            for n, entry_id in enumerate(ids):
                _copy_entry(conn, entry_id, f"z{n}")
            line = conn.execute(select(func.max(t.invoice_line_entries.c.line))).scalar_one()
            new = conn.execute(select(t.time_entries.c.id).where(
                t.time_entries.c.external_id.like("%z_"))).scalars().all()
            assert len(new) == 3
            conn.execute(text("INSERT INTO invoice_line_entries (line, entry, seconds) "
                              "VALUES (:l, :e, 60)"), [{"l": line, "e": e} for e in new])
        assert assert_rollup_equals_definition(m.hb) > 200
        # and the bulk path again after them
        _work(m, 60)
        assert_rollup_equals_definition(m.hb)
        assert _marks(m.hb.engine) == 0
    finally:
        m.teardown()


def test_a_failed_bulk_insert_leaves_no_mark_and_counts_what_stayed() -> None:
    """An executemany that fails part-way keeps its earlier rows (SQLite: each row is its
    own statement); a caller that goes on and commits has them counted and no mark left.
    A caller that rolls back leaves neither rows nor mark."""
    m = RollupMachine()
    try:
        _work(m, 60)
        le = t.invoice_line_entries
        with m.hb.engine.connect() as conn:
            line, entry = conn.execute(select(le.c.line, le.c.entry).limit(1)).one()
            free = conn.execute(select(t.time_entries.c.id).where(
                t.time_entries.c.id.not_in(select(le.c.entry).where(le.c.line == line)))
                .limit(1)).scalar_one()
        rows = [(line, free, 120), (line, entry, 60)]  # the second is a duplicate key
        for commit in (False, True):
            with m.hb.engine.connect() as conn, conn.begin() as tx:
                with pytest.raises(IntegrityError), set_based_rollups(conn, le.name):
                    bulk_insert(conn, le, ("line", "entry", "seconds"), rows)
                assert conn.execute(select(func.count()).select_from(
                    t.kpi_rollup_deferred)).scalar_one() == 0
                if commit:
                    tx.commit()
                else:
                    tx.rollback()
            assert _marks(m.hb.engine) == 0
            assert_rollup_equals_definition(m.hb)
        with m.hb.engine.connect() as conn:  # the committed round kept the first row
            assert conn.execute(select(le.c.seconds).where(
                le.c.line == line, le.c.entry == free)).scalar_one() == 120
    finally:
        m.teardown()


def _killed_mid_insert(url: str) -> None:
    """Child process: a bulk insert of entries under the mark, killed before it commits."""
    from hourbridge.store.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn, conn.begin(), set_based_rollups(conn, t.time_entries.name):
        names = [col.name for col in t.time_entries.c
                 if col.name != "id" and col.computed is None]
        values = ", ".join("external_id || 'k'" if n == "external_id" else
                           "NULL" if n == "intake_key" else n for n in names)
        conn.execute(text(f"INSERT INTO time_entries ({', '.join(names)}) "
                          f"SELECT {values} FROM time_entries"))
        assert conn.execute(text("SELECT count(*) FROM kpi_rollup_deferred")).scalar() == 1
        os.kill(os.getpid(), signal.SIGKILL)


def test_kill_9_under_the_mark_leaves_neither_mark_nor_rows() -> None:
    m = RollupMachine()
    try:
        _work(m, 60)
        with m.hb.engine.connect() as conn:
            before = conn.execute(select(func.count()).select_from(t.time_entries)).scalar()
        url = str(m.hb.engine.url)
        m.hb.engine.dispose()
        child = multiprocessing.get_context("fork").Process(target=_killed_mid_insert,
                                                            args=(url,))
        child.start()
        child.join(timeout=60)
        assert child.exitcode == -signal.SIGKILL
        assert _marks(m.hb.engine) == 0
        with m.hb.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(t.time_entries)
                                ).scalar() == before
        # the triggers count the next writer again, and the bulk path still works
        _work(m, 30)
        assert_rollup_equals_definition(m.hb)
    finally:
        m.teardown()


def test_marked_table_only_defers_its_own_triggers() -> None:
    """A mark for the links does not silence the time entries' triggers (and the reverse
    holds by the same WHEN): an entry written meanwhile by plain SQL is still counted."""
    m = RollupMachine()
    try:
        _work(m, 30)
        with m.hb.engine.begin() as conn:
            entry_id = conn.execute(select(func.min(t.time_entries.c.id))).scalar_one()
            with set_based_rollups(conn, t.invoice_line_entries.name):
                _copy_entry(conn, entry_id, "m")
        assert_rollup_equals_definition(m.hb)
    finally:
        m.teardown()


def test_set_based_rollups_read_only_the_new_rows() -> None:
    """Each grouped upsert reads the inserted rows by their rowid range: never a walk of a
    whole index (every stored entry or link per batch, what the planner would choose)."""
    m = RollupMachine()
    try:
        _work(m, 30)
        with m.hb.engine.connect() as conn:
            for statements in ROLLUPS.values():
                for statement in statements:
                    plan = [r[3] for r in conn.exec_driver_sql(
                        f"EXPLAIN QUERY PLAN {statement}", (0,))]
                    assert any("(rowid>?)" in step for step in plan), plan
                    assert not any(step.startswith("SCAN") and step != "SCAN s"
                                   for step in plan), plan
    finally:
        m.teardown()


def test_a_small_links_insert_keeps_the_row_triggers_and_a_large_one_the_mark() -> None:
    """Below ``TRIGGERS_BELOW`` links a billing run leaves the rollups to the row triggers
    (the mark and grouped upserts cost more than they save there); from it on, the mark.
    Either way the rollups equal their written formulas."""
    m = _machine("sqlite")
    marked: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "INTO kpi_rollup_deferred" in statement:
            marked.append(statement)

    try:
        event.listen(m.hb.engine, "before_cursor_execute", watch)
        for entries, bulk in ((30, False), (TRIGGERS_BELOW * 2, True)):
            m.ingest([(("E1", "E2")[i % 2], "P1", START + timedelta(days=i % 40), 15 + i)
                      for i in range(entries)])
            m.approve(2, START + timedelta(days=45), None)
            before = len(marked)  # intake's move of the batch is marked whatever its size
            m.bill_and_issue(START + timedelta(days=45))
            assert (len(marked) > before) is bulk
            assert assert_rollup_equals_definition(m.hb) >= entries
            assert _marks(m.hb.engine) == 0
    finally:
        event.remove(m.hb.engine, "before_cursor_execute", watch)
        m.teardown()
