"""Thousands of ERP documents under faults and kill -9 (issue 12, "fault tests"): invoices and
journal entries posted by several ``hourbridge worker`` processes, killed (SIGKILL) at seeded
random moments and started again, to an Odoo imitation that answers 503 and 429 with
Retry-After, times out (half of those after it carried the request out), commits a create and
loses the answer, and refuses a chosen set of documents for good. Every document arrives
exactly once (``lost 0 duplicated 0``); the dead letters are exactly the refused documents,
and once the ERP takes them, replaying the dead letters posts each of them once.

The NATS variant runs the same with the JetStream relay on and a private nats-server
(``-js -sd <tmp>`` on a free port) restarted midway: the stream then holds each journal event
once. Size: ``HOURBRIDGE_FAULT_ERP_DOCUMENTS`` (5000 by default, as issue 12 asks: about a
minute per variant on a quiet 2-core machine; set it smaller for a quick look) and
``HOURBRIDGE_FAULT_SEED``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.domain.ledger import JournalEntry, Posting
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.formats.timefile import TimeFile
from hourbridge.services.erp import ERP_DOCUMENT_READY
from hourbridge.services.events import JOURNAL_ENTRY_READY
from hourbridge.services.journal import publish_journals
from hourbridge.store import tables as t
from support.fault import HOURBRIDGE, figure
from support.firm import small_firm_bundle
from support.odoo import Odoo
from support.odoo_server import Faults, imitate_odoo

DOCUMENTS = int(os.environ.get("HOURBRIDGE_FAULT_ERP_DOCUMENTS", "5000"))
SEED = int(os.environ.get("HOURBRIDGE_FAULT_SEED", "20261206"))
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
WORKERS, CONCURRENCY = 2, 4


def many_invoices_bundle(n: int) -> dict[str, Any]:
    """The small firm with ``n`` one-project contracts of Acme: one billing run makes ``n``
    small invoices (the cheap path to thousands of real issued invoices)."""
    bundle = small_firm_bundle()
    base, project = bundle["contracts"][0], bundle["projects"][0]
    bundle["contracts"] = [{**base, "id": f"K{i}"} for i in range(n)]
    bundle["projects"] = [{**project, "code": f"P{i}", "name": f"Project {i}",
                           "contract": f"K{i}"} for i in range(n)] + bundle["projects"][1:]
    return bundle


def _entry(key: str, amount: Decimal) -> JournalEntry:
    return JournalEntry(key, "DE", date(2026, 11, 2), "fault", "fault", key, (
        Posting("1200", amount, Decimal(0), "EUR", amount),
        Posting("4000", Decimal(0), amount, "EUR", -amount)))


def prepare(hb: Hourbridge, folder: Path, odoo_url: str, invoices: int, entries: int) -> None:
    """Master data, the Odoo profile, ``invoices`` issued invoices and ``entries`` journal
    entries: each queued for Odoo as it is published."""
    hb.handle(c.LoadMasterData(to_domain([("bulk", BundleDocument.model_validate(
        many_invoices_bundle(invoices)))])))
    (folder / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [{
        "destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
        "journal": "INV", "entries_journal": "MISC", "currency": "EUR",
        "receivable_account": "121000", "revenue_accounts": {"default": "400000"},
        "tax_codes": {"standard": "19% S"}, "accounts": {"1200": "1200", "4000": "4000",
                                                         "1210": "1210"},
        "concurrency": CONCURRENCY,
        "connection": {"url": odoo_url, "database": "acme", "login": "api@acme.example",
                       "timeout": "2"},
    }]}))
    run([HOURBRIDGE, "erp", "profiles", "load", str(folder / "erp.yaml")], hb, folder)
    rows = ["external_id,employee,project,task,date,hours,notes"] + [
        f"b{i},E1,P{i},DEV,2026-10-{1 + i % 28:02d},1,bulk {i}" for i in range(invoices)]
    hb.handle(c.IngestTimeEntries("harvest", TimeFile.from_bytes(
        "bulk.csv", "text/csv", ("\n".join(rows) + "\n").encode())))
    hb.handle(c.ApproveEntries(actor="pm", employee="E1"))
    hb.handle(c.RunBilling(date(2026, 10, 31)))
    hb.handle(c.IssueInvoices(all_drafts=True))
    now = datetime.now(UTC)
    with hb.uow() as uow:
        publish_journals(uow, [(f"je-{i}", f"journal/je-{i}",
                                _entry(f"je-{i}", Decimal(100 + i % 50)))
                               for i in range(entries)], now)
        uow.commit()


def run(args: list[str], hb: Hourbridge, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOURBRIDGE_DATABASE_URL": hb.settings.database_url,
           "HOURBRIDGE_ERP_ODOO_DE_KEY": "odoo-api-key"}
    done = subprocess.run(args, env=env, cwd=folder, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NatsServer:
    """A private nats-server with JetStream on a free port; ``restart`` keeps its store."""

    def __init__(self, folder: Path) -> None:
        self.port, self.store = free_port(), folder / "jetstream"
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([NATS_SERVER, "-js", "-sd", str(self.store), "-a",
                                      "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nats-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def keys(self) -> list[str]:
        """The Nats-Msg-Id of every message in the HOURBRIDGE stream."""
        import asyncio

        import nats

        async def read() -> list[str]:
            nc = await nats.connect(self.url)
            js = nc.jetstream()
            info = await js.stream_info("HOURBRIDGE")
            sub = await js.pull_subscribe("hourbridge.>", stream="HOURBRIDGE")
            keys: list[str] = []
            while len(keys) < info.state.messages:
                for m in await sub.fetch(500, timeout=10):
                    keys.append((m.headers or {}).get("Nats-Msg-Id", ""))
                    await m.ack()
            await nc.close()
            return keys

        return asyncio.run(read())


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    if not Path(NATS_SERVER).exists():
        pytest.skip(f"no nats-server at {NATS_SERVER}")
    server = NatsServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("relay", ["none", "nats"])
def test_thousands_of_documents_under_faults_and_kill_9_arrive_once(
        relay: str, postgres_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    rng = random.Random(SEED)
    print(f"seed {SEED}, documents {DOCUMENTS}", flush=True)
    nats = request.getfixturevalue("nats_server") if relay == "nats" else None
    faults = Faults(random.Random(SEED + 1), unavailable=0.02, rate_limited=0.02,
                    timeout=0.005, drop=0.03, hang_seconds=2.5)
    odoo = Odoo(faults=faults)
    hb = bootstrap(Settings(database_url=postgres_url), relays=[])
    env = {**os.environ, "HOURBRIDGE_DATABASE_URL": postgres_url,
           "HOURBRIDGE_ERP_ODOO_DE_KEY": "odoo-api-key",
           "HOURBRIDGE_WORKER_LEASE_SECONDS": "6", "HOURBRIDGE_LOG_LEVEL": "CRITICAL"}
    if nats is not None:
        env["HOURBRIDGE_NATS_URL"] = nats.url
    started = time.monotonic()
    try:
        with imitate_odoo(odoo):
            prepare(hb, tmp_path, odoo.url, DOCUMENTS // 2, DOCUMENTS - DOCUMENTS // 2)
            made = time.monotonic() - started
            with hb.engine.connect() as conn:
                docs = {r.key: r.payload["data"]["document"]["external_id"]
                        for r in conn.execute(select(t.outbox.c.key, t.outbox.c.payload)
                                              .where(t.outbox.c.type == ERP_DOCUMENT_READY))}
            expected = set(docs.values())
            refused = set(rng.sample(sorted(expected), max(3, len(expected) // 100)))
            odoo.refuse_refs = set(refused)
            kills, restarted = _run_workers(hb, env, tmp_path, rng, nats)
            posted_at = time.monotonic()
            refs = Counter(m["ref"] for m in odoo.moves())
            with hb.engine.connect() as conn:
                dead = {docs[k] for k in conn.execute(select(t.outbox.c.key).where(
                    t.outbox.c.status == "dead")).scalars()}
            lost = len(expected - refused - set(refs))
            duplicated = sum(n - 1 for n in refs.values())
            figure(f"erp bulk faults ({relay}): seed {SEED}, documents {len(expected)}, "
                   f"kills {kills}, nats restarts {restarted}, injected "
                   f"{dict(sorted(faults.injected.items()))} "
                   f"and {len(refused)} refusals: lost {lost} duplicated {duplicated}, dead "
                   f"letters {len(dead)} (refused {len(refused)}); made in {made:.0f} s, "
                   f"posted in {posted_at - started - made:.0f} s")
            assert (lost, duplicated) == (0, 0)
            assert dead == refused and not (set(refs) & refused)
            # the ERP takes them now: each replayed dead letter posts once
            odoo.refuse_refs.clear()
            odoo.faults = None
            run([HOURBRIDGE, "deadletters", "replay", "--reason", "refused", "--note",
                 "ERP fixed"], hb, tmp_path)
            run([HOURBRIDGE, "worker", "--once"], hb, tmp_path)
            refs = Counter(m["ref"] for m in odoo.moves())
            states = {m["state"] for m in odoo.moves()}
            counts = hb.queries.outbox_counts()
        replayed_twice = sum(refs[r] > 1 for r in refused)
        figure(f"erp bulk faults ({relay}) after the fix: replayed {len(refused)}, posted "
               f"{sum(refs[r] == 1 for r in refused)} once, {replayed_twice} twice; lost "
               f"{len(expected - set(refs))} duplicated {sum(n - 1 for n in refs.values())}")
        assert set(refs) == expected and all(n == 1 for n in refs.values())
        assert states == {"posted"} and counts == {"done": sum(counts.values())}, counts
        if nats is not None:
            keys = Counter(nats.keys())
            with hb.engine.connect() as conn:
                events = set(conn.execute(select(t.outbox.c.key).where(
                    t.outbox.c.type == JOURNAL_ENTRY_READY)).scalars())
            figure(f"erp bulk faults (nats): journal events {len(events)}, in the stream "
                   f"{sum(keys.values())}: lost {len(events - set(keys))} duplicated "
                   f"{sum(n - 1 for n in keys.values())}")
            assert set(keys) == events and all(n == 1 for n in keys.values())
    finally:
        hb.close()


def _catches_sigterm(pid: int) -> bool:
    """Whether process ``pid`` has installed a SIGTERM handler (Linux: the caught-signals
    mask in /proc/PID/status; Python itself catches SIGINT, never SIGTERM)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def _run_workers(hb: Hourbridge, env: dict[str, str], folder: Path, rng: random.Random,
                 nats: NatsServer | None) -> tuple[int, int]:
    """Workers deliver everything while one of them is SIGKILLed at random moments (and a
    fresh one started in its place); nats-server is restarted once half is done. Returns
    (kills, nats restarts) once nothing is pending, the survivors stopped by SIGTERM."""
    log = (folder / "workers.log").open("a")

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([HOURBRIDGE, "worker", "--concurrency", str(CONCURRENCY),
                                 "--batch", "10", "--interval", "0.1"], env=env, cwd=folder,
                                stdout=log, stderr=log)

    workers = [start() for _ in range(WORKERS)]
    kills_wanted = max(4, DOCUMENTS // 250)
    kills = restarted = 0
    total = sum(hb.queries.outbox_counts().values())
    deadline = time.monotonic() + 1800
    next_kill = time.monotonic() + rng.uniform(0.5, 3.0)
    try:
        while time.monotonic() < deadline:
            counts = hb.queries.outbox_counts()
            if counts.get("pending", 0) == 0:
                break
            if nats is not None and not restarted and counts.get("done", 0) >= total // 2:
                nats.stop()  # midway: the relay's publishes fail until it is back
                time.sleep(1.0)
                nats.start()
                restarted = 1
            if kills < kills_wanted and time.monotonic() >= next_kill:
                n = rng.randrange(len(workers))
                workers[n].send_signal(signal.SIGKILL)
                workers[n].wait(timeout=30)
                workers[n] = start()
                kills += 1
                next_kill = time.monotonic() + rng.uniform(0.5, 3.0)
            time.sleep(0.1)
        else:
            raise AssertionError(f"not delivered in time: {hb.queries.outbox_counts()}")
    finally:
        # a worker started just now (in place of a killed one) may still be starting:
        # SIGTERM before it installs its handler kills it as it would any process, which
        # says nothing about a clean stop; wait until each one catches SIGTERM
        ready_by = time.monotonic() + 60
        while time.monotonic() < ready_by and not all(
                w.poll() is not None or _catches_sigterm(w.pid) for w in workers):
            time.sleep(0.1)
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(timeout=120) for w in workers]
        log.close()
    assert codes == [0] * len(workers), (folder / "workers.log").read_text()[-3000:]
    with hb.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.outbox).where(
            t.outbox.c.status == "pending")).scalar_one() == 0
    return kills, restarted



