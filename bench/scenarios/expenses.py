"""Expense intake: ``hourbridge expenses ingest --source bench expenses.csv`` (inbox, parse,
validate, duplicate checks, insert into ``expenses`` with its indexes, commit), against a raw
load of the same rows into the same database.

Limit: right after, in the same database, a plain table with the columns of ``expenses`` and no
index but its key; the file parsed with ``csv``, amounts as ``Decimal``, entity and contract
looked up from the bundle, then ``executemany`` INSERT (SQLite) or ``COPY ... FROM STDIN``
(PostgreSQL). Ratio = ours / limit, goal <= 3, as for time intake. Peak RSS of the command is
recorded: intake streams, so it must not grow with the file.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..common import PARTIAL_OK, Context, Database, log, now_iso, prepare, rate, result, run_cli
from .ingest import GOAL

EXPENSE_COLUMNS = ("source", "external_id", "revision", "inbox_id", "employee", "project",
                   "entity", "contract", "spent_on", "category", "description", "amount",
                   "currency", "billable", "content_key", "approval", "billing", "created_at",
                   "updated_at")
_EXPENSE_DDL = {
    "sqlite": """CREATE TABLE bench_raw_expenses (
        id INTEGER PRIMARY KEY, source VARCHAR(64) NOT NULL, external_id VARCHAR(128) NOT NULL,
        revision INTEGER NOT NULL, inbox_id INTEGER NOT NULL, employee VARCHAR(64) NOT NULL,
        project VARCHAR(64) NOT NULL, entity VARCHAR(64) NOT NULL, contract VARCHAR(64),
        spent_on DATE NOT NULL, category VARCHAR(64) NOT NULL, description TEXT NOT NULL,
        amount VARCHAR(40) NOT NULL, currency VARCHAR(3) NOT NULL, billable BOOLEAN NOT NULL,
        content_key VARCHAR(32) NOT NULL, approval VARCHAR(16) NOT NULL,
        billing VARCHAR(16) NOT NULL, created_at DATETIME NOT NULL,
        updated_at DATETIME NOT NULL)""",
    "postgres": """CREATE TABLE bench_raw_expenses (
        id BIGSERIAL PRIMARY KEY, source VARCHAR(64) NOT NULL, external_id VARCHAR(128) NOT NULL,
        revision INTEGER NOT NULL, inbox_id BIGINT NOT NULL, employee VARCHAR(64) NOT NULL,
        project VARCHAR(64) NOT NULL, entity VARCHAR(64) NOT NULL, contract VARCHAR(64),
        spent_on DATE NOT NULL, category VARCHAR(64) NOT NULL, description TEXT NOT NULL,
        amount NUMERIC(24, 8) NOT NULL, currency VARCHAR(3) NOT NULL,
        billable BOOLEAN NOT NULL, content_key VARCHAR(32) NOT NULL,
        approval VARCHAR(16) NOT NULL, billing VARCHAR(16) NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL)""",
}


def _raw_expenses(path: Path, projects: dict[str, tuple[str, str | None]],
                  sqlite: bool) -> Iterator[tuple[Any, ...]]:
    """The expense file's rows as ``bench_raw_expenses`` tuples: parse and convert only."""
    now: Any = datetime.now(UTC)
    if sqlite:
        now = now.isoformat(sep=" ")
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            entity, contract = projects[r["project"]]
            billable = r["billable"] == "true" and contract is not None
            amount = Decimal(r["amount"])
            yield ("bench", r["external_id"], 1, 0, r["employee"], r["project"], entity,
                   contract, r["date"] if sqlite else date.fromisoformat(r["date"]),
                   r["category"], "", str(amount) if sqlite else amount, r["currency"],
                   billable, "", "submitted", "unbilled" if billable else "non_billable",
                   now, now)


