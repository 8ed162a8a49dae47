"""Sections every trace shares: inbox payloads, documents, journal entries, deliveries and the
steps still to come (ERP postings, payments). Each reads a whole set in one statement, so a
trace costs a fixed number of queries however many lines or entries it touches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, or_, select, tuple_

from .. import tables as t
from ._common import _json, money

# journal entries that book a document, keyed by (entity, document number)
DOCUMENT_JOURNALS = ("invoice", "credit_note", "invoice_void")

# the rate "why" billing keeps on every priced line
WHY_COLUMNS = ("rate_card", "rate_row", "rate_rule", "rate_scope", "contract_version")


def later_steps(conn: Connection | None = None,
                outbox: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """ERP posting attempts of the journal events among ``outbox`` (each ERP's document is
    queued under ``erp:DESTINATION:<journal key>``, ``services.erp``), one statement; and
    payments, not recorded yet: that section exists, empty and saying so, so a reader (and
    the JSON schema) already has its place."""
    keys = sorted({o["key"] for o in outbox if not o["key"].startswith("erp:")})
    items: list[dict[str, Any]] = []
    if conn is not None and keys:
        ep = t.erp_postings
        items = [dict(r._mapping) for r in conn.execute(
            select(ep.c.id, ep.c.destination, ep.c.kind, ep.c.external_id, ep.c.key,
                   ep.c.attempt, ep.c.status, ep.c.erp_id, ep.c.error, ep.c.started_at,
                   ep.c.finished_at)
            .where(or_(*(ep.c.key.like(f"erp:%:{_escaped(k)}", escape="\\") for k in keys)))
            .order_by(ep.c.id))]
    return {"erp_postings": {"recorded": True, "items": items,
                             "note": "" if items else "no ERP postings yet"},
            "payments": {"recorded": False, "items": [], "note": "no payments recorded yet"}}


def _escaped(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def inbox_rows(conn: Connection, ids: Iterable[int | None]) -> list[dict[str, Any]]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return []
    ib = t.inbox
    return [dict(r._mapping) for r in conn.execute(
        select(ib.c.id, ib.c.source, ib.c.kind, ib.c.filename, ib.c.media_type,
               ib.c.received_at, ib.c.size_bytes, ib.c.status, ib.c.attempts)
        .where(ib.c.id.in_(wanted)).order_by(ib.c.id))]


def exceptions_for(conn: Connection, source: str, external_id: str) -> list[dict[str, Any]]:
    ex = t.exceptions
    return [dict(r._mapping) for r in conn.execute(
        select(ex.c.id, ex.c.inbox_id, ex.c.location, ex.c.reason, ex.c.field, ex.c.message,
               ex.c.owner_role, ex.c.status, ex.c.created_at, ex.c.closed_at, ex.c.closed_by,
               ex.c.note)
        .where(ex.c.source == source, ex.c.external_id == external_id).order_by(ex.c.id))]


def documents(conn: Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """Invoices and credit notes by id, with who issued and voided them."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    inv = t.invoices
    rows = [dict(r._mapping) for r in conn.execute(
        select(inv.c.id, inv.c.kind, inv.c.number, inv.c.status, inv.c.entity,
               inv.c.customer, inv.c.contract, inv.c.currency, inv.c.period, inv.c.net,
               inv.c.tax, inv.c.total, inv.c.credits, inv.c.credit_mode, inv.c.reason,
               inv.c.billing_run, inv.c.issue_date, inv.c.created_at, inv.c.issued_at,
               inv.c.issued_by, inv.c.voided_at, inv.c.voided_by, inv.c.void_reason)
        .where(inv.c.id.in_(wanted)).order_by(inv.c.id))]
    for r in rows:
        for f in ("net", "tax", "total"):
            r[f] = money(r[f], r["currency"])
    return rows


