from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.billing import (
    BillableItem,
    DraftInvoice,
    LineLink,
    build_drafts,
    period_of,
)
from hourbridge.domain.money import round_money, time_amount
from hourbridge.domain.rating import RateDecision
from hourbridge.domain.tax import invoice_tax

D = Decimal

CONSULTANT = RateDecision(D("130"), "EUR", "K1-RATES", "k-consultant", "role", "contract", 1)
LEAD = RateDecision(D("150"), "EUR", "FIRM", "f-lead", "role", "firm", 1)
ALICE = RateDecision(D("99.99"), "EUR", "FIRM", "f-alice", "employee", "firm", 1)


def item(entry_id: int, seconds: int = 3600, day: date = date(2026, 1, 15),
         decision: RateDecision = CONSULTANT, **kw: object) -> BillableItem:
    base = BillableItem(
        entry_id=entry_id, contract="K1", entity="DE", customer="ACME-DE", currency="EUR",
        work_date=day, project="P1", task="dev", role="consultant", billable_seconds=seconds,
        decision=decision,
    )
    return replace(base, **kw)


def test_period_of() -> None:
    assert period_of(date(2026, 1, 31)) == "2026-01"
    assert period_of(date(987, 12, 1)) == "0987-12"


def test_empty_run_has_no_invoices() -> None:
    assert build_drafts([]) == []


def test_one_invoice_per_contract_and_month() -> None:
    drafts = build_drafts([
        item(1, day=date(2026, 1, 1)),
        item(2, day=date(2026, 1, 31)),
        item(3, day=date(2026, 2, 1)),
        item(4, day=date(2026, 1, 15), contract="K2", customer="GLOBEX"),
    ])
    assert [(d.contract, d.period, d.customer) for d in drafts] == [
        ("K1", "2026-01", "ACME-DE"), ("K1", "2026-02", "ACME-DE"), ("K2", "2026-01", "GLOBEX")]
    assert [sorted(d.entry_ids) for d in drafts] == [[1, 2], [3], [4]]


def test_lines_by_project_task_role_and_decision() -> None:
    drafts = build_drafts([
        item(1, 3600),
        item(2, 1800),  # same line as 1
        item(3, 900, task="review"),
        item(4, 600, project="P2"),
        item(5, 300, role="lead", decision=LEAD),
        item(6, 1200, decision=ALICE),  # same role, other rate row: own line
    ])
    assert len(drafts) == 1
    inv = drafts[0]
    got = [(ln.project, ln.task, ln.role, ln.decision.row, [lk.entry_id for lk in ln.links])
           for ln in inv.lines]
    assert got == [
        ("P1", "dev", "consultant", "f-alice", [6]),
        ("P1", "dev", "consultant", "k-consultant", [1, 2]),
        ("P1", "dev", "lead", "f-lead", [5]),
        ("P1", "review", "consultant", "k-consultant", [3]),
        ("P2", "dev", "consultant", "k-consultant", [4]),
    ]


def test_links_carry_exact_seconds_and_amount_is_rounded_once_per_line() -> None:
    # three entries of 20 minutes at 100/h: per entry 33.33 x 3 = 99.99, per line 100.00
    rate = replace(CONSULTANT, rate=D(100))
    inv = build_drafts([item(i, 1200, decision=rate) for i in (1, 2, 3)])[0]
    (line,) = inv.lines
    assert line.links == [LineLink(1, 1200), LineLink(2, 1200), LineLink(3, 1200)]
    assert line.seconds == 3600
    assert line.quantity_hours == D(1)
    assert line.amount == D("100.00")
    assert inv.net == D("100.00")


def test_line_describe() -> None:
    inv = build_drafts([item(1), item(2, task="")])[0]
    assert [ln.describe() for ln in inv.lines] == [
        "P1 — consultant @ 130.00 EUR/h", "P1 / dev — consultant @ 130.00 EUR/h"]


def test_net_is_sum_of_rounded_lines() -> None:
    # 20 minutes at 100/h and 20 minutes at 99.99/h: 33.33 + 33.33, not round(66.66333...)
    a = replace(CONSULTANT, rate=D(100))
    inv = build_drafts([item(1, 1200, decision=a), item(2, 1200, decision=ALICE)])[0]
    assert [ln.amount for ln in inv.lines] == [D("33.33"), D("33.33")]
    assert inv.net == D("66.66")


def test_entry_offered_twice_raises() -> None:
    with pytest.raises(ValueError, match="entry 7 offered twice"):
        build_drafts([item(7), item(8), item(7, day=date(2026, 2, 1))])


def test_currency_rounding_per_invoice_currency() -> None:
    jpy = RateDecision(D("10000"), "JPY", "JP", "r", "default", "firm", 1)
    inv = build_drafts([item(1, 1, decision=jpy, currency="JPY", contract="KJ")])[0]
    assert inv.currency == "JPY"
    assert inv.net == D("3")  # 2.777... -> 3


# --- tax -----------------------------------------------------------------------------------

def test_tax_is_computed_once_on_the_net(build) -> None:
    a = replace(CONSULTANT, rate=D("0.03"))
    inv = build_drafts([item(1, 3600, decision=a), item(2, 3600, task="review", decision=a)])[0]
    assert [ln.amount for ln in inv.lines] == [D("0.03"), D("0.03")]
    tax = invoice_tax(build.entity(), build.customer(), inv.net, "EUR")
    # per line 0.0057 -> 0.01 twice would be 0.02; per invoice 0.0114 -> 0.01
    assert (tax.code, tax.rate, tax.amount) == ("standard", D("0.19"), D("0.01"))


