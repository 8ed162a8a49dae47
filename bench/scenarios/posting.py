"""Posting: journal entries delivered to a loopback Odoo imitation that answers every request
after 20 ms, by 1, 2 and 4 ``hourbridge worker`` processes (``--concurrency C`` threads each,
the ERP profile allowing C documents in flight per process).

Ours: documents posted per second, from the first request to the ERP to the last (so the
workers' start-up is left out; the wall time with it is reported too). Limit: the
latency-bound rate ``workers x concurrency / 0.02 s`` (every thread always waiting on one
20 ms answer). Ratio = ours / limit; goal >= 0.8. Alone, a document is two requests by
Odoo's protocol (create, then action_post: a move cannot be created posted), so the workers
send chunks of documents per request (the profile's ``documents_per_request``); the
request-bound limit (the same, divided by the requests per document measured) is reported
beside it: what the requests made allow at best.
The imitation is ``tests/support/odoo.py`` (imitations live under tests/, never src/).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ..common import Context, Database, hb_env, hourbridge_bin, log, now_iso, result

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from support.firm import small_firm_bundle
from support.odoo import Odoo, imitate_odoo

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


def _post(ctx: Context, db: Database, workers: int, odoo: TimedOdoo
          ) -> tuple[float, list[str]]:
    """Start ``workers`` processes; wall seconds until every document is done."""
    from sqlalchemy import create_engine, text

    env = {**hb_env(db), "HOURBRIDGE_ERP_ODOO_DE_KEY": odoo.key}
    logf = ctx.path("posting", f"workers-{workers}.log").open("w")
    engine = create_engine(db.url.replace("postgresql://", "postgresql+psycopg://", 1))
    t0 = time.perf_counter()
    procs = [subprocess.Popen([str(hourbridge_bin()), "worker", "--concurrency",
                               str(CONCURRENCY), "--interval", "0.05"], env=env,
                              cwd=ctx.workdir, stdout=logf, stderr=logf)
             for _ in range(workers)]
    notes: list[str] = []
    try:
        while True:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT COUNT(*) FROM outbox WHERE status = "
                                         "'pending'")).scalar_one()
            if left == 0:
                break
            if time.perf_counter() - t0 > 600:
                notes.append(f"stopped after 600 s with {left} pending")
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        logf.close()
        engine.dispose()
    return wall, notes


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
                wall, notes = _post(ctx, db, workers, odoo)
                posted = sum(1 for m in odoo.moves() if m["state"] == "posted")
        finally:
            if not ctx.keep:
                db.drop()
        busy = odoo.last - (odoo.first or odoo.last)
        ours = posted / busy if busy else 0.0
        limit = workers * CONCURRENCY / LATENCY
        per_doc = odoo.requests / max(posted, 1)
        out.append(result(
            f"posting-{workers}w", kind, n, started, time.perf_counter() - t0,
            metrics={"documents": posted, "documents_per_second": round(ours, 1),
                     "seconds_first_to_last_request": round(busy, 3),
                     "wall_seconds_with_startup": round(wall, 3),
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
