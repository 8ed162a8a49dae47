"""Issuing every draft of a billing run (issue 16, item 3): milliseconds per issued invoice.

Not timed: fresh database, master data, ``hourbridge ingest`` of ``entries.csv``,
``hourbridge approve --from 1900-01-01``, ``hourbridge bill --through END`` (at 100,000 entries
about 7,700 drafts).

Limit (timed, before ours, rolled back): the least issuing has to write, as plain SQL over the
same drafts: one executemany UPDATE of the invoice headers setting status, number and issue
date by primary key.

Ours (timed): ``hourbridge invoices issue --all --json`` (gapless numbers per entity, headers
and frozen party snapshots, WIP relief, entries moved to invoiced, journal postings to the
outbox, audit row), CLI start-up included; ``ms_per_invoice_without_startup`` takes it out,
``cpu_ms_per_invoice`` is the command's own CPU (the figure to compare on a shared machine).
Goal: <= 1 ms per invoice (the issue's goal), ratio = ours / limit reported beside it.

Checks: every draft issued; numbers 1..n per entity with no gap or duplicate; every billed
entry moved to invoiced; one journal posting per invoice in the outbox.
"""

from __future__ import annotations

import time
from typing import Any

from ..common import Context, Database, log, now_iso, result, run_cli
from ..stages import stages_of

GOAL_MS = 1.0


def _limit(db: Database) -> tuple[float, int]:
    conn = db.connect()
    p = "?" if db.kind == "sqlite" else "%s"
    try:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM invoices WHERE status = 'draft' ORDER BY id").fetchall()]
        conn.commit()
        rows = [(f"BENCH-{n:08d}", "2025-07-01", i) for n, i in enumerate(ids, 1)]
        t0 = time.perf_counter()
        cur = conn.cursor()
        cur.executemany(f"UPDATE invoices SET status = 'issued', number = {p}, "
                        f"issue_date = {p} WHERE id = {p}", rows)
        seconds = time.perf_counter() - t0
        conn.rollback()
        return seconds, len(ids)
    finally:
        conn.close()


def _checks(db: Database) -> dict[str, Any]:
    conn = db.connect()
    try:
        def one(sql: str) -> Any:
            return conn.execute(sql).fetchone()[0]

        per_entity = conn.execute(
            "SELECT entity, count(*), count(DISTINCT sequence), min(sequence), max(sequence) "
            "FROM invoices WHERE status = 'issued' GROUP BY entity").fetchall()
        return {
            "drafts_left": one("SELECT count(*) FROM invoices WHERE status = 'draft'"),
            "gapless_per_entity": all(n == d == hi and lo == 1
                                      for _e, n, d, lo, hi in per_entity),
            "entries_on_draft_left": one(
                "SELECT count(*) FROM time_entries WHERE billing = 'on_draft'"),
            "journal_postings": one(
                "SELECT count(*) FROM outbox WHERE key LIKE 'invoice-issued:%'"),
        }
    finally:
        conn.close()


def issuing(ctx: Context, kind: str) -> dict[str, Any]:
    started, t_start = now_iso(), time.perf_counter()
    ds = ctx.dataset
    notes: list[str] = []
    log(f"issuing on {kind}: ingest + approve + bill {ds.entries:,} entries (not timed)")
    db, setup, outputs = stages_of(ctx).fresh(kind, "issuing", "billed")
    try:
        bill = outputs["billed"]
        limit_seconds, drafts = _limit(db)
        log(f"issuing on {kind}: hourbridge invoices issue --all ({drafts:,} drafts)")
        issue = run_cli(ctx, db, "invoices", "issue", "--all", "--json")
        issued = len(issue.json().get("issued", []))
        checks = _checks(db)
    finally:
        if not ctx.keep:
            db.drop()
    n = max(issued, 1)
    ms = 1000 * issue.seconds / n
    ms_bare = 1000 * max(issue.seconds - setup["cli_startup_seconds"], 0.0) / n
    correct = (issued == drafts == bill["invoices_created"] and checks["drafts_left"] == 0
               and checks["gapless_per_entity"] and checks["entries_on_draft_left"] == 0
               and checks["journal_postings"] == issued)
    if not correct:
        notes.append(f"issued {issued} of {drafts} drafts; checks {checks}")
    notes.append(f"ours includes CLI start-up (~{setup['cli_startup_seconds']} s)")
    log(f"issuing on {kind}: {issue.seconds:.2f} s for {issued:,} invoices = {ms:.3f} ms each "
        f"({ms_bare:.3f} without start-up); limit {limit_seconds:.3f} s")
    return result(
        "issuing", kind, ds.entries, started, time.perf_counter() - t_start,
        metrics={"issue_seconds": round(issue.seconds, 3), "invoices_issued": issued,
                 "ms_per_invoice": round(ms, 4),
                 "ms_per_invoice_without_startup": round(ms_bare, 4),
                 "issue_cpu_seconds": round(issue.cpu_seconds, 3),
                 # the client's CPU per invoice: steady on a busy machine (on SQLite all the
                 # work; on PostgreSQL the server's share is not in it)
                 "cpu_ms_per_invoice": round(1000 * issue.cpu_seconds / n, 4),
                 "issue_peak_rss_mb": issue.max_rss_mb,
                 "limit_ms_per_invoice": round(1000 * limit_seconds / n, 5),
                 "checks": checks, **setup},
        limit={"method": "executemany UPDATE of the draft headers (status, number, issue "
                         "date) by primary key, rolled back",
               "seconds": round(limit_seconds, 4), "drafts": drafts},
        ratio=issue.seconds / limit_seconds if limit_seconds > 0 else None,
        goal=f"<= {GOAL_MS:g} ms per invoice", met=ms <= GOAL_MS and correct, notes=notes,
        ours=f"{ms:.3f} ms per invoice ({issued:,} in {issue.seconds:.2f} s)",
        limit_text=f"{1000 * limit_seconds / n:.4f} ms per invoice")


UNITS = (("issuing", issuing, f"<= {GOAL_MS:g} ms per invoice"),)
