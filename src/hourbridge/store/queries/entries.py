"""Time entries: pages, counts by state, and unbilled WIP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ._common import QueryBase, _json, money, plain


class EntryQueries(QueryBase):
    def entries(self, *, employee: str | None = None, project: str | None = None,
                approval: str | None = None, billing: str | None = None,
                limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        te = t.time_entries
        stmt = select(te.c.id, te.c.source, te.c.external_id, te.c.revision, te.c.employee,
                      te.c.project, te.c.task, te.c.work_date, te.c.worked_seconds,
                      te.c.billable_seconds, te.c.billable, te.c.notes, te.c.approval,
                      te.c.billing, te.c.locked, te.c.wip_amount, te.c.wip_currency,
                      te.c.billed_seconds, te.c.written_off_seconds, te.c.deleted_at)
        for col, value in (("employee", employee), ("project", project),
                           ("approval", approval), ("billing", billing)):
            if value:
                stmt = stmt.where(te.c[col] == value)
        stmt = stmt.order_by(te.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [_json(dict(r._mapping)) for r in conn.execute(stmt)]

    def entry_counts(self) -> dict[str, Any]:
        te = t.time_entries
        with self.engine.connect() as conn:
            rows = conn.execute(select(te.c.approval, te.c.billing, func.count())
                                .group_by(te.c.approval, te.c.billing)).all()
        out: dict[str, Any] = {"total": 0, "approval": {}, "billing": {}}
        for approval, billing, n in rows:
            out["total"] += n
            out["approval"][approval] = out["approval"].get(approval, 0) + n
            out["billing"][billing] = out["billing"].get(billing, 0) + n
        return out

    def unbilled_wip(self) -> list[dict[str, Any]]:
        """Approved billable work not yet invoiced (unbilled, credited to rebill, or on a
        draft): the WIP booked at approval less what invoicing has relieved, per state."""
        te = t.time_entries
        sums: dict[tuple[str, str, str], list[Any]] = {}
        with self.engine.connect() as conn:
            for entity, currency, billing, seconds, relieved_s, wip, relieved in conn.execute(
                select(te.c.entity, te.c.wip_currency, te.c.billing, te.c.billable_seconds,
                       te.c.relieved_seconds, te.c.wip_amount, te.c.wip_relieved)
                .where(te.c.approval == "approved", te.c.billable.is_(True),
                       te.c.billing.in_(("unbilled", "credited", "on_draft")))
            ):
                s = sums.setdefault((entity, currency or "", billing), [0, 0, Decimal(0)])
                s[0] += 1
                s[1] += seconds - relieved_s
                s[2] += (wip or Decimal(0)) - (relieved or Decimal(0))
        return [{"entity": e, "currency": c, "billing": b, "entries": s[0],
                 "hours": str((Decimal(s[1]) / 3600).quantize(Decimal("0.01"))),
                 "amount": money(s[2], c) if c else plain(s[2])}
                for (e, c, b), s in sorted(sums.items())]
