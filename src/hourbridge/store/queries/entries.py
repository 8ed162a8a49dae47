"""Time entries: pages, one entry, references (``SOURCE:EXTERNAL_ID``), counts by state, and
unbilled WIP."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, tuple_

from hourbridge.domain.limits import id_problem
from hourbridge.errors import InvalidInput, NotFound

from .. import tables as t
from ._common import QueryBase, _json, money, plain

# what a listed entry shows (the table's own columns; WIP and invoices are added)
_ENTRY_COLS = ("id", "source", "external_id", "revision", "employee", "project", "task",
               "entity", "contract", "work_date", "worked_seconds", "billable_seconds",
               "billable", "notes", "approval", "billing", "locked", "wip_amount",
               "wip_currency", "billed_seconds", "written_off_seconds", "deleted_at")
ENTRY_STATES = ("live", "deleted")  # deleted: the source deleted it (a kept tombstone)


def _ref_candidates(ref: str) -> list[tuple[str, str]]:
    """Every (source, external id) a ``SOURCE:EXTERNAL_ID`` reference can mean: both may
    hold a colon, so each colon is a possible split."""
    return [(ref[:i], ref[i + 1:]) for i, ch in enumerate(ref) if ch == ":" and i > 0
            and i < len(ref) - 1]


class EntryQueries(QueryBase):
    def entry_ids(self, refs: Sequence[str | int], name: str = "entry") -> tuple[int, ...]:
        """The stored ids of entry references, in order: an id (digits) or
        ``SOURCE:EXTERNAL_ID``. The one resolver of entry references (CLI options and
        arguments, API paths). An id is only checked to be one (the use case says what it
        does with an id it does not know, as before); a ``SOURCE:EXTERNAL_ID`` that names
        no entry is ``NotFound``, one that names two (a colon in the source or the external
        id) ``InvalidInput``, each naming it."""
        ids: list[int] = []
        te = t.time_entries
        with self.engine.connect() as conn:
            for ref in refs:
                text = str(ref).strip()
                # an id (ASCII digits: "²" is a digit to str.isdigit, not to int): checked as
                # ids are, its use case finds it
                if text.isascii() and text.isdigit():
                    problem = id_problem(int(text), name)
                    if problem is not None:
                        raise InvalidInput(problem.message)
                    ids.append(int(text))
                    continue
                pairs = _ref_candidates(text)
                found = conn.execute(
                    select(te.c.id).where(tuple_(te.c.source, te.c.external_id).in_(pairs))
                    .order_by(te.c.id)).scalars().all() if pairs else []
                if not found:
                    raise NotFound(name, text)
                if len(found) > 1:
                    raise InvalidInput(f"{name} {text!r} is ambiguous: it names entries "
                                       f"{', '.join(map(str, found))} (give the id)")
                ids.append(found[0])
        return tuple(ids)

    def entries(self, *, employee: str | None = None, project: str | None = None,
                approval: str | None = None, billing: str | None = None,
                source: str | None = None, external_id: str | None = None,
                state: str | None = None, customer: str | None = None,
                date_from: date | None = None, date_to: date | None = None,
                invoice: int | None = None, after: int | None = None,
                limit: int = 100, offset: int = 0,
                updated_since: datetime | None = None,
                entities: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Entries in id order, filtered (``entities``: only those of these legal entities);
        a page starts ``after`` an id (keyset: stable while rows are added) or skips
        ``offset`` rows. Each shows its open WIP (``wip_open``: booked
        less relieved, in the WIP's currency) and the live invoices it is on (``invoices``:
        id, number, status)."""
        te = t.time_entries
        stmt = select(*(te.c[c] for c in _ENTRY_COLS), te.c.wip_relieved)
        for col, value in (("employee", employee), ("project", project),
                           ("approval", approval), ("billing", billing), ("source", source),
                           ("external_id", external_id)):
            if value:
                stmt = stmt.where(te.c[col] == value)
        stmt = self._entry_filters(stmt, state, customer, date_from, date_to, invoice, after)
        if updated_since is not None:
            stmt = stmt.where(te.c.updated_at >= updated_since)
        if entities is not None:
            stmt = stmt.where(te.c.entity.in_(sorted(entities)))
        stmt = stmt.order_by(te.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
            on = self._invoices_of(conn, [r["id"] for r in rows])
        return [self._shown(r, on.get(r["id"], [])) for r in rows]

    def entry(self, entry_id: int) -> dict[str, Any] | None:
        """One entry as ``entries`` lists it, with its approval and rejection details."""
        te = t.time_entries
        with self.engine.connect() as conn:
            row = conn.execute(select(*(te.c[c] for c in _ENTRY_COLS), te.c.wip_relieved,
                                      te.c.approved_at, te.c.approved_by, te.c.rejected_at,
                                      te.c.rejected_by, te.c.rejection_reason, te.c.inbox_id)
                               .where(te.c.id == entry_id)).first()
            if row is None:
                return None
            on = self._invoices_of(conn, [entry_id])
        return self._shown(dict(row._mapping), on.get(entry_id, []))

    @staticmethod
    def _entry_filters(stmt: Select[Any], state: str | None, customer: str | None,
                       date_from: date | None, date_to: date | None, invoice: int | None,
                       after: int | None) -> Select[Any]:
        te = t.time_entries
        if state is not None:
            if state not in ENTRY_STATES:
                raise InvalidInput(f"state {state!r}: give one of {', '.join(ENTRY_STATES)}")
            stmt = stmt.where(te.c.deleted_at.is_(None) if state == "live"
                              else te.c.deleted_at.is_not(None))
        if customer:
            stmt = stmt.where(te.c.project.in_(
                select(t.projects.c.code).where(t.projects.c.customer == customer)))
        if date_from is not None:
            stmt = stmt.where(te.c.work_date >= date_from)
        if date_to is not None:
            stmt = stmt.where(te.c.work_date <= date_to)
        if invoice is not None:
            li, le = t.invoice_lines, t.invoice_line_entries
            stmt = stmt.where(te.c.id.in_(select(le.c.entry).join(li, li.c.id == le.c.line)
                                          .where(li.c.invoice == invoice)))
        if after is not None:
            stmt = stmt.where(te.c.id > after)
        return stmt

    @staticmethod
    def _invoices_of(conn: Any, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Per entry, the invoices (not credit notes, not void) with a line billing it."""
        if not ids:
            return {}
        inv, li, le = t.invoices, t.invoice_lines, t.invoice_line_entries
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for entry, invoice, number, status in conn.execute(
            select(le.c.entry, inv.c.id, inv.c.number, inv.c.status).distinct()
            .join(li, li.c.id == le.c.line).join(inv, inv.c.id == li.c.invoice)
            .where(le.c.entry.in_(ids), inv.c.kind == "invoice", inv.c.status != "void")
            .order_by(le.c.entry, inv.c.id)
        ):
            out[entry].append({"id": invoice, "number": number, "status": status})
        return out

    @staticmethod
    def _shown(row: dict[str, Any], invoices: list[dict[str, Any]]) -> dict[str, Any]:
        relieved = row.pop("wip_relieved")
        currency = row["wip_currency"]
        out: dict[str, Any] = _json(row)
        if row["wip_amount"] is not None and currency:
            out["wip_amount"] = money(row["wip_amount"], currency)
            out["wip_open"] = money(row["wip_amount"] - (relieved or Decimal(0)), currency)
        else:
            out["wip_open"] = None
        out["invoices"] = invoices
        return out

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
                .where(t.OPEN_APPROVED, t.OPEN_BILLING, te.c.billable.is_(True))
            ):
                s = sums.setdefault((entity, currency or "", billing), [0, 0, Decimal(0)])
                s[0] += 1
                s[1] += seconds - relieved_s
                s[2] += (wip or Decimal(0)) - (relieved or Decimal(0))
        return [{"entity": e, "currency": c, "billing": b, "entries": s[0],
                 "hours": str((Decimal(s[1]) / 3600).quantize(Decimal("0.01"))),
                 "amount": money(s[2], c) if c else plain(s[2])}
                for (e, c, b), s in sorted(sums.items())]
