"""What contract components have done so far: milestones achieved, charges billed, retainer
months settled, and how much hourly work live invoices carry (for caps)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, case, delete, func, insert, or_, select, update

from . import tables as t

# documents that carry billed work: drafts and issued invoices and credit notes, not voids
LIVE = ("draft", "issued", "posted", "paid")
# charges billed through deferred revenue (services.revenue.BILLED_AS)
_DEFERRED_KINDS = ("fee", "milestone", "retainer_fee")


class SqlContracts:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def achievements(self, contract: str) -> dict[str, date]:
        ma = t.milestone_achievements
        return {m: d for m, d in self.conn.execute(
            select(ma.c.milestone, ma.c.achieved_on).where(ma.c.contract == contract))}

    def achieve(self, contract: str, milestone: str, on: date, actor: str, note: str,
                at: datetime) -> bool:
        """Record an achievement once; False when it was recorded before."""
        if milestone in self.achievements(contract):
            return False
        self.conn.execute(insert(t.milestone_achievements).values(
            contract=contract, milestone=milestone, achieved_on=on, actor=actor, note=note,
            recorded_at=at))
        return True

    def charge_states(self, contract: str) -> dict[tuple[str, str], tuple[str, Decimal]]:
        """(kind, ref) -> (billed / written_off, amount) of the charges billed so far."""
        cc = t.contract_charges
        return {(k, r): (s, a) for k, r, s, a in self.conn.execute(
            select(cc.c.kind, cc.c.ref, cc.c.state, cc.c.amount).where(cc.c.contract == contract))}

    def billed_through(self, contract: str, on: date) -> dict[str, Decimal]:
        """Charge kind -> net amount invoiced by the end of ``on``: lines of invoices issued
        on or before it, less those of credit notes issued by then; a void counts until its
        void date. What was issued later was not billed yet at ``on``."""
        inv, li = t.invoices, t.invoice_lines
        out: dict[str, Decimal] = {}
        # summed here, not by SQL: SQLite would add the decimal text as floats
        for doc_kind, kind, amount in self.conn.execute(
            select(inv.c.kind, li.c.kind, li.c.amount).join(inv, inv.c.id == li.c.invoice)
            .where(inv.c.contract == contract, li.c.kind.in_(_DEFERRED_KINDS),
                   inv.c.issue_date.is_not(None), inv.c.issue_date <= on,
                   or_(inv.c.status != "void",
                       and_(inv.c.void_date.is_not(None), inv.c.void_date > on)))):
            signed = -amount if doc_kind == "credit_note" else amount
            out[kind] = out.get(kind, Decimal(0)) + signed
        return out

    def release_charges(self, line_ids: Sequence[int], mode: str) -> None:
        """A credit note credited these charge lines: rebill frees them, write-off keeps them."""
        if not line_ids:
            return
        cc = t.contract_charges
        where = cc.c.invoice_line.in_(list(line_ids))
        if mode == "rebill":
            self.conn.execute(delete(cc).where(where))
        else:
            self.conn.execute(update(cc).where(where).values(state="written_off"))

    def settled_months(self, contract: str) -> dict[str, int]:
        """Settled retainer months and the seconds each rolled forward."""
        rm = t.retainer_months
        return {p: int(s) for p, s in self.conn.execute(
            select(rm.c.period, rm.c.rollover_out_seconds).where(rm.c.contract == contract))}

    def settle_month(self, contract: str, period: str, included: int, rollover_in: int,
                     used: int, overage: int, rollover_out: int, expired: int,
                     at: datetime) -> None:
        self.conn.execute(insert(t.retainer_months).values(
            contract=contract, period=period, included_seconds=included,
            rollover_in_seconds=rollover_in, used_seconds=used, overage_seconds=overage,
            rollover_out_seconds=rollover_out, expired_seconds=expired, settled_at=at))

    def unsettle_month(self, contract: str, period: str) -> None:
        """The invoice that settled the month is void: the month settles again."""
        rm = t.retainer_months
        self.conn.execute(delete(rm).where(rm.c.contract == contract, rm.c.period == period))

    def usage(self, contracts: Sequence[str]) -> dict[str, tuple[int, Decimal]]:
        """Hourly seconds and amount (with cap write-downs) live invoices carry, net of credit
        notes, per contract."""
        inv, li = t.invoices, t.invoice_lines
        sign = case((inv.c.kind == "credit_note", -1), else_=1)
        out: dict[str, tuple[int, Decimal]] = {c: (0, Decimal(0)) for c in contracts}
        if not contracts:
            return out
        # amounts are summed here, not by SQL: SQLite would add decimal text as floats
        rows = self.conn.execute(
            select(inv.c.contract, li.c.kind, li.c.seconds, li.c.amount, sign)
            .join(li, li.c.invoice == inv.c.id)
            .where(inv.c.contract.in_(list(contracts)), inv.c.status.in_(LIVE),
                   li.c.kind.in_(("time", "cap_write_down"))))
        for contract, kind, seconds, amount, factor in rows:
            s0, a0 = out[contract]
            out[contract] = (s0 + (int(seconds) * factor if kind == "time" else 0),
                             a0 + amount * factor)
        return out

    def effort(self, contract: str, through: date) -> list[tuple[str, date, int]]:
        """Approved work on the contract through a date, per employee and day (seconds)."""
        te = t.time_entries
        return [(e, d, int(s)) for e, d, s in self.conn.execute(
            select(te.c.employee, te.c.work_date, func.sum(te.c.worked_seconds))
            .where(te.c.contract == contract, te.c.approval == "approved",
                   te.c.work_date <= through)
            .group_by(te.c.employee, te.c.work_date)
            .order_by(te.c.employee, te.c.work_date))]

    def recognitions(self, contract: str) -> dict[str, tuple[Decimal, str]]:
        """The latest recognised-to-date and period of each component."""
        rr = t.revenue_recognitions
        out: dict[str, tuple[Decimal, str]] = {}
        for component, recognised, period in self.conn.execute(
                select(rr.c.component, rr.c.recognised, rr.c.period)
                .where(rr.c.contract == contract).order_by(rr.c.id)):
            out[component] = (Decimal(recognised), period)
        return out

    def record_recognition(self, contract: str, component: str, period: str,
                           recognised: Decimal, delta: Decimal, basis: str, posted_on: date,
                           journal_key: str, at: datetime) -> None:
        self.conn.execute(insert(t.revenue_recognitions).values(
            contract=contract, component=component, period=period, recognised=recognised,
            delta=delta, basis=basis, posted_on=posted_on, journal_key=journal_key, at=at))

    def recognition_history(self, contract: str) -> list[dict[str, object]]:
        rr = t.revenue_recognitions
        return [dict(r._mapping) for r in self.conn.execute(
            select(rr.c.component, rr.c.period, rr.c.recognised, rr.c.delta, rr.c.basis,
                   rr.c.posted_on).where(rr.c.contract == contract).order_by(rr.c.id))]
