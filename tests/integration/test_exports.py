"""Exports checked by the tools accountants use, and the payroll export, on a real database.

The small firm goes the whole path (load, ingest, approve, bill, issue, post); then
``hourbridge export journal`` writes beancount and hledger files that ``bean-check`` and
``hledger check`` must accept and whose balances must equal our trial balance, account by
account; ``hourbridge export payroll`` must add up to the approved worked seconds and carry
nothing personal. The demo firm gets the same journal checks once.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.export import PAYROLL_FIELDS, export_app
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from support.firm import two_entity_bundle
from support.ledger import export_balances
from support.tools import (
    beancount_balances,
    check_beancount,
    check_hledger,
    hledger_balances,
    require_tool,
)

runner = CliRunner()
SUFFIX = {"beancount": "beancount", "hledger": "journal"}

ROWS = [
    ("x1", "E1", "P1", "DEV", "2026-08-10", "1.10", "SECRET-NOTE-1"),  # 1.25 h at 150
    ("x2", "E1", "P1", "DEV", "2026-08-20", "2", "SECRET-NOTE-2"),     # 165, re-rated to 170
    ("x3", "E2", "P1", "DEV", "2026-08-20", "0.5", "test"),            # analyst 90
    ("x4", "E1", "P1", "TRAVEL", "2026-08-20", "3", "train"),          # non-billable task
    ("x5", "E1", "INT", "ADMIN", "2026-08-21", "1", "timesheets"),     # internal, no contract
    ("x6", "E2", "P1", "DEV", "2026-09-02", "1", "sept"),              # September
    ("x7", "E2", "P1", "DEV", "2026-09-03", "1", "not approved"),      # stays submitted
]


def book_small_firm(hb: Hourbridge, ingest: Any, load_bundle: Any,
                    bundle: dict[str, Any]) -> None:
    """The whole path, with a rate change between approval and billing, so the invoice differs
    from the booked WIP and revenue adjustments get a posting."""
    assert ingest(ROWS).accepted == 7
    hb.handle(c.ApproveEntries(actor="pm", project="P1", date_to=date(2026, 9, 2)))
    hb.handle(c.ApproveEntries(actor="pm", project="INT"))
    for row in bundle["rate_cards"][0]["rows"]:
        if row["id"] == "senior-2":
            row["rate"] = "170.00"
    load_bundle(bundle)
    assert len(hb.handle(c.RunBilling(date(2026, 9, 30))).invoices) == 2
    assert len(hb.handle(c.IssueInvoices(all_drafts=True)).issued) == 2
    assert hb.worker.drain().dead == 0


def export(*args: str) -> Any:
    result = runner.invoke(export_app, list(args))
    assert result.exit_code == 0, result.output
    return result


def export_journal(fmt: str, folder: Path) -> Path:
    path = folder / f"journal.{SUFFIX[fmt]}"
    export("journal", "--format", fmt, "--out", str(path))
    assert path.is_file() and [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    return path


def trial_balance_by_name(hb: Hourbridge) -> dict[tuple[str, str], Decimal]:
    """Our trial balance per currency under the export's names (a foreign currency on its
    ``-CUR`` leaf, an FX difference in the functional currency: ``support.ledger``)."""
    return export_balances(hb)[0]



@pytest.fixture
def booked(loaded: Hourbridge, ingest: Any, load_bundle: Any, small_bundle: dict[str, Any],
           cli_db: Path) -> Hourbridge:
    book_small_firm(loaded, ingest, load_bundle, small_bundle)
    return loaded


def test_journal_streams_in_posting_date_order(booked: Hourbridge) -> None:
    entries = list(booked.queries.journal_entries())
    assert entries == list(booked.queries.journal_entries(batch=1))
    assert [e.posted_on for e in entries] == sorted(e.posted_on for e in entries)
    stored = {j["key"]: j for j in booked.queries.journal(limit=1000)}
    assert {e.key for e in entries} == set(stored) and len(entries) == 3
    for e in entries:
        assert len(e.postings) == len(stored[e.key]["lines"])
        assert not e.imbalance()
    invoice = next(e for e in entries if e.key == "invoice-issued:DE:DE-000001")
    adjustment = [p for p in invoice.postings if p.account == "4090"]
    assert [(p.credit, p.customer) for p in adjustment] == [(Decimal(10), "ACME")]
    assert booked.queries.entity_accounts()["DE"].revenue_adjustments == "4090"


@pytest.mark.parametrize("fmt", ["beancount", "hledger"])
def test_journal_export_passes_the_tool_and_matches_the_trial_balance(
        booked: Hourbridge, cli_db: Path, fmt: str) -> None:
    path = export_journal(fmt, cli_db)
    text = path.read_text(encoding="utf-8")
    assert text == export("journal", "--format", fmt).stdout  # stdout by default, same text
    expected = trial_balance_by_name(booked)
    assert set(expected) == {("Assets:DE:Receivables:1200", "EUR"),
                             ("Assets:DE:Unbilled:1210", "EUR"),
                             ("Liabilities:DE:Tax:2200", "EUR"), ("Income:DE:Revenue:4000", "EUR"),
                             ("Income:DE:Adjustments:4090", "EUR")}
    assert expected[("Income:DE:Adjustments:4090", "EUR")] == Decimal("-10.00")
    for key in ("approval:DE:EUR:", "invoice-issued:DE:DE-000001", "invoice-issued:DE:DE-000002"):
        assert key in text
    assert "SECRET-NOTE" not in text
    if fmt == "beancount":
        check_beancount(path)
        assert beancount_balances(path) == expected
    else:
        check_hledger(path)
        assert hledger_balances(path) == expected


def test_codes_outside_the_chart_are_exported_as_unmapped_and_still_balance(
        booked: Hourbridge, load_bundle: Any, small_bundle: dict[str, Any], cli_db: Path) -> None:
    small_bundle["entities"][0]["accounts"] = {"revenue": "4001"}
    load_bundle(small_bundle)  # postings keep the old code 4000
    expected = trial_balance_by_name(booked)
    assert expected[("Equity:DE:Unmapped:4000", "EUR")] == Decimal("-652.50")
    bean, ledger = export_journal("beancount", cli_db), export_journal("hledger", cli_db)
    check_beancount(bean)
    check_hledger(ledger)
    assert beancount_balances(bean) == hledger_balances(ledger) == expected


def test_empty_journal_exports_valid_files(hb: Hourbridge, cli_db: Path) -> None:
    check_beancount(export_journal("beancount", cli_db))
    check_hledger(export_journal("hledger", cli_db))


def approved_seconds(hb: Hourbridge) -> dict[tuple[str, str], list[int]]:
    """(employee, YYYY-MM) -> [worked, billable worked, non-billable worked, entries]."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in hb.queries.entries(approval="approved", limit=100_000):
        s = out[(e["employee"], e["work_date"][:7])]
        s[0] += e["worked_seconds"]
        s[1 if e["billable"] else 2] += e["worked_seconds"]
        s[3] += 1
    return out


