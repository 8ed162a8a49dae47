"""ERP profiles, the documents to post, and the posting record (``erp_postings``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from hourbridge.domain.erp import ErpPayment, ErpProfile
from hourbridge.domain.erp_identity import IdentityMatch
from hourbridge.services.events import JOURNAL_ENTRY_READY

from . import tables as t
from ._sql import _chunks
from .locks import SqlLocks


def profile_to_data(p: ErpProfile) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in asdict(p).items()}


def profile_from_data(data: Mapping[str, Any]) -> ErpProfile:
    return ErpProfile(**data)


class SqlErp:
    """The unit of work's view: profiles, queued journal events, issued documents."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # read once per transaction: every journal event published in it asks
        self._profiles: list[ErpProfile] | None = None

    def profiles(self) -> list[ErpProfile]:
        if self._profiles is None:
            rows = self.conn.execute(select(t.erp_profiles.c.profile).order_by(
                t.erp_profiles.c.destination, t.erp_profiles.c.entity))
            self._profiles = [profile_from_data(r.profile) for r in rows]
        return list(self._profiles)

    def upsert_profiles(self, profiles: Sequence[ErpProfile], now: datetime) -> int:
        ep = t.erp_profiles
        self._profiles = None
        for p in profiles:
            self.conn.execute(delete(ep).where((ep.c.destination == p.destination)
                                               & (ep.c.entity == p.entity)))
            self.conn.execute(insert(ep).values(destination=p.destination, entity=p.entity,
                                                system=p.system, profile=profile_to_data(p),
                                                loaded_at=now))
        return len(profiles)

    def journal_events(self, entity: str | None) -> list[Mapping[str, Any]]:
        ob = t.outbox
        rows = self.conn.execute(select(ob.c.key, ob.c.subject, ob.c.payload)
                                 .where(ob.c.type == JOURNAL_ENTRY_READY).order_by(ob.c.id))
        # the entity sits inside the JSON payload; filtering here keeps one portable query
        return [{"key": r.key, "subject": r.subject, "data": r.payload["data"]} for r in rows
                if entity is None or r.payload["data"]["entity"] == entity]

    def document(self, entity: str, number: str) -> tuple[Mapping[str, Any], list[
            Mapping[str, Any]]] | None:
        inv = t.invoices
        row = self.conn.execute(select(inv).where((inv.c.entity == entity)
                                                  & (inv.c.number == number))).first()
        if row is None:
            return None
        il = t.invoice_lines
        lines = self.conn.execute(select(il).where(il.c.invoice == row.id)
                                  .order_by(il.c.line_no)).all()
        return dict(row._mapping), [dict(ln._mapping) for ln in lines]

    def documents(self, entity: str, numbers: Sequence[str]) -> dict[str, tuple[
            Mapping[str, Any], list[Mapping[str, Any]]]]:
        """``document`` for many numbers of one entity: two queries per chunk of numbers."""
        inv, il = t.invoices, t.invoice_lines
        out: dict[str, tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = {}
        for part in _chunks(list(numbers)):
            rows = {r.id: dict(r._mapping) for r in self.conn.execute(
                select(inv).where(inv.c.entity == entity, inv.c.number.in_(part)))}
            lines: dict[int, list[Mapping[str, Any]]] = {i: [] for i in rows}
            if rows:
                for ln in self.conn.execute(select(il).where(il.c.invoice.in_(list(rows)))
                                            .order_by(il.c.invoice, il.c.line_no)):
                    lines[ln.invoice].append(dict(ln._mapping))
            out.update({r["number"]: (r, lines[i]) for i, r in rows.items()})
        return out

    def postings(self, destination: str | None, external_id: str | None) -> list[
            dict[str, Any]]:
        return postings(self.conn, destination, external_id)

    def identity(self, destination: str) -> dict[str, str]:
        im = t.erp_identity_map
        return {r.customer: r.erp_id for r in self.conn.execute(
            select(im.c.customer, im.c.erp_id).where(im.c.destination == destination))}

    def identity_rows(self, destination: str | None) -> list[dict[str, Any]]:
        im = t.erp_identity_map
        stmt = select(im).order_by(im.c.destination, im.c.customer)
        if destination is not None:
            stmt = stmt.where(im.c.destination == destination)
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def save_identity(self, destination: str, matches: Sequence[IdentityMatch],
                      now: datetime) -> int:
        im = t.erp_identity_map
        # two pulls of one destination: the second waits and replaces what the first wrote
        SqlLocks(self.conn).erp_identity(destination)
        self.conn.execute(delete(im).where(im.c.destination == destination))
        if matches:
            self.conn.execute(insert(im), [
                {"destination": destination, "customer": m.customer, "erp_id": m.erp_id,
                 "matched_by": m.matched_by, "erp_name": m.erp_name[:200], "pulled_at": now}
                for m in matches])
        return len(matches)

    def project_identity(self, destination: str) -> dict[str, str]:
        pm = t.erp_project_map
        return {r.project: r.erp_id for r in self.conn.execute(
            select(pm.c.project, pm.c.erp_id).where(pm.c.destination == destination))}

    def project_identity_rows(self, destination: str | None) -> list[dict[str, Any]]:
        pm = t.erp_project_map
        stmt = select(pm).order_by(pm.c.destination, pm.c.project)
        if destination is not None:
            stmt = stmt.where(pm.c.destination == destination)
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def save_project_identity(self, destination: str, matches: Sequence[IdentityMatch],
                              now: datetime) -> int:
        pm = t.erp_project_map
        SqlLocks(self.conn).erp_identity(f"projects:{destination}")
        self.conn.execute(delete(pm).where(pm.c.destination == destination))
        if matches:
            self.conn.execute(insert(pm), [
                {"destination": destination, "project": m.customer, "erp_id": m.erp_id,
                 "matched_by": m.matched_by, "erp_name": m.erp_name[:200], "pulled_at": now}
                for m in matches])
        return len(matches)

    def posted_documents(self, destination: str | None) -> list[dict[str, Any]]:
        ep, inv = t.erp_postings, t.invoices
        stmt = select(ep.c.destination, ep.c.kind, ep.c.key, ep.c.erp_id).where(
            ep.c.status.in_(("posted", "found")), ep.c.kind.in_(("invoice", "credit_note")))
        if destination is not None:
            stmt = stmt.where(ep.c.destination == destination)
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.conn.execute(stmt.order_by(ep.c.id)):
            # the outbox key: erp:<destination>:<invoice|credit-note>-issued:<entity>:<number>
            head, _, rest = r.key.removeprefix(f"erp:{r.destination}:").partition(":")
            entity, _, number = rest.partition(":")
            if head in ("invoice-issued", "credit-note-issued") and number:
                wanted[(entity, number)] = {"destination": r.destination, "kind": r.kind,
                                            "erp_id": r.erp_id}
        if not wanted:
            return []
        out = []
        for row in self.conn.execute(select(inv.c.id, inv.c.entity, inv.c.number,
                                            inv.c.status, inv.c.currency, inv.c.total)
                                     .where(inv.c.number.in_({n for _, n in wanted}))):
            doc = wanted.get((row.entity, row.number))
            if doc is not None:
                out.append({**doc, "invoice": row.id, "status": row.status,
                            "currency": row.currency, "total": row.total})
        return sorted(out, key=lambda d: d["invoice"])

    def record_payment(self, invoice: int, destination: str, payment: ErpPayment,
                       currency: str, now: datetime) -> bool:
        # insert-or-nothing on the unique (invoice, destination, ERP payment id): two pulls
        # at once record a payment once, and neither fails
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        ip = t.invoice_payments
        # RETURNING says whether a row went in (rowcount is -1 here on psycopg)
        added = self.conn.execute(dialect_insert(ip).values(
            invoice=invoice, destination=destination, erp_payment_id=payment.erp_id,
            paid_on=payment.paid_on, amount=payment.amount, currency=currency,
            recorded_at=now).on_conflict_do_nothing().returning(ip.c.id)).first()
        return added is not None

    def mark_paid(self, invoice: int) -> bool:
        inv = t.invoices
        return bool(self.conn.execute(update(inv).where(
            inv.c.id == invoice, inv.c.kind == "invoice",
            inv.c.status.in_(("issued", "posted"))).values(status="paid")).rowcount)


def postings(conn: Connection, destination: str | None, external_id: str | None) -> list[
        dict[str, Any]]:
    ep = t.erp_postings
    stmt = select(ep).order_by(ep.c.id)
    if destination is not None:
        stmt = stmt.where(ep.c.destination == destination)
    if external_id is not None:
        stmt = stmt.where(ep.c.external_id == external_id)
    return [dict(r._mapping) for r in conn.execute(stmt)]


class SqlPostingLog:
    """The posting record, each write its own short transaction (the ERP call sits between)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def attempts(self, destination: str, external_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return postings(conn, destination, external_id)

    def begin(self, destination: str, kind: str, external_id: str, key: str,
              now: datetime) -> int:
        ep = t.erp_postings
        with self.engine.begin() as conn:
            last = conn.execute(select(func.max(ep.c.attempt)).where(
                (ep.c.destination == destination) & (ep.c.external_id == external_id))
            ).scalar_one()
            return int(conn.execute(insert(ep).values(
                destination=destination, kind=kind, external_id=external_id, key=key,
                attempt=(last or 0) + 1, status="sending", started_at=now,
            ).returning(ep.c.id)).scalar_one())

    def finish(self, attempt: int, status: str, now: datetime, erp_id: str | None = None,
               error: str | None = None) -> None:
        ep = t.erp_postings
        with self.engine.begin() as conn:
            conn.execute(update(ep).where(ep.c.id == attempt).values(
                status=status, erp_id=erp_id, error=None if error is None else error[:2000],
                finished_at=now))
