"""The KPI figures from every row: their written definitions (docs/KPIS.md), which the
rollup-backed statements of ``KpiQueries`` are checked against (tests, ``python -m bench
kpis``) and which the rollups of migrations 0024 and 0025 are back-filled by; plus the
dialect helpers both share.

Money is summed exactly: PostgreSQL sums NUMERIC; SQLite keeps amounts as decimal text, so
they are summed as integers of 10^-8 units (exact for any single amount below 90 million; see
``_units``) and turned back into ``Decimal``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, Float, and_, case, cast, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from .. import tables as t
from ._common import QueryBase

SCALE = 10**8  # SQLite money sums: integer units of 10^-8 (ExactDecimal keeps 8 decimals)
BILLED = ("issued", "posted", "paid")  # an invoice or credit note that stands


class KpiBase(QueryBase):
    # --- dialect helpers -----------------------------------------------------------------
    @property
    def _sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def _day(self, instant: Any) -> ColumnElement[Any]:
        """The UTC date of a stored instant."""
        if self._sqlite:  # stored as UTC text 'YYYY-MM-DD HH:MM:SS...': its first ten
            return func.substr(instant, 1, 10)
        return cast(func.timezone("UTC", instant), Date)

    def _days(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        """Whole days from ``earlier`` to ``later`` (both dates)."""
        if self._sqlite:
            return cast(func.julianday(later) - func.julianday(earlier), BigInteger)
        return later - earlier

    def _hours(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        """Whole hours between two instants."""
        if self._sqlite:
            return cast((func.julianday(later) - func.julianday(earlier)) * 24, BigInteger)
        return cast(func.floor(func.extract("epoch", later - earlier) / 3600), BigInteger)

    def _units(self, column: Any) -> ColumnElement[Any]:
        """An amount as what ``_money`` reads back: SQLite integer units of 10^-8 (text ->
        REAL -> x 10^8 -> nearest integer recovers the exact decimal for amounts below
        2^53 / 10^8, about 90 million; integer arithmetic is exact), PostgreSQL NUMERIC."""
        if self._sqlite:
            return cast(func.round(cast(column, Float) * SCALE), BigInteger)
        return column  # type: ignore[no-any-return]

    def _money_sum(self, column: Any) -> ColumnElement[Any]:
        return func.sum(self._units(column))

    def _money(self, value: Any) -> Decimal:
        if value is None:
            return Decimal(0)
        if self._sqlite:
            return Decimal(int(value)).scaleb(-8).normalize()
        return Decimal(value)

    def kpi_entity_filter(self, column: Any, entity: str | None) -> ColumnElement[bool]:
        return column == entity if entity else literal(True)

    def _histogram(self, pairs: Any) -> list[dict[str, Any]]:
        """(entity, customer, whole days, count) from a statement grouped by (entity,
        customer, start day, end day): days are computed once per distinct pair of days,
        not once per row."""
        sub = pairs.subquery()
        days = self._days(sub.c.end, sub.c.start).label("days")
        stmt = (select(sub.c.entity, sub.c.customer, days, func.sum(sub.c.n))
                .group_by(sub.c.entity, sub.c.customer, days))
        with self.engine.connect() as conn:
            return [{"entity": e, "customer": c, "days": int(d), "count": int(n)}
                    for e, c, d, n in conn.execute(stmt) if d is not None]

    def kpi_employees_worked(self, worked: Any, entity: str | None) -> list[dict[str, Any]]:
        """Every employee (of ``entity``) with the entity's country and hours per day, joined
        to ``worked`` (a subquery of employee, worked and billable seconds; none: 0): the
        rollup and the direct reading of hours by employee differ only in that subquery."""
        em, en = t.employees, t.entities
        stmt = (select(em.c.id, em.c.entity, en.c.country, em.c.hours_per_day,
                       worked.c.worked, worked.c.billable)
                .join(en, en.c.code == em.c.entity)
                .outerjoin(worked, worked.c.employee == em.c.id)
                .where(self.kpi_entity_filter(em.c.entity, entity)))
        with self.engine.connect() as conn:
            return [{"employee": i, "entity": e, "country": c, "hours_per_day": Decimal(h),
                     "worked_seconds": int(w or 0), "billable_seconds": int(b or 0)}
                    for i, e, c, h, w, b in conn.execute(stmt)]


class KpiDirectQueries(KpiBase):
    """Each rollup-backed figure computed from every entry or billed part (``*_direct``)."""

    def kpi_approval_lag_direct(self, first: date, last: date, entity: str | None
                                ) -> list[dict[str, Any]]:
        """``kpi_approval_lag`` computed from every entry: its written definition, which the
        rollup is checked against (tests) and rebuilt by."""
        te, pr = t.time_entries, t.projects
        approved = self._day(te.c.approved_at)
        pairs = (select(te.c.entity, pr.c.customer, te.c.work_date.label("start"),
                        approved.label("end"), func.count().label("n"))
                 .join(pr, pr.c.code == te.c.project)
                 .where(te.c.approval == "approved", te.c.approved_at.is_not(None),
                        te.c.work_date.between(first, last),
                        self.kpi_entity_filter(te.c.entity, entity))
                 .group_by(te.c.entity, pr.c.customer, te.c.work_date, approved))
        return self._histogram(pairs)

    def kpi_invoice_lag_direct(self, first: date, last: date, entity: str | None, *,
                        since: str) -> list[dict[str, Any]]:
        """Days to the issue date of the invoice that billed an entry, from its work date
        (``since="work"``) or its approval (``"approved"``), per entity, customer and day
        count, over invoices issued in the period (an entry billed in parts counts per
        part)."""
        te, li, ln, inv = t.time_entries, t.invoice_line_entries, t.invoice_lines, t.invoices
        start = te.c.work_date if since == "work" else self._day(te.c.approved_at)
        pairs = (select(inv.c.entity, inv.c.customer, start.label("start"),
                        inv.c.issue_date.label("end"), func.count().label("n"))
                 .select_from(inv)
                 .join(ln, ln.c.invoice == inv.c.id)
                 .join(li, li.c.line == ln.c.id)
                 .join(te, te.c.id == li.c.entry)
                 .where(inv.c.kind == "invoice", inv.c.status.in_(BILLED),
                        inv.c.issue_date.between(first, last), li.c.seconds > 0,
                        te.c.approved_at.is_not(None),
                        self.kpi_entity_filter(inv.c.entity, entity))
                 .group_by(inv.c.entity, inv.c.customer, start, inv.c.issue_date))
        return self._histogram(pairs)

    def kpi_hours_by_employee_direct(self, first: date, last: date, entity: str | None
                              ) -> list[dict[str, Any]]:
        """Every employee (of ``entity``) with the entity's country, hours per day, and the
        seconds worked in the period: all, and on billable work."""
        te = t.time_entries
        worked = (select(te.c.employee, func.sum(te.c.worked_seconds).label("worked"),
                         func.sum(case((te.c.billable.is_(True), te.c.worked_seconds),
                                       else_=0)).label("billable"))
                  .where(te.c.work_date.between(first, last), te.c.deleted_at.is_(None))
                  .group_by(te.c.employee).subquery())
        return self.kpi_employees_worked(worked, entity)

    def kpi_billed_time_direct(self, first: date, last: date, entity: str | None
                        ) -> list[dict[str, Any]]:
        """Time billed on invoices issued in the period, per entity, currency and line rate:
        seconds billed and seconds worked on the entries billed (realization, effective
        rate); few rows: one per rate."""
        te, li, ln, inv = t.time_entries, t.invoice_line_entries, t.invoice_lines, t.invoices
        stmt = (select(inv.c.entity, inv.c.currency, ln.c.rate, func.sum(li.c.seconds),
                       func.sum(te.c.worked_seconds))
                .select_from(inv)
                .join(ln, ln.c.invoice == inv.c.id)
                .join(li, li.c.line == ln.c.id)
                .join(te, te.c.id == li.c.entry)
                .where(inv.c.kind == "invoice", inv.c.status.in_(BILLED), ln.c.kind == "time",
                       inv.c.issue_date.between(first, last),
                       self.kpi_entity_filter(inv.c.entity, entity))
                .group_by(inv.c.entity, inv.c.currency, ln.c.rate))
        with self.engine.connect() as conn:
            return [{"entity": e, "currency": c, "rate": Decimal(r), "billed_seconds": int(b),
                     "worked_seconds": int(w)} for e, c, r, b, w in conn.execute(stmt)]

    def kpi_cost_direct(self, first: date, last: date, entity: str | None) -> list[dict[str, Any]]:
        """Seconds worked in the period per project and cost rate in force on the work date
        (effective-dated rows joined as segments), with the project's customer and entity."""
        te, cr, pr = t.time_entries, t.cost_rates, t.projects
        until = func.lead(cr.c.valid_from).over(partition_by=cr.c.employee,
                                                order_by=cr.c.valid_from)
        seg = select(cr.c.employee, cr.c.valid_from, until.label("until"), cr.c.rate,
                     cr.c.currency).subquery()
        stmt = (select(te.c.project, pr.c.customer, pr.c.entity, seg.c.rate, seg.c.currency,
                       func.sum(te.c.worked_seconds))
                .select_from(te)
                .join(pr, pr.c.code == te.c.project)
                .join(seg, and_(seg.c.employee == te.c.employee,
                                seg.c.valid_from <= te.c.work_date,
                                or_(seg.c.until.is_(None), seg.c.until > te.c.work_date)))
                .where(te.c.work_date.between(first, last), te.c.deleted_at.is_(None),
                       self.kpi_entity_filter(pr.c.entity, entity))
                .group_by(te.c.project, pr.c.customer, pr.c.entity, seg.c.rate,
                          seg.c.currency))
        with self.engine.connect() as conn:
            return [{"project": p, "customer": cu, "entity": e, "rate": Decimal(r),
                     "currency": c, "seconds": int(s)}
                    for p, cu, e, r, c, s in conn.execute(stmt)]
