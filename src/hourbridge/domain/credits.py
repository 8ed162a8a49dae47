"""Credit notes by quantity: which entry seconds a credit releases, at what amount, and how
much unbilled revenue (WIP) moves with them.

Invariant (DESIGN §3, billing ledger rule): for every entry, the seconds on live invoice
lines minus the seconds credited equal its billed seconds, and billed plus written-off
seconds never exceed its billable seconds. A credit note releases exactly what it credits.

Rounding: a credit that exhausts an invoice line takes the line's remaining amount, and one
that exhausts the invoice takes its remaining tax, so crediting an invoice in parts always
sums to the invoice to the cent. A partial credit is priced like a line (seconds x rate,
half up) and its tax like an invoice (net x rate, half up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .money import quantum, round_money, time_amount


@dataclass(frozen=True, slots=True)
class CreditableLink:
    """One entry's seconds on an invoice line, and how many of them are still creditable."""

    line_id: int
    entry_id: int
    seconds: int
    credited: int

    @property
    def open(self) -> int:
        return self.seconds - self.credited


def allocate(links: Sequence[CreditableLink], seconds: int) -> list[tuple[int, int]]:
    """Spread ``seconds`` over a line's links, latest entries first: (entry id, seconds).

    Raises ``ValueError`` when the line has fewer creditable seconds than asked for.
    """
    available = sum(link.open for link in links)
    if seconds <= 0 or seconds > available:
        raise ValueError(f"cannot credit {seconds} s: {available} s are creditable on the line")
    taken: list[tuple[int, int]] = []
    left = seconds
    for link in sorted(links, key=lambda k: k.entry_id, reverse=True):
        if left == 0:
            break
        take = min(left, link.open)
        if take:
            taken.append((link.entry_id, take))
            left -= take
    return taken


def credit_amount(line_amount: Decimal, line_seconds: int, credited_seconds: int,
                  credited_amount: Decimal, seconds: int, rate: Decimal,
                  currency: str) -> Decimal:
    """The amount of crediting ``seconds`` of a line that already had some credited."""
    if credited_seconds + seconds == line_seconds:
        return line_amount - credited_amount  # the last part takes the rest, to the cent
    return time_amount(seconds, rate, currency)


def _share(wip: Decimal, billable_seconds: int, seconds: int, currency: str) -> Decimal:
    if billable_seconds <= 0:
        return Decimal(0)
    exact = wip * Decimal(seconds) / Decimal(billable_seconds)
    return exact.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def relieve(wip: Decimal, billable_seconds: int, relieved_seconds: int, relieved: Decimal,
            seconds: int, currency: str) -> Decimal:
    """WIP to relieve when ``seconds`` of an entry are invoiced: its share of the value booked
    at approval, the last seconds taking what is left so an entry relieves exactly its WIP."""
    if relieved_seconds + seconds >= billable_seconds:
        return wip - relieved
    return _share(wip, billable_seconds, seconds, currency)


def restore(wip: Decimal, billable_seconds: int, relieved_seconds: int, relieved: Decimal,
            seconds: int, currency: str) -> Decimal:
    """WIP to book back when ``seconds`` of an entry are credited for rebilling."""
    if relieved_seconds - seconds <= 0:
        return relieved
    return _share(wip, billable_seconds, seconds, currency)


def credit_tax(invoice_tax: Decimal, credited_tax: Decimal, tax_rate: Decimal,
               net: Decimal, exhausts_invoice: bool, currency: str) -> Decimal:
    if exhausts_invoice:
        return invoice_tax - credited_tax
    return round_money(net * tax_rate, currency)
