from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import BillingModel, Customer, RateCard, RateScope
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import FEE_COVERED, RateBook, RateDecision, row_rule
from hourbridge.domain.validation import ValidatedEntry, validate_entry

D = Decimal
CONTRACT, PROJECT, CUSTOMER, FIRM = (
    RateScope.CONTRACT, RateScope.PROJECT, RateScope.CUSTOMER, RateScope.FIRM,
)
DAY = date(2026, 1, 15)


def decide(build, cards: list[RateCard], *, employee: str = "alice", role: str = "consultant",
           task: str = "dev", on: date = DAY, md: MasterData | None = None,
           **contract_kw) -> RateDecision | Problem:
    if md is None:
        md = build.md(rate_cards=cards)
    if contract_kw:
        md = replace(md, contracts={"K1": build.contract(**contract_kw)})
    return RateBook(md).decide(md.projects["P1"], md.contracts["K1"], employee, role, task, on)


def decided(result: RateDecision | Problem) -> RateDecision:
    assert isinstance(result, RateDecision), result
    return result


def problem(result: RateDecision | Problem, code: str) -> Problem:
    assert isinstance(result, Problem), result
    assert result.code == code, result
    return result


# --- row precedence ------------------------------------------------------------------------

ALL_ROWS = {
    "employee_task": dict(employee="alice", task="dev"),
    "employee": dict(employee="alice"),
    "role_task": dict(role="consultant", task="dev"),
    "role": dict(role="consultant"),
    "task": dict(task="dev"),
    "default": {},
}


@pytest.mark.parametrize("drop", range(len(ALL_ROWS)))
def test_row_precedence(build, drop: int) -> None:
    """With the first ``drop`` levels removed, the next level wins."""
    levels = list(ALL_ROWS)[drop:]
    rows = [build.row(level, 100 + i, **ALL_ROWS[level]) for i, level in enumerate(levels)]
    d = decided(decide(build, [build.card("FIRM", FIRM, *rows)]))
    assert d.rule == levels[0]
    assert d.row == levels[0]
    assert d.rate == D(100)


@pytest.mark.parametrize(
    ("row_kw", "expected"),
    [
        (dict(employee="alice", task="dev"), "employee_task"),
        (dict(employee="alice", role="consultant"), "employee"),
        (dict(employee="bob"), None),
        (dict(role="senior"), None),
        (dict(task="admin"), None),
        (dict(role="consultant", task="admin"), None),
        (dict(employee="alice", task="admin"), None),
        ({}, "default"),
    ],
)
def test_row_rule(build, row_kw: dict, expected: str | None) -> None:
    assert row_rule(build.row("r", 1, **row_kw), "alice", "consultant", "dev") == expected


def test_entry_without_task_matches_only_taskless_rows(build) -> None:
    card = build.card("FIRM", FIRM, build.row("t", 90, task="dev"), build.row("d", 80))
    assert decided(decide(build, [card], task="")).row == "d"


# --- card scope ----------------------------------------------------------------------------

def scoped_cards(build, scopes: list[RateScope]) -> list[RateCard]:
    ids = {CONTRACT: "K1", PROJECT: "P1", CUSTOMER: "ACME-DE", FIRM: None}
    return [
        build.card(f"{s.value}-card", s, build.row(f"{s.value}-row", 100 + i, role="consultant"),
                   scope_id=ids[s])
        for i, s in enumerate(scopes)
    ]


@pytest.mark.parametrize(
    ("scopes", "winner"),
    [
        ([CONTRACT, PROJECT, CUSTOMER, FIRM], "contract"),
        ([PROJECT, CUSTOMER, FIRM], "project"),
        ([CUSTOMER, FIRM], "customer"),
        ([FIRM], "firm"),
        ([FIRM, CONTRACT], "contract"),  # order of the cards in master data does not matter
    ],
)
def test_scope_precedence(build, scopes: list[RateScope], winner: str) -> None:
    d = decided(decide(build, scoped_cards(build, scopes)))
    assert d.scope == winner
    assert d.card == f"{winner}-card"


def test_child_customer_card_beats_parent_customer_card(build) -> None:
    parent = build.card("parent", CUSTOMER, build.row("p", 90, role="consultant"),
                        scope_id="ACME")
    child = build.card("child", CUSTOMER, build.row("c", 95, role="consultant"),
                       scope_id="ACME-DE")
    assert decided(decide(build, [parent, child])).card == "child"
    # parent card still applies when the child has none
    assert decided(decide(build, [parent])).card == "parent"


