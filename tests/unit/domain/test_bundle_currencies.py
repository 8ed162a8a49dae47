"""The bundle checks on currencies: a contract's currency against its customer's and its
entity's, unknown currency codes, and multi-currency contracts (a rate for the pair, the
contract's FX policy, the FX rates themselves, an entity's new functional currency). The
other checks: ``test_bundle.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from hourbridge.domain.bundle import Bundle, check_bundle
from hourbridge.domain.fx import FxRate, FxRateDate
from hourbridge.domain.masterdata import MasterData
from support.bundles import found, full_bundle

EMPTY = MasterData()


# --- currencies ----------------------------------------------------------------------------

def test_contract_currency_differs_from_customer(build) -> None:
    bundle = full_bundle(build, customers=(build.customer("ACME"),
                                           build.customer("ACME-DE", currency="USD")))
    problems = check_bundle(bundle, EMPTY)
    assert found(problems) == [("invalid_reference", "contracts[K1].currency")]
    assert "customer" in problems[0].message


def test_contract_currency_differs_from_entity_without_fx_rates(build) -> None:
    bundle = full_bundle(build, entities=(build.entity(currency="CHF"),))
    problems = check_bundle(bundle, EMPTY)
    assert found(problems) == [("no_fx_rate", "contracts[K1].currency")]
    assert "functional currency CHF" in problems[0].message
    assert "EUR -> CHF" in problems[0].message


def test_contract_in_foreign_currency_differs_from_both(build) -> None:
    bundle = full_bundle(build, contracts=(build.contract(currency="USD"),))
    assert found(check_bundle(bundle, EMPTY)) == [
        ("invalid_reference", "contracts[K1].currency"),
        ("no_fx_rate", "contracts[K1].currency"),
    ]


def test_unknown_currency_codes(build) -> None:
    bundle = full_bundle(build, entities=(build.entity(currency="EURO"),),
                         customers=(build.customer("ACME", currency="XXX"),
                                    build.customer("ACME-DE")))
    where = [w for _, w in found(check_bundle(bundle, EMPTY))]
    assert "entities[DE].currency" in where
    assert "customers[ACME].currency" in where


# --- multi-currency contracts ----------------------------------------------------------------
CHF_EUR = FxRate("CHF", "EUR", date(2026, 1, 1), Decimal("1.0612"))


def chf_bundle(build, contract_changes: dict[str, object] | None = None,
               rates: tuple[FxRate, ...] = (CHF_EUR,)) -> Bundle:
    customers = tuple(replace(c, currency="CHF", country="CH")
                      for c in build.md().customers.values())
    contract = replace(build.contract(currency="CHF"), **(contract_changes or {}))
    return full_bundle(build, customers=customers, contracts=(contract,), fx_rates=rates)


def test_a_contract_in_another_currency_loads_with_a_rate_for_its_pair(build) -> None:
    assert check_bundle(chf_bundle(build), EMPTY) == []
    # a rate loaded earlier counts too
    stored = replace(EMPTY, fx_rates={CHF_EUR.key: CHF_EUR})
    assert check_bundle(chf_bundle(build, rates=()), stored) == []


def test_without_a_rate_for_its_pair_the_contract_currency_is_refused(build) -> None:
    reverse = FxRate("EUR", "CHF", date(2026, 1, 1), Decimal("0.94"))  # the other direction
    problems = check_bundle(chf_bundle(build, rates=(reverse,)), EMPTY)
    assert found(problems) == [("no_fx_rate", "contracts[K1].currency")]
    assert "no CHF -> EUR rate in fx_rates" in problems[0].message


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"fx_rate_date": FxRateDate.FIXED}, "fx_fixed_rate", "no fx_fixed_rate"),
    ({"fx_rate_date": FxRateDate.FIXED, "fx_fixed_rate": Decimal("1.123456789")},
     "fx_fixed_rate", "more than 8 decimals"),
    ({"fx_rate_date": FxRateDate.FIXED, "fx_fixed_rate": Decimal("-1")}, "fx_fixed_rate",
     "positive"),
    ({"fx_fixed_rate": Decimal("1.05")}, "fx_fixed_rate", "only used when fx_rate_date is fixed"),
])
def test_a_contract_contradicting_its_fx_policy_is_refused(build, changes: dict[str, object],
                                                           field: str, words: str) -> None:
    problems = check_bundle(chf_bundle(build, changes), EMPTY)
    assert [p.where for p in problems] == [f"contracts[K1].{field}"]
    assert words in problems[0].message


def test_a_fixed_rate_needs_no_table_but_a_foreign_currency(build) -> None:
    fixed = {"fx_rate_date": FxRateDate.FIXED, "fx_fixed_rate": Decimal("1.05")}
    assert check_bundle(chf_bundle(build, fixed, rates=()), EMPTY) == []
    same = full_bundle(build, contracts=(build.contract(**fixed),))
    problems = check_bundle(same, EMPTY)
    assert found(problems) == [("invalid_reference", "contracts[K1].fx_rate_date")]


def test_fx_rates_themselves_are_checked(build) -> None:
    bad = (FxRate("CHF", "CHF", date(2026, 1, 1), Decimal(1)),
           FxRate("CHX", "EUR", date(2026, 1, 1), Decimal("0")),
           CHF_EUR, CHF_EUR)
    problems = check_bundle(Bundle(fx_rates=bad), EMPTY)
    assert sorted(found(problems)) == sorted([
        ("duplicate_key", "fx_rates"),
        ("invalid_reference", "fx_rates[CHF/CHF/2026-01-01].to_currency"),
        ("invalid_reference", "fx_rates[CHX/EUR/2026-01-01].from_currency"),
        ("invalid_field", "fx_rates[CHX/EUR/2026-01-01].rate"),
    ])


def test_a_new_functional_currency_rechecks_the_entitys_contracts(build) -> None:
    stored = build.md()
    problems = check_bundle(Bundle(entities=(build.entity(currency="CHF"),)), stored)
    assert found(problems) == [("no_fx_rate", "contracts[K1].currency")]
