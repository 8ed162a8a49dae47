"""Read side: what the CLI, API and dashboard show. Plain dicts out, JSON-ready values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from hourbridge.domain.ledger import JournalEntry, Posting, trial_balance
from hourbridge.domain.model import Accounts
from hourbridge.domain.money import hours, round_money
from hourbridge.errors import InvalidInput

from . import tables as t
from .masterdata import SqlMasterData


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM period; anything else is refused, naming the field."""
    try:
        if len(period) != 7 or period[4] != "-":
            raise ValueError
        first = date(int(period[:4]), int(period[5:]), 1)
    except ValueError:
        raise InvalidInput(f"period {period!r} is not YYYY-MM") from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _hours(seconds: int) -> str:
    """Hours to show, two decimals half up (the seconds beside them are exact)."""
    return str(hours(seconds).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: NUMERIC(24, 8) gives 150.00000000."""
    return format(value.normalize(), "f") if value == value else str(value)


def money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else str(round_money(value, currency))


def _money_fields(row: dict[str, Any], fields: tuple[str, ...], currency: str) -> dict[str, Any]:
    for f in fields:
        if row.get(f) is not None:
            row[f] = money(Decimal(row[f]), currency)
    return row


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, str | int | bool):
        return value.value
    return value


def _changes(before: dict[str, Any], after: dict[str, Any] | None) -> dict[str, Any]:
    """Field -> [old, new] for what a correction changes (``deleted`` for a deletion)."""
    if after is None:
        return {"deleted": [False, True]}
    return {k: [v, after.get(k)] for k, v in before.items()
            if k != "revision" and after.get(k) != v}


class ReadModels:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- master data ---------------------------------------------------------------------
    def masterdata(self, kind: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            md = SqlMasterData(conn).snapshot()
        records = getattr(md, kind)
        return [_json(asdict(r)) for _, r in sorted(records.items())]

    # --- time entries --------------------------------------------------------------------
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

    def expenses(self, *, employee: str | None = None, project: str | None = None,
                 approval: str | None = None, billing: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        ex = t.expenses
        stmt = select(ex.c.id, ex.c.source, ex.c.external_id, ex.c.revision, ex.c.employee,
                      ex.c.project, ex.c.task, ex.c.entity, ex.c.contract, ex.c.spent_on,
                      ex.c.category, ex.c.description, ex.c.amount, ex.c.currency,
                      ex.c.billable, ex.c.receipt_ref, ex.c.approval, ex.c.billing,
                      ex.c.invoice_line)
        for col, value in (("employee", employee), ("project", project),
                           ("approval", approval), ("billing", billing)):
            if value:
                stmt = stmt.where(ex.c[col] == value)
        stmt = stmt.order_by(ex.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            r["amount"] = money(r["amount"], r["currency"])
        return [_json(r) for r in rows]

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

    def inbox(self) -> dict[str, int]:
        ib = t.inbox
        with self.engine.connect() as conn:
            r = conn.execute(select(func.count(), func.coalesce(func.sum(ib.c.rows_total), 0),
                                    func.coalesce(func.sum(ib.c.rows_accepted), 0),
                                    func.coalesce(func.sum(ib.c.rows_rejected), 0),
                                    func.coalesce(func.sum(ib.c.rows_unchanged), 0))).one()
        return {"payloads": r[0], "rows": int(r[1]), "accepted": int(r[2]),
                "rejected": int(r[3]), "unchanged": int(r[4])}

    # --- exceptions ----------------------------------------------------------------------
    def exceptions(self, *, status: str | None = "open", reason: str | None = None,
                   owner: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[dict[str, Any]]:
        ex = t.exceptions
        stmt = select(ex.c.id, ex.c.reason, ex.c.owner_role, ex.c.status, ex.c.source,
                      ex.c.external_id, ex.c.location, ex.c.field, ex.c.message,
                      ex.c.created_at, ex.c.note)
        if status:
            stmt = stmt.where(ex.c.status == status)
        if reason:
            stmt = stmt.where(ex.c.reason == reason)
        if owner:
            stmt = stmt.where(ex.c.owner_role == owner)
        stmt = stmt.order_by(ex.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            r["created_at"] = r["created_at"].isoformat()
        return rows

    def exceptions_by_reason(self, status: str | None = "open") -> dict[str, int]:
        ex = t.exceptions
        stmt = select(ex.c.reason, func.count()).group_by(ex.c.reason).order_by(ex.c.reason)
        if status:
            stmt = stmt.where(ex.c.status == status)
        with self.engine.connect() as conn:
            return {reason: n for reason, n in conn.execute(stmt)}

    # --- invoices ------------------------------------------------------------------------
    _INVOICE_COLS = ("id", "kind", "credits", "credit_mode", "reason", "number", "status",
                     "entity", "contract", "customer", "currency",
                     "period", "issue_date", "due_date", "net", "tax_code", "tax_category",
                     "tax_exemption_code", "tax_rate", "tax",
                     "total", "tax_note", "billing_run", "fx_rate", "void_date", "voided_at",
                     "voided_by", "void_reason")

    def invoices(self, *, status: str | None = None, entity: str | None = None,
                 limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
        inv = t.invoices
        stmt = select(*(inv.c[c] for c in self._INVOICE_COLS))
        if status:
            stmt = stmt.where(inv.c.status == status)
        if entity:
            stmt = stmt.where(inv.c.entity == entity)
        stmt = stmt.order_by(inv.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [_money_fields(_json(dict(r._mapping)), ("net", "tax", "total"), r.currency)
                    for r in conn.execute(stmt)]

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
        out = _money_fields(_json(dict(head._mapping)), ("net", "tax", "total"), head.currency)
        out["lines"] = []
        for ln in lines:
            ln = _money_fields(_json(ln), ("amount",), head.currency)
            ln["entries"] = links.get(ln["id"], [])
            out["lines"].append(ln)
        return out  # type: ignore[no-any-return]

    def sequence_check(self) -> list[dict[str, Any]]:
        """Per entity: the numbers issued (invoices, credit notes and voids alike) against the
        counter. Gapless means numbers 1..N are each used exactly once, N the counter."""
        inv, en = t.invoices, t.entities
        with self.engine.connect() as conn:
            used: dict[str, list[int]] = defaultdict(list)
            voids: dict[str, int] = defaultdict(int)
            for entity, sequence, status in conn.execute(
                    select(inv.c.entity, inv.c.sequence, inv.c.status)
                    .where(inv.c.sequence.is_not(None))):
                used[entity].append(sequence)
                voids[entity] += status == "void"
            counters = dict(conn.execute(select(en.c.code, en.c.last_invoice_number)).all())
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

    # --- corrections ---------------------------------------------------------------------
    def corrections(self, *, status: str | None = "open", limit: int = 1000,
                    offset: int = 0) -> list[dict[str, Any]]:
        c, inv, li, te = t.corrections, t.invoices, t.invoice_lines, t.time_entries
        adjustment = li.alias("adjustment")
        adjusted_on = inv.alias("adjusted_on")
        stmt = (select(c, te.c.source, te.c.external_id, inv.c.number.label("invoice_number"),
                       li.c.line_no, adjusted_on.c.id.label("adjustment_invoice"),
                       adjustment.c.line_no.label("adjustment_line_no"))
                .join(te, te.c.id == c.c.entry)
                .outerjoin(inv, inv.c.id == c.c.invoice).outerjoin(li, li.c.id == c.c.line)
                .outerjoin(adjustment, adjustment.c.id == c.c.adjustment_line)
                .outerjoin(adjusted_on, adjusted_on.c.id == adjustment.c.invoice))
        if status:
            stmt = stmt.where(c.c.status == status)
        stmt = stmt.order_by(c.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        out = []
        for r in rows:
            r = _money_fields(_json(r), ("old_amount", "new_amount", "difference"),
                              r["currency"])
            r["changes"] = _changes(r["before"], r["after"])
            r.pop("revision", None)  # the raw revision stays in the store and the inbox
            out.append(r)
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

    # --- ledger --------------------------------------------------------------------------
    def trial_balance(self) -> list[dict[str, Any]]:
        """One row per entity, transaction currency and account, with the balance in that
        currency and, next to it, in the entity's functional currency."""
        je, jl, en = t.journal_entries, t.journal_lines, t.entities
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(je.c.entity, jl.c.currency, jl.c.account, jl.c.debit, jl.c.credit,
                       jl.c.functional_amount)
                .join(je, je.c.id == jl.c.journal_entry)).all()
            functional = dict(conn.execute(select(en.c.code, en.c.currency)).all())
        translated: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for e, c, a, _, _, f in rows:
            translated[(e, c, a)] += f
        out = []
        for r in trial_balance((e, c, a, d, cr) for e, c, a, d, cr, _ in rows):
            fc = functional.get(r.entity, r.currency)
            out.append({"entity": r.entity, "currency": r.currency, "account": r.account,
                        "debit": money(r.debit, r.currency),
                        "credit": money(r.credit, r.currency),
                        "balance": money(r.balance, r.currency),
                        "functional_currency": fc,
                        "functional_balance": money(
                            translated[(r.entity, r.currency, r.account)], fc)})
        return out

    def functional_trial_balance(self) -> list[dict[str, Any]]:
        """Per entity and account, the balance in the functional currency over every
        transaction currency; per entity these sum to zero."""
        sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for r in self.trial_balance():
            sums[(r["entity"], r["functional_currency"], r["account"])] += Decimal(
                r["functional_balance"])
        return [{"entity": e, "currency": c, "account": a, "balance": money(b, c)}
                for (e, c, a), b in sorted(sums.items())]

    def journal(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        je, jl = t.journal_entries, t.journal_lines
        with self.engine.connect() as conn:
            heads = [dict(r._mapping) for r in conn.execute(
                select(je).order_by(je.c.id).limit(limit).offset(offset))]
            lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
            if heads:
                functional = dict(conn.execute(
                    select(t.entities.c.code, t.entities.c.currency)).all())
                entity_of = {h["id"]: h["entity"] for h in heads}
                for r in conn.execute(select(jl).where(
                        jl.c.journal_entry.in_([h["id"] for h in heads])).order_by(jl.c.id)):
                    d = _money_fields(_json(dict(r._mapping)), ("debit", "credit"), r.currency)
                    d = _money_fields(d, ("functional_amount",), functional.get(
                        entity_of[r.journal_entry], r.currency))
                    lines[d.pop("journal_entry")].append(d)
        out = []
        for h in heads:
            h["recorded_at"] = h["recorded_at"].isoformat()
            h = _json(h)
            h["lines"] = lines.get(h["id"], [])
            out.append(h)
        return out

    # --- delivery ------------------------------------------------------------------------
    def outbox_counts(self) -> dict[str, int]:
        ob = t.outbox
        with self.engine.connect() as conn:
            return {s: n for s, n in conn.execute(
                select(ob.c.status, func.count()).group_by(ob.c.status))}

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        ob = t.outbox
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(ob.c.id, ob.c.key, ob.c.type, ob.c.attempts, ob.c.last_error,
                       ob.c.processed_at).where(ob.c.status == "dead").order_by(ob.c.id)
                .limit(limit))]
        for r in rows:
            r["processed_at"] = r["processed_at"].isoformat() if r["processed_at"] else None
        return rows

    # --- exports -------------------------------------------------------------------------
    def journal_entries(self, batch: int = 1000) -> Iterator[JournalEntry]:
        """Every journal entry with its postings, ordered by posting date and id, streamed
        (``batch`` rows fetched at a time): memory holds one entry, not the journal."""
        je, jl = t.journal_entries, t.journal_lines
        stmt = (select(je.c.id, je.c.key, je.c.entity, je.c.posted_on, je.c.memo,
                       je.c.source_type, je.c.source_id, jl.c.account, jl.c.debit, jl.c.credit,
                       jl.c.currency, jl.c.functional_amount, jl.c.fx_rate, jl.c.customer,
                       jl.c.project, jl.c.employee)
                .join(jl, jl.c.journal_entry == je.c.id)
                .order_by(je.c.posted_on, je.c.id, jl.c.id))
        with self.engine.connect() as conn:
            head: Any = None
            postings: list[Posting] = []
            for r in conn.execution_options(yield_per=batch).execute(stmt):
                if head is not None and r.id != head.id:
                    yield self._journal_entry(head, postings)
                    head, postings = None, []
                if head is None:
                    head = r
                postings.append(Posting(
                    account=r.account, debit=r.debit, credit=r.credit, currency=r.currency,
                    functional_amount=r.functional_amount, fx_rate=r.fx_rate,
                    customer=r.customer, project=r.project, employee=r.employee))
            if head is not None:
                yield self._journal_entry(head, postings)

    @staticmethod
    def _journal_entry(head: Any, postings: list[Posting]) -> JournalEntry:
        return JournalEntry(key=head.key, entity=head.entity, posted_on=head.posted_on,
                            memo=head.memo, source_type=head.source_type,
                            source_id=head.source_id, postings=tuple(postings))

    def entity_accounts(self) -> dict[str, Accounts]:
        """Chart-of-accounts mapping per legal entity code."""
        en = t.entities
        with self.engine.connect() as conn:
            return {code: Accounts(**accounts) for code, accounts in conn.execute(
                select(en.c.code, en.c.accounts).order_by(en.c.code))}

    def entity_currencies(self) -> dict[str, str]:
        """Functional currency per legal entity code."""
        en = t.entities
        with self.engine.connect() as conn:
            return dict(conn.execute(select(en.c.code, en.c.currency)).all())

    def payroll_hours(self, period_from: date, period_to: date,
                      entity: str | None = None) -> list[dict[str, Any]]:
        """Approved worked time per employee and month (work dates ``period_from`` through
        ``period_to``), with only what payroll needs: employee id, employing entity, period,
        worked seconds and hours (2 decimals, half up) split billable / non-billable, and the
        number of entries. No names, notes, rates or amounts (DESIGN §3, Employee)."""
        te, em = t.time_entries, t.employees
        employer = func.coalesce(em.c.entity, te.c.entity)
        stmt = (select(te.c.employee, employer.label("entity"), te.c.work_date, te.c.billable,
                       func.sum(te.c.worked_seconds), func.count())
                .select_from(te.outerjoin(em, em.c.id == te.c.employee))
                .where(te.c.approval == "approved", te.c.work_date >= period_from,
                       te.c.work_date <= period_to)
                .group_by(te.c.employee, employer, te.c.work_date, te.c.billable))
        if entity:
            stmt = stmt.where(employer == entity)
        sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        with self.engine.connect() as conn:
            for employee, employer_code, work_date, billable, seconds, n in conn.execute(stmt):
                s = sums[(f"{work_date:%Y-%m}", employer_code, employee)]
                s[0 if billable else 1] += int(seconds)
                s[2] += int(n)

        def as_hours(seconds: int) -> str:
            return str((Decimal(seconds) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP))

        return [{"employee": employee, "entity": employer_code, "period": period,
                 "worked_seconds": b + nb, "worked_hours": as_hours(b + nb),
                 "billable_worked_seconds": b, "billable_worked_hours": as_hours(b),
                 "non_billable_worked_seconds": nb, "non_billable_worked_hours": as_hours(nb),
                 "entries": n}
                for (period, employer_code, employee), (b, nb, n) in sorted(sums.items())]

    # --- holds ---------------------------------------------------------------------------
    def holds(self, *, active_only: bool = True) -> list[dict[str, Any]]:
        h = t.holds
        stmt = select(h).order_by(h.c.id)
        if active_only:
            stmt = stmt.where(h.c.released_at.is_(None))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            for key in ("placed_at", "released_at"):
                r[key] = r[key].isoformat() if r[key] else None
        return rows

    def day_rounding(self) -> dict[str, Any]:
        """Billable work under contract versions that round per day: days, entries, worked
        and billable hours (billable is the sum of the rounded days)."""
        te, cv = t.time_entries, t.contract_versions
        out = {"contracts": 0, "days": 0, "entries": 0, "worked_seconds": 0,
               "billable_seconds": 0}
        with self.engine.connect() as conn:
            versions: dict[str, list[tuple[date, str]]] = defaultdict(list)
            for contract, since, per in conn.execute(
                    select(cv.c.contract, cv.c.effective_from, cv.c.rounding_per)
                    .order_by(cv.c.contract, cv.c.effective_from)):
                versions[contract].append((since, per))
            for contract, spans in sorted(versions.items()):
                if not any(per == "day" for _, per in spans):
                    continue
                out["contracts"] += 1
                for i, (since, per) in enumerate(spans):
                    if per != "day":
                        continue
                    where = [te.c.contract == contract, te.c.billable.is_(True),
                             te.c.work_date >= since]
                    if i + 1 < len(spans):
                        where.append(te.c.work_date < spans[i + 1][0])
                    days = select(te.c.employee, te.c.work_date).where(*where).distinct()
                    out["days"] += conn.execute(
                        select(func.count()).select_from(days.subquery())).scalar_one()
                    n, worked, billable = conn.execute(
                        select(func.count(), func.coalesce(func.sum(te.c.worked_seconds), 0),
                               func.coalesce(func.sum(te.c.billable_seconds), 0))
                        .where(*where)).one()
                    out["entries"] += n
                    out["worked_seconds"] += int(worked)
                    out["billable_seconds"] += int(billable)
        return {**out, "worked_hours": _hours(out["worked_seconds"]),
                "billable_hours": _hours(out["billable_seconds"])}

    # --- intercompany --------------------------------------------------------------------
    def intercompany(self, *, period: str | None = None, limit: int = 100,
                     offset: int = 0) -> dict[str, Any]:
        """Charges of work in ``period`` (YYYY-MM of the work date, or all): totals per
        seller, buyer, currency and status, and one page of the charges themselves."""
        ic = t.intercompany_charges
        where = []
        if period is not None:
            first, last = month_bounds(period)
            where = [ic.c.work_date >= first, ic.c.work_date <= last]
        sums: dict[tuple[str, str, str, str], list[Any]] = {}
        with self.engine.connect() as conn:
            for seller, buyer, currency, status, seconds, amount in conn.execute(
                select(ic.c.seller, ic.c.buyer, ic.c.currency, ic.c.status, ic.c.seconds,
                       ic.c.amount).where(*where)):
                bucket = sums.setdefault((seller, buyer, currency, status), [0, 0, Decimal(0)])
                bucket[0] += 1
                bucket[1] += seconds
                bucket[2] += amount
            page = [dict(r._mapping) for r in conn.execute(
                select(ic).where(*where).order_by(ic.c.id).limit(limit).offset(offset))]
        totals = [{"seller": s_, "buyer": b, "currency": c, "status": st, "charges": n,
                   "seconds": secs, "hours": _hours(secs), "amount": money(amount, c)}
                  for (s_, b, c, st), (n, secs, amount) in sorted(sums.items())]
        charges = [{
            "id": r["id"], "entry": r["entry"], "seller": r["seller"], "buyer": r["buyer"],
            "employee": r["employee"], "project": r["project"],
            "work_date": r["work_date"].isoformat(), "seconds": r["seconds"],
            "hours": _hours(r["seconds"]), "cost_rate": plain(r["cost_rate"]),
            "markup_percent": plain(r["markup_percent"]),
            "transfer_price": plain(r["transfer_price"]),
            "amount": money(r["amount"], r["currency"]), "currency": r["currency"],
            "buyer_currency": r["buyer_currency"], "status": r["status"],
            "seller_journal_key": r["seller_journal_key"],
            "buyer_journal_key": r["buyer_journal_key"]} for r in page]
        return {"period": period, "totals": totals, "charges": charges}

    # --- e-invoices ----------------------------------------------------------------------
    def einvoice_data(self, invoice_id: int) -> dict[str, Any] | None:
        """What an EN 16931 e-invoice of one invoice needs, JSON-ready (``None`` if unknown):
        ``invoice`` (every column of the row, so columns added later come along), its
        ``lines`` in order, the issuing ``entity`` and the ``customer`` records, and for a
        credit note the ``credited_invoice``'s number and issue date."""
        inv, li = t.invoices, t.invoice_lines
        with self.engine.connect() as conn:
            head = conn.execute(select(inv).where(inv.c.id == invoice_id)).first()
            if head is None:
                return None
            row = dict(head._mapping)
            lines = [dict(r._mapping) for r in conn.execute(
                select(li).where(li.c.invoice == invoice_id).order_by(li.c.line_no))]
            entity = conn.execute(
                select(t.entities).where(t.entities.c.code == row["entity"])).one()
            customer = conn.execute(
                select(t.customers).where(t.customers.c.id == row["customer"])).one()
            credited = None
            if row.get("credits") is not None:
                ref = conn.execute(select(inv.c.number, inv.c.issue_date)
                                   .where(inv.c.id == row["credits"])).one()
                credited = {"number": ref.number, "issue_date": _json(ref.issue_date)}
        currency = row["currency"]
        entity_row = dict(entity._mapping)
        entity_row.pop("last_invoice_number", None)
        return {
            "invoice": _money_fields(_json(row), ("net", "tax", "total"), currency),
            "lines": [_money_fields(_json(ln), ("amount",), currency) for ln in lines],
            "entity": _json(entity_row),
            "customer": _json(dict(customer._mapping)),
            "credited_invoice": credited,
        }
