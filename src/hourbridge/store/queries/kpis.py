"""Figures the KPIs are computed from (``observability.kpis``), each one set-based statement.

Every method returns a *bounded* result: a histogram (group, whole days, count) instead of one
row per entry, or sums grouped by a rate, so the Python pass over it costs the same at a
thousand entries as at a million. The statements that would group every entry or billed part
read rollups kept by database triggers instead (``store/tables/kpis.py``, migrations 0024 and
0025): the same groups, counted as the rows change, so the numbers are those of the written
definitions (``kpis_direct``, which the tests compare them with). Money as in ``kpis_direct``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, and_, case, func, literal, or_, select

from .. import tables as t
from .kpis_direct import BILLED, KpiDirectQueries


class KpiQueries(KpiDirectQueries):
    # --- the figures ---------------------------------------------------------------------
    def kpi_first_work_date(self) -> date | None:
        with self.engine.connect() as conn:
            value: date | None = conn.execute(
                select(func.min(t.time_entries.c.work_date))).scalar_one()
        return value

    def kpi_approval_lag(self, first: date, last: date, entity: str | None
                         ) -> list[dict[str, Any]]:
        """Days from work date to approval, per entity, customer and day count: entries
        worked in the period and approved. Read from ``kpi_approval_days`` (the same groups,
        kept by triggers as entries change), not from every entry."""
        k = t.kpi_approval_days
        pairs = (select(k.c.entity, k.c.customer, k.c.work_date.label("start"),
                        k.c.approved_on.label("end"), k.c.entries.label("n"))
                 .where(k.c.work_date.between(first, last), k.c.entries > 0,
                        self.kpi_entity_filter(k.c.entity, entity)))
        return self._histogram(pairs)

    def kpi_invoice_lag(self, first: date, last: date, entity: str | None, *,
                        since: str) -> list[dict[str, Any]]:
        """Days to the issue date of the invoice that billed an entry, from its work date
        (``since="work"``) or its approval (``"approved"``), per entity, customer and day
        count, over invoices issued in the period (an entry billed in parts counts per
        part). Read from ``kpi_billed_days`` (parts per invoice, work date, approval day)
        joined to the invoices, not from every billed part."""
        k, inv = t.kpi_billed_days, t.invoices
        start = k.c.work_date if since == "work" else k.c.approved_on
        pairs = (select(inv.c.entity, inv.c.customer, start.label("start"),
                        inv.c.issue_date.label("end"), func.sum(k.c.parts).label("n"))
                 .select_from(inv).join(k, k.c.invoice == inv.c.id)
                 .where(inv.c.kind == "invoice", inv.c.status.in_(BILLED),
                        inv.c.issue_date.between(first, last), k.c.parts > 0,
                        self.kpi_entity_filter(inv.c.entity, entity))
                 .group_by(inv.c.entity, inv.c.customer, start, inv.c.issue_date))
        return self._histogram(pairs)

    def kpi_hours_by_employee(self, first: date, last: date, entity: str | None
                              ) -> list[dict[str, Any]]:
        """Every employee (of ``entity``) with the entity's country, hours per day, and the
        seconds worked in the period: all, and on billable work. Worked seconds from
        ``kpi_work_days`` (per employee, project and work date)."""
        k = t.kpi_work_days
        worked = (select(k.c.employee, func.sum(k.c.worked).label("worked"),
                         func.sum(k.c.billable).label("billable"))
                  .where(k.c.work_date.between(first, last))
                  .group_by(k.c.employee).subquery())
        return self.kpi_employees_worked(worked, entity)

    def kpi_billed_time(self, first: date, last: date, entity: str | None
                        ) -> list[dict[str, Any]]:
        """Time billed on invoices issued in the period, per entity, currency and line rate:
        seconds billed and seconds worked on the entries billed (realization, effective
        rate); few rows: one per rate. Per-line sums from ``kpi_billed_lines``."""
        k, ln, inv = t.kpi_billed_lines, t.invoice_lines, t.invoices
        stmt = (select(inv.c.entity, inv.c.currency, ln.c.rate, func.sum(k.c.seconds),
                       func.sum(k.c.worked))
                .select_from(inv)
                .join(ln, ln.c.invoice == inv.c.id)
                .join(k, k.c.line == ln.c.id)
                .where(inv.c.kind == "invoice", inv.c.status.in_(BILLED), ln.c.kind == "time",
                       inv.c.issue_date.between(first, last),
                       self.kpi_entity_filter(inv.c.entity, entity))
                .group_by(inv.c.entity, inv.c.currency, ln.c.rate)
                # a group exists where a link does (a line whose links all went counts 0)
                .having(func.sum(k.c.links) > 0))
        with self.engine.connect() as conn:
            return [{"entity": e, "currency": c, "rate": Decimal(r), "billed_seconds": int(b),
                     "worked_seconds": int(w)} for e, c, r, b, w in conn.execute(stmt)]

    def kpi_cost(self, first: date, last: date, entity: str | None) -> list[dict[str, Any]]:
        """Seconds worked in the period per project and cost rate in force on the work date
        (effective-dated rows joined as segments), with the project's customer and entity.
        Worked seconds from ``kpi_work_days``: the segment join runs once per employee,
        project and day, not per entry."""
        k, cr, pr = t.kpi_work_days, t.cost_rates, t.projects
        until = func.lead(cr.c.valid_from).over(partition_by=cr.c.employee,
                                                order_by=cr.c.valid_from)
        seg = select(cr.c.employee, cr.c.valid_from, until.label("until"), cr.c.rate,
                     cr.c.currency).subquery()
        stmt = (select(k.c.project, pr.c.customer, pr.c.entity, seg.c.rate, seg.c.currency,
                       func.sum(k.c.worked))
                .select_from(k)
                .join(pr, pr.c.code == k.c.project)
                .join(seg, and_(seg.c.employee == k.c.employee,
                                seg.c.valid_from <= k.c.work_date,
                                or_(seg.c.until.is_(None), seg.c.until > k.c.work_date)))
                .where(k.c.work_date.between(first, last), k.c.entries > 0,
                       self.kpi_entity_filter(pr.c.entity, entity))
                .group_by(k.c.project, pr.c.customer, pr.c.entity, seg.c.rate,
                          seg.c.currency))
        with self.engine.connect() as conn:
            return [{"project": p, "customer": cu, "entity": e, "rate": Decimal(r),
                     "currency": c, "seconds": int(s)}
                    for p, cu, e, r, c, s in conn.execute(stmt)]

    def kpi_issued_invoices(self, first: date, last: date, entity: str | None
                            ) -> list[dict[str, Any]]:
        """Invoices issued in the period with when each was first posted to an ERP (null
        while none was) and when it was paid in full (``paid_on``: the last payment's date
        of an invoice whose status is paid; null otherwise): one row per invoice, a bounded
        pass (invoices, not entries)."""
        inv, ep, ip = t.invoices, t.erp_postings, t.invoice_payments
        # paid in full: status paid (the ERP's word), on the date of its last payment
        last_paid = (select(ip.c.invoice, func.max(ip.c.paid_on).label("paid_on"))
                     .group_by(ip.c.invoice).subquery())
        paid_on = case((inv.c.status == "paid", last_paid.c.paid_on), else_=None)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(inv.c.entity, inv.c.customer, inv.c.number, inv.c.issue_date, paid_on)
                .select_from(inv).outerjoin(last_paid, last_paid.c.invoice == inv.c.id)
                .where(inv.c.kind == "invoice", inv.c.status.in_(BILLED),
                       inv.c.issue_date.between(first, last),
                       self.kpi_entity_filter(inv.c.entity, entity))).all()
            posted: dict[tuple[str, str], datetime] = {}
            for key, at in conn.execute(
                    select(ep.c.key, func.min(ep.c.finished_at))
                    .where(ep.c.kind == "invoice", ep.c.status.in_(("posted", "found")))
                    .group_by(ep.c.key)):
                # the key is erp:<destination>:invoice-issued:<entity>:<number>
                _, _, rest = key.partition(":invoice-issued:")
                ent, _, number = rest.partition(":")
                if number and (at is not None) and ((ent, number) not in posted
                                                    or at < posted[(ent, number)]):
                    posted[(ent, number)] = at
        return [{"entity": e, "customer": c, "number": n, "issue_date": d,
                 "posted_at": posted.get((e, n)), "paid_on": _as_date(pd)}
                for e, c, n, d, pd in rows]

    def kpi_wip(self, as_of: date, entity: str | None) -> list[dict[str, Any]]:
        """Approved billable work not yet invoiced, worked on or before ``as_of``, per entity,
        WIP currency and age bucket (0-30, 31-60, 61-90, 90+ days before ``as_of``)."""
        te = t.time_entries
        age = self._days(literal(as_of, Date), te.c.work_date)
        bucket = case((age <= 30, "0-30"), (age <= 60, "31-60"), (age <= 90, "61-90"),
                      else_="90+").label("bucket")
        stmt = (select(te.c.entity, te.c.wip_currency, bucket, func.count(),
                       func.sum(te.c.billable_seconds - te.c.relieved_seconds),
                       self._money_sum(te.c.wip_amount), self._money_sum(te.c.wip_relieved))
                .where(t.OPEN_APPROVED, t.OPEN_BILLING, te.c.billable.is_(True),
                       te.c.work_date <= as_of,
                       self.kpi_entity_filter(te.c.entity, entity))
                .group_by(te.c.entity, te.c.wip_currency, bucket))
        with self.engine.connect() as conn:
            return [{"entity": e, "currency": cur or "", "bucket": b, "entries": n,
                     "seconds": int(s or 0),
                     "value": self._money(wip) - self._money(rel)}
                    for e, cur, b, n, s, wip, rel in conn.execute(stmt)]

    def kpi_exceptions(self, first: date, last: date) -> list[dict[str, Any]]:
        """Exceptions raised in the period per source, reason and status, with a histogram
        of whole hours to resolution for the resolved ones (``hours`` null otherwise)."""
        ex = t.exceptions
        start, end = _instants(first, last)
        hours = case((ex.c.status == "resolved", self._hours(ex.c.closed_at, ex.c.created_at)),
                     else_=None).label("hours")
        stmt = (select(ex.c.source, ex.c.reason, ex.c.status, hours, func.count())
                .where(ex.c.created_at >= start, ex.c.created_at < end)
                .group_by(ex.c.source, ex.c.reason, ex.c.status, hours))
        with self.engine.connect() as conn:
            return [{"source": s, "reason": r, "status": st, "hours": h, "count": n}
                    for s, r, st, h, n in conn.execute(stmt)]

    def kpi_entries_taken(self, first: date, last: date) -> dict[str, int]:
        """Entries stored in the period per source (the exception rate's other half)."""
        te = t.time_entries
        start, end = _instants(first, last)
        with self.engine.connect() as conn:
            return {s: n for s, n in conn.execute(
                select(te.c.source, func.count())
                .where(te.c.created_at >= start, te.c.created_at < end)
                .group_by(te.c.source))}

    def kpi_revenue(self, first: date, last: date, entity: str | None
                    ) -> list[dict[str, Any]]:
        """Net line amounts of invoices and credit notes issued in the period (credit notes
        negative), per entity, customer, project, currency and line kind."""
        ln, inv = t.invoice_lines, t.invoices
        stmt = (select(inv.c.entity, inv.c.customer, ln.c.project, inv.c.currency, ln.c.kind,
                       inv.c.kind, self._money_sum(ln.c.amount))
                .select_from(inv).join(ln, ln.c.invoice == inv.c.id)
                .where(inv.c.status.in_(BILLED), inv.c.issue_date.between(first, last),
                       self.kpi_entity_filter(inv.c.entity, entity))
                .group_by(inv.c.entity, inv.c.customer, ln.c.project, inv.c.currency,
                          ln.c.kind, inv.c.kind))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        out = []
        for e, cu, p, c, line_kind, doc_kind, amount in rows:
            value = self._money(amount)
            # credit notes are stored with positive or negative lines depending on the
            # model; the document kind decides the sign
            value = -abs(value) if doc_kind == "credit_note" else value
            out.append({"entity": e, "customer": cu, "project": p, "currency": c,
                        "kind": line_kind, "amount": value})
        return out

    def kpi_receivables(self, first: date, last: date, entity: str | None
                        ) -> list[dict[str, Any]]:
        """Per entity and currency: what invoices issued by the period's end still owed at
        its end, net of the payments made by then and of the credit notes issued by then
        against them (never below zero per invoice), and what was billed in the period
        (invoice totals less credit-note totals)."""
        inv, ip = t.invoices, t.invoice_payments
        cn = inv.alias("cn")
        paid = (select(ip.c.invoice,
                       func.sum(case((ip.c.paid_on <= last, self._units(ip.c.amount)),
                                     else_=0)).label("paid"),
                       func.count().label("payments"))
                .group_by(ip.c.invoice).subquery())
        credited = (select(cn.c.credits.label("invoice"),
                           func.sum(func.abs(self._units(cn.c.total))).label("credited"))
                    .where(cn.c.kind == "credit_note", cn.c.status.in_(BILLED),
                           cn.c.credits.is_not(None), cn.c.issue_date <= last)
                    .group_by(cn.c.credits).subquery())
        owed = (self._units(inv.c.total) - func.coalesce(paid.c.paid, 0)
                - func.coalesce(credited.c.credited, 0))
        # paid by the ERP's word with no payment read back: nothing owed, date unknown
        open_ = case((and_(inv.c.status == "paid", paid.c.payments.is_(None)), 0),
                     (owed > 0, owed), else_=0)
        owed_stmt = (select(inv.c.entity, inv.c.currency, func.sum(open_))
                     .select_from(inv)
                     .outerjoin(paid, paid.c.invoice == inv.c.id)
                     .outerjoin(credited, credited.c.invoice == inv.c.id)
                     .where(inv.c.kind == "invoice", inv.c.status.in_(BILLED),
                            inv.c.issue_date <= last,
                            self.kpi_entity_filter(inv.c.entity, entity))
                     .group_by(inv.c.entity, inv.c.currency))
        billed_stmt = (select(inv.c.entity, inv.c.currency, inv.c.kind,
                              self._money_sum(inv.c.total))
                       .where(inv.c.status.in_(BILLED), inv.c.issue_date.between(first, last),
                              self.kpi_entity_filter(inv.c.entity, entity))
                       .group_by(inv.c.entity, inv.c.currency, inv.c.kind))
        sums: dict[tuple[str, str], list[Decimal]] = {}
        with self.engine.connect() as conn:
            for e, c, amount in conn.execute(owed_stmt):
                sums.setdefault((e, c), [Decimal(0), Decimal(0)])[0] += self._money(amount)
            for e, c, kind, amount in conn.execute(billed_stmt):
                sign = -1 if kind == "credit_note" else 1
                sums.setdefault((e, c), [Decimal(0), Decimal(0)])[1] += (
                    sign * abs(self._money(amount)))
        return [{"entity": e, "currency": c, "receivable": owed, "billed": billed}
                for (e, c), (owed, billed) in sorted(sums.items())]


def _as_date(value: Any) -> date | None:
    """A date read through a CASE (SQLite gives its ISO text back)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _instants(first: date, last: date) -> tuple[datetime, datetime]:
    """The period as UTC instants [first 00:00, day after last 00:00)."""
    return (datetime(first.year, first.month, first.day, tzinfo=UTC),
            datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))
