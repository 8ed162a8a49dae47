"""Multi-currency: the rate table, the rate-date policies, and journal entries that balance in
the transaction currency and in the functional currency, with FX differences on their own
account."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.credits import relieve, restore
from hourbridge.domain.fx import (
    FxRate,
    FxRateDate,
    FxTable,
    rate_problem,
    translate,
    translate_step,
)
from hourbridge.domain.fxpolicy import invoice_rate, wip_rate
from hourbridge.domain.ledger import (
    JournalEntry,
    Posting,
    Translation,
    WipAmount,
    adjustment_entry,
    approval_entry,
    balanced,
    credit_note_entry,
    issue_entry,
)
from hourbridge.domain.problems import Problem
from hourbridge.errors import UnbalancedJournal

D = Decimal
Z = D(0)
ON = date(2026, 9, 30)
RATES = FxTable([
    FxRate("CHF", "EUR", date(2026, 8, 1), D("1.0612")),
    FxRate("CHF", "EUR", date(2026, 8, 15), D("1.0587")),
    FxRate("CHF", "EUR", date(2026, 9, 15), D("1.0649")),
    FxRate("USD", "EUR", date(2026, 1, 1), D("0.92")),
])


# --- the rate table --------------------------------------------------------------------------
@pytest.mark.parametrize(("day", "rate"), [
    (date(2026, 8, 1), D("1.0612")),   # the first day of a rate
    (date(2026, 8, 14), D("1.0612")),  # until the next one
    (date(2026, 8, 15), D("1.0587")),
    (date(2026, 12, 31), D("1.0649")),  # the latest stays in force
])
def test_the_rate_in_force_is_the_latest_on_or_before_the_day(day: date, rate: Decimal) -> None:
    assert RATES.rate_on("CHF", "EUR", day) == rate


def test_no_rate_before_the_first_or_for_an_unknown_pair_is_refused_not_guessed() -> None:
    early = RATES.rate_on("CHF", "EUR", date(2026, 7, 31))
    assert isinstance(early, Problem) and early.code == "no_fx_rate"
    assert "CHF -> EUR" in early.message and "2026-08-01" in early.message
    unknown = RATES.rate_on("GBP", "EUR", ON)
    assert isinstance(unknown, Problem) and unknown.code == "no_fx_rate"


def test_one_currency_needs_no_rate_and_no_inverse_is_derived() -> None:
    assert RATES.rate_on("EUR", "EUR", ON) == 1
    assert RATES.has_pair("EUR", "EUR") and RATES.has_pair("USD", "EUR")
    assert not RATES.has_pair("EUR", "USD")  # 1 / 0.92 is not exact: load it as its own rate
    assert isinstance(RATES.rate_on("EUR", "USD", ON), Problem)


@pytest.mark.parametrize(("rate", "problem"), [
    (D("0.92"), None), (D("1.23456789"), None), (D("0.00000001"), None),
    (D("0"), "positive"), (D("-1.1"), "positive"), (D("1.234567891"), "more than 8 decimals"),
    (D("1e17"), "too large"), (D("NaN"), "positive"),
])
def test_a_rate_is_positive_with_at_most_eight_decimals(rate: Decimal, problem: str | None
                                                        ) -> None:
    found = rate_problem(rate)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_translation_rounds_half_up_once_to_the_functional_minor_unit() -> None:
    assert translate(D("100.00"), D("1.0587"), "EUR") == D("105.87")
    assert translate(D("0.05"), D("0.5"), "EUR") == D("0.03")  # 0.025 -> 0.03
    assert translate(D("1000"), D("0.0064"), "JPY") == D("6")
    assert translate(D("1.00"), D("0.6"), "KWD") == D("0.600")


@given(parts=st.lists(st.decimals(min_value=D("0.01"), max_value=D("99999"), places=2),
                      min_size=1, max_size=12),
       rate=st.decimals(min_value=D("0.0001"), max_value=D("200"), places=4))
def test_translated_steps_add_up_to_the_translated_whole(parts: list[Decimal], rate: Decimal
                                                        ) -> None:
    before, total = Z, Z
    for part in parts:
        total += translate_step(before, part, rate, "EUR")
        before += part
    assert total == translate(sum(parts, Z), rate, "EUR")


# --- the rate-date policy --------------------------------------------------------------------
def test_each_policy_picks_its_day(build) -> None:
    work, posted, issued = date(2026, 8, 10), date(2026, 9, 20), date(2026, 10, 2)
    chf = build.contract(currency="CHF")
    assert wip_rate(chf, "EUR", RATES, work, posted) == D("1.0612")  # work_date (default)
    assert invoice_rate(chf, "EUR", RATES, issued) == D("1.0649")
    by_invoice = replace(chf, fx_rate_date=FxRateDate.ISSUE_DATE)
    assert wip_rate(by_invoice, "EUR", RATES, work, posted) == D("1.0649")  # approval's day
    assert invoice_rate(by_invoice, "EUR", RATES, issued) == D("1.0649")
    fixed = replace(chf, fx_rate_date=FxRateDate.FIXED, fx_fixed_rate=D("1.05"))
    assert wip_rate(fixed, "EUR", RATES, work, posted) == D("1.05")
    assert invoice_rate(fixed, "EUR", FxTable([]), issued) == D("1.05")  # no table needed
    assert wip_rate(build.contract(), "EUR", FxTable([]), work, posted) == 1  # same currency


def test_a_policy_without_a_rate_says_so(build) -> None:
    early = wip_rate(build.contract(currency="CHF"), "EUR", RATES, date(2026, 7, 1),
                     date(2026, 7, 2))
    assert isinstance(early, Problem) and early.code == "no_fx_rate"
    broken = replace(build.contract(currency="CHF"), fx_rate_date=FxRateDate.FIXED)
    assert isinstance(invoice_rate(broken, "EUR", RATES, ON), Problem)


# --- balancing in both currencies ------------------------------------------------------------
def functional_by_account(entry: JournalEntry) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for p in entry.postings:
        out[p.account] += p.functional_amount
    return dict(out)


def test_balanced_refuses_an_entry_off_in_functional_currency() -> None:
    entry = JournalEntry("k", "DE", ON, "m", "t", "k", (
        Posting("1200", D("10.00"), Z, "CHF", D("10.60"), D("1.06")),
        Posting("4000", Z, D("10.00"), "CHF", D("-10.59"), D("1.06")),
    ))
    with pytest.raises(UnbalancedJournal, match=r"functional currency: 0\.01"):
        balanced(entry)


def test_balanced_refuses_a_functional_amount_on_the_other_side() -> None:
    entry = JournalEntry("k", "DE", ON, "m", "t", "k", (
        Posting("1200", D("10.00"), Z, "CHF", D("-10.60"), D("1.06")),
        Posting("4000", Z, D("10.00"), "CHF", D("10.60"), D("1.06")),
    ))
    with pytest.raises(UnbalancedJournal, match="wrong side"):
        balanced(entry)


def test_issue_takes_the_rate_difference_to_fx_gain_loss(build) -> None:
    entity = build.entity()
    booked = [WipAmount("C", "P", D("1000.00"), D("1061.20"), D("1.0612"))]
    entry = issue_entry("k", entity, "DE-1", "C", "CHF", ON, D("1000.00"), D("190.00"), booked,
                        Translation(D("1.0649")))
    accounts = functional_by_account(entry)
    assert accounts == {"1200": D("1267.23"), "1210": D("-1061.20"), "2200": D("-202.33"),
                        "4900": D("-3.70")}  # a gain: the franc rose between work and invoice
    fx = next(p for p in entry.postings if p.account == "4900")
    assert (fx.debit, fx.credit, fx.currency, fx.fx_rate) == (Z, Z, "CHF", Z)
    assert entry.imbalance() == {} and entry.functional_imbalance() == 0


def test_one_currency_books_exactly_as_before(build) -> None:
    entry = issue_entry("k", build.entity(), "DE-1", "C", "EUR", ON, D("100.00"), D("19.00"),
                        [WipAmount("C", "P", D("90.00"))])
    assert all(p.functional_amount == p.debit - p.credit and p.fx_rate == 1
               for p in entry.postings)
    assert "4900" not in functional_by_account(entry)


def test_an_invoice_credited_in_parts_leaves_nothing_in_receivables(build) -> None:
    entity, rate = build.entity(), D("1.0587")
    total, tax = D("1000.01"), D("159.67")
    issued = issue_entry("i", entity, "DE-1", "C", "CHF", ON, total - tax, tax,
                         [WipAmount("C", "P", total - tax, translate(total - tax, rate, "EUR"),
                                    rate)], Translation(rate))
    receivable = functional_by_account(issued)["1200"]
    before, credited = Z, Z
    for part_net, part_tax in ((D("333.33"), D("63.33")), (D("333.33"), D("63.33")),
                               (D("173.68"), D("33.01"))):
        note = credit_note_entry("c", entity, "DE-2", "C", "CHF", ON, part_net, part_tax, [],
                                 Translation(rate, before))
        credited += functional_by_account(note)["1200"]
        before += part_net + part_tax
    assert before == total and credited == -receivable


def test_an_adjustment_moves_wip_at_its_booked_rate(build) -> None:
    entry = adjustment_entry("a", build.entity(), "CHF", ON, "C", "P", D("-12.50"), "down",
                             D("-13.27"), D("1.0612"))
    assert functional_by_account(entry) == {"1210": D("-13.27"), "4090": D("13.27")}
    assert all(p.fx_rate == D("1.0612") for p in entry.postings)


money = st.decimals(min_value=D("0.01"), max_value=D("50000"), places=2)
rates = st.decimals(min_value=D("0.0001"), max_value=D("150"), places=4)


@given(work=st.lists(st.tuples(money, rates, st.integers(1, 4)), min_size=1, max_size=6),
       invoice_rate_=rates, tax_rate=st.sampled_from([Z, D("0.07"), D("0.19")]),
       rebill=st.booleans(), data=st.data())
def test_every_entry_balances_in_both_currencies_and_wip_clears_in_both(
        build, work: list[tuple[Decimal, Decimal, int]], invoice_rate_: Decimal,
        tax_rate: Decimal, rebill: bool, data: st.DataObject) -> None:
    """Random work at random rates: approval, invoice (WIP relieved in random pieces) and a
    credit note all balance in CHF and in EUR, and unbilled receivables end at zero in both
    once everything is invoiced."""
    entity = build.entity()
    entries = []  # (wip, rate, seconds)
    for amount, rate, pieces in work:
        entries.append((amount, rate, pieces * 3600))
    approval = approval_entry("a", entity, "CHF", ON, [
        WipAmount("C", f"P{i}", w, translate(w, r, "EUR"), r)
        for i, (w, r, _) in enumerate(entries)], "m")
    journal = [approval]
    wip_txn: dict[str, Decimal] = defaultdict(Decimal)
    wip_fun: dict[str, Decimal] = defaultdict(Decimal)
    relieved_all: list[WipAmount] = []
    net = Z
    for i, (w, r, seconds) in enumerate(entries):
        relieved_s, relieved = 0, Z
        cuts = sorted(data.draw(st.lists(st.integers(1, seconds - 1), max_size=3, unique=True)))
        for step in [b - a for a, b in zip([0, *cuts], [*cuts, seconds], strict=True)]:
            a = relieve(w, seconds, relieved_s, relieved, step, "CHF")
            relieved_all.append(WipAmount("C", f"P{i}", a,
                                          translate_step(relieved, a, r, "EUR"), r))
            relieved_s, relieved = relieved_s + step, relieved + a
        net += w + data.draw(st.sampled_from([Z, D("0.01"), D("-0.01")]))
    net = max(net, Z)
    tax = (net * tax_rate).quantize(D("0.01"))
    invoice = issue_entry("i", entity, "DE-1", "C", "CHF", ON, net, tax, relieved_all,
                          Translation(invoice_rate_))
    journal.append(invoice)
    w, r, seconds = entries[0]
    back = restore(w, seconds, seconds, w, seconds, "CHF") if rebill else Z
    restored = [WipAmount("C", "P0", back, -translate_step(w, -back, r, "EUR"), r)] \
        if rebill else []
    journal.append(credit_note_entry("c", entity, "DE-2", "C", "CHF", ON, net, tax, restored,
                                     Translation(invoice_rate_)))
    for entry in journal:
        assert balanced(entry) is entry  # per currency and in functional currency
        for p in entry.postings:
            if p.account == "1210":
                wip_txn[p.currency] += p.debit - p.credit
                wip_fun[p.currency] += p.functional_amount
    assert wip_txn["CHF"] == back
    assert wip_fun["CHF"] == (translate(w, r, "EUR") if rebill else Z)
    receivable = sum((functional_by_account(e).get("1200", Z) for e in journal), Z)
    assert receivable == 0  # credited in full at the invoice's rate
