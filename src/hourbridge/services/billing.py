"""The billing run for time and materials: approved, unbilled, billable entries through a date
become draft invoices (one per contract and month) whose lines link to the exact entries.

Entries move unbilled -> on_draft in the same transaction that writes the drafts, so a second
run finds nothing to bill twice. ``dry_run`` computes the same drafts and writes nothing. A run
that bills nothing leaves no trace (no billing-run record).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import BillableItem, DraftInvoice, build_drafts
from hourbridge.domain.commands import RunBilling
from hourbridge.domain.corrections import AdjustmentLine
from hourbridge.domain.holds import HoldBook
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Approval, Billing
from hourbridge.domain.problems import Problem
from hourbridge.domain.proposals import diff_proposals, proposal_key
from hourbridge.domain.rating import RateBook
from hourbridge.domain.tax import invoice_tax
from hourbridge.domain.validation import role_on

from .approval import price_entry
from .corrections import adjustment_lines
from .ports import EntryRow, EntrySelection, NewException, UnitOfWork


@dataclass
class BillingReport:
    through: str
    dry_run: bool
    run_id: int | None = None
    invoices: list[dict[str, Any]] = field(default_factory=list)
    entries_billed: int = 0
    held: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        totals: dict[str, Decimal] = {}
        for inv in self.invoices:
            cur = inv["currency"]
            totals[cur] = totals.get(cur, Decimal(0)) + Decimal(inv["total"])
        return {"through": self.through, "dry_run": self.dry_run, "run_id": self.run_id,
                "invoices_created": 0 if self.dry_run else len(self.invoices),
                "invoices": self.invoices, "entries_billed": self.entries_billed,
                "entries_held": self.held, "changes_since_last_run": self.changes,
                "totals": {k: str(v) for k, v in sorted(totals.items())},
                "skipped": self.skipped}


def _summary(draft: DraftInvoice, invoice_id: int | None, tax: Any) -> dict[str, Any]:
    return {
        "id": invoice_id, "entity": draft.entity, "contract": draft.contract,
        "customer": draft.customer, "period": draft.period, "currency": draft.currency,
        "lines": len(draft.lines), "entries": len(draft.entry_ids), "net": str(draft.net),
        "tax": str(tax.amount), "total": str(draft.net + tax.amount),
    }


def _billable_items(rows: Iterable[EntryRow], md: MasterData, rates: RateBook,
                    holds: HoldBook, report: BillingReport) -> list[BillableItem]:
    items: list[BillableItem] = []
    for row in rows:
        # nothing open: already billed in full, except work rounded to zero billable seconds,
        # which still goes on its invoice (at 0 h) so it is accounted for, not left unbilled
        if row.open_seconds < 0 or (row.open_seconds == 0
                                    and row.billing != Billing.UNBILLED.value):
            continue
        if holds:
            customer = md.projects[row.project].customer
            hold = holds.holding(row.id, row.project, row.contract,
                                 md.customer_chain(customer))
            if hold is not None:
                report.held += 1
                report.skipped.append({"id": row.id, "reason": "on_hold", "hold": hold.id,
                                       "message": hold.describe()})
                continue
        decision = price_entry(row, md, rates)
        if isinstance(decision, Problem):
            report.skipped.append({"id": row.id, "reason": decision.code,
                                   "message": decision.message})
            continue
        assert row.contract is not None  # price_entry refused entries without contract
        items.append(BillableItem(
            entry_id=row.id, contract=row.contract, entity=row.entity,
            customer=md.contracts[row.contract].customer, currency=decision.currency,
            work_date=row.work_date, project=row.project, task=row.task,
            role=role_on(md, row.employee, row.project, row.work_date),
            billable_seconds=row.open_seconds, decision=decision,
        ))
    return items


def run_billing(cmd: RunBilling, uow: UnitOfWork, now: datetime) -> BillingReport:
    """Bill contract by contract: memory holds one contract's entries, never the whole run."""
    report = BillingReport(cmd.through.isoformat(), cmd.dry_run)
    with uow:
        md = uow.masterdata.snapshot()
        rates = RateBook(md)
        holds = HoldBook(uow.holds.active())
        selection = EntrySelection(
            approval=(Approval.APPROVED.value,),
            billing=(Billing.UNBILLED.value, Billing.CREDITED.value),
            billable=True, date_to=cmd.through, entity=cmd.entity,
        )
        invoices = 0
        # contracts with work to bill, and those owing adjustments of applied corrections
        owed = uow.corrections.owed_contracts(cmd.through, cmd.entity)
        for contract in sorted(set(uow.entries.contracts(selection)) | set(owed)):
            rows = uow.entries.select(replace(selection, contract=contract))
            items = _billable_items(rows, md, rates, holds, report)
            drafts = build_drafts(items)
            adjustment_lines(uow, md, rates, contract, drafts, cmd.through, report.skipped)
            billed: list[int] = []
            for draft in drafts:
                tax = invoice_tax(md.entities[draft.entity], md.customers[draft.customer],
                                  draft.net, draft.currency)
                where = f"contract {draft.contract} period {draft.period}"
                if isinstance(tax, Problem):
                    # no guess: the work stays unbilled and finance gets the reason
                    report.skipped += [{"id": i, "reason": tax.code, "message": tax.message}
                                       for i in draft.entry_ids]
                    if not cmd.dry_run:
                        uow.exceptions.add_open_once([NewException(
                            None, "billing", None, Problem(tax.code, tax.message, where,
                                                           tax.field),
                            {"contract": draft.contract, "customer": draft.customer,
                             "period": draft.period})], now)
                    continue
                billed += draft.entry_ids
                if not cmd.dry_run:  # what stopped this invoice before is fixed now
                    uow.exceptions.resolve("billing", where, now, "billing run")
                invoice_id = None
                if not cmd.dry_run:
                    if report.run_id is None:
                        report.run_id = uow.invoices.add_run(cmd.through, cmd.entity, now)
                    invoice_id = uow.invoices.add_draft(report.run_id, draft, tax, now)
                    for line_no, line in enumerate(draft.lines, start=1):
                        if isinstance(line, AdjustmentLine):
                            uow.corrections.mark_adjusted(
                                line.corrections, uow.invoices.line_id(invoice_id, line_no))
                report.invoices.append(_summary(draft, invoice_id, tax))
                invoices += 1
            report.entries_billed += len(billed)
            if not cmd.dry_run:
                uow.entries.bill_open(billed, now)
        proposals = {proposal_key(i["contract"], i["period"]): {
            "currency": i["currency"], "net": i["net"], "entries": str(i["entries"])}
            for i in report.invoices}
        report.changes = diff_proposals(uow.invoices.last_proposals(cmd.entity), proposals)
        if cmd.dry_run:
            uow.rollback()  # nothing billed; only the run itself is recorded, for the next diff
            report.run_id = uow.invoices.add_run(cmd.through, cmd.entity, now, dry_run=True)
        elif report.run_id is None:
            uow.commit()
            return report  # a run that bills nothing leaves no trace
        uow.invoices.finish_run(report.run_id, invoices, report.entries_billed, proposals)
        uow.commit()
    return report
