"""ERP profiles, the documents to post, and the posting record (``erp_postings``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Connection,
    Engine,
    Integer,
    String,
    Text,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from hourbridge.domain.erp import ErpPayment, ErpProfile
from hourbridge.domain.erp_identity import IdentityMatch, MapKind
from hourbridge.services.events import JOURNAL_ENTRY_READY

from . import tables as t
from ._sql import _chunks, _member
from .locks import SqlLocks
from .types import UtcDateTime


def profile_to_data(p: ErpProfile) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in asdict(p).items()}


def profile_from_data(data: Mapping[str, Any]) -> ErpProfile:
    return ErpProfile(**data)

# each map kind: its table and the column holding our side
_IDENTITY_MAPS = {"customer": (t.erp_identity_map, "customer"),
                  "project": (t.erp_project_map, "project")}


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

    def identity(self, destination: str, kind: MapKind = "customer") -> dict[str, str]:
        table, ours = _IDENTITY_MAPS[kind]
        return {getattr(r, ours): r.erp_id for r in self.conn.execute(
            select(table.c[ours], table.c.erp_id).where(table.c.destination == destination))}

    def identity_rows(self, destination: str | None,
                      kind: MapKind = "customer") -> list[dict[str, Any]]:
        table, ours = _IDENTITY_MAPS[kind]
        stmt = select(table).order_by(table.c.destination, table.c[ours])
        if destination is not None:
            stmt = stmt.where(table.c.destination == destination)
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def save_identity(self, destination: str, matches: Sequence[IdentityMatch],
                      now: datetime, kind: MapKind = "customer") -> int:
        table, ours = _IDENTITY_MAPS[kind]
        # two pulls of one destination and kind: the second waits and replaces what the first
        # wrote (customers keep the bare destination as their lock name, as before)
        SqlLocks(self.conn).erp_identity(
            destination if kind == "customer" else f"{kind}s:{destination}")
        self.conn.execute(delete(table).where(table.c.destination == destination))
        if matches:
            self.conn.execute(insert(table), [
                {"destination": destination, ours: m.customer, "erp_id": m.erp_id,
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
            recorded_at=now, via=payment.via).on_conflict_do_nothing().returning(ip.c.id)
        ).first()
        return added is not None

    def mark_paid(self, invoice: int) -> bool:
        inv = t.invoices
        return bool(self.conn.execute(update(inv).where(
            inv.c.id == invoice, inv.c.status.in_(("issued", "posted"))).values(
                status="paid")).rowcount)


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
    """The posting record, written in short transactions (the ERP calls sit between): one
    before a chunk of documents is sent, one after."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def attempts(self, destination: str, external_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return postings(conn, destination, external_id)

    def begin_many(self, destination: str, docs: Sequence[tuple[str, str, str]],
                   now: datetime) -> list[tuple[int, list[str]]]:
        """Every document's ``sending`` row, numbered after its earlier attempts, in one
        transaction: one read of the earlier attempts, one insert."""
        ep = t.erp_postings
        earlier: dict[str, list[tuple[int, str]]] = {}
        with self.engine.begin() as conn:
            for where in _member(conn, ep.c.external_id, [e for _, e, _ in docs]):
                for r in conn.execute(select(ep.c.external_id, ep.c.attempt, ep.c.status)
                                      .where(ep.c.destination == destination, where)
                                      .order_by(ep.c.id)):
                    earlier.setdefault(r.external_id, []).append((r.attempt, r.status))
            rows, statuses, last = [], [], {}
            for kind, external_id, key in docs:
                before = earlier.get(external_id, [])
                attempt = last.get(external_id) or max((a for a, _ in before), default=0)
                last[external_id] = attempt + 1
                rows.append({"destination": destination, "kind": kind,
                             "external_id": external_id, "key": key, "attempt": attempt + 1,
                             "status": "sending", "started_at": now})
                statuses.append([s for _, s in before])
            if conn.dialect.name == "postgresql":
                ids = _insert_arrays(conn, rows)
            else:
                ids = list(conn.execute(insert(ep).returning(
                    ep.c.id, sort_by_parameter_order=True), rows).scalars())
        return [(int(i), s) for i, s in zip(ids, statuses, strict=True)]

    def finish_many(self, outcomes: Sequence[tuple[int, str, str | None, str | None]],
                    now: datetime) -> None:
        """Every attempt's outcome in one transaction and one statement (``CASE`` on the
        attempt's id: one round trip however many there are)."""
        if not outcomes:
            return
        ep = t.erp_postings
        ids = [a for a, *_ in outcomes]
        errors = [None if m is None else m[:2000] for *_, m in outcomes]
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # parallel arrays joined on the id: one shape whatever the chunk's size, so
                # compiled and planned once (a CASE per column is a new statement per size)
                v = select(_unnest(ids, BigInteger()).label("id"),
                           _unnest([s for _, s, _, _ in outcomes]).label("status"),
                           _unnest([e for _, _, e, _ in outcomes]).label("erp_id"),
                           _unnest(errors, Text()).label("error")).subquery()
                conn.execute(update(ep).where(ep.c.id == v.c.id).values(
                    status=v.c.status, erp_id=v.c.erp_id, error=v.c.error, finished_at=now))
                return
            conn.execute(update(ep).where(ep.c.id.in_(ids)).values(
                status=case({a: s for a, s, _, _ in outcomes}, value=ep.c.id),
                erp_id=case({a: e for a, _, e, _ in outcomes}, value=ep.c.id),
                error=case(dict(zip(ids, errors, strict=True)), value=ep.c.id),
                finished_at=now))


def _unnest(values: Sequence[Any], item: TypeEngine[Any] | None = None) -> ColumnElement[Any]:
    """``unnest`` of one array parameter (PostgreSQL): several in one select list are read
    in parallel, row by row."""
    return func.unnest(literal(list(values), ARRAY(item if item is not None else String())))


def _insert_arrays(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """``rows`` (of one destination and instant) inserted by one statement of one shape
    whatever their number; their ids in the order given (RETURNING keeps none, so each is
    found again by its external id and attempt, unique together)."""
    if not rows:
        return []
    ep = t.erp_postings
    first = rows[0]
    src = select(literal(first["destination"], String()), _unnest([r["kind"] for r in rows]),
                 _unnest([r["external_id"] for r in rows]), _unnest([r["key"] for r in rows]),
                 _unnest([r["attempt"] for r in rows], Integer()),
                 literal("sending", String()), literal(first["started_at"], UtcDateTime()))
    made = {(r.external_id, r.attempt): r.id for r in conn.execute(
        insert(ep).from_select(["destination", "kind", "external_id", "key", "attempt",
                                "status", "started_at"], src)
        .returning(ep.c.id, ep.c.external_id, ep.c.attempt))}
    return [made[(r["external_id"], r["attempt"])] for r in rows]
