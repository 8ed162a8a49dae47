"""Memory: peak RSS while ``hourbridge ingest`` takes ``entries.csv``.

A fresh database gets schema and master data; then ``hourbridge ingest`` runs under
``bench/_launch.py`` (a small isolated interpreter, so nothing of this benchmark process's
own memory is inherited), which samples the command's whole process tree from ``/proc``
every 50 ms: Hourbridge validates large files in worker processes beside the writing one.

Reported: ``peak_rss_mb``, the peak of the RSS summed over the tree (the figure the goal is
checked against: at most 300 MB, MB = 10^6 bytes, at 1,000,000 entries); ``peak_pss_mb``, the
same with PSS (pages shared between the processes counted once, split among them: what the
tree really occupies); ``largest_process_rss_mb``, the kernel's exact high-water mark of the
largest single process (``os.wait4``). For scale, the same run measures the floor: a
``hourbridge`` process that only starts, connects and finds the schema current (``db
upgrade`` with nothing to do). Ratio = peak / floor (informative; the goal is on the peak).

On PostgreSQL the server's memory is not counted, only the client's process tree.
"""

from __future__ import annotations

import time
from typing import Any

from ..common import PARTIAL_OK, Context, Database, log, now_iso, prepare, rate, result, run_cli

GOAL_MB = 300.0
SAMPLE_SECONDS = 0.05


def _mb(kib: int) -> float:
    return round(kib * 1024 / 1e6, 1)


def memory(ctx: Context, kind: str) -> dict[str, Any]:
    started = now_iso()
    t_start = time.perf_counter()
    ds = ctx.dataset
    db = Database.fresh(ctx, kind, "memory")
    notes: list[str] = []
    try:
        setup = prepare(ctx, db)
        floor = run_cli(ctx, db, "db", "upgrade", sample=SAMPLE_SECONDS)
        log(f"memory on {kind}: hourbridge ingest {ds.entries_csv.name} "
            f"({ds.entries:,} rows), peak RSS of its process tree")
        run = run_cli(ctx, db, "ingest", "--source", "bench", ds.entries_csv, "--json",
                      exit_ok=PARTIAL_OK,
                      sample=SAMPLE_SECONDS)
        report = run.json()[0]
    finally:
        if not ctx.keep:
            db.drop()
    # a sample can miss a peak shorter than its interval; the kernel's mark never does
    peak = max(_mb(run.tree["tree_peak_rss_kib"]), run.max_rss_mb)
    pss = _mb(run.tree["tree_peak_pss_kib"])
    floor_mb = max(_mb(floor.tree["tree_peak_rss_kib"]), floor.max_rss_mb)
    if report["accepted"] != ds.entries:
        notes.append(f"accepted {report['accepted']} of {ds.entries}: {report['reasons']}")
    if ds.entries < 1_000_000:
        notes.append(f"the goal is for 1,000,000 entries; this run has {ds.entries:,}")
    notes.append(f"RSS summed over the ingest's process tree ({run.tree['tree_max_processes']} "
                 f"process(es) at most), sampled every {SAMPLE_SECONDS * 1000:.0f} ms; "
                 "MB = 10^6 bytes")
    if kind == "postgres":
        notes.append("client processes only: PostgreSQL's own memory is not counted")
    size = ds.entries_csv.stat().st_size
    return result(
        "memory", kind, ds.entries, started, time.perf_counter() - t_start,
        metrics={"peak_rss_mb": peak, "peak_pss_mb": pss,
                 "largest_process_rss_mb": run.max_rss_mb,
                 "processes": run.tree["tree_max_processes"], "samples": run.tree["samples"],
                 "ingest_seconds": round(run.seconds, 3),
                 "entries_per_second": rate(report["accepted"], run.seconds),
                 "accepted": report["accepted"], "file_bytes": size,
                 "file_mb": round(size / 1e6, 1), **setup},
        limit={"method": "peak RSS of a hourbridge process that only starts and connects",
               "floor_rss_mb": floor_mb, "goal_mb": GOAL_MB},
        ratio=peak / floor_mb if floor_mb else None,
        goal=f"<= {GOAL_MB:g} MB", met=peak <= GOAL_MB and report["accepted"] == ds.entries,
        notes=notes, ours=f"{peak:,.0f} MB peak RSS ({pss:,.0f} MB PSS)",
        limit_text=f"floor {floor_mb:,.0f} MB")


UNITS = (("memory", memory, f"<= {GOAL_MB:g} MB"),)
