"""Payments pulled back from an ERP by racing processes, one of them killed (SIGKILL) while it
reads: every payment the ERP holds is recorded exactly once ("lost 0 duplicated 0") and each
invoice paid in full is ``paid``. ``HOURBRIDGE_FAULT_PULLERS`` racing pulls (default 3)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import yaml

from support.fault import Firm, Query, figure, time_file
from support.odoo import Odoo, imitate_odoo

PULLERS = int(os.environ.get("HOURBRIDGE_FAULT_PULLERS", "3"))


def test_racing_and_killed_pulls_record_each_payment_once(firm: Firm, sql: Query,
                                                          tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(120))))
    firm.cli("approve", "--project", "P1")
    firm.cli("bill", "--through", "2026-11-30")
    firm.cli("invoices", "issue", "--all")
    firm.env["HOURBRIDGE_ERP_ODOO_DE_KEY"] = "odoo-api-key"
    with imitate_odoo(Odoo()) as odoo:
        (tmp_path / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [{
            "destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
            "journal": "INV", "entries_journal": "MISC", "currency": "EUR",
            "receivable_account": "121000", "revenue_accounts": {"default": "400000"},
            "tax_codes": {"standard": "19% S"}, "accounts": {"1210": "1210", "4000": "4000"},
            "connection": {"url": odoo.url, "database": "acme", "login": "api@acme.example"},
        }]}))
        firm.cli("erp", "profiles", "load", str(tmp_path / "erp.yaml"))
        firm.cli("erp", "push")
        moves = sorted((m for m in odoo.moves() if m["move_type"] == "out_invoice"),
                       key=lambda m: m["id"])
        assert len(moves) >= 3
        for i, move in enumerate(moves):  # paid in full, in two parts, or one part of it
            if i % 3 == 0:
                odoo.pay(move["id"], move["amount_total"], "2026-11-20")
            elif i % 3 == 1:
                odoo.pay(move["id"], Decimal("10.00"), "2026-11-21")
                odoo.pay(move["id"], move["amount_total"] - 10, "2026-11-28")
            else:
                odoo.pay(move["id"], Decimal("25.50"), "2026-11-22")
        held = {(m["payment_reference"], p["partial_id"])
                for m in moves for p in m["invoice_payments_widget"]["content"]}
        odoo.latency = 0.05  # every read waits: the pulls overlap, and the kill lands in one
        procs = [firm.start("erp", "payments", "pull", "--json") for _ in range(PULLERS)]
        time.sleep(0.6)
        procs[0].send_signal(signal.SIGKILL)
        outcomes = [p.communicate(timeout=120) for p in procs]
        codes = [p.returncode for p in procs]
        odoo.latency = 0.0
        last = json.loads(firm.cli("erp", "payments", "pull", "--json").stdout)
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
