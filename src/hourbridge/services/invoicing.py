"""Issuing draft invoices: a gapless number per legal entity, entries move to invoiced, and the
receivable is booked (Dr receivables / Cr unbilled receivables / Cr tax payable). An invoice in
a foreign currency is translated at the rate its contract's policy picks for the issue date,
stored on the invoice; without one it is not issued (``no_fx_rate``).

The number comes from a counter on the entity row incremented in the issuing transaction: a
rolled-back issue gives its number back, so the sequence has no gaps. Drafts are issued in
batches of set-based statements (one counter update per entity and batch, one update of the
headers, of the entries' WIP and state, one insert of the journal postings), not invoice by
invoice (issue 16: the per-invoice loops were 72 % of issuing).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import invoice_number
from hourbridge.domain.commands import IssueInvoices
from hourbridge.domain.credits import relieve
from hourbridge.domain.einvoice.snapshot import freeze_document, payment_days
from hourbridge.domain.fx import FxTable, translate_step
from hourbridge.domain.fxpolicy import invoice_rate
from hourbridge.domain.ledger import (
    JournalEntry,
    Translation,
    WipAmount,
    charge_accounts,
    issue_entry,
)
from hourbridge.domain.localday import entity_today
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Billing, LegalEntity
from hourbridge.domain.problems import Problem
from hourbridge.errors import Conflict, InvalidInput, NotFound, SegregationRefused

from .deps import Collaborators
from .journal import publish_journals
from .ports.entries import ReliefRow, WholeRelief
from .ports.invoices import InvoiceHeader, IssuedDraft
from .ports.uow import UnitOfWork


@dataclass
class IssueReport:
    issued: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"issued": self.issued, "count": len(self.issued)}


BATCH = 200  # invoices issued per set of bulk statements


class WipRelief:
    """The WIP positions of a batch's entries, relieved invoice by invoice in memory and
    written once (``changes``). An entry on two invoices of one batch relieves the second
    share from where the first left it, as it would one invoice at a time."""

    def __init__(self, rows: list[ReliefRow]) -> None:
        self.rows = {r.entry_id: r for r in rows}
        self.taken: dict[int, tuple[int, Decimal]] = {}

    def relieve(self, billed: list[tuple[int, int]], currency: str,
                functional_currency: str, whole: list[WholeRelief]) -> list[WipAmount]:
        """Relieve each entry's WIP for the seconds invoiced; the amounts per customer,
        project and WIP rate that the receivable booking takes out of unbilled receivables,
        with their functional value (the running translation of what each entry has
        relieved, so an entry relieves exactly the functional value it was booked at)."""
        sums: dict[tuple[str, str, Decimal], list[Decimal]] = defaultdict(
            lambda: [Decimal(0), Decimal(0)])
        for w in whole:  # in the functional currency: nothing to translate
            s = sums[(w.customer, w.project, w.wip_fx_rate)]
            s[0] += w.amount
            s[1] += w.amount
        for entry_id, seconds in billed:
            r = self.rows[entry_id]
            amount = relieve(r.wip_amount, r.billable_seconds, r.relieved_seconds,
                             r.wip_relieved, seconds, currency)
            s = sums[(r.customer, r.project, r.wip_fx_rate)]
            s[0] += amount
            s[1] += (amount if functional_currency == currency  # nothing to translate
                     else translate_step(r.wip_relieved, amount, r.wip_fx_rate,
                                         functional_currency))
            self.rows[entry_id] = replace(r, relieved_seconds=r.relieved_seconds + seconds,
                                          wip_relieved=r.wip_relieved + amount)
            before = self.taken.get(entry_id, (0, Decimal(0)))
            self.taken[entry_id] = (before[0] + seconds, before[1] + amount)
        return [WipAmount(c, p, a, f, rate) for (c, p, rate), (a, f) in sorted(sums.items())]

    @property
    def changes(self) -> list[tuple[int, int, Decimal]]:
        return [(i, s, a) for i, (s, a) in self.taken.items()]


@dataclass(frozen=True, slots=True)
class _Plan:
    """One draft's issue, decided before anything is written."""

    inv: InvoiceHeader
    entity: LegalEntity
    on: date
    due: date
    rate: Decimal


def _plan(inv: InvoiceHeader, cmd: IssueInvoices, md: MasterData, fx: FxTable,
          now: datetime) -> _Plan:
    entity = md.entities[inv.entity]
    # each invoice is dated on its own entity's day (one run may issue for several)
    on = cmd.issue_date or entity_today(md, entity.code, now)
    if entity.lock_date is not None and on <= entity.lock_date:
        raise Conflict(
            f"issue date {on.isoformat()} is in entity {entity.code}'s closed period "
            f"(locked through {entity.lock_date.isoformat()})")
    due = on + timedelta(days=payment_days(entity, md.customers[inv.customer]))
    rate = invoice_rate(md.contracts[inv.contract], entity.currency, fx, on)
    if isinstance(rate, Problem):
        raise InvalidInput(f"invoice {inv.id} cannot be issued on {on.isoformat()}: "
                           f"{rate.message}", [rate])
    return _Plan(inv, entity, on, due, rate)


