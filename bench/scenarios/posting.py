"""Posting: journal entries delivered to a loopback Odoo imitation that answers every request
after 20 ms, by 1, 2 and 4 ``hourbridge worker`` processes (``--concurrency C`` threads each,
the ERP profile allowing C documents in flight per process).

Ours: documents posted per second, from the first request to the ERP to the last. On
PostgreSQL the documents become due only once every worker polls, so the workers' start-up
(about 2 s of CPU each) is left out; their CPU per document while posting is reported too.
Limit: the latency-bound rate ``workers x concurrency / 0.02 s`` (every thread always waiting on one
20 ms answer). Ratio = ours / limit; goal >= 0.8. Alone, a document is two requests by
Odoo's protocol (create, then action_post: a move cannot be created posted), so the workers
send chunks of documents per request (the profile's ``documents_per_request``); the
request-bound limit (the same, divided by the requests per document measured) is reported
beside it: what the requests made allow at best.
The imitation is ``tests/support/odoo.py`` (imitations live under tests/, never src/).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ..common import Context, Database, hb_env, hourbridge_bin, log, now_iso, result

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from support.firm import small_firm_bundle
from support.odoo import Odoo
from support.odoo_server import imitate_odoo

GOAL = 0.8
LATENCY = 0.02
CONCURRENCY = 4
WORKERS = (1, 2, 4)


class TimedOdoo(Odoo):
    """The imitation, noting when each request was served."""

    first: float | None = None
    last: float = 0.0
    requests: int = 0

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        now = time.perf_counter()
        self.first = now if self.first is None else self.first
        self.last, self.requests = now, self.requests + 1
        return super().execute(model, method, args, kwargs)


def _documents(ctx: Context, db: Database, n: int, odoo_url: str) -> None:
    """``n`` journal entries, booked in the ledger, then queued for Odoo (only ERP documents
    are left pending: the measurement is of posting)."""
    from hourbridge.bootstrap import bootstrap
    from hourbridge.config import Settings
    from hourbridge.domain import commands as c
    from hourbridge.domain.ledger import JournalEntry, Posting
    from hourbridge.formats import BundleDocument, to_domain
    from hourbridge.formats.erp_profiles import parse_erp_profiles
    from hourbridge.services.journal import publish_journals

    hb = bootstrap(Settings(database_url=db.url), relays=[])
    try:
        hb.handle(c.LoadMasterData(to_domain([("bench", BundleDocument.model_validate(
            small_firm_bundle()))])))
        now = datetime.now(UTC)
        with hb.uow() as uow:
            journals = []
            for i in range(n):
                a = Decimal(100 + i % 97)
                journals.append((f"bench-{i}", f"journal/bench-{i}", JournalEntry(
                    f"bench-{i}", "DE", date(2026, 11, 2), "bench", "bench", f"bench-{i}",
                    (Posting("1200", a, Decimal(0), "EUR", a),
                     Posting("4000", Decimal(0), a, "EUR", -a)))))
            publish_journals(uow, journals, now)
            uow.commit()
        hb.worker.drain()  # the ledger's own jobs, before any ERP profile exists
        path = ctx.path("posting", "erp.yaml")
        path.write_text(yaml.safe_dump({"erp_profiles": [{
            "destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
            "journal": "INV", "entries_journal": "MISC", "currency": "EUR",
            "receivable_account": "121000", "revenue_accounts": {"default": "400000"},
            "accounts": {"1200": "1200", "4000": "4000"}, "concurrency": CONCURRENCY,
            "connection": {"url": odoo_url, "database": "acme", "login": "api@acme.example"},
        }]}))
        profiles, origins, problems = parse_erp_profiles(path)
        assert not problems, problems
        hb.handle(c.LoadErpProfiles(tuple(profiles), tuple(origins)))
        queued = hb.handle(c.QueueErpPush())
        assert queued["queued"] == n, queued
    finally:
        hb.close()


APP = "hb-bench-worker"  # each worker's PostgreSQL application_name: APP-<n>


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a live process so far (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _backends(conn: Any) -> list[int]:
    """The workers' PostgreSQL server processes (their CPU is read only when the server
    runs on this host: another host's pids are not ours to read)."""
    from sqlalchemy import text

    return list(conn.execute(text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name LIKE :app"), {"app": f"{APP}-%"}).scalars())


def _cpu(pids: list[int]) -> dict[int, float]:
    return {p: c for p in pids if (c := _cpu_seconds(p)) is not None}


def _ready(engine: Any, workers: int, deadline: float) -> bool:
    """Wait until every worker has polled the outbox once (seen as its server process's
    last statement): each is then past its start-up."""
    from sqlalchemy import text

    seen: set[str] = set()
    while time.perf_counter() < deadline:
        with engine.connect() as conn:
            seen.update(conn.execute(text(
                "SELECT application_name FROM pg_stat_activity WHERE datname = "
                "current_database() AND application_name LIKE :app AND query LIKE "
                "'%outbox%'"), {"app": f"{APP}-%"}).scalars())
        if len(seen) >= workers:
            return True
        time.sleep(0.05)
    return False


def _hold(engine: Any, until: datetime) -> None:
    """Make every pending document due at ``until``."""
    from sqlalchemy import update

    from hourbridge.store.tables import outbox

    with engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.status == "pending")
                     .values(available_at=until))


