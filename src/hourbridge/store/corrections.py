"""Correction proposals on SQLAlchemy Core: where an entry stands on live invoices, the
proposals themselves, and the adjustments a billing run still owes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from hourbridge.services.ports.corrections import LiveLink

from . import tables as t


def _owed(by_entity: bool) -> Any:
    c, te = t.corrections, t.time_entries
    stmt = (select(te.c.contract).join(c, c.c.entry == te.c.id)
            .where(c.c.status == "applied", c.c.action == "next_invoice_adjustment",
                   c.c.adjustment_line.is_(None), te.c.work_date <= bindparam("through"),
                   te.c.contract.is_not(None)).group_by(te.c.contract))
    return stmt.where(te.c.entity == bindparam("entity")) if by_entity else stmt


# built once (every billing run asks, of one entity or all): building the statement and its
# cache key per run cost more than the query (issue 16)
_OWED = {False: _owed(False), True: _owed(True)}


class SqlCorrections:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def live_links(self, entry_id: int) -> list[LiveLink]:
        """The entry's seconds on each line of a draft or issued invoice, net of what credit
        notes took back from that line for this entry."""
        inv, li, le, corr = t.invoices, t.invoice_lines, t.invoice_line_entries, t.corrections
        credit_line = li.alias("credit_line")
        credited = dict(self.conn.execute(
            select(credit_line.c.credits_line, func.sum(le.c.seconds))
            .join(le, le.c.line == credit_line.c.id)
            .where(le.c.entry == entry_id, credit_line.c.credits_line.is_not(None))
            .group_by(credit_line.c.credits_line)).all())
        adjustment_lines = set(self.conn.execute(
            select(corr.c.adjustment_line).where(corr.c.entry == entry_id,
                                                 corr.c.adjustment_line.is_not(None)))
            .scalars())
        out: list[LiveLink] = []
        for r in self.conn.execute(
            select(inv.c.id, inv.c.status, inv.c.number, li.c.id.label("line"), li.c.line_no,
                   le.c.seconds, li.c.rate, li.c.amount, inv.c.currency)
            .join(li, li.c.id == le.c.line).join(inv, inv.c.id == li.c.invoice)
            .where(le.c.entry == entry_id, li.c.credits_line.is_(None),
                   inv.c.kind == "invoice", inv.c.status.in_(("draft", "issued")))
            .order_by(inv.c.id, li.c.line_no)
        ):
            live = r.seconds + int(credited.get(r.line, 0) or 0)  # credit links are negative
            adjustment = r.amount if r.line in adjustment_lines else None
            if live == 0 and adjustment is None:
                continue  # credited in full
            out.append(LiveLink(r.id, r.status, r.number, r.line, r.line_no, live, r.rate,
                                r.currency, adjustment))
        return out

    def supersede_open(self, entry_id: int, at: datetime) -> int:
        c = t.corrections
        done = self.conn.execute(update(c).where(c.c.entry == entry_id, c.c.status == "open")
                                 .values(status="superseded", decided_at=at,
                                         decided_by="intake",
                                         note="a later revision arrived"))
        return done.rowcount

    def add(self, values: dict[str, Any]) -> int:
        c = t.corrections
        return int(self.conn.execute(insert(c).values(**values).returning(c.c.id)).scalar_one())

    def get(self, correction_id: int) -> dict[str, Any] | None:
        c = t.corrections
        r = self.conn.execute(select(c).where(c.c.id == correction_id)).first()
        return dict(r._mapping) if r else None

    def decide(self, correction_id: int, status: str, action: str, at: datetime, by: str,
               note: str, outcome: dict[str, Any], old_amount: Decimal | None) -> None:
        c = t.corrections
        values: dict[str, Any] = {"status": status, "action": action, "decided_at": at,
                                  "decided_by": by, "note": note, "outcome": outcome}
        if old_amount is not None:
            values["old_amount"] = old_amount
        self.conn.execute(update(c).where(c.c.id == correction_id).values(**values))

    def due_adjustments(self, contract: str, through: date) -> list[dict[str, Any]]:
        """Applied next-invoice adjustments no line carries yet, latest per entry first."""
        c, te, inv, li = t.corrections, t.time_entries, t.invoices, t.invoice_lines
        rows = self.conn.execute(
            select(c.c.id, c.c.entry, c.c.old_amount, c.c.kind, c.c.before, c.c.after,
                   inv.c.number, li.c.line_no)
            .join(te, te.c.id == c.c.entry)
            .outerjoin(inv, inv.c.id == c.c.invoice).outerjoin(li, li.c.id == c.c.line)
            .where(and_(c.c.status == "applied", c.c.action == "next_invoice_adjustment",
                        c.c.adjustment_line.is_(None), te.c.contract == contract,
                        te.c.work_date <= through))
            .order_by(c.c.entry, c.c.id.desc())).all()
        return [dict(r._mapping) for r in rows]

    def owed_contracts(self, through: date, entity: str | None) -> list[str]:
        params: dict[str, Any] = {"through": through}
        if entity:
            params["entity"] = entity
        return [k for k in self.conn.execute(_OWED[bool(entity)], params).scalars()
                if k is not None]

    def pending(self, entry_ids: Sequence[int]) -> set[int]:
        """Entries with an applied next-invoice adjustment that no line carries yet."""
        c = t.corrections
        if not entry_ids:
            return set()
        return set(self.conn.execute(select(c.c.entry).where(
            c.c.entry.in_(list(entry_ids)), c.c.status == "applied",
            c.c.action == "next_invoice_adjustment", c.c.adjustment_line.is_(None))).scalars())

    def mark_adjusted(self, correction_ids: Sequence[int], line_id: int) -> None:
        c = t.corrections
        if correction_ids:
            self.conn.execute(update(c).where(c.c.id.in_(list(correction_ids)))
                              .values(adjustment_line=line_id))

    def clear_adjustments(self, invoice_id: int) -> int:
        """A voided invoice no longer carries its adjustments: the next run owes them again."""
        c, li = t.corrections, t.invoice_lines
        lines = select(li.c.id).where(li.c.invoice == invoice_id).scalar_subquery()
        done = self.conn.execute(update(c).where(c.c.adjustment_line.in_(lines))
                                 .values(adjustment_line=None))
        return done.rowcount