def test_grandparent_customer_card_applies(build) -> None:
    customers: list[Customer] = [
        build.customer("HOLDING"), build.customer("ACME", parent="HOLDING"),
        build.customer("ACME-DE"),
    ]
    holding = build.card("holding", CUSTOMER, build.row("h", 70), scope_id="HOLDING")
    firm = build.card("FIRM", FIRM, build.row("f", 60))
    md = build.md(customers=customers, rate_cards=[firm, holding])
    d = decided(decide(build, [], md=md))
    assert (d.card, d.scope) == ("holding", "customer")


def test_firm_employee_row_beats_contract_role_row(build) -> None:
    """Documented rule: row specificity first, then card scope."""
    firm = build.card("FIRM", FIRM, build.row("alice", 140, employee="alice"))
    contract = build.card("K1-RATES", CONTRACT, build.row("consultant", 130, role="consultant"),
                          scope_id="K1")
    d = decided(decide(build, [contract, firm]))
    assert (d.card, d.row, d.rule, d.scope, d.rate) == ("FIRM", "alice", "employee", "firm",
                                                        D(140))


def test_cards_of_other_projects_contracts_and_customers_are_ignored(build) -> None:
    cards = [
        build.card("other-k", CONTRACT, build.row("x1", 1), scope_id="K2"),
        build.card("other-p", PROJECT, build.row("x2", 2), scope_id="P2"),
        build.card("other-c", CUSTOMER, build.row("x3", 3), scope_id="GLOBEX"),
        build.card("FIRM", FIRM, build.row("f", 100)),
    ]
    assert decided(decide(build, cards)).card == "FIRM"


# --- effective dating ----------------------------------------------------------------------

def test_row_valid_until_is_inclusive_and_change_mid_month(build) -> None:
    card = build.card(
        "FIRM", FIRM,
        build.row("old", 100, role="consultant", valid_until=date(2026, 1, 15)),
        build.row("new", 110, role="consultant", valid_from=date(2026, 1, 16)),
    )
    assert decided(decide(build, [card], on=date(2026, 1, 1))).row == "old"
    assert decided(decide(build, [card], on=date(2026, 1, 15))).row == "old"
    assert decided(decide(build, [card], on=date(2026, 1, 16))).row == "new"
    assert decided(decide(build, [card], on=date(2026, 1, 31))).rate == D(110)


def test_row_not_yet_valid_falls_back_to_less_specific_row(build) -> None:
    card = build.card(
        "FIRM", FIRM,
        build.row("alice", 200, employee="alice", valid_from=date(2026, 2, 1)),
        build.row("default", 100),
    )
    assert decided(decide(build, [card], on=date(2026, 1, 31))).row == "default"
    assert decided(decide(build, [card], on=date(2026, 2, 1))).row == "alice"


def test_same_book_decides_each_date_independently(build) -> None:
    card = build.card(
        "FIRM", FIRM,
        build.row("old", 100, valid_until=date(2026, 1, 15)),
        build.row("new", 110, valid_from=date(2026, 1, 16)),
    )
    md = build.md(rate_cards=[card])
    book = RateBook(md)
    p, k = md.projects["P1"], md.contracts["K1"]
    got = [decided(book.decide(p, k, "alice", "consultant", "dev", date(2026, 1, d))).row
           for d in (15, 16, 14, 17)]
    assert got == ["old", "new", "old", "new"]


def test_no_row_in_force_is_no_rate(build) -> None:
    card = build.card("FIRM", FIRM,
                      build.row("expired", 100, valid_until=date(2026, 1, 10)))
    p = problem(decide(build, [card]), "no_rate")
    assert p.field == "employee"
    assert "alice" in p.message and "P1" in p.message


# --- conflicts and misses ------------------------------------------------------------------

def test_tie_is_rate_conflict_naming_both_rows(build) -> None:
    card = build.card("FIRM", FIRM, build.row("r1", 100, role="consultant"),
                      build.row("r2", 105, role="consultant"))
    p = problem(decide(build, [card]), "rate_conflict")
    assert "FIRM/r1" in p.details["rows"] and "FIRM/r2" in p.details["rows"]
    assert "FIRM/r1" in p.message and "FIRM/r2" in p.message
    assert "role" in p.message
    assert p.owner == "finance"


def test_tie_across_two_cards_of_same_scope_is_conflict(build) -> None:
    a = build.card("A", CONTRACT, build.row("ra", 100), scope_id="K1")
    b = build.card("B", CONTRACT, build.row("rb", 100), scope_id="K1")
    p = problem(decide(build, [a, b]), "rate_conflict")
    assert "A/ra" in p.details["rows"] and "B/rb" in p.details["rows"]


