"""Payments pulled back from an ERP by racing processes, one of them killed (SIGKILL) while it
reads: every payment the ERP holds is recorded exactly once ("lost 0 duplicated 0") and each
invoice paid in full is ``paid``. ``HOURBRIDGE_FAULT_PULLERS`` racing pulls (default 3)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.formats.erp_profiles import parse_erp_profiles
from hourbridge.formats.timefile import TimeFile
from support.fault import Firm, Query, figure, time_file
from support.odoo import Odoo
from support.odoo_server import imitate_odoo

PULLERS = int(os.environ.get("HOURBRIDGE_FAULT_PULLERS", "3"))


def test_racing_and_killed_pulls_record_each_payment_once(
        firm: Firm, sql: Query, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOURBRIDGE_ERP_ODOO_DE_KEY", "odoo-api-key")
    firm.env["HOURBRIDGE_ERP_ODOO_DE_KEY"] = "odoo-api-key"
    hb = bootstrap(Settings(database_url=firm.url))  # the set-up in-process: only the
    try:  # pulls under test are processes
        path = time_file(tmp_path / "t.csv", range(120))
        hb.handle(c.IngestTimeEntries("tracker", TimeFile.from_bytes(
            "t.csv", "text/csv", path.read_bytes())))
        hb.handle(c.ApproveEntries(actor="pm", project="P1"))
        hb.handle(c.RunBilling(date(2026, 11, 30)))
        hb.handle(c.IssueInvoices(all_drafts=True))
        with imitate_odoo(Odoo()) as odoo:
            (tmp_path / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [{
                "destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
                "journal": "INV", "entries_journal": "MISC", "currency": "EUR",
                "receivable_account": "121000", "revenue_accounts": {"default": "400000"},
                "tax_codes": {"standard": "19% S"},
                "accounts": {"1210": "1210", "4000": "4000"},
                "connection": {"url": odoo.url, "database": "acme",
                               "login": "api@acme.example"}}]}))
            profiles, origins, problems = parse_erp_profiles(tmp_path / "erp.yaml")
            assert problems == []
            hb.handle(c.LoadErpProfiles(tuple(profiles), tuple(origins)))
            hb.handle(c.QueueErpPush())
            assert hb.worker.drain().as_dict()["dead"] == 0
            moves = sorted((m for m in odoo.moves() if m["move_type"] == "out_invoice"),
                           key=lambda m: m["id"])
            assert len(moves) >= 3
            for i, move in enumerate(moves):  # paid in full, in two parts, or in part
                if i % 3 == 0:
                    odoo.pay(move["id"], move["amount_total"], "2026-11-20")
                elif i % 3 == 1:
                    odoo.pay(move["id"], Decimal("10.00"), "2026-11-21")
                    odoo.pay(move["id"], move["amount_total"] - 10, "2026-11-28")
                else:
                    odoo.pay(move["id"], Decimal("25.50"), "2026-11-22")
            held = {(m["payment_reference"], p["partial_id"])
                    for m in moves for p in m["invoice_payments_widget"]["content"]}
            odoo.latency = 0.05  # every read waits: the pulls overlap, the kill lands in one
            procs = [firm.start("erp", "payments", "pull", "--json") for _ in range(PULLERS)]
            deadline = time.monotonic() + 60  # kill the first once the pulls talk to Odoo
            while time.monotonic() < deadline and not any(
                    call == ("account.move", "read") for call in odoo.calls):
                time.sleep(0.01)
            time.sleep(0.1)
            procs[0].send_signal(signal.SIGKILL)
            outcomes = [p.communicate(timeout=120) for p in procs]
            codes = [p.returncode for p in procs]
            odoo.latency = 0.0
            last = hb.handle(c.PullErpPayments())
    finally:
        hb.close()
    rows = sql("SELECT i.number, p.erp_payment_id FROM invoice_payments p "
               "JOIN invoices i ON i.id = p.invoice")
    recorded = Counter((number, int(pid)) for number, pid in rows)
    lost = len(held - set(recorded))
    duplicated = sum(n - 1 for n in recorded.values()) + len(set(recorded) - held)
    paid = {r[0] for r in sql("SELECT number FROM invoices WHERE status = 'paid'")}
    want_paid = {m["payment_reference"] for m in moves if m["payment_state"] == "paid"}
    figure(f"erp payments pull race ({firm.url.split(':')[0]}): {PULLERS} pulls (first "
           f"killed, exits {codes}), invoices {len(moves)}, payments {len(held)}, last pull "
           f"recorded {last['payments_recorded']}: lost {lost} duplicated {duplicated}")
    assert codes[0] == -signal.SIGKILL and all(c == 0 for c in codes[1:]), outcomes
    assert (lost, duplicated) == (0, 0)
    assert paid == want_paid
    assert last["payments_recorded"] == 0 and last["already_recorded"] == len(held)
