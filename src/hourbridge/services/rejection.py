"""Rejecting time: a manager sends entries back. Submitted work just becomes ``rejected``;
approved work that nothing has billed yet is un-approved, and the value its approval booked
leaves unbilled receivables again (Dr revenue / Cr unbilled receivables, at the functional
value it was booked at). Work on a draft or an invoice is refused (void or credit it first),
and so is cross-entity work already charged between entities (an intercompany charge is not
rewritten). A revision from the source resubmits a rejected entry."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.commands import RejectEntries
from hourbridge.domain.fx import translate
from hourbridge.domain.ledger import WipAmount, approval_entry
from hourbridge.domain.localday import posting_day
from hourbridge.domain.model import Approval
from hourbridge.domain.problems import ALREADY, Skip
from hourbridge.domain.rating import RateBook
from hourbridge.errors import InvalidInput

from .dayrounding import rebalance_days
from .deps import Collaborators
from .journal import publish_journal
from .ports.entries import EntrySelection
from .ports.uow import UnitOfWork


@dataclass
class RejectionReport:
    rejected: int = 0
    unapproved: int = 0
    skipped: list[Skip] = field(default_factory=list)
    journal_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rejected": self.rejected, "unapproved": self.unapproved,
                "skipped": [s.as_dict() for s in self.skipped], "journal_keys": self.journal_keys}


def reject_entries(cmd: RejectEntries, uow: UnitOfWork, now: datetime,
                   deps: Collaborators) -> RejectionReport:
    if not cmd.entry_ids:
        raise InvalidInput("say which entries to reject (their ids)")
    if not cmd.reason.strip():
        raise InvalidInput("a rejection needs a reason (the consultant reads it)")
    report = RejectionReport()
    with uow:
        md = uow.masterdata.snapshot()
        charged = uow.intercompany.charged(list(cmd.entry_ids))
        rows = [r for r in uow.entries.select(EntrySelection(ids=cmd.entry_ids))
                if cmd.entities is None or r.entity in cmd.entities]
        found = {r.id for r in rows}
        report.skipped += [Skip.because(i, "not_found") for i in cmd.entry_ids
                           if i not in found]
        ids: list[int] = []
        # (entity, currency) -> (customer, project, rate) -> [amount, functional]
        wip: dict[tuple[str, str], dict[tuple[str, str, Decimal], list[Decimal]]] = (
            defaultdict(lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])))
        days = []
        for r in rows:
            if r.approval == Approval.REJECTED.value:
                report.skipped.append(Skip.because(r.id, ALREADY[r.approval]))
                continue
            if r.billing not in ("unbilled", "non_billable", "covered") or r.billed_seconds \
                    or r.written_off_seconds:
                report.skipped.append(Skip.because(
                    r.id, "billed", f"entry {r.id} is {r.billing}: void or credit its invoice "
                    "first"))
                continue
            if r.id in charged:
                report.skipped.append(Skip.because(
                    r.id, "intercompany_charged", f"entry {r.id} is charged between entities"))
                continue
            ids.append(r.id)
            if r.contract is not None:
                days.append((r.contract, r.employee, r.work_date))
            if r.approval == Approval.APPROVED.value:
                report.unapproved += 1
                if r.wip_amount:
                    customer = md.projects[r.project].customer
                    rate = r.wip_fx_rate or Decimal(1)
                    functional = md.entities[r.entity].currency
                    currency = md.contracts[r.contract].currency if r.contract else functional
                    s = wip[(r.entity, currency)][(customer, r.project, rate)]
                    s[0] += r.wip_amount
                    s[1] += (r.wip_amount if currency == functional
                             else translate(r.wip_amount, rate, functional))
        uow.entries.reject(ids, now, cmd.actor, cmd.reason)
        report.rejected = len(ids)
        key_of = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:20]
        for (entity_code, currency), by_project in sorted(wip.items()):
            key = f"rejection:{entity_code}:{currency}:{key_of}"
            entry = approval_entry(
                key, md.entities[entity_code], currency,
                posting_day(md, entity_code, now),
                [WipAmount(c, p, -a, -f, rate) for (c, p, rate), (a, f) in
                 sorted(by_project.items())], memo="rejected approved time")
            publish_journal(uow, key, f"journal/{key}", entry, now)
            report.journal_keys.append(key)
        if days:  # a per-day day loses the rejected entry: the rest of it rounds again
            rebalance_days(uow, md, RateBook(md), days, now)
        uow.commit()
    return report
