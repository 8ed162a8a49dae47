"""Voids: an invoice withdrawn as if it had not been sent, its number kept in the sequence.

Rules (what a finance user expects):

* a draft can always be voided: it has no number, nothing was posted; its entries go back to
  billing and the next run bills them again;
* an issued invoice can be voided only while no credit note credits it, no line of it carries
  a correction of earlier work, and its issue date is after the entity's lock date; otherwise
  the answer is a credit note (409 with the reason: ``invoice_credited``,
  ``invoice_has_corrections``, ``invoice_period_closed``);
* a voided invoice keeps its number and stays in the entity's sequence with status ``void``:
  the sequence stays gapless. Its issue posting is reversed by a balanced entry
  (``invoice-voided:ENTITY:NUMBER``, on the void date), the WIP it relieved is restored and the
  entries' billed seconds are released, so they bill again;
* a void is final: never voided again, never credited, never exported as an e-invoice;
  a credit note is not voided (credit the other way instead: ``credit_note_not_voidable``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.commands import VoidInvoice
from hourbridge.domain.credits import restore
from hourbridge.domain.fx import translate_step
from hourbridge.domain.ledger import Translation, WipAmount, charge_accounts, void_entry
from hourbridge.domain.localday import entity_today
from hourbridge.domain.money import round_money
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .journal import publish_journal
from .ports.entries import EntrySelection
from .ports.invoices import DocumentRow
from .ports.uow import UnitOfWork


@dataclass
class VoidReport:
    id: int
    number: str | None
    was: str
    entity: str
    entries: int
    seconds: int
    wip_restored: Decimal
    journal_key: str | None
    currency: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "status": "void", "was": self.was,
                "entity": self.entity, "entries_released": self.entries,
                "seconds_released": self.seconds, "wip_restored": str(self.wip_restored),
                "journal_key": self.journal_key, "currency": self.currency}


def void_draft(uow: UnitOfWork, doc: DocumentRow, reason: str, actor: str,
               now: datetime) -> VoidReport:
    """No number, no posting: the draft's entries go back to billing."""
    links = uow.invoices.entry_seconds_for([doc.id]).get(doc.id, [])
    uow.entries.release(links, now)
    release_components(uow, doc, now)
    uow.corrections.clear_adjustments(doc.id)
    uow.invoices.mark_void(doc.id, None, now, actor, reason)
    return VoidReport(doc.id, None, "draft", doc.entity, len({e for e, _ in links}),
                      sum(s for _, s in links), Decimal(0), None, doc.currency)


def release_components(uow: UnitOfWork, doc: DocumentRow, now: datetime) -> None:
    """A voided document bills nothing: its fees, milestones and retainer fees bill again,
    its expenses go back to unbilled, and a retainer month it settled settles again."""
    lines = uow.invoices.charge_line_ids(doc.id)
    uow.contracts.release_charges(list(lines.values()), "rebill")
    uow.expenses.release(uow.expenses.on_lines(
        [i for (kind, _, _), i in lines.items() if kind == "expense"]), "rebill", now)
    for kind, ref, _ in lines:
        if kind == "retainer_hours":
            uow.contracts.unsettle_month(doc.contract, ref)


def _restore_wip(uow: UnitOfWork, links: list[tuple[int, int]], currency: str,
                 functional_currency: str, now: datetime) -> list[WipAmount]:
    """Book back the WIP the invoice relieved, entry by entry (as a rebill credit does), at
    the functional value it had."""
    rows = {r.entry_id: r for r in uow.entries.wip_rows([e for e, _ in links])}
    sums: dict[tuple[str, str, Decimal], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)])
    changes: list[tuple[int, int, Decimal]] = []
    for entry_id, seconds in links:
        r = rows[entry_id]
        amount = restore(r.wip_amount, r.billable_seconds, r.relieved_seconds, r.wip_relieved,
                         seconds, currency)
        changes.append((entry_id, -seconds, -amount))
        s = sums[(r.customer, r.project, r.wip_fx_rate)]
        s[0] += amount
        s[1] -= translate_step(r.wip_relieved, -amount, r.wip_fx_rate, functional_currency)
    uow.entries.add_relief(changes, now)
    return [WipAmount(c, p, a, f, rate) for (c, p, rate), (a, f) in sorted(sums.items())]


