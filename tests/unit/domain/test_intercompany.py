"""Intercompany charges: transfer price, refusals and the two balanced journal entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.intercompany import (
    AWAITING_FX,
    BOOKED,
    IntercompanyCharge,
    buyer_entry,
    cost_rate_on,
    price_charge,
    seller_entry,
    transfer_price,
)
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import CostRate, Employee, LegalEntity
from hourbridge.domain.problems import Problem

US = LegalEntity("US", "Ashgrove LLC", "US", "USD", "US")
DE = LegalEntity("DE", "Ashgrove GmbH", "DE", "EUR", "DE")
US2 = LegalEntity("US2", "Ashgrove West LLC", "US", "USD", "UW")
ANN = Employee("ANN", "US", "senior", cost_rates=(
    CostRate(date(2026, 1, 1), Decimal("80.00"), "USD"),
    CostRate(date(2026, 9, 1), Decimal("84.00"), "USD")))


def md(**markups: str) -> MasterData:
    pairs = {tuple(k.split("_")): Decimal(v) for k, v in markups.items()}
    return MasterData(entities={"US": US, "DE": DE, "US2": US2}, employees={"ANN": ANN},
                      intercompany=pairs)  # type: ignore[arg-type]


def test_cost_rate_in_force_on_the_work_date() -> None:
    assert cost_rate_on(ANN, date(2025, 12, 31)) is None
    rate = cost_rate_on(ANN, date(2026, 8, 31))
    assert rate is not None and rate.rate == Decimal("80.00")
    later = cost_rate_on(ANN, date(2026, 9, 1))
    assert later is not None and later.rate == Decimal("84.00")


def test_price_is_cost_plus_the_pair_markup_and_unconfigured_pairs_charge_at_cost() -> None:
    charge = price_charge(md(US_DE="12.5"), 7, "ANN", "P-DE", "DE", date(2026, 8, 3), 5400)
    assert isinstance(charge, IntercompanyCharge)
    assert (charge.cost_rate, charge.markup_percent, charge.transfer_price) == (
        Decimal("80.00"), Decimal("12.5"), Decimal("90.00000000"))
    assert charge.amount == Decimal("135.00")  # 1.5 h x 90
    assert (charge.currency, charge.buyer_currency, charge.status) == ("USD", "EUR", AWAITING_FX)
    at_cost = price_charge(md(), 7, "ANN", "P-W", "US2", date(2026, 9, 3), 1800)
    assert isinstance(at_cost, IntercompanyCharge)
    assert (at_cost.markup_percent, at_cost.amount, at_cost.status) == (
        Decimal(0), Decimal("42.00"), BOOKED)


def test_no_cost_rate_is_no_transfer_price() -> None:
    found = price_charge(md(), 7, "ANN", "P-DE", "DE", date(2025, 6, 1), 3600)
    assert isinstance(found, Problem) and found.code == "no_transfer_price"
    assert found.field == "cost_rates" and found.where == "entry 7"
    assert found.owner == "finance"
    foreign = MasterData(entities={"US": US, "DE": DE}, employees={"ANN": Employee(
        "ANN", "US", "senior", cost_rates=(CostRate(date(2026, 1, 1), Decimal(70), "EUR"),))})
    found = price_charge(foreign, 7, "ANN", "P-DE", "DE", date(2026, 6, 1), 3600)
    assert isinstance(found, Problem) and "EUR" in found.message


def test_transfer_price_keeps_eight_decimals() -> None:
    assert transfer_price(Decimal("33.33"), Decimal("7.77")) == Decimal("35.91974100")
    assert transfer_price(Decimal("0.01"), Decimal("33.333333")) == Decimal("0.01333333")


def _charge(amount: str, project: str = "P", employee: str = "ANN",
            buyer: LegalEntity = US2) -> IntercompanyCharge:
    return IntercompanyCharge(1, "US", buyer.code, employee, project, date(2026, 8, 3), 3600,
                              Decimal(amount), Decimal(0), Decimal(amount), Decimal(amount),
                              "USD", buyer.currency)


def test_both_sides_book_balanced_entries_on_their_own_accounts() -> None:
    charges = [_charge("10.00"), _charge("5.50"), _charge("7.25", project="Q")]
    sale = seller_entry("s", US, "US2", date(2026, 11, 2), charges)
    purchase = buyer_entry("p", US2, "US", date(2026, 11, 2), charges)
    assert sale is not None and purchase is not None
    assert not sale.imbalance() and not purchase.imbalance()
    debit = {(p.account, p.project): p.debit for p in sale.postings if p.debit}
    assert debit == {("1300", "P"): Decimal("15.50"), ("1300", "Q"): Decimal("7.25")}
    assert {p.account for p in sale.postings if p.credit} == {"4100"}
    assert {p.account for p in purchase.postings if p.debit} == {"5100"}
    assert {p.account for p in purchase.postings if p.credit} == {"2100"}
    assert all(p.employee == "ANN" for p in sale.postings + purchase.postings)


def test_buyer_in_another_currency_books_nothing_yet() -> None:
    assert buyer_entry("p", DE, "US", date(2026, 11, 2), [_charge("10.00", buyer=DE)]) is None
    assert seller_entry("s", US, "DE", date(2026, 11, 2), [_charge("0.00", buyer=DE)]) is None


@given(st.lists(st.tuples(st.decimals(min_value=0, max_value=10_000, places=2),
                          st.sampled_from("PQR"), st.sampled_from(["ANN", "BOB"])),
                min_size=1, max_size=20))
def test_seller_and_buyer_book_the_same_total(items: list[tuple[Decimal, str, str]]) -> None:
    charges = [_charge(str(a), p, e) for a, p, e in items]
    sale = seller_entry("s", US, "US2", date(2026, 11, 2), charges)
    purchase = buyer_entry("p", US2, "US", date(2026, 11, 2), charges)
    total = sum((a for a, _, _ in items), Decimal(0))
    if total == 0:
        assert sale is None and purchase is None
        return
    assert sale is not None and purchase is not None
    assert sum(p.debit for p in sale.postings) == total == sum(
        p.debit for p in purchase.postings)
