"""Every contract model on a real database: fixed fee, milestones, retainer drawdown with
rollover, not-to-exceed caps (hold and write-down), fee-only hours; each charge billed once,
credits release exactly what they credit, and the ledger stays balanced."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .conftest import load
from .test_expenses import ingest as ingest_expenses


def _firm(small_bundle: dict[str, Any], **contracts: dict[str, Any]) -> dict[str, Any]:
    """The small firm with one project per extra contract (E1 senior, E2 analyst on each)."""
    bundle = copy.deepcopy(small_bundle)
    for cid, terms in contracts.items():
        bundle["contracts"].append({
            "id": cid, "customer": "ACME", "entity": "DE", "currency": "EUR",
            "start_date": "2026-07-01", "end_date": "2026-12-31",
            "versions": terms.pop("versions", [{"version": 1, "effective_from": "2026-07-01"}]),
            **terms})
        bundle["projects"].append({
            "code": f"P-{cid}", "name": cid, "customer": "ACME", "entity": "DE",
            "contract": cid, "tasks": [{"code": "DEV", "name": "Development"}],
            "assignments": [{"employee": "E1", "valid_from": "2026-07-01"},
                            {"employee": "E2", "valid_from": "2026-07-01"}]})
    return bundle


def _lines(hb: Hourbridge, invoice_id: int) -> list[tuple[str, str, str]]:
    inv = hb.queries.invoice(invoice_id)
    assert inv is not None
    return [(ln["kind"], ln["charge_ref"] or "", ln["amount"]) for ln in inv["lines"]]


def _balanced(hb: Hourbridge) -> dict[str, Decimal]:
    hb.worker.drain()
    balances = {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}
    assert sum(balances.values()) == 0
    return balances


def _work(hb: Hourbridge, ingest: Any, rows: list[tuple[Any, ...]]) -> None:
    report = ingest(rows, name=f"{rows[0][0]}.csv")
    assert report.rejected == 0, hb.queries.exceptions_by_reason()
    hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 12, 31),
                               date_from=date(2026, 7, 1)))


def test_fixed_fee_bills_installments_and_covers_hours(hb: Hourbridge, small_bundle: Any,
                                                       ingest: Any) -> None:
    load(hb, _firm(small_bundle, FF={
        "versions": [{"version": 1, "effective_from": "2026-07-01", "billing_model": "fee_only"}],
        "estimate_hours": "100",
        "fee_schedule": [{"id": "FF-1", "bill_on": "2026-08-01", "amount": "10000.00"},
                         {"id": "FF-2", "bill_on": "2026-10-01", "amount": "5000.00"}]}))
    _work(hb, ingest, [("f1", "E1", "P-FF", "DEV", "2026-08-03", "6", "x"),
                       ("f2", "E2", "P-FF", "DEV", "2026-09-03", "4", "y")])
    run = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert [(i["period"], i["net"]) for i in run.invoices] == [("2026-08", "10000.00")]
    assert run.entries_covered == 2  # the hours are the fee's, never billed by the hour
    assert _lines(hb, run.invoices[0]["id"]) == [("fee", "FF-1", "10000.00")]
    again = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert again.invoices == []  # billed once
    later = hb.handle(c.RunBilling(date(2026, 10, 31)))
    assert [(i["period"], i["net"]) for i in later.invoices] == [("2026-10", "5000.00")]
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 10, 31)))
    balances = _balanced(hb)
    assert balances["2400"] == Decimal("-15000.00")  # deferred until revenue is recognised
    assert balances.get("1210", Decimal(0)) == 0  # fee-only hours booked no WIP

    # a rebill credit of the installment lets it bill again; a write-off would not
    note = hb.handle(c.IssueCreditNote(run.invoices[0]["id"], actor="fin", reason="wrong PO",
                                       mode="rebill", issue_date=date(2026, 11, 2)))
    assert note.net == Decimal("10000.00")
    rebill = hb.handle(c.RunBilling(date(2026, 11, 30)))
    assert [(i["period"], i["net"]) for i in rebill.invoices] == [("2026-08", "10000.00")]
    assert _balanced(hb)["2400"] == Decimal("-5000.00")  # credited; the rebill is a draft
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 11, 30)))
    assert _balanced(hb)["2400"] == Decimal("-15000.00")


def test_milestones_bill_once_achieved(hb: Hourbridge, small_bundle: Any) -> None:
    load(hb, _firm(small_bundle, MS={
        "versions": [{"version": 1, "effective_from": "2026-07-01", "billing_model": "fee_only"}],
        "milestones": [{"id": "M1", "name": "Design accepted", "amount": "8000.00"},
                       {"id": "M2", "name": "Go-live", "amount": "12000.00"}]}))
    assert hb.handle(c.RunBilling(date(2026, 9, 30))).invoices == []
    out = hb.handle(c.AchieveMilestone("MS", "M1", date(2026, 9, 14), "psa"))
    assert out["recorded"] is True
    again = hb.handle(c.AchieveMilestone("MS", "M1", date(2026, 9, 14), "psa"))
    assert again["recorded"] is False  # a PSA resending is harmless
    with pytest.raises(Conflict):
        hb.handle(c.AchieveMilestone("MS", "M1", date(2026, 9, 15), "psa"))
    with pytest.raises(NotFound):
        hb.handle(c.AchieveMilestone("MS", "M9", date(2026, 9, 15), "psa"))
    with pytest.raises(InvalidInput):
        hb.handle(c.AchieveMilestone("MS", "M2", date(2027, 1, 5), "psa"))
    assert hb.handle(c.RunBilling(date(2026, 9, 13))).invoices == []  # not yet by that date
    run = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert _lines(hb, run.invoices[0]["id"]) == [("milestone", "M1", "8000.00")]
    assert hb.handle(c.RunBilling(date(2026, 12, 31))).invoices == []
    status = hb.handle(c.ShowContract("MS"))
    assert [(m["id"], m["state"]) for m in status["milestones"]] == [
        ("M1", "billed"), ("M2", "unbilled")]


def test_retainer_draws_down_rolls_over_and_bills_overage(hb: Hourbridge, small_bundle: Any,
                                                         ingest: Any) -> None:
    load(hb, _firm(small_bundle, RT={
        "retainer": {"monthly_fee": "4000.00", "included_hours": "10", "unused": "roll_over",
                     "rollover_limit_hours": "5"}}))
    # July: 4 h used, 6 unused (5 roll over); August: 10 + 5 available, 17 h worked
    _work(hb, ingest, [("r1", "E1", "P-RT", "DEV", "2026-07-06", "4", "a"),
                       ("r2", "E1", "P-RT", "DEV", "2026-08-03", "8", "b"),
                       ("r3", "E2", "P-RT", "DEV", "2026-08-04", "9", "c")])
    early = hb.handle(c.RunBilling(date(2026, 8, 20)))
    # fees in advance for July and August; July settles, August (incomplete) waits
    assert [(i["period"], i["net"]) for i in early.invoices] == [
        ("2026-07", "4000.00"), ("2026-08", "4000.00")]
    assert [s["period"] for s in early.settlements] == ["2026-07"]
    assert early.settlements[0]["rolled_over_hours"] == "5"
    assert _lines(hb, early.invoices[0]["id"]) == [
        ("retainer_hours", "2026-07", "0.00"), ("retainer_fee", "2026-07", "4000.00")]
    late = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert late.settlements[0]["used_hours"] == "15"
    assert late.settlements[0]["overage_hours"] == "2"
    (aug,) = late.invoices
    # r3 crosses the limit: 7 h covered, 2 h overage at the analyst rate (90)
    assert _lines(hb, aug["id"]) == [("retainer_hours", "2026-08", "0.00"),
                                     ("time", "", "180.00")]
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 9, 1)))
    balances = _balanced(hb)
    assert balances["2400"] == Decimal("-8000.00") and balances["4000"] == Decimal("-180.00")


def test_hold_cap_keeps_work_over_the_cap_unbilled(hb: Hourbridge, small_bundle: Any,
                                                   ingest: Any) -> None:
    bundle = _firm(small_bundle, CAP={"cap": {"hours": "5", "over_cap": "hold"}})
    load(hb, bundle)
    _work(hb, ingest, [("c1", "E2", "P-CAP", "DEV", "2026-08-03", "4", "a"),
                       ("c2", "E2", "P-CAP", "DEV", "2026-08-04", "2", "b")])
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert [i["net"] for i in run.invoices] == ["360.00"]
    assert [s["reason"] for s in run.skipped] == ["over_cap"]
    assert hb.queries.exceptions_by_reason().get("over_cap") == 1
    # a cap below what is invoiced is refused, naming the field
    low = copy.deepcopy(bundle)
    low["contracts"][-1]["cap"]["hours"] = "3"
    with pytest.raises(InvalidInput) as refused:
        load(hb, low)
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("cap_below_billed", "cap.hours")]
    bundle["contracts"][-1]["cap"]["hours"] = "6"  # raising the cap releases the work
    load(hb, bundle)
    assert [i["net"] for i in hb.handle(c.RunBilling(date(2026, 8, 31))).invoices] == ["180.00"]
    assert hb.queries.exceptions_by_reason().get("over_cap") is None


def test_write_down_cap_bills_all_with_a_visible_adjustment(hb: Hourbridge, small_bundle: Any,
                                                            ingest: Any) -> None:
    load(hb, _firm(small_bundle, NTE={"cap": {"amount": "500.00", "over_cap": "write_down"}}))
    _work(hb, ingest, [("w1", "E2", "P-NTE", "DEV", "2026-08-03", "4", "a"),
                       ("w2", "E2", "P-NTE", "DEV", "2026-08-04", "3", "b")])
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert [i["net"] for i in run.invoices] == ["500.00"]
    assert _lines(hb, run.invoices[0]["id"]) == [("time", "", "630.00"),
                                                  ("cap_write_down", "2026-08", "-130.00")]
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 9, 1)))
    balances = _balanced(hb)
    assert balances["4090"] == Decimal("130.00")  # the write-down, on its own account
    assert balances["1210"] == 0
    _work(hb, ingest, [("w3", "E2", "P-NTE", "DEV", "2026-09-03", "1", "c")])
    more = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert [i["net"] for i in more.invoices] == ["0.00"]  # the cap is reached
    # crediting the capped invoice in full frees its share of the cap again
    hb.handle(c.IssueCreditNote(run.invoices[0]["id"], actor="fin", reason="re-scope",
                                mode="write_off", issue_date=date(2026, 10, 1)))
    _balanced(hb)


def test_expenses_pass_through_at_cost_with_markup_or_not_at_all(
        hb: Hourbridge, small_bundle: Any) -> None:
    load(hb, _firm(small_bundle,
                   XM={"expenses": {"billing": "markup", "markup_percent": "10"}},
                   XC={"expenses": {"billing": "at_cost"}}, XN={}))
    report = ingest_expenses(hb, [
        ("x1", "E1", "P-XM", "DEV", "2026-08-10", "120.50", "EUR", "travel", "train", ""),
        ("x2", "E2", "P-XM", "DEV", "2026-08-11", "80.00", "EUR", "travel", "taxi", ""),
        ("x3", "E1", "P-XC", "DEV", "2026-08-12", "99.99", "EUR", "hotel", "", ""),
        ("x4", "E1", "P-XN", "DEV", "2026-08-12", "40.00", "EUR", "meals", "", "")])
    assert report.rejected == 0
    hb.handle(c.ApproveExpenses("pm", date_to=date(2026, 8, 31)))
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    by_contract = {i["contract"]: i for i in run.invoices}
    assert set(by_contract) == {"XM", "XC"}  # XN keeps its expenses
    assert _lines(hb, by_contract["XM"]["id"]) == [("expense", "travel", "220.55")]  # 200.50+10 %
    assert _lines(hb, by_contract["XC"]["id"]) == [("expense", "hotel", "99.99")]
    states = {e["external_id"]: e["billing"] for e in hb.queries.expenses()}
    assert states == {"x1": "billed", "x2": "billed", "x3": "billed", "x4": "non_billable"}
    assert hb.handle(c.RunBilling(date(2026, 8, 31))).invoices == []  # billed once
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 9, 1)))
    assert _balanced(hb)["4200"] == Decimal("-320.54")  # expense recoveries
    hb.handle(c.IssueCreditNote(by_contract["XC"]["id"], actor="fin", reason="receipt missing",
                                mode="rebill", issue_date=date(2026, 9, 2)))
    assert {e["external_id"]: e["billing"] for e in hb.queries.expenses()}["x3"] == "unbilled"
    again = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert [i["net"] for i in again.invoices] == ["99.99"]
    assert _balanced(hb)["4200"] == Decimal("-220.55")


def test_a_void_gives_back_fees_expenses_and_the_retainer_month(
        hb: Hourbridge, small_bundle: Any, ingest: Any) -> None:
    load(hb, _firm(small_bundle, RV={
        "retainer": {"monthly_fee": "2000.00", "included_hours": "1"},
        "fee_schedule": [{"id": "SET", "bill_on": "2026-07-01", "amount": "500.00"}],
        "expenses": {"billing": "at_cost"}}))
    _work(hb, ingest, [("v1", "E2", "P-RV", "DEV", "2026-07-06", "3", "a")])
    ingest_expenses(hb, [("y1", "E2", "P-RV", "DEV", "2026-07-07", "40.00", "EUR", "taxi", "",
                          "")])
    hb.handle(c.ApproveExpenses("pm", date_to=date(2026, 7, 31)))
    first = hb.handle(c.RunBilling(date(2026, 7, 31)))
    (july,) = first.invoices
    assert july["net"] == "2720.00"  # fee 2,000 + setup 500 + 2 h overage at 90 + taxi 40
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 8, 1)))
    before = _balanced(hb)
    assert before["2400"] == Decimal("-2500.00")
    hb.handle(c.VoidInvoice(july["id"], "fin", "sent to the wrong customer",
                            date(2026, 8, 2)))
    after = _balanced(hb)
    assert {k: v for k, v in after.items() if v} == {}  # every posting reversed
    again = hb.handle(c.RunBilling(date(2026, 7, 31)))
    assert [i["net"] for i in again.invoices] == ["2720.00"]  # all of it bills again
    assert [s["period"] for s in again.settlements] == ["2026-07"]
