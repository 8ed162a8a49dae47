"""The billing run for time and materials: approved, unbilled, billable entries through a date
become draft invoices (one per contract and month) whose lines link to the exact entries.

Entries move unbilled -> on_draft in the same transaction that writes the drafts, so a second
run finds nothing to bill twice. ``dry_run`` computes the same drafts and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import BillableItem, DraftInvoice, build_drafts
from hourbridge.domain.commands import RunBilling
from hourbridge.domain.model import Approval, Billing
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook
from hourbridge.domain.tax import invoice_tax
from hourbridge.domain.validation import role_on

from .approval import price_entry
from .ports import EntrySelection, UnitOfWork


@dataclass
class BillingReport:
    through: str
    dry_run: bool
    run_id: int | None = None
    invoices: list[dict[str, Any]] = field(default_factory=list)
    entries_billed: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        totals: dict[str, Decimal] = {}
        for inv in self.invoices:
            cur = inv["currency"]
            totals[cur] = totals.get(cur, Decimal(0)) + Decimal(inv["total"])
        return {"through": self.through, "dry_run": self.dry_run, "run_id": self.run_id,
                "invoices_created": 0 if self.dry_run else len(self.invoices),
                "invoices": self.invoices, "entries_billed": self.entries_billed,
                "totals": {k: str(v) for k, v in sorted(totals.items())},
                "skipped": self.skipped}


def _summary(draft: DraftInvoice, invoice_id: int | None, tax: Any) -> dict[str, Any]:
    return {
        "id": invoice_id, "entity": draft.entity, "contract": draft.contract,
        "customer": draft.customer, "period": draft.period, "currency": draft.currency,
        "lines": len(draft.lines), "entries": len(draft.entry_ids), "net": str(draft.net),
        "tax": str(tax.amount), "total": str(draft.net + tax.amount),
    }


def run_billing(cmd: RunBilling, uow: UnitOfWork, now: datetime) -> BillingReport:
    report = BillingReport(cmd.through.isoformat(), cmd.dry_run)
    with uow:
        md = uow.masterdata.snapshot()
        rates = RateBook(md)
        items: list[BillableItem] = []
        selection = EntrySelection(
            approval=(Approval.APPROVED.value,), billing=(Billing.UNBILLED.value,),
            billable=True, date_to=cmd.through, entity=cmd.entity,
        )
        for row in uow.entries.select(selection):
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
                billable_seconds=row.billable_seconds, decision=decision,
            ))
        drafts = build_drafts(items)
        taxes = [invoice_tax(md.entities[d.entity], md.customers[d.customer], d.net, d.currency)
                 for d in drafts]
        report.entries_billed = len(items)
        if cmd.dry_run:
            report.invoices = [_summary(d, None, t) for d, t in zip(drafts, taxes, strict=True)]
            uow.rollback()
            return report
        report.run_id = uow.invoices.add_run(cmd.through, cmd.entity, now, len(drafts),
                                             len(items))
        for draft, tax in zip(drafts, taxes, strict=True):
            invoice_id = uow.invoices.add_draft(report.run_id, draft, tax, now)
            report.invoices.append(_summary(draft, invoice_id, tax))
        uow.entries.set_billing([i.entry_id for i in items], Billing.ON_DRAFT.value, now)
        uow.commit()
    return report
