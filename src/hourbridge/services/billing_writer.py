"""Writing a billing run's drafts in bulk (issue 16): the drafts of many contracts are kept
until a batch is full, then stored in a few statements for all of them (headers, lines,
line-entry links, expenses billed, corrections adjusted, entries moved to on_draft), instead
of a round of statements per draft.

Deferring the writes changes nothing a later contract of the same run reads: each contract's
planning reads only its own entries, expenses, corrections and charges, and every write stays
in the run's one transaction, under the contract locks it took, so a crash or a conflict
(``ConcurrentChange`` from ``bill_open``) still commits nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import DraftInvoice
from hourbridge.domain.commands import RunBilling
from hourbridge.domain.corrections import AdjustmentLine

from .billing_report import BillingReport, draft_summary
from .ports import UnitOfWork


def draft_location(draft: DraftInvoice) -> str:
    """Where billing files an exception about the draft (and resolves it once it bills)."""
    return f"contract {draft.contract} period {draft.period}"


class DraftWriter:
    """The drafts of a run waiting to be stored, with the entry seconds they bill."""

    BATCH = 500  # drafts per set of bulk statements

    def __init__(self, uow: UnitOfWork, cmd: RunBilling, report: BillingReport,
                 now: datetime) -> None:
        self.uow, self.cmd, self.report, self.now = uow, cmd, report, now
        self.pending: list[tuple[DraftInvoice, Any]] = []
        self.nets: list[Decimal] = []  # each pending draft's net, as the run taxed it
        self.billed: list[tuple[int, int]] = []

    def add(self, draft: DraftInvoice, tax: Any, net: Decimal) -> None:
        """A draft the run bills (a dry run only reports it), with its net (``draft.net``,
        taken once by the caller)."""
        if self.cmd.dry_run:
            self.report.invoices.append(draft_summary(draft, None, tax, net))
            return
        self.pending.append((draft, tax))
        self.nets.append(net)

    def bill(self, billed: dict[int, int]) -> None:
        """(entry id -> seconds) one contract's written drafts bill; flushes a full batch."""
        self.billed += billed.items()
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """Store every pending draft (the run is recorded with its first), in draft order."""
        if not self.pending:
            return
        uow, report, now = self.uow, self.report, self.now
        # the drafts' conditions are fixed now: their open exceptions close, in one go
        uow.exceptions.resolve_all("billing", [draft_location(d) for d, _ in self.pending],
                                   now, "billing run")
        if report.run_id is None:
            report.run_id = uow.invoices.add_run(self.cmd.through, self.cmd.entity, now,
                                                 started_by=self.cmd.actor)
        stored = uow.invoices.add_drafts(report.run_id, self.pending, now)
        expenses: list[tuple[int, int]] = []
        for (draft, tax), net, (invoice_id, line_ids) in zip(self.pending, self.nets, stored,
                                                             strict=True):
            charge_ids = line_ids[len(draft.lines):]
            expenses += [(e, line_id) for c, line_id in zip(draft.charges, charge_ids,
                                                            strict=True)
                         for e in c.expense_ids]
            for line, line_id in zip(draft.lines, line_ids, strict=False):
                if isinstance(line, AdjustmentLine):
                    uow.corrections.mark_adjusted(line.corrections, line_id)
            report.invoices.append(draft_summary(draft, invoice_id, tax, net))
        if expenses:
            uow.expenses.mark_billed(expenses, now)
        uow.entries.bill_open(sorted(self.billed), now)
        self.pending.clear()
        self.nets.clear()
        self.billed.clear()
