"""Issuing reads its marked entries by primary key on PostgreSQL, however many (issue 16).

A batch of 200 invoices marks about 25,000 entries invoiced whole (``issuing_ledger``). Joined
to the entries, the planner hashed them and read the whole entry table for each batch: at
1,000,000 entries 39 sequential scans of about 800 MB in one issue, most of its growth with
history. The store sends the UPDATE with the marked ids as one array and the relief sums as a
lateral subquery, which PostgreSQL can only run as index probes. This test marks 40 % of
50,000 entries, a share at which a planner free to choose may well scan, and asks PostgreSQL
for the plans of the statements the store really sends: index probes, never a scan. (At this
size the planner still probes for the old join too; the scans showed at 1M, where the table
outgrows shared_buffers. The bench measures that.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.store import issuing_ledger as ledger
from integration.test_pg_plans import _nodes, fill_entries

pytestmark = pytest.mark.postgres
ENTRIES, MARKED = 50_000, 20_000
AT = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.fixture
def database_url(postgres_url: str) -> str:  # PostgreSQL only: SQLite has no hash joins
    return postgres_url


def _plan(conn: Any, statement: Any) -> list[dict[str, Any]]:
    """The plan of ``statement`` as the store sends it (the issue time its one parameter)."""
    compiled = statement.compile(dialect=conn.dialect)
    parameters = {**compiled.params, **({"at_": AT} if "at_" in compiled.params else {})}
    row = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", parameters).scalar_one()
    return _nodes((json.loads(row) if isinstance(row, str) else row)[0]["Plan"])


def _scans(nodes: list[dict[str, Any]], table: str) -> set[str]:
    return {n["Node Type"] for n in nodes
            if n.get("Relation Name") == table and n["Node Type"].endswith("Scan")}


def test_marked_entries_are_probed_by_key_not_scanned(
        hb: Hourbridge, loaded: Hourbridge, ingest: Any) -> None:
    ingest([("seed", "E1", "P1", "DEV", "2026-08-10", "2", "seed")])
    with hb.engine.begin() as conn:
        fill_entries(conn, ENTRIES, 200)
    with hb.engine.connect() as conn:
        conn.exec_driver_sql(ledger._CREATE_PG)  # the table as the store creates it
        conn.exec_driver_sql(
            f"INSERT INTO {ledger._MARKED} (entry, invoice) SELECT id, mod(id, 200) "
            f"FROM time_entries ORDER BY id LIMIT {MARKED}")
        conn.exec_driver_sql(f"ANALYZE {ledger._MARKED}")

        update = _plan(conn, ledger._INVOICE_WHOLE_PG)
        sums = _plan(conn, ledger._WHOLE_SUMS_PG)
        print(f"issuing, {MARKED:,} of {ENTRIES:,} entries marked: the update reads "
              f"time_entries by {_scans(update, 'time_entries')}, the sums by "
              f"{_scans(sums, 'time_entries')}", flush=True)
        assert _scans(update, "time_entries") == {"Index Scan"}, update
        assert _scans(sums, "time_entries") == {"Index Scan"}, sums

        # for the record, not asserted: the join it replaced is left to the planner, which
        # here (50,000 entries in shared_buffers) may probe too; at 1M it scanned
        joined = _plan(conn, ledger._INVOICE_WHOLE)
        print(f"the joined update, left to the planner, reads time_entries by "
              f"{_scans(joined, 'time_entries')}", flush=True)
        conn.rollback()
