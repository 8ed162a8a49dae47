"""Lineage of documents and events: an invoice (or credit note) forward to its journal and
deliveries and backward to every entry it bills, paged by entry id (a large invoice is read
a page at a time, never whole); an outbox event back to the journal entry and document it
delivers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select

from hourbridge.domain.limits import id_problem
from hourbridge.errors import InvalidInput, NotFound

from .. import tables as t
from ._common import QueryBase, _json, money
from .trace_parts import (
    DOCUMENT_JOURNALS,
    WHY_COLUMNS,
    deliveries,
    document_steps,
    document_subjects,
    documents,
    journals_by_key,
    journals_for_documents,
    later_steps,
    timeline,
)

ENTRY_PAGE = 100  # entries of an invoice shown per page (``after`` the last id for the next)


def checked_id(ref: str, name: str) -> int:
    text = str(ref).strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"{name} {text!r} is not an id")
    problem = id_problem(int(text), name)
    if problem is not None:
        raise InvalidInput(problem.message)
    return int(text)


class DocumentTraceQueries(QueryBase):
    def trace_invoice(self, ref: str, *, after: int | None = None,
                      limit: int = ENTRY_PAGE, entities: Collection[str] | None = None
                      ) -> dict[str, Any]:
        """An invoice or credit note by id or number: its lines with why each rate, the
        documents crediting it (or the one it credits), the journal entries and their
        deliveries; and a page of the entries it bills."""
        inv = t.invoices
        text = str(ref).strip()
        with self.engine.connect() as conn:
            where = inv.c.id == checked_id(text, "invoice") if text.isascii() and text.isdigit() \
                else inv.c.number == text
            if entities is not None:
                where = where & inv.c.entity.in_(sorted(entities))
            found = conn.execute(select(inv.c.id).where(where).order_by(inv.c.id)).scalars()\
                .all()
            if not found:
                raise NotFound("invoice", text)
            if len(found) > 1:
                raise InvalidInput(f"invoice {text!r} is ambiguous: numbers are per entity; "
                                   f"give the id ({', '.join(map(str, found))})")
            invoice_id = found[0]
            related = conn.execute(select(inv.c.id).where(
                (inv.c.credits == invoice_id) | (inv.c.id == invoice_id)
                | (inv.c.id == select(inv.c.credits).where(inv.c.id == invoice_id)
                   .scalar_subquery()))).scalars().all()
            docs = documents(conn, related)
            head = next(d for d in docs if d["id"] == invoice_id)
            li = t.invoice_lines
            lines = [dict(r._mapping) for r in conn.execute(
                select(li.c.id, li.c.line_no, li.c.kind, li.c.description, li.c.project,
                       li.c.task, li.c.role, li.c.seconds, li.c.quantity_hours, li.c.rate,
                       li.c.amount, li.c.credits_line, li.c.charge_ref,
                       *(li.c[c] for c in WHY_COLUMNS))
                .where(li.c.invoice == invoice_id).order_by(li.c.line_no))]
            for ln in lines:
                ln["amount"] = money(ln["amount"], head["currency"])
                ln["why"] = {c: ln.pop(c) for c in WHY_COLUMNS}
            journal = journals_for_documents(conn, docs)
            outbox = deliveries(conn, (j["key"] for j in journal), document_subjects(docs))
            later = later_steps(conn, outbox)
            ex = t.expenses
            expenses = [dict(r._mapping) for r in conn.execute(
                select(ex.c.id, ex.c.source, ex.c.external_id, ex.c.invoice_line, ex.c.amount,
                       ex.c.currency).join(li, li.c.id == ex.c.invoice_line)
                .where(li.c.invoice == invoice_id).order_by(ex.c.id))]
            for x in expenses:
                x["amount"] = money(x["amount"], x["currency"])
        page = self.trace_invoice_entries(invoice_id, after=after, limit=limit)
        return _json({
            "kind": head["kind"], "id": invoice_id, "ref": head["number"] or f"#{invoice_id}",
            "found": True, "invoice": head, "lines": lines,
            "credit_notes": [d for d in docs if d["credits"] == invoice_id],
            "credits": next((d for d in docs if d["id"] == head["credits"]), None),
            "journal": journal, "deliveries": outbox, **later,
            "entries": page, "expenses": expenses,
            "timeline": timeline(document_steps(docs, journal, outbox)),
        })

    def trace_invoice_entries(self, invoice_id: int, *, after: int | None = None,
                              limit: int = ENTRY_PAGE) -> dict[str, Any]:
        """Backward: the entries a document bills (credits, on a credit note), in entry id
        order, ``limit`` at a time after entry id ``after``; with the totals of all of them
        and the cursor of the next page (null on the last)."""
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit: give 1 to 1000 entries a page")
        li, le, te = t.invoice_lines, t.invoice_line_entries, t.time_entries
        on_it = select(le.c.entry, func.sum(le.c.seconds).label("seconds"),
                       func.min(li.c.line_no).label("line_no")) \
            .join(li, li.c.id == le.c.line).where(li.c.invoice == invoice_id) \
            .group_by(le.c.entry).subquery()
        stmt = select(te.c.id, te.c.source, te.c.external_id, te.c.employee, te.c.project,
                      te.c.task, te.c.work_date, te.c.approved_at, te.c.approved_by,
                      te.c.billing, on_it.c.seconds, on_it.c.line_no) \
            .join(on_it, on_it.c.entry == te.c.id)
        if after is not None:
            stmt = stmt.where(te.c.id > after)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                stmt.order_by(te.c.id).limit(limit + 1))]
            count, seconds = conn.execute(
                select(func.count(), func.coalesce(func.sum(on_it.c.seconds), 0))).one()
        more = len(rows) > limit
        rows = rows[:limit]
        return _json({"total": count, "seconds": int(seconds), "items": rows,
                      "next_after": rows[-1]["id"] if more else None})

    def trace_event(self, ref: str) -> dict[str, Any]:
        """An outbox message by id or key: its delivery, the journal entry it carries and
        the document that journal books."""
        ob = t.outbox
        text = str(ref).strip()
        where = ob.c.id == checked_id(text, "event") if text.isascii() and text.isdigit() \
            else ob.c.key == text
        with self.engine.connect() as conn:
            row = conn.execute(select(ob.c.key).where(where)).first()
            if row is None:
                raise NotFound("event", text)
            outbox = deliveries(conn, [row.key])
            journal = journals_by_key(conn, [row.key])
            docs: list[dict[str, Any]] = []
            if journal and journal[0]["source_type"] in DOCUMENT_JOURNALS:
                inv = t.invoices
                ids = conn.execute(select(inv.c.id).where(
                    inv.c.entity == journal[0]["entity"],
                    inv.c.number == journal[0]["source_id"])).scalars().all()
                docs = documents(conn, ids)
            later = later_steps(conn, outbox)
        event = outbox[0]
        return _json({"kind": "event", "id": event["id"], "ref": event["key"], "found": True,
                      "event": event, "journal": journal, "invoices": docs,
                      "deliveries": outbox, **later,
                      "timeline": timeline(document_steps(docs, journal, outbox))})
