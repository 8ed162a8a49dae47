"""Approval, its own axis: approving billable time books its value as unbilled revenue.

The WIP value (billable hours x rate in force on the work date, rounded per entry) is stored
on the entry and booked Dr unbilled receivables / Cr revenue in one journal entry per
approval batch, entity and currency, sent through the outbox. Work in a foreign currency is
translated per entry at the rate its contract's rate-date policy picks (domain.fxpolicy); the
rate is stored on the entry, and work without a rate is not approved (``no_fx_rate``).

Time an employee worked for another legal entity's project also becomes an intercompany
charge (``services.intercompany``); without a transfer price the entry is not approved and
finance gets a ``no_transfer_price`` exception.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.commands import ApproveEntries
from hourbridge.domain.contracts import accrues_wip
from hourbridge.domain.fx import FxTable, translate
from hourbridge.domain.fxpolicy import wip_rate
from hourbridge.domain.ledger import JournalEntry, WipAmount, approval_entry
from hourbridge.domain.localday import posting_day
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Approval
from hourbridge.domain.money import time_amount
from hourbridge.domain.pricing import PriceBasis, price_entry
from hourbridge.domain.problems import ALREADY, Problem, Skip
from hourbridge.domain.rating import RateBook
from hourbridge.domain.validation import role_on
from hourbridge.errors import InvalidInput

from .deps import Collaborators
from .intercompany import Charges
from .journal import publish_journals
from .ports.batches import chunked
from .ports.entries import Approved, EntryRow, EntrySelection, StoredPrice
from .ports.uow import UnitOfWork


@dataclass
class ApprovalReport:
    approved: int = 0
    billable: int = 0
    skipped: list[Skip] = field(default_factory=list)
    journal_keys: list[str] = field(default_factory=list)
    wip: dict[str, Decimal] = field(default_factory=dict)  # currency -> amount booked
    intercompany: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"approved": self.approved, "billable": self.billable,
                "skipped": [s.as_dict() for s in self.skipped], "journal_keys": self.journal_keys,
                "wip": {k: str(v) for k, v in sorted(self.wip.items())},
                "intercompany": self.intercompany}


PENDING = (Approval.DRAFT.value, Approval.SUBMITTED.value)


def _accrues(row: EntryRow, md: MasterData) -> bool:
    contract = md.contracts.get(row.contract) if row.contract else None
    return contract is None or accrues_wip(contract, row.work_date)


def approve_entries(cmd: ApproveEntries, uow: UnitOfWork, now: datetime,
                    deps: Collaborators) -> ApprovalReport:
    if not (cmd.entry_ids or cmd.employee or cmd.project or cmd.date_from or cmd.date_to):
        raise InvalidInput("say what to approve: entry ids, an employee, a project or a period")
    report = ApprovalReport()
    with uow:
        md = uow.masterdata.snapshot()
        rates = RateBook.of_snapshot(md)
        basis = PriceBasis.of_snapshot(md)
        selection = EntrySelection(
            ids=cmd.entry_ids, employee=cmd.employee, project=cmd.project,
            date_from=cmd.date_from, date_to=cmd.date_to,
            # by filter, only work still waiting is read (the store's partial index), so the
            # cost follows the new work, not the history; by ids, approved ones are read too
            # to say why they are skipped
            approval=() if cmd.entry_ids else PENDING,
        )
        fx = FxTable(md.fx_rates.values())
        # (entity, currency) -> (customer, project, rate) -> [amount, functional amount]
        wip: dict[tuple[str, str], dict[tuple[str, str, Decimal], list[Decimal]]] = (
            defaultdict(lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])))
        approved_ids: list[int] = []
        charges = Charges(md)
        # each entity's posting day, found once per call: the same for all its entries and
        # journals (the clock and master data are the call's); per entry it was a tenth of
        # approval's CPU at 100,000 entries (issue 16)
        booked_on: dict[str, date] = {}

        def booked(entity: str) -> date:
            day = booked_on.get(entity)
            if day is None:
                day = booked_on[entity] = posting_day(md, entity, now)
            return day

        for batch in chunked(uow.entries.select(selection), 5000):
            approvals: list[Approved] = []
            for row in batch:
                if cmd.entities is not None and row.entity not in cmd.entities:
                    continue  # another entity's entry: as unknown (``not_found`` by id)
                if cmd.approver_employee is not None and row.employee == cmd.approver_employee:
                    report.skipped.append(Skip.because(
                        row.id, "own_time", "nobody approves their own time"))
                    continue
                if row.approval not in (Approval.DRAFT.value, Approval.SUBMITTED.value):
                    if cmd.entry_ids:
                        report.skipped.append(Skip.because(row.id, ALREADY[row.approval]))
                    continue
                refused = charges.take(row)
                if refused is not None:
                    report.skipped.append(Skip(row.id, refused))
                    continue
                if not row.billable or not _accrues(row, md):
                    approvals.append((row.id, None, None, None, None))
                    continue
                # the decision is kept on the entry (with the role it was decided for and
                # its basis), so billing reuses it instead of pricing again (issue 16)
                role = (role_on(md, row.employee, row.project, row.work_date)
                        if row.contract in md.contracts else None)
                decision = price_entry(row, md, rates, role)
                entity = md.entities[row.entity]
                rate = (decision if isinstance(decision, Problem) else wip_rate(
                    md.contracts[row.contract or ""], entity.currency, fx, row.work_date,
                    booked(row.entity)))
                if isinstance(rate, Problem):
                    report.skipped.append(Skip(row.id, rate))
                    charges.drop(row.id)
                    continue
                assert not isinstance(decision, Problem)
                amount = time_amount(row.billable_seconds, decision.rate, decision.currency)
                kept = basis.of(row.contract or "", row.project)
                price = None if kept is None or role is None else StoredPrice(
                    decision.rate, decision.currency, decision.card, decision.row,
                    decision.rule, decision.scope, decision.contract_version, role, kept)
                approvals.append((row.id, amount, decision.currency, rate, price))
                customer = md.projects[row.project].customer
                sums = wip[(row.entity, decision.currency)][(customer, row.project, rate)]
                sums[0] += amount
                # the common case, work in the functional currency, needs no translation
                sums[1] += (amount if decision.currency == entity.currency
                            else translate(amount, rate, entity.currency))
                report.billable += 1
            uow.entries.approve(approvals, now, cmd.actor)
            approved_ids.extend(a[0] for a in approvals)
        report.approved = len(approved_ids)
        if cmd.entry_ids:
            missing = set(cmd.entry_ids) - set(approved_ids) - {s.subject for s in report.skipped}
            report.skipped += [Skip.because(i, "not_found") for i in sorted(missing)]
        batch_key = hashlib.sha256(
            ",".join(map(str, sorted(approved_ids))).encode()).hexdigest()[:20]
        journals: list[tuple[str, str, JournalEntry]] = []
        for (entity_code, currency), by_project in sorted(wip.items()):
            if not any(a for a, _ in by_project.values()):
                continue  # zero-value work (rounded to nothing, or a zero rate) books nothing
            entity = md.entities[entity_code]
            key = f"approval:{entity_code}:{currency}:{batch_key}"
            entry = approval_entry(
                key, entity, currency, booked(entity_code),
                [WipAmount(c, p, a, f, r) for (c, p, r), (a, f) in sorted(by_project.items())],
                # the approver stays on the entries (approved_by), out of ledgers and exports
                memo="approved billable time",
            )
            journals.append((key, f"journal/{key}", entry))
            report.journal_keys.append(key)
            report.wip[currency] = report.wip.get(currency, Decimal(0)) + sum(
                (a for a, _ in by_project.values()), Decimal(0))
        # every entity and currency's journal in one bulk add (and their ERP documents and
        # webhook deliveries in one more), not a look-up and an insert each (issue 16 item 4:
        # on PostgreSQL each statement is a round trip)
        publish_journals(uow, journals, now)
        report.intercompany = charges.book(uow, batch_key, now, booked)
        report.journal_keys += report.intercompany.get("journal_keys", [])
        uow.commit()
    return report
