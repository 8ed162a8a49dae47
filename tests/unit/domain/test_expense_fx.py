"""Expenses in another currency than their contract: converted at the contract's FX policy,
the markup after conversion, rounded once per line; no rate in force waits as ``no_fx_rate``.

The property test re-computes every line with exact fractions (an oracle that shares no code
with ``domain.fx``) and checks that every expense lands on exactly one line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from hourbridge.domain.billing.expenses import expense_charges
from hourbridge.domain.billing.plan import ContractState, plan_contract
from hourbridge.domain.expenses import validate_expense
from hourbridge.domain.fx import FxRate, FxRateDate, FxTable
from hourbridge.domain.iso4217 import minor_units
from hourbridge.domain.model import ExpenseBilling, ExpensePolicy
from hourbridge.domain.problems import REASON_OWNERS, Problem

from .test_expenses import ok, parse


@dataclass(frozen=True)
class Spent:
    id: int
    project: str
    spent_on: date
    category: str
    amount: D
    currency: str


RATES = FxTable([FxRate("CHF", "EUR", date(2026, 1, 1), D("1.0612")),
                 FxRate("CHF", "EUR", date(2026, 1, 20), D("1.0587")),
                 FxRate("USD", "EUR", date(2026, 1, 1), D("0.9215"))])


def _markup(build, percent: str = "10"):  # type: ignore[no-untyped-def]
    return build.contract(expenses=ExpensePolicy(ExpenseBilling.MARKUP, D(percent)))


def _half_up(value: Fraction, currency: str) -> D:
    """The oracle's rounding: half up to the currency's minor unit, from an exact fraction."""
    scale = 10 ** minor_units(currency)
    scaled = value * scale
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return D(whole).scaleb(-minor_units(currency))


def test_a_foreign_expense_is_converted_then_marked_up_and_rounded_once(build) -> None:
    k = _markup(build)
    spent = [Spent(1, "P1", date(2026, 1, 10), "travel", D("120.55"), "CHF"),
             Spent(2, "P1", date(2026, 1, 12), "travel", D("0.45"), "CHF"),
             Spent(3, "P1", date(2026, 1, 25), "travel", D("99.90"), "CHF"),
             Spent(4, "P1", date(2026, 1, 11), "hotel", D("45.00"), "USD"),
             Spent(5, "P1", date(2026, 1, 11), "hotel", D("80.00"), "EUR")]
    lines, waiting = expense_charges(k, spent, RATES, date(2026, 1, 31))
    assert waiting == []
    got = {(c.ref, c.expense_ids): c for _, c in lines}
    # two CHF rates in January: a line per rate, each re-computable from its three facts
    first = got[("travel/CHF/1", (1, 2))]
    assert first.foreign is not None
    assert (first.foreign.amount, first.foreign.currency, first.foreign.rate) == (
        D("121.00"), "CHF", D("1.0612"))
    assert first.amount == D("141.25")  # 121.00 x 1.0612 x 1.10 = 141.24572
    second = got[("travel/CHF/2", (3,))]
    assert second.amount == (D("99.90") * D("1.0587") * D("1.1")).quantize(
        D("0.01"), ROUND_HALF_UP)
    assert "99.90 CHF at 1.0587 EUR/CHF + 10 % markup" in second.description
    usd = got[("hotel/USD", (4,))]
    assert usd.foreign is not None and usd.foreign.rate == D("0.9215")
    home = got[("hotel", (5,))]
    assert home.foreign is None and home.amount == D("88.00")  # as before: no conversion


def test_rounding_once_differs_from_rounding_twice(build) -> None:
    # 0.03 CHF x 1.0587 x 1.125 = 0.035731125 -> 0.04 EUR; rounding the conversion first
    # (0.03) and the markup after (0.03375) would give 0.03
    k = _markup(build, "12.5")
    amount = D("0.03")
    [(_, line)], _ = expense_charges(
        k, [Spent(1, "P1", date(2026, 1, 25), "taxi", amount, "CHF")], RATES, date(2026, 1, 31))
    exact = Fraction(amount) * Fraction(D("1.0587")) * Fraction(D("1.125"))
    assert line.amount == _half_up(exact, "EUR") == D("0.04")
    twice = (amount * D("1.0587")).quantize(D("0.01"), ROUND_HALF_UP) * D("1.125")
    assert twice.quantize(D("0.01"), ROUND_HALF_UP) == D("0.03")


def test_no_rate_in_force_waits_and_is_never_guessed(build) -> None:
    k = _markup(build)
    early = Spent(7, "P1", date(2025, 12, 31), "travel", D("10.00"), "CHF")  # before 1 Jan
    yen = Spent(8, "P1", date(2026, 1, 5), "travel", D("1200"), "JPY")  # no JPY rates
    lines, waiting = expense_charges(k, [early, yen], RATES, date(2026, 1, 31))
    assert lines == []
    assert [(s["id"], s["reason"], s["kind"]) for s in waiting] == [
        (7, "no_fx_rate", "expense"), (8, "no_fx_rate", "expense")]
    assert "the first is from 2026-01-01" in waiting[0]["message"]
    assert REASON_OWNERS["no_fx_rate"] == "finance"
    # the plan reports them among what waits, and bills nothing for them
    plan = plan_contract(k, [], date(2026, 1, 31), ContractState(expenses=(early, yen),
                                                                 fx=RATES))
    assert plan.drafts == [] and [s["id"] for s in plan.skipped] == [7, 8]


def test_the_rate_direction_is_the_one_loaded(build) -> None:
    # an EUR expense on a CHF contract needs EUR -> CHF; the CHF -> EUR rates are not inverted
    k = build.contract(currency="CHF",
                       expenses=ExpensePolicy(ExpenseBilling.AT_COST, D(0)))
    spent = [Spent(1, "P1", date(2026, 1, 10), "travel", D("50.00"), "EUR")]
    lines, waiting = expense_charges(k, spent, RATES, date(2026, 1, 31))
    assert lines == [] and waiting[0]["reason"] == "no_fx_rate"
    both = FxTable([*RATES._rates[("CHF", "EUR")],
                    FxRate("EUR", "CHF", date(2026, 1, 1), D("0.9436"))])
    [(_, line)], _ = expense_charges(k, spent, both, date(2026, 1, 31))
    assert line.amount == D("47.18") and line.foreign is not None  # 50.00 x 0.9436


def test_issue_date_policy_converts_at_the_run_date(build) -> None:
    k = build.contract(fx_rate_date=FxRateDate.ISSUE_DATE,
                       expenses=ExpensePolicy(ExpenseBilling.AT_COST, D(0)))
    spent = [Spent(1, "P1", date(2026, 1, 10), "travel", D("100.00"), "CHF")]
    [(_, on_day)], _ = expense_charges(build.contract(expenses=k.expenses), spent, RATES,
                                       date(2026, 1, 31))
    [(_, at_run)], _ = expense_charges(k, spent, RATES, date(2026, 1, 31))
    assert (on_day.amount, at_run.amount) == (D("106.12"), D("105.87"))


def test_intake_refuses_a_foreign_expense_without_a_rate(build) -> None:
    md = build.md(contracts=[_markup(build)])
    problems = validate_expense(ok(parse(currency="USD")), md, "x.csv:3")
    assert isinstance(problems, list)
    [p] = problems
    assert (p.code, p.field, p.details["expense_currency"]) == ("no_fx_rate", "currency", "USD")
    priced = validate_expense(ok(parse(currency="USD")), md, "x.csv:3", RATES)
    assert not isinstance(priced, list) and priced.billable


AMOUNTS = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
RATE_VALUES = st.decimals(min_value=D("0.00000001"), max_value=D("999.99999999"), places=8)
MARKUPS = st.decimals(min_value=D(0), max_value=D(50), places=2)


@settings(max_examples=150, deadline=None)
@given(contract_currency=st.sampled_from(["EUR", "JPY", "KWD"]),
       rates=st.dictionaries(st.sampled_from(["CHF", "USD", "GBP"]),
                             st.lists(RATE_VALUES, min_size=1, max_size=2), min_size=1),
       markup=MARKUPS,
       spent=st.lists(st.tuples(st.sampled_from(["CHF", "USD", "GBP"]), AMOUNTS,
                                st.integers(0, 58), st.sampled_from(["travel", "hotel"])),
                      max_size=12))
def test_convert_markup_round_once_property(build, contract_currency: str,
                                            rates: dict[str, list[D]], markup: D,
                                            spent: list[tuple[str, D, int, str]]) -> None:
    # each currency's rates take effect on 1 Jan and (a second one) on 15 Jan
    table = FxTable([FxRate(cur, contract_currency, date(2026, 1, 1 + 14 * i), r)
                     for cur, rs in rates.items() for i, r in enumerate(rs)])
    k = build.contract(currency=contract_currency,
                       expenses=ExpensePolicy(ExpenseBilling.MARKUP, markup))
    expenses = [Spent(i, "P1", date.fromordinal(date(2026, 1, 1).toordinal() + day), cat,
                      amount, cur) for i, (cur, amount, day, cat) in enumerate(spent)]
    lines, waiting = expense_charges(k, expenses, table, date(2026, 3, 31))
    by_id = {e.id: e for e in expenses}
    # every expense lands on exactly one line or waits for a rate, never both
    placed = Counter(i for _, c in lines for i in c.expense_ids)
    assert all(n == 1 for n in placed.values())
    assert set(placed) | {s["id"] for s in waiting} == set(by_id)
    assert not set(placed) & {s["id"] for s in waiting}
    for s in waiting:  # only where no rate of its currency is in force
        assert isinstance(table.rate_on(by_id[s["id"]].currency, contract_currency,
                                        by_id[s["id"]].spent_on), Problem)
    refs = Counter((period, c.project, c.ref) for period, c in lines)
    assert all(n == 1 for n in refs.values())  # what marks the expenses billed is unique
    for _, c in lines:
        assert c.foreign is not None
        rows = [by_id[i] for i in c.expense_ids]
        assert {r.currency for r in rows} == {c.foreign.currency}
        assert {table.rate_on(r.currency, contract_currency, r.spent_on) for r in rows} == {
            c.foreign.rate}
        assert c.foreign.amount == sum((r.amount for r in rows), D(0))
        exact = (Fraction(c.foreign.amount) * Fraction(c.foreign.rate)
                 * (1 + Fraction(markup) / 100))
        assert c.amount == _half_up(exact, contract_currency)
        assert -c.amount.as_tuple().exponent == minor_units(contract_currency)  # type: ignore[operator]
    # the drafts' nets are the exact sums of their rounded lines
    plan = plan_contract(k, [], date(2026, 3, 31), ContractState(expenses=tuple(expenses),
                                                                 fx=table))
    assert sum((d.net for d in plan.drafts), D(0)) == sum((c.amount for _, c in lines), D(0))
    for d in plan.drafts:
        assert d.net == sum((c.amount for c in d.charges), D(0))
