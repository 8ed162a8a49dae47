"""Intercompany charges: totals and one page of charges."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from .. import tables as t
from ._common import QueryBase, _hours, money, month_bounds, plain


class IntercompanyQueries(QueryBase):
    def intercompany(self, *, period: str | None = None, limit: int = 100,
                     offset: int = 0, entities: Collection[str] | None = None
                     ) -> dict[str, Any]:
        """Charges of work in ``period`` (YYYY-MM of the work date, or all): totals per
        seller, buyer, currency and status, and one page of the charges themselves
        (``entities``: only charges one of these legal entities sells or buys)."""
        ic = t.intercompany_charges
        where = []
        if period is not None:
            first, last = month_bounds(period)
            where = [ic.c.work_date >= first, ic.c.work_date <= last]
        if entities is not None:
            codes = sorted(entities)
            where.append(or_(ic.c.seller.in_(codes), ic.c.buyer.in_(codes)))
        sums: dict[tuple[str, str, str, str], list[Any]] = {}
        with self.engine.connect() as conn:
            for seller, buyer, currency, status, seconds, amount in conn.execute(
                select(ic.c.seller, ic.c.buyer, ic.c.currency, ic.c.status, ic.c.seconds,
                       ic.c.amount).where(*where)):
                bucket = sums.setdefault((seller, buyer, currency, status), [0, 0, Decimal(0)])
                bucket[0] += 1
                bucket[1] += seconds
                bucket[2] += amount
            page = [dict(r._mapping) for r in conn.execute(
                select(ic).where(*where).order_by(ic.c.id).limit(limit).offset(offset))]
        totals = [{"seller": s_, "buyer": b, "currency": c, "status": st, "charges": n,
                   "seconds": secs, "hours": _hours(secs), "amount": money(amount, c)}
                  for (s_, b, c, st), (n, secs, amount) in sorted(sums.items())]
        charges = [{
            "id": r["id"], "entry": r["entry"], "seller": r["seller"], "buyer": r["buyer"],
            "employee": r["employee"], "project": r["project"],
            "work_date": r["work_date"].isoformat(), "seconds": r["seconds"],
            "hours": _hours(r["seconds"]), "cost_rate": plain(r["cost_rate"]),
            "markup_percent": plain(r["markup_percent"]),
            "transfer_price": plain(r["transfer_price"]),
            "amount": money(r["amount"], r["currency"]), "currency": r["currency"],
            "buyer_currency": r["buyer_currency"], "status": r["status"],
            "seller_journal_key": r["seller_journal_key"],
            "buyer_journal_key": r["buyer_journal_key"]} for r in page]
        return {"period": period, "totals": totals, "charges": charges}
