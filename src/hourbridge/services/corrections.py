"""Correction proposals: a source change (or deletion) of work already on an invoice is
recorded with what changed, what it is worth and what the contract's policy proposes; it is
carried out only when a person applies it (see ``domain.corrections`` for the actions).

Applying never edits an invoice: ``credit_and_rebill`` issues a credit note (rebill mode) of
exactly the seconds the entry has on live lines, ``next_invoice_adjustment`` leaves the
difference to the next billing run (``adjustment_lines``), and an entry that is only on a
draft voids the draft. In every case the entry then takes the new revision and its value is
re-booked: the old WIP leaves unbilled receivables, the new one enters, the difference goes
to revenue adjustments (``correction:ENTITY:ID``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain import corrections as dc
from hourbridge.domain.commands import ApplyCorrection, RejectCorrection
from hourbridge.domain.credits import credit_amount
from hourbridge.domain.ledger import WipAmount, revision_entry
from hourbridge.domain.localday import entity_today, posting_day
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.money import round_money, time_amount
from hourbridge.domain.pricing import price_entry
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .correction_lines import entry_row
from .credits import post_credit
from .dayrounding import rebalance_days
from .deps import Collaborators
from .journal import publish_journal
from .ports.corrections import LiveLink
from .ports.entries import EntryRow, NewEntry, StoredEntry
from .ports.invoices import CreditLine
from .ports.uow import UnitOfWork
from .voids import void_draft


def _snapshot(state: dict[str, Any]) -> dict[str, Any]:
    """The compared fields of an entry, JSON-ready."""
    out = {f: state[f] for f in dc.COMPARED}
    out["work_date"] = out["work_date"].isoformat()
    return out


def _revision_data(entry: NewEntry) -> dict[str, Any]:
    data = entry._asdict()
    data["work_date"] = entry.work_date.isoformat()
    return data


def _revision(data: dict[str, Any]) -> NewEntry:
    return NewEntry(**{**data, "work_date": date.fromisoformat(data["work_date"])})


def _live_value(links: list[LiveLink]) -> Decimal:
    """What the entry is invoiced at now: its seconds on each line at the line's rate, or an
    adjustment line's whole amount."""
    return sum((ln.adjustment_amount if ln.adjustment_amount is not None
                else time_amount(ln.seconds, ln.rate, ln.currency) for ln in links), Decimal(0))


def _new_value(row: EntryRow, entry: NewEntry, md: MasterData) -> tuple[Decimal, int, bool]:
    """(value, billable seconds, billable) of a revision; a deletion is worth nothing."""
    if entry.deleted or not entry.billable:
        return Decimal(0), 0, False
    revised = replace(row, employee=entry.employee, project=entry.project, task=entry.task,
                      contract=entry.contract, work_date=entry.work_date,
                      billable_seconds=entry.billable_seconds)
    decision = price_entry(revised, md, RateBook(md))
    if isinstance(decision, Problem):
        raise Conflict(f"entry {row.id}'s new revision cannot be priced: {decision.message}",
                       decision.code)
    return (time_amount(entry.billable_seconds, decision.rate, decision.currency),
            entry.billable_seconds, True)


def propose_correction(uow: UnitOfWork, before: StoredEntry, entry: NewEntry,
                       now: datetime) -> int:
    """Record what a revision of invoiced (or drafted) work would change; supersedes an
    earlier open proposal of the same entry. Nothing else changes."""
    state = uow.entries.state(before.id)
    assert state is not None
    row = entry_row(uow, before.id)
    md = uow.masterdata.snapshot()
    links = uow.corrections.live_links(before.id)
    issued = [ln for ln in links if ln.status == "issued"]
    contract = md.contracts.get(row.contract or "")
    policy = contract.correction_policy if contract else dc.CREDIT_AND_REBILL
    affected = issued or links
    currency = affected[0].currency if affected else (contract.currency if contract else "EUR")
    old_amount = _live_value(affected)
    try:
        new_amount = _new_value(row, entry, md)[0]
    except Conflict:
        new_amount = Decimal(0)  # shown as such; applying says why it cannot be priced
    uow.corrections.supersede_open(before.id, now)
    return uow.corrections.add({
        "entry": before.id, "kind": "deleted" if entry.deleted else "changed",
        "status": "open", "policy": policy,
        "action": dc.proposed_action(policy, bool(issued)),
        "invoice": affected[0].invoice_id if affected else None,
        "line": affected[0].line_id if affected else None,
        "billed_seconds": sum(ln.seconds for ln in affected), "currency": currency,
        "old_amount": old_amount, "new_amount": new_amount,
        "difference": round_money(new_amount - old_amount, currency),
        "before": _snapshot(state),
        "after": None if entry.deleted else _snapshot({**entry._asdict()}),
        "revision": _revision_data(entry), "inbox_id": entry.inbox_id, "created_at": now,
    })


