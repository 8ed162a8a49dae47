"""The audit chain's write tracker counts an "insertmanyvalues" INSERT once (issue 16).

SQLAlchemy 2.0 sends a many-row ``INSERT ... RETURNING`` in batches (on SQLite with
``sort_by_parameter_order``: a row at a time) and reports every batch to
``after_cursor_execute`` with the *whole* statement's parameters (sqlalchemy#13018). The
tracker hashed and counted each report, so a billing run writing N invoice lines did N
``repr``s of N rows: 3,000 rows were counted as 9,000,000 and the run was quadratic in its
lines (80 % of a 20,000-entry billing run on SQLite, cProfile).
"""

from __future__ import annotations

import time

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

from hourbridge.store.audit import WriteTracker

ROWS = 3000


def test_a_batched_insert_is_counted_and_hashed_once() -> None:
    engine = create_engine("sqlite://")
    md = MetaData()
    things = Table("things", md, Column("id", Integer, primary_key=True), Column("a", String))
    md.create_all(engine)
    with engine.begin() as conn:
        tracker = WriteTracker()
        tracker.attach(conn)
        t0 = time.perf_counter()
        ids = conn.execute(insert(things).returning(things.c.id, sort_by_parameter_order=True),
                           [{"a": f"x{i}"} for i in range(ROWS)]).scalars().all()
        seconds = time.perf_counter() - t0
        tracker.detach(conn)
        single = WriteTracker()
        single.attach(conn)
        conn.execute(insert(things), [{"a": f"x{i}"} for i in range(ROWS)])
    print(f"write tracker: {ROWS:,} rows by insertmanyvalues counted {tracker.changes['things']:,}"
          f" in {seconds * 1000:.0f} ms")
    assert len(ids) == ROWS
    assert tracker.changes == {"things": ROWS}
    assert single.changes == {"things": ROWS}  # a plain executemany: one report, as before
    assert tracker.digest != WriteTracker().digest  # what was written is in the digest
