"""Marking invoiced entries exported in Kimai under kill -9 and a concurrent run (issue 11):
a ``connections mark-exported`` process is killed -9 mid-way, two more race over the rest, a
last run finds nothing left;
every invoiced entry ends exported in Kimai, each mark recorded once, the toggling ``PATCH
.../export`` never sent. ``HOURBRIDGE_FAULT_EXPORT_ENTRIES`` sizes it (CI: 150). The set-up
and the last run are in this process: a CLI start costs seconds on a loaded machine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.domain import commands as c
from hourbridge.formats.bundle import BundleDocument, to_domain
from hourbridge.store import tables as t
from support.fault import HOURBRIDGE, figure
from support.firm import small_firm_bundle
from support.trackers import Imitation, aliases, imitate

ENTRIES = int(os.environ.get("HOURBRIDGE_FAULT_EXPORT_ENTRIES", "150"))
NAME = "acme-kimai"


def test_racing_and_killed_marking_ends_with_each_invoiced_entry_exported_once(
        database_url: str) -> None:
    key = Fernet.generate_key().decode()
    env = {**os.environ, "HOURBRIDGE_DATABASE_URL": database_url,
           "HOURBRIDGE_SECRET_KEY": key}
    hb = bootstrap(Settings(database_url=database_url),
                   trackers=Trackers(TRACKERS, key, sleep=lambda s: None))
    try:
        with imitate(Imitation("kimai", page_size=500)) as kimai:
            kimai.seed(ENTRIES)
            doc = BundleDocument.model_validate({**small_firm_bundle(),
                                                 "aliases": aliases(NAME)})
            hb.handle(c.LoadMasterData(to_domain([("bundle", doc)])))
            hb.handle(c.AddConnection(NAME, "kimai", kimai.url,
                                      c.Secret((("token", "tok-secret"),))))
            hb.handle(c.SyncConnection(NAME))
            hb.handle(c.ApproveEntries(actor="pm", project="P1"))
            hb.handle(c.RunBilling(date(2026, 11, 30)))
            hb.handle(c.IssueInvoices(all_drafts=True))
            te = t.time_entries
            with hb.engine.connect() as conn:
                billed = set(conn.execute(select(te.c.external_id).where(
                    te.c.source == NAME, te.c.billing == "invoiced")).scalars())
            assert len(billed) > ENTRIES // 2

            def start() -> subprocess.Popen[str]:
                return subprocess.Popen(
                    [HOURBRIDGE, "connections", "mark-exported", NAME, "--json"], env=env,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

            # one run alone, killed -9 once a quarter of its marks were sent
            kimai.page_delay = 0.01
            kimai.calls.clear()
            killed = start()
            deadline = time.monotonic() + 90
            while len(kimai.calls) < len(billed) // 4 and time.monotonic() < deadline:
                time.sleep(0.005)
            killed.send_signal(signal.SIGKILL)
            killed.communicate(timeout=60)
            sent_before_kill = len(kimai.calls)
            assert 0 < sent_before_kill < len(billed), "the kill missed the run"
            # then two runs racing over what is left
            kimai.page_delay = 0.002
            racers = [start(), start()]
            outs = [r.communicate(timeout=120) for r in racers]
            assert all(r.returncode == 0 for r in racers), outs
            survivor = sum(json.loads(out)["marked"] for out, _ in outs)
            kimai.page_delay = 0.0
            last = hb.handle(c.MarkExported(NAME))
            sent = len(kimai.calls)
        with hb.engine.connect() as conn:
            marks, distinct = conn.execute(select(
                func.count(), func.count(func.distinct(t.tracker_exports.c.external_id)))).one()
    finally:
        hb.close()
    exported = {str(e.id) for e in kimai.entries.values() if e.exported}
    figure(f"kimai mark-exported ({database_url.split(':')[0]}, {len(billed)} invoiced: a run "
           f"killed -9 after {sent_before_kill} PATCHes, then 2 racing runs marked {survivor}, "
           f"a last run {last['marked']}; PATCH sent {sent}; not exported "
           f"{len(billed - exported)}, exported but not invoiced {len(exported - billed)}, "
           f"marks duplicated {marks - distinct}, toggles {kimai.toggles}")
    assert exported == billed and (marks, distinct) == (len(billed), len(billed))
    assert kimai.toggles == 0 and last["refused"] == 0
