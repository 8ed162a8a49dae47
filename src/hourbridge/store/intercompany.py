"""Intercompany charges: work one entity did for another's contract."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select

from hourbridge.domain.intercompany import IntercompanyCharge

from . import tables as t
from ._sql import _member


class SqlIntercompany:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def charged(self, entry_ids: Sequence[int]) -> set[int]:
        ic = t.intercompany_charges
        out: set[int] = set()
        for member in _member(self.conn, ic.c.entry, entry_ids):
            out |= set(self.conn.execute(select(ic.c.entry).where(member)).scalars())
        return out

    def add(self, charges: Sequence[tuple[IntercompanyCharge, str | None, str | None]],
            at: datetime) -> None:
        """Record charges with the journal keys that booked them (seller's, buyer's or none)."""
        if not charges:
            return
        self.conn.execute(insert(t.intercompany_charges), [
            {"entry": c.entry_id, "seller": c.seller, "buyer": c.buyer, "employee": c.employee,
             "project": c.project, "work_date": c.work_date, "seconds": c.seconds,
             "cost_rate": c.cost_rate, "markup_percent": c.markup_percent,
             "transfer_price": c.transfer_price, "amount": c.amount, "currency": c.currency,
             "buyer_currency": c.buyer_currency, "status": c.status,
             "seller_journal_key": seller_key, "buyer_journal_key": buyer_key,
             "created_at": at}
            for c, seller_key, buyer_key in charges])
