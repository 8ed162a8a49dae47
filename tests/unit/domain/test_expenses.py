"""The canonical expense row and its rules: parsing, amounts in minor units, billability."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.expenses import (
    ParsedExpense,
    ValidatedExpense,
    expense_content_key,
    parse_expense,
    validate_expense,
)
from hourbridge.domain.model import Billing, ExpenseBilling, ExpensePolicy, ProjectStatus
from hourbridge.domain.money import minor_units
from hourbridge.domain.problems import Problem

BASE: dict[str, object] = {
    "external_id": "X-1", "employee": "alice", "project": "P1", "date": "2026-01-15",
    "amount": "120.50", "currency": "EUR", "category": "travel",
}


def parse(**kw: object) -> ParsedExpense | list[Problem]:
    row = {**BASE, **kw}
    return parse_expense({k: v for k, v in row.items() if v is not ...}, "x.csv:3")


def ok(result: Any) -> Any:
    assert not isinstance(result, list), result
    return result


def codes(result: Any) -> list[tuple[str, str]]:
    assert isinstance(result, list), result
    return [(p.code, p.field) for p in result]


def test_happy_path() -> None:
    e = ok(parse(task=" dev ", description=" Train ", receipt_ref="R-9", billable="no",
                 revision="2"))
    assert e == ParsedExpense(
        external_id="X-1", employee="alice", project="P1", task="dev",
        spent_on=date(2026, 1, 15), amount=Decimal("120.50"), currency="EUR",
        category="travel", description="Train", billable=False, receipt_ref="R-9",
        revision=2)


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("10", "EUR", "10.00"), ("10.5", "EUR", "10.50"), ("10.500", "EUR", "10.50"),
    (Decimal("7.25"), "EUR", "7.25"), (12.5, "EUR", "12.50"), ("1200", "JPY", "1200"),
    ("1.234", "KWD", "1.234"), ("1E+2", "EUR", "100.00"),
])
def test_amounts_land_in_minor_units(amount: object, currency: str, expected: str) -> None:
    assert str(ok(parse(amount=amount, currency=currency)).amount) == expected


@pytest.mark.parametrize(("amount", "currency"), [
    ("0", "EUR"), ("-1", "EUR"), ("0.00", "EUR"), ("abc", "EUR"), ("1,50", "EUR"),
    ("NaN", "EUR"), ("Infinity", "EUR"), ("1_000", "EUR"), ("12.345", "EUR"),
    ("12.5", "JPY"), ("1.2345", "KWD"), (True, "EUR"), ("1e12", "EUR"), ("١٢", "EUR"),
])
def test_bad_amounts_are_invalid_amount(amount: object, currency: str) -> None:
    assert codes(parse(amount=amount, currency=currency)) == [("invalid_amount", "amount")]


def test_bad_currency_and_missing_fields() -> None:
    assert codes(parse(currency="EURO")) == [("invalid_currency", "currency")]
    assert codes(parse(currency="eur")) == [("invalid_currency", "currency")]
    assert codes(parse(amount=..., currency=..., category="")) == [
        ("invalid_format", "amount"), ("invalid_format", "currency"),
        ("invalid_format", "category")]
    assert codes(parse(date="15/01/2026", billable="perhaps", revision="0")) == [
        ("invalid_format", "date"), ("invalid_format", "billable"),
        ("invalid_format", "revision")]


_CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "KWD", "CLF"])


@given(currency=_CURRENCIES, units=st.integers(min_value=1, max_value=10**12 - 1))
def test_any_amount_in_minor_units_is_taken_exactly(currency: str, units: int) -> None:
    amount = Decimal(units).scaleb(-minor_units(currency))
    e = ok(parse(amount=str(amount), currency=currency))
    assert e.amount == amount and e.amount.as_tuple().exponent == -minor_units(currency)


@given(currency=_CURRENCIES, units=st.integers(min_value=1, max_value=10**12),
       extra=st.integers(min_value=1, max_value=9))
def test_a_finer_amount_is_refused_never_rounded(currency: str, units: int,
                                                 extra: int) -> None:
    # one more decimal than the currency has, not zero: no amount is silently rounded
    amount = Decimal(units * 10 + extra).scaleb(-minor_units(currency) - 1)
    assert codes(parse(amount=str(amount), currency=currency)) == [("invalid_amount", "amount")]


@given(text=st.text(max_size=12))
def test_any_text_amount_is_a_value_or_a_reason(text: str) -> None:
    result = parse(amount=text)
    if isinstance(result, list):
        assert result and all(p.code in {"invalid_amount", "invalid_format"} for p in result)
    else:
        assert result.amount > 0 and result.amount == result.amount.quantize(Decimal("0.01"))


def validate(build: Any, md: Any = None, **kw: Any) -> ValidatedExpense | list[Problem]:
    parsed = ok(parse(**kw))
    return validate_expense(parsed, md or build.md(), "x.csv:3")


def test_billable_and_not(build: Any) -> None:
    v = ok(validate(build))
    assert (v.entity, v.contract, v.billable, v.billing) == ("DE", "K1", True, Billing.UNBILLED)
    assert ok(validate(build, billable="false")).billing is Billing.NON_BILLABLE
    assert ok(validate(build, task="admin")).billing is Billing.NON_BILLABLE  # task says no
    internal = build.md(projects=[build.project(contract=None)])
    v = ok(validate(build, internal, currency="USD"))  # no contract: nothing to convert
    assert (v.contract, v.billing) == (None, Billing.NON_BILLABLE)


def test_every_rule_reports(build: Any) -> None:
    passes_on = build.contract(expenses=ExpensePolicy(ExpenseBilling.AT_COST))
    md = build.md(entities=[build.entity(lock_date=date(2026, 1, 31))],
                  projects=[build.project(status=ProjectStatus.ON_HOLD)],
                  contracts=[passes_on])
    assert codes(validate(build, md, employee="zoe", task="nope", currency="USD")) == [
        ("unknown_employee", "employee"), ("unknown_task", "task"),
        ("project_not_active", "project"), ("locked_period", "date"),
        ("no_fx_rate", "currency")]
    # a contract that keeps its expenses never converts them: no rate needed
    kept = ok(validate(build, currency="USD"))
    assert (kept.contract, kept.billable) == ("K1", True)
    assert codes(validate(build, project="P9")) == [("unknown_project", "project")]
    assert codes(validate(build, employee="carol", date="2026-02-03")) == [
        ("not_assigned", "employee")]
    late = build.md(contracts=[build.contract(end_date=date(2026, 1, 10))])
    assert codes(validate(build, late)) == [("outside_contract_dates", "date")]
    # a non-billable expense outside the contract's dates is no billing problem
    assert ok(validate(build, late, billable="false")).billing is Billing.NON_BILLABLE


def test_content_key_tells_receipts_apart() -> None:
    a = ok(parse(receipt_ref="R-1"))
    assert expense_content_key(a) == expense_content_key(a._replace(external_id="other"))
    assert expense_content_key(a) != expense_content_key(a._replace(receipt_ref="R-2"))
    assert expense_content_key(a) != expense_content_key(a._replace(amount=Decimal("1.00")))
