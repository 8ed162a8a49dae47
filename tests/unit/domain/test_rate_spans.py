"""``RateBook.applies`` (whether a rate applies, decided once per entry shape and span of
days) says exactly what ``decide`` says, day by day, across every day where the version in
force or a candidate row in force changes: rows that start and end, a conflict on some days,
a fee-only version that covers hours without a rate, days before the contract's first
version."""

from __future__ import annotations

from datetime import date, timedelta

from hourbridge.domain.model import BillingModel, RateScope
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook


def test_applies_is_decide_on_every_day(build) -> None:
    r = build.row
    firm = build.card(
        "FIRM", RateScope.FIRM,
        r("f-consultant", 120, role="consultant", valid_until=date(2026, 1, 20)),
        r("f-consultant-2", 125, date(2026, 2, 1), role="consultant"),
        r("f-lead", 150, role="lead"),
        # a second lead rate in February only: a conflict at the same precedence
        r("f-lead-feb", 155, date(2026, 2, 1), role="lead", valid_until=date(2026, 2, 28)),
        r("f-dev", 90, date(2026, 1, 10), task="dev", valid_until=date(2026, 1, 12)),
    )
    contract = build.contract(
        start_date=date(2026, 1, 5),
        versions=(build.version(1, date(2026, 1, 5)),
                  build.version(2, date(2026, 1, 25),
                                billing_model=BillingModel.FEE_ONLY.value),
                  build.version(3, date(2026, 2, 10))))
    md = build.md(contracts=[contract], rate_cards=[firm])
    project = md.projects["P1"]
    shapes = [(employee, role, task) for employee in ("alice", "bob")
              for role in ("consultant", "lead", "nobody") for task in ("", "dev", "admin")]
    first, days = date(2025, 12, 20), 120
    decided = applied = 0
    for employee, role, task in shapes:
        rates = RateBook(md)
        for n in range(days):
            day = first + timedelta(days=n)
            expected = not isinstance(
                rates.decide(project, contract, employee, role, task, day), Problem)
            assert rates.applies(project, contract, employee, role, task, day) is expected, (
                employee, role, task, day)
            decided += 1
            applied += expected
    assert 0 < applied < decided  # both outcomes are covered
