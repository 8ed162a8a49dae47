from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from hourbridge.domain.bundle import Bundle, check_bundle
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import (
    Assignment,
    ContractVersion,
    RateScope,
    RoundingPolicy,
    Task,
)
from support.bundles import found, full_bundle

D = Decimal
EMPTY = MasterData()


def test_valid_bundle_has_no_problems(build) -> None:
    assert check_bundle(full_bundle(build), EMPTY) == []


def test_valid_bundle_over_stored_data(build) -> None:
    """A bundle may refer to records already stored."""
    stored = build.md()
    project = build.project("P2")
    assert check_bundle(Bundle(projects=(project,)), stored) == []


def test_merged_over_replaces_same_keys(build) -> None:
    stored = build.md()
    bundle = Bundle(employees=(build.employee("alice", "lead"), build.employee("dave")))
    merged = bundle.merged_over(stored)
    assert merged.employees["alice"].role == "lead"
    assert set(merged.employees) == {"alice", "bob", "carol", "dave"}
    assert stored.employees["alice"].role == "consultant"


# --- unknown references --------------------------------------------------------------------

def test_customer_with_unknown_entity(build) -> None:
    bundle = full_bundle(build, customers=(build.customer("ACME"),
                                           build.customer("ACME-DE", entity="XX")))
    assert found(check_bundle(bundle, EMPTY)) == [
        ("invalid_reference", "customers[ACME-DE].entity")]


def test_customer_with_unknown_parent(build) -> None:
    bundle = full_bundle(build, customers=(build.customer("ACME-DE"),))
    problems = check_bundle(bundle, EMPTY)
    assert ("invalid_reference", "customers[ACME-DE].parent") in found(problems)
    assert any("'ACME'" in p.message for p in problems)


def test_project_with_unknown_customer_and_contract(build) -> None:
    bundle = full_bundle(build, projects=(build.project(customer="NOPE", contract="K9"),))
    assert found(check_bundle(bundle, EMPTY)) == [
        ("invalid_reference", "projects[P1].customer"),
        ("invalid_reference", "projects[P1].contract"),
    ]


def test_project_contract_of_other_customer_or_entity(build) -> None:
    other = build.contract("K2", customer="ACME")
    bundle = full_bundle(build, projects=(build.project(contract="K2"),),
                         contracts=(build.contract(), other))
    problems = check_bundle(bundle, EMPTY)
    assert found(problems) == [("invalid_reference", "projects[P1].contract")]
    assert "belongs to customer ACME" in problems[0].message


def test_project_with_unknown_entity(build) -> None:
    bundle = full_bundle(build, projects=(build.project(entity="FR"),))
    where = [w for _, w in found(check_bundle(bundle, EMPTY))]
    assert "projects[P1].entity" in where
    assert "projects[P1].contract" in where  # K1 is with DE, not FR


def test_assignment_with_unknown_employee(build) -> None:
    project = build.project(assignments=(Assignment("alice", date(2026, 1, 1)),
                                         Assignment("mallory", date(2026, 1, 1))))
    bundle = full_bundle(build, projects=(project,))
    assert found(check_bundle(bundle, EMPTY)) == [
        ("invalid_reference", "projects[P1].assignments[1].employee")]


def test_assignment_ending_before_start_and_repeated_tasks(build) -> None:
    project = build.project(
        tasks=(Task("dev", "Dev"), Task("dev", "Dev again")),
        assignments=(Assignment("alice", date(2026, 2, 1), date(2026, 1, 31)),),
    )
    assert found(check_bundle(full_bundle(build, projects=(project,)), EMPTY)) == [
        ("invalid_reference", "projects[P1].tasks"),
        ("invalid_reference", "projects[P1].assignments[0].valid_until"),
    ]


def test_employee_with_unknown_entity(build) -> None:
    bundle = Bundle(employees=(build.employee("dave", entity="FR"),))
    assert found(check_bundle(bundle, build.md())) == [
        ("invalid_reference", "employees[dave].entity")]


