"""Cloud ERP delivery under kill -9 (issue 13): the cloud ERPs (``support.cloud_erps.CLOUD_ERPS``:
Dynamics 365 F&O, Oracle Fusion, SAP S/4HANA Cloud) run in one firm at once, each its own
destination: the same kills land in deliveries to all of them, and each is counted on its own
("lost 0 duplicated 0" per ERP). ``HOURBRIDGE_FAULT_ERP_KILLS`` sizes it (CI: 2). It runs on
SQLite: the database side of delivery is the Odoo test's (``test_erp_faults.py``), on both
databases; what differs per ERP is how each is asked and found."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors.erp_http import reference
from hourbridge.domain import commands as c
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.formats.erp_profiles import parse_erp_profiles
from hourbridge.formats.timefile import TimeFile
from hourbridge.services.erp import ERP_DOCUMENT_READY
from hourbridge.store.engine import make_engine
from support.cloud_erps import CLOUD_ERPS, CloudErp
from support.fault import Firm, expire_leases, figure, time_file
from support.firm import small_firm_bundle

CLOUD_KILLS = int(os.environ.get("HOURBRIDGE_FAULT_ERP_KILLS", "2"))


@pytest.fixture
def cloud_firm(tmp_path: Path) -> Iterator[tuple[Firm, Hourbridge]]:
    """The small firm on SQLite, its invoices issued in this process (a process start costs
    seconds on a loaded machine: only the workers, the subject here, are processes)."""
    url = f"sqlite:///{tmp_path}/fault.db"
    hb = bootstrap(Settings(database_url=url))
    try:
        hb.handle(c.LoadMasterData(to_domain([("firm", BundleDocument.model_validate(
            small_firm_bundle()))])))
        entries = time_file(tmp_path / "t.csv", range(200))
        hb.handle(c.IngestTimeEntries("tracker", TimeFile.from_bytes(
            "t.csv", "text/csv", entries.read_bytes())))
        hb.handle(c.ApproveEntries(actor="pm", project="P1"))
        for month_end in ("2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31",
                          "2026-11-30"):
            hb.handle(c.RunBilling(date.fromisoformat(month_end)))
        hb.handle(c.IssueInvoices(all_drafts=True))
        yield Firm(url, tmp_path), hb
    finally:
        hb.close()


def test_kill_9_while_posting_to_cloud_erps_posts_each_document_once(
        cloud_firm: tuple[Firm, Hourbridge], tmp_path: Path) -> None:
    firm, hb = cloud_firm
    invoices = [i for i in hb.queries.invoices() if i["number"]]
    assert len(invoices) >= 5
    rng = random.Random(20261207)  # seeded: the same kill points on every run
    with ExitStack() as stack:
        # every request waits, and a write's answer waits longer after it is done: kills
        # land between calls, inside them and after a commit the worker never heard of
        served: list[tuple[CloudErp, Any]] = [
            (case, stack.enter_context(case.imitate(latency=0.02, answer_latency=0.3)))
            for case in CLOUD_ERPS]
        for case, erp in served:
            case.prepare(erp, invoices)
            firm.env[case.key_env] = case.secret
        (tmp_path / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [
            case.profile(erp.url) for case, erp in served]}))
        parsed, origins, problems = parse_erp_profiles(tmp_path / "erp.yaml")
        assert problems == []
        hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins)))
        queued = hb.handle(c.QueueErpPush())
        killed_after = []
        for _ in range(CLOUD_KILLS):
            seen = sum(len(erp.calls) for _, erp in served)
            proc = firm.start("worker", "--interval", "0.1")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and seen == sum(
                    len(erp.calls) for _, erp in served):
                time.sleep(0.01)
            pause = rng.uniform(0.1, 0.8)
            time.sleep(pause)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            killed_after.append(round(pause, 2))
            expire_leases(firm.url)
        firm.cli("worker", "--once", timeout=300)
        held = {case.name: Counter(p.reference for p in case.invoices(erp) + case.journals(erp))
                for case, erp in served}
    expected = _queued_references(firm.url)
    attempts = Counter(p["status"] for p in hb.handle(c.ShowErpPostings()))
    results = {}
    for case, _ in served:
        refs, want = held[case.name], expected[case.profile("")["destination"]]
        lost, duplicated = len(want - set(refs)), sum(n - 1 for n in refs.values())
        results[case.name] = (lost, duplicated, len(want))
        figure(f"erp {case.name} kill -9 (sqlite): documents {len(want)}, kills after "
               f"{killed_after} s: lost {lost} duplicated {duplicated}")
    figure(f"erp cloud kill -9: attempts {dict(sorted(attempts.items()))}, queued "
           f"{queued['queued']}")
    assert all((lost, dup) == (0, 0) for lost, dup, _ in results.values()), results
    assert all(n >= 6 for _, _, n in results.values())  # invoices and a journal each
    assert attempts["sending"] >= 1  # a kill landed inside a delivery, not only between
    assert hb.queries.dead_letters() == []


def _queued_references(url: str) -> dict[str, set[str]]:
    """What each destination was sent to hold: the reference of every queued document."""
    engine = make_engine(url)
    out: dict[str, set[str]] = {}
    try:
        with engine.connect() as conn:
            for (payload,) in conn.execute(text("SELECT payload FROM outbox WHERE type = :t"),
                                           {"t": ERP_DOCUMENT_READY}):
                data = (json.loads(payload) if isinstance(payload, str) else payload)["data"]
                out.setdefault(data["destination"], set()).add(
                    reference(data["document"]["external_id"]))
    finally:
        engine.dispose()
    return out
