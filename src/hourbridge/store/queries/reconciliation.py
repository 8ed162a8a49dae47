"""Reconciliation of one month of work, per source: hours in the tracker (as last synced) vs
in Hourbridge vs invoiced vs posted to an ERP, and the entries behind each difference.

- tracker: what the source last sent for the month = the live entries Hourbridge stored from
  it plus the rows it sent that are still open exceptions (kept verbatim in ``exceptions.row``;
  a row whose date or hours cannot be read is listed as ``undated``). Deleted entries (the
  source's tombstones) are not in the tracker any more and are counted apart.
- hourbridge: live entries of the source worked in the month (worked and billable seconds).
- invoiced: seconds of those entries on invoices that stand (issued, posted, paid), less
  credit notes.
- posted: the invoiced seconds whose invoice an ERP has (a ``posted``/``found`` ERP posting).

Every figure is one grouped statement; the lists of causes are bounded (``limit`` each, with
the full count beside them).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import case, func, or_, select

from .. import tables as t
from ..exceptions import exception_entity
from ._common import QueryBase, _hours, month_bounds

BILLED = ("issued", "posted", "paid")


class ReconciliationQueries(QueryBase):
    def reconciliation(self, period: str, source: str | None = None,
                       limit: int = 50, entity: str | None = None) -> dict[str, Any]:
        """The month's report (``entity``: its entries, exceptions and invoices only)."""
        first, last = month_bounds(period)
        te, ex = t.time_entries, t.exceptions
        per: dict[str, dict[str, Any]] = {}

        def src(name: str) -> dict[str, Any]:
            return per.setdefault(name, {
                "source": name, "tracker_seconds": 0, "hourbridge_seconds": 0,
                "billable_seconds": 0, "invoiced_seconds": 0, "posted_seconds": 0,
                "deleted_entries": 0, "not_taken": [], "not_taken_count": 0, "undated": [],
                "not_invoiced": [], "not_invoiced_count": 0, "not_posted": []})

        with self.engine.connect() as conn:
            live = te.c.deleted_at.is_(None)
            stmt = (select(te.c.source, func.count(), func.sum(case((live, te.c.worked_seconds),
                                                                     else_=0)),
                           func.sum(case((live, te.c.billable_seconds), else_=0)),
                           func.sum(case((live, 0), else_=1)))
                    .where(te.c.work_date.between(first, last)).group_by(te.c.source))
            if source:
                stmt = stmt.where(te.c.source == source)
            if entity:
                stmt = stmt.where(te.c.entity == entity)
            for name, _n, worked, billable, deleted in conn.execute(stmt):
                s = src(name)
                s["hourbridge_seconds"] = int(worked or 0)
                s["billable_seconds"] = int(billable or 0)
                s["deleted_entries"] = int(deleted or 0)

            # rows the source sent that are still exceptions (time entries only)
            ib = t.inbox
            stmt = (select(ex.c.id, ex.c.source, ex.c.external_id, ex.c.reason, ex.c.row)
                    .join(ib, ib.c.id == ex.c.inbox_id)
                    .where(ex.c.status == "open", ib.c.kind == "time_entries")
                    .order_by(ex.c.id))
            if source:
                stmt = stmt.where(ex.c.source == source)
            if entity:
                stmt = stmt.where(exception_entity() == entity)
            for xid, name, ext, reason, row in conn.execute(stmt):
                worked, day = _row_seconds(row), _row_date(row)
                item = {"exception": xid, "external_id": ext, "reason": reason,
                        "hours": None if worked is None else _hours(worked),
                        "work_date": day.isoformat() if day else None}
                s = src(name)
                if day is not None and not first <= day <= last:
                    continue
                if worked is None or day is None:  # which month, or how long, is unreadable
                    if len(s["undated"]) < limit:
                        s["undated"].append(item)
                else:
                    s["tracker_seconds"] += worked
                    s["not_taken_count"] += 1
                    if len(s["not_taken"]) < limit:
                        s["not_taken"].append(item)

            # invoiced seconds per source and invoice (bounded by invoices), and which posted
            inv, ln, li = t.invoices, t.invoice_lines, t.invoice_line_entries
            sign = case((inv.c.kind == "credit_note", -1), else_=1)
            stmt = (select(te.c.source, inv.c.id, inv.c.entity, inv.c.number, inv.c.kind,
                           func.sum(sign * func.abs(li.c.seconds)))
                    .select_from(inv).join(ln, ln.c.invoice == inv.c.id)
                    .join(li, li.c.line == ln.c.id).join(te, te.c.id == li.c.entry)
                    .where(inv.c.status.in_(BILLED), te.c.work_date.between(first, last))
                    .group_by(te.c.source, inv.c.id, inv.c.entity, inv.c.number, inv.c.kind)
                    .order_by(inv.c.id))
            if source:
                stmt = stmt.where(te.c.source == source)
            if entity:
                stmt = stmt.where(inv.c.entity == entity)
            billed = conn.execute(stmt).all()
            posted = self._posted_documents(conn)
            for name, iid, entity, number, kind, seconds in billed:
                s = src(name)
                s["invoiced_seconds"] += int(seconds or 0)
                if (entity, number) in posted:
                    s["posted_seconds"] += int(seconds or 0)
                elif len(s["not_posted"]) < limit:
                    s["not_posted"].append({"invoice": iid, "number": number, "kind": kind,
                                            "hours": _hours(int(seconds or 0))})

            # live entries whose billable time is not (all) on an invoice, by cause
            # (work on a draft counts as not invoiced: billed_seconds includes drafts)
            open_s = te.c.billable_seconds - te.c.billed_seconds
            differs = or_(open_s != 0, te.c.billing == "on_draft")
            stmt = (select(te.c.id, te.c.source, te.c.external_id, te.c.approval,
                           te.c.billing, te.c.billable,
                           case((te.c.billing == "on_draft", te.c.billable_seconds),
                                else_=open_s))
                    .where(te.c.work_date.between(first, last), te.c.deleted_at.is_(None),
                           differs)
                    .order_by(te.c.id))
            counts = (select(te.c.source, func.count())
                      .where(te.c.work_date.between(first, last), te.c.deleted_at.is_(None),
                             differs).group_by(te.c.source))
            if source:
                stmt, counts = stmt.where(te.c.source == source), counts.where(
                    te.c.source == source)
            if entity:
                stmt, counts = stmt.where(te.c.entity == entity), counts.where(
                    te.c.entity == entity)
            for name, n in conn.execute(counts):
                src(name)["not_invoiced_count"] = n
            taken: dict[str, int] = {}
            for eid, name, ext, approval, billing, billable, seconds in conn.execute(stmt):
                if taken.get(name, 0) >= limit:
                    continue
                taken[name] = taken.get(name, 0) + 1
                src(name)["not_invoiced"].append({
                    "entry": eid, "ref": f"{name}:{ext}", "hours": _hours(int(seconds)),
                    "cause": _cause(approval, billing, billable)})

        sources = []
        for s in sorted(per.values(), key=lambda x: x["source"]):
            tracker = s["tracker_seconds"] + s["hourbridge_seconds"]
            sources.append({
                "source": s["source"],
                "hours": {"tracker": _hours(tracker), "hourbridge": _hours(s["hourbridge_seconds"]),
                          "billable": _hours(s["billable_seconds"]),
                          "invoiced": _hours(s["invoiced_seconds"]),
                          "posted": _hours(s["posted_seconds"])},
                "differences": {
                    "tracker_vs_hourbridge": {
                        "hours": _hours(s["tracker_seconds"]), "count": s["not_taken_count"],
                        "entries": s["not_taken"], "undated": s["undated"]},
                    "billable_vs_invoiced": {
                        "hours": _hours(s["billable_seconds"] - s["invoiced_seconds"]),
                        "count": s["not_invoiced_count"], "entries": s["not_invoiced"]},
                    "invoiced_vs_posted": {
                        "hours": _hours(s["invoiced_seconds"] - s["posted_seconds"]),
                        "invoices": s["not_posted"]},
                },
                "deleted_entries": s["deleted_entries"]})
        return {"period": period, "from": first.isoformat(), "to": last.isoformat(),
                "source": source, "entity": entity, "sources": sources}

    @staticmethod
    def _posted_documents(conn: Any) -> set[tuple[str, str]]:
        """(entity, number) of every document an ERP took (keys ``erp:<destination>:
        invoice-issued:<entity>:<number>``; credit notes likewise)."""
        ep = t.erp_postings
        out = set()
        for (key,) in conn.execute(select(ep.c.key).where(
                ep.c.kind.in_(("invoice", "credit_note")),
                ep.c.status.in_(("posted", "found"))).distinct()):
            parts = key.split(":")
            if len(parts) >= 5:
                out.add((parts[-2], parts[-1]))
        return out


def _cause(approval: str, billing: str, billable: bool) -> str:
    if not billable:
        return "non_billable"
    if approval != "approved":
        return f"not_approved ({approval})"
    return {"unbilled": "approved_unbilled", "on_draft": "on_draft_invoice",
            "credited": "credited_to_rebill", "written_off": "written_off"}.get(
                billing, billing)


def _row_seconds(row: Any) -> int | None:
    """Worked seconds of a kept row, from the fields rows carry (hours, minutes, seconds)."""
    if not isinstance(row, dict):
        return None
    for field, per in (("hours", 3600), ("minutes", 60), ("seconds", 1),
                       ("duration", 1)):
        if row.get(field) not in (None, ""):
            try:
                value = Decimal(str(row[field])) * per
            except InvalidOperation:
                return None
            return int(value) if value.is_finite() and value >= 0 else None
    return None


def _row_date(row: Any) -> date | None:
    if not isinstance(row, dict):
        return None
    for field in ("work_date", "date", "spent_date"):
        text = str(row.get(field) or "")[:10]
        try:
            return date.fromisoformat(text)
        except ValueError:
            continue
    return None

