"""The built-in ledger: journal entries recorded once per idempotency key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from hourbridge.domain.ledger import JournalEntry, balanced

from . import tables as t


class SqlLedger:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def post(self, entry: JournalEntry) -> bool:
        balanced(entry)  # last line of defence: an unbalanced entry is never stored
        je = t.journal_entries
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(je.c.id).where(je.c.key == entry.key)).first():
                    return False
                entry_id = conn.execute(insert(je).values(
                    key=entry.key, entity=entry.entity, posted_on=entry.posted_on,
                    memo=entry.memo, source_type=entry.source_type, source_id=entry.source_id,
                    recorded_at=self.clock()).returning(je.c.id)).scalar_one()
                conn.execute(insert(t.journal_lines), [
                    {"journal_entry": entry_id, "account": p.account, "debit": p.debit,
                     "credit": p.credit, "currency": p.currency,
                     "functional_amount": p.functional_amount, "fx_rate": p.fx_rate,
                     "customer": p.customer, "project": p.project, "employee": p.employee}
                    for p in entry.postings
                ])
        except IntegrityError:
            # a concurrent worker recorded the same key first: that is the idempotent outcome
            return False
        return True
