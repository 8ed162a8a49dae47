"""Intercompany charges made while time is approved (see ``domain.intercompany``).

An approval batch collects the charges of the entries it approves and, at the end, records
them and books one journal entry per entity pair and side, with deterministic keys
``intercompany-sale:SELLER:BUYER:BATCH`` and ``intercompany-purchase:BUYER:SELLER:BATCH``,
through the outbox, in the approval's transaction. An entry that cannot be priced is not
approved; finance gets one open ``no_transfer_price`` exception for it, resolved by the
approval that succeeds once the cost rate is loaded.

After approval a charge stands: a credit note to the customer does not undo work the seller
delivered (the buyer bears the loss), and approved work is never rewritten at intake. There is
no command that un-approves or rejects approved time; one that is added must record a
reversing charge (negative seconds and amount, its own keys), not delete this one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.fx import FxTable
from hourbridge.domain.intercompany import (
    AWAITING_FX,
    IntercompanyCharge,
    buyer_entry,
    crosses_entities,
    price_charge,
    seller_entry,
)
from hourbridge.domain.ledger import JournalEntry
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.problems import Problem

from .journal import publish_journal
from .ports.entries import EntryRow
from .ports.exceptions import NewException
from .ports.uow import UnitOfWork

SOURCE = "intercompany"


class Charges:
    """The intercompany charges of one approval batch, collected entry by entry."""

    def __init__(self, md: MasterData) -> None:
        self.md = md
        self.charges: dict[int, IntercompanyCharge] = {}
        self.refused: list[NewException] = []

    def take(self, row: EntryRow) -> Problem | None:
        """Price the charge of ``row`` if it crosses entities; a problem refuses approval."""
        if not crosses_entities(self.md, row.employee, row.entity):
            return None
        found = price_charge(self.md, row.id, row.employee, row.project, row.entity,
                             row.work_date, row.worked_seconds)
        if isinstance(found, Problem):
            self.refused.append(NewException(None, SOURCE, row.external_id, found, {
                "entry": row.id, "employee": row.employee, "project": row.project,
                "date": row.work_date.isoformat()}))
            return found
        self.charges[row.id] = found
        return None

    def drop(self, entry_id: int) -> None:
        """The entry was not approved after all (no customer rate): no charge either."""
        self.charges.pop(entry_id, None)

    def book(self, uow: UnitOfWork, batch_key: str, now: datetime,
             open_day: Callable[[str], date]) -> dict[str, Any]:
        """Record the charges and send their journal entries, dated ``open_day(entity)``."""
        uow.exceptions.add_open_once(self.refused, now)
        uow.exceptions.resolve_all(SOURCE, [f"entry {i}" for i in self.charges], now,
                                   "approval")
        by_pair: dict[tuple[str, str], list[IntercompanyCharge]] = defaultdict(list)
        for charge in self.charges.values():
            by_pair[(charge.seller, charge.buyer)].append(charge)
        keys: list[str] = []
        records: list[tuple[IntercompanyCharge, str | None, str | None]] = []
        totals: dict[str, Decimal] = defaultdict(Decimal)
        fx = FxTable(self.md.fx_rates.values())
        for (seller, buyer), charges in sorted(by_pair.items()):
            seller_cur = self.md.entities[seller].currency
            buyer_cur = self.md.entities[buyer].currency
            if seller_cur != buyer_cur:
                rate = fx.rate_on(seller_cur, buyer_cur, open_day(buyer))
                if not isinstance(rate, Problem):
                    charges = [replace(c, fx_rate=rate) for c in charges]
            sale_key = f"intercompany-sale:{seller}:{buyer}:{batch_key}"
            purchase_key = f"intercompany-purchase:{buyer}:{seller}:{batch_key}"
            sale = seller_entry(sale_key, self.md.entities[seller], buyer,
                                open_day(seller), charges)
            purchase = buyer_entry(purchase_key, self.md.entities[buyer], seller,
                                   open_day(buyer), charges)
            for journal in (sale, purchase):
                if journal is not None:
                    _send(uow, journal, now)
                    keys.append(journal.key)
            for c in charges:
                bought = purchase is not None and c.status != AWAITING_FX
                records.append((c, sale_key if sale is not None else None,
                                purchase_key if bought else None))
                totals[c.currency] += c.amount
        uow.intercompany.add(records, now)
        return {"charges": len(records),
                "awaiting_fx": sum(1 for c, _, _ in records if c.status == AWAITING_FX),
                "refused": len(self.refused), "journal_keys": keys,
                "amount": {k: str(v) for k, v in sorted(totals.items())}}


def _send(uow: UnitOfWork, journal: JournalEntry, now: datetime) -> None:
    publish_journal(uow, journal.key, f"journal/{journal.key}", journal, now)
