"""Double-entry journal entries: built here, balanced per currency or never created.

Accounting flow for time and materials:

* approval of billable time: Dr unbilled receivables / Cr revenue, at the WIP value of each
  entry (billable hours x rate, rounded per entry);
* issuing an invoice: Dr receivables (total) / Cr unbilled receivables (the WIP booked for its
  entries) / Cr tax payable; the difference between invoiced net and booked WIP (rates changed
  since approval, per-line rounding) goes to revenue adjustments, so revenue equals what was
  invoiced.

Multi-currency (a contract in another currency than its entity's functional currency, see
``domain.fx`` for the rate convention): every posting keeps its transaction amount
(debit/credit in the contract currency), its functional amount (rounded to the functional
currency's minor unit) and the rate used. An entry balances per transaction currency AND in
the functional currency: whatever the translated postings leave over (the invoice translated
at another rate than the WIP it relieves, or functional rounding) goes to the entity's FX
gain/loss account as a functional-only posting (no transaction amount, ``fx_rate`` 0).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hourbridge.errors import UnbalancedJournal

from .fx import translate, translate_step
from .model import Accounts, LegalEntity

ZERO = Decimal(0)
ONE = Decimal(1)
# the rate stored on a functional-only posting (an FX difference): no rate was applied
NO_RATE = ZERO


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

    def functional_imbalance(self) -> Decimal:
        return sum((p.functional_amount for p in self.postings), ZERO)


def balanced(entry: JournalEntry) -> JournalEntry:
    """Return ``entry`` if it balances per transaction currency and in the functional
    currency; otherwise raise: an unbalanced entry is a bug in our code and must never be
    stored or sent."""
    if not entry.postings:
        raise UnbalancedJournal(f"journal entry {entry.key} has no postings")
    for p in entry.postings:
        if p.debit < ZERO or p.credit < ZERO or (p.debit and p.credit):
            raise UnbalancedJournal(f"journal entry {entry.key}: malformed posting {p}")
        # a translated amount keeps its side (a debit stays a debit in functional currency)
        if (p.debit and p.functional_amount < ZERO) or (p.credit and p.functional_amount > ZERO):
            raise UnbalancedJournal(
                f"journal entry {entry.key}: functional amount on the wrong side in {p}")
    off = entry.imbalance()
    if off:
        raise UnbalancedJournal(f"journal entry {entry.key} does not balance: {off}")
    functional_off = entry.functional_imbalance()
    if functional_off:
        raise UnbalancedJournal(f"journal entry {entry.key} does not balance in functional "
                                f"currency: {functional_off}")
    return entry


def _posting(account: str, amount: Decimal, currency: str, functional: Decimal | None = None,
             rate: Decimal = ONE, **dims: str | None) -> Posting:
    """A debit for a positive amount, a credit for a negative one; ``functional`` is the
    amount translated at ``rate`` (the amount itself when the currency is the functional one)."""
    return Posting(
        account=account,
        debit=amount if amount > ZERO else ZERO,
        credit=-amount if amount < ZERO else ZERO,
        currency=currency,
        functional_amount=amount if functional is None else functional,
        fx_rate=rate,
        **dims,
    )


def _settle_fx(postings: list[Posting], entity: LegalEntity, currency: str,
               customer: str | None) -> list[Posting]:
    """Append the functional-only posting that makes ``postings`` balance in functional
    currency (nothing when they already do)."""
    rest = -sum((p.functional_amount for p in postings), ZERO)
    if rest:
        postings.append(Posting(entity.accounts.fx_gain_loss, ZERO, ZERO, currency, rest,
                                NO_RATE, customer=customer))
    return postings


@dataclass(frozen=True, slots=True)
class WipAmount:
    """Value booked for approved billable work, per project (the dimension finance reads),
    and per rate when the work is in a foreign currency: ``functional`` is its value in the
    entity's functional currency at ``fx_rate`` (None: the same currency, amount itself)."""

    customer: str
    project: str
    amount: Decimal
    functional: Decimal | None = None
    fx_rate: Decimal = ONE


@dataclass(frozen=True, slots=True)
class Translation:
    """How an invoice's or credit note's own amounts become functional currency: at
    ``rate`` (the invoice's), and for a credit note's receivable after what earlier credit
    notes took of the invoice's total, so a receivable credited in parts clears exactly."""

    rate: Decimal = ONE
    total_before: Decimal = ZERO


