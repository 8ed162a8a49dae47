"""Contract components: term checks, due charges, retainer drawdown, not-to-exceed caps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.bundle import Bundle, check_bundle
from hourbridge.domain.contracts import (
    CapItem,
    apply_cap,
    draw_down,
    due_charges,
    retainer_months,
    settleable_months,
)
from hourbridge.domain.model import (
    Cap,
    ExpenseBilling,
    ExpensePolicy,
    FeeInstallment,
    Milestone,
    OverCap,
    Retainer,
    UnusedHours,
)
from hourbridge.domain.money import time_amount


def _problems(build, **kw) -> list[tuple[str, str]]:
    # the contract over the unit-test firm, as a bundle loaded on top of it
    b = Bundle(contracts=(build.contract(**kw),))
    return [(p.code, p.field) for p in check_bundle(b, build.md())]


@pytest.mark.parametrize(("kw", "field"), [
    (dict(fee_schedule=(FeeInstallment("F1", date(2026, 1, 1), D("10.001")),)),
     "fee_schedule[0].amount"),
    (dict(fee_schedule=(FeeInstallment("F1", date(2025, 12, 31), D(10)),)),
     "fee_schedule[0].bill_on"),
    (dict(fee_schedule=(FeeInstallment("F1", date(2026, 1, 1), D(10)),
                        FeeInstallment("F1", date(2026, 2, 1), D(10)))), "fee_schedule"),
    (dict(milestones=(Milestone("M1", "a", D(1)), Milestone("M1", "b", D(2)))), "milestones"),
    (dict(retainer=Retainer(D(1000), D(10), UnusedHours.EXPIRE, D(5))),
     "retainer.rollover_limit_hours"),
    (dict(cap=Cap()), "cap"),
    (dict(cap=Cap(amount=D("1.001"))), "cap.amount"),
    (dict(expenses=ExpensePolicy(ExpenseBilling.AT_COST, D(10))), "expenses.markup_percent"),
])
def test_contradicting_terms_are_refused_naming_the_field(build, kw: dict, field: str) -> None:
    assert _problems(build, **kw) == [("invalid_contract", field)]


def test_consistent_terms_load(build) -> None:
    assert _problems(build, fee_schedule=(FeeInstallment("F1", date(2026, 3, 1), D(5000)),),
                     milestones=(Milestone("M1", "Go-live", D(12000)),),
                     retainer=Retainer(D(4000), D(20), UnusedHours.ROLL_OVER, D(10)),
                     cap=Cap(D(100), D(20000), OverCap.WRITE_DOWN),
                     expenses=ExpensePolicy(ExpenseBilling.MARKUP, D(10))) == []


def test_due_charges_bill_each_once(build) -> None:
    k = build.contract(start_date=date(2026, 1, 15),
                       fee_schedule=(FeeInstallment("F1", date(2026, 1, 31), D(100)),
                                     FeeInstallment("F2", date(2026, 3, 31), D(100))),
                       milestones=(Milestone("M1", "Design", D(50)),
                                   Milestone("M2", "Build", D(70))),
                       retainer=Retainer(D(1000), D(10)))
    due = due_charges(k, date(2026, 2, 10), {"M1": date(2026, 2, 3), "M2": date(2026, 3, 1)},
                      billed={("retainer_fee", "2026-01")})
    assert [(c.kind, c.ref, c.period, c.amount) for c in due] == [
        ("fee", "F1", "2026-01", D(100)),
        ("milestone", "M1", "2026-02", D(50)),
        ("retainer_fee", "2026-02", "2026-02", D(1000)),  # in advance: due from the 1st
    ]


def test_retainer_months_stop_at_contract_end(build) -> None:
    k = build.contract(start_date=date(2026, 1, 20), end_date=date(2026, 3, 10),
                       retainer=Retainer(D(1), D(1)))
    assert retainer_months(k, date(2026, 12, 31)) == [date(2026, 1, 1), date(2026, 2, 1),
                                                      date(2026, 3, 1)]
    assert settleable_months(k, date(2026, 2, 27), {"2026-01"}) == []
    assert settleable_months(k, date(2026, 2, 28), set()) == [date(2026, 1, 1),
                                                              date(2026, 2, 1)]


def test_drawdown_splits_the_entry_that_crosses_the_included_hours() -> None:
    r = Retainer(D(0), D(2), UnusedHours.ROLL_OVER, D("0.5"))
    d = draw_down(r, "2026-01", 0, [(1, 3600), (2, 5400), (3, 600)])
    assert d.covered == ((1, 3600), (2, 3600))
    assert d.overage == ((2, 1800), (3, 600))
    assert (d.rollover_out_seconds, d.expired_seconds) == (0, 0)
    quiet = draw_down(r, "2026-02", 900, [(4, 3600)])
    assert quiet.covered == ((4, 3600),) and quiet.overage == ()
    assert (quiet.rollover_out_seconds, quiet.expired_seconds) == (1800, 2700)  # limit 0.5 h


@given(st.lists(st.integers(0, 36_000), max_size=30), st.integers(0, 200),
       st.integers(0, 50_000), st.booleans(), st.one_of(st.none(), st.integers(0, 50)))
def test_drawdown_accounts_for_every_second(work: list[int], included: int, rolled_in: int,
                                            roll: bool, limit: int | None) -> None:
    r = Retainer(D(0), D(included), UnusedHours.ROLL_OVER if roll else UnusedHours.EXPIRE,
                 None if limit is None or not roll else D(limit))
    d = draw_down(r, "2026-01", rolled_in, list(enumerate(work)))
    per_entry: dict[int, int] = {}
    for e, s in d.covered + d.overage:
        per_entry[e] = per_entry.get(e, 0) + s
    assert all(per_entry.get(e, 0) == s for e, s in enumerate(work))  # nothing lost or doubled
    available = included * 3600 + rolled_in
    assert d.used_seconds == min(available, sum(work))
    assert d.used_seconds + d.rollover_out_seconds + d.expired_seconds == available
    assert not roll or limit is None or d.rollover_out_seconds <= limit * 3600
    assert roll or d.rollover_out_seconds == 0


def test_hold_cap_bills_whole_entries_up_to_the_cap() -> None:
    items = [CapItem(1, 3600, D(100)), CapItem(2, 3600, D(100)), CapItem(3, 1800, D(100))]
    out = apply_cap(Cap(hours=D("1.5")), 0, D(0), items, "EUR")
    assert out.billed == (1,) and out.held == (2, 3)  # later work waits, in work order
    out = apply_cap(Cap(amount=D(240)), 0, D(0), items, "EUR")
    assert out.billed == (1, 2) and out.held == (3,)
    out = apply_cap(Cap(amount=D(240)), 0, D(200), items, "EUR")
    assert out.billed == () and out.held == (1, 2, 3)


def test_write_down_cap_bills_all_and_takes_off_the_excess() -> None:
    items = [CapItem(1, 3600, D(100)), CapItem(2, 3600, D(120))]
    hours_cap = apply_cap(Cap(hours=D("1.5"), over_cap=OverCap.WRITE_DOWN), 0, D(0), items,
                          "EUR")
    assert hours_cap.billed == (1, 2) and hours_cap.write_down == D(60)  # 0.5 h at 120
    amount_cap = apply_cap(Cap(amount=D(150), over_cap=OverCap.WRITE_DOWN), D(0), D(100),
                           items, "EUR")
    assert amount_cap.write_down == D(170)


@given(st.lists(st.tuples(st.integers(1, 20_000), st.integers(0, 300)), max_size=20),
       st.integers(0, 40), st.integers(0, 5_000), st.booleans())
def test_capped_work_never_bills_over_the_cap(raw: list[tuple[int, int]], cap_h: int,
                                              cap_amount: int, write_down: bool) -> None:
    items = [CapItem(i, s, D(r)) for i, (s, r) in enumerate(raw)]
    cap = Cap(D(cap_h), D(cap_amount), OverCap.WRITE_DOWN if write_down else OverCap.HOLD)
    out = apply_cap(cap, 0, D(0), items, "EUR")
    billed = [it for it in items if it.entry_id in out.billed]
    amount = sum((time_amount(it.seconds, it.rate, "EUR") for it in billed), D(0))
    assert amount - out.write_down <= cap_amount
    assert out.write_down >= 0 and set(out.billed).isdisjoint(out.held)
    assert len(out.billed) + len(out.held) == len(items)
    if not write_down:
        assert sum(it.seconds for it in billed) <= cap_h * 3600
