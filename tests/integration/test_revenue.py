"""`revenue run`: fixed fee by percent complete, milestones on achievement, retainer
straight-line; deferred vs unbilled; closed periods refused, corrections in the next run."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput

from .conftest import load
from .test_contract_models import _balanced, _firm, _work


def _row(report: Any, contract: str, component: str) -> dict[str, str]:
    return next(r for r in report.as_dict()["contracts"]
                if r["contract"] == contract and r["component"] == component)


@pytest.fixture
def firm(hb: Hourbridge, small_bundle: Any) -> dict[str, Any]:
    bundle = _firm(small_bundle, FF={
        "versions": [{"version": 1, "effective_from": "2026-07-01", "billing_model": "fee_only"}],
        "estimate_hours": "40",
        "fee_schedule": [{"id": "FF-1", "bill_on": "2026-07-01", "amount": "6000.00"},
                         {"id": "FF-2", "bill_on": "2026-09-01", "amount": "4000.00"}],
        "milestones": [{"id": "M1", "name": "Sign-off", "amount": "2500.00"}],
    }, RT={"retainer": {"monthly_fee": "1000.00", "included_hours": "5"}})
    load(hb, bundle)
    return bundle


def test_each_component_recognised_and_split_into_deferred_and_unbilled(
        hb: Hourbridge, firm: Any, ingest: Any) -> None:
    _work(hb, ingest, [("a1", "E1", "P-FF", "DEV", "2026-07-06", "8", "x"),
                       ("a2", "E2", "P-FF", "DEV", "2026-07-07", "2", "y")])
    hb.handle(c.RunBilling(date(2026, 7, 31)))
    # issued on July's last day: billed as July's report sees it
    hb.handle(c.IssueInvoices(actor="fin", all_drafts=True, issue_date=date(2026, 7, 31)))
    july = hb.handle(c.RunRevenue("2026-07", "fin"))
    fee = _row(july, "FF", "fixed_fee")
    # 10 of 40 hours: 25 % of 10,000; billed 6,000 ahead of it
    assert (fee["recognised_this_run"], fee["billed_to_date"], fee["deferred"],
            fee["unbilled"]) == ("2500.00", "6000.00", "3500.00", "0.00")
    assert _row(july, "FF", "milestones")["recognised_to_date"] == "0.00"
    assert _row(july, "RT", "retainer")["recognised_to_date"] == "1000.00"
    assert hb.handle(c.RunRevenue("2026-07", "fin")).journal_keys == []  # nothing twice
    balances = _balanced(hb)
    assert balances["2400"] == Decimal("-3500.00")  # 6,000 + 1,000 billed, 3,500 recognised

    # August: more work (36 of 40 h = 90 %), the milestone achieved, no new invoice
    _work(hb, ingest, [("a3", "E1", "P-FF", "DEV", "2026-08-03", "13", "z"),
                       ("a4", "E1", "P-FF", "DEV", "2026-08-04", "13", "z")])
    hb.handle(c.AchieveMilestone("FF", "M1", date(2026, 8, 20), "psa"))
    aug = hb.handle(c.RunRevenue("2026-08", "fin"))
    fee = _row(aug, "FF", "fixed_fee")
    assert (fee["recognised_this_run"], fee["recognised_to_date"], fee["unbilled"]) == (
        "6500.00", "9000.00", "3000.00")  # earned ahead of the schedule: a contract asset
    assert _row(aug, "FF", "milestones")["unbilled"] == "2500.00"
    with pytest.raises(Conflict):
        hb.handle(c.RunRevenue("2026-07", "fin"))  # runs go forward
    schedule = hb.handle(c.ShowRevenueSchedule("FF"))
    assert [(r["period"], r["component"], r["delta"]) for r in schedule] == [
        ("2026-07", "fixed_fee", "2500.00"), ("2026-08", "fixed_fee", "6500.00"),
        ("2026-08", "milestones", "2500.00")]
    _balanced(hb)


def test_progress_is_capped_and_late_work_corrects_in_the_next_run(
        hb: Hourbridge, firm: Any, ingest: Any) -> None:
    _work(hb, ingest, [("b1", "E1", "P-FF", "DEV", "2026-07-06", "20", "x"),
                       ("b2", "E1", "P-FF", "DEV", "2026-07-07", "20", "y"),
                       ("b3", "E1", "P-FF", "DEV", "2026-07-08", "10", "y")])  # 50 of 40 h
    july = hb.handle(c.RunRevenue("2026-07", "fin"))
    assert _row(july, "FF", "fixed_fee")["recognised_to_date"] == "10000.00"  # capped at 100 %
    # close July; a dry run of the closed period is refused too, naming the first open period
    bundle = copy.deepcopy(firm)
    bundle["entities"][0]["lock_date"] = "2026-07-31"
    load(hb, bundle)
    with pytest.raises(Conflict):
        hb.handle(c.RunRevenue("2026-07", "fin", dry_run=True))
    with pytest.raises(InvalidInput):
        hb.handle(c.RunRevenue("2026-13", "fin"))
    dry = hb.handle(c.RunRevenue("2026-09", "fin", dry_run=True))
    assert dry.journal_keys == [] and hb.handle(c.ShowRevenueSchedule("RT"))[-1]["period"] == (
        "2026-07")
    # a milestone accepted in closed July, reported late: the first open run books it
    hb.handle(c.AchieveMilestone("FF", "M1", date(2026, 7, 20), "psa"))
    sept = hb.handle(c.RunRevenue("2026-09", "fin"))
    assert _row(sept, "RT", "retainer")["recognised_this_run"] == "2000.00"  # Aug + Sep
    assert _row(sept, "FF", "milestones")["recognised_this_run"] == "2500.00"
    assert hb.handle(c.ShowRevenueSchedule("FF"))[-1]["posted_on"] == "2026-09-30"
    _balanced(hb)