def raw_expense_load(db: Database, path: Path, bundle: dict[str, Any]) -> tuple[float, int]:
    """The limit: seconds to parse the expense file and load its rows into a plain table."""
    projects = {p["code"]: (p["entity"], p["contract"]) for p in bundle["projects"]}
    conn = db.connect()
    try:
        conn.execute(_EXPENSE_DDL[db.kind])
        conn.commit()
        cols = ", ".join(EXPENSE_COLUMNS)
        t0 = time.perf_counter()
        if db.kind == "sqlite":
            marks = ", ".join("?" for _ in EXPENSE_COLUMNS)
            conn.executemany(f"INSERT INTO bench_raw_expenses ({cols}) VALUES ({marks})",
                             _raw_expenses(path, projects, sqlite=True))
        else:
            with conn.cursor() as cur, cur.copy(
                    f"COPY bench_raw_expenses ({cols}) FROM STDIN") as copy:
                for row in _raw_expenses(path, projects, sqlite=False):
                    copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - t0
        count = conn.execute("SELECT count(*) FROM bench_raw_expenses").fetchone()[0]
        return seconds, int(count)
    finally:
        conn.close()


def expenses_result(ctx: Context, kind: str) -> dict[str, Any]:
    """``hourbridge expenses ingest --source bench expenses.csv`` against a raw load of the
    same rows (same database, right after)."""
    started = now_iso()
    t_start = time.perf_counter()
    ds = ctx.dataset
    path = ds.expenses_csv
    expected = int(ds.manifest["expenses"])
    db = Database.fresh(ctx, kind, "ingest_expenses")
    notes: list[str] = []
    try:
        setup = prepare(ctx, db)
        log(f"ingest expenses on {kind}: hourbridge expenses ingest {path.name} "
            f"({expected:,} rows)")
        run = run_cli(ctx, db, "expenses", "ingest", "--source", "bench", path, "--json",
                      exit_ok=PARTIAL_OK)
        report = run.json()[0]
        ours = {"seconds": run.seconds, "rows": report["rows"], "accepted": report["accepted"],
                "rejected": report["rejected"], "reasons": report["reasons"],
                "peak_rss_mb": run.max_rss_mb}
        if ours["rows"] != expected:
            notes.append(f"read {ours['rows']} of {expected} rows")
        if ours["rejected"]:
            notes.append(f"rejected {ours['rejected']} {ours['reasons']} (the generator "
                         "writes only valid rows: a rejection is a finding)")
        limit_seconds, limit_rows = raw_expense_load(db, path, ds.bundle())
        if limit_rows != expected:
            notes.append(f"raw load stored {limit_rows} rows, expected {expected}")
        db_size = db.size_bytes()
    finally:
        if not ctx.keep:
            db.drop()
    ratio = ours["seconds"] / limit_seconds
    ours_rate = rate(ours["accepted"], ours["seconds"])
    limit_rate = rate(limit_rows, limit_seconds)
    method = "executemany INSERT" if kind == "sqlite" else "COPY FROM STDIN"
    notes.append(f"ours includes CLI start-up (~{setup['cli_startup_seconds']} s)")
    return result(
        "ingest-expenses", kind, ds.entries, started, time.perf_counter() - t_start,
        metrics={"file": path.name, "file_bytes": path.stat().st_size,
                 "ingest_seconds": round(ours["seconds"], 3),
                 "expenses_per_second": ours_rate, "rows": ours["rows"],
                 "accepted": ours["accepted"], "rejected": ours["rejected"],
                 "reasons": ours["reasons"], "peak_rss_mb": ours["peak_rss_mb"],
                 "database_bytes_after": db_size,
                 "ratio_without_startup": round(
                     (ours["seconds"] - setup["cli_startup_seconds"]) / limit_seconds, 3),
                 **setup},
        limit={"method": f"csv parsed with the standard library + {method} into a plain "
                         "table with the expenses columns",
               "seconds": round(limit_seconds, 3), "entries_per_second": limit_rate,
               "rows": limit_rows},
        ratio=ratio, goal=f"<= {GOAL:g}",
        met=ratio <= GOAL and ours["accepted"] == expected, notes=notes,
        ours=f"{ours['seconds']:.2f} s, {ours_rate:,.0f}/s",
        limit_text=f"{limit_seconds:.2f} s, {limit_rate:,.0f}/s")


# (result name, function, goal): each writes bench/results/<name>-<db>.json
UNITS = (("ingest-expenses", expenses_result, f"<= {GOAL:g}"),)
