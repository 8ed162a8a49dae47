"""Corrections of work that is already on an invoice, when the source changes or deletes it.

Nothing already invoiced changes in place. A source revision of an entry on a live invoice
line becomes a *proposal*: what changed, the invoice line it affects, what it is worth, and
the action the contract's policy asks for:

* ``credit_and_rebill``: a credit note (rebill mode) of exactly the seconds the entry has on
  live lines, then the new revision is taken and bills in the next run;
* ``next_invoice_adjustment``: the new revision is taken and the next billing run of the
  contract adds one adjustment line per entry, linked to it, carrying the difference in
  seconds and the priced difference in money (positive or negative);
* ``redraft``: the entry is only on a draft (nothing issued): the draft is voided, its entries
  go back to billing and the new revision bills in the next run.

A deletion at the source is a revision to nothing: the entry is kept, marked deleted, and
its value leaves unbilled receivables when the proposal is applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .billing import DraftLine

CREDIT_AND_REBILL = "credit_and_rebill"
NEXT_INVOICE_ADJUSTMENT = "next_invoice_adjustment"
REDRAFT = "redraft"
REVISE = "revise"  # applied when the entry is no longer on any live invoice
POLICIES = (CREDIT_AND_REBILL, NEXT_INVOICE_ADJUSTMENT)

# the fields of an entry a proposal compares, in the order people read them
COMPARED = ("employee", "project", "task", "work_date", "worked_seconds", "billable_seconds",
            "billable", "notes", "revision")


def proposed_action(policy: str, on_issued_invoice: bool) -> str:
    if not on_issued_invoice:
        return REDRAFT
    if policy not in POLICIES:
        raise ValueError(f"correction policy {policy!r} is not one of {', '.join(POLICIES)}")
    return policy


def changed_fields(before: dict[str, Any], after: dict[str, Any] | None) -> list[str]:
    """The compared fields that differ; a deletion changes everything."""
    if after is None:
        return ["deleted"]
    return [f for f in COMPARED if f != "revision" and before.get(f) != after.get(f)]


@dataclass(slots=True)
class AdjustmentLine(DraftLine):
    """A line of the next invoice that corrects an entry billed earlier: ``seconds`` (from
    its one link) may be negative or zero, and its amount is the priced difference, not
    seconds x rate."""

    fixed_amount: Decimal = Decimal(0)
    note: str = ""
    corrections: tuple[int, ...] = ()  # the applied proposals this line settles

    @property
    def amount(self) -> Decimal:
        return self.fixed_amount

    def describe(self) -> str:
        return self.note