def test_payroll_export_sums_approved_worked_time_and_carries_nothing_personal(
        booked: Hourbridge) -> None:
    rows = json.loads(export("payroll", "--from", "2026-08-01", "--to", "2026-09-30",
                             "--format", "json").stdout)
    assert all(tuple(r) == PAYROLL_FIELDS for r in rows)
    got = {(r["employee"], r["period"]): [r["worked_seconds"], r["billable_worked_seconds"],
                                          r["non_billable_worked_seconds"], r["entries"]]
           for r in rows}
    assert got == approved_seconds(booked)
    assert got == {("E1", "2026-08"): [25560, 11160, 14400, 4],
                   ("E2", "2026-08"): [1800, 1800, 0, 1],
                   ("E2", "2026-09"): [3600, 3600, 0, 1]}  # x7 is not approved
    e1 = next(r for r in rows if r["employee"] == "E1")
    assert (e1["entity"], e1["worked_hours"], e1["billable_worked_hours"],
            e1["non_billable_worked_hours"]) == ("DE", "7.10", "3.10", "4.00")
    text = json.dumps(rows)
    for personal in ("SECRET-NOTE", "notes", "rate", "name", "amount", "150", "165", "170"):
        assert personal not in text

    table = export("payroll", "--from", "2026-08-01", "--to", "2026-09-30").stdout
    parsed = list(csv.DictReader(io.StringIO(table)))
    assert tuple(parsed[0]) == PAYROLL_FIELDS
    assert [{k: str(v) for k, v in r.items()} for r in rows] == parsed


