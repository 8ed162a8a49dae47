"""Inbox: payloads received and their row counts."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import tables as t
from ._common import QueryBase


class InboxQueries(QueryBase):
    def inbox(self) -> dict[str, int]:
        ib = t.inbox
        with self.engine.connect() as conn:
            r = conn.execute(select(func.count(), func.coalesce(func.sum(ib.c.rows_total), 0),
                                    func.coalesce(func.sum(ib.c.rows_accepted), 0),
                                    func.coalesce(func.sum(ib.c.rows_rejected), 0),
                                    func.coalesce(func.sum(ib.c.rows_unchanged), 0))).one()
        return {"payloads": r[0], "rows": int(r[1]), "accepted": int(r[2]),
                "rejected": int(r[3]), "unchanged": int(r[4])}
