"""Sync: a pull of N entries from a loopback Harvest imitation (``hourbridge sync``: paged
through ``links.next``, each page kept in the inbox as Harvest's own JSON, ids mapped through
aliases, stored) beside the plain intake of the same rows as a canonical CSV
(``hourbridge ingest``), each into a fresh database with the same small firm.

Ours: wall time and peak RSS of ``hourbridge sync`` (start-up included). Limit: ``hourbridge
ingest`` of the same entries as one canonical CSV. Ratio = sync / ingest: what pulling
(HTTP, JSON pages, alias mapping, one intake per page) costs over taking a file; goal <= 2.
The imitation is ``tests/support/trackers.py`` (imitations live under tests/, never src/).
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet

from ..common import Context, Database, log, now_iso, rate, result, run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from support.firm import small_firm_bundle
from support.trackers import Imitation, aliases, imitate

GOAL = 2.0
SOURCE = "bench-harvest"


def _firm(ctx: Context) -> Path:
    path = ctx.path("sync", "firm.yaml")
    path.write_text(yaml.safe_dump({**small_firm_bundle(), "aliases": aliases(SOURCE)}))
    return path


def _canonical(ctx: Context, imitation: Imitation) -> Path:
    """The imitation's entries as the canonical CSV the plain intake takes."""
    path = ctx.path("sync", f"entries-{len(imitation.entries)}.csv")
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "employee", "project", "task", "date", "minutes", "notes"])
        for e in imitation.entries.values():
            row = imitation.harvest_entry(e)
            w.writerow([e.id, "E1" if row["user"]["id"] == 17 else "E2", "P1", "DEV",
                        row["spent_date"], e.minutes, row["notes"]])
    return path


def _fresh(ctx: Context, kind: str, name: str, firm: Path) -> Database:
    db = Database.fresh(ctx, kind, name)
    run_cli(ctx, db, "db", "upgrade")
    run_cli(ctx, db, "load", firm, "--json")
    return db


def pull(ctx: Context, kind: str) -> dict[str, Any]:
    started, t0 = now_iso(), time.perf_counter()
    entries = ctx.entries
    os.environ.setdefault("HOURBRIDGE_SECRET_KEY", Fernet.generate_key().decode())
    os.environ["HOURBRIDGE_CONNECTION_TOKEN"] = "tok-secret"
    imitation = Imitation("harvest", page_size=2000)
    imitation.seed(entries)
    firm = _firm(ctx)
    csv_path = _canonical(ctx, imitation)
    notes: list[str] = []
    plain_db = _fresh(ctx, kind, "sync_plain", firm)
    sync_db = _fresh(ctx, kind, "sync_pull", firm)
    try:
        log(f"sync on {kind}: plain intake of {entries:,} canonical rows")
        plain = run_cli(ctx, plain_db, "ingest", "--source", SOURCE, csv_path, "--json")
        plain_accepted = plain.json()[0]["accepted"]
        with imitate(imitation) as served:
            run_cli(ctx, sync_db, "connections", "add", SOURCE, "--tracker", "harvest",
                    "--base-url", served.url, "--account-id", "1")
            log(f"sync on {kind}: hourbridge sync from {served.url} ({entries:,} entries)")
            ours = run_cli(ctx, sync_db, "sync", SOURCE, "--json")
        report = ours.json()
    finally:
        if not ctx.keep:
            plain_db.drop()
            sync_db.drop()
    if report["accepted"] != entries or plain_accepted != entries:
        notes.append(f"sync accepted {report['accepted']}, plain intake {plain_accepted}, of "
                     f"{entries}; rejected {report['reasons']}")
    ratio = ours.seconds / plain.seconds
    return result(
        "sync-harvest", kind, entries, started, time.perf_counter() - t0,
        metrics={"sync_seconds": round(ours.seconds, 3),
                 "entries_per_second": rate(report["accepted"], ours.seconds),
                 "peak_rss_mb": ours.max_rss_mb, "pages": report["pages"],
                 "requests": imitation.requests, "accepted": report["accepted"]},
        limit={"method": "hourbridge ingest of the same rows as one canonical CSV",
               "seconds": round(plain.seconds, 3),
               "entries_per_second": rate(plain_accepted, plain.seconds),
               "peak_rss_mb": plain.max_rss_mb},
        ratio=ratio, goal=f"<= {GOAL:g}",
        met=ratio <= GOAL and report["accepted"] == entries, notes=notes,
        ours=f"{ours.seconds:.2f} s, {rate(report['accepted'], ours.seconds):,.0f}/s, "
             f"{ours.max_rss_mb} MB",
        limit_text=f"{plain.seconds:.2f} s, {rate(plain_accepted, plain.seconds):,.0f}/s, "
                   f"{plain.max_rss_mb} MB")


UNITS = (("sync-harvest", pull, f"<= {GOAL:g}"),)
