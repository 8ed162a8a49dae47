"""Billing a few new entries costs what they cost, however much is invoiced already (issue
16, item 4): with over ten times the invoiced history (entries and invoices), an incremental run
sends the same statements and, on SQLite, executes about the same number of virtual-machine
instructions (it reads no more rows), and on PostgreSQL plans every look-up of its
contract-months' kept standing and invoices by their indexes, key by key. Before the standing
was kept as rows, each run summed every live invoice of its scope; before the look-ups put the
keys first, both engines read every row of the scope for several keys (SQLite: every invoice).
The master data stays the same size throughout: only the history grows."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event, update

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.store import tables as t
from support.firm import small_firm_bundle

CONTRACTS = 30
STEP = 100  # SQLite VM instructions per progress-handler call


def _firm() -> dict[str, Any]:
    """The small firm with contracts K2..K30 of ACME beside K1, a project each."""
    bundle = small_firm_bundle()
    k1, p1 = bundle["contracts"][0], bundle["projects"][0]
    for n in range(2, CONTRACTS + 1):
        bundle["contracts"].append({**copy.deepcopy(k1), "id": f"K{n}"})
        bundle["projects"].append({**copy.deepcopy(p1), "code": f"P{n}", "contract": f"K{n}",
                                   "name": f"Project {n}"})
    return bundle


def _rows(tag: str, projects: range, month: int, per_project: int) -> list[tuple[Any, ...]]:
    return [(f"{tag}-{p}-{i}", "E1" if i % 2 else "E2", f"P{p}", "DEV",
             f"2026-{month:02d}-{1 + i % 27:02d}", f"{1 + i % 4}.25", f"work {tag} {i}")
            for p in projects for i in range(per_project)]


@contextmanager
def _counting(hb: Hourbridge) -> Iterator[dict[str, int]]:
    """Statements sent, and SQLite VM instructions executed (in steps of ``STEP``)."""
    seen = {"statements": 0, "steps": 0}

    def step() -> int:
        seen["steps"] += 1
        return 0

    def sent(conn: Any, *_: Any) -> None:
        seen["statements"] += 1
        raw = conn.connection.driver_connection
        if hb.engine.dialect.name == "sqlite":
            raw.set_progress_handler(step, STEP)

    event.listen(hb.engine, "before_cursor_execute", sent)
    try:
        yield seen
    finally:
        event.remove(hb.engine, "before_cursor_execute", sent)
        if hb.engine.dialect.name == "sqlite":
            with hb.engine.connect() as conn:  # the pool's connection: handler off
                conn.connection.driver_connection.set_progress_handler(None, 0)


def _bill_and_issue(hb: Hourbridge, ingest: Callable[..., Any], rows: list[tuple[Any, ...]],
                    name: str) -> None:
    ingest(rows, name=name)
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    assert hb.handle(c.RunBilling(date(2026, 12, 31))).entries_billed == len(rows)
    hb.handle(c.IssueInvoices(all_drafts=True))


def _incremental(hb: Hourbridge, ingest: Callable[..., Any], month: int) -> dict[str, int]:
    """Bill 6 new entries of each of K1..K3 in ``month``: what the run sent and executed."""
    rows = _rows(f"new{month}", range(1, 4), month, 6)
    ingest(rows, name=f"new{month}.csv")
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    with _counting(hb) as seen:
        report = hb.handle(c.RunBilling(date(2026, 12, 31)))
    assert report.entries_billed == 18
    assert sorted((d["contract"], d["period"]) for d in report.invoices) == [
        (f"K{n}", f"2026-{month:02d}") for n in (1, 2, 3)]
    # what the run added, and nothing else, moved since the last one
    assert sorted((ch["contract"], ch["period"], ch["change"]) for ch in report.changes) == [
        (f"K{n}", f"2026-{month:02d}", "added") for n in (1, 2, 3)]
    hb.handle(c.IssueInvoices(all_drafts=True))
    return seen


@contextmanager
def _keyed_statements(hb: Hourbridge) -> Iterator[list[tuple[str, Any]]]:
    """The single statements a run sends to read or delete the kept standing or the invoices
    of its contract-months, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        if not executemany and "(contract, period)" in statement \
                and ("billing_standing " in statement or "FROM invoices" in statement):
            seen.append((statement, parameters))

    event.listen(hb.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(hb.engine, "before_cursor_execute", capture)


def _scans(hb: Hourbridge, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Every plan node that reads ``billing_standing`` or ``invoices`` in PostgreSQL's plans
    of ``statements`` (planned, not run)."""
    def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", []):
            yield from walk(child)

    raw = hb.engine.raw_connection()
    try:
        cursor = raw.cursor()
        scans: list[dict[str, Any]] = []
        for statement, parameters in statements:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0][0]["Plan"]
            scans += [n for n in walk(plan) if n["Node Type"].endswith("Scan")
                      and n.get("Relation Name") in ("billing_standing", "invoices")]
        return scans
    finally:
        raw.rollback()
        raw.close()


def test_incremental_billing_is_flat_in_history(
        hb: Hourbridge, load_bundle: Callable[[dict[str, Any]], Any],
        ingest: Callable[..., Any]) -> None:
    load_bundle(_firm())
    # history: 3 contracts x 2 months, 10 entries each (60 entries, 6 invoices)
    _bill_and_issue(hb, ingest, _rows("h1", range(1, 4), 7, 10)
                    + _rows("h1b", range(1, 4), 8, 10), "h1.csv")
    small = _incremental(hb, ingest, 9)
    # over ten times that: 27 more contracts x 4 months, 10 entries each (1,080 entries,
    # 108 invoices more)
    _bill_and_issue(hb, ingest, [r for m in (7, 8, 11, 12)
                                 for r in _rows(f"h2-{m}", range(4, CONTRACTS + 1), m, 10)],
                    "h2.csv")
    with _keyed_statements(hb) as keyed:
        large = _incremental(hb, ingest, 10)
    print(f"incremental run after 1x / 10x history: {small['statements']} / "
          f"{large['statements']} statements, {small['steps'] * STEP} / "
          f"{large['steps'] * STEP} SQLite VM instructions")
    assert large["statements"] == small["statements"]
    if hb.engine.dialect.name == "sqlite":
        # summing every live invoice (as runs did) reads about 12 instructions' worth per
        # invoice: 60% more here; flat allows index depth and rounding only
        assert large["steps"] <= small["steps"] * 1.1
    else:
        # PostgreSQL: the kept standing and the invoices of the run's contract-months are
        # found key by key by their indexes, not by reading every row of the scope and
        # comparing it with each key (what ``(contract, period) IN (VALUES ...)`` was planned
        # as while the table had no statistics: a cost growing with the months ever billed)
        scans = _scans(hb, keyed)
        assert {s["Relation Name"] for s in scans} == {"billing_standing", "invoices"}
        for scan in scans:
            assert scan["Node Type"] == "Tid Scan" or (
                scan["Node Type"] == "Index Scan" and "(contract)" in scan["Index Cond"]
                and "(period)" in scan["Index Cond"]), scan


def test_upgrade_keeps_the_last_runs_standing_as_baseline(
        hb: Hourbridge, load_bundle: Callable[[dict[str, Any]], Any],
        ingest: Callable[..., Any]) -> None:
    """A database billed before standings were kept as rows (the last run's standing stored as
    JSON) upgrades to a baseline of rows: the next run reports what moved since that run, a
    void made before the upgrade included."""
    from alembic import command

    from hourbridge.store import migrate

    load_bundle(_firm())
    ingest(_rows("h", range(1, 4), 7, 4), name="h.csv")
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    first = hb.handle(c.RunBilling(date(2026, 12, 31)))
    with hb.uow() as uow:
        standing = uow.invoices.standing(None)
    command.downgrade(migrate.alembic_config(hb.engine), "0024_kpi_rollups")
    with hb.engine.begin() as conn:
        # as the old code left it: the standing on the run; then a void, before the upgrade
        conn.execute(update(t.billing_runs).values(proposals=standing))
        conn.execute(update(t.invoices).where(t.invoices.c.contract == "K2")
                     .values(status="void"))
    migrate.upgrade(hb.engine)
    ingest(_rows("n", range(3, 4), 9, 2), name="n.csv")
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    report = hb.handle(c.RunBilling(date(2026, 12, 31)))
    assert [(d["contract"], d["period"]) for d in first.invoices] == [
        ("K1", "2026-07"), ("K2", "2026-07"), ("K3", "2026-07")]
    assert [(ch["contract"], ch["period"], ch["change"]) for ch in report.changes] == [
        ("K2", "2026-07", "removed"), ("K3", "2026-09", "added")]
    # and the run after that compares with this one
    ingest(_rows("m", range(1, 2), 10, 2), name="m.csv")
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    report = hb.handle(c.RunBilling(date(2026, 12, 31)))
    assert [(ch["contract"], ch["period"], ch["change"]) for ch in report.changes] == [
        ("K1", "2026-10", "added")]