def test_payroll_export_filters_period_and_entity(booked: Hourbridge, cli_db: Path) -> None:
    sept = json.loads(export("payroll", "--from", "2026-09-01", "--to", "2026-09-30",
                             "-f", "json", "--entity", "DE").stdout)
    assert [(r["employee"], r["period"], r["worked_seconds"]) for r in sept] == [
        ("E2", "2026-09", 3600)]
    assert json.loads(export("payroll", "--from", "2026-08-01", "--to", "2026-09-30",
                             "-f", "json", "--entity", "US").stdout) == []
    out = cli_db / "payroll.csv"
    export("payroll", "--from", "2026-08-01", "--to", "2026-08-31", "-o", str(out))
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3  # header + E1 + E2
    bad = runner.invoke(export_app, ["payroll", "--from", "2026-09-01", "--to", "2026-08-01"])
    assert bad.exit_code == 2 and "is after --to" in bad.stderr
    bad = runner.invoke(export_app, ["payroll", "--from", "2026-13-01", "--to", "2026-08-01"])
    assert bad.exit_code == 2 and "not a date" in bad.stderr


def test_export_help_texts() -> None:
    for args in ([], ["journal"], ["payroll"]):
        result = runner.invoke(export_app, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_demo_firm_exports_pass_both_tools(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo firm (two entities, EUR and USD, 86 journal entries) exported and checked.
    Slower than the rest (a few seconds: the demo itself is most of it)."""
    from hourbridge.cli.app import app

    require_tool("bean-check")
    require_tool("hledger")
    url = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    demo = runner.invoke(app, ["demo", "--json"])
    assert demo.exit_code == 0, demo.output
    summary = json.loads(demo.stdout)
    hb = bootstrap(Settings(database_url=url))
    try:
        expected = trial_balance_by_name(hb)
        payroll = approved_seconds(hb)
    finally:
        hb.close()
    assert len(expected) == len(summary["trial_balance"]) >= 7
    bean, ledger = export_journal("beancount", tmp_path), export_journal("hledger", tmp_path)
    check_beancount(bean)
    check_hledger(ledger)
    assert beancount_balances(bean) == hledger_balances(ledger) == expected

    rows = json.loads(export("payroll", "--from", "2000-01-01", "--to", "2100-12-31",
                             "-f", "json").stdout)
    assert {(r["employee"], r["period"]): [r["worked_seconds"], r["billable_worked_seconds"],
                                           r["non_billable_worked_seconds"], r["entries"]]
            for r in rows} == payroll


@pytest.mark.parametrize("fmt", ["beancount", "hledger"])
def test_intercompany_accounts_export_in_both_entities(
        hb: Hourbridge, ingest: Any, load_bundle: Any, small_bundle: dict[str, Any],
        cli_db: Path, fmt: str) -> None:
    load_bundle(two_entity_bundle(small_bundle))
    assert ingest([("a1", "X1", "P1", "DEV", "2026-08-10", "2", "AT analyst"),
                   ("u1", "Y1", "P1", "DEV", "2026-08-10", "1", "US analyst")]).accepted == 2
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert hb.worker.drain().dead == 0
    path = export_journal(fmt, cli_db)
    expected = trial_balance_by_name(hb)
    assert {name for name, _ in expected} >= {
        "Assets:AT:Intercompany:1300", "Income:AT:Intercompany:4100",
        "Expenses:DE:Intercompany:5100", "Liabilities:DE:Intercompany:2100",
        "Assets:US:Intercompany:1300", "Income:US:Intercompany:4100"}
    if fmt == "beancount":
        check_beancount(path)
        assert beancount_balances(path) == expected
    else:
        check_hledger(path)
        assert hledger_balances(path) == expected