def _post(ctx: Context, db: Database, workers: int, odoo: TimedOdoo
          ) -> tuple[float, dict[str, float], list[str]]:
    """Start ``workers`` processes; wall seconds until every document is done, and the CPU
    seconds the workers (and, on a local server, their PostgreSQL processes) spent posting.

    On PostgreSQL the documents are held back until every worker polls: what is measured
    is running workers posting. A worker's start-up (imports, connecting: about 2 s of CPU
    each) otherwise overlaps the first workers' posting on a small machine, so 4 workers
    measured partly their own start-up."""
    from sqlalchemy import create_engine, text

    env = {**hb_env(db), "HOURBRIDGE_ERP_ODOO_DE_KEY": odoo.key}
    logf = ctx.path("posting", f"workers-{workers}.log").open("w")
    engine = create_engine(db.url.replace("postgresql://", "postgresql+psycopg://", 1))
    postgres = engine.dialect.name == "postgresql"
    notes: list[str] = []
    if postgres:
        _hold(engine, datetime.now(UTC) + timedelta(days=1))
    started = time.perf_counter()
    procs = [subprocess.Popen([str(hourbridge_bin()), "worker", "--concurrency",
                               str(CONCURRENCY), "--interval", "0.05"],
                              env={**env, "PGAPPNAME": f"{APP}-{n}"},
                              cwd=ctx.workdir, stdout=logf, stderr=logf)
             for n in range(workers)]
    cpu: dict[str, float] = {}
    try:
        if postgres:
            if not _ready(engine, workers, started + 300):
                notes.append("workers not all polling after 300 s; released anyway")
            with engine.connect() as conn:
                servers = _cpu(_backends(conn))
            workers_cpu = _cpu([p.pid for p in procs])
            _hold(engine, datetime.now(UTC))
        t0 = time.perf_counter()
        while True:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT COUNT(*) FROM outbox WHERE status = "
                                         "'pending'")).scalar_one()
                if left == 0 and postgres:
                    after = _cpu(_backends(conn))
                    cpu["server"] = sum(c - servers.get(p, 0.0) for p, c in after.items())
            if left == 0:
                break
            if time.perf_counter() - t0 > 600:
                notes.append(f"stopped after 600 s with {left} pending")
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        if postgres:
            done = _cpu([p.pid for p in procs])
            if len(done) == len(workers_cpu) == workers:
                cpu["workers"] = sum(done[p] - workers_cpu[p] for p in done)
        else:
            notes.append("SQLite: the workers' start-up is inside the measurement")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        logf.close()
        engine.dispose()
    return wall, cpu, notes


def posting(ctx: Context, kind: str) -> list[dict[str, Any]]:
    out = []
    n = max(200, min(ctx.entries // 20, 4000))
    for workers in WORKERS:
        started, t0 = now_iso(), time.perf_counter()
        odoo = TimedOdoo(latency=LATENCY)
        db = Database.fresh(ctx, kind, f"posting_{workers}")
        try:
            with imitate_odoo(odoo):
                log(f"posting on {kind}: {n:,} documents, {workers} worker(s) x {CONCURRENCY}")
                _documents(ctx, db, n, odoo.url)
                load = os.getloadavg()[0]
                wall, cpu, notes = _post(ctx, db, workers, odoo)
                posted = sum(1 for m in odoo.moves() if m["state"] == "posted")
        finally:
            if not ctx.keep:
                db.drop()
        busy = odoo.last - (odoo.first or odoo.last)
        ours = posted / busy if busy else 0.0
        limit = workers * CONCURRENCY / LATENCY
        per_doc = odoo.requests / max(posted, 1)
        cpu_ms = {f"{k}_cpu_ms_per_document": round(1000 * v / max(posted, 1), 3)
                  for k, v in cpu.items()}
        out.append(result(
            f"posting-{workers}w", kind, n, started, time.perf_counter() - t0,
            metrics={"documents": posted, "documents_per_second": round(ours, 1),
                     "seconds_first_to_last_request": round(busy, 3),
                     "wall_seconds_until_done": round(wall, 3),
                     **cpu_ms, "loadavg_1m_at_start": round(load, 2),
                     "requests_per_document": round(per_doc, 2),
                     "ratio_to_request_bound": round(ours / (limit / per_doc), 3)},
            limit={"method": f"{workers} x {CONCURRENCY} / {LATENCY} s (latency-bound)",
                   "documents_per_second": limit},
            ratio=ours / limit, goal=f">= {GOAL:g}",
            met=ours / limit >= GOAL and posted == n, notes=notes,
            ours=f"{ours:,.0f} docs/s ({per_doc:.1f} requests each)",
            limit_text=f"{limit:,.0f} docs/s"))
    return out


UNITS = (("posting", posting, f">= {GOAL:g}"),)
