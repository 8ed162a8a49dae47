"""CRM won deals: one row per opportunity (its id unique), decided once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from hourbridge.domain.deals import EXCEPTION, PROPOSED, Match, WonDeal, deal_json

from . import tables as t


def _row(r: Any) -> dict[str, Any]:
    return {"opportunity_id": r.opportunity_id, "connection": r.connection,
            "account_id": r.account_id, "name": r.name, "state": r.state,
            "customer": r.customer, "matched_by": r.matched_by,
            "candidates": list(r.candidates or []), "reason": r.reason, "deal": r.deal,
            "received_by": r.received_by, "received_at": r.received_at.isoformat(),
            "contract": r.contract, "decided_by": r.decided_by,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            "note": r.note}


class SqlDeals:
    def __init__(self, conn: SqlConnection) -> None:
        self.conn = conn

    def add(self, connection: str, deal: WonDeal, match: Match, received_by: str,
            now: datetime) -> bool:
        try:
            # a savepoint: losing the key to a concurrent writer leaves the transaction usable
            with self.conn.begin_nested():
                self.conn.execute(insert(t.crm_deals).values(
                    opportunity_id=deal.opportunity_id, connection=connection,
                    account_id=deal.account.id, name=deal.name[:255],
                    state=EXCEPTION if match.problem else PROPOSED, customer=match.customer,
                    matched_by=match.how, candidates=list(match.candidates),
                    reason=match.problem.code if match.problem else None,
                    deal=deal_json(deal), received_by=received_by, received_at=now))
        except IntegrityError:
            return False
        return True

    def taken(self, opportunity_ids: list[str]) -> set[str]:
        d = t.crm_deals
        return {r[0] for r in self.conn.execute(
            select(d.c.opportunity_id).where(d.c.opportunity_id.in_(opportunity_ids)))}

    def get(self, opportunity_id: str) -> dict[str, Any] | None:
        found = self.conn.execute(select(t.crm_deals).where(
            t.crm_deals.c.opportunity_id == opportunity_id)).first()
        return None if found is None else _row(found)

    def listed(self, state: str | None, after: str | None, limit: int
               ) -> list[dict[str, Any]]:
        d = t.crm_deals
        q = select(d).order_by(d.c.opportunity_id).limit(limit)
        if state:
            q = q.where(d.c.state == state)
        if after:
            q = q.where(d.c.opportunity_id > after)
        return [_row(r) for r in self.conn.execute(q)]

    def customers_of(self, account_id: str) -> tuple[str, ...]:
        d = t.crm_deals
        return tuple(sorted({r[0] for r in self.conn.execute(
            select(d.c.customer).where(d.c.account_id == account_id, d.c.state == "confirmed",
                                       d.c.customer.is_not(None)))}))

    def decide(self, opportunity_id: str, states: tuple[str, ...], state: str, actor: str,
               now: datetime, note: str, customer: str | None = None,
               contract: str | None = None) -> bool:
        d = t.crm_deals
        values: dict[str, Any] = {"state": state, "decided_by": actor, "decided_at": now,
                                  "note": note or None}
        if customer is not None:
            values["customer"] = customer
        if contract is not None:
            values["contract"] = contract
        done = self.conn.execute(update(d).where(d.c.opportunity_id == opportunity_id,
                                                 d.c.state.in_(states)).values(**values))
        return bool(done.rowcount)
