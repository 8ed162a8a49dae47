"""Memory: peak RSS of the ``hourbridge ingest`` process taking ``entries.csv``.

A fresh database gets schema and master data; then ``hourbridge ingest`` runs as a child that
is reaped with ``os.wait4``, whose resource usage is that one process's own (``ru_maxrss``,
the high-water mark of its resident set). Goal: at most 300 MB (10^6 bytes) at 1,000,000
entries. For scale, the same run measures the floor: the peak RSS of a ``hourbridge`` process
that only starts, connects and finds the schema current (``db upgrade`` with nothing to do).
Ratio = peak / floor (informative; the goal is on the peak).

On PostgreSQL the server's memory is not counted, only the client process.
"""

from __future__ import annotations

import time
from typing import Any

from ..common import Context, Database, log, now_iso, prepare, rate, result, run_cli

GOAL_MB = 300.0


def memory(ctx: Context, kind: str) -> dict[str, Any]:
    started = now_iso()
    t_start = time.perf_counter()
    ds = ctx.dataset
    db = Database.fresh(ctx, kind, "memory")
    notes: list[str] = []
    try:
        setup = prepare(ctx, db)
        floor = run_cli(ctx, db, "db", "upgrade")
        log(f"memory on {kind}: hourbridge ingest {ds.entries_csv.name} "
            f"({ds.entries:,} rows), peak RSS")
        run = run_cli(ctx, db, "ingest", "--source", "bench", ds.entries_csv, "--json")
        report = run.json()[0]
    finally:
        if not ctx.keep:
            db.drop()
    peak = run.max_rss_mb
    if report["accepted"] != ds.entries:
        notes.append(f"accepted {report['accepted']} of {ds.entries}: {report['reasons']}")
    if ds.entries < 1_000_000:
        notes.append(f"the goal is for 1,000,000 entries; this run has {ds.entries:,}")
    notes.append("peak RSS of the ingest process (os.wait4 ru_maxrss); MB = 10^6 bytes")
    if kind == "postgres":
        notes.append("client process only: PostgreSQL's own memory is not counted")
    size = ds.entries_csv.stat().st_size
    return result(
        "memory", kind, ds.entries, started, time.perf_counter() - t_start,
        metrics={"peak_rss_mb": peak, "peak_rss_mib": round(run.max_rss_kib / 1024, 1),
                 "ingest_seconds": round(run.seconds, 3),
                 "entries_per_second": rate(report["accepted"], run.seconds),
                 "accepted": report["accepted"], "file_bytes": size,
                 "file_mb": round(size / 1e6, 1), **setup},
        limit={"method": "peak RSS of a hourbridge process that only starts and connects",
               "floor_rss_mb": floor.max_rss_mb, "goal_mb": GOAL_MB},
        ratio=peak / floor.max_rss_mb if floor.max_rss_mb else None,
        goal=f"<= {GOAL_MB:g} MB", met=peak <= GOAL_MB and report["accepted"] == ds.entries,
        notes=notes, ours=f"{peak:,.0f} MB peak",
        limit_text=f"floor {floor.max_rss_mb:,.0f} MB")


UNITS = (("memory", memory, f"<= {GOAL_MB:g} MB"),)
