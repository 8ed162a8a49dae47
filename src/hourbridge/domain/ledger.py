"""Double-entry journal entries: built here, balanced per currency or never created.

Accounting flow for time and materials:

* approval of billable time: Dr unbilled receivables / Cr revenue, at the WIP value of each
  entry (billable hours x rate, rounded per entry);
* issuing an invoice: Dr receivables (total) / Cr unbilled receivables (the WIP booked for its
  entries) / Cr tax payable; the difference between invoiced net and booked WIP (rates changed
  since approval, per-line rounding) goes to revenue adjustments, so revenue equals what was
  invoiced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hourbridge.errors import UnbalancedJournal

from .model import LegalEntity

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    debit: Decimal
    credit: Decimal
    currency: str
    # Functional-currency amount (debit positive) and the rate used to get it.
    functional_amount: Decimal
    fx_rate: Decimal = Decimal(1)
    customer: str | None = None
    project: str | None = None
    employee: str | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    key: str  # deterministic idempotency key, e.g. "invoice-issued:DE:DE-2026-000001"
    entity: str
    posted_on: date
    memo: str
    source_type: str
    source_id: str
    postings: tuple[Posting, ...] = field(default_factory=tuple)

    def imbalance(self) -> dict[str, Decimal]:
        by_currency: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for p in self.postings:
            by_currency[p.currency] += p.debit - p.credit
        return {cur: amount for cur, amount in by_currency.items() if amount != ZERO}


def balanced(entry: JournalEntry) -> JournalEntry:
    """Return ``entry`` if it balances per currency; otherwise raise: an unbalanced entry is
    a bug in our code and must never be stored or sent."""
    if not entry.postings:
        raise UnbalancedJournal(f"journal entry {entry.key} has no postings")
    for p in entry.postings:
        if p.debit < ZERO or p.credit < ZERO or (p.debit and p.credit):
            raise UnbalancedJournal(f"journal entry {entry.key}: malformed posting {p}")
    off = entry.imbalance()
    if off:
        raise UnbalancedJournal(f"journal entry {entry.key} does not balance: {off}")
    return entry


def _posting(account: str, amount: Decimal, currency: str, **dims: str | None) -> Posting:
    """A debit for a positive amount, a credit for a negative one (same currency as functional
    in v1: contracts are in the entity's functional currency)."""
    return Posting(
        account=account,
        debit=amount if amount > ZERO else ZERO,
        credit=-amount if amount < ZERO else ZERO,
        currency=currency,
        functional_amount=amount,
        **dims,  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class WipAmount:
    """Value booked for approved billable work, per project (the dimension finance reads)."""

    customer: str
    project: str
    amount: Decimal


def approval_entry(
    key: str, entity: LegalEntity, currency: str, on: date, wip: Iterable[WipAmount], memo: str
) -> JournalEntry:
    postings: list[Posting] = []
    acc = entity.accounts
    for w in wip:
        if w.amount == ZERO:
            continue
        dims = {"customer": w.customer, "project": w.project}
        postings.append(_posting(acc.unbilled_receivables, w.amount, currency, **dims))
        postings.append(_posting(acc.revenue, -w.amount, currency, **dims))
    return balanced(JournalEntry(key, entity.code, on, memo, "approval", key, tuple(postings)))


def issue_entry(
    key: str, entity: LegalEntity, invoice_ref: str, customer: str, currency: str, on: date,
    net: Decimal, tax: Decimal, wip_booked: Iterable[WipAmount],
) -> JournalEntry:
    acc = entity.accounts
    postings = [_posting(acc.receivables, net + tax, currency, customer=customer)]
    booked = ZERO
    for w in wip_booked:
        if w.amount:
            postings.append(_posting(acc.unbilled_receivables, -w.amount, currency,
                                     customer=w.customer, project=w.project))
        booked += w.amount
    if tax:
        postings.append(_posting(acc.tax_payable, -tax, currency, customer=customer))
    if net != booked:
        postings.append(_posting(acc.revenue_adjustments, booked - net, currency,
                                 customer=customer))
    return balanced(JournalEntry(
        key, entity.code, on, f"invoice {invoice_ref}", "invoice", invoice_ref, tuple(postings)
    ))


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    entity: str
    currency: str
    account: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


def trial_balance(rows: Iterable[tuple[str, str, str, Decimal, Decimal]]) -> list[TrialBalanceRow]:
    """Sum (entity, currency, account, debit, credit) lines into one row per account."""
    sums: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for entity, currency, account, debit, credit in rows:
        s = sums[(entity, currency, account)]
        s[0] += debit
        s[1] += credit
    return [TrialBalanceRow(e, c, a, d, cr) for (e, c, a), (d, cr) in sorted(sums.items())]


def credit_note_entry(
    key: str, entity: LegalEntity, note_ref: str, customer: str, currency: str, on: date,
    net: Decimal, tax: Decimal, restored: Iterable[WipAmount],
) -> JournalEntry:
    """Reverse a receivable: Cr receivables, Dr tax payable; the credited work goes back to
    unbilled receivables at the WIP it had relieved (rebill), and what differs from the
    credited net, or all of it when written off, to revenue adjustments."""
    acc = entity.accounts
    postings = [_posting(acc.receivables, -(net + tax), currency, customer=customer)]
    back = ZERO
    for w in restored:
        if w.amount:
            postings.append(_posting(acc.unbilled_receivables, w.amount, currency,
                                     customer=w.customer, project=w.project))
        back += w.amount
    if tax:
        postings.append(_posting(acc.tax_payable, tax, currency, customer=customer))
    if net != back:
        postings.append(_posting(acc.revenue_adjustments, net - back, currency,
                                 customer=customer))
    return balanced(JournalEntry(
        key, entity.code, on, f"credit note {note_ref}", "credit_note", note_ref,
        tuple(postings)))


def adjustment_entry(key: str, entity: LegalEntity, currency: str, on: date, customer: str,
                     project: str, delta: Decimal, memo: str) -> JournalEntry:
    """A write-up (delta > 0) or write-down (delta < 0) of approved, unbilled work: unbilled
    receivables against revenue adjustments, so the adjustment is visible on its own."""
    acc = entity.accounts
    dims = {"customer": customer, "project": project}
    return balanced(JournalEntry(key, entity.code, on, memo, "adjustment", key, (
        _posting(acc.unbilled_receivables, delta, currency, **dims),
        _posting(acc.revenue_adjustments, -delta, currency, **dims),
    )))


def void_entry(
    key: str, entity: LegalEntity, invoice_ref: str, customer: str, currency: str, on: date,
    net: Decimal, tax: Decimal, restored: Iterable[WipAmount],
) -> JournalEntry:
    """Reverse an invoice's issue posting when it is voided: Cr receivables (total), Dr tax
    payable, Dr unbilled receivables (the WIP its entries had relieved, so they bill again)
    and the difference to revenue adjustments, the mirror of ``issue_entry``."""
    acc = entity.accounts
    postings = [_posting(acc.receivables, -(net + tax), currency, customer=customer)]
    back = ZERO
    for w in restored:
        if w.amount:
            postings.append(_posting(acc.unbilled_receivables, w.amount, currency,
                                     customer=w.customer, project=w.project))
        back += w.amount
    if tax:
        postings.append(_posting(acc.tax_payable, tax, currency, customer=customer))
    if net != back:
        postings.append(_posting(acc.revenue_adjustments, net - back, currency,
                                 customer=customer))
    return balanced(JournalEntry(
        key, entity.code, on, f"void of invoice {invoice_ref}", "invoice_void", invoice_ref,
        tuple(postings)))


def revision_entry(key: str, entity: LegalEntity, currency: str, on: date,
                   old: WipAmount, new: WipAmount, memo: str) -> JournalEntry | None:
    """An applied source correction re-values approved work: the old WIP leaves unbilled
    receivables, the new one enters (per project, so a move between projects shows), and the
    difference goes to revenue adjustments. ``None`` when nothing changes in value."""
    acc = entity.accounts
    postings: list[Posting] = []
    if old.project == new.project and old.customer == new.customer:
        delta = new.amount - old.amount
        if delta:
            postings.append(_posting(acc.unbilled_receivables, delta, currency,
                                     customer=new.customer, project=new.project))
    else:
        for w, sign in ((old, -1), (new, 1)):
            if w.amount:
                postings.append(_posting(acc.unbilled_receivables, sign * w.amount, currency,
                                         customer=w.customer, project=w.project))
    difference = new.amount - old.amount
    if difference:
        postings.append(_posting(acc.revenue_adjustments, -difference, currency,
                                 customer=new.customer, project=new.project))
    if not postings:
        return None
    return balanced(JournalEntry(key, entity.code, on, memo, "correction", key,
                                 tuple(postings)))
