"""Credit notes: credit an issued invoice in full or by quantity, releasing exactly the
seconds credited, to be billed again (rebill) or written off.

A credit note takes the next number of its entity's gapless sequence, is issued at once, and
books the reversal of the receivable (see ``domain.ledger.credit_note_entry``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import invoice_number
from hourbridge.domain.commands import IssueCreditNote
from hourbridge.domain.credits import allocate, credit_amount, credit_tax, restore
from hourbridge.domain.einvoice.snapshot import freeze_document
from hourbridge.domain.fx import translate_step
from hourbridge.domain.ledger import Translation, WipAmount, charge_accounts, credit_note_entry
from hourbridge.domain.localday import entity_today
from hourbridge.domain.model import LegalEntity
from hourbridge.domain.money import round_money
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .journal import publish_journal
from .ports.invoices import CreditLine, DocumentRow, LineState
from .ports.uow import UnitOfWork

MODES = ("rebill", "write_off")


@dataclass
class CreditReport:
    id: int
    number: str
    invoice_id: int
    invoice_number: str
    mode: str
    net: Decimal
    tax: Decimal
    seconds: int
    entries: int
    currency: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "invoice_id": self.invoice_id,
                "invoice_number": self.invoice_number, "mode": self.mode,
                "net": str(self.net), "tax": str(self.tax), "total": str(self.net + self.tax),
                "seconds": self.seconds, "entries": self.entries, "currency": self.currency}


def _credit_lines(lines: list[LineState], wanted: list[tuple[int, int]],
                  currency: str) -> list[CreditLine]:
    by_no = {ln.line_no: ln for ln in lines}
    seen: set[int] = set()
    out: list[CreditLine] = []
    for line_no, seconds in wanted:
        line = by_no.get(line_no)
        if line is None:
            raise InvalidInput(f"the invoice has no line {line_no}")
        if line_no in seen:
            raise InvalidInput(f"line {line_no} is named twice")
        seen.add(line_no)
        if not line.hourly:  # a fee, milestone, expense or write-down credits whole, once
            if not line.open:
                raise InvalidInput(f"line {line_no} ({line.kind}) is credited already")
            out.append(CreditLine(line, 0, line.amount, ()))
            continue
        if seconds == 0:  # the line named without a quantity: all that is left of it
            seconds = line.seconds - line.credited_seconds
        try:
            allocations = allocate(line.links, seconds)
        except ValueError as exc:
            raise InvalidInput(f"line {line_no}: {exc}") from None
        amount = credit_amount(line.amount, line.seconds, line.credited_seconds,
                               line.credited_amount, seconds, line.rate, currency)
        out.append(CreditLine(line, seconds, amount, tuple(allocations)))
    return out


def issue_credit_note(cmd: IssueCreditNote, uow: UnitOfWork, now: datetime,
                      deps: Collaborators) -> CreditReport:
    if cmd.mode not in MODES:
        raise InvalidInput(f"mode {cmd.mode!r} is not one of {', '.join(MODES)}")
    if not cmd.reason.strip():
        raise InvalidInput("a credit note needs a reason")
    with uow:
        doc = uow.invoices.document(cmd.invoice_id)
        if doc is None:
            raise NotFound("invoice", cmd.invoice_id)
        # one writer per contract at a time (billing runs, credits, voids): read the document
        # again once the others are done with it
        uow.locks.billing(doc.contract)
        doc = uow.invoices.document(cmd.invoice_id)
        assert doc is not None
        if doc.kind != "invoice" or doc.status != "issued" or doc.number is None:
            raise Conflict(f"only issued invoices can be credited; {cmd.invoice_id} is a "
                           f"{doc.status} {doc.kind.replace('_', ' ')}")
        md = uow.masterdata.snapshot()
        entity = md.entities[doc.entity]
        on = cmd.issue_date or entity_today(md, entity.code, now)
        if entity.lock_date is not None and on <= entity.lock_date:
            raise Conflict(f"credit date {on.isoformat()} is in entity {entity.code}'s closed "
                           f"period (locked through {entity.lock_date.isoformat()})")
        lines, credited_tax = uow.invoices.credit_state(doc.id)
        wanted = list(cmd.lines) or [(ln.line_no, ln.seconds - ln.credited_seconds)
                                     for ln in lines if ln.open]
        if not wanted:
            raise Conflict(f"invoice {doc.number} is credited in full already")
        credit = _credit_lines(lines, wanted, doc.currency)
        report = post_credit(uow, doc, entity, lines, credited_tax, credit, cmd.mode,
                             cmd.reason, on, now, cmd.actor)
        uow.commit()
    return report


def post_credit(uow: UnitOfWork, doc: DocumentRow, entity: LegalEntity,
                lines: list[LineState], credited_tax: Decimal, credit: list[CreditLine],
                mode: str, reason: str, on: date, now: datetime, actor: str) -> CreditReport:
    """Number, store and book a credit note of ``credit`` (lines already allocated to
    entries), releasing exactly the seconds it credits. The caller commits."""
    assert doc.number is not None  # callers credit issued invoices only
    waiting = uow.corrections.pending(sorted({e for c in credit for e, _ in c.allocations}))
    if waiting:  # crediting now would bill the entry twice: in full and as an adjustment
        raise Conflict(f"entries {', '.join(map(str, sorted(waiting)))} have a correction "
                       "the next billing run adds: run billing first, then credit",
                       "correction_pending")
    # amounts read back from NUMERIC(24, 8) carry trailing zeros: state them in the
    # currency's minor unit (the values are exact either way)
    net = round_money(sum((c.amount for c in credit), Decimal(0)), doc.currency)
    taken = {c.original.id: c.seconds for c in credit}
    exhausts = all(ln.credited_seconds + taken.get(ln.id, 0) == ln.seconds
                   if ln.hourly else (ln.id in taken or not ln.open) for ln in lines)
    tax = round_money(credit_tax(doc.tax, credited_tax, doc.tax_rate or Decimal(0), net,
                                 exhausts, doc.currency), doc.currency)
    sequence = uow.invoices.next_number(entity.code)
    number = invoice_number(entity.invoice_prefix, sequence)
    note_id = uow.invoices.add_credit_note(doc, number, sequence, on, net, tax, credit,
                                           mode, reason, now, actor)
    # a credit note is a document of its own: it shows the parties as they are today
    md = uow.masterdata.snapshot()
    uow.invoices.freeze(note_id, freeze_document(
        entity, md.customers[doc.customer], md.contracts[doc.contract], currency=doc.currency,
        due_date=on, fx_rate=doc.fx_rate))
    released: dict[int, int] = defaultdict(int)
    for c in credit:
        for entry_id, seconds in c.allocations:
            released[entry_id] += seconds
    restored: list[WipAmount] = []
    if mode == "rebill":
        rows = {r.entry_id: r for r in uow.entries.wip_rows(list(released))}
        sums: dict[tuple[str, str, Decimal], list[Decimal]] = defaultdict(
            lambda: [Decimal(0), Decimal(0)])
        changes: list[tuple[int, int, Decimal]] = []
        for entry_id, seconds in sorted(released.items()):
            r = rows[entry_id]
            amount = restore(r.wip_amount, r.billable_seconds, r.relieved_seconds,
                             r.wip_relieved, seconds, doc.currency)
            changes.append((entry_id, -seconds, -amount))
            s = sums[(r.customer, r.project, r.wip_fx_rate)]
            s[0] += amount
            # what the relieved part is worth less what it will be worth after the restore
            s[1] -= translate_step(r.wip_relieved, -amount, r.wip_fx_rate, entity.currency)
        uow.entries.add_relief(changes, now)
        restored = [WipAmount(c, p, a, f, rate)
                    for (c, p, rate), (a, f) in sorted(sums.items())]
    uow.entries.credit(sorted(released.items()), mode, now)
    uow.contracts.release_charges([c.original.id for c in credit if not c.original.hourly],
                                  mode)
    expenses = uow.expenses.on_lines([c.original.id for c in credit
                                      if c.original.kind == "expense"])
    uow.expenses.release(expenses, mode, now)
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    for c in credit:
        by_kind[c.original.kind] += c.amount
    contract = uow.masterdata.snapshot().contracts[doc.contract]
    charges = charge_accounts(entity.accounts, by_kind, wip_accrued=contract.retainer is None)
    key = f"credit-note-issued:{entity.code}:{number}"
    # earlier credit notes of this invoice: the translation continues from them
    total_before = sum((ln.credited_amount for ln in lines), Decimal(0)) + credited_tax
    fx = Translation(doc.fx_rate or Decimal(1), total_before)
    journal = credit_note_entry(key, entity, number, doc.customer, doc.currency, on, net,
                                tax, restored, fx, charges)
    publish_journal(uow, key, f"credit-note/{number}", journal, now)
    return CreditReport(note_id, number, doc.id, doc.number, mode, net, tax,
                        sum(released.values()), len(released), doc.currency)
