from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.ledger import (
    JournalEntry,
    Posting,
    TrialBalanceRow,
    WipAmount,
    approval_entry,
    balanced,
    issue_entry,
    trial_balance,
)
from hourbridge.domain.model import Accounts
from hourbridge.errors import Permanent, UnbalancedJournal

D = Decimal
ON = date(2026, 1, 31)
Z = D(0)


def posting(account: str, debit: str | int = 0, credit: str | int = 0,
            currency: str = "EUR") -> Posting:
    return Posting(account, D(debit), D(credit), currency, D(debit) - D(credit))


def journal(*postings: Posting) -> JournalEntry:
    return JournalEntry("k", "DE", ON, "memo", "test", "1", postings)


def by_account(entry: JournalEntry) -> dict[str, Decimal]:
    """Net debit per account."""
    out: dict[str, Decimal] = defaultdict(lambda: Z)
    for p in entry.postings:
        out[p.account] += p.debit - p.credit
    return dict(out)


# --- balanced() ----------------------------------------------------------------------------

def test_balanced_accepts_balanced_entry() -> None:
    entry = journal(posting("1200", debit="119.00"), posting("4000", credit="100.00"),
                    posting("2200", credit="19.00"))
    assert balanced(entry) is entry
    assert entry.imbalance() == {}


def test_balanced_per_currency() -> None:
    entry = journal(posting("1200", debit=10), posting("4000", credit=10, currency="USD"))
    with pytest.raises(UnbalancedJournal) as err:
        balanced(entry)
    assert isinstance(err.value, Permanent)
    assert entry.imbalance() == {"EUR": D(10), "USD": D(-10)}


def test_unbalanced_raises() -> None:
    with pytest.raises(UnbalancedJournal, match="does not balance"):
        balanced(journal(posting("1200", debit="100.00"), posting("4000", credit="99.99")))


def test_empty_raises() -> None:
    with pytest.raises(UnbalancedJournal, match="no postings"):
        balanced(journal())


@pytest.mark.parametrize(
    "bad",
    [
        Posting("1200", D(-1), Z, "EUR", D(-1)),
        Posting("1200", Z, D(-1), "EUR", D(1)),
        Posting("1200", D(5), D(5), "EUR", Z),  # both-sided, nets to zero
    ],
)
def test_malformed_posting_raises(bad: Posting) -> None:
    with pytest.raises(UnbalancedJournal, match="malformed posting"):
        balanced(journal(bad))


# --- approval ------------------------------------------------------------------------------

def test_approval_entry_books_wip(build) -> None:
    entity = build.entity()
    wip = [WipAmount("ACME-DE", "P1", D("130.00")), WipAmount("ACME-DE", "P2", D("32.50")),
           WipAmount("ACME-DE", "P3", Z)]
    entry = approval_entry("approval:1", entity, "EUR", ON, wip, "approved 3 entries")
    assert (entry.key, entry.entity, entry.posted_on, entry.source_type, entry.source_id) == (
        "approval:1", "DE", ON, "approval", "approval:1")
    assert by_account(entry) == {"1210": D("162.50"), "4000": D("-162.50")}
    assert len(entry.postings) == 4  # zero WIP is skipped
    p1 = [p for p in entry.postings if p.project == "P1"]
    assert {(p.account, p.debit, p.credit, p.customer) for p in p1} == {
        ("1210", D("130.00"), Z, "ACME-DE"), ("4000", Z, D("130.00"), "ACME-DE")}
    assert all(p.functional_amount == p.debit - p.credit for p in entry.postings)


def test_approval_entry_negative_wip_reverses(build) -> None:
    entry = approval_entry("k", build.entity(), "EUR", ON,
                           [WipAmount("ACME-DE", "P1", D("-10.00"))], "reversal")
    assert by_account(entry) == {"1210": D("-10.00"), "4000": D("10.00")}


# --- issue ---------------------------------------------------------------------------------

def test_issue_entry_with_wip_equal_to_net(build) -> None:
    entry = issue_entry("invoice-issued:DE:1", build.entity(), "DE-2026-000001", "ACME-DE", "EUR",
                        ON, D("100.00"), D("19.00"), [WipAmount("ACME-DE", "P1", D("100.00"))])
    assert by_account(entry) == {"1200": D("119.00"), "1210": D("-100.00"),
                                 "2200": D("-19.00")}
    assert entry.source_type == "invoice" and entry.source_id == "DE-2026-000001"
    assert entry.memo == "invoice DE-2026-000001"


@pytest.mark.parametrize(
    ("net", "wip", "adjustment"),
    [
        ("100.00", ["60.00", "40.01"], "0.01"),  # invoiced less than booked: debit adjustments
        ("100.00", ["99.98"], "-0.02"),  # invoiced more: credit adjustments
        ("100.00", [], "-100.00"),  # nothing booked (e.g. approval never posted)
    ],
)
def test_issue_entry_puts_difference_on_revenue_adjustments(
    build, net: str, wip: list[str], adjustment: str
) -> None:
    entry = issue_entry("k", build.entity(), "INV", "ACME-DE", "EUR", ON, D(net), D("19.00"),
                        [WipAmount("ACME-DE", f"P{i}", D(w)) for i, w in enumerate(wip)])
    accounts = by_account(entry)
    assert accounts["4090"] == D(adjustment)
    # revenue net of adjustments equals what was invoiced: approval credited the WIP
    assert sum((D(w) for w in wip), Z) - accounts["4090"] == D(net)