def journals_for_documents(conn: Connection,
                           docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The journal entries booking these documents (issue, credit, void), with their lines'
    debit and credit totals."""
    pairs = sorted({(d["entity"], d["number"]) for d in docs if d.get("number")})
    if not pairs:
        return []
    je = t.journal_entries
    return journal_rows(conn, je.c.source_type.in_(DOCUMENT_JOURNALS)
                        & tuple_(je.c.entity, je.c.source_id).in_(pairs))


def journals_by_key(conn: Connection, keys: Iterable[str | None]) -> list[dict[str, Any]]:
    wanted = sorted({k for k in keys if k})
    return journal_rows(conn, t.journal_entries.c.key.in_(wanted)) if wanted else []


def journal_rows(conn: Connection, where: Any) -> list[dict[str, Any]]:
    je = t.journal_entries
    return [dict(r._mapping) for r in conn.execute(
        select(je.c.id, je.c.key, je.c.entity, je.c.posted_on, je.c.memo, je.c.source_type,
               je.c.source_id, je.c.recorded_at).where(where).order_by(je.c.id))]


def document_subjects(docs: Iterable[dict[str, Any]]) -> list[str]:
    """The outbox subjects of documents' events (services: invoicing, credits, voids): an
    event still pending has no journal entry yet, so its key is not known from the ledger."""
    out: list[str] = []
    for d in docs:
        if d.get("number"):
            base = "credit-note" if d["kind"] == "credit_note" else "invoice"
            out += [f"{base}/{d['number']}", f"invoice/{d['number']}/void"]
    return out


def deliveries(conn: Connection, keys: Iterable[str],
               subjects: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The outbox messages with these keys (a journal entry's key is its event's) or
    subjects, and how their delivery went: attempts so far, the last error, when it was
    done or buried."""
    wanted, about = sorted(set(keys)), sorted(set(subjects))
    if not wanted and not about:
        return []
    ob = t.outbox
    rows = [dict(r._mapping) for r in conn.execute(
        select(ob.c.id, ob.c.key, ob.c.type, ob.c.subject, ob.c.status, ob.c.attempts,
               ob.c.last_error, ob.c.created_at, ob.c.available_at, ob.c.processed_at,
               ob.c.payload).where(ob.c.key.in_(wanted) | ob.c.subject.in_(about))
        .order_by(ob.c.id))]
    for r in rows:
        payload = r.pop("payload") or {}
        r["traceparent"] = payload.get("traceparent") if isinstance(payload, dict) else None
    return rows


def step(at: datetime | date | None, what: str, actor: str | None = None,
         detail: str = "") -> dict[str, Any] | None:
    return None if at is None else {"at": at, "step": what, "actor": actor, "detail": detail}


def document_steps(docs: list[dict[str, Any]], journal: list[dict[str, Any]],
                   outbox: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Timeline steps of documents, their journal entries and deliveries."""
    out: list[dict[str, Any] | None] = []
    for d in docs:
        name = f"{d['kind'].replace('_', ' ')} {d['number'] or '#' + str(d['id'])}"
        out.append(step(d["created_at"], "drafted", None, name))
        out.append(step(d["issued_at"], "issued", d["issued_by"], name))
        out.append(step(d["voided_at"], "voided", d["voided_by"], name))
    out += [step(j["recorded_at"], "journal recorded", None, f"{j['key']} ({j['memo']})")
            for j in journal]
    for o in outbox:
        out.append(step(o["created_at"], "event queued", None, f"{o['type']} #{o['id']}"))
        out.append(step(o["processed_at"], f"delivery {o['status']}", "worker",
                        f"#{o['id']} after {o['attempts']} attempt(s)"))
    return out


def timeline(steps: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """Steps in time order (stable: equal times keep the order of the path)."""
    kept = [s for s in steps if s is not None]
    return _json(sorted(kept, key=lambda s: _sortable(s["at"])))


def _sortable(at: datetime | date) -> str:
    return at.isoformat() if isinstance(at, datetime) else f"{at.isoformat()}T00:00:00"