def _credit_entry(uow: UnitOfWork, md: MasterData, entry_id: int, links: list[LiveLink],
                  reason: str, actor: str, on: date, now: datetime) -> list[dict[str, Any]]:
    """One rebill credit note per invoice, of exactly the entry's live seconds there."""
    by_invoice: dict[int, list[LiveLink]] = defaultdict(list)
    for ln in links:
        if ln.seconds > 0:
            by_invoice[ln.invoice_id].append(ln)
    notes: list[dict[str, Any]] = []
    for invoice_id, mine in sorted(by_invoice.items()):
        doc = uow.invoices.document(invoice_id)
        assert doc is not None
        entity = md.entities[doc.entity]
        if entity.lock_date is not None and on <= entity.lock_date:
            raise Conflict(f"credit date {on.isoformat()} is in entity {entity.code}'s closed "
                           f"period (locked through {entity.lock_date.isoformat()})",
                           "period_closed")
        lines, credited_tax = uow.invoices.credit_state(invoice_id)
        by_id = {ln.id: ln for ln in lines}
        credit = [CreditLine(by_id[ln.line_id], ln.seconds,
                             credit_amount(by_id[ln.line_id].amount, by_id[ln.line_id].seconds,
                                           by_id[ln.line_id].credited_seconds,
                                           by_id[ln.line_id].credited_amount, ln.seconds,
                                           by_id[ln.line_id].rate, doc.currency),
                             ((entry_id, ln.seconds),))
                  for ln in mine]
        report = post_credit(uow, doc, entity, lines, credited_tax, credit, "rebill", reason,
                             on, now, actor)
        notes.append(report.as_dict())
    return notes


@dataclass
class CorrectionReport:
    id: int
    status: str
    action: str
    outcome: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "action": self.action,
                "outcome": self.outcome}


def _open(uow: UnitOfWork, correction_id: int) -> dict[str, Any]:
    found = uow.corrections.get(correction_id)
    if found is None:
        raise NotFound("correction", correction_id)
    if found["status"] != "open":
        raise Conflict(f"correction {correction_id} is {found['status']}: only open proposals "
                       "are applied or rejected", "correction_closed")
    return found


def apply_correction(cmd: ApplyCorrection, uow: UnitOfWork, now: datetime,
                     deps: Collaborators) -> CorrectionReport:
    """Carry out a proposal against the entry's state now (an invoice voided or credited
    since the proposal simply has nothing left to correct)."""
    with uow:
        proposal = _open(uow, cmd.correction_id)
        md = uow.masterdata.snapshot()
        entry_id = proposal["entry"]
        entry = _revision(proposal["revision"])
        row = entry_row(uow, entry_id)
        if row.written_off_seconds:
            raise Conflict(f"entry {row.external_id} has {row.written_off_seconds} s written "
                           "off: correct it by hand (reject this proposal, then credit or "
                           "adjust)", "entry_written_off")
        value, seconds, billable = _new_value(row, entry, md)
        links = uow.corrections.live_links(entry_id)
        issued = [ln for ln in links if ln.status == "issued"]
        drafts = sorted({ln.invoice_id for ln in links if ln.status == "draft"})
        on = posting_day(md, row.entity, now)
        reason = f"correction {proposal['id']}: entry {row.external_id} " + (
            "deleted at the source" if entry.deleted else "changed at the source")
        outcome: dict[str, Any] = {"voided_drafts": [], "credit_notes": []}
        for draft_id in drafts:
            doc = uow.invoices.document(draft_id)
            assert doc is not None
            outcome["voided_drafts"].append(
                void_draft(uow, doc, reason, cmd.actor, now).as_dict())
        pending = False
        old_amount: Decimal | None = None
        if issued and proposal["policy"] == dc.NEXT_INVOICE_ADJUSTMENT:
            action = dc.NEXT_INVOICE_ADJUSTMENT
            old_amount = _live_value(issued)
            pending = True
            if not billable:
                billable = True  # the entry stays billable while its invoices carry it
        elif issued:
            action = dc.CREDIT_AND_REBILL
            outcome["credit_notes"] = _credit_entry(uow, md, entry_id, issued, reason,
                                                    cmd.actor,
                                                    entity_today(md, row.entity, now), now)
        else:
            action = dc.REDRAFT if drafts else dc.REVISE
        # the value moves from the old revision to the new one, per project
        row = entry_row(uow, entry_id)
        currency = md.contracts[row.contract].currency if row.contract else proposal["currency"]
        old_wip = row.wip_amount or Decimal(0)
        uow.entries.revise(entry_id, entry, seconds, billable, value, currency, pending, now)
        if not entry.deleted and row.contract is not None:
            # under per-day rounding the day (or both days, when the date moved) rounds again
            rebalance_days(uow, md, RateBook(md), [
                (row.contract, row.employee, row.work_date),
                (entry.contract or row.contract, entry.employee, entry.work_date)], now)
        customer_before = md.projects[row.project].customer
        new_project = row.project if entry.deleted else entry.project
        key = f"correction:{row.entity}:{proposal['id']}"
        journal = revision_entry(
            key, md.entities[row.entity], currency, on,
            WipAmount(customer_before, row.project, old_wip),
            WipAmount(md.projects[new_project].customer, new_project, value),
            f"correction of entry {row.id} ({'deleted' if entry.deleted else 'changed'} "
            "at the source)")
        if journal is not None:
            publish_journal(uow, key, f"correction/{proposal['id']}", journal, now)
            outcome["journal_key"] = key
        outcome["wip_delta"] = str(round_money(value - old_wip, currency))
        uow.corrections.decide(proposal["id"], "applied", action, now, cmd.actor, cmd.note,
                               outcome, old_amount)
        uow.commit()
    return CorrectionReport(proposal["id"], "applied", action, outcome)


def reject_correction(cmd: RejectCorrection, uow: UnitOfWork,
                      now: datetime, deps: Collaborators) -> CorrectionReport:
    """The invoice stands as it is; the revision stays recorded on the proposal (and in
    the inbox), never taken."""
    if not cmd.note.strip():
        raise InvalidInput("rejecting a correction needs a note saying why")
    with uow:
        proposal = _open(uow, cmd.correction_id)
        uow.corrections.decide(proposal["id"], "rejected", proposal["action"], now, cmd.actor,
                               cmd.note, {}, None)
        uow.commit()
    return CorrectionReport(proposal["id"], "rejected", proposal["action"], {})
