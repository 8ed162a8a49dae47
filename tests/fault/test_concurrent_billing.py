"""Four billing runs at once over the same approved work bill every second exactly once."""

from __future__ import annotations

import json
from pathlib import Path

from support.fault import Firm, Query, figure, time_file

ENTRIES = 3000
RUNS = 4


def test_concurrent_billing_runs_bill_nothing_twice(firm: Firm, sql: Query,
                                                    tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(ENTRIES))))
    firm.cli("approve", "--project", "P1")
    runs = [firm.start("bill", "--through", "2026-11-30", "--json") for _ in range(RUNS)]
    outcomes = [(p.returncode, out, err)
                for p in runs for out, err in [p.communicate(timeout=600)]]
    for code, out, err in outcomes:
        assert code == 0, f"exit {code}: {out}\n{err}"
    billed_by_run = [json.loads(out)["entries_billed"] for _, out, _ in outcomes]

    # every entry's seconds on live (not void) invoice lines, against what it may bill
    twice = sql("""
        SELECT e.id FROM time_entries e
        JOIN invoice_line_entries le ON le.entry = e.id
        JOIN invoice_lines l ON l.id = le.line JOIN invoices i ON i.id = l.invoice
        WHERE i.status <> 'void'
        GROUP BY e.id, e.billable_seconds
        HAVING SUM(le.seconds) > e.billable_seconds OR COUNT(*) > 1""")
    unbilled = sql("SELECT COUNT(*) FROM time_entries WHERE billing <> 'on_draft'")[0][0]
    drafts = sql("SELECT contract, period, COUNT(*) FROM invoices "
                 "GROUP BY contract, period HAVING COUNT(*) > 1")
    figure(f"concurrent billing ({firm.url.split(':')[0]}, {RUNS} processes, {ENTRIES} "
           f"entries): entries billed twice {len(twice)}, left unbilled {unbilled}, "
           f"contract-months drafted twice {len(drafts)}, billed per run {billed_by_run}")
    assert twice == [] and unbilled == 0 and drafts == []
    assert sum(billed_by_run) == ENTRIES  # one run billed it all, the others found nothing

    firm.cli("invoices", "issue", "--all")
    firm.cli("invoices", "check-sequence")


def test_concurrent_credits_and_voids_of_one_invoice_take_effect_once(
        firm: Firm, sql: Query, tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(400))))
    firm.cli("approve", "--project", "P1")
    firm.cli("bill", "--through", "2026-11-30")
    firm.cli("invoices", "issue", "--all")
    [(first,)] = sql("SELECT MIN(id) FROM invoices WHERE kind = 'invoice'")
    racers = ([firm.start("invoices", "credit", str(first), "--reason", "dispute")
               for _ in range(3)]
              + [firm.start("invoices", "void", str(first), "--reason", "wrong_customer")
                 for _ in range(3)])
    codes = [(p.returncode, err) for p in racers for _, err in [p.communicate(timeout=300)]]
    won = [c for c, _ in codes if c == 0]
    # each loser is refused in one line (credited already, void already, ...), exit 2
    assert sorted(c for c, _ in codes) == [0, 2, 2, 2, 2, 2], codes
    credits = sql(f"SELECT COUNT(*) FROM invoices WHERE credits = {first}")[0][0]
    negative = sql("SELECT COUNT(*) FROM time_entries WHERE billed_seconds < 0")[0][0]
    status = sql(f"SELECT status FROM invoices WHERE id = {first}")[0][0]
    figure(f"concurrent credits and voids of one invoice ({firm.url.split(':')[0]}, 6 "
           f"processes): took effect {len(won)}, invoice {status}, credit notes {credits}, "
           f"entries below zero billed {negative}")
    assert len(won) == 1 and negative == 0
    assert (status, credits) in (("void", 0), ("issued", 1))
    firm.cli("invoices", "check-sequence")
