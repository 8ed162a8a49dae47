"""Ingest: canonical CSV and JSON through ``hourbridge ingest`` (inbox, validated, stored),
against a raw load of the same rows into the same database.

Ours: wall time of ``hourbridge ingest --source bench FILE`` (a child process: start-up,
reading the file, keeping it in the inbox, parsing, validating against master data, rating,
rounding, duplicate checks, inserting into ``time_entries`` with its indexes, commit).

Limit: in the same database, right after, a plain table with the columns of ``time_entries``
and no index but its key; the same file parsed with the standard library (``csv`` / ``json``),
hours converted to whole seconds the same way (Decimal, half up), entity and contract looked up
from the bundle, then ``executemany`` INSERT in one transaction (SQLite) or ``COPY ... FROM
STDIN`` (PostgreSQL, psycopg 3). Ratio = ours / limit, goal <= 3.

Each format gets its own fresh database. Expenses are measured by ``scenarios.expenses``.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from ..common import PARTIAL_OK, Context, Database, log, now_iso, prepare, rate, result, run_cli

GOAL = 3.0
COLUMNS = ("source", "external_id", "revision", "inbox_id", "employee", "project", "task",
           "entity", "contract", "work_date", "worked_seconds", "billable_seconds", "billable",
           "notes", "content_key", "approval", "billing", "locked", "created_at", "updated_at")

_DDL = {
    "sqlite": """CREATE TABLE bench_raw_entries (
        id INTEGER PRIMARY KEY, source VARCHAR(64) NOT NULL, external_id VARCHAR(128) NOT NULL,
        revision INTEGER NOT NULL, inbox_id INTEGER NOT NULL, employee VARCHAR(64) NOT NULL,
        project VARCHAR(64) NOT NULL, task VARCHAR(64) NOT NULL, entity VARCHAR(64) NOT NULL,
        contract VARCHAR(64), work_date DATE NOT NULL, worked_seconds INTEGER NOT NULL,
        billable_seconds INTEGER NOT NULL, billable BOOLEAN NOT NULL, notes TEXT NOT NULL,
        content_key VARCHAR(32) NOT NULL, approval VARCHAR(16) NOT NULL,
        billing VARCHAR(16) NOT NULL, locked BOOLEAN NOT NULL, created_at DATETIME NOT NULL,
        updated_at DATETIME NOT NULL)""",
    "postgres": """CREATE TABLE bench_raw_entries (
        id BIGSERIAL PRIMARY KEY, source VARCHAR(64) NOT NULL, external_id VARCHAR(128) NOT NULL,
        revision INTEGER NOT NULL, inbox_id BIGINT NOT NULL, employee VARCHAR(64) NOT NULL,
        project VARCHAR(64) NOT NULL, task VARCHAR(64) NOT NULL, entity VARCHAR(64) NOT NULL,
        contract VARCHAR(64), work_date DATE NOT NULL, worked_seconds INTEGER NOT NULL,
        billable_seconds INTEGER NOT NULL, billable BOOLEAN NOT NULL, notes TEXT NOT NULL,
        content_key VARCHAR(32) NOT NULL, approval VARCHAR(16) NOT NULL,
        billing VARCHAR(16) NOT NULL, locked BOOLEAN NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL)""",
}


def _seconds(hours: str) -> int:
    return int((Decimal(hours) * 3600).to_integral_value(rounding=ROUND_HALF_UP))


def _raw_rows(path: Path, fmt: str, projects: dict[str, tuple[str, str | None]],
              sqlite: bool) -> Iterator[tuple[Any, ...]]:
    """The file's rows as ``bench_raw_entries`` tuples: parse and convert, nothing else."""
    now: Any = datetime.now(UTC)
    if sqlite:
        now = now.isoformat(sep=" ")

    def convert(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        for r in rows:
            entity, contract = projects[r["project"]]
            seconds = _seconds(str(r["hours"]))
            day = r["date"] if sqlite else date.fromisoformat(r["date"])
            yield ("bench", r["external_id"], 1, 0, r["employee"], r["project"],
                   r["task"] or "", entity, contract, day, seconds, seconds,
                   contract is not None, r["notes"] or "", "", "submitted", "unbilled", False,
                   now, now)

    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as f:
            yield from convert(csv.DictReader(f))
    else:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
        yield from convert(data)


def raw_load(db: Database, path: Path, fmt: str, bundle: dict[str, Any]) -> tuple[float, int]:
    """The limit: seconds to parse ``path`` and load its rows raw; and the rows counted after."""
    projects = {p["code"]: (p["entity"], p["contract"]) for p in bundle["projects"]}
    conn = db.connect()
    try:
        conn.execute(_DDL[db.kind])
        conn.commit()
        cols = ", ".join(COLUMNS)
        t0 = time.perf_counter()
        if db.kind == "sqlite":
            marks = ", ".join("?" for _ in COLUMNS)
            conn.executemany(f"INSERT INTO bench_raw_entries ({cols}) VALUES ({marks})",
                             _raw_rows(path, fmt, projects, sqlite=True))
        else:
            with conn.cursor() as cur, cur.copy(
                    f"COPY bench_raw_entries ({cols}) FROM STDIN") as copy:
                for row in _raw_rows(path, fmt, projects, sqlite=False):
                    copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - t0
        count = conn.execute("SELECT count(*) FROM bench_raw_entries").fetchone()[0]
        return seconds, int(count)
    finally:
        conn.close()


def measure_cli_ingest(ctx: Context, db: Database, path: Path,
                       source: str = "bench") -> dict[str, Any]:
    """Time ``hourbridge ingest`` of ``path`` into a prepared database; check what it took."""
    run = run_cli(ctx, db, "ingest", "--source", source, path, "--json", exit_ok=PARTIAL_OK)
    reports = run.json()
    report = reports[0]
    return {"seconds": run.seconds, "rows": report["rows"], "accepted": report["accepted"],
            "rejected": report["rejected"], "reasons": report["reasons"],
            "peak_rss_mb": run.max_rss_mb}


def run_format(ctx: Context, kind: str, fmt: str) -> dict[str, Any]:
    started = now_iso()
    t_start = time.perf_counter()
    ds = ctx.dataset
    path = ds.entries_csv if fmt == "csv" else ds.entries_json
    db = Database.fresh(ctx, kind, f"ingest_{fmt}")
    notes: list[str] = []
    try:
        setup = prepare(ctx, db)
        log(f"ingest {fmt} on {kind}: hourbridge ingest {path.name} ({ds.entries:,} rows)")
        ours = measure_cli_ingest(ctx, db, path)
        if ours["accepted"] != ds.entries:
            notes.append(f"accepted {ours['accepted']} of {ds.entries} rows; rejected "
                         f"{ours['rejected']} {ours['reasons']}")
        log(f"ingest {fmt} on {kind}: ours {ours['seconds']:.2f} s; raw "
            f"{'executemany' if kind == 'sqlite' else 'COPY'} of the same rows")
        limit_seconds, limit_rows = raw_load(db, path, fmt, ds.bundle())
        if limit_rows != ds.entries:
            notes.append(f"raw load stored {limit_rows} rows, expected {ds.entries}")
        db_size = db.size_bytes()
    finally:
        if not ctx.keep:
            db.drop()
    ratio = ours["seconds"] / limit_seconds
    ours_rate = rate(ours["accepted"], ours["seconds"])
    limit_rate = rate(limit_rows, limit_seconds)
    method = "executemany INSERT" if kind == "sqlite" else "COPY FROM STDIN"
    notes.append(f"ours includes CLI start-up (~{setup['cli_startup_seconds']} s, measured "
                 "with a no-op `db upgrade`)")
    return result(
        f"ingest-{fmt}", kind, ds.entries, started, time.perf_counter() - t_start,
        metrics={"file": path.name, "file_bytes": path.stat().st_size,
                 "ingest_seconds": round(ours["seconds"], 3), "entries_per_second": ours_rate,
                 "rows": ours["rows"], "accepted": ours["accepted"],
                 "rejected": ours["rejected"], "reasons": ours["reasons"],
                 "peak_rss_mb": ours["peak_rss_mb"], "database_bytes_after": db_size,
                 "ratio_without_startup": round(
                     (ours["seconds"] - setup["cli_startup_seconds"]) / limit_seconds, 3),
                 **setup},
        limit={"method": f"{fmt} parsed with the standard library + {method} into a plain "
                         "table with the time_entries columns",
               "seconds": round(limit_seconds, 3), "entries_per_second": limit_rate,
               "rows": limit_rows},
        ratio=ratio, goal=f"<= {GOAL:g}", met=ratio <= GOAL and ours["accepted"] == ds.entries,
        notes=notes, ours=f"{ours['seconds']:.2f} s, {ours_rate:,.0f}/s",
        limit_text=f"{limit_seconds:.2f} s, {limit_rate:,.0f}/s")


def ingest_csv(ctx: Context, kind: str) -> dict[str, Any]:
    return run_format(ctx, kind, "csv")


def ingest_json(ctx: Context, kind: str) -> dict[str, Any]:
    return run_format(ctx, kind, "json")


# (result name, function, goal): each writes bench/results/<name>-<db>.json
UNITS = (("ingest-csv", ingest_csv, f"<= {GOAL:g}"), ("ingest-json", ingest_json, f"<= {GOAL:g}"))