def _issue_batch(batch: list[InvoiceHeader], cmd: IssueInvoices, uow: UnitOfWork,
                 md: MasterData, fx: FxTable, now: datetime) -> list[dict[str, Any]]:
    """Issue one batch of drafts (ordered by entity, id) in a few set-based statements:
    numbers reserved per entity in one update each (gapless: consecutive, in draft order,
    given back with the transaction), headers and snapshots in one, WIP relief, entry state
    and the journal postings to the outbox in one or two each."""
    ids = [d.id for d in batch]
    kinds = uow.invoices.kind_totals(ids)
    plans = [_plan(inv, cmd, md, fx, now) for inv in batch]
    counts = Counter(p.entity.code for p in plans)
    # entities locked in one order by every issuer: two concurrent batches cannot deadlock
    following = {code: uow.invoices.reserve_numbers(code, n) for code, n in sorted(counts.items())}
    issued: list[IssuedDraft] = []
    for p in plans:
        sequence = following[p.entity.code]
        following[p.entity.code] += 1
        issued.append(IssuedDraft(
            p.inv.id, invoice_number(p.entity.invoice_prefix, sequence), sequence, p.on,
            p.due, p.rate, freeze_document(
                p.entity, md.customers[p.inv.customer], md.contracts[p.inv.contract],
                currency=p.inv.currency, due_date=p.due, fx_rate=p.rate)))
    uow.invoices.issue_drafts(issued, now, cmd.actor)
    # entries invoiced whole for the first time are relieved by SQL, summed per invoice;
    # the others entry by entry (foreign-currency invoices translate each entry's share)
    domestic = [p.inv.id for p in plans if p.inv.currency == p.entity.currency]
    whole: dict[int, list[WholeRelief]] = defaultdict(list)
    for w in uow.entries.relieve_whole(domestic, ids, now):
        whole[w.invoice].append(w)
    partial = uow.entries.partial_links(ids)
    wip = WipRelief(uow.entries.wip_rows(sorted({e for ls in partial.values() for e, _ in ls})))
    journals: list[tuple[str, str, JournalEntry]] = []
    out: list[dict[str, Any]] = []
    for p, d in zip(plans, issued, strict=True):
        inv, entity = p.inv, p.entity
        relieved = wip.relieve(partial.get(inv.id, []), inv.currency, entity.currency,
                               whole.get(inv.id, []))
        key = f"invoice-issued:{entity.code}:{d.number}"
        charges = charge_accounts(entity.accounts, kinds.get(inv.id, {}),
                                  wip_accrued=md.contracts[inv.contract].retainer is None)
        journals.append((key, f"invoice/{d.number}", issue_entry(
            key, entity, d.number, inv.customer, inv.currency, p.on, inv.net, inv.tax,
            relieved, Translation(p.rate), charges)))
        out.append({"id": inv.id, "number": d.number, "entity": entity.code,
                    "customer": inv.customer, "currency": inv.currency, "net": str(inv.net),
                    "tax": str(inv.tax), "total": str(inv.total),
                    "issue_date": p.on.isoformat(), "due_date": p.due.isoformat(),
                    "wip_relieved": str(sum((w.amount for w in relieved), Decimal(0)))})
    uow.entries.add_relief(wip.changes, now)
    uow.entries.set_billing(sorted(wip.rows), Billing.INVOICED.value, now)
    publish_journals(uow, journals, now)
    return out


def issue_invoices(cmd: IssueInvoices, uow: UnitOfWork, now: datetime,
                   deps: Collaborators) -> IssueReport:
    if not cmd.invoice_ids and not cmd.all_drafts:
        raise InvalidInput("say which invoices to issue: ids, or all drafts")
    report = IssueReport()
    with uow:
        md = uow.masterdata.snapshot()
        fx = FxTable(md.fx_rates.values())
        drafts = uow.invoices.drafts(cmd.invoice_ids, cmd.entity)
        if cmd.invoice_ids:
            found = {d.id for d in drafts}
            statuses = uow.invoices.statuses([i for i in cmd.invoice_ids if i not in found])
            missing = [i for i in cmd.invoice_ids if i not in found and i not in statuses]
            if missing:
                raise NotFound("invoice", missing[0] if len(missing) == 1 else missing)
            if statuses:
                listed = ", ".join(f"{i} is {s}" for i, s in sorted(statuses.items()))
                raise Conflict(f"only drafts can be issued: {listed}")
        four_eyes = uow.invoices.four_eyes_entities()
        if four_eyes:
            drafters = uow.invoices.drafted_by([d.id for d in drafts
                                                if d.entity in four_eyes])
            own = sorted(i for i, by in drafters.items() if by == cmd.actor)
            if own:
                raise SegregationRefused(
                    f"invoice {', '.join(map(str, own))}: drafted by a billing run of "
                    f"{cmd.actor}, and its entity needs someone else to issue it")
        ordered = sorted(drafts, key=lambda d: (d.entity, d.id))
        for start in range(0, len(ordered), BATCH):
            report.issued += _issue_batch(ordered[start:start + BATCH], cmd, uow, md, fx, now)
        uow.commit()
    return report
