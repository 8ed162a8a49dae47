"""Invoices: pages, one invoice with its lines, numbering check, totals, e-invoice data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from hourbridge.errors import InvalidInput

from .. import tables as t
from ._common import QueryBase, _json, _money_fields, money
from .receivables import paid_by_invoice, with_payment

# the statuses of an invoice (not a credit note) in each payment state filtered on;
# unpaid: not paid in full (a partly paid one included)
PAYMENT_STATES = {"paid": ("paid",), "unpaid": ("issued", "posted")}


def _line_json(line: dict[str, Any], currency: str) -> dict[str, Any]:
    """A line JSON-ready: its amount in the invoice currency's minor units, an expense's
    original amount in its own currency's."""
    out = _money_fields(_json(line), ("amount",), currency)
    if out.get("original_currency"):
        out = _money_fields(out, ("original_amount",), out["original_currency"])
    return out


class InvoiceQueries(QueryBase):
    _INVOICE_COLS = ("id", "kind", "credits", "credit_mode", "reason", "number", "status",
                     "entity", "contract", "customer", "currency",
                     "period", "issue_date", "due_date", "net", "tax_code", "tax_category",
                     "tax_exemption_code", "tax_rate", "tax",
                     "total", "tax_note", "billing_run", "fx_rate", "void_date", "voided_at",
                     "voided_by", "void_reason")

    def invoices(self, *, status: str | None = None, entity: str | None = None,
                 kind: str | None = None, customer: str | None = None,
                 date_from: date | None = None, date_to: date | None = None,
                 payment: str | None = None, after: int | None = None,
                 limit: int = 1000, offset: int = 0, updated_since: datetime | None = None,
                 entities: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Invoices and credit notes in id order, filtered; ``date_from``/``date_to`` bound
        the issue date (so they leave drafts out). Each says its ``payment``: ``paid``,
        ``partial`` or ``unpaid`` (an issued or posted invoice), ``unapplied``, ``partial``,
        ``applied``, ``refunded`` or ``settled`` (a credit note), or none (a draft, a
        void), and (documents owed) ``paid_amount``, ``open_amount``, ``applied_amount``,
        ``refunded_amount`` and ``last_paid_on`` from the payments read back from the ERPs.
        ``updated_since``: only those changed at or after it; ``entities``: only those of
        these legal entities."""
        inv = t.invoices
        stmt = select(*(inv.c[c] for c in self._INVOICE_COLS))
        if updated_since is not None:
            stmt = stmt.where(inv.c.updated_at >= updated_since)
        if entities is not None:
            stmt = stmt.where(inv.c.entity.in_(sorted(entities)))
        for col, value in (("status", status), ("entity", entity), ("kind", kind),
                           ("customer", customer)):
            if value:
                stmt = stmt.where(inv.c[col] == value)
        if date_from is not None:
            stmt = stmt.where(inv.c.issue_date >= date_from)
        if date_to is not None:
            stmt = stmt.where(inv.c.issue_date <= date_to)
        if payment is not None:
            if payment not in PAYMENT_STATES:
                raise InvalidInput(f"payment {payment!r}: give paid or unpaid")
            stmt = stmt.where(inv.c.kind == "invoice",
                              inv.c.status.in_(PAYMENT_STATES[payment]))
        if after is not None:
            stmt = stmt.where(inv.c.id > after)
        stmt = stmt.order_by(inv.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
            paid = paid_by_invoice(conn, [r.id for r in rows])
        return [with_payment(_money_fields(_json(dict(r._mapping)), ("net", "tax", "total"),
                                           r.currency), paid.get(r.id)) for r in rows]

    def invoice(self, invoice_id: int) -> dict[str, Any] | None:
        inv, li, le = t.invoices, t.invoice_lines, t.invoice_line_entries
        with self.engine.connect() as conn:
            head = conn.execute(select(*(inv.c[c] for c in self._INVOICE_COLS))
                                .where(inv.c.id == invoice_id)).first()
            if head is None:
                return None
            lines = [dict(r._mapping) for r in conn.execute(
                select(li).where(li.c.invoice == invoice_id).order_by(li.c.line_no))]
            links: dict[int, list[dict[str, int]]] = defaultdict(list)
            for line_id, entry_id, seconds in conn.execute(
                select(le.c.line, le.c.entry, le.c.seconds)
                .where(le.c.line.in_([ln["id"] for ln in lines])).order_by(le.c.entry)
            ):
                links[line_id].append({"entry": entry_id, "seconds": seconds})
            paid = paid_by_invoice(conn, [invoice_id]).get(invoice_id)
        out = with_payment(_money_fields(_json(dict(head._mapping)), ("net", "tax", "total"),
                                         head.currency), paid)
        out["lines"] = []
        for ln in lines:
            ln = _line_json(ln, head.currency)
            ln["entries"] = links.get(ln["id"], [])
            out["lines"].append(ln)
        return out  # type: ignore[no-any-return]

    def sequence_check(self, entities: Collection[str] | None = None
                       ) -> list[dict[str, Any]]:
        """Per entity (``entities``: these only): the numbers issued (invoices, credit notes
        and voids alike) against the counter. Gapless means numbers 1..N are each used
        exactly once, N the counter."""
        inv, en = t.invoices, t.entities
        documents = select(inv.c.entity, inv.c.sequence, inv.c.status) \
            .where(inv.c.sequence.is_not(None))
        counted = select(en.c.code, en.c.last_invoice_number)
        if entities is not None:
            documents = documents.where(inv.c.entity.in_(sorted(entities)))
            counted = counted.where(en.c.code.in_(sorted(entities)))
        with self.engine.connect() as conn:
            used: dict[str, list[int]] = defaultdict(list)
            voids: dict[str, int] = defaultdict(int)
            for entity, sequence, status in conn.execute(documents):
                used[entity].append(sequence)
                voids[entity] += status == "void"
            counters = dict(conn.execute(counted).all())
        out = []
        for entity, last in sorted(counters.items()):
            numbers = used.get(entity, [])
            missing = sorted(set(range(1, last + 1)) - set(numbers))
            duplicated = sorted({n for n in numbers if numbers.count(n) > 1})
            out.append({"entity": entity, "last_number": last, "documents": len(numbers),
                        "voids": voids.get(entity, 0), "missing": missing,
                        "duplicated": duplicated, "gapless": not missing and not duplicated
                        and len(numbers) == last})
        return out

    def invoice_totals(self) -> list[dict[str, Any]]:
        """Per entity, currency and status: count, net, tax, total (summed exactly)."""
        inv = t.invoices
        sums: dict[tuple[str, str, str, str], list[Any]] = {}
        with self.engine.connect() as conn:
            for entity, currency, kind, status, net, tax, total in conn.execute(
                select(inv.c.entity, inv.c.currency, inv.c.kind, inv.c.status, inv.c.net,
                       inv.c.tax, inv.c.total)
            ):
                s = sums.setdefault((entity, currency, kind, status),
                                    [0, Decimal(0), Decimal(0), Decimal(0)])
                s[0] += 1
                s[1] += net
                s[2] += tax
                s[3] += total
        return [{"entity": e, "currency": c, "kind": k, "status": st, "count": s[0],
                 "net": money(s[1], c), "tax": money(s[2], c), "total": money(s[3], c)}
                for (e, c, k, st), s in sorted(sums.items())]

    def einvoice_data(self, invoice_id: int) -> dict[str, Any] | None:
        """What an EN 16931 e-invoice of one invoice needs, JSON-ready (``None`` if unknown):
        ``invoice`` (every column of the row, so columns added later come along, among them
        the ``snapshot`` of the parties frozen at issue), its ``lines`` in order, and for a
        credit note the ``credited_invoice``'s number and issue date. Master data is not
        read: an issued document shows what it showed when issued."""
        inv, li = t.invoices, t.invoice_lines
        with self.engine.connect() as conn:
            head = conn.execute(select(inv).where(inv.c.id == invoice_id)).first()
            if head is None:
                return None
            row = dict(head._mapping)
            lines = [dict(r._mapping) for r in conn.execute(
                select(li).where(li.c.invoice == invoice_id).order_by(li.c.line_no))]
            credited = None
            if row.get("credits") is not None:
                ref = conn.execute(select(inv.c.number, inv.c.issue_date)
                                   .where(inv.c.id == row["credits"])).one()
                credited = {"number": ref.number, "issue_date": _json(ref.issue_date)}
            timesheet = self._timesheet(conn, row)
        currency = row["currency"]
        return {
            "invoice": _money_fields(_json(row), ("net", "tax", "total"), currency),
            "lines": [_line_json(ln, currency) for ln in lines],
            "credited_invoice": credited,
            "timesheet": timesheet,
        }

    @staticmethod
    def _timesheet(conn: Any, row: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The entries an invoice bills (date, employee, project, task, seconds billed here,
        notes) in work order, when its contract asks for a timesheet attachment; None
        otherwise. Credit notes carry none: the credited invoice has it."""
        if row.get("kind", "invoice") != "invoice":
            return None
        # whether it has one was frozen at issue with the rest of the document (a contract
        # changed later does not change it); a snapshot without the flag: the contract's
        snapshot = row.get("snapshot") or {}
        if "timesheet_attachment" in snapshot:
            wanted = bool(snapshot["timesheet_attachment"])
        else:
            terms = conn.execute(select(t.contracts.c.terms)
                                 .where(t.contracts.c.id == row["contract"])).scalar()
            wanted = bool((terms or {}).get("timesheet_attachment"))
        if not wanted:
            return None
        te, li, links = t.time_entries, t.invoice_lines, t.invoice_line_entries
        found = conn.execute(
            select(te.c.work_date, te.c.employee, te.c.project, te.c.task, links.c.seconds,
                   te.c.notes)
            .select_from(links.join(li, li.c.id == links.c.line)
                         .join(te, te.c.id == links.c.entry))
            .where(li.c.invoice == row["id"])
            .order_by(te.c.work_date, te.c.employee, te.c.id, li.c.line_no))
        return [{"work_date": r.work_date.isoformat(), "employee": r.employee,
                 "project": r.project, "task": r.task, "seconds": int(r.seconds),
                 "notes": r.notes} for r in found]