def approval_entry(
    key: str, entity: LegalEntity, currency: str, on: date, wip: Iterable[WipAmount], memo: str
) -> JournalEntry:
    postings: list[Posting] = []
    acc = entity.accounts
    for w in wip:
        if w.amount == ZERO:
            continue
        dims = {"customer": w.customer, "project": w.project}
        f = w.functional
        postings.append(_posting(acc.unbilled_receivables, w.amount, currency, f, w.fx_rate,
                                 **dims))
        postings.append(_posting(acc.revenue, -w.amount, currency, None if f is None else -f,
                                 w.fx_rate, **dims))
    return balanced(JournalEntry(key, entity.code, on, memo, "approval", key, tuple(postings)))


def issue_entry(
    key: str, entity: LegalEntity, invoice_ref: str, customer: str, currency: str, on: date,
    net: Decimal, tax: Decimal, wip_booked: Iterable[WipAmount],
    fx: Translation = Translation(),
    charges: Mapping[str, Decimal] | None = None,
) -> JournalEntry:
    """Receivable and tax at the invoice's rate; unbilled receivables relieved at the
    functional value the WIP was booked at; the difference in functional currency goes to FX
    gain/loss. ``charges``: parts of ``net`` credited straight to an account (see
    ``charge_accounts``); the rest is hourly work, relieved from unbilled receivables."""
    acc = entity.accounts
    fc = entity.currency
    postings = [_posting(acc.receivables, net + tax, currency,
                         translate(net + tax, fx.rate, fc), fx.rate, customer=customer)]
    booked = ZERO
    for w in wip_booked:
        if w.amount or w.functional:
            f = None if w.functional is None else -w.functional
            postings.append(_posting(acc.unbilled_receivables, -w.amount, currency, f,
                                     w.fx_rate, customer=w.customer, project=w.project))
        booked += w.amount
    if tax:
        postings.append(_posting(acc.tax_payable, -tax, currency,
                                 translate(-tax, fx.rate, fc), fx.rate, customer=customer))
    hourly = net
    for account, amount in sorted((charges or {}).items()):
        if amount:
            postings.append(_posting(account, -amount, currency,
                                     translate(-amount, fx.rate, fc), fx.rate,
                                     customer=customer))
        hourly -= amount
    if hourly != booked:
        postings.append(_posting(acc.revenue_adjustments, booked - hourly, currency,
                                 translate(booked - hourly, fx.rate, fc), fx.rate,
                                 customer=customer))
    return balanced(JournalEntry(
        key, entity.code, on, f"invoice {invoice_ref}", "invoice", invoice_ref,
        tuple(_settle_fx(postings, entity, currency, customer))
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
    fx: Translation = Translation(),
    charges: Mapping[str, Decimal] | None = None,
) -> JournalEntry:
    """Reverse a receivable: Cr receivables, Dr tax payable; the credited work goes back to
    unbilled receivables at the WIP it had relieved (rebill), and what differs from the
    credited net, or all of it when written off, to revenue adjustments.

    In functional currency the receivable is reversed at the credited invoice's rate,
    continuing from what earlier credit notes reversed (``fx``), so an invoice credited in
    parts leaves exactly zero in receivables; tax at that rate per document; restored WIP
    comes back at the value it was booked at; the rest goes to FX gain/loss."""
    acc = entity.accounts
    fc = entity.currency
    postings = [_posting(acc.receivables, -(net + tax), currency,
                         -translate_step(fx.total_before, net + tax, fx.rate, fc), fx.rate,
                         customer=customer)]
    back = ZERO
    for w in restored:
        if w.amount or w.functional:
            postings.append(_posting(acc.unbilled_receivables, w.amount, currency,
                                     w.functional, w.fx_rate,
                                     customer=w.customer, project=w.project))
        back += w.amount
    if tax:
        # per document, as its e-invoice states it (BT-111): VAT is declared document by
        # document, so the tax payable follows the documents, not a running total
        postings.append(_posting(acc.tax_payable, tax, currency,
                                 translate(tax, fx.rate, fc), fx.rate, customer=customer))
    hourly = net
    for account, amount in sorted((charges or {}).items()):
        if amount:
            postings.append(_posting(account, amount, currency,
                                     translate(amount, fx.rate, fc), fx.rate,
                                     customer=customer))
        hourly -= amount
    if hourly != back:
        postings.append(_posting(acc.revenue_adjustments, hourly - back, currency,
                                 translate(hourly - back, fx.rate, fc), fx.rate,
                                 customer=customer))
    return balanced(JournalEntry(
        key, entity.code, on, f"credit note {note_ref}", "credit_note", note_ref,
        tuple(_settle_fx(postings, entity, currency, customer))))


def adjustment_entry(key: str, entity: LegalEntity, currency: str, on: date, customer: str,
                     project: str, delta: Decimal, memo: str,
                     functional_delta: Decimal | None = None,
                     fx_rate: Decimal = ONE) -> JournalEntry:
    """A write-up (delta > 0) or write-down (delta < 0) of approved, unbilled work: unbilled
    receivables against revenue adjustments, so the adjustment is visible on its own; in
    functional currency at the rate the entry's WIP was booked at."""
    acc = entity.accounts
    dims = {"customer": customer, "project": project}
    f = functional_delta
    return balanced(JournalEntry(key, entity.code, on, memo, "adjustment", key, (
        _posting(acc.unbilled_receivables, delta, currency, f, fx_rate, **dims),
        _posting(acc.revenue_adjustments, -delta, currency, None if f is None else -f,
                 fx_rate, **dims),
    )))


def charge_accounts(accounts: Accounts, amounts_by_kind: Mapping[str, Decimal],
                    wip_accrued: bool) -> dict[str, Decimal]:
    """Where each kind of line is credited on issue (and debited back on credit):

    * fees, milestones and retainer fees: deferred revenue, until `revenue run` recognises them;
    * expenses passed through (at cost or with markup): expense recoveries;
    * a cap write-down (a negative line): revenue adjustments, visible on its own;
    * hourly work that booked no WIP (retainer overage): revenue;
    * hourly work that booked WIP is not here: it relieves unbilled receivables.
    """
    account_of = {"fee": accounts.deferred_revenue, "milestone": accounts.deferred_revenue,
                  "retainer_fee": accounts.deferred_revenue,
                  "expense": accounts.expense_recoveries,
                  "cap_write_down": accounts.revenue_adjustments}
    if not wip_accrued:
        account_of["time"] = accounts.revenue
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, amount in amounts_by_kind.items():
        if kind in account_of:
            out[account_of[kind]] += amount
    return dict(out)


def recognition_entry(key: str, entity: LegalEntity, currency: str, on: date, customer: str,
                      contract: str, delta: Decimal, memo: str,
                      rate: Decimal = ONE) -> JournalEntry:
    """Revenue recognised (delta > 0) or taken back (delta < 0) on fees billed through
    deferred revenue: Dr deferred revenue / Cr revenue, translated at ``rate`` (the contract's
    policy rate on the posting date) when the contract is in a foreign currency."""
    acc = entity.accounts
    f = translate(delta, rate, entity.currency)
    return balanced(JournalEntry(key, entity.code, on, memo, "revenue", contract, (
        _posting(acc.deferred_revenue, delta, currency, f, rate, customer=customer),
        _posting(acc.revenue, -delta, currency, -f, rate, customer=customer),
    )))


def void_entry(
    key: str, entity: LegalEntity, invoice_ref: str, customer: str, currency: str, on: date,
    net: Decimal, tax: Decimal, restored: Iterable[WipAmount],
    fx: Translation = Translation(), charges: Mapping[str, Decimal] | None = None,
) -> JournalEntry:
    """Reverse an invoice's issue posting when it is voided: the exact mirror of
    ``issue_entry`` over the same amounts (receivable, tax, WIP restored so its entries bill
    again, charges back out of deferred revenue or expense recoveries, FX)."""
    issued = issue_entry(key, entity, invoice_ref, customer, currency, on, net, tax, restored,
                         fx, charges)
    return balanced(JournalEntry(
        key, entity.code, on, f"void of invoice {invoice_ref}", "invoice_void", invoice_ref,
        tuple(dataclasses.replace(p, debit=p.credit, credit=p.debit,
                                  functional_amount=-p.functional_amount)
              for p in issued.postings)))


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
