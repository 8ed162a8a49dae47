"""Entries' WIP relief and billing state when a batch of invoices is issued, set-based.

Issuing one invoice at a time read, relieved and updated every linked entry from Python
(issue 16: 72 % of issuing). The common case, an entry invoiced whole for the first time, is
decided by SQL here: its relief is its whole WIP, summed per invoice, customer, project and
WIP rate by the database, and written by one UPDATE per batch; only the other links (partial
quantities, rebills, entries on two invoices of the batch, foreign-currency invoices whose
relief is translated entry by entry) go through ``wip_rows`` and ``add_relief``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from hourbridge.services.ports.entries import WholeRelief

from . import tables as t

_le, _li, _te, _pr = t.invoice_line_entries, t.invoice_lines, t.time_entries, t.projects


def _whole(invoice_ids: Sequence[int], batch: Sequence[int], te: Any = _te
           ) -> ColumnElement[bool]:
    """A link of one of ``invoice_ids`` that relieves its entry ``te``'s whole WIP: nothing
    of the entry relieved yet, the link bills all its seconds, and no other invoice of the
    ``batch`` links it (the rare entry split over two drafts goes entry by entry)."""
    other_le, other_li = _le.alias("other_le"), _li.alias("other_li")
    return and_(
        _li.c.invoice.in_(list(invoice_ids)), te.c.relieved_seconds == 0,
        te.c.wip_relieved.is_(None), _le.c.seconds >= te.c.billable_seconds,
        ~exists().where(other_le.c.entry == _le.c.entry, other_le.c.line != _le.c.line,
                        other_li.c.id == other_le.c.line,
                        other_li.c.invoice.in_(list(batch))))


class IssuingLedger:
    """The issuing half of ``SqlEntries`` (composed in as a mixin)."""

    conn: Connection

    def whole_relief(self, invoice_ids: Sequence[int], batch: Sequence[int]
                     ) -> list[WholeRelief]:
        if not invoice_ids:
            return []
        whole = _whole(invoice_ids, batch)
        joined = (_le.join(_li, _li.c.id == _le.c.line).join(_te, _te.c.id == _le.c.entry)
                  .join(_pr, _pr.c.code == _te.c.project))
        keys = (_li.c.invoice, _pr.c.customer, _te.c.project, _te.c.wip_fx_rate)
        sums: dict[tuple[int, str, str, Decimal], Decimal] = {}
        if self.conn.dialect.name == "sqlite":
            # decimal text: summed here, exactly (SQLite's SUM would add binary floats);
            # the driver's raw rows, without per-value processing of tens of thousands
            compiled = select(*keys, _te.c.wip_amount).select_from(joined).where(whole) \
                .compile(self.conn, compile_kwargs={"literal_binds": True})
            rows = self.conn.exec_driver_sql(str(compiled)).all()
            for invoice, customer, project, rate, amount in rows:
                key = (invoice, customer, project,
                       Decimal(1) if rate is None else Decimal(rate))
                sums[key] = sums.get(key, Decimal(0)) + (
                    Decimal(0) if amount is None else Decimal(amount))
        else:
            total = func.sum(func.coalesce(_te.c.wip_amount, 0))
            for invoice, customer, project, rate, amount in self.conn.execute(
                    select(*keys, total).select_from(joined).where(whole).group_by(*keys)):
                key = (invoice, customer, project, Decimal(1) if rate is None else rate)
                sums[key] = sums.get(key, Decimal(0)) + amount
        return [WholeRelief(i, c, p, r, a) for (i, c, p, r), a in sorted(sums.items())]

    def partial_links(self, batch: Sequence[int], whole_ids: Sequence[int]
                      ) -> dict[int, list[tuple[int, int]]]:
        """(entry, seconds) of each invoice of ``batch`` not relieved whole by
        ``invoice_whole(whole_ids, batch)``."""
        out: dict[int, list[tuple[int, int]]] = {}
        rows = self.conn.execute(
            select(_li.c.invoice, _le.c.entry, _le.c.seconds)
            .select_from(_le.join(_li, _li.c.id == _le.c.line)
                         .join(_te, _te.c.id == _le.c.entry))
            .where(_li.c.invoice.in_(list(batch)), ~_whole(whole_ids, batch))
            .order_by(_li.c.invoice, _le.c.entry)) if whole_ids else self.conn.execute(
            select(_li.c.invoice, _le.c.entry, _le.c.seconds)
            .select_from(_le.join(_li, _li.c.id == _le.c.line))
            .where(_li.c.invoice.in_(list(batch))).order_by(_li.c.invoice, _le.c.entry))
        for invoice, entry, seconds in rows:
            out.setdefault(invoice, []).append((entry, seconds))
        return out

    def invoice_whole(self, invoice_ids: Sequence[int], batch: Sequence[int],
                      at: datetime) -> None:
        """Write what ``whole_relief`` summed, in one UPDATE that rewrites each entry once:
        its WIP relieved in full, and invoiced and locked (the source may no longer change
        it), unless a credit note released part of it while the rest sat on the draft: that
        one stays open (credited) for the next run."""
        if not invoice_ids:
            return
        # an alias: the same table as the UPDATE's would be correlated away
        te = _te.alias("relieved")
        linked = (select(_le.c.entry).select_from(
            _le.join(_li, _li.c.id == _le.c.line).join(te, te.c.id == _le.c.entry))
            .where(_whole(invoice_ids, batch, te)))
        whole = _te.c.billed_seconds + _te.c.written_off_seconds >= _te.c.billable_seconds
        self.conn.execute(update(_te).where(_te.c.id.in_(linked)).values(
            relieved_seconds=_te.c.billable_seconds, wip_relieved=_te.c.wip_amount,
            billing=case((whole, "invoiced"), else_="credited"),
            locked=case((whole, true()), else_=_te.c.locked), updated_at=at))
