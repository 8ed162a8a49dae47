"""Fixed fees on a real database (SQLite and PostgreSQL): the hours of a fee-only contract are
taken without an hourly rate (they measure progress and never bill), and a revenue report of a
period counts as billed only what was invoiced by that period's end."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c

from .conftest import load
from .test_contract_models import _balanced, _firm

FEE_ONLY = [{"version": 1, "effective_from": "2026-07-01", "billing_model": "fee_only"}]


def _with_partner(bundle: dict[str, Any]) -> dict[str, Any]:
    """A partner on no rate card at all (the firm card prices seniors and analysts only),
    assigned to every project."""
    bundle = copy.deepcopy(bundle)
    bundle["employees"].append({"id": "E4", "entity": "DE", "role": "partner"})
    for p in bundle["projects"]:
        p["assignments"].append({"employee": "E4", "valid_from": "2026-07-01"})
    return bundle


def _fee(report: Any) -> dict[str, str]:
    [row] = [r for r in report.as_dict()["contracts"]
             if (r["contract"], r["component"]) == ("FF", "fixed_fee")]
    return row


@pytest.fixture
def fees(hb: Hourbridge, small_bundle: Any) -> dict[str, Any]:
    bundle = _with_partner(_firm(small_bundle, FF={
        "versions": FEE_ONLY, "estimate_hours": "40",
        "fee_schedule": [{"id": "FF-1", "bill_on": "2026-09-01", "amount": "5000.00"},
                         {"id": "FF-2", "bill_on": "2026-10-01", "amount": "5000.00"}]}))
    load(hb, bundle)
    return bundle


def test_fee_only_hours_need_no_rate_and_t_and_m_hours_still_do(
        hb: Hourbridge, fees: Any, ingest: Any) -> None:
    report = ingest([("p1", "E4", "P-FF", "DEV", "2026-09-07", "6", "workshop"),
                     ("p2", "E1", "P-FF", "DEV", "2026-09-08", "4", "design"),
                     ("p3", "E4", "P1", "DEV", "2026-09-07", "2", "review")])
    # the partner's fee-only hours are taken; on the T&M project they have no rate
    assert (report.accepted, report.reasons) == (2, {"no_rate": 1})
    [refused] = hb.queries.exceptions(reason="no_rate")
    assert refused["external_id"] == "p3"
    approved = hb.handle(c.ApproveEntries(actor="pm", project="P-FF"))
    assert (approved.approved, approved.skipped) == (2, [])
    run = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert run.entries_covered == 2  # both measure progress; neither bills by the hour
    assert [s for s in run.skipped if s["reason"] == "no_rate"] == []
    assert [(i["contract"], i["net"]) for i in run.invoices] == [("FF", "5000.00")]
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 9, 30)))
    # 10 of 40 hours measured, the rate-less ones included
    sept = hb.handle(c.RunRevenue("2026-09", "fin"))
    [fee] = [r for r in sept.as_dict()["contracts"] if r["contract"] == "FF"]
    assert fee["basis"] == "25.00 % complete by hours"
    assert _balanced(hb).get("1210", 0) == 0  # fee-only hours book no WIP


def test_retry_takes_hours_refused_before_the_contract_became_fee_only(
        hb: Hourbridge, fees: Any, ingest: Any) -> None:
    """Re-evaluation: an exception kept from when the contract billed by the hour is taken
    once the contract is fee-only, without a rate card being added."""
    bundle = copy.deepcopy(fees)
    tm = next(k for k in bundle["contracts"] if k["id"] == "FF")
    tm["versions"] = [{"version": 1, "effective_from": "2026-07-01"}]
    load(hb, bundle)
    assert ingest([("r1", "E4", "P-FF", "DEV", "2026-09-07", "3", "x")]).reasons == {
        "no_rate": 1}
    [item] = hb.queries.exceptions(reason="no_rate")
    assert hb.handle(c.RetryExceptions((item["id"],))).resolved == []  # still T&M
    load(hb, fees)
    assert hb.handle(c.RetryExceptions((item["id"],))).resolved == [item["id"]]
    assert [e["external_id"] for e in hb.queries.entries(project="P-FF")] == ["r1"]


def test_a_period_report_counts_only_what_was_invoiced_by_its_end(
        hb: Hourbridge, fees: Any, ingest: Any) -> None:
    ingest([("w1", "E1", "P-FF", "DEV", "2026-09-07", "10", "x")])
    hb.handle(c.ApproveEntries(actor="pm", project="P-FF"))
    hb.handle(c.RunBilling(date(2026, 9, 30)))
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 9, 30)))
    october = hb.handle(c.RunBilling(date(2026, 10, 31)))
    [installment] = october.invoices
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 10, 1)))
    # September's report, run after October's installment was issued: 10 of 40 h recognised
    # (2,500.00), billed by 30 September only FF-1
    sept = _fee(hb.handle(c.RunRevenue("2026-09", "fin")))
    assert (sept["billed_to_date"], sept["deferred"], sept["unbilled"]) == (
        "5000.00", "2500.00", "0.00")
    assert hb.handle(c.RunRevenue("2026-09", "fin")).as_dict()["billed_as_of"] == "2026-09-30"
    octo = _fee(hb.handle(c.RunRevenue("2026-10", "fin")))
    assert (octo["billed_to_date"], octo["deferred"]) == ("10000.00", "7500.00")
    # a credit note issued in November takes the installment back from November on only
    hb.handle(c.IssueCreditNote(installment["id"], actor="fin", reason="re-scope",
                                mode="write_off", issue_date=date(2026, 11, 2)))
    still = _fee(hb.handle(c.RunRevenue("2026-10", "fin", dry_run=True)))
    assert still["billed_to_date"] == "10000.00"
    nov = _fee(hb.handle(c.RunRevenue("2026-11", "fin", dry_run=True)))
    assert (nov["billed_to_date"], nov["deferred"]) == ("5000.00", "2500.00")
    _balanced(hb)


def test_a_void_counts_as_billed_until_its_void_date(hb: Hourbridge, fees: Any) -> None:
    [first] = hb.handle(c.RunBilling(date(2026, 9, 30))).invoices
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 9, 30)))
    hb.handle(c.VoidInvoice(first["id"], "fin", "wrong customer", date(2026, 10, 15)))
    assert _fee(hb.handle(c.RunRevenue("2026-09", "fin")))["billed_to_date"] == "5000.00"
    assert _fee(hb.handle(c.RunRevenue("2026-10", "fin", dry_run=True)))[
        "billed_to_date"] == "0.00"
    _balanced(hb)