def test_tax_exempt_and_zero_codes(build) -> None:
    entity = build.entity()
    exempt = invoice_tax(entity, build.customer(tax_exempt=True), D("100.00"), "EUR")
    assert (exempt.code, exempt.amount) == ("exempt", D(0))
    assert exempt.note
    for code in ("zero", "exempt", "none"):
        assert invoice_tax(entity, build.customer(tax_code=code), D("100"), "EUR").amount == 0
    reduced = build.entity(tax_rates={"standard": D("0.19"), "reduced": D("0.07")})
    assert invoice_tax(reduced, build.customer(tax_code="reduced"), D("10.50"),
                       "EUR").amount == D("0.74")  # 0.735 half-up


def test_tax_unknown_code_raises(build) -> None:
    with pytest.raises(KeyError, match="reduced"):
        invoice_tax(build.entity(), build.customer(tax_code="reduced"), D("1"), "EUR")


# --- properties ----------------------------------------------------------------------------

CONTRACTS = {  # contract -> (entity, customer, currency)
    "K1": ("DE", "ACME-DE", "EUR"),
    "K2": ("DE", "GLOBEX", "EUR"),
    "KJ": ("JP", "NIPPON", "JPY"),
}
DECISIONS = [
    RateDecision(D(r), "", card, row, "role", "firm", 1)
    for card, row, r in [("A", "a1", "100"), ("A", "a2", "99.99"), ("B", "b1", "133.3333"),
                         ("B", "b2", "0.01"), ("C", "c1", "1250")]
]


@st.composite
def billable_items(draw: st.DrawFn) -> list[BillableItem]:
    n = draw(st.integers(min_value=0, max_value=40))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**9), min_size=n, max_size=n,
                        unique=True))
    out = []
    for entry_id in ids:
        contract = draw(st.sampled_from(sorted(CONTRACTS)))
        entity, customer, currency = CONTRACTS[contract]
        decision = draw(st.sampled_from(DECISIONS))
        out.append(BillableItem(
            entry_id=entry_id, contract=contract, entity=entity, customer=customer,
            currency=currency,
            work_date=draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 3, 31))),
            project=draw(st.sampled_from(["P1", "P2"])),
            task=draw(st.sampled_from(["dev", "", "review"])),
            role=draw(st.sampled_from(["consultant", "lead"])),
            billable_seconds=draw(st.integers(min_value=0, max_value=24 * 3600)),
            decision=replace(decision, currency=currency),
        ))
    return out


def all_links(drafts: list[DraftInvoice]) -> list[tuple[DraftInvoice, LineLink]]:
    return [(inv, link) for inv in drafts for line in inv.lines for link in line.links]


@given(billable_items())
def test_every_entry_billed_exactly_once(items: list[BillableItem]) -> None:
    drafts = build_drafts(items)
    links = all_links(drafts)
    counts = Counter(link.entry_id for _, link in links)
    assert counts == Counter(i.entry_id for i in items)
    assert set(counts.values()) <= {1}
    by_id = {i.entry_id: i for i in items}
    for _, link in links:
        assert link.seconds == by_id[link.entry_id].billable_seconds
    assert sum(link.seconds for _, link in links) == sum(i.billable_seconds for i in items)
    assert sum(len(inv.entry_ids) for inv in drafts) == len(items)


@given(billable_items())
def test_lines_hold_only_matching_items(items: list[BillableItem]) -> None:
    by_id = {i.entry_id: i for i in items}
    drafts = build_drafts(items)
    keys = set()
    for inv in drafts:
        assert inv.lines, "no empty invoices"
        entity, customer, currency = CONTRACTS[inv.contract]
        assert (inv.entity, inv.customer, inv.currency) == (entity, customer, currency)
        for line in inv.lines:
            assert line.links, "no empty lines"
            for link in line.links:
                it = by_id[link.entry_id]
                assert (it.contract, period_of(it.work_date)) == (inv.contract, inv.period)
                assert (it.project, it.task, it.role, it.decision) == (
                    line.project, line.task, line.role, line.decision)
            keys.add((inv.contract, inv.period, line.project, line.task, line.role,
                      line.decision))
    # one line per distinct key: nothing split, nothing merged
    assert len(keys) == sum(len(inv.lines) for inv in drafts)
    assert keys == {(i.contract, period_of(i.work_date), i.project, i.task, i.role, i.decision)
                    for i in items}
    assert len(drafts) == len({(i.contract, period_of(i.work_date)) for i in items})


@given(billable_items())
def test_totals_equal_sum_of_rounded_lines(items: list[BillableItem]) -> None:
    for inv in build_drafts(items):
        for line in inv.lines:
            assert line.amount == time_amount(line.seconds, line.decision.rate, inv.currency)
            assert line.amount == round_money(line.amount, inv.currency)
        assert inv.net == sum((line.amount for line in inv.lines), D(0))


@given(billable_items(), st.sampled_from(["standard", "zero", "exempt"]))
def test_total_is_net_plus_tax(build, items: list[BillableItem], tax_code: str) -> None:
    entity = build.entity(tax_rates={"standard": D("0.19")})
    for inv in build_drafts(items):
        customer = build.customer(inv.customer, tax_code=tax_code)
        tax = invoice_tax(entity, customer, inv.net, inv.currency)
        total = inv.net + tax.amount
        assert tax.amount == round_money(inv.net * tax.rate, inv.currency)
        assert total - inv.net == tax.amount
        if tax_code != "standard":
            assert total == inv.net