def void_invoice(cmd: VoidInvoice, uow: UnitOfWork, now: datetime,
                 deps: Collaborators) -> VoidReport:
    if not cmd.reason.strip():
        raise InvalidInput("a void needs a reason")
    with uow:
        doc = uow.invoices.document(cmd.invoice_id)
        if doc is None:
            raise NotFound("invoice", cmd.invoice_id)
        # one writer per contract at a time (billing runs, credits, voids): read the document
        # again once the others are done with it
        uow.locks.billing(doc.contract)
        doc = uow.invoices.document(cmd.invoice_id)
        assert doc is not None
        name = doc.number or f"draft {doc.id}"
        if doc.status == "void":
            raise Conflict(f"invoice {name} is void already; a void is final",
                           "invoice_already_void")
        if doc.kind != "invoice":
            raise Conflict(f"{doc.number} is a credit note: credit notes are not voided",
                           "credit_note_not_voidable")
        if doc.status == "draft":
            report = void_draft(uow, doc, cmd.reason, cmd.actor, now)
            uow.commit()
            return report
        if doc.status != "issued" or doc.number is None:
            raise Conflict(f"invoice {name} is {doc.status}: only drafts and issued invoices "
                           "can be voided; issue a credit note instead", "invoice_not_voidable")
        facts = uow.invoices.void_facts(doc.id)
        if facts.credit_notes:
            raise Conflict(f"invoice {doc.number} is credited by {', '.join(facts.credit_notes)}"
                           ": it can no longer be voided; issue a credit note for what is left "
                           "instead", "invoice_credited")
        if facts.adjustment_lines:
            raise Conflict(f"invoice {doc.number} carries corrections of earlier invoices: "
                           "issue a credit note instead", "invoice_has_corrections")
        md = uow.masterdata.snapshot()
        entity = md.entities[doc.entity]
        on: date = cmd.void_date or entity_today(md, entity.code, now)
        lock = entity.lock_date
        if lock is not None and facts.issue_date is not None and facts.issue_date <= lock:
            raise Conflict(f"invoice {doc.number} was issued on {facts.issue_date.isoformat()}, "
                           f"in entity {entity.code}'s closed period (locked through "
                           f"{lock.isoformat()}): issue a credit note instead",
                           "invoice_period_closed")
        if facts.issue_date is not None and on < facts.issue_date:
            raise InvalidInput(f"void date {on.isoformat()} is before the issue date "
                               f"{facts.issue_date.isoformat()}")
        if lock is not None and on <= lock:
            raise Conflict(f"void date {on.isoformat()} is in entity {entity.code}'s closed "
                           f"period (locked through {lock.isoformat()})", "period_closed")
        links = uow.invoices.entry_seconds_for([doc.id]).get(doc.id, [])
        billed = {r.id: r.billed_seconds for r in uow.entries.select(
            EntrySelection(ids=tuple(e for e, _ in links)))} if links else {}
        if uow.corrections.pending([e for e, _ in links]):
            raise Conflict(f"invoice {doc.number} bills work whose correction the next billing "
                           "run adds: run billing first, then credit", "correction_pending")
        if any(billed.get(e, 0) < s for e, s in links):
            raise Conflict(f"invoice {doc.number} bills work that a later invoice corrected: "
                           "issue a credit note instead", "invoice_has_corrections")
        restored = _restore_wip(uow, links, doc.currency, entity.currency, now)
        uow.entries.release(links, now)
        kinds = uow.invoices.kind_totals([doc.id])[doc.id]
        release_components(uow, doc, now)
        uow.invoices.mark_void(doc.id, on, now, cmd.actor, cmd.reason)
        key = f"invoice-voided:{entity.code}:{doc.number}"
        contract = md.contracts[doc.contract]
        charges = charge_accounts(entity.accounts, kinds, wip_accrued=contract.retainer is None)
        journal = void_entry(key, entity, doc.number, doc.customer, doc.currency, on, doc.net,
                             doc.tax, restored, Translation(doc.fx_rate or Decimal(1)), charges)
        publish_journal(uow, key, f"invoice/{doc.number}/void", journal, now)
        uow.commit()
    return VoidReport(doc.id, doc.number, "issued", doc.entity, len({e for e, _ in links}),
                      sum(s for _, s in links),
                      round_money(sum((w.amount for w in restored), Decimal(0)), doc.currency),
                      key, doc.currency)
