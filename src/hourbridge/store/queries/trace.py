"""Lineage, forward: one time entry or expense from the payload it came in to the events that
delivered its invoice's journal. ``hourbridge trace`` and ``/v1/trace`` read these.

Each trace is a fixed number of set-based statements (no query per line or per invoice); an
entry that did not bill says why (``domain.lineage``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, or_, select, tuple_

from hourbridge.domain.lineage import EntryFacts, why_expense_not_billed, why_not_billed
from hourbridge.errors import InvalidInput, NotFound

from .. import tables as t
from ._common import QueryBase, _json, money
from .entries import _ref_candidates
from .trace_documents import ENTRY_PAGE, DocumentTraceQueries, checked_id
from .trace_parts import (
    WHY_COLUMNS,
    deliveries,
    document_steps,
    document_subjects,
    documents,
    exceptions_for,
    inbox_rows,
    journals_by_key,
    journals_for_documents,
    later_steps,
    step,
    timeline,
)

TRACE_KINDS = ("entry", "expense", "invoice", "credit-note", "event")


class TraceQueries(DocumentTraceQueries, QueryBase):
    def trace(self, kind: str, ref: str, *, after: int | None = None,
              limit: int = ENTRY_PAGE, entities: Collection[str] | None = None
              ) -> dict[str, Any]:
        """The lineage of one ``kind`` (entry, expense, invoice or credit note, event) named
        by ``ref``; an unknown kind or id is refused, naming it. ``after`` and ``limit`` page
        the entries of an invoice; ``entities`` keeps an invoice number to these entities'
        documents (numbers are per entity: another's never makes one ambiguous)."""
        if kind == "entry":
            return self.trace_entry(ref)
        if kind == "expense":
            return self.trace_expense(ref)
        if kind in ("invoice", "credit-note"):
            return self.trace_invoice(ref, after=after, limit=limit, entities=entities)
        if kind == "event":
            return self.trace_event(ref)
        raise InvalidInput(f"kind {kind!r}: give one of {', '.join(TRACE_KINDS)}")

    # --- time entries ------------------------------------------------------------------
    def trace_entry(self, ref: str) -> dict[str, Any]:
        try:
            (entry_id,) = self.entry_ids([ref])  # type: ignore[attr-defined]
        except NotFound:
            return self._never_stored("entry", ref)
        te = t.time_entries
        with self.engine.connect() as conn:
            row = conn.execute(select(te).where(te.c.id == entry_id)).first()
            if row is None:
                raise NotFound("entry", str(ref))
            e = dict(row._mapping)
            out = self._entry_sections(conn, e)
        return out

    def _entry_sections(self, conn: Connection, e: dict[str, Any]) -> dict[str, Any]:
        problems = exceptions_for(conn, e["source"], e["external_id"])
        cr = t.corrections
        corrections = [dict(r._mapping) for r in conn.execute(
            select(cr.c.id, cr.c.kind, cr.c.status, cr.c.action, cr.c.invoice, cr.c.difference,
                   cr.c.currency, cr.c.before, cr.c.after, cr.c.inbox_id, cr.c.created_at,
                   cr.c.decided_at, cr.c.decided_by, cr.c.note)
            .where(cr.c.entry == e["id"]).order_by(cr.c.id))]
        inbox = inbox_rows(conn, [e["inbox_id"], *(p["inbox_id"] for p in problems),
                                  *(c["inbox_id"] for c in corrections)])
        holds = self._holds_over(conn, e)
        ad = t.adjustments
        adjustments = [dict(r._mapping) for r in conn.execute(
            select(ad.c.id, ad.c.before_seconds, ad.c.after_seconds, ad.c.wip_delta,
                   ad.c.reason, ad.c.actor, ad.c.at).where(ad.c.entry == e["id"])
            .order_by(ad.c.id))]
        lines = self._priced_lines(conn, e["id"])
        docs = documents(conn, (ln["invoice"] for ln in lines))
        ic = t.intercompany_charges
        ic_keys = conn.execute(select(ic.c.seller_journal_key, ic.c.buyer_journal_key)
                               .where(ic.c.entry == e["id"])).first()
        journal = journals_for_documents(conn, docs) + journals_by_key(conn, ic_keys or ())
        outbox = deliveries(conn, (j["key"] for j in journal), document_subjects(docs))
        why = why_not_billed(EntryFacts(
            approval=e["approval"], billing=e["billing"], billable=e["billable"],
            deleted=e["deleted_at"] is not None, billable_seconds=e["billable_seconds"],
            billed_seconds=e["billed_seconds"], written_off_seconds=e["written_off_seconds"],
            holds=tuple((h["scope"], h["ref"], h["reason"]) for h in holds),
            open_corrections=sum(1 for c in corrections if c["status"] == "open"),
            has_contract=e["contract"] is not None, **self._cap_and_run(conn, e)))
        steps = [
            *(step(i["received_at"], "payload received", i["source"],
                   f"inbox #{i['id']} {i['filename']} ({i['status']})") for i in inbox),
            *(step(p["created_at"], "exception", p["owner_role"],
                   f"{p['reason']}: {p['message']}") for p in problems),
            *(step(p["closed_at"], f"exception {p['status']}", p["closed_by"], p["note"] or "")
              for p in problems),
            step(e["created_at"], "entry stored", e["source"], f"revision {e['revision']}"),
            *(step(c["created_at"], "correction proposed", None, f"#{c['id']} {c['kind']}")
              for c in corrections),
            *(step(c["decided_at"], f"correction {c['status']}", c["decided_by"],
                   f"#{c['id']}") for c in corrections),
            step(e["approved_at"], "approved", e["approved_by"]),
            step(e["rejected_at"], "rejected", e["rejected_by"], e["rejection_reason"] or ""),
            *(step(h["placed_at"], "hold placed", h["placed_by"],
                   f"{h['scope']} {h['ref']}: {h['reason']}") for h in holds),
            *(step(a["at"], "adjusted", a["actor"],
                   f"{a['before_seconds']} s → {a['after_seconds']} s: {a['reason']}")
              for a in adjustments),
            *document_steps(docs, journal, outbox),
            step(e["deleted_at"], "deleted at source", e["source"]),
        ]
        entry = {k: e[k] for k in (
            "id", "source", "external_id", "revision", "employee", "project", "task", "entity",
            "contract", "work_date", "worked_seconds", "billable_seconds", "billable",
            "approval", "billing", "locked", "billed_seconds", "written_off_seconds",
            "created_at", "updated_at", "deleted_at")}
        entry["wip_amount"] = money(e["wip_amount"], e["wip_currency"] or "") \
            if e["wip_amount"] is not None and e["wip_currency"] else None
        entry["wip_currency"] = e["wip_currency"]
        return _json({
            "kind": "entry", "id": e["id"], "ref": f"{e['source']}:{e['external_id']}",
            "found": True, "inbox": inbox, "revisions": corrections, "entry": entry,
            "problems": problems,
            "approval": {"state": e["approval"], "approved_at": e["approved_at"],
                         "approved_by": e["approved_by"], "rejected_at": e["rejected_at"],
                         "rejected_by": e["rejected_by"],
                         "rejection_reason": e["rejection_reason"]},
            "holds": holds, "adjustments": adjustments, "priced_lines": lines,
            "invoices": docs, "journal": journal, "deliveries": outbox,
            **later_steps(conn, outbox),
            "billed": not why,
            "why_not_billed": [{"reason": p.code, "message": p.message} for p in why],
            "timeline": timeline(steps),
        })

    @staticmethod
    def _cap_and_run(conn: Connection, e: dict[str, Any]) -> dict[str, Any]:
        """The hold cap of the entry's contract and the latest real billing run of its
        entity (or of all) through its work date: one statement."""
        if not e["contract"]:
            return {}
        br, k = t.billing_runs, t.contracts
        run = select(br.c.id, br.c.through).where(
            br.c.dry_run.is_(False), br.c.through >= e["work_date"],
            (br.c.entity.is_(None)) | (br.c.entity == e["entity"])) \
            .order_by(br.c.id.desc()).limit(1).subquery()
        row = conn.execute(select(k.c.terms, run.c.id, run.c.through)
                           .select_from(k).outerjoin(run, run.c.id.is_not(None))
                           .where(k.c.id == e["contract"])).first()
        if row is None:
            return {}
        cap = (row.terms or {}).get("cap") or {}
        hold = cap.get("over_cap") == "hold" and (cap.get("hours") or cap.get("amount"))
        return {"hold_cap": (f"{cap['hours']} h" if cap.get("hours") else
                             f"amount {cap['amount']}") if hold else None,
                "passed_by_run": (row.id, row.through.isoformat()) if row.id else None}

    @staticmethod
    def _holds_over(conn: Connection, e: dict[str, Any]) -> list[dict[str, Any]]:
        """Active holds on the entry, its project, contract or the project's customer."""
        customer = select(t.projects.c.customer).where(
            t.projects.c.code == e["project"]).scalar_subquery()
        h = t.holds
        targets = [("entry", str(e["id"])), ("project", e["project"])]
        if e["contract"]:
            targets.append(("contract", e["contract"]))
        return [dict(r._mapping) for r in conn.execute(
            select(h.c.id, h.c.scope, h.c.ref, h.c.reason, h.c.note, h.c.owner_role,
                   h.c.placed_at, h.c.placed_by)
            .where(h.c.released_at.is_(None),
                   or_(tuple_(h.c.scope, h.c.ref).in_(targets),
                       (h.c.scope == "customer") & (h.c.ref == customer)))
            .order_by(h.c.id))]

    @staticmethod
    def _priced_lines(conn: Connection, entry_id: int) -> list[dict[str, Any]]:
        """Each invoice or credit-note line carrying the entry, with the seconds it carries
        and why that rate."""
        li, le, inv = t.invoice_lines, t.invoice_line_entries, t.invoices
        rows = [dict(r._mapping) for r in conn.execute(
            select(li.c.invoice, inv.c.kind.label("document"), inv.c.currency, li.c.id,
                   li.c.line_no, li.c.kind, li.c.description, le.c.seconds.label(
                       "entry_seconds"), li.c.seconds, li.c.quantity_hours, li.c.rate,
                   li.c.amount, *(li.c[c] for c in WHY_COLUMNS))
            .join(li, li.c.id == le.c.line).join(inv, inv.c.id == li.c.invoice)
            .where(le.c.entry == entry_id).order_by(li.c.invoice, li.c.line_no))]
        for r in rows:
            r["amount"] = money(r["amount"], r["currency"])
            r["why"] = {c: r.pop(c) for c in WHY_COLUMNS}
        return rows

    # --- expenses ----------------------------------------------------------------------
    def trace_expense(self, ref: str) -> dict[str, Any]:
        ex = t.expenses
        text = str(ref).strip()
        where = (ex.c.id == checked_id(text, "expense")) if text.isascii() and text.isdigit() else \
            tuple_(ex.c.source, ex.c.external_id).in_(_ref_candidates(text) or [("", "")])
        with self.engine.connect() as conn:
            row = conn.execute(select(ex).where(where)).first()
            if row is None:
                return self._never_stored("expense", text)
            x = dict(row._mapping)
            problems = exceptions_for(conn, x["source"], x["external_id"])
            inbox = inbox_rows(conn, [x["inbox_id"], *(p["inbox_id"] for p in problems)])
            li = t.invoice_lines
            lines = [dict(r._mapping) for r in conn.execute(
                select(li.c.invoice, li.c.id, li.c.line_no, li.c.kind, li.c.description,
                       li.c.amount, li.c.original_amount, li.c.original_currency,
                       li.c.original_rate).where(li.c.id == x["invoice_line"]))] \
                if x["invoice_line"] else []
            docs = documents(conn, (ln["invoice"] for ln in lines))
            journal = journals_for_documents(conn, docs)
            outbox = deliveries(conn, (j["key"] for j in journal), document_subjects(docs))
            later = later_steps(conn, outbox)
        why = [{"reason": p.code, "message": p.message}
               for p in why_expense_not_billed(x["approval"], x["billing"])]
        steps = [*(step(i["received_at"], "payload received", i["source"],
                        f"inbox #{i['id']} {i['filename']}") for i in inbox),
                 *(step(p["created_at"], "exception", p["owner_role"], p["reason"])
                   for p in problems),
                 step(x["created_at"], "expense stored", x["source"]),
                 step(x["approved_at"], "approved", x["approved_by"]),
                 *document_steps(docs, journal, outbox)]
        x["amount"] = money(x["amount"], x["currency"])
        for k in ("content_key", "intake_key"):
            x.pop(k)
        return _json({"kind": "expense", "id": x["id"],
                      "ref": f"{x['source']}:{x['external_id']}", "found": True,
                      "inbox": inbox, "expense": x, "problems": problems,
                      "approval": {"state": x["approval"], "approved_at": x["approved_at"],
                                   "approved_by": x["approved_by"]},
                      "priced_lines": lines, "invoices": docs, "journal": journal,
                      "deliveries": outbox, **later, "billed": not why,
                      "why_not_billed": why, "timeline": timeline(steps)})

    def _never_stored(self, kind: str, ref: str) -> dict[str, Any]:
        """A ``SOURCE:EXTERNAL_ID`` with no stored row: the exceptions that kept it out, if
        any; else plainly not found."""
        pairs = _ref_candidates(ref)
        with self.engine.connect() as conn:
            problems = [p for s, x in pairs for p in exceptions_for(conn, s, x)]
            inbox = inbox_rows(conn, (p["inbox_id"] for p in problems))
        if not problems:
            raise NotFound(kind, ref)
        why = [{"reason": p["reason"], "message": f"never stored: {p['message']} "
                f"(exception #{p['id']}, {p['status']})"} for p in problems]
        steps = [*(step(i["received_at"], "payload received", i["source"],
                        f"inbox #{i['id']} {i['filename']}") for i in inbox),
                 *(step(p["created_at"], "exception", p["owner_role"], p["reason"])
                   for p in problems)]
        return _json({"kind": kind, "id": None, "ref": ref, "found": False, "inbox": inbox,
                      "problems": problems, **later_steps(), "billed": False,
                      "why_not_billed": why, "timeline": timeline(steps)})
