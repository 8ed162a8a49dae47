"""Ledger: trial balances, journal pages, and every journal entry streamed for exports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from hourbridge.domain.ledger import JournalEntry, Posting, trial_balance

from .. import tables as t
from ._common import QueryBase, _json, _money_fields, money


class LedgerQueries(QueryBase):
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

    def journal(self, limit: int = 100, offset: int = 0,
                entities: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Journal entries in id order with their lines (``entities``: only those of these
        legal entities)."""
        je, jl = t.journal_entries, t.journal_lines
        stmt = select(je)
        if entities is not None:
            stmt = stmt.where(je.c.entity.in_(sorted(entities)))
        with self.engine.connect() as conn:
            heads = [dict(r._mapping) for r in conn.execute(
                stmt.order_by(je.c.id).limit(limit).offset(offset))]
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
