"""Intercompany charges on a real database: recorded at approval, booked in both entities,
refused without a transfer price, reported per entity pair and currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from support.firm import two_entity_bundle

from .conftest import load

ROWS = [
    ("x1", "X1", "P1", "DEV", "2026-08-10", "2", "AT analyst"),
    ("x2", "X1", "P1", "TRAVEL", "2026-08-11", "1", "AT analyst travels"),  # non-billable
    ("y1", "Y1", "P1", "DEV", "2026-08-10", "1.5", "US analyst"),
    ("z1", "Z1", "P1", "DEV", "2026-08-10", "1", "no cost rate"),
    ("e1", "E1", "P1", "DEV", "2026-08-10", "1", "DE's own"),
]


def tb(hb: Hourbridge) -> dict[tuple[str, str], Decimal]:
    hb.worker.drain()
    return {(r["entity"], r["account"]): Decimal(r["balance"])
            for r in hb.queries.trial_balance()}


def test_cross_entity_approval_charges_the_project_entity(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any) -> None:
    load(hb, two_entity_bundle(small_bundle))
    assert ingest(ROWS).accepted == 5
    report = hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert report.approved == 4
    assert [(s["reason"]) for s in report.skipped] == ["no_transfer_price"]
    assert report.intercompany["charges"] == 3 and report.intercompany["awaiting_fx"] == 1
    assert hb.queries.exceptions_by_reason() == {"no_transfer_price": 1}

    ic = hb.queries.intercompany()
    charges = {ch["employee"] + ch["work_date"][-2:]: ch for ch in ic["charges"]}
    x = charges["X110"]
    assert (x["seller"], x["buyer"], x["hours"], x["cost_rate"], x["markup_percent"],
            x["transfer_price"], x["amount"], x["currency"], x["status"]) == (
        "AT", "DE", "2.00", "60", "10", "66", "132.00", "EUR", "booked")
    assert charges["X111"]["amount"] == "66.00"  # travel is not billed, but it is worked
    y = charges["Y110"]
    assert (y["amount"], y["currency"], y["buyer_currency"], y["status"],
            y["buyer_journal_key"]) == ("105.00", "USD", "EUR", "awaiting_fx", None)
    assert ic["totals"] == [
        {"seller": "AT", "buyer": "DE", "currency": "EUR", "status": "booked", "charges": 2,
         "seconds": 10800, "hours": "3.00", "amount": "198.00"},
        {"seller": "US", "buyer": "DE", "currency": "USD", "status": "awaiting_fx",
         "charges": 1, "seconds": 5400, "hours": "1.50", "amount": "105.00"}]

    balances = tb(hb)
    assert balances[("AT", "1300")] == Decimal("198.00")
    assert balances[("AT", "4100")] == Decimal("-198.00")
    assert balances[("DE", "5100")] == Decimal("198.00")
    assert balances[("DE", "2100")] == Decimal("-198.00")
    assert balances[("US", "1300")] == Decimal("105.00")
    assert ("DE", "2100") in balances and not any(
        k[0] == "DE" and v == Decimal("-105.00") for k, v in balances.items())
    for entity in ("AT", "DE", "US"):
        assert sum(v for k, v in balances.items() if k[0] == entity) == 0


def test_a_cost_rate_loaded_later_lets_the_entry_be_approved(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any) -> None:
    bundle = two_entity_bundle(small_bundle)
    load(hb, bundle)
    ingest(ROWS[3:4])
    first = hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert first.approved == 0 and hb.queries.exceptions_by_reason() == {"no_transfer_price": 1}
    again = hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert again.approved == 0
    assert hb.queries.exceptions_by_reason() == {"no_transfer_price": 1}  # one, not one per try
    z1 = next(e for e in bundle["employees"] if e["id"] == "Z1")
    z1["cost_rates"] = [{"valid_from": "2026-08-01", "rate": "55.00", "currency": "EUR"}]
    load(hb, bundle)
    done = hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert done.approved == 1 and done.intercompany["amount"] == {"EUR": "60.50"}
    assert hb.queries.exceptions_by_reason() == {}
    keys = done.intercompany["journal_keys"]
    assert [k.split(":")[0] for k in keys] == ["intercompany-sale", "intercompany-purchase"]
    assert set(keys) <= set(done.journal_keys)


def test_the_report_filters_by_month_of_work(hb: Hourbridge, small_bundle: dict[str, Any],
                                             ingest: Any) -> None:
    load(hb, two_entity_bundle(small_bundle))
    ingest([ROWS[0], ("x9", "X1", "P1", "DEV", "2026-09-01", "1", "September")])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    august = hb.queries.intercompany(period="2026-08")
    september = hb.queries.intercompany(period="2026-09")
    assert [t["amount"] for t in august["totals"]] == ["132.00"]
    assert [t["amount"] for t in september["totals"]] == ["66.00"]
    assert hb.queries.intercompany(period="2026-10")["totals"] == []
    with pytest.raises(InvalidInput, match="period"):
        hb.queries.intercompany(period="2026-13")


def test_credit_notes_leave_the_charge_standing(hb: Hourbridge, small_bundle: dict[str, Any],
                                                ingest: Any) -> None:
    load(hb, two_entity_bundle(small_bundle))
    ingest(ROWS[:1])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    hb.handle(c.IssueInvoices(all_drafts=True))
    hb.handle(c.IssueCreditNote(run.invoices[0]["id"], "finance", "dispute", mode="write_off"))
    [total] = hb.queries.intercompany()["totals"]
    assert (total["charges"], total["amount"]) == (1, "132.00")
    balances = tb(hb)
    assert balances[("DE", "5100")] == Decimal("132.00")
    assert sum(v for k, v in balances.items() if k[0] == "DE") == 0


def test_bundle_refuses_bad_pairs(hb: Hourbridge, small_bundle: dict[str, Any]) -> None:
    small_bundle["intercompany"] = [{"from": "DE", "to": "DE", "markup_percent": "5"},
                                    {"from": "DE", "to": "XX", "markup_percent": "-1"}]
    with pytest.raises(InvalidInput) as refused:
        load(hb, small_bundle)
    messages = " ".join(str(p) for p in refused.value.problems)
    assert "from and to must differ" in messages and "unknown entity 'XX'" in messages
    assert "between 0 and 1000" in messages


def test_zero_priced_work_is_recorded_and_books_nothing(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any) -> None:
    bundle = two_entity_bundle(small_bundle)
    x1 = next(e for e in bundle["employees"] if e["id"] == "X1")
    x1["cost_rates"] = [{"valid_from": "2026-01-01", "rate": "0", "currency": "EUR"}]
    load(hb, bundle)
    ingest(ROWS[:1])
    report = hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert report.intercompany["charges"] == 1 and report.intercompany["journal_keys"] == []
    [charge] = hb.queries.intercompany()["charges"]
    assert (charge["amount"], charge["seller_journal_key"], charge["buyer_journal_key"]) == (
        "0.00", None, None)


def test_a_foreign_currency_charge_books_in_the_buyer_at_the_fx_rate(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any) -> None:
    bundle = two_entity_bundle(small_bundle)
    bundle["fx_rates"] = [{"from_currency": "USD", "to_currency": "EUR",
                           "valid_from": "2026-01-01", "rate": "0.92"}]
    load(hb, bundle)
    ingest(ROWS)
    report = hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert report.intercompany["awaiting_fx"] == 0
    y = next(ch for ch in hb.queries.intercompany()["charges"] if ch["employee"] == "Y1")
    assert y["status"] == "booked" and y["buyer_journal_key"] is not None
    hb.worker.drain()
    rows = [r for r in hb.queries.trial_balance() if r["entity"] == "DE"]
    usd = {r["account"]: r for r in rows if r["currency"] == "USD"}
    assert Decimal(usd["5100"]["balance"]) == Decimal("105.00")
    assert Decimal(usd["5100"]["functional_balance"]) == Decimal("96.60")  # 105 x 0.92
    assert Decimal(usd["2100"]["functional_balance"]) == Decimal("-96.60")
    assert sum(Decimal(r["functional_balance"]) for r in rows) == 0