@pytest.mark.parametrize(
    ("scope", "scope_id"),
    [
        (RateScope.CONTRACT, "K9"),
        (RateScope.PROJECT, "P9"),
        (RateScope.CUSTOMER, "NOPE"),
        (RateScope.CONTRACT, None),
        (RateScope.PROJECT, "K1"),  # a contract id is not a project code
        (RateScope.FIRM, "K1"),
    ],
)
def test_rate_card_scope_id(build, scope: RateScope, scope_id: str | None) -> None:
    card = build.card("X", scope, build.row("r", 100), scope_id=scope_id)
    assert found(check_bundle(Bundle(rate_cards=(card,)), build.md())) == [
        ("invalid_reference", "rate_cards[X].scope_id")]


@pytest.mark.parametrize(
    ("scope", "scope_id"),
    [(RateScope.CONTRACT, "K1"), (RateScope.PROJECT, "P1"), (RateScope.CUSTOMER, "ACME"),
     (RateScope.FIRM, None)],
)
def test_rate_card_scope_id_known(build, scope: RateScope, scope_id: str | None) -> None:
    # a task row of its own, so the new card ties with no row already stored
    card = build.card("X", scope, build.row("r", 100, task="ONLY-X"), scope_id=scope_id)
    assert check_bundle(Bundle(rate_cards=(card,)), build.md()) == []


def test_overlapping_rows_on_same_scope_are_refused(build) -> None:
    card = build.card("X", RateScope.FIRM, build.row("a", 100, role="senior"),
                      build.row("b", 120, role="senior", valid_from=date(2026, 3, 1)))
    problems = check_bundle(Bundle(rate_cards=(card,)), build.md())
    assert [p.code for p in problems] == ["invalid_reference"]
    assert "X/a" in problems[0].message and "X/b" in problems[0].message


def test_consecutive_rows_on_same_scope_are_fine(build) -> None:
    card = build.card("X", RateScope.FIRM,
                      build.row("a", 100, role="senior", valid_until=date(2026, 2, 28)),
                      build.row("b", 120, role="senior", valid_from=date(2026, 3, 1)))
    assert check_bundle(Bundle(rate_cards=(card,)), build.md()) == []


def test_rate_card_rows(build) -> None:
    card = build.card(
        "X", RateScope.FIRM,
        build.row("r", -1),
        build.row("r", 100, valid_from=date(2026, 2, 1), valid_until=date(2026, 1, 1)),
        build.row("s", 100, employee="mallory"),
        currency="EURO",
    )
    assert found(check_bundle(Bundle(rate_cards=(card,)), build.md())) == [
        ("invalid_reference", "rate_cards[X].rows"),  # r and r overlap: a tie
        ("invalid_reference", "rate_cards[X].currency"),
        ("invalid_reference", "rate_cards[X].rows"),
        ("invalid_reference", "rate_cards[X].rows[0].rate"),
        ("invalid_reference", "rate_cards[X].rows[1].valid_until"),
        ("invalid_reference", "rate_cards[X].rows[2].employee"),
    ]


# --- duplicates, versions, entity fields ---------------------------------------------------

def test_duplicate_keys(build) -> None:
    bundle = full_bundle(
        build,
        employees=(build.employee("alice"), build.employee("bob"), build.employee("carol"),
                   build.employee("alice", "lead")),
        rate_cards=(build.firm_card(), build.firm_card()),
        origins={("employees", "alice"): "people.yaml: employees[3]"},
    )
    problems = check_bundle(bundle, EMPTY)
    dupes = [p for p in problems if p.code == "duplicate_key"]
    assert [(p.where, "'alice'" in p.message or "'FIRM'" in p.message) for p in dupes] == [
        ("people.yaml: employees[3]", True), ("rate_cards", True)]


def test_origins_name_the_file(build) -> None:
    bundle = full_bundle(build, customers=(build.customer("ACME"),
                                           build.customer("ACME-DE", entity="XX")),
                         origins={("customers", "ACME-DE"): "md.yaml: customers[1]"})
    assert found(check_bundle(bundle, EMPTY)) == [
        ("invalid_reference", "md.yaml: customers[1].entity")]


