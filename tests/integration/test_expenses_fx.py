"""Expenses spent in another currency than their contract, on a real database (SQLite and
PostgreSQL): converted at the contract's FX policy with the markup after conversion, the line
carrying what was spent and the rate, the invoice total and the journal exact to the cent; no
rate in force is a ``no_fx_rate`` exception that ``exceptions retry`` takes once it is loaded.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge
from hourbridge.cli.export import export_app
from hourbridge.domain import commands as c
from hourbridge.domain.fx import translate
from hourbridge.domain.problems import REASON_OWNERS
from support.einvoice import Validator

from .conftest import load
from .test_expenses import ingest as ingest_expenses
from .test_fx import NS, fx_bundle

CENT = D("0.01")
MARKUP = D("12.5")


def _bundle() -> dict[str, Any]:
    """The FX firm (DE in EUR; KCH in CHF, KUS in USD) with expenses billed at a markup on
    the CHF contract and on the EUR contract K1, and an EUR -> CHF rate for the former."""
    bundle = copy.deepcopy(fx_bundle())
    for k in bundle["contracts"]:
        if k["id"] in ("K1", "KCH"):
            k["expenses"] = {"billing": "markup", "markup_percent": str(MARKUP)}
    bundle["fx_rates"].append({"from_currency": "EUR", "to_currency": "CHF",
                               "valid_from": "2026-07-01", "rate": "0.94371"})
    return bundle


def _expected(amount: str, rate: str) -> D:
    """The line as the customer re-computes it: spent x rate x (1 + markup), rounded once."""
    return (D(amount) * D(rate) * (1 + MARKUP / 100)).quantize(CENT, ROUND_HALF_UP)


def test_a_foreign_currency_expense_bills_with_markup_exact_to_the_cent(
        hb: Hourbridge) -> None:
    load(hb, _bundle())
    report = ingest_expenses(hb, [
        # on the CHF contract: EUR spent, converted EUR -> CHF
        ("x1", "E1", "PCH", "DEV", "2026-08-10", "233.35", "EUR", "travel", "flight", ""),
        ("x2", "E2", "PCH", "DEV", "2026-08-12", "0.03", "EUR", "travel", "toll", ""),
        ("x3", "E1", "PCH", "DEV", "2026-08-13", "87.40", "CHF", "meals", "", ""),
        # on the EUR contract: CHF at two rates (the rate changes on 15 August) and USD
        ("y1", "E1", "P1", "DEV", "2026-08-11", "120.55", "CHF", "travel", "train", ""),
        ("y2", "E2", "P1", "DEV", "2026-08-20", "99.90", "CHF", "travel", "taxi", ""),
        ("y3", "E1", "P1", "DEV", "2026-08-21", "45.00", "USD", "hotel", "", "")])
    assert (report.accepted, report.rejected) == (6, 0)
    hb.handle(c.ApproveExpenses("pm", date_to=date(2026, 8, 31)))
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert not [s for s in run.skipped if s["reason"] == "no_fx_rate"]
    by_contract = {i["contract"]: i["id"] for i in run.invoices}

    chf = hb.queries.invoice(by_contract["KCH"])
    assert chf is not None and chf["currency"] == "CHF"
    lines = {ln["charge_ref"]: ln for ln in chf["lines"]}
    travel = lines["travel/EUR"]
    assert (travel["original_amount"], travel["original_currency"], travel["original_rate"],
            travel["amount"]) == ("233.38", "EUR", "0.94371", str(_expected("233.38",
                                                                            "0.94371")))
    assert "233.38 EUR at 0.94371 CHF/EUR + 12.5 % markup" in travel["description"]
    home = lines["meals"]  # spent in the contract's currency: as before, nothing converted
    assert (home["amount"], home["original_currency"]) == (
        str((D("87.40") * (1 + MARKUP / 100)).quantize(CENT, ROUND_HALF_UP)), None)
    net = sum((D(ln["amount"]) for ln in chf["lines"]), D(0))
    assert D(chf["net"]) == net and D(chf["total"]) == net + D(chf["tax"])

    eur = hb.queries.invoice(by_contract["K1"])
    assert eur is not None
    got = {(ln["charge_ref"], ln["original_rate"]): ln["amount"] for ln in eur["lines"]}
    assert got == {("travel/CHF/1", "1.0612"): str(_expected("120.55", "1.0612")),
                   ("travel/CHF/2", "1.0587"): str(_expected("99.90", "1.0587")),
                   ("hotel/USD", "0.9215"): str(_expected("45.00", "0.9215"))}
    assert D(eur["net"]) == sum((D(a) for a in got.values()), D(0))

    # issued on 2 November: the CHF invoice is booked in CHF, translated at that day's rate
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 11, 2)))
    assert hb.worker.drain().dead == 0
    issued = hb.queries.invoice(by_contract["KCH"])
    assert issued is not None and issued["fx_rate"] == "1.0649"
    [entry] = [e for e in hb.queries.journal(limit=1000)
               if e["key"] == f"invoice-issued:DE:{issued['number']}"]
    recoveries = [ln for ln in entry["lines"] if ln["account"] == "4200"]
    assert [(ln["currency"], D(ln["credit"]), D(ln["functional_amount"]))
            for ln in recoveries] == [
        ("CHF", D(issued["net"]), translate(-D(issued["net"]), D("1.0649"), "EUR"))]
    receivable = [ln for ln in entry["lines"] if ln["account"] == "1200"]
    assert [(ln["currency"], D(ln["debit"])) for ln in receivable] == [
        ("CHF", D(issued["total"]))]
    assert sum((D(ln["functional_amount"]) for ln in entry["lines"]), D(0)) == 0
    tb = hb.queries.trial_balance()
    assert sum((D(r["functional_balance"]) for r in tb), D(0)) == 0
    eur_recoveries = [D(r["balance"]) for r in tb
                      if r["account"] == "4200" and r["currency"] == "EUR"]
    assert eur_recoveries == [-D(eur["net"])]

    # billed once: a second run has nothing left
    assert hb.handle(c.RunBilling(date(2026, 8, 31))).invoices == []
    states = {e["external_id"]: e["billing"] for e in hb.queries.expenses()}
    assert set(states.values()) == {"billed"}

    # a credit note of the converted line says what was spent and the rate, too; the
    # expenses bill again at the same rate (the one in force on the days spent)
    note = hb.handle(c.IssueCreditNote(issued["id"], actor="fin", reason="receipt missing",
                                       mode="rebill", issue_date=date(2026, 11, 3)))
    credit = hb.queries.invoice(note.as_dict()["id"])
    assert credit is not None
    credited = {ln["charge_ref"]: ln for ln in credit["lines"]}["travel/EUR"]
    assert (credited["amount"], credited["original_amount"], credited["original_currency"],
            credited["original_rate"]) == (travel["amount"], "233.38", "EUR", "0.94371")
    [again] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    rebilled = hb.queries.invoice(again["id"])
    assert rebilled is not None and rebilled["net"] == chf["net"]
    assert [ln["original_rate"] for ln in rebilled["lines"]] == [None, "0.94371"]


def test_no_rate_is_an_exception_until_the_rate_is_loaded(hb: Hourbridge) -> None:
    bundle = _bundle()
    load(hb, bundle)
    report = ingest_expenses(hb, [
        ("j1", "E1", "P1", "DEV", "2026-08-10", "15800", "JPY", "hotel", "Kyoto", "")])
    assert report.reasons == {"no_fx_rate": 1}
    [item] = hb.queries.exceptions(reason="no_fx_rate")
    assert (item["field"], item["owner_role"]) == ("currency", REASON_OWNERS["no_fx_rate"])
    assert "no JPY -> EUR rate in force on 2026-08-10" in item["message"]
    # still none in force on the day spent: retrying keeps the exception, never guesses
    bundle["fx_rates"].append({"from_currency": "JPY", "to_currency": "EUR",
                               "valid_from": "2026-09-01", "rate": "0.00612"})
    load(hb, bundle)
    assert hb.handle(c.RetryExceptions((item["id"],))).resolved == []
    bundle["fx_rates"].append({"from_currency": "JPY", "to_currency": "EUR",
                               "valid_from": "2026-08-01", "rate": "0.00615"})
    load(hb, bundle)
    assert hb.handle(c.RetryExceptions((item["id"],))).resolved == [item["id"]]
    hb.handle(c.ApproveExpenses("pm", date_to=date(2026, 8, 31)))
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    inv = hb.queries.invoice(run.invoices[0]["id"])
    assert inv is not None
    [line] = inv["lines"]
    assert (line["original_amount"], line["original_currency"], line["original_rate"]) == (
        "15800", "JPY", "0.00615")  # in yen's minor units: none
    assert line["amount"] == str(_expected("15800", "0.00615"))


def test_the_e_invoice_line_says_what_was_spent_and_the_rate(hb: Hourbridge,
                                                             cli_db: Path) -> None:
    load(hb, _bundle())
    ingest_expenses(hb, [
        ("x1", "E1", "PCH", "DEV", "2026-08-10", "233.35", "EUR", "travel", "flight", "")])
    hb.handle(c.ApproveExpenses("pm", date_to=date(2026, 8, 31)))
    [invoice] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 11, 2)))
    validator = Validator()
    said = "233.35 EUR converted at 1 EUR = 0.94371 CHF"
    for fmt in ("ubl", "cii"):
        out = cli_db / f"invoice.{fmt}.xml"
        # written to a file: the CLI's stdout may carry log lines when logging is unset
        result = CliRunner().invoke(export_app, ["invoice", str(invoice["id"]), "--format",
                                                 fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        xml = out.read_bytes()
        report = validator.validate(xml)
        assert report.schema_errors == [] and report.failed_ids == set(), report.explain()
        root = ET.fromstring(xml)
        # BT-154 item description: cac:Item/cbc:Description (UBL), ram:SpecifiedTradeProduct/
        # ram:Description (CII)
        path = (".//cac:InvoiceLine/cac:Item/cbc:Description" if fmt == "ubl"
                else ".//ram:SpecifiedTradeProduct/ram:Description")
        assert [e.text for e in root.findall(path, NS)] == [said]


def test_a_run_without_a_rate_skips_the_expense_and_the_next_run_bills_it(
        hb: Hourbridge) -> None:
    """Taken while K1 kept its expenses (no rate needed then); K1 passes them on from now,
    and the run has no rate: it says so and bills nothing for it, never a guess."""
    bundle = _bundle()
    keep = copy.deepcopy(bundle)
    next(k for k in keep["contracts"] if k["id"] == "K1")["expenses"] = {
        "billing": "not_billable"}
    load(hb, keep)
    assert ingest_expenses(hb, [("g1", "E1", "P1", "DEV", "2026-08-10", "64.20", "GBP",
                                 "travel", "Heathrow Express", "")]).accepted == 1
    hb.handle(c.ApproveExpenses("pm", date_to=date(2026, 8, 31)))
    load(hb, bundle)
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert run.invoices == []
    [skip] = [s for s in run.skipped if s["reason"] == "no_fx_rate"]
    assert (skip["kind"], skip["contract"]) == ("expense", "K1")
    assert "no GBP -> EUR rate in force on 2026-08-10" in skip["message"]
    assert {e["external_id"]: e["billing"] for e in hb.queries.expenses()} == {
        "g1": "unbilled"}
    bundle["fx_rates"].append({"from_currency": "GBP", "to_currency": "EUR",
                               "valid_from": "2026-08-01", "rate": "1.1873"})
    load(hb, bundle)
    [invoice] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert invoice["net"] == str(_expected("64.20", "1.1873"))
