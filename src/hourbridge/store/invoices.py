"""Invoices: billing runs, drafts, credit notes, numbering, issue and void."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hourbridge.domain.credits import CreditableLink
from hourbridge.domain.fx import ForeignAmount
from hourbridge.domain.invoiced import Document, is_standing, standing_of
from hourbridge.domain.money import hours
from hourbridge.errors import ConcurrentChange
from hourbridge.services.ports.invoices import (
    CreditLine,
    DocumentRow,
    InvoiceHeader,
    IssuedDraft,
    LineState,
    VoidFacts,
)

from . import tables as t
from ._sql import _chunks, _member
from .bulk import bulk_insert, insert_numbered, reserve_ids
from .invoice_rows import header_row, line_rows, original_columns
from .invoice_sql import ADD_RUN, DRAFTS, FINISH_RUN, FOUR_EYES, ISSUE, RESERVE
from .kpi_bulk import set_based_rollups
from .standing import StandingBook

_INSERT_LINES = insert(t.invoice_lines)
class SqlInvoices(StandingBook):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_run(self, through: date, entity: str | None, at: datetime,
                dry_run: bool = False, started_by: str | None = None) -> int:
        return int(self.conn.execute(ADD_RUN, {
            "through": through, "entity": entity, "started_at": at, "invoices_created": 0,
            "entries_billed": 0, "dry_run": dry_run, "started_by": started_by}).scalar_one())

    def drafted_by(self, invoice_ids: Sequence[int]) -> dict[int, str]:
        """Who ran the billing that drafted each invoice (where it was kept)."""
        inv, run = t.invoices, t.billing_runs
        out: dict[int, str] = {}
        for part in _chunks(list(invoice_ids)):
            out.update({r.id: r.started_by for r in self.conn.execute(
                select(inv.c.id, run.c.started_by).join(run, run.c.id == inv.c.billing_run)
                .where(inv.c.id.in_(part), run.c.started_by.is_not(None)))})
        return out

    def four_eyes_entities(self) -> set[str]:
        return set(self.conn.execute(FOUR_EYES).scalars())

    def finish_run(self, run_id: int, invoices: int, entries: int,
                   standing: dict[str, dict[str, str]] | None) -> None:
        self.conn.execute(FINISH_RUN, {"run_id": run_id, "invoices": invoices,
                                        "entries": entries, "standing": standing})

    def last_standing(self, entity: str | None) -> dict[str, dict[str, str]] | None:
        """What stood invoiced after the latest real run over the same scope (one entity, or
        all); dry runs are never a baseline. None before the first, or when that run was
        recorded before standings were kept (it stored its own drafts only)."""
        br = t.billing_runs
        scope = br.c.entity.is_(None) if entity is None else br.c.entity == entity
        found = self.conn.execute(
            select(br.c.proposals).where(scope, br.c.dry_run.is_(False),
                                         br.c.proposals.is_not(None))
            .order_by(br.c.id.desc()).limit(1)).scalar()
        return dict(found) if is_standing(found) else None

    def standing(self, entity: str | None) -> dict[str, dict[str, str]]:
        """Live invoices (drafts too) and credit notes per contract and month, summed in
        Python (SQLite stores amounts as text)."""
        i = t.invoices
        query = select(i.c.contract, i.c.period, i.c.currency, i.c.net, i.c.kind).where(
            i.c.status != "void")
        if entity is not None:
            query = query.where(i.c.entity == entity)
        return standing_of(Document(r.contract, r.period, r.currency, Decimal(r.net),
                                    r.kind == "credit_note")
                           for r in self.conn.execute(query))

    def add_draft(self, run_id: int, draft: Any, tax: Any, at: datetime) -> int:
        return self.add_drafts(run_id, [(draft, tax)], at)[0][0]

    def add_drafts(self, run_id: int, drafts: Sequence[tuple[Any, Any]], at: datetime
                   ) -> list[tuple[int, list[int]]]:
        """Store drafts (with their taxes) in a few bulk statements for all of them: headers,
        lines, line-entry links, charges billed once. Per draft: its id and its line ids in
        line order (time lines, then charge lines)."""
        if not drafts:
            return []
        # each draft's lines first (their invoice set once its id is known): the header's
        # net is the sum of their amounts (exact: a few minor units each), which
        # ``draft.net`` would price line by line again
        lines_of = [line_rows(0, draft) for draft, _ in drafts]
        zero = Decimal(0)
        # COPY (PostgreSQL) sets no column defaults: a new draft was last changed when made
        headers = [{**header_row(run_id, draft, tax, at,
                                 sum((r["amount"] for r in lines), zero)), "updated_at": at}
                   for (draft, tax), lines in zip(drafts, lines_of, strict=True)]
        reserved = reserve_ids(self.conn, {t.invoices.name: len(headers),
                                           t.invoice_lines.name: sum(map(len, lines_of))})
        invoice_ids = insert_numbered(self.conn, t.invoices, headers, reserved[t.invoices.name])
        rows: list[dict[str, Any]] = []
        for invoice_id, lines in zip(invoice_ids, lines_of, strict=True):
            for row in lines:
                row["invoice"] = invoice_id
            rows += lines
        all_ids = insert_numbered(self.conn, t.invoice_lines, rows, reserved[t.invoice_lines.name])
        out: list[tuple[int, list[int]]] = []
        links: list[tuple[int, int, int]] = []
        once: list[dict[str, Any]] = []
        start = 0
        for invoice_id, (draft, _) in zip(invoice_ids, drafts, strict=True):
            count = len(draft.lines) + len(draft.charges)
            line_ids = all_ids[start:start + count]
            start += count
            out.append((invoice_id, line_ids))
            links += [(line_id, k.entry_id, k.seconds)
                      for line_id, line in zip(line_ids, draft.lines, strict=False)
                      for k in line.links]
            once += [{"contract": draft.contract, "kind": c.kind, "ref": c.ref,
                      "invoice_line": i, "amount": c.amount, "state": "billed", "at": at}
                     for i, c in zip(line_ids[len(draft.lines):], draft.charges, strict=True)
                     if c.bills_once]
        # plain integers: already in SQLite's storage form; the KPI rollups of many links
        # grouped once, not per link (SQLite)
        if links:
            with set_based_rollups(self.conn, t.invoice_line_entries.name, len(links)):
                bulk_insert(self.conn, t.invoice_line_entries, ("line", "entry", "seconds"),
                            links, converted=True)
        if once:
            self.conn.execute(insert(t.contract_charges), once)
        return out

    def drafts(self, ids: Sequence[int], entity: str | None) -> list[InvoiceHeader]:
        stmt = DRAFTS[(bool(entity), bool(ids))]
        params: dict[str, Any] = {"entity_": entity} if entity else {}
        out: list[InvoiceHeader] = []
        parts: list[Sequence[int] | None] = list(_chunks(list(ids))) if ids else [None]
        for part in parts:
            if part is not None:
                params["ids"] = list(part)
            out += [InvoiceHeader(*r) for r in self.conn.execute(stmt, params).all()]
        return out

    def statuses(self, ids: Sequence[int]) -> dict[int, str]:
        inv = t.invoices
        out: dict[int, str] = {}
        for part in _chunks(list(ids)):
            out.update({i: s for i, s in self.conn.execute(
                select(inv.c.id, inv.c.status).where(inv.c.id.in_(part)))})
        return out

    def entry_seconds_for(self, invoice_ids: Sequence[int]
                          ) -> dict[int, list[tuple[int, int]]]:
        """(entry, seconds) billed by each invoice: what issuing relieves and locks."""
        le, li = t.invoice_line_entries, t.invoice_lines
        out: dict[int, list[tuple[int, int]]] = {i: [] for i in invoice_ids}
        for member in _member(self.conn, li.c.invoice, invoice_ids):
            for invoice, entry, seconds in self.conn.execute(
                select(li.c.invoice, le.c.entry, le.c.seconds)
                .join(li, li.c.id == le.c.line).where(member)
                .order_by(li.c.invoice, le.c.entry)
            ):
                out[invoice].append((entry, seconds))
        return out

    def charge_line_ids(self, invoice_id: int) -> dict[tuple[str, str, str], int]:
        """(kind, charge ref, project) -> line id of the invoice's charge lines."""
        li = t.invoice_lines
        return {(k, r or "", p): i for i, k, r, p in self.conn.execute(
            select(li.c.id, li.c.kind, li.c.charge_ref, li.c.project)
            .where(li.c.invoice == invoice_id, li.c.kind != "time"))}

    def kind_totals(self, invoice_ids: Sequence[int]) -> dict[int, dict[str, Decimal]]:
        """Line amounts per kind of each invoice: what issuing books where."""
        li = t.invoice_lines
        out: dict[int, dict[str, Decimal]] = {i: {} for i in invoice_ids}
        # summed here, not by SQL: SQLite would add the decimal text as floats
        for member in _member(self.conn, li.c.invoice, invoice_ids):
            for invoice, kind, amount in self.conn.execute(
                    select(li.c.invoice, li.c.kind, li.c.amount).where(member)):
                totals = out[invoice]
                totals[kind] = totals.get(kind, Decimal(0)) + amount
        return out

    def document(self, invoice_id: int) -> DocumentRow | None:
        inv = t.invoices
        r = self.conn.execute(select(
            inv.c.id, inv.c.kind, inv.c.status, inv.c.entity, inv.c.contract, inv.c.customer,
            inv.c.currency, inv.c.period, inv.c.number, inv.c.net, inv.c.tax, inv.c.tax_rate,
            inv.c.tax_code, inv.c.tax_category, inv.c.tax_exemption_code, inv.c.tax_note,
            inv.c.fx_rate,
        ).where(inv.c.id == invoice_id)).first()
        return DocumentRow(*r) if r else None

    def credit_state(self, invoice_id: int) -> tuple[list[LineState], Decimal]:
        """The invoice's lines, each with its links and what credit notes took from them."""
        inv, li, le = t.invoices, t.invoice_lines, t.invoice_line_entries
        credit_line = li.alias("credit_line")
        lines = self.conn.execute(select(li).where(li.c.invoice == invoice_id)
                                  .order_by(li.c.line_no)).all()
        ids = [ln.id for ln in lines]
        links: dict[int, dict[int, int]] = {i: {} for i in ids}
        credited: dict[int, dict[int, int]] = {i: {} for i in ids}
        credited_lines: dict[int, tuple[int, Decimal]] = {}
        if ids:
            for line, entry, seconds in self.conn.execute(
                    select(le.c.line, le.c.entry, le.c.seconds).where(le.c.line.in_(ids))):
                links[line][entry] = seconds
            for original, entry, seconds in self.conn.execute(
                select(credit_line.c.credits_line, le.c.entry, le.c.seconds)
                .join(le, le.c.line == credit_line.c.id)
                .where(credit_line.c.credits_line.in_(ids))
            ):
                bucket = credited[original]
                bucket[entry] = bucket.get(entry, 0) - seconds  # credit links are negative
            for original, seconds, amount in self.conn.execute(
                select(credit_line.c.credits_line, credit_line.c.seconds,
                       credit_line.c.amount).where(credit_line.c.credits_line.in_(ids))
            ):
                s0, a0 = credited_lines.get(original, (0, Decimal(0)))
                credited_lines[original] = (s0 + seconds, a0 + amount)
        credited_tax = sum((tax for (tax,) in self.conn.execute(
            select(inv.c.tax).where(inv.c.credits == invoice_id))), Decimal(0))
        # never more than an entry has billed: a correction billed on a later invoice (a
        # negative adjustment line) already took some of these seconds back
        te = t.time_entries
        entry_ids = sorted({e for by_entry in links.values() for e in by_entry})
        billed: dict[int, int] = {}
        for member in _member(self.conn, te.c.id, entry_ids):
            billed.update(self.conn.execute(
                select(te.c.id, te.c.billed_seconds).where(member)).all())
        states = [
            LineState(
                ln.id, ln.line_no, ln.description, ln.project, ln.task, ln.role, ln.seconds,
                ln.rate, ln.amount, ln.rate_card, ln.rate_row, ln.rate_rule, ln.rate_scope,
                ln.contract_version, credited_lines.get(ln.id, (0, Decimal(0)))[0],
                credited_lines.get(ln.id, (0, Decimal(0)))[1],
                tuple(CreditableLink(ln.id, e, s, max(credited[ln.id].get(e, 0),
                                                      s - billed.get(e, 0)))
                      for e, s in sorted(links[ln.id].items())), ln.kind,
                ForeignAmount(ln.original_amount, ln.original_currency, ln.original_rate)
                if ln.original_currency else None)
            for ln in lines
        ]
        return states, credited_tax

    def add_credit_note(self, invoice: DocumentRow, number: str, sequence: int,
                        issue_date: date, net: Decimal, tax: Decimal,
                        lines: Sequence[CreditLine], mode: str, reason: str, at: datetime,
                        by: str) -> int:
        note_id = int(self.conn.execute(insert(t.invoices).values(
            kind="credit_note", credits=invoice.id, credit_mode=mode, reason=reason,
            entity=invoice.entity, contract=invoice.contract, customer=invoice.customer,
            currency=invoice.currency, period=invoice.period, status="issued", number=number,
            sequence=sequence, issue_date=issue_date, due_date=issue_date, net=net,
            tax_code=invoice.tax_code, tax_category=invoice.tax_category,
            tax_exemption_code=invoice.tax_exemption_code, tax_rate=invoice.tax_rate, tax=tax,
            total=net + tax, tax_note=invoice.tax_note, fx_rate=invoice.fx_rate,
            created_at=at, issued_at=at,
            issued_by=by).returning(t.invoices.c.id)).scalar_one())
        rows = [
            {"invoice": note_id, "line_no": n, "credits_line": c.original.id,
             "description": c.original.description, "project": c.original.project,
             "task": c.original.task, "role": c.original.role, "seconds": c.seconds,
             "quantity_hours": hours(c.seconds).quantize(Decimal("0.000001")),
             "rate": c.original.rate, "amount": c.amount, "rate_card": c.original.rate_card,
             "rate_row": c.original.rate_row, "rate_rule": c.original.rate_rule,
             "rate_scope": c.original.rate_scope,
             "contract_version": c.original.contract_version, "kind": c.original.kind,
             "charge_ref": c.original.rate_row if not c.original.hourly else None,
             **original_columns(c.original.foreign)}
            for n, c in enumerate(lines, start=1)
        ]
        line_ids = self.conn.execute(
            _INSERT_LINES.returning(t.invoice_lines.c.id, sort_by_parameter_order=True),
            rows).scalars().all()
        links = [(line_id, entry, -seconds) for line_id, c in zip(line_ids, lines, strict=True)
                 for entry, seconds in c.allocations]
        if links:
            with set_based_rollups(self.conn, t.invoice_line_entries.name):
                bulk_insert(self.conn, t.invoice_line_entries, ("line", "entry", "seconds"),
                            links)
        return note_id

    def next_number(self, entity: str) -> int:
        return self.reserve_numbers(entity, 1)

    def reserve_numbers(self, entity: str, count: int) -> int:
        # One UPDATE for a whole batch: it takes the row lock on PostgreSQL (SQLite has one
        # writer), serialising concurrent issuers; a rollback gives the numbers back.
        last = int(self.conn.execute(RESERVE, {"entity_": entity, "count_": count})
                   .scalar_one())
        return last - count + 1

    def issue_drafts(self, issued: Sequence[IssuedDraft], at: datetime, by: str) -> None:
        if not issued:
            return
        # one executemany per batch; only drafts move, so a draft a concurrent issuer took
        # first fails the count and the whole transaction (numbers included) rolls back
        done = self.conn.execute(
            ISSUE,
            [{"i": d.invoice_id, "n": d.number, "s": d.sequence, "d": d.issue_date,
              "due": d.due_date, "r": d.fx_rate, "snap": d.snapshot, "at_": at, "by_": by}
             for d in issued])
        if done.rowcount != len(issued):
            raise ConcurrentChange(
                f"{len(issued) - done.rowcount} of {len(issued)} invoices are no longer drafts")

    def freeze(self, invoice_id: int, snapshot: dict[str, Any]) -> None:
        inv = t.invoices
        self.conn.execute(update(inv).where(inv.c.id == invoice_id).values(snapshot=snapshot))

    def void_facts(self, invoice_id: int) -> VoidFacts:
        inv = t.invoices
        issue_date = self.conn.execute(select(inv.c.issue_date)
                                       .where(inv.c.id == invoice_id)).scalar()
        notes = tuple(n for n in self.conn.execute(
            select(inv.c.number).where(inv.c.credits == invoice_id).order_by(inv.c.id))
            .scalars())
        corr, li = t.corrections, t.invoice_lines
        adjustments = self.conn.execute(
            select(func.count()).select_from(corr.join(li, li.c.id == corr.c.adjustment_line))
            .where(li.c.invoice == invoice_id)).scalar_one()
        return VoidFacts(issue_date, notes, int(adjustments))

    def mark_void(self, invoice_id: int, void_date: date | None, at: datetime, by: str,
                  reason: str) -> None:
        inv = t.invoices
        done = self.conn.execute(update(inv).where(
            inv.c.id == invoice_id, inv.c.status.in_(("draft", "issued"))).values(
            status="void", void_date=void_date, voided_at=at, voided_by=by, void_reason=reason,
            updated_at=at))
        if done.rowcount != 1:
            from hourbridge.errors import Conflict

            raise Conflict(f"invoice {invoice_id} changed while it was being voided")

    def line_id(self, invoice_id: int, line_no: int) -> int:
        li = t.invoice_lines
        return int(self.conn.execute(select(li.c.id).where(
            li.c.invoice == invoice_id, li.c.line_no == line_no)).scalar_one())
