"""Contracts: work under contract versions that round per day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ._common import QueryBase, _hours


class ContractQueries(QueryBase):
    def day_rounding(self) -> dict[str, Any]:
        """Billable work under contract versions that round per day: days, entries, worked
        and billable hours (billable is the sum of the rounded days)."""
        te, cv = t.time_entries, t.contract_versions
        out = {"contracts": 0, "days": 0, "entries": 0, "worked_seconds": 0,
               "billable_seconds": 0}
        with self.engine.connect() as conn:
            versions: dict[str, list[tuple[date, str]]] = defaultdict(list)
            for contract, since, per in conn.execute(
                    select(cv.c.contract, cv.c.effective_from, cv.c.rounding_per)
                    .order_by(cv.c.contract, cv.c.effective_from)):
                versions[contract].append((since, per))
            for contract, spans in sorted(versions.items()):
                if not any(per == "day" for _, per in spans):
                    continue
                out["contracts"] += 1
                for i, (since, per) in enumerate(spans):
                    if per != "day":
                        continue
                    where = [te.c.contract == contract, te.c.billable.is_(True),
                             te.c.work_date >= since]
                    if i + 1 < len(spans):
                        where.append(te.c.work_date < spans[i + 1][0])
                    days = select(te.c.employee, te.c.work_date).where(*where).distinct()
                    out["days"] += conn.execute(
                        select(func.count()).select_from(days.subquery())).scalar_one()
                    n, worked, billable = conn.execute(
                        select(func.count(), func.coalesce(func.sum(te.c.worked_seconds), 0),
                               func.coalesce(func.sum(te.c.billable_seconds), 0))
                        .where(*where)).one()
                    out["entries"] += n
                    out["worked_seconds"] += int(worked)
                    out["billable_seconds"] += int(billable)
        return {**out, "worked_hours": _hours(out["worked_seconds"]),
                "billable_hours": _hours(out["billable_seconds"])}
