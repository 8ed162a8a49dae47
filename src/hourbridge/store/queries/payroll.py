"""Payroll: approved worked hours per employee and month."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ._common import QueryBase


class PayrollQueries(QueryBase):
    def payroll_hours(self, period_from: date, period_to: date,
                      entity: str | None = None) -> list[dict[str, Any]]:
        """Approved worked time per employee and month (work dates ``period_from`` through
        ``period_to``), with only what payroll needs: employee id, employing entity, period,
        worked seconds and hours (2 decimals, half up) split billable / non-billable, and the
        number of entries. No names, notes, rates or amounts (DESIGN §3, Employee)."""
        te, em = t.time_entries, t.employees
        employer = func.coalesce(em.c.entity, te.c.entity)
        stmt = (select(te.c.employee, employer.label("entity"), te.c.work_date, te.c.billable,
                       func.sum(te.c.worked_seconds), func.count())
                .select_from(te.outerjoin(em, em.c.id == te.c.employee))
                .where(te.c.approval == "approved", te.c.work_date >= period_from,
                       te.c.work_date <= period_to)
                .group_by(te.c.employee, employer, te.c.work_date, te.c.billable))
        if entity:
            stmt = stmt.where(employer == entity)
        sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        with self.engine.connect() as conn:
            for employee, employer_code, work_date, billable, seconds, n in conn.execute(stmt):
                s = sums[(f"{work_date:%Y-%m}", employer_code, employee)]
                s[0 if billable else 1] += int(seconds)
                s[2] += int(n)

        def as_hours(seconds: int) -> str:
            return str((Decimal(seconds) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP))

        return [{"employee": employee, "entity": employer_code, "period": period,
                 "worked_seconds": b + nb, "worked_hours": as_hours(b + nb),
                 "billable_worked_seconds": b, "billable_worked_hours": as_hours(b),
                 "non_billable_worked_seconds": nb, "non_billable_worked_hours": as_hours(nb),
                 "entries": n}
                for (period, employer_code, employee), (b, nb, n) in sorted(sums.items())]