def test_issue_entry_without_tax_has_no_tax_posting(build) -> None:
    entry = issue_entry("k", build.entity(), "INV", "ACME-DE", "EUR", ON, D("50.00"), Z,
                        [WipAmount("ACME-DE", "P1", D("50.00"))])
    assert by_account(entry) == {"1200": D("50.00"), "1210": D("-50.00")}


def test_issue_entry_uses_entity_accounts(build) -> None:
    entity = build.entity(accounts=Accounts("AR", "WIP", "VAT", "REV", "ADJ"))
    entry = issue_entry("k", entity, "INV", "C", "EUR", ON, D("10.00"), D("1.90"),
                        [WipAmount("C", "P1", D("9.00"))])
    assert by_account(entry) == {"AR": D("11.90"), "WIP": D("-9.00"), "VAT": D("-1.90"),
                                 "ADJ": D("-1.00")}


def test_credit_note_reverses(build) -> None:
    entry = issue_entry("k", build.entity(), "CN", "ACME-DE", "EUR", ON, D("-100.00"),
                        D("-19.00"), [WipAmount("ACME-DE", "P1", D("-100.00"))])
    assert by_account(entry) == {"1200": D("-119.00"), "1210": D("100.00"), "2200": D("19.00")}


# --- trial balance -------------------------------------------------------------------------

def test_trial_balance_sums_per_entity_currency_account() -> None:
    rows = [
        ("DE", "EUR", "1200", D("119.00"), Z),
        ("DE", "EUR", "4000", Z, D("100.00")),
        ("DE", "EUR", "2200", Z, D("19.00")),
        ("DE", "EUR", "1200", Z, D("50.00")),
        ("DE", "EUR", "4000", D("50.00"), Z),
        ("US", "USD", "1200", D("5.00"), Z),
    ]
    tb = trial_balance(rows)
    assert tb == [
        TrialBalanceRow("DE", "EUR", "1200", D("119.00"), D("50.00")),
        TrialBalanceRow("DE", "EUR", "2200", Z, D("19.00")),
        TrialBalanceRow("DE", "EUR", "4000", D("50.00"), D("100.00")),
        TrialBalanceRow("US", "USD", "1200", D("5.00"), Z),
    ]
    assert tb[0].balance == D("69.00")
    assert sum((r.balance for r in tb if r.entity == "DE"), Z) == Z


def test_trial_balance_empty() -> None:
    assert trial_balance([]) == []


# --- properties ----------------------------------------------------------------------------

cents = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=2)
positive_cents = st.decimals(min_value=Z, max_value=D("100000"), places=2)


@given(
    wip=st.lists(cents, max_size=8),
    net=positive_cents,
    tax_rate=st.sampled_from([D(0), D("0.07"), D("0.19"), D("0.2")]),
)
def test_issue_entry_always_balances(build, wip: list[Decimal], net: Decimal,
                                     tax_rate: Decimal) -> None:
    tax = (net * tax_rate).quantize(D("0.01"))
    wips = [WipAmount("ACME-DE", f"P{i}", w) for i, w in enumerate(wip)]
    entry = issue_entry("k", build.entity(), "INV", "ACME-DE", "EUR", ON, net, tax, wips)
    assert entry.imbalance() == {}
    receivables = [p for p in entry.postings if p.account == "1200"]
    assert len(receivables) == 1
    assert receivables[0].debit == net + tax
    assert receivables[0].credit == Z
    accounts = by_account(entry)
    assert accounts.get("1210", Z) == -sum(wip, Z)
    assert accounts.get("2200", Z) == -tax
    # WIP credited at approval plus adjustments = revenue of exactly the invoiced net
    assert sum(wip, Z) - accounts.get("4090", Z) == net


@given(wip=st.lists(cents, min_size=1, max_size=8).filter(lambda ws: any(ws)))
def test_approval_entry_always_balances(build, wip: list[Decimal]) -> None:
    wips = [WipAmount("ACME-DE", f"P{i}", w) for i, w in enumerate(wip)]
    entry = approval_entry("k", build.entity(), "EUR", ON, wips, "m")
    assert entry.imbalance() == {}
    assert by_account(entry)["1210"] == sum(wip, Z)


@given(st.lists(st.tuples(st.sampled_from(["1200", "4000", "2200"]), cents), max_size=20))
def test_trial_balance_of_balanced_postings_nets_to_zero(lines: list[tuple[str, Decimal]]) -> None:
    rows = [("DE", "EUR", a, max(x, Z), max(-x, Z)) for a, x in lines]
    total = sum((x for _, x in lines), Z)
    rows.append(("DE", "EUR", "9999", max(-total, Z), max(total, Z)))
    tb = trial_balance(rows)
    assert sum((r.balance for r in tb), Z) == Z
    assert sum((r.debit for r in tb), Z) == sum((r[3] for r in rows), Z)