@pytest.mark.parametrize(
    ("contract_kw", "path"),
    [
        (dict(versions=()), "versions"),
        (dict(versions=(ContractVersion(1, date(2026, 1, 1)),
                        ContractVersion(1, date(2026, 2, 1)))), "versions"),
        (dict(versions=(ContractVersion(1, date(2026, 1, 1)),
                        ContractVersion(2, date(2026, 1, 1)))), "versions"),
        (dict(versions=(ContractVersion(1, date(2026, 1, 2)),)), "versions[0].effective_from"),
        (dict(versions=(ContractVersion(1, date(2026, 1, 1), RoundingPolicy(0)),)),
         "versions[0].rounding"),
        (dict(versions=(ContractVersion(1, date(2026, 1, 1),
                                        RoundingPolicy(15, minimum_minutes=-1)),)),
         "versions[0].rounding"),
        (dict(end_date=date(2025, 12, 31)), "end_date"),
    ],
)
def test_contract_version_problems(build, contract_kw: dict, path: str) -> None:
    bundle = full_bundle(build, contracts=(build.contract(**contract_kw),))
    assert found(check_bundle(bundle, EMPTY)) == [("invalid_reference", f"contracts[K1].{path}")]


def test_versions_starting_before_contract_are_fine(build) -> None:
    versions = (ContractVersion(2, date(2026, 3, 1)), ContractVersion(1, date(2025, 6, 1)))
    assert check_bundle(full_bundle(build, contracts=(build.contract(versions=versions),)),
                        EMPTY) == []


def test_contract_with_unknown_customer_and_entity(build) -> None:
    bundle = Bundle(contracts=(build.contract("K2", customer="NOPE", entity="FR"),))
    assert found(check_bundle(bundle, build.md())) == [
        ("invalid_reference", "contracts[K2].customer"),
        ("invalid_reference", "contracts[K2].entity"),
    ]


@pytest.mark.parametrize("rate", ["-0.01", "1", "1.5"])
def test_entity_tax_rate_must_be_a_fraction(build, rate: str) -> None:
    bundle = Bundle(entities=(build.entity(tax_rates={"standard": D(rate)}),))
    assert found(check_bundle(bundle, EMPTY)) == [
        ("invalid_reference", "entities[DE].tax_rates.standard")]


def test_customer_tax_code_must_exist_on_entity(build) -> None:
    bundle = Bundle(customers=(build.customer("X", tax_code="reduced"),
                               build.customer("Y", tax_code="reduced", tax_exempt=True),
                               build.customer("Z", tax_code="zero")))
    assert found(check_bundle(bundle, build.md())) == [
        ("invalid_reference", "customers[X].tax_code")]


# --- customer hierarchy --------------------------------------------------------------------

def test_customer_parent_of_itself_is_a_cycle(build) -> None:
    bundle = Bundle(customers=(build.customer("X", parent="X"),))
    problems = check_bundle(bundle, build.md())
    assert found(problems) == [("invalid_reference", "customers[X].parent")]
    assert "cycle" in problems[0].message


def test_customer_hierarchy_cycle(build) -> None:
    bundle = Bundle(customers=(build.customer("A", parent="B"), build.customer("B", parent="C"),
                               build.customer("C", parent="A")))
    problems = check_bundle(bundle, build.md(customers=[]))
    cycles = [p.where for p in problems if "cycle" in p.message]
    assert cycles == ["customers[A].parent", "customers[B].parent", "customers[C].parent"]


def test_cycle_through_stored_customer(build) -> None:
    """Re-parenting the stored parent under its own child closes a loop."""
    bundle = Bundle(customers=(build.customer("ACME", parent="ACME-DE"),))
    problems = check_bundle(bundle, build.md())
    assert [p.where for p in problems if "cycle" in p.message] == ["customers[ACME].parent"]


def test_deep_hierarchy_without_cycle(build) -> None:
    chain = tuple(build.customer(f"C{i}", parent=f"C{i + 1}" if i < 9 else None)
                  for i in range(10))
    assert check_bundle(Bundle(customers=chain), build.md()) == []


def test_account_roles_need_distinct_codes(build) -> None:
    from hourbridge.domain.model import Accounts

    entity = replace(build.md().entities["DE"], accounts=Accounts(revenue="4000",
                                                                  revenue_adjustments="4000"))
    problems = check_bundle(Bundle(entities=(entity,)), build.md())
    assert [(p.code, p.field) for p in problems] == [("invalid_reference", "accounts")]
