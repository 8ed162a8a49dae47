"""ERP delivery under kill -9: a worker killed (SIGKILL) while it posts issued invoices to a
local Odoo imitation, started again, posts each invoice exactly once (issue 12, item 3:
"lost 0 duplicated 0"). Kills land between calls and inside them: after a create committed
but before the worker recorded it, the next worker finds the move by its external id.

The cloud ERPs (``support.cloud_erps.CLOUD_ERPS``: Dynamics 365 F&O, Oracle Fusion, SAP
S/4HANA Cloud) run in one firm at once, each its own destination: the same kills land in
deliveries to all of them, and each is counted on its own. ``HOURBRIDGE_FAULT_ERP_KILLS``
sizes it (CI: 2). It runs on SQLite: the database side of delivery is the Odoo test's,
on both databases; what differs per ERP is how each is asked and found."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
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
from support.fault import Firm, Query, figure, time_file
from support.firm import small_firm_bundle
from support.odoo import Odoo, imitate_odoo

KILLS = 4
CLOUD_KILLS = int(os.environ.get("HOURBRIDGE_FAULT_ERP_KILLS", "2"))


def test_kill_9_while_posting_to_odoo_posts_each_invoice_once(firm: Firm, sql: Query,
                                                              tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(300))))
    firm.cli("approve", "--project", "P1")
    firm.cli("bill", "--through", "2026-11-30")
    firm.cli("invoices", "issue", "--all")
    numbers = {r[0] for r in sql("SELECT number FROM invoices WHERE number IS NOT NULL")}
    assert len(numbers) >= 5
    firm.env["HOURBRIDGE_ERP_ODOO_DE_KEY"] = "odoo-api-key"
    rng = random.Random(20261206)  # seeded: the same kill points on every run
    # every call waits, action_post longest: most kills land after a create committed and
    # before the worker heard back, the case the lookup by external id is for
    with imitate_odoo(Odoo(latency=0.03, post_latency=0.4)) as odoo:
        (tmp_path / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [{
            "destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
            "journal": "INV", "entries_journal": "MISC", "currency": "EUR",
            "receivable_account": "121000", "revenue_accounts": {"default": "400000"},
            "tax_codes": {"standard": "19% S"}, "accounts": {"1210": "1210", "4000": "4000"},
            "connection": {"url": odoo.url, "database": "acme", "login": "api@acme.example"},
        }]}))
        firm.cli("erp", "profiles", "load", str(tmp_path / "erp.yaml"))
        queued = json.loads(firm.cli("erp", "push", "--queue-only", "--json").stdout)
        killed_after = []
        for _ in range(KILLS):
            seen = len(odoo.calls)
            proc = firm.start("worker", "--interval", "0.1")
            # kill once this worker talks to Odoo, a little later (between or inside calls)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(odoo.calls) <= seen:
                time.sleep(0.01)
            pause = rng.uniform(0.05, 0.9)
            time.sleep(pause)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            killed_after.append(round(pause, 2))
            _expire_leases(firm.url)  # a killed worker's lease ends; its jobs are due again
        posted_before_last = len(odoo.moves())
        firm.cli("worker", "--once", timeout=300)
        refs = Counter(m["ref"] for m in odoo.moves() if m["move_type"] == "out_invoice")
        states = {m["state"] for m in odoo.moves()}
    expected = {f"hb:invoice-issued:DE:{n}" for n in numbers}
    lost = len(expected - set(refs))
    duplicated = sum(n - 1 for n in refs.values())
    attempts = Counter(r[0] for r in sql("SELECT status FROM erp_postings"))
    figure(f"erp odoo kill -9 ({firm.url.split(':')[0]}): invoices {len(numbers)}, "
           f"documents {queued['queued']}, kills after {killed_after} s, posted before the "
           f"last run {posted_before_last}, attempts {dict(sorted(attempts.items()))}: "
           f"lost {lost} duplicated {duplicated}")
    assert (lost, duplicated) == (0, 0)
    assert attempts["found"] >= 1  # at least one kill left a committed draft behind
    assert set(refs) == expected and states == {"posted"}
    pending = sql("SELECT COUNT(*) FROM outbox WHERE status <> 'done'")[0][0]
    assert pending == 0


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
            _expire_leases(firm.url)
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


def _expire_leases(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE outbox SET lease_until = NULL, available_at = :now "
                              "WHERE status = 'pending'"), {"now": datetime.now(UTC)})
    finally:
        engine.dispose()
