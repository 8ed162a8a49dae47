"""Issuing reads the entries it relieves whole by primary key on PostgreSQL, however many
(issue 16).

A batch of 200 invoices relieves about 25,000 entries whole (``issuing_ledger``). Joined to
the entries, the planner hashed them and read the whole entry table for each batch: at
1,000,000 entries 39 sequential scans of about 800 MB in one issue, most of its growth with
history. The store's one statement (decide, update, sum) names the entries as one array,
which PostgreSQL can only run as index probes. This test links 40 % of 50,000 entries to one
draft, a share at which a planner free to choose may well scan, and asks PostgreSQL for the
plan of the statement the store really sends: index probes, never a scan. (At this size the
planner still probes for a plain join too; the scans showed at 1M, where the table outgrows
shared_buffers. The bench measures that.)
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.store import issuing_ledger as ledger
from integration.test_pg_plans import _nodes, fill_entries

pytestmark = pytest.mark.postgres
ENTRIES, MARKED = 50_000, 20_000
AT = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.fixture
def database_url(postgres_url: str) -> str:  # PostgreSQL only: SQLite has no hash joins
    return postgres_url


def _plan(conn: Any, draft: int) -> list[dict[str, Any]]:
    """The plan of ``relieve_whole``'s statement as the store sends it, for ``draft``."""
    compiled = ledger._RELIEVE_WHOLE_PG.bindparams(invoices=[draft], batch=[draft], at=AT) \
        .compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    row = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}",
                               compiled.params).scalar_one()
    return _nodes((json.loads(row) if isinstance(row, str) else row)[0]["Plan"])


def _scans(nodes: list[dict[str, Any]], table: str) -> set[str]:
    return {n["Node Type"] for n in nodes
            if n.get("Relation Name") == table and n["Node Type"].endswith("Scan")}


def test_relieved_entries_are_probed_by_key_not_scanned(
        hb: Hourbridge, loaded: Hourbridge, ingest: Any) -> None:
    ingest([("seed", "E1", "P1", "DEV", "2026-08-10", "2", "seed")])
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 8, 1)))
    draft = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices[0]["id"]
    with hb.engine.begin() as conn:
        fill_entries(conn, ENTRIES, 200)
        # 40 % of them on the draft's line, as a billing run of them would link them
        conn.exec_driver_sql(
            "INSERT INTO invoice_line_entries (line, entry, seconds) "
            "SELECT l.id, e.id, e.billable_seconds FROM invoice_lines l, "
            "(SELECT id, billable_seconds FROM time_entries WHERE external_id <> 'seed' "
            f"ORDER BY id LIMIT {MARKED}) e WHERE l.invoice = %(draft)s", {"draft": draft})
        conn.exec_driver_sql("ANALYZE")
    with hb.engine.connect() as conn:
        conn.exec_driver_sql(ledger._CREATE_PG)  # the table as the store creates it
        plan = _plan(conn, draft)
        print(f"issuing, {MARKED:,} of {ENTRIES:,} entries on the batch's draft: the one "
              f"statement reads time_entries by {_scans(plan, 'time_entries')}", flush=True)
        assert _scans(plan, "time_entries") == {"Index Scan"}, plan
        conn.rollback()
