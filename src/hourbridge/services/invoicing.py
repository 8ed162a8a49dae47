"""Issuing draft invoices: a gapless number per legal entity, entries move to invoiced, and the
receivable is booked (Dr receivables / Cr unbilled receivables / Cr tax payable). An invoice in
a foreign currency is translated at the rate its contract's policy picks for the issue date,
stored on the invoice; without one it is not issued (``no_fx_rate``).

The number comes from a counter on the entity row incremented in the issuing transaction: a
rolled-back issue gives its number back, so the sequence has no gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import invoice_number
from hourbridge.domain.commands import IssueInvoices
from hourbridge.domain.credits import relieve
from hourbridge.domain.einvoice.snapshot import freeze_document, payment_days
from hourbridge.domain.fx import FxTable, translate_step
from hourbridge.domain.fxpolicy import invoice_rate
from hourbridge.domain.ledger import Translation, WipAmount, charge_accounts, issue_entry
from hourbridge.domain.localday import entity_today
from hourbridge.domain.model import Billing
from hourbridge.domain.problems import Problem
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .journal import publish_journal
from .ports.uow import UnitOfWork


@dataclass
class IssueReport:
    issued: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"issued": self.issued, "count": len(self.issued)}


LINK_BATCH = 200


def relieve_wip(uow: UnitOfWork, billed: list[tuple[int, int]], currency: str,
                now: datetime, functional_currency: str | None = None) -> list[WipAmount]:
    """Relieve each entry's WIP for the seconds invoiced; the amounts per customer, project
    and WIP rate that the receivable booking takes out of unbilled receivables, with their
    functional value (the running translation of what each entry has relieved, so an entry
    relieves exactly the functional value it was booked at)."""
    rows = {r.entry_id: r for r in uow.entries.wip_rows([e for e, _ in billed])}
    changes: list[tuple[int, int, Decimal]] = []
    sums: dict[tuple[str, str, Decimal], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)])
    fc = functional_currency or currency
    for entry_id, seconds in billed:
        r = rows[entry_id]
        amount = relieve(r.wip_amount, r.billable_seconds, r.relieved_seconds, r.wip_relieved,
                         seconds, currency)
        changes.append((entry_id, seconds, amount))
        s = sums[(r.customer, r.project, r.wip_fx_rate)]
        s[0] += amount
        s[1] += (amount if fc == currency  # one currency: nothing to translate
                 else translate_step(r.wip_relieved, amount, r.wip_fx_rate, fc))
    uow.entries.add_relief(changes, now)
    return [WipAmount(c, p, a, f, rate) for (c, p, rate), (a, f) in sorted(sums.items())]


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
        ordered = sorted(drafts, key=lambda d: (d.entity, d.id))
        links: dict[int, list[tuple[int, int]]] = {}
        for position, inv in enumerate(ordered):
            if position % LINK_BATCH == 0:  # one query per batch of invoices, not per invoice
                batch = [d.id for d in ordered[position:position + LINK_BATCH]]
                links = uow.invoices.entry_seconds_for(batch)
                kinds = uow.invoices.kind_totals(batch)
            entity = md.entities[inv.entity]
            # each invoice is dated on its own entity's day (one run may issue for several)
            on = cmd.issue_date or entity_today(md, entity.code, now)
            if entity.lock_date is not None and on <= entity.lock_date:
                raise Conflict(
                    f"issue date {on.isoformat()} is in entity {entity.code}'s closed period "
                    f"(locked through {entity.lock_date.isoformat()})")
            sequence = uow.invoices.next_number(entity.code)
            number = invoice_number(entity.invoice_prefix, sequence)
            customer = md.customers[inv.customer]
            due = on + timedelta(days=payment_days(entity, customer))
            rate = invoice_rate(md.contracts[inv.contract], entity.currency, fx, on)
            if isinstance(rate, Problem):
                raise InvalidInput(f"invoice {inv.id} cannot be issued on {on.isoformat()}: "
                                   f"{rate.message}", [rate])
            uow.invoices.mark_issued(inv.id, number, sequence, on, due, now, cmd.actor, rate)
            uow.invoices.freeze(inv.id, freeze_document(
                entity, customer, md.contracts[inv.contract], currency=inv.currency,
                due_date=due, fx_rate=rate))
            billed = links.get(inv.id, [])
            wip = relieve_wip(uow, billed, inv.currency, now, entity.currency)
            uow.entries.set_billing([e for e, _ in billed], Billing.INVOICED.value, now)
            key = f"invoice-issued:{entity.code}:{number}"
            contract = md.contracts[inv.contract]
            charges = charge_accounts(entity.accounts, kinds.get(inv.id, {}),
                                      wip_accrued=contract.retainer is None)
            journal = issue_entry(key, entity, number, inv.customer, inv.currency, on,
                                  inv.net, inv.tax, wip, Translation(rate), charges)
            publish_journal(uow, key, f"invoice/{number}", journal, now)
            report.issued.append({"id": inv.id, "number": number, "entity": entity.code,
                                  "customer": inv.customer, "currency": inv.currency,
                                  "net": str(inv.net), "tax": str(inv.tax),
                                  "total": str(inv.total), "issue_date": on.isoformat(),
                                  "due_date": due.isoformat(),
                                  "wip_relieved": str(sum((w.amount for w in wip), Decimal(0)))})
        uow.commit()
    return report