def test_overlap_only_conflicts_on_the_overlapping_days(build) -> None:
    card = build.card(
        "FIRM", FIRM,
        build.row("r1", 100, valid_until=date(2026, 1, 20)),
        build.row("r2", 110, valid_from=date(2026, 1, 20)),
    )
    assert decided(decide(build, [card], on=date(2026, 1, 19))).row == "r1"
    problem(decide(build, [card], on=date(2026, 1, 20)), "rate_conflict")
    assert decided(decide(build, [card], on=date(2026, 1, 21))).row == "r2"


def test_lower_level_rows_do_not_conflict_with_a_unique_winner(build) -> None:
    card = build.card("FIRM", FIRM, build.row("alice", 150, employee="alice"),
                      build.row("d1", 100), build.row("d2", 100))
    assert decided(decide(build, [card])).row == "alice"


def test_no_card_is_no_rate(build) -> None:
    problem(decide(build, []), "no_rate")


def test_card_in_other_currency_is_ignored(build) -> None:
    usd = build.card("USD", CONTRACT, build.row("u", 200, role="consultant"), scope_id="K1",
                     currency="USD")
    eur = build.card("FIRM", FIRM, build.row("e", 100))
    d = decided(decide(build, [usd, eur]))
    assert (d.card, d.currency) == ("FIRM", "EUR")
    problem(decide(build, [usd]), "no_rate")


def test_no_contract_version_in_force(build) -> None:
    card = build.card("FIRM", FIRM, build.row("f", 100))
    late = (build.version(effective_from=date(2026, 2, 1)),)
    p = problem(decide(build, [card], versions=late), "outside_contract_dates")
    assert p.field == "date"
    problem(decide(build, [card], versions=()), "outside_contract_dates")


def test_decision_carries_its_reasons(build) -> None:
    versions = (build.version(1, date(2026, 1, 1)), build.version(2, date(2026, 1, 10)))
    d = decided(decide(build, [build.firm_card(), build.contract_card()], versions=versions))
    assert d == RateDecision(rate=D(130), currency="EUR", card="K1-RATES", row="k-consultant",
                             rule="role", scope="contract", contract_version=2)
    early = decided(decide(build, [build.firm_card()], versions=versions, on=date(2026, 1, 9)))
    assert (early.card, early.row, early.rule, early.scope, early.contract_version) == (
        "FIRM", "f-consultant", "role", "firm", 1)


def test_same_book_two_contracts_for_one_project(build) -> None:
    """E.g. entries validated under K1 re-priced after the project moved to K2 (or a K2 in
    another currency): each contract must see its own cards."""
    k1 = build.card("K1-RATES", CONTRACT, build.row("k1", 100), scope_id="K1")
    k2 = build.card("K2-RATES", CONTRACT, build.row("k2", 200), scope_id="K2")
    md = build.md(contracts=[build.contract("K1"), build.contract("K2")], rate_cards=[k1, k2])
    book = RateBook(md)
    p = md.projects["P1"]
    first = decided(book.decide(p, md.contracts["K1"], "alice", "consultant", "dev", DAY))
    second = decided(book.decide(p, md.contracts["K2"], "alice", "consultant", "dev", DAY))
    assert (first.card, second.card) == ("K1-RATES", "K2-RATES")


def test_fee_only_hours_need_no_rate_but_keep_one_where_it_exists(build) -> None:
    fee_only = (build.version(billing_model=BillingModel.FEE_ONLY.value),)
    # no card at all: a T&M version cannot price the hour, a fee-only one needs no price
    problem(decide(build, []), "no_rate")
    covered = decided(decide(build, [], versions=fee_only))
    assert (covered.rate, covered.rule, covered.currency, covered.contract_version) == (
        D(0), FEE_COVERED, "EUR", 1)
    # a rate that applies is still decided (it serves reporting), fee-only or not
    kept = decided(decide(build, [build.firm_card()], versions=fee_only))
    assert (kept.rate, kept.row) == (D(120), "f-consultant")
    # intake takes the hour with its billable seconds; a conflict is still a conflict
    md = replace(build.md(rate_cards=[]), contracts={"K1": build.contract(versions=fee_only)})
    taken = validate_entry(build.parsed(worked_seconds=3000), "harvest", md, RateBook(md))
    assert isinstance(taken, ValidatedEntry)
    assert (taken.entry.billable, taken.entry.billable_seconds) == (True, 3600)  # 15-min up
    tie = build.card("K1-TIE", CONTRACT, build.row("t1", 100), build.row("t2", 110),
                     scope_id="K1")
    problem(decide(build, [tie], versions=fee_only), "rate_conflict")
